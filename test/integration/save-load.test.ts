// save and load against independent tools: a tsdocker archive is loaded and run by podman, and
// archives written by skopeo (docker-archive:, oci-archive:) are loaded and run by tsdocker.
// A damaged archive fails with one line and leaves the store exactly as it was.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, pushFixture, skopeo } from '../support/fixtures';
import { startRegistry, type TestRegistry } from '../support/registry';
import { setUpPodman } from '../../bench/common';
import { cli, type Cli } from './pull-support';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'tsdocker');
const skip = process.getuid?.() !== 0 ? 'needs root' : !fs.existsSync('/usr/bin/docker-registry') ? 'needs docker-registry' : false;
const WH_LS = '.:\na\nfile2\n\na:\nb\n\na/b/c:\nfoo\n';
const LS_WH = ['sh', '-c', 'cd /wh && ls -A . a a/b/c'];

let reg: TestRegistry;
let c: Cli;
let wh: string;

before(async () => {
  if (skip) return;
  reg = await startRegistry({ auth: 'none' });
  c = cli({ 'insecure-registries': [reg.host] });
  wh = await pushFixture(reg, 'whiteouts', 'whiteouts:latest');
  assert.equal(c.run(['pull', '-q', wh]).status, 0);
});
after(async () => {
  if (skip) return;
  c.cleanup();
  await reg.stop();
});

