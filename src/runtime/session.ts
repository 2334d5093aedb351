// One conversation with the runtime helper, the same for `run` (runBundle) and `exec`
// (joinContainer): send the configuration, answer PID, then collect STARTED, ERROR and EXIT until
// the helper exits. The protocol and its diagram are in protocol.ts and native/protocol.h.
//
//   Node                                    helper
//    |--- configuration ... END --------->|
//    |<-- PID <host pid> -----------------|  run's child makes its mounts; exec's waits
//   onPid: cgroup.procs, then
//    |--- GO ---------------------------->|  (or fd 3 closed: the helper kills the child)
//   afterGo (run): the network, then
//    |--- INTERFACE ..., NETWORK -------->|  (the child made its root meanwhile)
//    |<-- STARTED, or ERROR --------------|
//    |<-- EXIT <code> <signal> -----------|  last; then the helper exits
//
// While it lasts, the signals tsdocker receives go on to the helper, which passes them to the
// container's process, as `docker run` does (--sig-proxy).
import { TsdockerError, wrap } from '../errors';
import { trace } from '../trace';
import type { Helper, WaitStatus } from './helper';
import { Decoder, MessageType, encodeAll, type ErrorMsg, type ExitMsg, type ToHelper } from './protocol';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** The helper of the session under way, which the signals go to; undefined between sessions. */
let target: Helper | undefined;
let listening = false;

/**
 * The listeners are added with the first session and then stay: adding or removing one is a
 * libuv signal handle started or stopped (sigaction(2) and a lock: ~50 us each), and tsdocker ends
 * soon after its session anyway. A signal that comes when no session is under way does what it
 * would have done without them: the listeners go, and the signal is raised again (the default
 * action, or another listener's).
 */
function forwardSignals(helper: Helper): void {
  target = helper;
  if (listening) return;
  listening = true;
  for (const sig of FORWARDED) process.on(sig, forward);
}

function forward(sig: NodeJS.Signals): void {
  if (target) {
    trace('signal', `forward ${sig} to the runtime helper`);
    target.kill(sig);
    return;
  }
  listening = false;
  for (const s of FORWARDED) process.off(s, forward);
  process.kill(process.pid, sig);
}

export interface SessionHandlers {
  /** PID: GO follows when this returns (the child waits for it before its cgroup namespace, and
   *  exec's before anything). A throw aborts: the command never runs. */
  onPid(pid: number): void;
  /** Right after GO (run): what it returns (INTERFACE records, NETWORK) goes to the helper; the
   *  child makes its root filesystem meanwhile. A throw aborts as onPid's does. */
  afterGo?(pid: number): ToHelper[];
  /** STARTED: the command runs. Returning true ends the session now (exec -d): it resolves with
   *  undefined and the helper is left to wait for the command alone. */
  onStarted?(pid: number): boolean | void;
  /** ERROR from the helper or the child, as the user should see it. */
  toError(m: ErrorMsg): TsdockerError;
}

/** The whole configuration in one write: one system call rather than one per message. The helper
 *  clones the container's first process as soon as it has read it; the child then makes its
 *  mounts (run) and waits for GO. */
export function sendConfiguration(helper: Helper, messages: ToHelper[]): void {
  helper.write(encodeAll(messages));
}

/** After sendConfiguration: resolves with the helper's EXIT message (once the helper has exited
 *  too when its output comes through pipes); rejects with the first failure. */
export function converse(helper: Helper, h: SessionHandlers): Promise<ExitMsg | undefined> {
  return new Promise((resolve, reject) => {
    const decoder = new Decoder();
    let pid = 0;
    let failure: TsdockerError | undefined;
    let exit: ExitMsg | undefined;
    let settled = false;

    forwardSignals(helper);
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      if (target === helper) target = undefined;
      return true;
    };

    // Closing fd 3 is how the helper learns that Node has gone: the Helper keeps it open until the
    // helper exits.

    const onData = (chunk: Uint8Array): void => {
      if (settled) return;
      let received;
      try {
        received = decoder.push(chunk);
      } catch (err) {
        failure ??= wrap(err, 'runtime helper');
        helper.kill('SIGKILL');
        return;
      }
      for (const m of received) {
        if (m.type === MessageType.Pid) {
          pid = m.pid;
          try {
            h.onPid(pid);
            helper.write(encodeAll([{ type: MessageType.Go }]));
            if (h.afterGo) helper.write(encodeAll(h.afterGo(pid)));
          } catch (err) {
            failure ??= err instanceof TsdockerError ? err : wrap(err, `prepare pid ${pid}`);
            helper.closeInput(); // the helper kills the child, which never ran the command
          }
        } else if (m.type === MessageType.Started) {
          if (h.onStarted?.(pid) && settle()) {
            helper.release();
            resolve(undefined);
            return;
          }
        } else if (m.type === MessageType.Error) {
          failure ??= h.toError(m);
        } else if (m.type === MessageType.Exit) {
          exit = m;
          // EXIT comes last, once the container's output has been relayed; the helper then only
          // exits. Unless Node reads that output through pipes (which must drain first), the
          // session is over: the clean-up need not wait for the helper's own exit, and Node
          // reaps it before it exits itself (the reader keeps the event loop alive till then).
          if (!helper.stdout && settle()) {
            if (failure) reject(failure);
            else resolve(exit);
            return;
          }
        }
      }
    };

    helper.read(onData, (status) => {
      if (!settle()) return;
      if (failure) return reject(failure);
      if (!exit) {
        return reject(new TsdockerError(`runtime helper exited without reporting a status (${describe(status)})`));
      }
      resolve(exit);
    });
  });
}

/** "SIGKILL" or "code 1", as child_process named how a child ended. */
function describe(status: WaitStatus): string {
  if (status.signal === null) return `code ${status.code}`;
  const { signals } = (require('node:os') as typeof import('node:os')).constants;
  return Object.keys(signals).find((name) => signals[name as NodeJS.Signals] === status.signal) ?? `signal ${status.signal}`;
}
