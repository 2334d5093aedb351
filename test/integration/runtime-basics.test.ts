// The runtime end to end on the real kernel: a busybox bundle becomes a container, and the
// container itself (busybox, native/probe) tells us what it sees. Needs root.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../../src/errors';
import { runBundle } from '../../src/runtime';
import { DOCKER_CAPS_HEX, hostState, makeBundle, newId, removeBundle, runMain, skip } from './runtime-support';
import type { RuntimeSpec } from '../../src/runtime/spec';

let initial = '';
before(() => { if (!skip) initial = hostState(); });
after(() => { if (!skip) assert.equal(hostState(), initial, 'mounts or cgroups left behind'); });

/** Run a command in a fresh bundle; the bundle is removed afterwards. */
async function run(args: string[], edit?: (s: RuntimeSpec) => void, flags: string[] = [], input?: string) {
  const bundle = makeBundle(args, edit);
  try {
    return await runMain(bundle, flags, input);
  } finally {
    removeBundle(bundle);
  }
}

test('the command is pid 1 and sees only its own processes', { skip }, async () => {
  // "; echo done" keeps sh alive as pid 1 while ps runs as pid 2 (otherwise sh would exec ps).
  const r = await run(['sh', '-c', 'echo $$; ps -o pid,comm; echo done']);
  assert.equal(r.code, 0, r.stderr);
  const [pid, header, ...ps] = r.stdout.trim().split('\n');
  assert.equal(pid, '1');
  assert.match(header, /PID/);
  assert.deepEqual(ps.map((l) => l.trim().split(/\s+/)[0]), ['1', '2', 'done'], r.stdout);
});

test('hostname comes from the spec, in its own UTS namespace', { skip }, async () => {
  const r = await run(['hostname'], (s) => { s.hostname = 'teapot'; });
  assert.equal(r.stdout, 'teapot\n');
});

test('/proc is mounted, masked paths read empty, /proc/sys is read-only', { skip }, async () => {
  const r = await run(['sh', '-c', [
    'test -e /proc/self/status && echo proc',
    'for f in /proc/kcore /proc/keys /proc/timer_list; do test -e $f && wc -c < $f; done',
    'ls -A /sys/firmware | wc -l',
    'echo x > /proc/sys/kernel/domainname',
  ].join('; ')]);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'proc');
  // Each masked file that exists on this kernel reads 0 bytes; /sys/firmware is an empty tmpfs.
  assert.ok(lines.slice(1).every((l) => l.trim() === '0'), r.stdout);
  assert.match(r.stderr, /domainname: Read-only file system/);
});

test('/dev holds exactly the default devices, made fresh in a tmpfs', { skip }, async () => {
  const r = await run(['sh', '-c', 'ls -A /dev; stat -c "%n %t:%T" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; readlink /dev/ptmx']);
  const [names, devices, ptmx] = [r.stdout.split('\n').slice(0, 15), r.stdout.split('\n').slice(15, 21), r.stdout.split('\n')[21]];
  assert.deepEqual(names, ['core', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm',
    'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
  assert.deepEqual(devices, ['/dev/null 1:3', '/dev/zero 1:5', '/dev/full 1:7', '/dev/random 1:8',
    '/dev/urandom 1:9', '/dev/tty 5:0']);
  assert.equal(ptmx, 'pts/ptmx');
});

test('capabilities are Docker\'s default set and mounting is refused', { skip }, async () => {
  const r = await run(['sh', '-c', 'grep ^Cap /proc/self/status; mount -t tmpfs x /tmp']);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'CapInh:\t0000000000000000', `CapPrm:\t${DOCKER_CAPS_HEX}`, `CapEff:\t${DOCKER_CAPS_HEX}`,
    `CapBnd:\t${DOCKER_CAPS_HEX}`, 'CapAmb:\t0000000000000000',
  ]);
  assert.match(r.stderr, /permission denied/);
});

test('only descriptors 0, 1 and 2 reach the container', { skip }, async () => {
  const r = await run(['probe', 'fds']);
  assert.equal(r.stdout, '0 1 2\n');
});

test('the spec\'s user, group and additional groups apply; a missing cwd is created', { skip }, async () => {
  const r = await run(['sh', '-c', 'id -u; id -g; id -G; pwd; grep ^CapEff /proc/self/status'], (s) => {
    s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 20] };
    s.process.cwd = '/work/deep/dir';
  });
  assert.equal(r.stdout, '1000\n1001\n1001 5 20\n/work/deep/dir\nCapEff:\t0000000000000000\n', r.stderr);
});

