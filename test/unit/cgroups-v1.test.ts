// cgroup v1 logic on a fake hierarchy in a temp dir (no root needed): the files the kernel would
// show are made beforehand, as youki's tests do, and tsdocker's writes are read back, in order,
// from its --trace output.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCgroup, DEFAULT_DEVICE_RULES, loadCgroup } from '../../src/runtime/cgroups';
import { setTrace } from '../../src/trace';

const MAX = '9223372036854771712';

/** A fake /sys/fs/cgroup with one directory per controller; cpu and cpuacct co-mounted as on Debian. */
function fakeV1(t: { after: (fn: () => void) => void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-cg1-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const c of ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer']) fs.mkdirSync(path.join(root, c));
  fs.symlinkSync('cpu,cpuacct', path.join(root, 'cpu'));
  fs.symlinkSync('cpu,cpuacct', path.join(root, 'cpuacct'));
  write(path.join(root, 'cpuset'), { 'cpuset.cpus': '0-3', 'cpuset.mems': '0' });
  return root;
}

/** Pre-create tsdocker/<id> in every hierarchy with the files a new kernel cgroup has. */
function kernelFiles(root: string, id: string): void {
  const dir = (c: string): string => path.join(root, c, 'tsdocker', id);
  const common = { 'cgroup.procs': '' };
  write(path.join(root, 'cpuset', 'tsdocker'), { 'cpuset.cpus': '', 'cpuset.mems': '', 'cgroup.clone_children': '0' });
  write(dir('cpu,cpuacct'), { ...common, 'cpu.shares': '1024', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000', 'cpuacct.usage': '123' });
  write(dir('cpuset'), { ...common, 'cpuset.cpus': '', 'cpuset.mems': '' });
  write(dir('memory'), {
    ...common, 'memory.limit_in_bytes': MAX, 'memory.memsw.limit_in_bytes': MAX, 'memory.usage_in_bytes': '4096',
    'memory.failcnt': '0', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
  });
  write(dir('pids'), { ...common, 'pids.max': 'max', 'pids.current': '0' });
  write(dir('devices'), { ...common, 'devices.allow': '', 'devices.deny': '' });
  write(dir('freezer'), common);
}

function write(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), value);
}

function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

/** Run fn with --trace on and return the cgroup file writes it made, as "file = value". */
function writes(fn: () => void): string[] {
  const lines: string[] = [];
  const original = process.stderr.write;
  const hadEnv = process.env.TSDOCKER_TRACE;
  process.stderr.write = ((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; }) as typeof process.stderr.write;
  setTrace(true);
  try {
    fn();
  } finally {
    setTrace(false);
    process.stderr.write = original;
    if (hadEnv === undefined) delete process.env.TSDOCKER_TRACE;
  }
  return lines.map((l) => /^\[trace\] cgroup: write (.*)\n$/.exec(l)?.[1]).filter((l): l is string => l !== undefined)
    .map((l) => l.replace(/^.*\//, ''));
}

test('limits go to each controller file in v1 units', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'c1');
  const cg = createCgroup('c1', {
    memory: { limit: 32 << 20, swap: 64 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '1' },
    pids: { limit: 20 },
  }, { root, mode: 'legacy' });
  const dir = (c: string): string => path.join(root, c, 'tsdocker', 'c1');
  assert.equal(read(path.join(dir('memory'), 'memory.limit_in_bytes')), String(32 << 20));
  assert.equal(read(path.join(dir('memory'), 'memory.memsw.limit_in_bytes')), String(64 << 20));
  assert.equal(read(path.join(dir('cpu,cpuacct'), 'cpu.shares')), '512');
  assert.equal(read(path.join(dir('cpu,cpuacct'), 'cpu.cfs_quota_us')), '50000');
  assert.equal(read(path.join(dir('cpu,cpuacct'), 'cpu.cfs_period_us')), '100000');
  assert.equal(read(path.join(dir('cpuset'), 'cpuset.cpus')), '1');
  assert.equal(read(path.join(dir('cpuset'), 'cpuset.mems')), '0', 'mems inherited from the parent');
  assert.equal(read(path.join(root, 'cpuset', 'tsdocker', 'cpuset.cpus')), '0-3', 'the tsdocker/ level inherits too');
  assert.equal(read(path.join(root, 'cpuset', 'tsdocker', 'cgroup.clone_children')), '1', 'so the kernel fills the next ones');
  assert.equal(read(path.join(dir('pids'), 'pids.max')), '20');
  // cpu and cpuacct share one directory, which appears once.
  assert.deepEqual([...cg.paths].sort(), ['cpu,cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'].map(dir).sort());
});

test('cpuset: a cgroup the kernel made with its parent\'s cpus and mems (clone_children) is left as it is', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'c1');
  write(path.join(root, 'cpuset', 'tsdocker', 'c1'), { 'cpuset.cpus': '0-3', 'cpuset.mems': '0' });
  const made = writes(() => createCgroup('c1', undefined, { root, mode: 'legacy' }));
  assert.deepEqual(made.filter((w) => /^(cpuset|cgroup\.clone_children)/.test(w)), []);
});

