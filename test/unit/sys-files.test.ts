// The addon's small-file calls (native/sys.c; readText, writeText, statFile, readDirectory, ... in
// src/sys/libc.ts), which the hot path of `run` uses instead of Node's fs: the same content, the
// same answers as fs gives, the same errors (errno kept), and files of /proc, whose size says 0,
// read to their end.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsdockerError } from '../../src/errors';
import {
  O_CREAT, O_NONBLOCK, O_TRUNC, O_WRONLY, S_IFDIR, S_IFLNK, S_IFMT, fileSystemType, findNamespaceUser, makeDirectory, makeSymlink,
  onOtherDevice, readDirectory, readDirectoryTypes, readSymlink, readText, removeDirectory, removeTreeAt, renameFile, rewriteText,
  statFile, writeFd, writeText,
} from '../../src/sys/libc';
import { makeDirectories, pathExists } from '../../src/fsutil';

function dir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-sysfiles-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('readText: as readFileSync gives it, /proc files too; undefined when missing; EFBIG past the limit', (t) => {
  const d = dir(t);
  const text = 'caf\u00e9 \u2603\n'.repeat(3000); // multi-byte UTF-8, and more than one read's buffer
  fs.writeFileSync(path.join(d, 'f'), text);
  assert.equal(readText(path.join(d, 'f')), text);
  assert.equal(readText('/proc/self/status')?.startsWith('Name:'), true);
  assert.equal(readText(path.join(d, 'missing')), undefined);
  assert.throws(() => readText(path.join(d, 'f'), 100), (err: TsdockerError) => err.code === 'EFBIG' && err.message.includes(d));
  assert.throws(() => readText(d), (err: TsdockerError) => err.code === 'EINVAL');
  // A fifo opened without O_NONBLOCK would wait for a writer: with it, refused at once.
  execFileSync('mkfifo', [path.join(d, 'fifo')]);
  assert.throws(() => readText(path.join(d, 'fifo'), 100, O_NONBLOCK), (err: TsdockerError) => err.code === 'EINVAL');
});

test('onOtherDevice: the root of a mount told apart from a plain directory and a plain file', (t) => {
  const d = dir(t);
  fs.writeFileSync(path.join(d, 'file'), '');
  assert.equal(onOtherDevice('/proc'), true);
  assert.equal(onOtherDevice('/proc/'), true);
  assert.equal(onOtherDevice(d), false);
  assert.equal(onOtherDevice(path.join(d, 'file')), false);
  assert.throws(() => onOtherDevice(path.join(d, 'missing')), (err: TsdockerError) => err.code === 'ENOENT');
});

test('writeText: no O_CREAT means ENOENT for a missing file; with it, the mode is used', (t) => {
  const d = dir(t);
  const f = path.join(d, 'new');
  assert.throws(() => writeText(f, 'x'), (err: TsdockerError) => err.code === 'ENOENT' && err.errno === 2 && err.path === f);
  writeText(f, 'first, longer', O_WRONLY | O_CREAT | O_TRUNC, 0o640);
  writeText(f, 'second');
  assert.equal(fs.readFileSync(f, 'utf8'), 'second');
  assert.equal(fs.statSync(f).mode & 0o777, 0o640 & ~process.umask());
});

test('rewriteText: the same inode (a bind mount of it sees the new text), longer or shorter', (t) => {
  const f = path.join(dir(t), 'hosts');
  rewriteText(f, '127.0.0.1\tlocalhost\n');
  const ino = fs.statSync(f).ino;
  rewriteText(f, '127.0.0.1\tlocalhost\n172.17.0.2\tabc\n');
  assert.equal(fs.readFileSync(f, 'utf8'), '127.0.0.1\tlocalhost\n172.17.0.2\tabc\n');
  rewriteText(f, 'short\n');
  assert.equal(fs.readFileSync(f, 'utf8'), 'short\n');
  assert.equal(fs.statSync(f).ino, ino);
});

