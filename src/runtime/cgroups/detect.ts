// Which cgroup layout the host uses, decided as runc (opencontainers/cgroups utils.go) and crun
// (cgroup.c, libcrun_get_cgroup_mode) do it: by the file system type of /sys/fs/cgroup, from
// statfs(2). See cgroups(7), "CGROUPS VERSION 1 AND VERSION 2".
//   cgroup2 on /sys/fs/cgroup                 -> unified: one v2 tree with every controller
//   tmpfs with cgroup2 on /sys/fs/cgroup/unified -> hybrid: v1 controllers, plus a v2 tree that
//                                                systemd uses only to track processes
//   tmpfs without it                          -> legacy: v1 only, one mount per controller
import * as path from 'node:path';
import { TsdockerError, isNodeError } from '../../errors';
import type { CgroupMode } from './types';
import { fileSystemType, readText } from '../../sys/libc';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** statfs f_type values from linux/magic.h. */
export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const TMPFS_MAGIC = 0x01021994;

export function detectMode(root: string = CGROUP_ROOT): CgroupMode {
  const rootType = fsType(root);
  if (rootType === undefined) throw new TsdockerError(`cgroups: ${root} does not exist`, { path: root });
  return modeFromTypes(rootType, fsType(path.join(root, 'unified')), root);
}

/** The decision itself, apart from statfs, so it can be tested without a cgroup mount. */
export function modeFromTypes(rootType: number, unifiedType: number | undefined, root = CGROUP_ROOT): CgroupMode {
  if (rootType === CGROUP2_SUPER_MAGIC) return 'unified';
  if (rootType !== TMPFS_MAGIC) {
    throw new TsdockerError(`cgroups: ${root} is neither cgroup2 nor a tmpfs of cgroup v1 mounts ` +
      `(file system type 0x${rootType.toString(16)})`, { path: root });
  }
  return unifiedType === CGROUP2_SUPER_MAGIC ? 'hybrid' : 'legacy';
}

function fsType(dir: string): number | undefined {
  try {
    return fileSystemType(dir);
  } catch (err) {
    if (isNodeError(err, 'ENOENT')) return undefined;
    throw new TsdockerError(`statfs ${dir}: ${isNodeError(err) ? err.code : String(err)}`, { path: dir, cause: err });
  }
}

/**
 * In hybrid mode a controller can be bound to the v2 tree instead of v1 (one hierarchy per
 * controller): then tsdocker cannot use it through v1. crun refuses hybrid hosts whenever
 * unified/cgroup.controllers lists anything; tsdocker refuses only when a controller it needs is
 * there, so a host that gives v2 only, say, hugetlb still works.
 */
export function checkHybrid(root: string, needed: string[]): void {
  const file = path.join(root, 'unified', 'cgroup.controllers');
  const text = readText(file); // a missing file (no v2 tree) gives undefined
  if (text === undefined) return;
  const onV2 = text.split(/\s+/).filter((c) => needed.includes(c));
  if (onV2.length > 0) {
    throw new TsdockerError(`cgroups in hybrid mode with the ${onV2.join(', ')} controller${onV2.length > 1 ? 's' : ''} ` +
      `on the v2 hierarchy (${file}) are not supported: use cgroup v1 for them, or boot with ` +
      'systemd.unified_cgroup_hierarchy=1 for cgroup v2 only', { path: file });
  }
}
