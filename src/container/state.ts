// Keeping records true when tsdocker was not there to see the end. tsdocker has no daemon: the
// `tsdocker run` process that started a container (its "monitor") writes the exit status. If that
// process was killed (kill -9, a closed terminal), the next tsdocker command finds the record
// still saying "running" and reconciles it here:
//   - the container's pid is gone (or reused by another program) -> Exited, exit code unknown (255);
//   - a stopped container whose rootfs is still mounted, or whose cgroup or network is left -> cleaned up;
//   - a --rm container whose monitor is gone and which is not running -> removed.
// Nothing is touched while the monitor lives: it is about to write the real status itself.
import * as path from 'node:path';
import { isoTime } from '../clock';
import { trace } from '../trace';
import { containerDir, writeRecord } from './record';
import type { ContainerRecord } from './types';
import { onOtherDevice, readText } from '../sys/libc';

/** The exit code recorded when the real one was lost with the monitor (Docker uses 255 too). */
export const EXIT_UNKNOWN = 255;

/** /proc/<pid>/stat field 22, the process start time in clock ticks since boot (proc(5)); undefined
 *  when the process does not exist or is a zombie (it has exited; only its parent's wait is missing). */
export function processStartTime(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string | undefined;
  try {
    stat = readText(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

/** Is this the same process we recorded (same pid and same start time)? */
export function isAlive(pid: number, startTime: number | undefined): boolean {
  const now = processStartTime(pid);
  return now !== undefined && (startTime === undefined || now === startTime);
}

export function monitorAlive(rec: ContainerRecord): boolean {
  return rec.Monitor !== undefined && isAlive(rec.Monitor.Pid, rec.Monitor.StartTime);
}

/** A directory is a mount point when its device differs from its parent's (overlay has its own). */
export function isMountPoint(dir: string): boolean {
  try {
    return onOtherDevice(dir);
  } catch {
    return false;
  }
}

export interface ReconcileHooks {
  /** unmount the rootfs of the container whose directory this is (rootfs.ts unmountRootfs) */
  unmount(dir: string): void;
  /** remove the container's cgroup if it is left over */
  removeCgroup(id: string): void;
  /** take apart the network of a container that is no longer running, if it still has one */
  detachNetwork?(rec: ContainerRecord): boolean;
  /** remove the whole container (for --rm containers found stopped) */
  remove(rec: ContainerRecord): void;
}

/** Bring one record in line with the kernel's view; returns the record (undefined if removed). */
export function reconcile(rec: ContainerRecord, hooks: ReconcileHooks, root?: string): ContainerRecord | undefined {
  if (monitorAlive(rec)) return rec;
  if (rec.State.Running) {
    if (isAlive(rec.State.Pid, rec.State.PidStartTime)) return rec; // runs on without its monitor
    trace('state', `container ${rec.Id.slice(0, 12)}: pid ${rec.State.Pid} is gone, marking it exited`);
    rec.State = { ...rec.State, Status: 'exited', Running: false, Pid: 0, ExitCode: EXIT_UNKNOWN,
      FinishedAt: isoTime() };
    if (!writeRecord(rec, root)) return undefined;
  }
  const dir = containerDir(rec.Id, root);
  if (isMountPoint(path.join(dir, 'rootfs'))) {
    trace('state', `container ${rec.Id.slice(0, 12)}: unmounting leftover rootfs`);
    hooks.unmount(dir);
  }
  hooks.removeCgroup(rec.Id);
  if (hooks.detachNetwork?.(rec)) {
    trace('state', `container ${rec.Id.slice(0, 12)}: removed its leftover network`);
    if (!writeRecord(rec, root)) return undefined;
  }
  // Without its monitor a --rm container can never be started or waited for again.
  if (rec.HostConfig.AutoRemove) {
    hooks.remove(rec);
    return undefined;
  }
  return rec;
}
