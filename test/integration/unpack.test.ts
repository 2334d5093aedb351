// Layer extraction on the real filesystem, as root: whiteouts, hostile names, links, devices, xattrs,
// compression and diff_id, and a real overlayfs mount of unpacked layers. Every hostile tar runs
// next to a "canary" directory outside the layer; the canary must be unchanged afterwards.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { unpackLayer } from '../../src/image/unpack';
import { lgetxattr, llistxattr, mount, umount2, MS_RDONLY } from '../../src/sys/libc';

const TAR = 'application/vnd.oci.image.layer.v1.tar';
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const DOCKER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const MTIME = new Date('2024-01-01T00:00:00Z');

const skip = process.getuid?.() !== 0 ? 'needs root (mknod, chown, trusted.* xattrs, mount)' : false;

type Entry = Partial<tar.Header> & { name: string; content?: string | Buffer; pax?: Record<string, string> };

/** A tar built with tar-stream's pack(): names are written as given, hostile ones included. */
async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { content, ...header } of entries) {
    pack.entry({ mtime: MTIME, uid: 0, gid: 0, ...header }, content ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function zstd(data: Buffer): Buffer {
  const result = spawnSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr?.toString());
  return result.stdout;
}

function sha256(data: Buffer): string {
  return 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');
}

let work: string; // a temp dir holding canary/ and one directory per unpacked layer
let canary: string;
let layerCount = 0;

before(() => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-unpack-'));
  canary = path.join(work, 'canary');
  fs.mkdirSync(canary, 0o755);
  fs.writeFileSync(path.join(canary, 'passwd'), 'root:x:0:0::/root:/bin/sh\n', { mode: 0o644 });
  fs.writeFileSync(path.join(canary, 'shadow'), 'root:*:19000::::::\n', { mode: 0o640 });
  fs.mkdirSync(path.join(canary, 'dir'), 0o755);
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function newLayerDir(): string {
  const dir = path.join(work, 'layers', String(++layerCount));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Unpack a tar (plain unless told) into a fresh layer dir; returns the dir. */
async function unpack(data: Buffer, opts: { mediaType?: string; parents?: string[]; expectedDiffId?: string } = {}) {
  const dest = newLayerDir();
  const result = await unpackLayer(Readable.from([data]), { mediaType: opts.mediaType ?? TAR, dest, parents: opts.parents ?? [], expectedDiffId: opts.expectedDiffId });
  return { dest, ...result };
}

/** Everything about the canary tree that an escape could change. */
function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    const content = st.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '';
    lines.push(`${path.relative(dir, p)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ino=${st.ino} nlink=${st.nlink} ${st.mtimeMs} ${content} ${JSON.stringify(llistxattr(p))}`);
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name));
  };
  walk(dir);
  return lines.join('\n');
}

/** Run a hostile tar: it must either be rejected or stay inside its layer; the canary must not change. */
async function hostile(entries: Entry[], expectError?: RegExp): Promise<string | undefined> {
  const before = snapshot(canary);
  const data = await makeTar(entries);
  let dest: string | undefined;
  if (expectError) {
    await assert.rejects(unpack(data), expectError);
  } else {
    dest = (await unpack(data)).dest;
  }
  assert.equal(snapshot(canary), before, 'the canary outside the layer changed');
  assert.ok(!fs.existsSync('/tmp/pwn'));
  return dest;
}

test('a whiteout becomes a 0:0 character device and the marker is gone', { skip }, async () => {
  const { dest } = await unpack(await makeTar([{ name: 'dir/', type: 'directory' }, { name: 'dir/.wh.file1' }, { name: '.wh.top' }]));
  for (const p of ['dir/file1', 'top']) {
    const st = fs.lstatSync(path.join(dest, p));
    assert.ok(st.isCharacterDevice(), `${p} is a character device`);
    assert.equal(st.rdev, 0);
  }
  assert.ok(!fs.existsSync(path.join(dest, 'dir/.wh.file1')));
  assert.ok(!fs.existsSync(path.join(dest, '.wh.top')));
});

