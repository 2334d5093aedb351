// One conversation with the runtime helper, the same for `run` (runBundle) and `exec`
// (joinContainer): send the configuration, answer PID, then collect STARTED, ERROR and EXIT until
// the helper exits. The protocol and its diagram are in protocol.ts and native/protocol.h.
//
//   Node                                    helper
//    |--- configuration ... END --------->|
//    |<-- PID <host pid> -----------------|  the child waits
//   onPid: cgroup.procs (and a network), then
//    |--- GO ---------------------------->|  (or fd 3 closed: the helper kills the child)
//    |<-- STARTED, or ERROR --------------|
//    |<-- EXIT <code> <signal> -----------|
//
// While it lasts, the signals tsdocker receives go on to the helper, which passes them to the
// container's process, as `docker run` does (--sig-proxy).
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TsdockerError, wrap } from '../errors';
import { trace } from '../trace';
import { Decoder, MessageType, encode, type ErrorMsg, type ExitMsg, type ToHelper } from './protocol';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export interface SessionHandlers {
  /** PID: the child waits until this returns. A throw aborts: the command never runs. */
  onPid(pid: number): void;
  /** STARTED: the command runs. Returning true ends the session now (exec -d): it resolves with
   *  undefined and the helper is left to wait for the command alone. */
  onStarted?(pid: number): boolean | void;
  /** ERROR from the helper or the child, as the user should see it. */
  toError(m: ErrorMsg): TsdockerError;
}

/** Resolves with the helper's EXIT message once it has exited; rejects with the first failure. */
export function converse(helper: ChildProcess, messages: ToHelper[], h: SessionHandlers): Promise<ExitMsg | undefined> {
  return new Promise((resolve, reject) => {
    const toHelper = helper.stdio[3] as Writable;
    const fromHelper = helper.stdio[4] as Readable;
    const decoder = new Decoder();
    let pid = 0;
    let failure: TsdockerError | undefined;
    let exit: ExitMsg | undefined;
    let settled = false;

    const forward = (sig: NodeJS.Signals): void => {
      trace('signal', `forward ${sig} to the runtime helper`);
      helper.kill(sig);
    };
    for (const sig of FORWARDED) process.on(sig, forward);
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      for (const sig of FORWARDED) process.off(sig, forward);
      return true;
    };

    // Closing fd 3 is how the helper learns that Node has gone; keep it open until the helper exits.
    toHelper.on('error', () => {});
    // One write for the whole configuration: one system call rather than one per message.
    toHelper.write(Buffer.concat(messages.map(encode)));

    fromHelper.on('data', (chunk: Buffer) => {
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
            toHelper.write(encode({ type: MessageType.Go }));
          } catch (err) {
            failure ??= err instanceof TsdockerError ? err : wrap(err, `prepare pid ${pid}`);
            toHelper.end(); // the helper kills the child, which never ran the command
          }
        } else if (m.type === MessageType.Started) {
          if (h.onStarted?.(pid) && settle()) {
            toHelper.destroy();
            fromHelper.destroy();
            helper.unref();
            resolve(undefined);
          }
        } else if (m.type === MessageType.Error) {
          failure ??= h.toError(m);
        } else if (m.type === MessageType.Exit) {
          exit = m;
        }
      }
    });

    helper.on('error', (err) => {
      failure ??= wrap(err, 'start runtime helper');
    });
    helper.on('exit', () => toHelper.destroy());
    helper.on('close', (code, signal) => {
      if (!settle()) return;
      if (failure) return reject(failure);
      if (!exit) {
        return reject(new TsdockerError(`runtime helper exited without reporting a status (${signal ?? `code ${code}`})`));
      }
      resolve(exit);
    });
  });
}