test('devices: deny everything, then Docker\'s allow list in order', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'd1');
  const seen = writes(() => createCgroup('d1', undefined, { root, mode: 'legacy' }));
  const rules = seen.filter((w) => w.startsWith('devices.'));
  assert.equal(rules[0], 'devices.deny = a');
  assert.deepEqual(rules.slice(1), [
    'devices.allow = c *:* m', 'devices.allow = b *:* m',
    'devices.allow = c 1:3 rwm', 'devices.allow = c 1:5 rwm', 'devices.allow = c 1:7 rwm', 'devices.allow = c 1:8 rwm',
    'devices.allow = c 1:9 rwm', 'devices.allow = c 5:0 rwm', 'devices.allow = c 5:1 rwm', 'devices.allow = c 5:2 rwm',
    'devices.allow = c 136:* rwm', 'devices.allow = c 10:200 rwm',
  ]);
  // Given rules replace the defaults; deny rules go to devices.deny.
  kernelFiles(root, 'd2');
  const custom = writes(() => createCgroup('d2', {
    devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, { allow: false, type: 'b', major: 8 }],
  }, { root, mode: 'legacy' })).filter((w) => w.startsWith('devices.'));
  assert.deepEqual(custom, ['devices.deny = a', 'devices.allow = c 1:3 rw', 'devices.deny = b 8:* rwm']);
});

test('hybrid: the v1 devices list does the work; no eBPF program goes on the v2 tree, as with runc', (t) => {
  const root = fakeV1(t);
  fs.mkdirSync(path.join(root, 'unified'));
  kernelFiles(root, 'h1');
  write(path.join(root, 'unified', 'tsdocker', 'h1'), { 'cgroup.procs': '' });
  const attached: string[] = [];
  const attachDeviceFilter = (dir: string): void => { attached.push(dir); };
  const cg = createCgroup('h1', undefined, { root, mode: 'hybrid', attachDeviceFilter });
  assert.ok(cg.paths.includes(path.join(root, 'unified', 'tsdocker', 'h1')));
  loadCgroup('h1', { root, mode: 'hybrid', attachDeviceFilter })!.update({ devices: DEFAULT_DEVICE_RULES });
  assert.deepEqual(attached, []);
});

test('memsw is raised first and lowered last, or the kernel refuses', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'm1');
  const cg = createCgroup('m1', { memory: { limit: 32 << 20, swap: 64 << 20 } }, { root, mode: 'legacy' });
  const memoryWrites = (fn: () => void): string[] => writes(fn).filter((w) => w.startsWith('memory.'));
  // raise: current limit 32M < new memsw 256M, so memsw first
  assert.deepEqual(memoryWrites(() => cg.update({ memory: { limit: 128 << 20, swap: 256 << 20 } })),
    [`memory.memsw.limit_in_bytes = ${256 << 20}`, `memory.limit_in_bytes = ${128 << 20}`]);
  // lower: current limit 128M >= new memsw 32M, so memory first
  assert.deepEqual(memoryWrites(() => cg.update({ memory: { limit: 16 << 20, swap: 32 << 20 } })),
    [`memory.limit_in_bytes = ${16 << 20}`, `memory.memsw.limit_in_bytes = ${32 << 20}`]);
  // unlimited memory with swap unset: both unlimited, memsw first
  assert.deepEqual(memoryWrites(() => cg.update({ memory: { limit: -1 } })),
    ['memory.memsw.limit_in_bytes = -1', 'memory.limit_in_bytes = -1']);
});

test('a kernel without swap accounting: unlimited swap is skipped, a swap limit is a clear error', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 's1');
  fs.unlinkSync(path.join(root, 'memory', 'tsdocker', 's1', 'memory.memsw.limit_in_bytes'));
  const cg = createCgroup('s1', { memory: { limit: -1 } }, { root, mode: 'legacy' });
  assert.throws(() => cg.update({ memory: { limit: 32 << 20, swap: 64 << 20 } }),
    /memory\.memsw\.limit_in_bytes: ENOENT .*does not account swap/);
});

