// Reading and writing cgroupfs files. Every write of a limit goes through writeCgroupFile, so
// `--trace` shows each file and value, and every failure names the file, the value and, where the
// kernel's errno is cryptic, what it usually means (see cgroups(7) and the kernel's
// Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst).
import { TsdockerError, isNodeError, strerror } from '../../errors';
import { childPath } from '../../fsutil';
import { O_TRUNC, O_WRONLY, makeDirectory, readDirectoryTypes, readText, removeDirectory, writeText } from '../../sys/libc';
import { trace } from '../../trace';

/** Write `value` to `<dir>/<file>`, as `echo value > file` would. */
export function writeCgroupFile(dir: string, file: string, value: string): void {
  const target = childPath(dir, file);
  trace('cgroup', `write ${target} = ${value}`);
  try {
    // No O_CREAT: a missing file must fail with ENOENT (the controller is not enabled, or the
    // kernel lacks the feature), not be created. O_WRONLY because some files, such as
    // devices.allow, are write-only. O_TRUNC is what `echo > file` and runc use; cgroupfs ignores it.
    // Through the addon: a run writes some 25 cgroup files, each ~50 us less (libc.ts readText).
    writeText(target, value, O_WRONLY | O_TRUNC);
  } catch (err) {
    throw writeError(target, file, value, err);
  }
}

function writeError(target: string, file: string, value: string, err: unknown): TsdockerError {
  if (!(err instanceof TsdockerError) || err.errno === undefined) {
    return new TsdockerError(`write "${value}" to ${target}: ${String(err)}`, { cause: err });
  }
  const hint = hintFor(file, err.code ?? '');
  return new TsdockerError(
    `write "${value}" to ${target}: ${err.code} (${strerror(err.errno)})${hint ? ': ' + hint : ''}`,
    { code: err.code, errno: err.errno, path: target, cause: err });
}

/** The usual reason behind an errno for a given cgroup file, in words a student can act on. */
export function hintFor(file: string, code: string): string | undefined {
  if (code === 'ENOENT') {
    if (file === 'memory.swap.max' || file === 'memory.memsw.limit_in_bytes') {
      return 'the kernel does not account swap (CONFIG_MEMCG_SWAP, or swapaccount=0 on the kernel command line)';
    }
    return 'the controller for this file is not enabled in this cgroup';
  }
  if (code === 'EBUSY') {
    if (file === 'memory.limit_in_bytes' || file === 'memory.max' || file === 'memory.memsw.limit_in_bytes') {
      return 'the new limit is below what the cgroup already uses';
    }
    if (file === 'cgroup.subtree_control') {
      return 'the cgroup has processes of its own, and cgroup v2 only enables controllers in cgroups without them ("no internal processes")';
    }
    if (file === 'cgroup.procs') return 'the cgroup has child cgroups with controllers enabled';
    return undefined;
  }
  if (code === 'EINVAL') {
    if (file === 'memory.memsw.limit_in_bytes' || file === 'memory.limit_in_bytes') {
      return 'memory+swap (memsw) must be at least the memory limit';
    }
    if (file.startsWith('cpu.cfs_') || file === 'cpu.max') {
      return 'quota and period must each be 1000..1000000 microseconds (quota may be -1/max) and fit within the parent\'s quota';
    }
    if (file === 'cgroup.procs') return 'the process is exiting or not yet fully created';
    if (file === 'cgroup.subtree_control') return 'the controller is not available in the parent (cgroup.controllers)';
    return 'the kernel rejected the value';
  }
  if (code === 'ENOSPC' && file === 'cgroup.procs') {
    return 'the cpuset cgroup has no cpus or mems (cpuset.cpus/cpuset.mems are empty)';
  }
  if (code === 'EOPNOTSUPP' && file === 'cgroup.subtree_control') {
    return 'the cgroup is threaded (cgroup.type), where domain controllers such as memory cannot be enabled';
  }
  return undefined;
}

/** The trimmed content of `<dir>/<file>`, or undefined when the file does not exist. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readText(childPath(dir, file))?.trim();
  } catch (err) {
    throw wrapRead(dir, file, err);
  }
}

/**
 * A flat-keyed file ("key value" per line, as memory.events, memory.oom_control, cpu.stat and
 * memory.stat are) as a map; undefined when the file does not exist.
 */
