// cgroup v2: one tree, mounted at /sys/fs/cgroup, with every controller in it (kernel
// Documentation/admin-guide/cgroup-v2.rst). A container gets the single directory tsdocker/<id>
// under the root, even when tsdocker itself runs in some other cgroup (a systemd session or
// service), as Docker's cgroupfs driver does. The write rules follow runc's opencontainers/cgroups
// fs2/ and crun's cgroup-resources.c.
//
// Device rules are an eBPF program attached to the container's cgroup (devicefilter.ts).
//
// Two kernel rules shape the code:
//  - A controller is usable in a cgroup only if its parent lists it in cgroup.subtree_control, so
//    "+cpu +memory +pids" is written into the root's and into tsdocker/'s.
//  - "No internal processes": a cgroup other than the root cannot both hold processes and enable
//    controllers for its children (EBUSY). tsdocker/ never holds processes, only the leaves do.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../../errors';
import { childPath } from '../../fsutil';
import { trace } from '../../trace';
import { pidsMax, sharesToWeight, swapToV2 } from './convert';
import { DEFAULT_DEVICE_RULES, setDeviceFilter } from './devices';
import {
  makeDir, readCgroupFile, readKeyedFile, readNumber, refuseIfInUse, removeCgroupDir, removeParentIfEmpty, writeCgroupFile,
  writeProcs,
} from './files';
import type { AttachDeviceFilter, Cgroup, CgroupStats, LinuxResources } from './types';

/** The controllers a container's cgroup gets whenever the host offers them. */
const V2_CONTROLLERS = ['cpu', 'memory', 'pids'];

/** The controllers without which the requested limits cannot be enforced. */
export function requiredV2Controllers(r: LinuxResources | undefined): string[] {
  const need: string[] = [];
  if (r?.memory && (r.memory.limit !== undefined || r.memory.swap !== undefined)) need.push('memory');
  if (r?.cpu && (r.cpu.shares !== undefined || r.cpu.quota !== undefined || r.cpu.period !== undefined)) need.push('cpu');
  if (r?.cpu?.cpus !== undefined) need.push('cpuset');
  if (r?.pids?.limit !== undefined) need.push('pids');
  return need;
}

export function createV2(root: string, name: string, resources: LinuxResources | undefined,
  attach?: AttachDeviceFilter): Cgroup {
  const available = (readCgroupFile(root, 'cgroup.controllers') ?? '').split(/\s+/).filter(Boolean);
  const required = requiredV2Controllers(resources);
  for (const controller of required) {
    if (!available.includes(controller)) {
      throw new TsdockerError(`cgroup v2 controller ${controller} is not available in ${path.join(root, 'cgroup.controllers')}`);
    }
  }
  const wanted = [...new Set([...V2_CONTROLLERS, ...required])].filter((c) => available.includes(c));
  const parent = childPath(root, 'tsdocker');
  const dir = childPath(parent, name);
  let created = false;
  try {
    enableControllers(root, wanted, required);
    // tsdocker/ goes with its last container cgroup (remove), so another tsdocker may remove an
    // empty one between the two mkdirs: then make it, and enable controllers, again.
    for (let attempt = 1; ; attempt++) {
      makeDir(parent);
      enableControllers(parent, wanted, required);
      try {
        created = makeDir(dir);
        break;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof TsdockerError) || err.code !== 'ENOENT') throw err;
      }
    }
    if (!created) refuseIfInUse(dir);
    applyV2(dir, resources, true, attach);
    return new V2Cgroup(dir, attach);
  } catch (err) {
    if (created) {
      try {
        removeCgroupDir(dir);
        removeParentIfEmpty(parent);
      } catch {
        // keep the first error
      }
    }
    throw err;
  }
}

export function loadV2(root: string, name: string, attach?: AttachDeviceFilter): Cgroup | undefined {
  const dir = childPath(root, 'tsdocker', name);
  return fs.existsSync(dir) ? new V2Cgroup(dir, attach) : undefined;
}

/**
 * Enable controllers for the children of `dir`. All at once first; if the kernel refuses, one at a
 * time, so one unusable controller does not cost the others (runc fs2/create.go, crun
 * cgroup-utils.c). Only a controller the limits need is worth failing for.
 */
