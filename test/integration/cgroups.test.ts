// cgroups on the real kernel (root): the limits are written where the kernel reads them, and the
// kernel enforces them on real processes. Each process is started held (blocked reading stdin),
// moved into the cgroup, then released, so none of its work happens outside the limits.
// Every cgroup made here is removed again, and with the last one its tsdocker/ parent.
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { createCgroup, cpusToQuota, detectMode, loadCgroup, type Cgroup, type CgroupMode } from '../../src/runtime/cgroups';
import { CGROUP_ROOT } from '../../src/runtime/cgroups/detect';
import { DEFAULT_DEVICE_RULES, setDeviceFilter } from '../../src/runtime/cgroups/devices';
import { removeCgroupDir } from '../../src/runtime/cgroups/files';

const ROOT = CGROUP_ROOT;
const isRoot = process.getuid?.() === 0;
const mode: CgroupMode | undefined = isRoot && fs.existsSync(ROOT) ? detectMode(ROOT) : undefined;
const skip = mode === undefined ? 'needs root and /sys/fs/cgroup' : false;
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const MiB = 1 << 20;

/** Where the tsdocker/ parents are when they exist: one per hierarchy (v1, hybrid), or one (v2). */
function parents(): string[] {
  if (mode === 'unified') return [path.join(ROOT, 'tsdocker')];
  return fs.readdirSync(ROOT).map((c) => path.join(ROOT, c, 'tsdocker'));
}
let parentsBefore = new Set<string>();
before(() => {
  if (!skip) parentsBefore = new Set(parents().filter((p) => fs.existsSync(p)));
});

let counter = 0;
function uniqueName(): string {
  return `test-${process.pid}-${++counter}`;
}

type TestContext = { after: (fn: () => void | Promise<void>) => void };

/**
 * Undo steps for one test, run last-in first-out in a single after hook: processes are killed
 * before their cgroup is removed, and one failing step does not skip the others. (node:test runs
 * several t.after hooks first-in first-out, and stops at the first that throws.)
 */
const undoStacks = new WeakMap<TestContext, Array<() => void | Promise<void>>>();
function onCleanup(t: TestContext, step: () => void | Promise<void>): void {
  let stack = undoStacks.get(t);
  if (!stack) {
    const steps: Array<() => void | Promise<void>> = [];
    stack = steps;
    undoStacks.set(t, steps);
    t.after(async () => {
      let first: unknown;
      for (const undo of steps.reverse()) {
        try {
          await undo();
        } catch (err) {
          first ??= err;
        }
      }
      if (first !== undefined) throw first;
    });
  }
  stack.push(step);
}

/** A cgroup that is removed after the test, whatever happens in it. */
function newCgroup(t: TestContext, resources: Parameters<typeof createCgroup>[1]): Cgroup {
  const cg = createCgroup(uniqueName(), resources);
  onCleanup(t, () => cg.remove());
  return cg;
}

