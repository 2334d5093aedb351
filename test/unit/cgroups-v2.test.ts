// cgroup v2 logic on a fake tree in a temp dir (no root needed): cgroup.controllers and
// cgroup.subtree_control at each level, and the files a new leaf has, made beforehand.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCgroup, DEFAULT_DEVICE_RULES, loadCgroup, type CgroupOptions } from '../../src/runtime/cgroups';
import { deviceFilter } from '../../src/runtime/cgroups/devicefilter';

function fakeV2(t: { after: (fn: () => void) => void }, controllers = 'cpuset cpu io memory hugetlb pids rdma misc'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-cg2-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  write(root, { 'cgroup.controllers': controllers, 'cgroup.subtree_control': '', 'cgroup.procs': '1\n' });
  write(path.join(root, 'tsdocker'), { 'cgroup.controllers': '', 'cgroup.subtree_control': '' });
  return root;
}

/** Options for a fake tree: bpf(2) cannot attach to a temp dir, so record what would be attached. */
function v2(root: string, attached: { dir: string; program: Buffer }[] = []): CgroupOptions {
  return { root, mode: 'unified', attachDeviceFilter: (dir, program) => { attached.push({ dir, program }); } };
}

function leafFiles(root: string, id: string, omit: string[] = []): string {
  const dir = path.join(root, 'tsdocker', id);
  const files: Record<string, string> = {
    'cgroup.procs': '', 'memory.max': 'max', 'memory.swap.max': 'max', 'memory.current': '8192',
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
    'cpu.max': 'max 100000', 'cpu.weight': '100', 'cpu.stat': 'usage_usec 250\nuser_usec 200\nsystem_usec 50\n',
    'pids.max': 'max', 'pids.current': '0',
  };
  for (const name of omit) delete files[name];
  write(dir, files);
  return dir;
}

function write(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), value);
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

test('controllers are enabled in every ancestor, limits go to one directory', (t) => {
  const root = fakeV2(t);
  const dir = leafFiles(root, 'c1');
  const cg = createCgroup('c1', {
    memory: { limit: 32 << 20, swap: 96 << 20 },
    cpu: { shares: 1024, quota: 50000, period: 100000 },
    pids: { limit: 20 },
  }, v2(root));
  assert.deepEqual(cg.paths, [dir]);
  assert.equal(read(root, 'cgroup.subtree_control'), '+cpu +memory +pids');
  assert.equal(read(path.join(root, 'tsdocker'), 'cgroup.subtree_control'), '+cpu +memory +pids');
  assert.equal(read(dir, 'memory.max'), String(32 << 20));
  assert.equal(read(dir, 'memory.swap.max'), String(64 << 20), 'swap alone: memory+swap minus memory');
  assert.equal(read(dir, 'cpu.max'), '50000 100000');
  assert.equal(read(dir, 'cpu.weight'), '100', 'the default 1024 shares is the default weight 100');
  assert.equal(read(dir, 'pids.max'), '20');
});

test('controllers already enabled are not written again; cpuset only when cpus are set', (t) => {
  const root = fakeV2(t);
  fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), 'cpu memory pids');
  const dir = leafFiles(root, 'c2');
  fs.writeFileSync(path.join(dir, 'cpuset.cpus'), '');
  createCgroup('c2', { cpu: { cpus: '0-1' } }, v2(root));
  assert.equal(read(root, 'cgroup.subtree_control'), '+cpuset');
  assert.equal(read(dir, 'cpuset.cpus'), '0-1');
});

test('a limit whose controller the host lacks is a clear error', (t) => {
  const root = fakeV2(t, 'cpu memory');
  leafFiles(root, 'c3');
  assert.throws(() => createCgroup('c3', { pids: { limit: 5 } }, v2(root)),
    /cgroup v2 controller pids is not available in .*cgroup.controllers/);
  // without a pids limit the same host is fine, and pids is simply not enabled
  createCgroup('c3', { memory: { limit: 1 << 20 } }, v2(root));
  assert.equal(read(root, 'cgroup.subtree_control'), '+cpu +memory');
});

