// cgroup v1: one hierarchy per controller, each mounted at /sys/fs/cgroup/<controller> (or several
// co-mounted, as "cpu,cpuacct" with cpu and cpuacct as symlinks to it). A container gets the
// directory tsdocker/<id> in every hierarchy, as Docker's cgroupfs driver does with docker/<id>;
// the parent tsdocker/ is made with the first container's directory and removed with the last.
// Kernel docs: Documentation/admin-guide/cgroup-v1/{memory,cpuacct,cpusets,pids,devices}.rst and
// scheduler/sched-bwc.rst (CFS quota); the write rules follow runc's opencontainers/cgroups fs/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../../errors';
import { childPath } from '../../fsutil';
import { readDirectoryTypes, readSymlink } from '../../sys/libc';
import { trace } from '../../trace';
import { pidsMax } from './convert';
import { DEFAULT_DEVICE_RULES, formatDeviceRule } from './devices';
import {
  makeDir, readCgroupFile, readKeyedFile, readNumber, refuseIfInUse, removeCgroupDir, removeParentIfEmpty, writeCgroupFile,
  writeProcs,
} from './files';
import type { Cgroup, CgroupStats, LinuxResources } from './types';

/** The hierarchies a container joins, when the host has them: limits, accounting, and freezer for pause. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer', 'blkio'];

/** The controllers without which the requested limits cannot be enforced. */
export function requiredV1Controllers(r: LinuxResources | undefined): string[] {
  const need = ['devices']; // always: the device allow list is a safety default, not an option
  if (r?.memory && (r.memory.limit !== undefined || r.memory.swap !== undefined)) need.push('memory');
  if (r?.cpu && (r.cpu.shares !== undefined || r.cpu.quota !== undefined || r.cpu.period !== undefined)) need.push('cpu');
  if (r?.cpu?.cpus !== undefined) need.push('cpuset');
  if (r?.pids?.limit !== undefined) need.push('pids');
  return need;
}

/**
 * controller -> the real path of its hierarchy root, for the controllers mounted under `root`.
 * In hybrid mode the v2 tree at unified/ is joined too, without controllers, as runc does: so the
 * container's processes are grouped there as well, and a cgroup namespace made after the move
 * shows the container only its own v2 cgroup.
 */
function mountedHierarchies(root: string, hybrid: boolean): Map<string, string> {
  // One listing of the root (a tmpfs of mount points) and a readlink for each symbolic link that
  // systemd makes for comounted controllers (cpu -> cpu,cpuacct): realpath(3) for each name took
  // five system calls, 45 for the nine names here.
  let entries: Map<string, string>;
  try {
    entries = readDirectoryTypes(root);
  } catch {
    return new Map();
  }
  const dirs = new Set([...entries].filter(([, type]) => type === 'd').map(([name]) => name));
  const links = new Set([...entries].filter(([, type]) => type === 'l').map(([name]) => name));
  const out = new Map<string, string>();
  for (const controller of hybrid ? [...V1_CONTROLLERS, 'unified'] : V1_CONTROLLERS) {
    if (dirs.has(controller)) {
      out.set(controller, path.join(root, controller));
    } else if (links.has(controller)) {
      const target = path.resolve(root, readSymlink(path.join(root, controller)));
      if (path.dirname(target) === path.resolve(root) && dirs.has(path.basename(target))) out.set(controller, target);
    }
    // otherwise not mounted on this host
  }
  return out;
}

export function createV1(root: string, name: string, resources: LinuxResources | undefined, hybrid: boolean): Cgroup {
  const hierarchies = mountedHierarchies(root, hybrid);
  for (const controller of requiredV1Controllers(resources)) {
    if (!hierarchies.has(controller)) {
      throw new TsdockerError(`cgroup v1 controller ${controller} is not mounted at ${path.join(root, controller)}`);
    }
  }
  const dirs = new Map<string, string>();
  const created: string[] = [];
  try {
    for (const [controller, hierarchy] of hierarchies) {
      const dir = childPath(hierarchy, 'tsdocker', name);
      // Co-mounted controllers (cpu,cpuacct) share one directory: create it once.
      if (![...dirs.values()].includes(dir)) {
        if (makeCgroupDir(hierarchy, name)) created.push(dir);
        else refuseIfInUse(dir);
      }
      if (controller === 'cpuset') inheritCpuset(dir);
      dirs.set(controller, dir);
    }
    applyV1(dirs, resources, true);
    return new V1Cgroup(dirs);
  } catch (err) {
    for (const dir of created.reverse()) {
      try {
        removeCgroupDir(dir);
        removeParentIfEmpty(path.dirname(dir));
      } catch {
        // keep the first error
      }
    }
    throw err;
  }
}

