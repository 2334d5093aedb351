// `exec`: what the new process in a running container is, decided as Docker decides it
// (moby daemon/exec.go), then handed to the runtime's join mode (src/runtime/exec.ts):
//   user        -u, else the container's USER, resolved in the container's own /etc/passwd
//   environment PATH/HOSTNAME (TERM with -t), the container's Env, then --env-file and -e; HOME from
//               the exec user's passwd entry unless set (runc does that for exec too)
//   cwd         -w (absolute), else the container's working directory
//   capabilities the container's own sets; --privileged: every capability tsdocker holds
import { TsdockerError } from '../errors';
import type { Process } from '../runtime/spec';
import { stateRoot } from '../root';
import { capabilitySet, ownBoundingSet } from './caps';
import { mergeEnv, processEnv, userEnv } from './env';
import { getContainer } from './list';
import { containerDir } from './record';
import { isAlive } from './state';
import type { ContainerRecord } from './types';
import { resolveUser } from './user';

export interface ExecOptions {
  container: string;
  args: string[];
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  env: string[];
  envFiles: string[];
  workdir?: string;
  user?: string;
  privileged: boolean;
}

function notRunning(rec: ContainerRecord): TsdockerError {
  return new TsdockerError(`container ${rec.Id} is not running`);
}

/** Runs the command in the container; returns its exit status (with -d: 0 once it runs). */
export async function execInContainer(opts: ExecOptions, root = stateRoot()): Promise<number> {
  if (opts.args.length === 0) throw new TsdockerError('exec: no command given');
  const rec = getContainer(opts.container, root);
  if (!rec.State.Running) throw notRunning(rec);
  const { Pid: pid, PidStartTime: start } = rec.State;
  const { joinContainer } = require('../runtime/exec') as typeof import('../runtime/exec');
  const { readSpec } = require('../runtime') as typeof import('../runtime');
  const spec = readSpec(containerDir(rec.Id, root));

  const process = execProcess(opts, rec, spec.process, `/proc/${pid}/root`);
  try {
    const status = await joinContainer({
      id: rec.Id, pid, spec, process, stdin: opts.interactive, detach: opts.detach,
      stillRunning: () => isAlive(pid, start),
    });
    return status.exitCode;
  } catch (err) {
    // The container may have stopped while we were joining it: say that, not which step failed.
    if (!isAlive(pid, start)) throw notRunning(rec);
    throw err;
  }
}

/** The new process's spec. `rootfs` is where the container's files are seen from the host. */
export function execProcess(opts: ExecOptions, rec: ContainerRecord, container: Process, rootfs: string): Process {
  const cwd = opts.workdir ?? (rec.Config.WorkingDir || '/');
  if (!cwd.startsWith('/')) {
    throw new TsdockerError(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  }
  // The container is running: its /etc/passwd may change under us. resolveUser follows symlinks
  // inside the root and reads a bounded regular file, so at worst it finds no such user.
  const user = resolveUser(rootfs, opts.user ?? rec.Config.User);
  const env = processEnv(mergeEnv(rec.Config.Env, userEnv(opts.env, opts.envFiles)),
    { hostname: rec.Config.Hostname, tty: opts.tty, home: user.home });
  let capabilities = container.capabilities;
  if (opts.privileged) {
    const all = capabilitySet({ capAdd: [], capDrop: [], privileged: true, available: ownBoundingSet() });
    capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
  }
  return {
    terminal: opts.tty,
    user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) },
    args: opts.args,
    env,
    cwd,
    capabilities,
    noNewPrivileges: container.noNewPrivileges,
    rlimits: container.rlimits,
  };
}