function ok(x: Cli, args: string[]): string {
  const r = x.run(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A fresh, empty tsdocker root, removed after the test. */
function freshRoot(t: { after(fn: () => void): void }): Cli {
  const x = cli({});
  t.after(() => x.cleanup());
  return x;
}

test('save -o, then podman load and podman run it', { skip }, async (t) => {
  setUpPodman();
  const archive = path.join(c.dir, 'podman.tar');
  ok(c, ['save', '-o', archive, wh]);
  const dir = fs.mkdtempSync(path.join(c.dir, 'podman-'));
  const podman = (args: string[]) => spawnSync('podman', ['--root', `${dir}/root`, '--runroot', `${dir}/run`,
    '--storage-driver', 'vfs', ...args], { encoding: 'utf8', timeout: 120_000 });
  t.after(() => {
    spawnSync('umount', ['-R', '-l', `${dir}/root`], { stdio: 'ignore' });
    spawnSync('umount', ['-R', '-l', `${dir}/run`], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const load = podman(['load', '-i', archive]);
  assert.equal(load.status, 0, load.stderr);
  assert.match(load.stdout, new RegExp(`Loaded image: ${wh}`));
  const run = podman(['run', '--rm', '--network', 'none', wh, ...LS_WH]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, WH_LS);
});

test('save to stdout and load from stdin into an empty root; the image id and layers are kept', { skip }, (t) => {
  const saved = spawnSync(process.execPath, [BIN, 'save', wh], { env: c.env, maxBuffer: 1 << 28 });
  assert.equal(saved.status, 0, saved.stderr.toString());
  const again = spawnSync(process.execPath, [BIN, 'save', wh], { env: c.env, maxBuffer: 1 << 28 });
  assert.ok(saved.stdout.equals(again.stdout), 'the same image saves to the same bytes');
  const names = spawnSync('tar', ['-t'], { input: saved.stdout, encoding: 'utf8' }).stdout.split('\n');
  for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories']) assert.ok(names.includes(n), n);

  const x = freshRoot(t);
  const load = spawnSync(process.execPath, [BIN, 'load'], { env: x.env, input: saved.stdout, encoding: 'utf8' });
  assert.equal(load.status, 0, load.stderr);
  assert.equal(load.stdout, `Loaded image: ${wh}\n`);
  const id = (args: Cli) => JSON.parse(ok(args, ['image', 'inspect', wh]))[0].Id;
  assert.equal(id(x), id(c));
  assert.equal(ok(x, ['run', '--rm', wh, ...LS_WH]), WH_LS);
});

test('several images in one archive; an image saved by id loads untagged', { skip }, (t) => {
  ok(c, ['tag', wh, 'course/one:1']);
  const imageId = JSON.parse(ok(c, ['image', 'inspect', wh]))[0].Id as string;
  const archive = path.join(c.dir, 'two.tar');
  ok(c, ['save', '-o', archive, wh, 'course/one:1']);
  const x = freshRoot(t);
  assert.equal(ok(x, ['load', '-i', archive]), `Loaded image: ${wh}\nLoaded image: course/one:1\n`);

  const byId = path.join(c.dir, 'id.tar');
  ok(c, ['save', '-o', byId, imageId]);
  const y = freshRoot(t);
  assert.equal(ok(y, ['load', '-i', byId]), `Loaded image ID: ${imageId}\n`);
});

test('skopeo docker-archive: and oci-archive: load and run', { skip }, async (t) => {
  const layout = await fixture('whiteouts');
  const dockerArchive = path.join(c.dir, 'skopeo-docker.tar');
  const ociArchive = path.join(c.dir, 'skopeo-oci.tar');
  await skopeo(['copy', '--quiet', `oci:${layout}:latest`, `docker-archive:${dockerArchive}:course/wh:docker`]);
  await skopeo(['copy', '--quiet', `oci:${layout}:latest`, `oci-archive:${ociArchive}:course/wh:oci`]);
  const x = freshRoot(t);
  assert.equal(ok(x, ['load', '-i', dockerArchive]), 'Loaded image: course/wh:docker\n');
  assert.equal(ok(x, ['image', 'load', '-i', ociArchive]), 'Loaded image: course/wh:oci\n');
  assert.equal(ok(x, ['run', '--rm', 'course/wh:docker', ...LS_WH]), WH_LS);
  assert.equal(ok(x, ['run', '--rm', 'course/wh:oci', ...LS_WH]), WH_LS);
  // A loaded image can be saved again (its kept blobs are the archive's, or gzipped on load).
  ok(x, ['save', '-o', path.join(x.dir, 'resaved.tar'), 'course/wh:docker', 'course/wh:oci']);
});

test('a corrupted, truncated or foreign archive fails with one line and leaves the store as it was', { skip }, (t) => {
  const archive = path.join(c.dir, 'good.tar');
  ok(c, ['save', '-o', archive, wh]);
  const good = fs.readFileSync(archive);
  const x = freshRoot(t);
  ok(x, ['load', '-i', archive]);
  ok(x, ['rmi', wh]);
  const before = x.snapshot();

  // The busiest layer is the largest member: flip a byte in the middle of its content.
  const bad = Buffer.from(good);
  const layer = largestMember(archive);
  bad[layer.offset + Math.floor(layer.size / 2)] ^= 0xff;
  const cases: Array<[string, Buffer, RegExp]> = [
    ['corrupted', bad, /diff_id mismatch|does not match/],
    ['truncated', good.subarray(0, Math.floor(good.length / 2)), /./],
    ['not an archive', Buffer.from('hello, this is not a tar file\n'.repeat(40)), /./],
  ];
  for (const [what, bytes, message] of cases) {
    const file = path.join(x.dir, `${what}.tar`);
    fs.writeFileSync(file, bytes);
    const r = x.run(['load', '-i', file]);
    assert.equal(r.status, 125, `${what}: ${r.stdout}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /^tsdocker: /);
    assert.match(r.stderr, message, what);
    assert.deepEqual(x.snapshot(), before, `${what}: the store is unchanged`);
  }
});

/** Where the largest regular file's data starts in a tar, from `tar -tv --block-number`. */
function largestMember(archive: string): { offset: number; size: number } {
  const lines = spawnSync('tar', ['-tvR', '-f', archive], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  let best = { offset: 0, size: -1 };
  for (const line of lines) {
    const m = /^block (\d+): \S+ \S+\s+(\d+) /.exec(line);
    if (m && Number(m[2]) > best.size) best = { offset: (Number(m[1]) + 1) * 512, size: Number(m[2]) };
  }
  return best;
}