export function loadV1(root: string, name: string, hybrid: boolean): Cgroup | undefined {
  const dirs = new Map<string, string>();
  for (const [controller, hierarchy] of mountedHierarchies(root, hybrid)) {
    const dir = childPath(hierarchy, 'tsdocker', name);
    if (fs.existsSync(dir)) dirs.set(controller, dir);
  }
  return dirs.size > 0 ? new V1Cgroup(dirs) : undefined;
}

/**
 * mkdir <hierarchy>/tsdocker/<name>; true when it was made now, false when it already existed.
 * tsdocker/ is made with the first container cgroup in it and removed with the last (remove()), so
 * that a host is left with the cgroup tree it had. So the parent is made first each time (EEXIST
 * when it is there: one cheap system call, where trying the child first cost a thrown ENOENT in
 * each of the nine hierarchies, ~0.8 ms a run). Another tsdocker may remove an empty parent
 * between the two mkdirs: then it is made again. In the cpuset hierarchy a new tsdocker/ gets the
 * root's cpus and mems at once, and cgroup.clone_children, so that mkdir gives them to the
 * container's cgroup (inheritCpuset).
 */
function makeCgroupDir(hierarchy: string, name: string): boolean {
  const parent = childPath(hierarchy, 'tsdocker');
  for (let attempt = 1; ; attempt++) {
    if (makeDir(parent) && path.basename(hierarchy).split(',').includes('cpuset') && copyCpuset(parent)) {
      writeCgroupFile(parent, 'cgroup.clone_children', '1');
    }
    try {
      return makeDir(childPath(parent, name));
    } catch (err) {
      if (attempt >= 3 || !(err instanceof TsdockerError) || err.code !== 'ENOENT') throw err;
    }
  }
}

/**
 * A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and the kernel refuses to move
 * a process into it (ENOSPC) until they are set (cgroup-v1/cpusets.rst), unless its parent has
 * cgroup.clone_children set: then mkdir(2) copied the parent's. tsdocker/ gets that flag when it
 * is made (makeCgroupDir), so a container's cgroup costs one read here instead of eight reads and
 * writes (runc copies them each time); a tsdocker/ made otherwise (by hand, or by an older
 * tsdocker) gets its values and the flag here. The hierarchy's root is left as the host set it.
 */
function inheritCpuset(dir: string): void {
  if (readCgroupFile(dir, 'cpuset.cpus') !== '') return;
  const parent = path.dirname(dir);
  copyCpuset(parent); // tsdocker/ itself, made just now
  copyCpuset(dir);
  writeCgroupFile(parent, 'cgroup.clone_children', '1');
}

/** Fill the directory's empty cpuset.cpus and cpuset.mems from its parent's; false when it has
 *  no such files (not a cpuset cgroup: the unit tests' fake tree). */
function copyCpuset(dir: string): boolean {
  let found = false;
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const value = readCgroupFile(dir, file);
    found ||= value !== undefined;
    if (value !== '') continue;
    writeCgroupFile(dir, file, readCgroupFile(path.dirname(dir), file) ?? '');
  }
  return found;
}

/**
 * Write the limits into each controller's directory. `fresh` is true at creation: then devices
 * are always set (Docker's list when none are given); an update leaves them alone unless asked,
 * because re-denying everything would briefly cut off a running container's /dev/null.
 */
export function applyV1(dirs: Map<string, string>, r: LinuxResources | undefined, fresh: boolean): void {
  const memory = dirs.get('memory');
  if (memory && r?.memory) setMemoryAndSwap(memory, r.memory.limit, r.memory.swap);

  const cpu = dirs.get('cpu');
  if (cpu && r?.cpu) {
    if (r.cpu.shares !== undefined && r.cpu.shares !== 0) writeCgroupFile(cpu, 'cpu.shares', String(r.cpu.shares));
    setCfsBandwidth(cpu, r.cpu.quota, r.cpu.period);
  }
  const cpuset = dirs.get('cpuset');
  if (cpuset && r?.cpu?.cpus !== undefined) writeCgroupFile(cpuset, 'cpuset.cpus', r.cpu.cpus);

  const pids = dirs.get('pids');
  if (pids && r?.pids?.limit !== undefined) writeCgroupFile(pids, 'pids.max', pidsMax(r.pids.limit));

  const devices = dirs.get('devices');
  if (devices && (fresh || r?.devices)) {
    const rules = r?.devices ?? DEFAULT_DEVICE_RULES;
    // Everything denied first; an OCI spec's list usually starts so itself, and then once is enough.
    if (rules[0]?.allow !== false || formatDeviceRule(rules[0]) !== 'a') writeCgroupFile(devices, 'devices.deny', 'a');
    for (const rule of rules) {
      writeCgroupFile(devices, rule.allow ? 'devices.allow' : 'devices.deny', formatDeviceRule(rule));
    }
  }
  // Hybrid: the v1 list above enforces the rules; like runc, no eBPF program goes on the v2 tree
  // too (it would cost every start ~5 ms here for nothing: attaching one is slow in the kernel).
}