test('findNamespaceUser: this process is in its own network namespace; no process in a made-up one', () => {
  const identity = `net:[${fs.statSync('/proc/self/ns/net').ino}]`;
  assert.ok(findNamespaceUser('net', identity) > 0);
  assert.equal(findNamespaceUser('net', 'net:[1]'), 0);
});

test('makeDirectory and removeDirectory: false for one that exists, nothing for one that is gone', (t) => {
  const d = path.join(dir(t), 'sub');
  assert.equal(makeDirectory(d, 0o700), true);
  assert.equal(makeDirectory(d, 0o700), false);
  assert.equal(fs.statSync(d).mode & 0o777, 0o700 & ~process.umask());
  assert.throws(() => makeDirectory(path.join(d, 'a', 'b'), 0o755), (err: TsdockerError) => err.code === 'ENOENT');
  removeDirectory(d);
  removeDirectory(d);
  assert.equal(fs.existsSync(d), false);
});

test('removeTreeAt: a whole tree, links removed and not followed, a missing path fine', (t) => {
  const d = dir(t);
  fs.mkdirSync(path.join(d, 'tree/upper/etc/deep'), { recursive: true });
  fs.writeFileSync(path.join(d, 'tree/upper/etc/deep/file'), 'x');
  fs.mkdirSync(path.join(d, 'tree/locked'), { mode: 0o000 });
  fs.writeFileSync(path.join(d, 'outside'), 'keep');
  fs.symlinkSync(path.join(d, 'outside'), path.join(d, 'tree/upper/link'));
  fs.symlinkSync(d, path.join(d, 'tree/dirlink'));
  removeTreeAt(path.join(d, 'tree'));
  removeTreeAt(path.join(d, 'tree'));
  assert.deepEqual(fs.readdirSync(d), ['outside']);
});

test('removeTreeAt never enters a mount point: EBUSY naming it, and what is mounted there stays',
  { skip: process.getuid?.() !== 0 && 'needs root (mount)' }, (t) => {
    const d = dir(t);
    const mnt = path.join(d, 'tree', 'rootfs');
    fs.mkdirSync(mnt, { recursive: true });
    fs.mkdirSync(path.join(d, 'src'));
    fs.writeFileSync(path.join(d, 'src', 'precious'), 'keep');
    // A bind mount: the same filesystem, so only the mount's root tells it apart.
    assert.equal(spawnSync('mount', ['--bind', path.join(d, 'src'), mnt]).status, 0);
    try {
      assert.throws(() => removeTreeAt(path.join(d, 'tree')), (err: TsdockerError) => err.code === 'EBUSY' && err.message.includes(mnt));
      assert.equal(fs.readFileSync(path.join(mnt, 'precious'), 'utf8'), 'keep');
    } finally {
      spawnSync('umount', [mnt]);
    }
    assert.equal(fs.readFileSync(path.join(d, 'src', 'precious'), 'utf8'), 'keep');
  });

test('statFile: mode, inode and mtime as fs.statSync and lstatSync give them; undefined when missing', (t) => {
  const d = dir(t);
  fs.writeFileSync(path.join(d, 'f'), 'x');
  fs.symlinkSync('f', path.join(d, 'l'));
  for (const [file, follow] of [[path.join(d, 'f'), true], [path.join(d, 'l'), false], [d, true]] as const) {
    const ours = statFile(file, { follow })!;
    const node = follow ? fs.statSync(file) : fs.lstatSync(file);
    assert.deepEqual(ours, { mode: node.mode, ino: node.ino, mtimeMs: ours.mtimeMs });
    assert.ok(Math.abs(ours.mtimeMs - node.mtimeMs) < 0.001, `${file}: ${ours.mtimeMs} ${node.mtimeMs}`);
  }
  assert.equal(statFile(path.join(d, 'l'))!.ino, fs.statSync(path.join(d, 'f')).ino, 'followed by default');
  assert.equal(statFile(path.join(d, 'l'), { follow: false })!.mode & S_IFMT, S_IFLNK);
  assert.equal(statFile(d)!.mode & S_IFMT, S_IFDIR);
  assert.equal(statFile(path.join(d, 'missing')), undefined);
  assert.throws(() => statFile(path.join(d, 'f', 'under')), (err: TsdockerError) => err.code === 'ENOTDIR' && err.message.includes(d));
  assert.equal(pathExists(path.join(d, 'l')), true);
  assert.equal(pathExists(path.join(d, 'missing')), false);
  assert.equal(pathExists(path.join(d, 'f', 'under')), false, 'a failure is a no, as with fs.existsSync');
});