test('pids: 0 becomes 1, negative becomes max; a lone quota keeps the period', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'p1');
  const cg = createCgroup('p1', { pids: { limit: 0 } }, { root, mode: 'legacy' });
  const pids = path.join(root, 'pids', 'tsdocker', 'p1', 'pids.max');
  assert.equal(read(pids), '1');
  cg.update({ pids: { limit: -1 } });
  assert.equal(read(pids), 'max');
  assert.deepEqual(writes(() => cg.update({ cpu: { quota: 20000 } })), ['cpu.cfs_quota_us = 20000']);
});

test('oomKilled reads oom_kill from memory.oom_control, and failcnt on old kernels', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'o1');
  const cg = createCgroup('o1', undefined, { root, mode: 'legacy' });
  const dir = path.join(root, 'memory', 'tsdocker', 'o1');
  assert.equal(cg.oomKilled(), false);
  fs.writeFileSync(path.join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  assert.equal(cg.oomKilled(), true);
  fs.writeFileSync(path.join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\n');
  fs.writeFileSync(path.join(dir, 'memory.failcnt'), '3');
  assert.equal(cg.oomKilled(), true);
  assert.deepEqual(cg.stats(), { memoryUsage: 4096, pidsCurrent: 0, pidsLimit: undefined, cpuUsageNs: 123 });
});

test('addProcess writes the pid into every hierarchy', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'a1');
  const cg = createCgroup('a1', undefined, { root, mode: 'legacy' });
  cg.addProcess(4242);
  for (const dir of cg.paths) assert.equal(read(path.join(dir, 'cgroup.procs')), '4242');
});

test('a missing controller that a limit needs is named', (t) => {
  const root = fakeV1(t);
  fs.rmdirSync(path.join(root, 'pids'));
  assert.throws(() => createCgroup('x1', { pids: { limit: 5 } }, { root, mode: 'legacy' }),
    /cgroup v1 controller pids is not mounted at .*\/pids$/);
});

test('a failed write names the file and value and removes what was created', (t) => {
  const root = fakeV1(t);
  // No kernel files: the fresh directories are empty, so the first write fails with ENOENT.
  assert.throws(() => createCgroup('e1', { memory: { limit: 1 << 20 } }, { root, mode: 'legacy' }),
    /write "1048576" to .*\/memory\/tsdocker\/e1\/memory.limit_in_bytes: ENOENT/);
  for (const c of ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer']) {
    assert.equal(fs.existsSync(path.join(root, c, 'tsdocker', 'e1')), false, c);
  }
});

test('an existing cgroup with processes is not taken over', (t) => {
  const root = fakeV1(t);
  kernelFiles(root, 'b1');
  fs.writeFileSync(path.join(root, 'memory', 'tsdocker', 'b1', 'cgroup.procs'), '77\n');
  assert.throws(() => createCgroup('b1', undefined, { root, mode: 'legacy' }), /already exists and has processes \(77\)/);
});

test('loadCgroup finds an existing cgroup; remove is idempotent and takes tsdocker/ with the last one', (t) => {
  const root = fakeV1(t);
  assert.equal(loadCgroup('l1', { root, mode: 'legacy' }), undefined);
  // Empty directories, as rmdir on a fake tree needs (cgroupfs drops its files itself).
  for (const c of ['memory', 'pids']) fs.mkdirSync(path.join(root, c, 'tsdocker', 'l1'), { recursive: true });
  fs.mkdirSync(path.join(root, 'pids', 'tsdocker', 'other')); // another container's
  const cg = loadCgroup('l1', { root, mode: 'legacy' });
  assert.ok(cg);
  assert.deepEqual(cg.paths, ['memory', 'pids'].map((c) => path.join(root, c, 'tsdocker', 'l1')));
  cg.remove();
  cg.remove();
  assert.equal(loadCgroup('l1', { root, mode: 'legacy' }), undefined);
  assert.equal(fs.existsSync(path.join(root, 'memory', 'tsdocker')), false, 'memory/tsdocker went with its last cgroup');
  assert.ok(fs.existsSync(path.join(root, 'pids', 'tsdocker', 'other')), 'pids/tsdocker stays for the other container');
});

test('names are one path component', () => {
  for (const bad of ['', '..', 'a/b', 'tsdocker/x', '-x']) {
    assert.throws(() => createCgroup(bad, undefined, { root: '/nonexistent', mode: 'legacy' }), /invalid cgroup name/);
  }
});
