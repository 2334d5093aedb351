// `start` and `restart`: an existing container runs again under a new monitor (detached.ts), on
// the same upper directory, so the files it wrote are still there. With `-a` the command attaches
// (attach.ts) before the process starts, so no output is missed, and ends with its exit code.
import { TsdockerError } from '../errors';
import { stateRoot } from '../root';
import { attach, type AttachOptions } from './attach';
import { startDetached } from './detached';
import { getContainer } from './list';
import { containerDir } from './record';
import { stopContainer, type StopOptions } from './stop';
import { isUp } from './wait';

export interface StartOptions {
  attach: boolean;
  /** -i: our stdin goes to the container */
  stdin: boolean;
  detachKeys: number[];
}

/** Returns the exit code with `attach` (0 after the detach keys), else undefined. */
export async function startContainer(nameOrId: string, o: StartOptions, root = stateRoot()): Promise<number | undefined> {
  const rec = getContainer(nameOrId, root);
  const a: AttachOptions = { dir: containerDir(rec.Id, root), stdin: o.stdin && rec.Config.OpenStdin, tty: rec.Config.Tty,
    detachKeys: o.detachKeys, sigProxyPid: rec.State.Pid || undefined };
  if (isUp(rec)) {
    // Docker: starting a running container does nothing; with -a it attaches.
    if (!o.attach) return undefined;
    const r = await attach(a);
    return r === 'detached' ? 0 : r;
  }
  if (!o.attach) {
    await startDetached(rec.Id, {}, root);
    return undefined;
  }
  let attached: Promise<number | 'detached'> | undefined;
  a.sigProxyPid = await startDetached(rec.Id, { onListening: () => { attached = attach(a); } }, root);
  if (!attached) throw new TsdockerError(`container ${rec.Id.slice(0, 12)} started before it could be attached`);
  const r = await attached;
  return r === 'detached' ? 0 : r;
}

export async function restartContainer(nameOrId: string, o: StopOptions, root = stateRoot()): Promise<void> {
  await stopContainer(nameOrId, o, root);
  await startContainer(nameOrId, { attach: false, stdin: false, detachKeys: [] }, root);
}