test('readDirectory and readDirectoryTypes: the names readdirSync gives, with their types', (t) => {
  const d = dir(t);
  fs.writeFileSync(path.join(d, 'f'), '');
  fs.mkdirSync(path.join(d, 'sub'));
  fs.symlinkSync('sub', path.join(d, 'l'));
  assert.deepEqual(readDirectory(d).sort(), fs.readdirSync(d).sort());
  assert.deepEqual([...readDirectoryTypes(d)].sort(), [['f', 'f'], ['l', 'l'], ['sub', 'd']]);
  assert.deepEqual(readDirectory(path.join(d, 'sub')), []);
  assert.throws(() => readDirectory(path.join(d, 'missing')), (err: TsdockerError) => err.code === 'ENOENT');
  assert.throws(() => readDirectory(path.join(d, 'f')), (err: TsdockerError) => err.code === 'ENOTDIR');
});

test('makeSymlink, readSymlink, renameFile: EEXIST and EINVAL as fs has them; rename replaces', (t) => {
  const d = dir(t);
  makeSymlink('0123456789abcdef', path.join(d, 'name'));
  assert.equal(readSymlink(path.join(d, 'name')), fs.readlinkSync(path.join(d, 'name')));
  assert.throws(() => makeSymlink('x', path.join(d, 'name')), (err: TsdockerError) => err.code === 'EEXIST');
  fs.writeFileSync(path.join(d, 'f'), '');
  assert.throws(() => readSymlink(path.join(d, 'f')), (err: TsdockerError) => err.code === 'EINVAL');
  fs.writeFileSync(path.join(d, 'new'), 'new');
  renameFile(path.join(d, 'new'), path.join(d, 'f'));
  assert.equal(fs.readFileSync(path.join(d, 'f'), 'utf8'), 'new');
  assert.throws(() => renameFile(path.join(d, 'new'), path.join(d, 'g')), (err: TsdockerError) => err.code === 'ENOENT');
});

test('makeDirectories: mkdir -p with the mode; one that exists is fine', (t) => {
  const d = dir(t);
  const deep = path.join(d, 'a', 'b', 'c');
  makeDirectories(deep, 0o700);
  for (const p of [path.join(d, 'a'), path.join(d, 'a', 'b'), deep]) assert.equal(fs.statSync(p).mode & 0o777, 0o700 & ~process.umask());
  makeDirectories(deep, 0o700);
  fs.writeFileSync(path.join(d, 'file'), '');
  assert.throws(() => makeDirectories(path.join(d, 'file', 'x')), (err: TsdockerError) => err.code === 'ENOTDIR');
});

test('writeFd: all of the buffer; fileSystemType: statfs(2) f_type', (t) => {
  const d = dir(t);
  const fd = fs.openSync(path.join(d, 'f'), 'w');
  try {
    assert.equal(writeFd(fd, Buffer.from('x'.repeat(100000))), 100000);
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(fs.statSync(path.join(d, 'f')).size, 100000);
  assert.throws(() => writeFd(-1, Buffer.from('x')), (err: TsdockerError) => err.code === 'EBADF');
  assert.equal(fileSystemType('/proc'), fs.statfsSync('/proc').type);
  assert.equal(fileSystemType('/proc'), 0x9fa0); // PROC_SUPER_MAGIC
  assert.throws(() => fileSystemType(path.join(d, 'missing')), (err: TsdockerError) => err.code === 'ENOENT');
});