interface Held {
  child: ChildProcess;
  release(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
}

/**
 * Start `argv` blocked on a line from stdin (the command itself reads it), put it into `cg`, and
 * return a handle to release it. The process is killed after the test if it is still alive.
 */
function startIn(t: TestContext, cg: Cgroup, argv: string[]): Held {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  onCleanup(t, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  assert.ok(child.pid, `spawn ${argv[0]}`);
  cg.addProcess(child.pid);
  return { child, release: () => child.stdin!.write('go\n'), exited, stdout: () => out };
}

const SHELL_HELD = (script: string): string[] => ['sh', '-c', `read go; ${script}`];

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

function dirOf(cg: Cgroup, controller: string): string {
  if (mode === 'unified') return cg.paths[0];
  const dir = cg.paths.find((p) => path.basename(path.dirname(path.dirname(p))).split(',').includes(controller));
  assert.ok(dir, `a ${controller} directory in ${cg.paths.join(' ')}`);
  return dir;
}

test('memory 32 MiB, pids 20, cpus 0.5 are written where the kernel reads them', { skip }, (t) => {
  const cg = newCgroup(t, { memory: { limit: 32 * MiB, swap: 32 * MiB }, pids: { limit: 20 }, cpu: cpusToQuota(0.5) });
  if (mode === 'unified') {
    assert.deepEqual(cg.paths, [path.join(ROOT, 'tsdocker', path.basename(cg.paths[0]))]);
    assert.equal(read(cg.paths[0], 'memory.max'), String(32 * MiB));
    assert.equal(read(cg.paths[0], 'cpu.max'), '50000 100000');
    assert.equal(read(cg.paths[0], 'pids.max'), '20');
  } else {
    assert.equal(read(dirOf(cg, 'memory'), 'memory.limit_in_bytes'), String(32 * MiB));
    assert.equal(read(dirOf(cg, 'memory'), 'memory.memsw.limit_in_bytes'), String(32 * MiB));
    assert.equal(read(dirOf(cg, 'cpu'), 'cpu.cfs_quota_us'), '50000');
    assert.equal(read(dirOf(cg, 'cpu'), 'cpu.cfs_period_us'), '100000');
    assert.equal(read(dirOf(cg, 'pids'), 'pids.max'), '20');
    const devices = read(dirOf(cg, 'devices'), 'devices.list').split('\n');
    assert.ok(devices.includes('c 1:3 rwm') && devices.includes('c 136:* rwm'), devices.join(', '));
    assert.ok(!devices.includes('a *:* rwm'), 'not everything allowed');
  }
  assert.deepEqual(loadCgroup(path.basename(cg.paths[0]))?.paths, cg.paths);
  cg.remove();
  for (const p of cg.paths) assert.equal(fs.existsSync(p), false, p);
});

test('a process allocating past the memory limit is OOM-killed, and oomKilled() says so', { skip }, async (t) => {
  const cg = newCgroup(t, { memory: { limit: 32 * MiB, swap: 32 * MiB } });
  // tail looks for the last line of an endless file without newlines, so it buffers without bound.
  const p = startIn(t, cg, SHELL_HELD('exec tail /dev/zero'));
  assert.equal(cg.oomKilled(), false);
  p.release();
  const { signal } = await p.exited;
  assert.equal(signal, 'SIGKILL');
  assert.equal(cg.oomKilled(), true);
  cg.remove(); // right after the exit: the kernel may still be freeing the cgroup (EBUSY, retried)
  for (const dir of cg.paths) assert.equal(fs.existsSync(dir), false, dir);
});

test('forking stops at the pids limit with EAGAIN', { skip }, async (t) => {
  const cg = newCgroup(t, { pids: { limit: 20 } });
  // Fork children that wait on a pipe until fork fails; report how many there were and why.
  const script = [
    'import errno, os, sys',
    'sys.stdin.readline()',
    'r, w = os.pipe()',
    'n, why = 0, None',
    'while n < 100:',
    '    try:',
    '        pid = os.fork()',
    '    except OSError as e:',
    '        why = errno.errorcode[e.errno]; break',
    '    if pid == 0:',
    '        os.close(w); os.read(r, 1); os._exit(0)',
    '    n += 1',
    'print(n, why, flush=True)',
    'os.close(w)',
    'for _ in range(n): os.wait()',
  ].join('\n');
  const p = startIn(t, cg, [PYTHON, '-c', script]);
  p.release();
  const { code } = await p.exited;
  assert.equal(code, 0);
  // The limit counts the python process itself: 19 children fit.
  assert.equal(p.stdout().trim(), '19 EAGAIN');
});

test('a busy loop under --cpus 0.5 gets about half a CPU', { skip }, async (t) => {
  const cg = newCgroup(t, { cpu: cpusToQuota(0.5) });
  const p = startIn(t, cg, SHELL_HELD('while :; do :; done'));
  // /proc/<pid>/cgroup (cgroups(7)): the process is in tsdocker/<id> in every hierarchy it joined.
  const name = path.basename(cg.paths[0]);
  const joined = fs.readFileSync(`/proc/${p.child.pid}/cgroup`, 'utf8').trim().split('\n')
    .filter((line) => line.endsWith(`/tsdocker/${name}`));
  assert.equal(joined.length, cg.paths.length, `one line per cgroup path in /proc/${p.child.pid}/cgroup`);
  p.release();
  await new Promise((r) => setTimeout(r, 200)); // let the loop reach its first throttled period
  const u0 = cg.stats().cpuUsageNs!;
  const w0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, 1000));
  const u1 = cg.stats().cpuUsageNs!;
  const wall = Number(process.hrtime.bigint() - w0);
  const share = (u1 - u0) / wall;
  // Unthrottled it would be ~1.0; the bandwidth limit holds it at 50 ms per 100 ms period.
  // The lower bound is loose because other tests may share the machine's CPUs.
  assert.ok(share > 0.25 && share < 0.65, `busy loop used ${share.toFixed(2)} of a CPU`);
  t.diagnostic(`busy loop used ${share.toFixed(2)} of a CPU`);
  const stat = fs.readFileSync(path.join(dirOf(cg, 'cpu'), 'cpu.stat'), 'utf8');
  assert.match(stat, /nr_throttled [1-9]/);
});