test('pids 0 becomes 1, negative becomes max; quota -1 is max', (t) => {
  const root = fakeV2(t);
  const dir = leafFiles(root, 'p1');
  const cg = createCgroup('p1', { pids: { limit: 0 } }, v2(root));
  assert.equal(read(dir, 'pids.max'), '1');
  cg.update({ pids: { limit: -1 }, cpu: { quota: -1, period: 100000 } });
  assert.equal(read(dir, 'pids.max'), 'max');
  assert.equal(read(dir, 'cpu.max'), 'max 100000');
  cg.update({ cpu: { quota: 25000 } });
  assert.equal(read(dir, 'cpu.max'), '25000', 'without a period the kernel keeps its own');
});

test('memory.swap.max missing: max and 0 are ignored, a real swap limit is an error', (t) => {
  const root = fakeV2(t);
  const dir = leafFiles(root, 's1', ['memory.swap.max']);
  const cg = createCgroup('s1', { memory: { limit: -1 } }, v2(root));
  assert.equal(read(dir, 'memory.max'), 'max');
  cg.update({ memory: { limit: 32 << 20, swap: 32 << 20 } }); // swap.max 0
  assert.throws(() => cg.update({ memory: { limit: 32 << 20, swap: 64 << 20 } }),
    /memory\.swap\.max: ENOENT .*does not account swap/);
  assert.throws(() => cg.update({ memory: { limit: 64 << 20, swap: 32 << 20 } }), /memory\+swap .* is smaller than memory/);
});

test('devices: an eBPF program at creation (Docker\'s list by default); an update replaces it only when asked', (t) => {
  const root = fakeV2(t);
  const dir = leafFiles(root, 'd1');
  const attached: { dir: string; program: Buffer }[] = [];
  const cg = createCgroup('d1', { pids: { limit: 5 } }, v2(root, attached));
  assert.deepEqual(attached, [{ dir, program: deviceFilter(DEFAULT_DEVICE_RULES) }]);
  cg.update({ pids: { limit: 6 } });
  assert.equal(attached.length, 1, 'an update without rules leaves the program alone');
  const privileged = [{ allow: true, access: 'rwm' }];
  cg.update({ devices: privileged });
  assert.deepEqual(attached[1], { dir, program: deviceFilter(privileged) });
  // A program the kernel refuses: the cgroup made for it is removed again.
  const refuse = (): void => { throw new Error('bpf(BPF_PROG_LOAD) refused'); };
  assert.throws(() => createCgroup('d2', undefined, { ...v2(root), attachDeviceFilter: refuse }), /refused/);
  assert.equal(fs.existsSync(path.join(root, 'tsdocker', 'd2')), false);
});

test('oomKilled and stats read memory.events, memory.current, cpu.stat, pids', (t) => {
  const root = fakeV2(t);
  const dir = leafFiles(root, 'o1');
  const cg = createCgroup('o1', { memory: { limit: 1 << 20 } }, v2(root));
  assert.equal(cg.oomKilled(), false);
  fs.writeFileSync(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n');
  assert.equal(cg.oomKilled(), true);
  assert.deepEqual(cg.stats(), {
    memoryUsage: 8192, memoryLimit: 1 << 20, pidsCurrent: 0, pidsLimit: undefined, cpuUsageNs: 250000,
  });
  cg.addProcess(31337);
  assert.equal(read(dir, 'cgroup.procs'), '31337');
});

test('a fresh leaf that cannot take a limit is removed again', (t) => {
  const root = fakeV2(t);
  // No leaf files: the directory is new and empty, so memory.max is missing (ENOENT).
  assert.throws(() => createCgroup('e1', { memory: { limit: 1 << 20 } }, v2(root)),
    /write "1048576" to .*tsdocker\/e1\/memory.max: ENOENT .*controller for this file is not enabled/);
  assert.equal(fs.existsSync(path.join(root, 'tsdocker', 'e1')), false);
});

test('created without limits, loaded again, removed twice', (t) => {
  const root = fakeV2(t);
  const cg = createCgroup('r1', undefined, v2(root));
  assert.deepEqual(cg.paths, [path.join(root, 'tsdocker', 'r1')]);
  assert.deepEqual(loadCgroup('r1', v2(root))?.paths, cg.paths);
  cg.remove();
  cg.remove();
  assert.equal(loadCgroup('r1', v2(root)), undefined);
});
