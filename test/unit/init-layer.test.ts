// The init layer (src/image/init-layer.ts): the mount points an image lacks, made once above its
// layers, without hiding anything the image has. Layers here are plain directories, top-most first.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeInitDir } from '../../src/image/init-layer';

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-init-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function list(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, e.name);
      out.push(e.isDirectory() ? `${r}/` : r);
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

test('an image with nothing gets every mount point; one with all of them gets none', (t) => {
  const d = tmp(t);
  fs.mkdirSync(path.join(d, 'empty'));
  assert.deepEqual(makeInitDir(path.join(d, 'init1'), [path.join(d, 'empty')]),
    ['/proc', '/sys', '/dev', '/etc', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
  assert.deepEqual(list(path.join(d, 'init1')), ['dev/', 'etc/', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'proc/', 'sys/']);
  assert.equal(fs.statSync(path.join(d, 'init1/etc/hosts')).size, 0);

  const full = path.join(d, 'full');
  for (const dir of ['proc', 'sys', 'dev', 'etc']) fs.mkdirSync(path.join(full, dir), { recursive: true });
  for (const f of ['hostname', 'hosts', 'resolv.conf']) fs.writeFileSync(path.join(full, 'etc', f), 'x');
  assert.deepEqual(makeInitDir(path.join(d, 'init2'), [full]), []);
  assert.deepEqual(list(path.join(d, 'init2')), []);
});

test("the image's own /etc keeps its owner, mode and times under the new files", (t) => {
  const d = tmp(t);
  const layer = path.join(d, 'layer');
  fs.mkdirSync(path.join(layer, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(layer, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  fs.chmodSync(path.join(layer, 'etc'), 0o750);
  fs.chownSync(path.join(layer, 'etc'), 12, 34);
  const when = new Date('2020-01-02T03:04:05Z');
  fs.utimesSync(path.join(layer, 'etc'), when, when);
  const made = makeInitDir(path.join(d, 'init'), [layer]);
  assert.deepEqual(made, ['/proc', '/sys', '/dev', '/etc/hostname', '/etc/resolv.conf']);
  const st = fs.statSync(path.join(d, 'init', 'etc'));
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid, st.mtime.toISOString()], [0o750, 12, 34, when.toISOString()]);
});

test('nothing is made below something that is not a directory in the image (an /etc symlink)', (t) => {
  const d = tmp(t);
  const upper = path.join(d, 'upper');
  const lower = path.join(d, 'lower');
  fs.mkdirSync(upper);
  fs.mkdirSync(path.join(lower, 'etc'), { recursive: true }); // hidden by the symlink above it
  fs.symlinkSync('/somewhere/else', path.join(upper, 'etc'));
  fs.writeFileSync(path.join(upper, 'dev'), ''); // a file, even
  assert.deepEqual(makeInitDir(path.join(d, 'init'), [upper, lower]), ['/proc', '/sys']);
  assert.deepEqual(list(path.join(d, 'init')), ['proc/', 'sys/']);
});