test('the devices cgroup blocks opening a device not on the list', { skip }, async (t) => {
  const cg = newCgroup(t, undefined);
  // /dev/kmsg is c 1:11: root may open it outside a container, but it is not on Docker's list.
  const script = [
    'import os, sys',
    'sys.stdin.readline()',
    'def try_open(p):',
    '    try:',
    '        os.close(os.open(p, os.O_RDONLY)); return "ok"',
    '    except OSError as e:',
    '        return os.strerror(e.errno)',
    'print(try_open("/dev/null"), "|", try_open("/dev/kmsg"), flush=True)',
  ].join('\n');
  const p = startIn(t, cg, [PYTHON, '-c', script]);
  p.release();
  await p.exited;
  assert.equal(p.stdout().trim(), 'ok | Operation not permitted');
});

// The eBPF device program alone, on a v2 cgroup (the v2 tree of this hybrid host, or the v2 root):
// this test's own processes are in the root cgroup of every v1 hierarchy, where the v1 devices
// controller allows everything, so only the program can refuse them.
test('the eBPF device program refuses what Docker\'s list does not allow', { skip: skip || (mode === 'legacy' && 'needs cgroup v2') }, (t) => {
  const dir = path.join(mode === 'hybrid' ? path.join(ROOT, 'unified') : ROOT, uniqueName());
  fs.mkdirSync(dir);
  onCleanup(t, () => removeCgroupDir(dir));
  setDeviceFilter(dir, DEFAULT_DEVICE_RULES);
  const tmp = fs.mkdtempSync('/tmp/tsdocker-devtest-');
  onCleanup(t, () => fs.rmSync(tmp, { recursive: true, force: true }));
  // Each shell moves itself into the cgroup, then runs the command. If the program let /dev/kmsg
  // be opened, cat would wait there for kernel messages: the timeout ends it (and the test).
  const inCgroup = (script: string) => {
    const r = spawnSync('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && ${script}`], { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stderr: r.stderr.trim() };
  };
  const kmsg = inCgroup('exec cat /dev/kmsg');
  assert.equal(kmsg.status, 1, kmsg.stderr || 'cat /dev/kmsg opened it (ended by the timeout)');
  assert.match(kmsg.stderr, /\/dev\/kmsg: Operation not permitted/);
  assert.deepEqual(inCgroup('exec cat /dev/null'), { status: 0, stderr: '' });
  // "b *:* m": the node of the host's first disk may be made, but not opened. (Without the program
  // the open would succeed, or fail with ENXIO on a host without that disk.)
  const disk = inCgroup(`mknod ${tmp}/sda b 8 0 && exec head -c1 ${tmp}/sda`);
  assert.equal(fs.statSync(path.join(tmp, 'sda')).isBlockDevice(), true);
  assert.match(disk.stderr, /sda.*Operation not permitted/);
  assert.notEqual(disk.status, 0);
});

test('v1: memory limit raised and lowered with swap set', { skip: skip || (mode === 'unified' && 'v1 only') }, (t) => {
  const cg = newCgroup(t, { memory: { limit: 32 * MiB, swap: 64 * MiB } });
  const dir = dirOf(cg, 'memory');
  cg.update({ memory: { limit: 128 * MiB, swap: 256 * MiB } });
  assert.equal(read(dir, 'memory.limit_in_bytes'), String(128 * MiB));
  assert.equal(read(dir, 'memory.memsw.limit_in_bytes'), String(256 * MiB));
  cg.update({ memory: { limit: 16 * MiB, swap: 16 * MiB } });
  assert.equal(read(dir, 'memory.limit_in_bytes'), String(16 * MiB));
  assert.equal(read(dir, 'memory.memsw.limit_in_bytes'), String(16 * MiB));
});

test('v1: a container\'s cpuset is its parent\'s, which mkdir copies (clone_children on tsdocker/)', { skip: skip || (mode === 'unified' && 'v1 only') || (!fs.existsSync(path.join(ROOT, 'cpuset')) && 'no cpuset hierarchy') }, (t) => {
  const rootFlag = read(path.join(ROOT, 'cpuset'), 'cgroup.clone_children');
  const dir = dirOf(newCgroup(t, {}), 'cpuset');
  const parent = path.dirname(dir);
  assert.notEqual(read(parent, 'cpuset.cpus'), '');
  assert.equal(read(dir, 'cpuset.cpus'), read(parent, 'cpuset.cpus'));
  assert.equal(read(dir, 'cpuset.mems'), read(parent, 'cpuset.mems'));
  assert.equal(read(parent, 'cgroup.clone_children'), '1');
  // The kernel does the copying now: a directory made by hand has them at once.
  const byHand = path.join(parent, uniqueName());
  fs.mkdirSync(byHand);
  onCleanup(t, () => fs.rmdirSync(byHand));
  assert.equal(read(byHand, 'cpuset.cpus'), read(parent, 'cpuset.cpus'));
  assert.equal(read(path.dirname(parent), 'cgroup.clone_children'), rootFlag, 'the hierarchy\'s root is left as it was');
});

test('a bad value is one clear error naming the file, and nothing is left behind', { skip }, () => {
  const name = uniqueName();
  // 100 us is below the kernel's 1 ms minimum for a CFS period.
  assert.throws(() => createCgroup(name, { cpu: { period: 100 } }),
    /write "(max )?100" to \/sys\/fs\/cgroup\/.*\/tsdocker\/test-[^/]*\/cpu\.(cfs_period_us|max): EINVAL \(invalid argument\): quota and period/);
  assert.equal(loadCgroup(name), undefined);
});

test('the last container cgroup takes its tsdocker/ parent with it; one still in use keeps it', { skip }, () => {
  const first = createCgroup(uniqueName(), {});
  const second = createCgroup(uniqueName(), {});
  const made = parents().filter((p) => fs.existsSync(p) && !parentsBefore.has(p));
  if (mode !== 'unified') assert.ok(made.length >= 2, `tsdocker/ in each hierarchy: ${made.join(' ')}`);
  first.remove();
  for (const p of made) assert.ok(fs.existsSync(p), `${p} still holds the second container's cgroup`);
  second.remove();
  for (const p of made) assert.ok(!fs.existsSync(p), `${p} went with the last container cgroup`);
});
