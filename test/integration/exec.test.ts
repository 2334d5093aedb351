// `exec` into a running container: exit codes, namespaces, cgroup, environment, user, working
// directory, capabilities, terminal, stdin, descriptors, -d, and refusal for a stopped container.
// The container runs `sleep 1000` in the background (`run` in a child process); the test asks the
// kernel from the host (/proc/<pid>/ns, cgroup, status) and the container itself (busybox, probe).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT_DIR, background, hostSnapshot, setup, skip, tsdockerAsync, tsdockerSync, waitFor, type Env } from './run-support';
import { hasPython, inTerminal } from '../support/terminal';

const PROBE = path.join(ROOT_DIR, 'native', 'probe');
const NAMESPACES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts'];


function namespaces(pid: number): Record<string, string> {
  return Object.fromEntries(NAMESPACES.map((ns) => [ns, fs.readlinkSync(`/proc/${pid}/ns/${ns}`)]));
}

function capLines(status: string): string {
  return status.split('\n').filter((l) => /^Cap(Inh|Prm|Eff|Bnd|Amb):/.test(l)).join('\n');
}

/** The host pid of the process whose pid in the container's pid namespace is `inner`. */
function hostPidOf(containerPid: number, inner: number): number | undefined {
  const pidns = fs.readlinkSync(`/proc/${containerPid}/ns/pid`);
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (fs.readlinkSync(`/proc/${name}/ns/pid`) !== pidns) continue;
      const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${name}/status`, 'utf8'))?.[1].split(/\s+/);
      if (nspid && Number(nspid[nspid.length - 1]) === inner) return Number(name);
    } catch {
      // the process exited while we looked
    }
  }
  return undefined;
}

describe('exec', { skip }, () => {
  let e: Env;
  let pid: number;
  let exited: Promise<number>;
  let before0: ReturnType<typeof hostSnapshot>;

  before(async () => {
    e = await setup();
    before0 = hostSnapshot(e);
    ({ exited } = await background(e, 'box', ['-e', 'FROM_RUN=run', '-v', `${PROBE}:/probe:ro`, e.image, 'sleep', '1000']));
    pid = Number(tsdockerSync(e, ['inspect', '--format', '{{.State.Pid}}', 'box']).stdout.trim());
    assert.ok(pid > 0);
  });
  after(async () => {
    if (e) {
      tsdockerSync(e, ['rm', '-f', 'box']);
      await exited;
      await e.cleanup();
    }
  });

  const exec = (args: string[], input?: string) => tsdockerSync(e, ['exec', ...args], { input });

  test('exit status: the command\'s own, 126 when it cannot run, 127 when not found', () => {
    assert.equal(exec(['box', 'true']).status, 0);
    assert.equal(exec(['box', 'sh', '-c', 'exit 3']).status, 3);
    const notExecutable = exec(['box', '/etc/passwd']);
    assert.equal(notExecutable.status, 126, notExecutable.stderr);
    assert.match(notExecutable.stderr, /^tsdocker: exec: "\/etc\/passwd": permission denied\n$/);
    const missing = exec(['box', 'nosuchcommand']);
    assert.equal(missing.status, 127);
    assert.equal(missing.stderr, 'tsdocker: exec: "nosuchcommand": executable file not found in $PATH\n');
    assert.equal(exec(['box', 'sh', '-c', 'kill -TERM $$']).status, 128 + 15);
  });

  test('flags after the container name belong to the command', () => {
    const r = exec(['box', 'ls', '-d', '/tmp']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '/tmp\n');
  });

  test('the process is in every namespace and the cgroup of the container, with its own pid inside', async () => {
    const child = tsdockerAsync(e, ['exec', 'box', 'sh', '-c', 'echo $$; exec sleep 1000']);
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitFor('the exec\'d shell to print its pid', () => out.includes('\n'));
      const inner = Number(out.trim());
      assert.ok(inner > 1, `pid inside the container: ${inner}`);
      const host = hostPidOf(pid, inner);
      assert.ok(host !== undefined && host !== inner, `no host process for pid ${inner} in the container`);
      assert.deepEqual(namespaces(host), namespaces(pid));
      assert.equal(fs.readFileSync(`/proc/${host}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
      assert.equal(fs.readlinkSync(`/proc/${host}/root`), '/');
      assert.equal(fs.statSync(`/proc/${host}/root/probe`).ino, fs.statSync(`/proc/${pid}/root/probe`).ino);
      // Its parent, the helper's monitor, stays on the host, and runs from the sealed memfd copy
      // (CVE-2019-5736): the process it forked into the container had nothing to overwrite either.
      const monitor = Number(fs.readFileSync(`/proc/${host}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      assert.equal(fs.readFileSync(`/proc/${monitor}/comm`, 'utf8'), 'tsd:[0:monitor]\n');
      assert.match(fs.readlinkSync(`/proc/${monitor}/exe`), /^\/memfd:tsdocker-runtime/);
      assert.equal(fs.readlinkSync(`/proc/${monitor}/ns/mnt`), fs.readlinkSync('/proc/self/ns/mnt'));
      assert.equal(fs.readlinkSync(`/proc/${monitor}/ns/pid`), fs.readlinkSync('/proc/self/ns/pid'));
    } finally {
      child.kill('SIGTERM'); // forwarded to the process in the container
    }
    assert.equal(await done, 128 + 15);
  });

  test('inside, /proc/self/ns/* are the container\'s', () => {
    const r = exec(['box', 'sh', '-c', NAMESPACES.map((ns) => `readlink /proc/self/ns/${ns}`).join('; ')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), Object.values(namespaces(pid)));
  });

  test('environment: the container\'s variables, then --env-file and -e', () => {
    const file = path.join(e.root, '..', 'exec.env');
    fs.writeFileSync(file, 'FROM_FILE=file\n# comment\n');
    const r = exec(['-e', 'FROM_FLAG=flag', '--env-file', file, 'box', 'env']);
    assert.equal(r.status, 0, r.stderr);
    const env = r.stdout.split('\n').filter(Boolean).sort();
    for (const want of ['FROM_RUN=run', 'FROM_FILE=file', 'FROM_FLAG=flag', 'HOME=/root', 'HOSTNAME=' + env.find((v) => v.startsWith('HOSTNAME='))?.slice(9)]) {
      assert.ok(env.includes(want), `${want} in ${env.join(' ')}`);
    }
    assert.ok(env.some((v) => v.startsWith('PATH=/usr/local/sbin')));
    assert.equal(exec(['-e', 'FROM_RUN=exec', 'box', 'sh', '-c', 'echo $FROM_RUN']).stdout, 'exec\n');
    assert.ok(!exec(['box', 'env']).stdout.includes('TERM='));
  });

  test('-w: the working directory, absolute and inside the container', () => {
    assert.equal(exec(['-w', '/tmp', 'box', 'pwd']).stdout, '/tmp\n');
    assert.equal(exec(['box', 'pwd']).stdout, '/\n');
    const relative = exec(['-w', 'tmp', 'box', 'pwd']);
    assert.equal(relative.status, 125);
    assert.match(relative.stderr, /working directory 'tmp' is invalid, it needs to be an absolute path/);
    const missing = exec(['-w', '/nonexistent', 'box', 'pwd']);
    assert.equal(missing.status, 126);
    assert.equal(missing.stderr,
      'tsdocker: exec failed: chdir to working directory /nonexistent: ENOENT (no such file or directory)\n');
    // CVE-2024-21626: no descriptor of the helper's may serve as a way out of the container.
    for (let fd = 3; fd < 7; fd++) {
      const r = exec(['-w', `/proc/self/fd/${fd}`, 'box', 'pwd']);
      assert.notEqual(r.status, 0, `-w /proc/self/fd/${fd} gave ${r.stdout}`);
    }
  });

  test('-u: a user of the container\'s /etc/passwd, with its groups and home', () => {
    const r = exec(['-u', 'student', 'box', 'sh', '-c', 'id -u; id -g; echo $HOME']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1000\n1000\n/home/student\n');
    assert.equal(exec(['-u', '1000:0', 'box', 'id', '-g']).stdout, '0\n');
    const unknown = exec(['-u', 'nosuchuser', 'box', 'true']);
    assert.equal(unknown.status, 125);
    assert.match(unknown.stderr, /unable to find user nosuchuser/);
  });

  test('capabilities are the container\'s; --privileged gives every one tsdocker holds', () => {
    const r = exec(['box', 'cat', '/proc/self/status']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(capLines(r.stdout), capLines(fs.readFileSync(`/proc/${pid}/status`, 'utf8')));
    const own = /^CapBnd:\s*(\w+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];
    const privileged = exec(['--privileged', 'box', 'cat', '/proc/self/status']).stdout;
    assert.match(privileged, new RegExp(`^CapEff:\\s*${own}$`, 'm'));
    // A non-root user keeps no capability across execve (no ambient set), as in the container.
    assert.match(exec(['-u', 'student', 'box', 'cat', '/proc/self/status']).stdout, /^CapEff:\s*0+$/m);
  });

  test('-i relays stdin; without it the command reads end of file', () => {
    assert.equal(exec(['-i', 'box', 'cat'], 'hello\nworld\n').stdout, 'hello\nworld\n');
    assert.equal(exec(['box', 'cat'], 'ignored\n').stdout, '');
  });

  test('only 0, 1 and 2 reach the command', () => {
    const r = exec(['box', '/probe', 'fds']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0 1 2\n');
  });

  test('-t and -it through a real terminal', { skip: hasPython ? false : 'needs python3' }, () => {
    const tsdockerInTerminal = (args: string[], typed = '') =>
      inTerminal([process.execPath, path.join(ROOT_DIR, 'bin', 'tsdocker'), ...args],
        { env: e.env, steps: typed ? [{ when: '# ', type: typed }] : [] });
    const t = tsdockerInTerminal(['exec', '-t', 'box', 'sh', '-c', 'tty; echo $TERM']);
    assert.equal(t.code, 0, t.output);
    assert.match(t.output, /^\/dev\/pts\/\d+\nxterm\n$/);
    const it = tsdockerInTerminal(['exec', '-it', 'box', 'sh'], 'echo in-$((6*7)); exit 5\n');
    assert.equal(it.code, 5, it.output);
    assert.match(it.output, /in-42/);
  });

  test('-d returns at once and the command runs on', async () => {
    const r = exec(['-d', 'box', 'sh', '-c', 'touch /tmp/detached-started; sleep 0.2; touch /tmp/detached-done']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    await waitFor('the detached command to finish', () => exec(['box', 'test', '-e', '/tmp/detached-done']).status === 0);
  });

  test('a stopped or unknown container is refused', () => {
    const ran = tsdockerSync(e, ['run', '--name', 'stopped', e.image, 'true']);
    assert.equal(ran.status, 0, ran.stderr);
    const id = tsdockerSync(e, ['inspect', '--format', '{{.Id}}', 'stopped']).stdout.trim();
    const r = exec(['stopped', 'true']);
    assert.equal(r.status, 125);
    assert.equal(r.stderr, `tsdocker: container ${id} is not running\n`);
    const unknown = exec(['nosuchcontainer', 'true']);
    assert.equal(unknown.status, 125);
    assert.equal(unknown.stderr, 'tsdocker: no such container: nosuchcontainer\n');
    assert.equal(tsdockerSync(e, ['rm', 'stopped']).status, 0);
  });

  test('exec leaves nothing behind: mounts and cgroups as with the container alone', () => {
    const snap = hostSnapshot(e);
    assert.equal(exec(['box', 'true']).status, 0);
    assert.deepEqual(hostSnapshot(e), snap);
    assert.equal(snap.cgroups.length > before0.cgroups.length, true);
  });
});
