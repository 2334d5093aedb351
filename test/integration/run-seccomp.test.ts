// The seccomp filter, Docker's default profile as a deny list (src/container/seccomp.ts,
// native/seccomp.c), asked of the kernel: /proc/self/status says whether a filter is on, and
// native/probe makes the system calls directly and prints their errno. The calls chosen need no
// capability the container lacks (keyctl, userfaultfd as root, personality), or are tried with
// --cap-add SYS_ADMIN, so a refusal proves the filter and not a dropped capability.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { background, ROOT_DIR, setup, skip, tsdockerSync, type Env } from './run-support';

const PROBE = path.join(ROOT_DIR, 'native', 'probe');

describe('seccomp', { skip: skip || (!fs.existsSync(PROBE) ? 'needs native/probe (make -C native)' : false) }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  const run = (flags: string[], args: string[]) =>
    tsdockerSync(e, ['run', '--rm', '--network', 'none', '-v', `${PROBE}:/probe:ro`, ...flags, e.image, ...args]);
  const seccompMode = (flags: string[]) => {
    const r = run(flags, ['grep', '^Seccomp:', '/proc/self/status']);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split(/\s+/)[1];
  };
  /** "name errno-or-ok" per call, as probe prints them. */
  const calls = (flags: string[], names: string[]) => {
    const r = run(flags, ['/probe', 'call', ...names]);
    assert.equal(r.status, 0, r.stderr);
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')));
  };

  test('by default the container runs under a filter (Seccomp: 2), as under Docker', () => {
    assert.equal(seccompMode([]), '2');
  });

  test('--security-opt seccomp=unconfined and --privileged: no filter (Seccomp: 0)', () => {
    assert.equal(seccompMode(['--security-opt', 'seccomp=unconfined']), '0');
    assert.equal(seccompMode(['--privileged']), '0');
  });

  test('denied calls fail with EPERM; without the filter the kernel allows them', () => {
    const names = ['keyctl', 'userfaultfd', 'personality', 'io_uring_setup'];
    assert.deepEqual(calls([], names), { keyctl: 'EPERM', userfaultfd: 'EPERM', personality: 'EPERM', io_uring_setup: 'EPERM' });
    const free = calls(['--security-opt', 'seccomp=unconfined'], names);
    assert.equal(free.userfaultfd, 'ok');
    assert.equal(free.personality, 'ok');
    // The sysctl kernel.io_uring_disabled (Linux 6.6 and later) may refuse it on a host.
    const sysctl = '/proc/sys/kernel/io_uring_disabled';
    if (!fs.existsSync(sysctl) || fs.readFileSync(sysctl, 'utf8').trim() === '0') assert.equal(free.io_uring_setup, 'ok');
    assert.notEqual(free.keyctl, 'EPERM');
  });

  test('clone with a CLONE_NEW* flag is EPERM, clone3 ENOSYS, until --cap-add SYS_ADMIN lifts them', () => {
    assert.deepEqual(calls([], ['clone', 'clone3', 'unshare']), { clone: 'EPERM', clone3: 'ENOSYS', unshare: 'EPERM' });
    // With CAP_SYS_ADMIN Docker's profile allows clone, clone3, unshare and mount; keyctl stays denied.
    assert.deepEqual(calls(['--cap-add', 'SYS_ADMIN'], ['clone', 'clone3', 'unshare', 'mount', 'keyctl']),
      { clone: 'ok', clone3: 'EINVAL', unshare: 'ok', mount: 'ok', keyctl: 'EPERM' });
  });

  test('--trace says what the filter holds', () => {
    const r = tsdockerSync(e, ['--trace', 'run', '--rm', '--network', 'none', e.image, 'true']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /seccomp: seccomp\(SECCOMP_SET_MODE_FILTER\): default action allow, \d+ syscalls ruled otherwise/);
  });

  test('with no-new-privileges the filter is installed after the user change, and still holds', () => {
    const flags = ['--security-opt', 'no-new-privileges', '-u', '1000'];
    assert.equal(seccompMode(flags), '2');
    assert.equal(calls(flags, ['personality']).personality, 'EPERM');
  });

  test('seccomp=PROFILE.json: a deny list of the user\'s, shown by inspect; Docker-only keys refused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-seccomp-'));
    try {
      const profile = path.join(dir, 'deny-mkdir.json');
      const rules = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
      fs.writeFileSync(profile, JSON.stringify(rules));
      const r = tsdockerSync(e, ['run', '--name', 'prof', '--network', 'none', '--security-opt', `seccomp=${profile}`,
        e.image, 'mkdir', '/x']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /Permission denied/);
      const hc = JSON.parse(tsdockerSync(e, ['inspect', 'prof']).stdout)[0].HostConfig;
      assert.deepEqual(hc.SecurityOpt, [`seccomp=${JSON.stringify(rules)}`]);
      assert.equal(tsdockerSync(e, ['rm', 'prof']).status, 0);

      const docker = path.join(dir, 'docker.json');
      fs.writeFileSync(docker, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', archMap: [], syscalls: [] }));
      const bad = run(['--security-opt', `seccomp=${docker}`], ['true']);
      assert.equal(bad.status, 125);
      assert.match(bad.stderr, /"archMap" is not supported by tsdocker/);
      const typo = path.join(dir, 'typo.json');
      fs.writeFileSync(typo, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdri'], action: 'SCMP_ACT_ERRNO' }] }));
      assert.match(run(['--security-opt', `seccomp=${typo}`], ['true']).stderr, /unknown syscall "mkdri"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('exec: the new process is under the container\'s filter', async () => {
    const { exited } = await background(e, 'sec', ['--network', 'none', '-v', `${PROBE}:/probe:ro`, e.image, 'sleep', '1000']);
    try {
      const r = tsdockerSync(e, ['exec', 'sec', 'grep', '^Seccomp:', '/proc/self/status']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Seccomp:\s+2$/m);
      assert.equal(tsdockerSync(e, ['exec', 'sec', '/probe', 'call', 'keyctl']).stdout.trim(), 'keyctl EPERM');
    } finally {
      tsdockerSync(e, ['rm', '-f', 'sec']);
      await exited;
    }
  });
});
