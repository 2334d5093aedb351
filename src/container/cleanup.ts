// Removing a container leaves nothing behind: its process, network (veth, address, iptables
// rules, port claims), overlay mount, cgroup, anonymous volumes, name and directory. Every step
// is idempotent, because two tsdocker processes may clean
// up the same container at once (the `run` that saw it exit, and an `rm -f` that killed it), and a
// cleanup interrupted by kill -9 is finished by the next command (state.ts).
import { TsdockerError } from '../errors';
import { childPath, pathExists, removeTree } from '../fsutil';
import { stateRoot } from '../root';
import { trace } from '../trace';
import { containerDir, releaseName } from './record';
import { unmountRootfs, rootfsPaths } from './rootfs';
import { isAlive, isMountPoint } from './state';
import type { ContainerRecord } from './types';
import { removeVolume } from './volumes';

/** How long a SIGKILLed container may take to disappear (the kernel tears down its pid namespace). */
const KILL_TIMEOUT_MS = 10_000;

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILL the container's pid 1; the kernel then kills every process of its pid namespace
 *  (pid_namespaces(7)). Waits until it is gone or only a zombie waiting for its parent. */
export function killContainer(rec: ContainerRecord): void {
  const { Pid: pid, PidStartTime: start } = rec.State;
  if (!isAlive(pid, start)) return;
  trace('kill', `SIGKILL pid ${pid}`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  const deadline = Date.now() + KILL_TIMEOUT_MS;
  while (isAlive(pid, start)) {
    if (Date.now() > deadline) throw new TsdockerError(`container ${rec.Id.slice(0, 12)} did not stop after SIGKILL`);
    sleepSync(10);
  }
}

/** Remove the container's cgroup (tsdocker/<id> in every hierarchy), if the runtime left it. */
export function removeCgroup(id: string): void {
  try {
    const { loadCgroup } = require('../runtime/cgroups') as typeof import('../runtime/cgroups');
    loadCgroup(id)?.remove();
  } catch (err) {
    trace('cleanup', `cgroup of ${id.slice(0, 12)}: ${(err as Error).message}`);
  }
}

/** Everything of a stopped container. `volumes`: also its anonymous volumes (rm -v, --rm).
 *  `cgroupRemoved`: the runtime has just removed its cgroup (a run that ended well), so it is not
 *  looked for again in every hierarchy. */
export function destroyContainer(rec: ContainerRecord, opts: { volumes: boolean; cgroupRemoved?: boolean },
  root = stateRoot()): void {
  const dir = containerDir(rec.Id, root);
  const { rootfs } = rootfsPaths(dir);
  const { detachContainer } = require('../network/attach') as typeof import('../network/attach');
  detachContainer(rec, root);
  if (isMountPoint(rootfs)) unmountRootfs(dir);
  if (isMountPoint(rootfs)) {
    // Never delete through a mount: the tree below would be the container's files (or worse).
    throw new TsdockerError(`remove container ${rec.Id.slice(0, 12)}: ${rootfs} is still mounted`);
  }
  if (!opts.cgroupRemoved) removeCgroup(rec.Id);
  releaseName(rec.Name, rec.Id, root);
  if (pathExists(childPath(dir, 'state.json'))) removeTree(dir, root);
  if (opts.volumes) {
    for (const m of rec.Mounts) {
      if (m.Type !== 'volume' || !m.Anonymous || !m.Name) continue;
      try {
        removeVolume(m.Name, [], root);
      } catch (err) {
        trace('cleanup', `volume ${m.Name}: ${(err as Error).message}`);
      }
    }
  }
}