export function readKeyedFile(dir: string, file: string): Map<string, number> | undefined {
  const text = readCgroupFile(dir, file);
  if (text === undefined) return undefined;
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

/** A number file; "max" (v2) and absent files give undefined. */
export function readNumber(dir: string, file: string): number | undefined {
  const text = readCgroupFile(dir, file);
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The pids listed in `<dir>/cgroup.procs`. */
export function readProcs(dir: string): number[] {
  const text = readCgroupFile(dir, 'cgroup.procs') ?? '';
  return text.split('\n').filter((l) => l !== '').map(Number);
}

/**
 * Write a pid to cgroup.procs. EINVAL can mean the task is still being created (TASK_NEW, just
 * after fork); runc retries five times, 30 ms apart, and so do we.
 */
export function writeProcs(dir: string, pid: number): void {
  for (let attempt = 1; ; attempt++) {
    try {
      writeCgroupFile(dir, 'cgroup.procs', String(pid));
      return;
    } catch (err) {
      if (!(err instanceof TsdockerError) || err.code !== 'EINVAL' || attempt >= 5) throw err;
      sleepSync(30);
    }
  }
}

/** A directory we are about to reuse must not belong to a running container. */
export function refuseIfInUse(dir: string): void {
  const pids = readProcs(dir);
  if (pids.length > 0) {
    throw new TsdockerError(`cgroup ${dir} already exists and has processes (${pids.join(' ')})`, { path: dir });
  }
}

function wrapRead(dir: string, file: string, err: unknown): TsdockerError {
  const target = childPath(dir, file);
  const code = err instanceof TsdockerError ? err.code : undefined;
  return new TsdockerError(`read ${target}: ${code ?? String(err)}`, { code, path: target, cause: err });
}

/** Block the thread for `ms` milliseconds (cgroup calls are synchronous, like the syscalls they wrap). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** mkdir that reports whether it made the directory; an existing one is reused. */
export function makeDir(dir: string): boolean {
  trace('cgroup', `mkdir ${dir}`);
  try {
    return makeDirectory(dir, 0o755);
  } catch (err) {
    const code = err instanceof TsdockerError ? err.code : undefined;
    throw new TsdockerError(`create cgroup ${dir}: ${code ?? String(err)}`, { code, path: dir, cause: err });
  }
}

const REMOVE_TRIES = 100;
const REMOVE_WAIT_MS = 20;

/**
 * rmdir a cgroup and any child cgroups under it, deepest first. A cgroup directory is removed with
 * rmdir even though it lists files: cgroupfs drops them with it. rmdir is tried first, and the
 * directory is listed only when it refuses (EBUSY): a container's cgroup seldom has children, and
 * listing each of the nine v1 directories cost more than their removal. The kernel frees a cgroup
 * a moment after its last process has exited (the exit is reported before the task leaves the
 * cgroup), so EBUSY without children is retried for up to two seconds. A missing directory is not
 * an error.
 */
export function removeCgroupDir(dir: string): void {
  trace('cgroup', `rmdir ${dir}`);
  let listed = false;
  for (let attempt = 1; ; attempt++) {
    try {
      removeDirectory(dir); // a missing one is no failure
      return;
    } catch (err) {
      if (!(err instanceof TsdockerError) || err.code !== 'EBUSY') throw wrapRemove(dir, err);
      if (!listed) {
        listed = true;
        if (removeChildCgroups(dir)) continue;
      }
      if (attempt >= REMOVE_TRIES) throw wrapRemove(dir, err);
      sleepSync(REMOVE_WAIT_MS);
    }
  }
}

/**
 * rmdir a tsdocker/ parent once no container cgroup is left in it, so that containers leave the
 * cgroup tree as they found it; false when one still is (the kernel refuses: EBUSY, or ENOTEMPTY
 * on a plain directory, as in the unit tests' fake tree). One already gone is fine. One rmdir(2),
 * nothing listed.
 */
export function removeParentIfEmpty(parent: string): boolean {
  try {
    removeDirectory(parent); // a missing one is no failure
  } catch (err) {
    const code = err instanceof TsdockerError ? err.code : undefined;
    if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
    throw wrapRemove(parent, err);
  }
  trace('cgroup', `rmdir ${parent} (no container cgroup left in it)`);
  return true;
}

/** The directories in `dir` (the cgroups under a cgroup, or the hierarchies under the cgroup
 *  root, where systemd's symbolic links for comounted ones are left out). Throws as readdir does. */
export function subdirectories(dir: string): string[] {
  return [...readDirectoryTypes(dir)].filter(([, type]) => type === 'd').map(([name]) => name);
}

/** rmdir the cgroups under `dir`; true when there were any. */
function removeChildCgroups(dir: string): boolean {
  let children: string[];
  try {
    children = subdirectories(dir);
  } catch (err) {
    if (isNodeError(err, 'ENOENT')) return false;
    throw wrapRemove(dir, err);
  }
  for (const child of children) removeCgroupDir(childPath(dir, child));
  return children.length > 0;
}

function wrapRemove(dir: string, err: unknown): TsdockerError {
  const code = isNodeError(err) || err instanceof TsdockerError ? err.code : undefined;
  let detail = code ?? String(err);
  if (code === 'EBUSY') {
    const pids = readProcsQuietly(dir);
    detail += pids.length > 0 ? ` (processes still in it: ${pids.join(' ')})` : ' (device or resource busy)';
  }
  return new TsdockerError(`remove cgroup ${dir}: ${detail}`, { code, path: dir, cause: err });
}

function readProcsQuietly(dir: string): number[] {
  try {
    return readProcs(dir);
  } catch {
    return [];
  }
}
