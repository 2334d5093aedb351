// Control groups for containers: the kernel's limits on memory, CPU, process count and devices
// (cgroups(7)). The runtime calls createCgroup before it releases the container's first process,
// moves that process in with addProcess, so that nothing the container runs escapes its limits,
// and calls remove once the container has exited.
//
// The same call works on the three layouts a Linux host can have (detect.ts): cgroup v2 alone
// (v2.ts), cgroup v1 alone (v1.ts), and hybrid, where the controllers are v1 and a v2 tree only
// tracks processes (v1.ts, after checking that no controller tsdocker needs is bound to v2; the
// container joins the v2 tree too, without limits there).
// Device rules are devices.allow/deny lines on v1 and an eBPF program on v2 (devicefilter.ts).
// The cgroup root is a parameter, so the logic runs in unit tests on a fake tree in a temp dir.
import * as fs from 'node:fs';
import { TsdockerError } from '../../errors';
import { childPath } from '../../fsutil';
import { CGROUP_ROOT, checkHybrid, detectMode } from './detect';
import { removeParentIfEmpty, subdirectories } from './files';
import { createV1, loadV1, requiredV1Controllers } from './v1';
import { createV2, loadV2 } from './v2';
import type { Cgroup, CgroupOptions, LinuxResources } from './types';

export type { AttachDeviceFilter, Cgroup, CgroupMode, CgroupOptions, CgroupStats, DeviceRule, LinuxResources } from './types';
export { detectMode } from './detect';
export { cpusToQuota, sharesToWeight, swapToV2 } from './convert';
export { DEFAULT_DEVICE_RULES } from './devices';

/**
 * Create the cgroup tsdocker/<name> (name: the container id) and write its limits:
 * v1: <root>/<controller>/tsdocker/<name> for each controller; v2: <root>/tsdocker/<name>.
 * On any failure, what was created is removed again.
 */
export function createCgroup(name: string, resources?: LinuxResources, opts: CgroupOptions = {}): Cgroup {
  checkName(name);
  const root = opts.root ?? CGROUP_ROOT;
  const mode = opts.mode ?? detectMode(root);
  if (mode === 'unified') return createV2(root, name, resources, opts.attachDeviceFilter);
  if (mode === 'hybrid') checkHybrid(root, requiredV1Controllers(resources));
  return createV1(root, name, resources, mode === 'hybrid');
}

/** Re-open a container's cgroup (after tsdocker restarted), or undefined when there is none. */
export function loadCgroup(name: string, opts: CgroupOptions = {}): Cgroup | undefined {
  checkName(name);
  const root = opts.root ?? CGROUP_ROOT;
  const mode = opts.mode ?? detectMode(root);
  return mode === 'unified' ? loadV2(root, name, opts.attachDeviceFilter) : loadV1(root, name, mode === 'hybrid');
}

/**
 * Remove the `tsdocker/` parents that hold no container cgroup (`system prune`). A container's
 * cgroup takes its parent with it when it is the last (files.ts removeParentIfEmpty); this finds
 * the ones an older tsdocker left, or one killed between the two rmdirs. A parent that still holds
 * one, or is made again meanwhile by a starting container, refuses rmdir(2) and stays. Returns
 * the directories removed.
 */
export function removeEmptyParents(opts: { root?: string } = {}): string[] {
  const root = opts.root ?? CGROUP_ROOT;
  const hierarchies = detectMode(root) === 'unified' ? [root] : subdirectoriesOrNone(root).map((c) => childPath(root, c));
  const removed: string[] = [];
  for (const hierarchy of hierarchies) {
    const parent = childPath(hierarchy, 'tsdocker');
    if (fs.existsSync(parent) && removeParentIfEmpty(parent)) removed.push(parent);
  }
  return removed;
}

function subdirectoriesOrNone(dir: string): string[] {
  try {
    return subdirectories(dir);
  } catch {
    return [];
  }
}

/** One path component: the container id, never a path that could climb out of tsdocker/. */
function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name)) {
    throw new TsdockerError(`invalid cgroup name "${name}": expected a container id (the cgroup is tsdocker/<id>)`);
  }
}