test('stdout and stderr stay apart', { skip }, async () => {
  const r = await run(['sh', '-c', 'echo out; echo err >&2; echo out2']);
  assert.equal(r.stdout, 'out\nout2\n');
  assert.equal(r.stderr, 'err\n');
});

test('stdin is relayed only with -i', { skip }, async () => {
  const big = 'x'.repeat(300_000) + '\n';
  const withStdin = await run(['sh', '-c', 'wc -c'], undefined, ['-i'], big);
  assert.equal(withStdin.stdout.trim(), String(big.length));
  const without = await run(['sh', '-c', 'wc -c'], undefined, [], 'ignored\n');
  assert.equal(without.stdout.trim(), '0');
});

test('exit codes: own status, 126 not executable, 127 not found', { skip }, async () => {
  assert.equal((await run(['true'])).code, 0);
  assert.equal((await run(['sh', '-c', 'exit 3'])).code, 3);
  const notExec = await run(['/etc/passwd']);
  assert.equal(notExec.code, 126);
  assert.equal(notExec.stderr, 'tsdocker: exec: "/etc/passwd": permission denied\n');
  const notFound = await run(['nosuchcommand']);
  assert.equal(notFound.code, 127);
  assert.equal(notFound.stderr, 'tsdocker: exec: "nosuchcommand": executable file not found in $PATH\n');
  assert.equal((await run(['/no/such/file'])).code, 127);
});

test('a process killed by signal N exits 128+N', { skip }, async () => {
  const bundle = makeBundle(['sleep', '60']);
  try {
    const status = await runBundle({
      bundle, id: newId(), stdin: false, onStart: (pid) => process.kill(pid, 'SIGKILL'),
    });
    assert.deepEqual(status, { exitCode: 137, signal: 9, oomKilled: false });
  } finally {
    removeBundle(bundle);
  }
});

test('--read-only makes / read-only but not /dev or /tmp mounts', { skip }, async () => {
  const r = await run(['sh', '-c', 'touch /etc/x; touch /dev/shm/ok && echo shm'], (s) => { s.root.readonly = true; });
  assert.match(r.stderr, /\/etc\/x: Read-only file system/);
  assert.equal(r.stdout, 'shm\n');
});

test('a bind mount with ro applies, and the container cannot write through it', { skip }, async () => {
  const dir = fs.mkdtempSync('/tmp/tsdocker-runtime-vol-');
  fs.writeFileSync(path.join(dir, 'f'), 'from host\n');
  try {
    const r = await run(['sh', '-c', 'cat /data/f; echo no > /data/g'], (s) => {
      s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['rbind', 'ro'] });
    });
    assert.equal(r.stdout, 'from host\n');
    assert.match(r.stderr, /Read-only file system/);
    assert.ok(!fs.existsSync(path.join(dir, 'g')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure inside the container comes back as one line naming the step and errno', { skip }, async () => {
  const bundle = makeBundle(['true'], (s) => {
    s.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent-tsdocker-source', options: ['rbind'] });
  });
  try {
    await assert.rejects(runBundle({ bundle, id: newId(), stdin: false }), (err: unknown) => {
      assert.ok(err instanceof TsdockerError);
      assert.equal(err.message, 'container setup: stat bind source /nonexistent-tsdocker-source: ENOENT (no such file or directory)');
      assert.equal(err.exitCode, 125);
      return true;
    });
  } finally {
    removeBundle(bundle);
  }
});

test('a symlink in the image cannot redirect a mount to the host', { skip }, async () => {
  const bundle = makeBundle(['sh', '-c', 'ls /escape'], (s) => {
    s.mounts!.push({ destination: '/escape/inner', type: 'tmpfs', source: 'tmpfs', options: [] });
  });
  const hostDir = fs.mkdtempSync('/tmp/tsdocker-runtime-target-');
  try {
    // /escape -> /tmp/<host dir>: resolved inside the rootfs, so the tmpfs lands in rootfs/tmp/...
    fs.symlinkSync(hostDir, path.join(bundle, 'rootfs', 'escape'));
    fs.mkdirSync(path.join(bundle, 'rootfs', hostDir), { recursive: true });
    const r = await runMain(bundle);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(hostDir), []);
    assert.ok(fs.existsSync(path.join(bundle, 'rootfs', hostDir, 'inner')));
  } finally {
    fs.rmSync(hostDir, { recursive: true, force: true });
    removeBundle(bundle);
  }
});
