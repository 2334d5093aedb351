// `tsdocker run` end to end: a real image from a real registry, the real kernel. Each test asks the
// container itself (busybox inside) what it sees.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pushFixture } from '../support/fixtures';
import { setup, skip, tsdockerSync, type Env } from './run-support';

describe('tsdocker run', { skip }, () => {
  let e: Env;
  let tmp: string;
  before(async () => {
    e = await setup(['whiteouts']);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-runtest-'));
  });
  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await e?.cleanup();
  });

  const run = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    tsdockerSync(e, ['run', '--rm', ...args], opts);
  const sh = (script: string, flags: string[] = []) => run([...flags, e.image, 'sh', '-c', script]);

  test('runs a command and relays its stdout and stderr apart', () => {
    const r = sh('echo out; echo err >&2');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  // 128+N (killed by signal N from the host) is in run-records.test.ts: pid 1 cannot kill itself.
  test('exit codes: its own, 127 not found, 126 not executable', () => {
    assert.equal(sh('exit 42').status, 42);
    const nf = run([e.image, 'no-such-command']);
    assert.equal(nf.status, 127, nf.stderr);
    assert.match(nf.stderr, /^tsdocker: .*no-such-command/m);
    assert.equal(run([e.image, '/etc/passwd']).status, 126);
  });

  test('tsdocker\'s own failures exit 125 with one line', () => {
    const r = run(['--memory', 'lots', e.image, 'true']);
    assert.equal(r.status, 125);
    assert.equal(r.stderr, "tsdocker: invalid size: 'lots'\n");
    const noImage = run(['--pull', 'never', 'nosuchimage', 'true']);
    assert.equal(noImage.status, 125);
    assert.match(noImage.stderr, /no such image: nosuchimage/);
    // The runtime helper, started before the image was looked up (startHelper), went with the run.
    const helpers = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tsdocker-runtime');
      } catch {
        return false;
      }
    });
    assert.deepEqual(helpers, []);
  });

  test('a missing image is pulled first, its progress on stderr; --pull never refuses', async () => {
    const ref = await pushFixture(e.registry, 'busybox', 'other:1');
    assert.equal(run(['--pull', 'never', ref, 'true']).status, 125);
    // A word of the container's command that only this test uses makes this line's flag signature
    // its own: the run that pulled adds nothing to run's code cache (src/cli/code-cache.ts), the
    // next one does.
    const seenFile = path.join(__dirname, '..', '..', '..', 'dist', 'v8cache', 'run.seen');
    const seen = () => (fs.existsSync(seenFile) ? fs.readFileSync(seenFile, 'utf8') : '');
    // A tree where this test ran before has the signature already.
    if (seen()) fs.writeFileSync(seenFile, seen().replace(/^--pull-probe --rm\n/m, ''));
    const probe = ['echo', 'hi', '--pull-probe'];
    const r = run([ref, ...probe]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi --pull-probe\n');
    assert.match(r.stderr, new RegExp(`^Unable to find image '${ref}' locally\n`));
    assert.doesNotMatch(seen(), /^--pull-probe --rm$/m);
    assert.equal(run([ref, ...probe]).status, 0);
    assert.match(seen(), /^--pull-probe --rm$/m);
    assert.equal(run(['--pull', 'always', ref, 'echo', 'again']).stdout, 'again\n');
  });

  test('pid 1 and an isolated process list', () => {
    assert.equal(sh('echo $$').stdout, '1\n');
    const r = run([e.image, 'ps', '-o', 'pid,comm']);
    assert.equal(r.stdout.replace(/ +/g, ' '), 'PID COMMAND\n 1 ps\n', r.stderr);
  });

  test('hostname: the short id by default, -h otherwise; /etc/hostname and /etc/hosts agree', () => {
    const r = tsdockerSync(e, ['run', '--name', 'hosty', e.image, 'sh', '-c', 'hostname; cat /etc/hostname; grep -c "$(hostname)" /etc/hosts']);
    assert.equal(r.status, 0, r.stderr);
    const id = tsdockerSync(e, ['ps', '-aq', '--no-trunc']).stdout.trim().split('\n')[0];
    assert.equal(r.stdout, `${id.slice(0, 12)}\n${id.slice(0, 12)}\n1\n`);
    assert.equal(tsdockerSync(e, ['rm', 'hosty']).status, 0);
    assert.equal(run(['-h', 'box', e.image, 'hostname']).stdout, 'box\n');
  });

  test('ENTRYPOINT/CMD: the image CMD, args, --entrypoint', () => {
    assert.equal(run([e.image]).status, 0); // CMD sh, stdin empty: exits 0
    assert.equal(run(['--entrypoint', 'echo', e.image, 'a', 'b']).stdout, 'a b\n');
    assert.equal(run(['--entrypoint', '/bin/echo', e.image]).stdout, '\n');
  });

  test('-e, --env-file, -w (created if missing), -u by name and number', () => {
    const envFile = path.join(tmp, 'env');
    fs.writeFileSync(envFile, '# comment\nFROM_FILE=yes\nBOTH=file\n');
    const r = sh('echo "$A|$FROM_FILE|$BOTH|$HOME|$(pwd)|$(id -u):$(id -g)"',
      ['-e', 'A=1', '--env-file', envFile, '-e', 'BOTH=flag', '-w', '/made/here', '-u', 'student']);
    assert.equal(r.stdout, '1|yes|flag|/home/student|/made/here|1000:1000\n', r.stderr);
    assert.equal(sh('id -u; id -g; id -G', ['-u', '4242:77']).stdout, '4242\n77\n77\n');
    const bad = sh('true', ['-u', 'nobody-here']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /unable to find user nobody-here/);
  });

  test('-v host dir (created, and :ro), named volume kept, --tmpfs', () => {
    const host = path.join(tmp, 'made', 'by', 'run');
    const r = sh('echo hi > /data/f; cat /data/f; touch /ro/x 2>/dev/null || echo ro; grep " /scratch " /proc/mounts | cut -d" " -f3',
      ['-v', `${host}:/data`, '-v', `${tmp}:/ro:ro`, '--tmpfs', '/scratch']);
    assert.equal(r.stdout, 'hi\nro\ntmpfs\n', r.stderr);
    assert.equal(fs.readFileSync(path.join(host, 'f'), 'utf8'), 'hi\n');
    assert.equal(sh('echo kept > /v/f', ['-v', 'testvol:/v']).status, 0);
    assert.equal(sh('cat /v/f', ['-v', 'testvol:/v']).stdout, 'kept\n');
    assert.match(tsdockerSync(e, ['volume', 'ls']).stdout, /local\s+testvol/);
    assert.equal(tsdockerSync(e, ['volume', 'rm', 'testvol']).status, 0);
  });

  test('--read-only: the root is read-only, /tmp via --tmpfs is not', () => {
    const r = sh('touch /x 2>&1; touch /tmp/y && echo tmp-ok', ['--read-only', '--tmpfs', '/tmp']);
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /tmp-ok/);
  });

  test('capabilities are Docker\'s defaults; --cap-drop, --cap-add, --privileged change them', () => {
    const caps = (flags: string[]) => sh('grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status', flags).stdout;
    assert.equal(caps([]), 'CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n' +
      'CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n');
    assert.match(caps(['--cap-drop', 'ALL', '--cap-add', 'NET_RAW']), /CapBnd:\t0000000000002000/);
    // --privileged: every capability tsdocker itself holds.
    const own = /CapBnd:\t([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];
    assert.match(caps(['--privileged']), new RegExp(`CapBnd:\t${own}`));
    assert.match(sh('grep NoNewPrivs /proc/self/status', ['--security-opt', 'no-new-privileges']).stdout, /NoNewPrivs:\t1/);
  });

  test('masked and read-only /proc paths; no host devices', () => {
    const r = sh('wc -c < /proc/keys; { echo 0 > /proc/sys/vm/overcommit_memory; } 2>&1; ls /dev | sort | tr "\\n" " "');
    assert.match(r.stdout, /^0\n/);
    assert.match(r.stdout, /Read-only file system/);
    for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'ptmx', 'shm', 'mqueue']) {
      assert.match(r.stdout, new RegExp(`\\b${dev}\\b`), dev);
    }
    assert.doesNotMatch(r.stdout, /\bsda\b|\bkmsg\b|\bmem\b/);
  });

  test('root in the container cannot read the host\'s disk through a node it makes', () => {
    // CAP_MKNOD is one of Docker's default capabilities; the device rules (v1 devices.deny, or the
    // eBPF program on v2) are what stop this. --trace shows the program attached on v2.
    const r = tsdockerSync(e, ['--trace', 'run', '--rm', e.image, 'sh', '-c', 'mknod /tmp/d b 8 0 && head -c1 /tmp/d']);
    assert.notEqual(r.status, 0);
    // mknod itself works, as in Docker (runc allows `b *:* m`); opening the node does not.
    assert.match(r.stderr, /^head: .*Operation not permitted$/m);
    if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      assert.match(r.stderr, /cgroup: devices: eBPF program \(\d+ instructions\) attached to \/sys\/fs\/cgroup\/tsdocker\//);
    }
  });

  test('no file descriptor of tsdocker reaches the container', () => {
    const r = sh('ls /proc/self/fd | sort -n | tr "\\n" " "');
    // 0, 1, 2, and the fd ls itself opened on the directory.
    assert.equal(r.stdout, '0 1 2 3 ', r.stderr);
  });

  test('the command starts with no signal ignored or blocked', () => {
    // Node ignores SIGPIPE, and glibc's posix_spawn would leave its own signals 32 and 33 ignored:
    // neither may reach the container, as an ignored signal survives execve(2).
    const r = run([e.image, 'grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status']);
    assert.equal(r.stdout, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n', r.stderr);
  });

  test('a foreground run loads none of node:child_process, node:net, node:tty, node:os, node:module (start-up time)', () => {
    // A preload writes the list of Node's own modules loaded, once the command is done: the CLI
    // leaves with the addon's exit (_exit(2), no 'exit' event), so the preload wraps that as the
    // addon is loaded (process.dlopen, which launch.ts calls; node:module must stay unloaded).
    const list = path.join(tmp, 'modules.txt');
    const preload = path.join(tmp, 'modules.js');
    fs.writeFileSync(preload, `const write = () => require('fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n'));
const dlopen = process.dlopen;
process.dlopen = (m, ...rest) => {
  dlopen(m, ...rest);
  const exit = m.exports.exit;
  if (typeof exit === 'function') m.exports.exit = (...args) => { write(); return exit(...args); };
};
process.on('exit', write);
`);
    const r = run(['--network', 'none', e.image, 'true'], { env: { NODE_OPTIONS: `--require ${preload}` } });
    assert.equal(r.status, 0, r.stderr);
    const loaded = fs.readFileSync(list, 'utf8').split('\n');
    assert.ok(loaded.includes('NativeModule fs'), 'the list is the one of Node\'s modules');
    for (const m of ['child_process', 'net', 'tty', 'os', 'module']) {
      assert.ok(!loaded.includes(`NativeModule ${m}`), `node:${m} was loaded`);
    }
  });

  test('network: loopback only with --network none, the host\'s with --network host', () => {
    assert.equal(sh('ls /sys/class/net | tr "\\n" " "', ['--network', 'none']).stdout, 'lo ');
    const host = sh('ls /sys/class/net | wc -l', ['--network', 'host']).stdout.trim();
    assert.equal(Number(host), fs.readdirSync('/sys/class/net').length);
  });

  test('whiteouts in the image are deletions through the overlay; writes stay in the container', () => {
    const img = e.images.whiteouts;
    const r = run([img, 'sh', '-c', 'cd /wh; find . | sort | tr "\\n" " "; cat a/b/c/foo']);
    assert.equal(r.stdout, '. ./a ./a/b ./a/b/c ./a/b/c/foo ./file2 upper foo\n', r.stderr);
    assert.equal(run([img, 'sh', '-c', 'rm /wh/file2; echo new > /wh/n']).status, 0);
    assert.equal(run([img, 'sh', '-c', 'cat /wh/file2; ls /wh/n 2>&1 | wc -l']).stdout, 'kept\n1\n');
  });

  test("the image's init layer holds the mount points it lacks: a container's upper dir starts empty", () => {
    const name = `init-${process.pid}`;
    // busybox has /etc but no /etc/hostname, /etc/hosts or /etc/resolv.conf.
    const r = tsdockerSync(e, ['run', '--name', name, e.image, 'sh', '-c', 'cat /etc/hostname; ls /etc']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{12}\n(.*\n)*hostname\n(.*\n)*hosts\n(.*\n)*resolv\.conf\n/);
    const id = tsdockerSync(e, ['inspect', '--format', '{{.Id}}', name]).stdout.trim();
    assert.deepEqual(fs.readdirSync(path.join(e.root, 'containers', id, 'upper')), []);
    // inspect shows it first among the lower dirs, as Docker shows its "-init" layer.
    const lowers = tsdockerSync(e, ['inspect', '--format', '{{.GraphDriver.Data.LowerDir}}', name]).stdout.trim().split(':');
    assert.match(lowers[0], /\/image\/layers\/[0-9a-f]{64}\/init$/);
    assert.deepEqual(fs.readdirSync(path.join(lowers[0], 'etc')).sort(), ['hostname', 'hosts', 'resolv.conf']);
    assert.equal(tsdockerSync(e, ['rm', name]).status, 0);
  });

  test('the root of an --rm container is a volatile overlay (no syncfs at unmount); a kept one is not', () => {
    const isVolatile = (flags: string[]) => {
      const r = tsdockerSync(e, ['run', ...flags, e.image, 'sh', '-c', 'grep "^overlay / " /proc/mounts']);
      assert.equal(r.status, 0, r.stderr);
      // Shown as "volatile", or as "fsync=volatile" by kernels with overlay's fsync= option (6.6 on).
      return r.stdout.split(' ')[3].split(',').some((o) => o === 'volatile' || o === 'fsync=volatile');
    };
    assert.ok(isVolatile(['--rm']));
    const name = `kept-${process.pid}`;
    assert.ok(!isVolatile(['--name', name]));
    assert.equal(tsdockerSync(e, ['rm', name]).status, 0);
  });
});
