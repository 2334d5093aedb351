// Starting a container in the background (`run -d`, `start`): spawn its monitor (monitor.ts) in a
// session of its own (setsid(2)), so that closing the terminal does not end it, and wait for its
// report on fd 3 that the process is running, or why it is not. The monitor's stderr is passed on
// until then, so `--trace` shows every step; then the command lets go of the monitor and exits.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { TsdockerError } from '../errors';
import { installDir } from '../install';
import { stateRoot } from '../root';
import { trace } from '../trace';
import type { Report } from './monitor';

export interface DetachedStart {
  /** `start -a`: the monitor waits for an attach client before it starts the process; called when
   *  its socket is ready, so the caller connects without missing any output */
  onListening?: () => void;
}

/** Resolves with the container's host pid once its command runs; rejects with run's error. */
export function startDetached(id: string, opts: DetachedStart = {}, root = stateRoot()): Promise<number> {
  // The monitor is a Node program of its own (dist/src/container/monitor-main.js).
  const main = path.join(installDir(), 'dist', 'src', 'container', 'monitor-main.js');
  const args = [main, '--root', root, ...(opts.onListening ? ['--attach'] : []), id];
  trace('monitor', `spawn ${process.execPath} ${args.join(' ')} (new session)`);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, TSDOCKER_ROOT: root },
  });
  const reports = child.stdio[3] as Readable;
  const stderr = child.stderr!;
  stderr.on('data', (d: Buffer) => process.stderr.write(d));

  return new Promise((resolve, reject) => {
    let text = '';
    let settled = false;
    const letGo = () => {
      settled = true;
      stderr.destroy();
      reports.destroy();
      child.unref();
    };
    reports.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      let nl;
      while ((nl = text.indexOf('\n')) !== -1) {
        const r = JSON.parse(text.slice(0, nl)) as Report;
        text = text.slice(nl + 1);
        if ('listening' in r) {
          opts.onListening?.();
        } else if ('started' in r) {
          letGo();
          resolve(r.started);
        } else {
          letGo();
          reject(new TsdockerError(r.error, { exitCode: r.exitCode }));
        }
      }
    });
    child.on('error', (err) => {
      if (!settled) reject(new TsdockerError(`start the monitor of ${id.slice(0, 12)}: ${err.message}`));
    });
    // 'close' comes after the pipes are drained, so a last report has been read by then.
    child.on('close', (code, signal) => {
      if (!settled) reject(new TsdockerError(`the monitor of ${id.slice(0, 12)} exited (${signal ?? `code ${code}`}) before the container started`));
    });
  });
}
