import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanName, entryPath, resolveDir } from '../../src/image/safepath';
import { parseWhiteout, isOverlayXattr } from '../../src/image/whiteout';

test('entry names are cleaned: leading "/", "." and empty components go', () => {
  assert.equal(cleanName('/etc/passwd'), 'etc/passwd');
  assert.equal(cleanName('./a//b/./c/'), 'a/b/c');
  assert.equal(cleanName('./'), '');
  assert.equal(cleanName('/'), '');
});

test('any ".." component is refused, even one that cancels out', () => {
  for (const name of ['..', '../x', '../../../../tmp/pwn', 'a/../b', 'a/.wh.../../etc', '/..', 'a/b/..']) {
    assert.throws(() => cleanName(name), /has a "\.\." component/, name);
  }
  assert.equal(cleanName('a/..b/c..'), 'a/..b/c..');
  assert.throws(() => cleanName('a\0b'), /NUL byte/);
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-safepath-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('symlinked parents resolve as if the layer were "/"', () => {
  fs.mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  fs.symlinkSync('/usr', path.join(root, 'abs'));
  fs.symlinkSync('../../../../../../../..', path.join(root, 'up'));
  fs.symlinkSync('/', path.join(root, 'slash'));
  fs.symlinkSync('loop', path.join(root, 'loop'));
  fs.writeFileSync(path.join(root, 'file'), '');
  assert.equal(resolveDir(root, 'lib'), 'usr/lib');
  assert.equal(resolveDir(root, 'abs/lib'), 'usr/lib');
  assert.equal(resolveDir(root, 'up'), '');
  assert.equal(resolveDir(root, 'up/usr'), 'usr');
  assert.equal(resolveDir(root, 'slash/slash/usr'), 'usr');
  assert.equal(entryPath(root, 'lib/libc.so'), path.join(root, 'usr/lib/libc.so'));
  // The last component is never followed.
  assert.equal(entryPath(root, 'lib'), path.join(root, 'lib'));
  assert.throws(() => resolveDir(root, 'loop'), /too many levels of symbolic links/);
  assert.throws(() => resolveDir(root, 'file/x'), /file: not a directory/);
  assert.throws(() => resolveDir(root, 'missing/x'), /missing: no such directory/);
});

test('missing directories are handed to makeDir, inside the root', () => {
  const made: string[] = [];
  const mk = (rel: string, host: string) => {
    made.push(rel);
    fs.mkdirSync(host);
  };
  fs.symlinkSync('/new', path.join(root, 'n'));
  assert.equal(resolveDir(root, 'n/a/b', mk), 'new/a/b');
  assert.deepEqual(made, ['new', 'new/a', 'new/a/b']);
  assert.ok(fs.statSync(path.join(root, 'new/a/b')).isDirectory());
});

test('whiteout names', () => {
  assert.equal(parseWhiteout('a/b'), undefined);
  assert.deepEqual(parseWhiteout('.wh.file1'), { kind: 'delete', dir: '', name: 'file1' });
  assert.deepEqual(parseWhiteout('a/b/.wh..hidden'), { kind: 'delete', dir: 'a/b', name: '.hidden' });
  assert.deepEqual(parseWhiteout('a/.wh..wh..opq'), { kind: 'opaque', dir: 'a' });
  assert.deepEqual(parseWhiteout('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  assert.deepEqual(parseWhiteout('.wh..wh.plnk'), { kind: 'other' });
  for (const bad of ['.wh.', 'a/.wh..', '.wh...']) assert.throws(() => parseWhiteout(bad), /names no file/, bad);
});

test('overlay xattrs are recognised', () => {
  assert.ok(isOverlayXattr('trusted.overlay.redirect'));
  assert.ok(isOverlayXattr('user.overlay.opaque'));
  assert.ok(!isOverlayXattr('security.capability'));
  assert.ok(!isOverlayXattr('trusted.overlayish'));
});
