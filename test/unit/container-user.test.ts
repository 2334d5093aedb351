import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveUser, resolveUserFrom } from '../../src/container/user';
import { mkdirInRoot, readFileInRoot, resolveInRoot } from '../../src/container/rootpath';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'app:x:1000:1000:App:/home/app:/bin/sh',
  '# a comment',
  'broken:x:notanumber:0::/:/bin/sh',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'wheel:x:10:app,other', 'audio:x:29:app', 'app:x:1000:', 'staff:x:50:'].join('\n');

test('by name: uid, primary gid, home and supplementary groups', () => {
  assert.deepEqual(resolveUserFrom('app', PASSWD, GROUP), { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app' });
});

test('empty means root', () => {
  assert.deepEqual(resolveUserFrom('', PASSWD, GROUP), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
});

test('by number: found in passwd or used as is', () => {
  assert.deepEqual(resolveUserFrom('1000', PASSWD, GROUP), { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app' });
  assert.deepEqual(resolveUserFrom('4242', PASSWD, GROUP), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
  assert.deepEqual(resolveUserFrom('4242:4343', undefined, undefined), { uid: 4242, gid: 4343, additionalGids: [], home: '/' });
});

test('an explicit group replaces the primary group and the supplementary ones', () => {
  assert.deepEqual(resolveUserFrom('app:staff', PASSWD, GROUP), { uid: 1000, gid: 50, additionalGids: [], home: '/home/app' });
  assert.deepEqual(resolveUserFrom('app:77', PASSWD, GROUP), { uid: 1000, gid: 77, additionalGids: [], home: '/home/app' });
});

test('unknown names are clear errors', () => {
  assert.throws(() => resolveUserFrom('nobody', PASSWD, GROUP), /unable to find user nobody: no matching entries in passwd file/);
  assert.throws(() => resolveUserFrom('app:nogroup', PASSWD, GROUP), /unable to find group nogroup/);
  assert.throws(() => resolveUserFrom('app', undefined, undefined), /unable to find user app/);
  assert.throws(() => resolveUserFrom('app:', PASSWD, GROUP), /invalid user/);
  assert.throws(() => resolveUserFrom('99999999999', PASSWD, GROUP), /out of range/);
});

function tempRoot(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-rootfs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'etc'));
  return dir;
}

test('reads the rootfs\'s own /etc/passwd and /etc/group', (t) => {
  const root = tempRoot(t);
  fs.writeFileSync(path.join(root, 'etc/passwd'), PASSWD);
  fs.writeFileSync(path.join(root, 'etc/group'), GROUP);
  assert.equal(resolveUser(root, 'app').uid, 1000);
});

test('/etc/passwd -> /dev/zero is refused without reading forever', (t) => {
  const root = tempRoot(t);
  fs.symlinkSync('/dev/zero', path.join(root, 'etc/passwd'));
  // The link is resolved inside the rootfs, where /dev/zero does not exist: no passwd at all.
  assert.throws(() => resolveUser(root, 'app'), /unable to find user app/);
  fs.mkdirSync(path.join(root, 'dev'));
  fs.symlinkSync('/dev/zero', path.join(root, 'dev/zero')); // a loop: /dev/zero -> /dev/zero
  assert.throws(() => resolveUser(root, 'app'), /too many levels of symbolic links/);
});

test('a device node as /etc/passwd is not read', (t) => {
  const root = tempRoot(t);
  // The host's /dev/zero, reached by a bind-like hardlink is not possible; a fifo is the
  // unprivileged stand-in for "not a regular file" and must not block.
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  execFileSync('mkfifo', [path.join(root, 'etc/passwd')]);
  assert.throws(() => resolveUser(root, 'app'), /container file \/etc\/passwd is not a regular file/);
});

test('symlinks to host files resolve inside the rootfs, never on the host', (t) => {
  const root = tempRoot(t);
  fs.writeFileSync(path.join(root, 'etc/real-passwd'), 'app:x:1234:1234::/h:/bin/sh\n');
  fs.symlinkSync('../../../../../../etc/real-passwd', path.join(root, 'etc/passwd'));
  assert.equal(resolveUser(root, 'app').uid, 1234);
  fs.rmSync(path.join(root, 'etc/passwd'));
  fs.symlinkSync('/etc/shadow', path.join(root, 'etc/passwd'));
  assert.throws(() => resolveUser(root, 'root'), /unable to find user root/); // host's /etc/shadow never read
  assert.equal(resolveInRoot(root, '/etc/passwd'), path.join(root, 'etc/shadow'));
});

test('a huge passwd file is a bounded, clean error', (t) => {
  const root = tempRoot(t);
  fs.writeFileSync(path.join(root, 'etc/passwd'), Buffer.alloc(4 * 1024 * 1024 + 1, 'a'));
  assert.throws(() => resolveUser(root, 'app'), /larger than/);
});

test('the working directory is created inside the rootfs even through a hostile symlink', (t) => {
  const root = tempRoot(t);
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-outside-'));
  t.after(() => fs.rmSync(outside, { recursive: true, force: true }));
  fs.symlinkSync(outside, path.join(root, 'data'));
  const made = mkdirInRoot(root, '/data/work/dir');
  assert.equal(made, path.join(root, outside, 'work/dir'));
  assert.ok(fs.statSync(made).isDirectory());
  assert.deepEqual(fs.readdirSync(outside), []);
});

test('readFileInRoot: whole file, missing file, over the limit, not a regular file, links kept inside', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-readroot-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'etc'));
  const big = 'x'.repeat(20_000);
  fs.writeFileSync(path.join(root, 'etc', 'big'), big);
  assert.equal(readFileInRoot(root, '/etc/big', 1 << 20), big);
  assert.equal(readFileInRoot(root, '/etc/missing', 100), undefined);
  assert.throws(() => readFileInRoot(root, '/etc/big', 19_999), /larger than 19999 bytes/);
  assert.throws(() => readFileInRoot(root, '/etc', 100), /not a regular file/);
  // An absolute link is resolved in the container's root, not the host's.
  fs.writeFileSync(path.join(root, 'etc', 'passwd.real'), PASSWD);
  fs.symlinkSync('/etc/passwd.real', path.join(root, 'etc', 'passwd'));
  assert.equal(readFileInRoot(root, '/etc/passwd', 1 << 20), PASSWD);
});