/**
 * memory.memsw.limit_in_bytes (memory+swap) may never be below memory.limit_in_bytes: the kernel
 * refuses (EINVAL) any single write that would break that. So when raising both, write memsw
 * first; when lowering, write memory first (runc fs/memory.go, setMemoryAndSwap).
 */
function setMemoryAndSwap(dir: string, limit: number | undefined, swap: number | undefined): void {
  // Unlimited memory with swap unset means unlimited memory+swap too.
  if (limit === -1 && swap === undefined) swap = -1;
  const setMemory = (): void => {
    if (limit !== undefined && limit !== 0) writeCgroupFile(dir, 'memory.limit_in_bytes', String(limit));
  };
  const setSwap = (): void => {
    if (swap === undefined || swap === 0) return;
    try {
      writeCgroupFile(dir, 'memory.memsw.limit_in_bytes', String(swap));
    } catch (err) {
      // Without swap accounting the file does not exist; "unlimited" then asks for nothing.
      if (err instanceof TsdockerError && err.code === 'ENOENT' && swap === -1) {
        trace('cgroup', `skip memory.memsw.limit_in_bytes: no swap accounting in this kernel`);
        return;
      }
      throw err;
    }
  };
  if (limit !== undefined && limit !== 0 && swap !== undefined && swap !== 0) {
    const current = readNumber(dir, 'memory.limit_in_bytes');
    if (swap === -1 || (current !== undefined && current < swap)) {
      setSwap();
      setMemory();
      return;
    }
  }
  setMemory();
  setSwap();
}

/**
 * CFS bandwidth (scheduler/sched-bwc.rst): the group may run `quota` microseconds per `period`.
 * Period first, but a shorter period can be refused (EINVAL) while the old quota would then
 * exceed the parent's share; in that case write the quota and retry the period (runc fs/cpu.go).
 */
function setCfsBandwidth(dir: string, quota: number | undefined, period: number | undefined): void {
  let periodPending = false;
  if (period !== undefined && period !== 0) {
    try {
      writeCgroupFile(dir, 'cpu.cfs_period_us', String(period));
    } catch (err) {
      if (!(err instanceof TsdockerError) || err.code !== 'EINVAL' || quota === undefined || quota === 0) throw err;
      periodPending = true;
    }
  }
  if (quota !== undefined && quota !== 0) {
    writeCgroupFile(dir, 'cpu.cfs_quota_us', String(quota < 0 ? -1 : quota));
    if (periodPending) writeCgroupFile(dir, 'cpu.cfs_period_us', String(period));
  }
}

/** The kernel shows "no limit" on v1 as the largest page-aligned signed 64-bit value. */
const V1_UNLIMITED = 2 ** 62;

class V1Cgroup implements Cgroup {
  readonly paths: string[];

  constructor(private readonly dirs: Map<string, string>) {
    this.paths = [...new Set(dirs.values())];
  }

  addProcess(pid: number): void {
    for (const dir of this.paths) writeProcs(dir, pid);
  }

  update(resources: LinuxResources): void {
    applyV1(this.dirs, resources, false);
  }

  oomKilled(): boolean {
    const memory = this.dirs.get('memory');
    if (!memory) return false;
    // oom_kill appeared in memory.oom_control in Linux 4.13; before that, the count of times the
    // limit was hit is the best sign there is.
    const kills = readKeyedFile(memory, 'memory.oom_control')?.get('oom_kill');
    if (kills !== undefined) return kills > 0;
    return (readNumber(memory, 'memory.failcnt') ?? 0) > 0;
  }

  stats(): CgroupStats {
    const out: CgroupStats = {};
    const memory = this.dirs.get('memory');
    if (memory) {
      out.memoryUsage = readNumber(memory, 'memory.usage_in_bytes');
      const limit = readNumber(memory, 'memory.limit_in_bytes');
      if (limit !== undefined && limit < V1_UNLIMITED) out.memoryLimit = limit;
    }
    const pids = this.dirs.get('pids');
    if (pids) {
      out.pidsCurrent = readNumber(pids, 'pids.current');
      out.pidsLimit = readNumber(pids, 'pids.max');
    }
    const cpuacct = this.dirs.get('cpuacct');
    if (cpuacct) out.cpuUsageNs = readNumber(cpuacct, 'cpuacct.usage');
    return out;
  }

  remove(): void {
    for (const dir of this.paths) removeCgroupDir(dir);
    for (const dir of this.paths) removeParentIfEmpty(path.dirname(dir));
  }
}