function enableControllers(dir: string, wanted: string[], required: string[]): void {
  const enabled = (readCgroupFile(dir, 'cgroup.subtree_control') ?? '').split(/\s+/);
  const missing = wanted.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;
  try {
    writeCgroupFile(dir, 'cgroup.subtree_control', missing.map((c) => '+' + c).join(' '));
    return;
  } catch (err) {
    if (missing.length === 1 && required.includes(missing[0])) throw err;
  }
  for (const controller of missing) {
    try {
      writeCgroupFile(dir, 'cgroup.subtree_control', '+' + controller);
    } catch (err) {
      if (required.includes(controller)) throw err;
      trace('cgroup', `controller ${controller} not enabled in ${dir}: ${(err as Error).message}`);
    }
  }
}

/**
 * Write the limits into the container's directory. `fresh` is true at creation: then the device
 * program is always attached (Docker's list when none is given); an update replaces it only when
 * new rules are given, as on v1.
 */
export function applyV2(dir: string, r: LinuxResources | undefined, fresh: boolean, attach?: AttachDeviceFilter): void {
  if (r?.memory) {
    // runc writes swap before memory; on v2 the two are independent limits.
    const swap = swapToV2(r.memory.swap, r.memory.limit);
    if (swap !== undefined) setSwapMax(dir, swap === -1 ? 'max' : String(swap));
    const limit = r.memory.limit;
    if (limit !== undefined && limit !== 0) writeCgroupFile(dir, 'memory.max', limit < 0 ? 'max' : String(limit));
  }
  if (r?.cpu) {
    const { shares, quota, period } = r.cpu;
    if (shares !== undefined && shares !== 0) writeCgroupFile(dir, 'cpu.weight', String(sharesToWeight(shares)));
    // cpu.max is "<quota|max> [<period>]" in one write; without a period the kernel keeps its own.
    if ((quota !== undefined && quota !== 0) || (period !== undefined && period !== 0)) {
      let value = quota !== undefined && quota > 0 ? String(quota) : 'max';
      if (period !== undefined && period !== 0) value += ` ${period}`;
      writeCgroupFile(dir, 'cpu.max', value);
    }
    if (r.cpu.cpus !== undefined) writeCgroupFile(dir, 'cpuset.cpus', r.cpu.cpus);
  }
  if (r?.pids?.limit !== undefined) writeCgroupFile(dir, 'pids.max', pidsMax(r.pids.limit));
  // With --privileged the rules allow everything, and the program says so: runc attaches it too.
  if (fresh || r?.devices) setDeviceFilter(dir, r?.devices ?? DEFAULT_DEVICE_RULES, attach);
}

/**
 * memory.swap.max exists only when the kernel accounts swap (CONFIG_MEMCG_SWAP, and not
 * swapaccount=0). Without it, "max" or 0 asks for nothing the kernel is not doing already, so the
 * missing file is ignored for those; any other value is an error (runc fs2/memory.go).
 */
function setSwapMax(dir: string, value: string): void {
  try {
    writeCgroupFile(dir, 'memory.swap.max', value);
  } catch (err) {
    if (err instanceof TsdockerError && err.code === 'ENOENT' && (value === 'max' || value === '0')) {
      trace('cgroup', 'skip memory.swap.max: no swap accounting in this kernel');
      return;
    }
    throw err;
  }
}

class V2Cgroup implements Cgroup {
  readonly paths: string[];

  constructor(private readonly dir: string, private readonly attach?: AttachDeviceFilter) {
    this.paths = [dir];
  }

  addProcess(pid: number): void {
    writeProcs(this.dir, pid);
  }

  update(resources: LinuxResources): void {
    applyV2(this.dir, resources, false, this.attach);
  }

  oomKilled(): boolean {
    return (readKeyedFile(this.dir, 'memory.events')?.get('oom_kill') ?? 0) > 0;
  }

  stats(): CgroupStats {
    const usec = readKeyedFile(this.dir, 'cpu.stat')?.get('usage_usec');
    return {
      memoryUsage: readNumber(this.dir, 'memory.current'),
      memoryLimit: readNumber(this.dir, 'memory.max'),
      pidsCurrent: readNumber(this.dir, 'pids.current'),
      pidsLimit: readNumber(this.dir, 'pids.max'),
      cpuUsageNs: usec === undefined ? undefined : usec * 1000,
    };
  }

  remove(): void {
    removeCgroupDir(this.dir);
    removeParentIfEmpty(path.dirname(this.dir));
  }
}