test('an opaque marker after the directory\'s children keeps them and sets trusted.overlay.opaque', { skip }, async () => {
  const { dest } = await unpack(await makeTar([
    { name: 'a/', type: 'directory' }, { name: 'a/b/', type: 'directory' }, { name: 'a/b/c/', type: 'directory' },
    { name: 'a/b/c/foo', content: 'foo' }, { name: 'a/.wh..wh..opq' },
  ]));
  assert.equal(lgetxattr(path.join(dest, 'a'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(fs.readFileSync(path.join(dest, 'a/b/c/foo'), 'utf8'), 'foo');
  assert.deepEqual(fs.readdirSync(path.join(dest, 'a')), ['b']);
});

test('whiteouts that name nothing, ".", ".." or escape are rejected', { skip }, async () => {
  await hostile([{ name: '.wh.' }], /names no file/);
  await hostile([{ name: 'a/.wh..' }], /names no file/);
  await hostile([{ name: '.wh...' }], /names no file/);
  await hostile([{ name: 'a/.wh.../../etc' }], /"\.\." component/);
  await hostile([{ name: `.wh.${'../'.repeat(12)}${canary.slice(1)}/passwd` }], /"\.\." component/);
});

test('overlay xattrs from PAX records are dropped, others kept', { skip }, async () => {
  const { dest } = await unpack(await makeTar([{
    name: 'd/', type: 'directory',
    pax: {
      'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.trusted.overlay.opaque': 'y',
      'SCHILY.xattr.user.overlay.origin': 'x', 'SCHILY.xattr.user.keep': 'kept',
    },
  }]));
  const d = path.join(dest, 'd');
  assert.deepEqual(llistxattr(d).sort(), ['user.keep']);
  assert.equal(lgetxattr(d, 'trusted.overlay.redirect'), undefined);
  assert.equal(lgetxattr(d, 'trusted.overlay.opaque'), undefined);
});

test('".." escapes are rejected and absolute names land inside the layer', { skip }, async () => {
  await hostile([{ name: '../../../../tmp/pwn', content: 'pwned' }], /"\.\." component/);
  await hostile([{ name: `${'../'.repeat(12)}${canary.slice(1)}/passwd`, content: 'pwned' }], /"\.\." component/);
  const dest = await hostile([{ name: `${canary}/passwd`, content: 'inside' }, { name: '/etc/passwd', content: 'inside too' }]);
  assert.equal(fs.readFileSync(path.join(dest!, canary, 'passwd'), 'utf8'), 'inside');
  assert.equal(fs.readFileSync(path.join(dest!, 'etc/passwd'), 'utf8'), 'inside too');
});

test('a symlinked parent is followed only inside the layer', { skip }, async () => {
  // etc -> <canary> then etc/passwd: the write resolves as in a chroot, to <layer>/<canary>/passwd.
  const dest = await hostile([{ name: 'etc', type: 'symlink', linkname: canary }, { name: 'etc/passwd', content: 'pwned' }]);
  assert.equal(fs.readlinkSync(path.join(dest!, 'etc')), canary);
  assert.equal(fs.readFileSync(path.join(dest!, canary, 'passwd'), 'utf8'), 'pwned');
  // etc -> /etc (absolute, pointing at itself once rooted) loops: rejected, nothing written.
  await hostile([{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/passwd', content: 'pwned' }], /too many levels of symbolic links/);
  // A relative escape through a symlink stops at the layer root.
  const dest2 = await hostile([{ name: 'up', type: 'symlink', linkname: '../../../../../..' + canary }, { name: 'up/shadow', content: 'pwned' }]);
  assert.equal(fs.readFileSync(path.join(dest2!, canary, 'shadow'), 'utf8'), 'pwned');
});

test('a directory entry replaces a symlink instead of chmod-ing through it', { skip }, async () => {
  const dest = await hostile([{ name: 'x', type: 'symlink', linkname: path.join(canary, 'dir') }, { name: 'x/', type: 'directory', mode: 0o777 }]);
  const st = fs.lstatSync(path.join(dest!, 'x'));
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o7777, 0o777);
});

test('a hardlink to a symlink links the symlink, and nothing is chmod-ed through it', { skip }, async () => {
  const dest = await hostile([
    { name: 'lnk', type: 'symlink', linkname: path.join(canary, 'shadow') },
    { name: 'h', type: 'link', linkname: 'lnk', mode: 0o4777 },
  ]);
  const h = fs.lstatSync(path.join(dest!, 'h'));
  assert.ok(h.isSymbolicLink());
  assert.equal(h.ino, fs.lstatSync(path.join(dest!, 'lnk')).ino);
});

test('hardlinks out of the layer are rejected and never share a host inode', { skip }, async () => {
  await hostile([{ name: 'h', type: 'link', linkname: '../../canary/passwd' }], /"\.\." component/);
  // An absolute target is a name inside the layer, which this layer does not have.
  await hostile([{ name: 'h', type: 'link', linkname: path.join(canary, 'passwd') }], /is not in this layer or below/);
  assert.equal(fs.statSync(path.join(canary, 'passwd')).nlink, 1);
});

test('the same path twice: the last entry wins and the first is not followed', { skip }, async () => {
  const dest = await hostile([
    { name: 's', type: 'symlink', linkname: path.join(canary, 'passwd') }, { name: 's', content: 'regular' },
    { name: 'f', content: 'first' }, { name: 'f', type: 'symlink', linkname: path.join(canary, 'shadow') },
    { name: 'd/', type: 'directory' }, { name: 'd/child', content: 'c' }, { name: 'd', content: 'file over dir' },
  ]);
  assert.equal(fs.readFileSync(path.join(dest!, 's'), 'utf8'), 'regular');
  assert.equal(fs.readlinkSync(path.join(dest!, 'f')), path.join(canary, 'shadow'));
  assert.equal(fs.readFileSync(path.join(dest!, 'd'), 'utf8'), 'file over dir');
});

test('a hardlink to a lower layer\'s file copies it up; the lower file is never shared', { skip }, async () => {
  const lower = (await unpack(await makeTar([
    { name: 'bin/', type: 'directory' }, { name: 'bin/tool', content: 'v1', mode: 0o4755, uid: 1000, gid: 100 },
    { name: 'tmp/', type: 'directory', mode: 0o1777 }, { name: 'gone', content: 'x' },
  ]))).dest;
  const { dest: upper, size } = await unpack(await makeTar([
    { name: 'usr/bin/', type: 'directory' }, { name: 'usr/bin/tool2', type: 'link', linkname: 'bin/tool' },
    { name: 'tmp/new', content: 'n' },
  ]), { parents: [lower] });
  const copy = fs.statSync(path.join(upper, 'bin/tool'));
  const link = fs.statSync(path.join(upper, 'usr/bin/tool2'));
  const original = fs.statSync(path.join(lower, 'bin/tool'));
  assert.equal(link.ino, copy.ino);
  assert.notEqual(copy.ino, original.ino);
  assert.equal(original.nlink, 1);
  assert.equal(copy.mode & 0o7777, 0o4755);
  assert.deepEqual([copy.uid, copy.gid], [1000, 100]);
  assert.equal(size, 3); // "v1" copied up plus "n"
  // tmp/ was implied by tmp/new: it takes the lower layer's owner and mode, 1777.
  assert.equal(fs.statSync(path.join(upper, 'tmp')).mode & 0o7777, 0o1777);
  fs.writeFileSync(path.join(upper, 'usr/bin/tool2'), 'v2');
  assert.equal(fs.readFileSync(path.join(upper, 'bin/tool'), 'utf8'), 'v2');
  assert.equal(fs.readFileSync(path.join(lower, 'bin/tool'), 'utf8'), 'v1');

  // A file deleted by a whiteout (in this layer or between) cannot be linked to.
  await assert.rejects(unpack(await makeTar([{ name: '.wh.gone' }, { name: 'h', type: 'link', linkname: 'gone' }]), { parents: [lower] }),
    /"gone" is not in this layer or below/);
  const middle = (await unpack(await makeTar([{ name: '.wh.gone' }]), { parents: [lower] })).dest;
  await assert.rejects(unpack(await makeTar([{ name: 'h', type: 'link', linkname: 'gone' }]), { parents: [middle, lower] }),
    /is not in this layer or below/);
});

test('device nodes and FIFOs are made with their numbers', { skip }, async () => {
  const { dest } = await unpack(await makeTar([
    { name: 'evil_mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o600 },
    { name: 'evil_sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
    { name: 'fifo', type: 'fifo', mode: 0o644 },
  ]));
  const mem = fs.lstatSync(path.join(dest, 'evil_mem'));
  assert.ok(mem.isCharacterDevice());
  assert.equal(mem.rdev, (1 << 8) | 1);
  assert.equal(mem.mode & 0o7777, 0o600);
  const sda = fs.lstatSync(path.join(dest, 'evil_sda'));
  assert.ok(sda.isBlockDevice());
  assert.equal(sda.rdev, 8 << 8);
  assert.equal(sda.gid, 6);
  assert.ok(fs.lstatSync(path.join(dest, 'fifo')).isFIFO());
});

test('setuid, owners and times survive; security.capability is kept', { skip }, async () => {
  // struct vfs_cap_data revision 2 for cap_net_raw+ep (linux/capability.h); every byte < 0x80.
  const cap = Buffer.alloc(20);
  cap.writeUInt32LE(0x02000001, 0);
  cap.writeUInt32LE(1 << 13, 4);
  const { dest } = await unpack(await makeTar([
    { name: 'bin/', type: 'directory', mode: 0o755, mtime: new Date('2020-02-02T00:00:00Z') },
    { name: 'bin/su', content: 'ELF', mode: 0o4755, uid: 0, gid: 0 },
    { name: 'bin/wall', content: 'ELF', mode: 0o2755, uid: 0, gid: 5 },
    { name: 'bin/ping', content: 'ELF', mode: 0o755, uid: 1000, gid: 1000, pax: { 'SCHILY.xattr.security.capability': cap.toString('latin1') } },
    { name: 'bin/sh', type: 'symlink', linkname: 'dash', uid: 7, gid: 8 },
  ]));
  assert.equal(fs.statSync(path.join(dest, 'bin/su')).mode & 0o7777, 0o4755);
  const wall = fs.statSync(path.join(dest, 'bin/wall'));
  assert.equal(wall.mode & 0o7777, 0o2755);
  assert.equal(wall.gid, 5);
  assert.deepEqual(lgetxattr(path.join(dest, 'bin/ping'), 'security.capability'), cap);
  assert.equal(fs.statSync(path.join(dest, 'bin/ping')).uid, 1000);
  const sh = fs.lstatSync(path.join(dest, 'bin/sh'));
  assert.deepEqual([sh.uid, sh.gid], [7, 8]);
  assert.equal(fs.statSync(path.join(dest, 'bin/su')).mtimeMs, MTIME.getTime());
  // The directory's time is set after its children were created in it.
  assert.equal(fs.statSync(path.join(dest, 'bin')).mtimeMs, Date.parse('2020-02-02T00:00:00Z'));
});

/** A comparable description of a tree: names, types, modes, owners, contents, xattrs, times. */
function describe(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const p = path.join(root, rel);
    const st = fs.lstatSync(p);
    const content = st.isFile() ? sha256(fs.readFileSync(p)) : st.isSymbolicLink() ? fs.readlinkSync(p) : '';
    const xattrs = llistxattr(p).sort().map((n) => `${n}=${lgetxattr(p, n)?.toString('hex')}`);
    // A whiteout has no time of its own in the tar: it is made when unpacked.
    const mtime = st.isCharacterDevice() && st.rdev === 0 ? '' : st.mtimeMs;
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} rdev=${st.rdev} ${mtime} ${content} ${xattrs.join(',')}`);
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(path.join(rel, name));
  };
  walk('.');
  return out.slice(1); // the layer root itself is the temp dir
}

test('tar, tar+gzip and tar+zstd of one layer give identical trees and the right diff_id', { skip }, async () => {
  const data = await makeTar([
    { name: 'etc/', type: 'directory' }, { name: 'etc/hostname', content: 'box\n' },
    { name: 'big', content: crypto.randomBytes(300_000) }, { name: 'zeros', content: Buffer.alloc(2_000_000) },
    { name: 'link', type: 'symlink', linkname: 'etc/hostname' }, { name: 'hard', type: 'link', linkname: 'etc/hostname' },
    { name: 'etc/.wh.motd' }, { name: 'var/', type: 'directory' }, { name: 'var/.wh..wh..opq' }, { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
  ]);
  const diffId = sha256(data);
  const plain = await unpack(data, { expectedDiffId: diffId });
  const gzip = await unpack(zlib.gzipSync(data), { mediaType: GZIP, expectedDiffId: diffId });
  const docker = await unpack(zlib.gzipSync(data), { mediaType: DOCKER_GZIP, expectedDiffId: diffId });
  const zst = await unpack(zstd(data), { mediaType: ZSTD, expectedDiffId: diffId });
  for (const r of [plain, gzip, docker, zst]) {
    assert.equal(r.diffId, diffId);
    assert.equal(r.size, 4 + 300_000 + 2_000_000);
  }
  const tree = describe(plain.dest);
  assert.ok(tree.length >= 8);
  assert.deepEqual(describe(gzip.dest), tree);
  assert.deepEqual(describe(docker.dest), tree);
  assert.deepEqual(describe(zst.dest), tree);
});

test('a diff_id mismatch, a media type that lies, and a corrupt stream are rejected', { skip }, async () => {
  const data = await makeTar([{ name: 'f', content: 'x' }]);
  await assert.rejects(unpack(data, { expectedDiffId: sha256(Buffer.from('other')) }), /diff_id mismatch/);
  await assert.rejects(unpack(zlib.gzipSync(data), { mediaType: ZSTD }), /layer data is gzip but its media type is .*tar\+zstd/);
  await assert.rejects(unpack(zlib.gzipSync(data), { mediaType: TAR }), /layer data is gzip but/);
  await assert.rejects(unpack(data, { mediaType: GZIP }), /layer data is not compressed but/);
  await assert.rejects(unpack(data, { mediaType: 'application/vnd.oci.image.layer.v1.tar+lz4' }), /unsupported layer media type/);
  const gz = zlib.gzipSync(data);
  await assert.rejects(unpack(gz.subarray(0, gz.length - 20), { mediaType: GZIP }), /read layer: Z_BUF_ERROR \(unexpected end of file\)/);
  await assert.rejects(unpack(data.subarray(0, 700)), /read layer: Unexpected end of data/);
  const zs = zstd(data);
  await assert.rejects(unpack(zs.subarray(0, zs.length - 5), { mediaType: ZSTD }), /zstd: unexpected EOF/);
});

test('a 256 MiB layer streams through in bounded memory (gzip and zstd)', { skip }, () => {
  // In a child process, so its peak RSS is the unpack's alone. The file is all zeros: a few KB of
  // zstd that a decoder fed whole would turn into 256 MiB at once.
  const src = path.join(work, 'big-src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'zeros'), '');
  fs.truncateSync(path.join(src, 'zeros'), 256 << 20);
  const script = `
    const { unpackLayer } = require(${JSON.stringify(path.join(__dirname, '../../src/image/unpack.js'))});
    unpackLayer(process.stdin, { mediaType: process.argv[1], dest: process.argv[2], parents: [] })
      .then((r) => console.log(JSON.stringify({ size: r.size, maxRssKiB: process.resourceUsage().maxRSS })))
      .catch((e) => { console.error(e.message); process.exit(1); });`;
  for (const [compress, mediaType] of [['gzip -1', GZIP], ['zstd -q -3', ZSTD]]) {
    const dest = newLayerDir();
    const result = spawnSync('bash', ['-c', `tar -C "$1" -cf - zeros | ${compress} -c | "$2" -e "$3" "$4" "$5"`,
      'bash', src, process.execPath, script, mediaType, dest], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const { size, maxRssKiB } = JSON.parse(result.stdout);
    assert.equal(size, 256 << 20);
    assert.ok(maxRssKiB < 160 * 1024, `${mediaType}: peak RSS ${maxRssKiB} KiB`);
    fs.rmSync(dest, { recursive: true });
  }
});

test('overlayfs over two unpacked layers: a whiteout hides a file, an opaque dir hides children', { skip }, async (t) => {
  const lower = (await unpack(await makeTar([
    { name: 'file1', content: 'one' }, { name: 'keep', content: 'k' },
    { name: 'a/', type: 'directory' }, { name: 'a/old', content: 'old' }, { name: 'a/b/', type: 'directory' }, { name: 'a/b/c', content: 'c' },
  ]))).dest;
  const upper = (await unpack(await makeTar([
    { name: '.wh.file1' }, { name: 'a/new', content: 'new' }, { name: 'a/.wh..wh..opq' },
  ]), { parents: [lower] })).dest;
  const target = path.join(work, 'merged');
  fs.mkdirSync(target);
  // Two lower dirs and no upper: a read-only overlay, the leftmost lowerdir on top (overlayfs.rst).
  mount('overlay', target, 'overlay', MS_RDONLY, `lowerdir=${upper}:${lower},redirect_dir=nofollow,metacopy=off`);
  t.after(() => umount2(target));
  assert.deepEqual(fs.readdirSync(target).sort(), ['a', 'keep']);
  assert.deepEqual(fs.readdirSync(path.join(target, 'a')), ['new']);
  assert.ok(!fs.existsSync(path.join(target, 'file1')));
  assert.equal(fs.readFileSync(path.join(target, 'keep'), 'utf8'), 'k');
});
