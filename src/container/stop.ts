// Ending a container from outside: `stop`, `kill`, `wait`, `restart`. The signal goes to the
// container's first process by its host pid; that process is PID 1 of its pid namespace, which
// the kernel protects from signals it has no handler for (pid_namespaces(7)), which is why `stop`
// follows up with SIGKILL, the one signal PID 1 cannot refuse when it comes from outside.
import * as os from 'node:os';
import { TsdockerError } from '../errors';
import { stateRoot } from '../root';
import { trace } from '../trace';
import { markStopped } from './manual-stop';
import { getContainer } from './list';
import { containerDir } from './record';
import { isAlive } from './state';
import type { ContainerRecord } from './types';
import { isUp, waitUntil } from './wait';

/** Docker's default grace period between the stop signal and SIGKILL. */
export const DEFAULT_STOP_TIMEOUT = 10;
/** How long the kernel may take to tear down a SIGKILLed pid namespace and the monitor to record it. */
const AFTER_KILL_MS = 30_000;

/** "KILL", "SIGKILL", "kill" or "9" -> 9 (signal(7)). */
export function signalNumber(name: string): number {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    if (n >= 1 && n <= 64) return n;
  } else {
    const upper = name.toUpperCase();
    const n = (os.constants.signals as Record<string, number>)[upper.startsWith('SIG') ? upper : `SIG${upper}`];
    if (n !== undefined) return n;
  }
  throw new TsdockerError(`invalid signal: ${name}`);
}

function send(rec: ContainerRecord, signal: number): void {
  const { Pid: pid, PidStartTime: start } = rec.State;
  if (!isAlive(pid, start)) return;
  trace('kill', `kill(${pid}, ${signal})`);
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export interface StopOptions {
  /** grace period before SIGKILL; -1 waits forever */
  timeoutSec?: number;
  /** instead of the image's STOPSIGNAL (default SIGTERM) */
  signal?: string;
}

/** `stop`: the stop signal, then SIGKILL after the grace period (default 10 s). */
export async function stopContainer(nameOrId: string, o: StopOptions = {}, root = stateRoot()): Promise<void> {
  const timeoutSec = o.timeoutSec ?? DEFAULT_STOP_TIMEOUT;
  let signal = signalNumber(o.signal ?? 'SIGTERM');
  const rec = getContainer(nameOrId, root);
  if (!isUp(rec)) return;
  markStopped(containerDir(rec.Id, root));
  if (o.signal === undefined && rec.Config.StopSignal) signal = signalNumber(rec.Config.StopSignal);
  send(rec, signal);
  const timeoutMs = timeoutSec < 0 ? undefined : timeoutSec * 1000;
  try {
    await waitUntil(rec.Id, (r) => !isUp(r), { timeoutMs, root });
    return;
  } catch {
    trace('kill', `container ${rec.Id.slice(0, 12)} still runs after ${timeoutSec} s`);
  }
  send(rec, signalNumber('SIGKILL'));
  await waitUntil(rec.Id, (r) => !isUp(r), { timeoutMs: AFTER_KILL_MS, root });
}

/** `kill`: one signal (default SIGKILL). Docker refuses a container that is not running. */
export async function killContainer(nameOrId: string, signalName = 'KILL', root = stateRoot()): Promise<void> {
  const signal = signalNumber(signalName);
  const rec = getContainer(nameOrId, root);
  if (!isUp(rec)) {
    throw new TsdockerError(`cannot kill container: ${nameOrId}: container ${rec.Id} is not running`, { exitCode: 1 });
  }
  // Like Docker, a container killed on purpose is not brought back by its restart policy; a signal
  // that is not meant to end it (SIGHUP to reload, say) leaves the policy alone.
  if (signal === signalNumber('SIGKILL') || signal === signalNumber(rec.Config.StopSignal ?? 'SIGTERM')) {
    markStopped(containerDir(rec.Id, root));
  }
  send(rec, signal);
}

/** `wait`: blocks until the container stops (or starts restarting), then gives its exit code. */
export async function waitContainer(nameOrId: string, root = stateRoot()): Promise<number> {
  const rec = getContainer(nameOrId, root);
  // A container already waiting to restart is waited for through its next run.
  let sawRunning = rec.State.Status === 'running';
  const ended = await waitUntil(rec.Id, (r) => {
    if (r === undefined) return true;
    if (r.State.Status === 'running') sawRunning = true;
    return r.State.Status === 'restarting' ? sawRunning : r.State.Status !== 'running';
  }, { root });
  // Removed meanwhile (--rm) before we saw it end: its last known code, as Docker's "removed" wait.
  return ended?.State.ExitCode ?? rec.State.ExitCode;
}
