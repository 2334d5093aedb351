// A container ended by `stop`, `kill` or `rm -f` must not be started again by its --restart policy
// (moby's HasBeenManuallyStopped). The command that ends it leaves a file in the container's
// directory before it sends the signal, so the monitor (monitor.ts) sees it when the process exits;
// the monitor removes it when the container is started again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sleepSync } from './cleanup';
import { monitorAlive } from './state';
import type { ContainerRecord } from './types';

const FILE = 'manually-stopped';

export function markStopped(dir: string): void {
  try {
    fs.writeFileSync(path.join(dir, FILE), '', { mode: 0o600 });
  } catch (err) {
    // The container's directory is gone: nothing is left to restart.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function stoppedByUser(dir: string): boolean {
  return fs.existsSync(path.join(dir, FILE));
}

export function clearStopped(dir: string): void {
  fs.rmSync(path.join(dir, FILE), { force: true });
}

export const MANUAL_STOP_FILE = FILE;

/** After killing a container whose monitor lives: wait (at most `ms`) for the monitor to record the
 *  exit and unmount, so that removing the directory does not race with its last writes. */
export function waitForMonitorExit(rec: ContainerRecord, ms = 10_000): void {
  const deadline = Date.now() + ms;
  while (monitorAlive(rec) && Date.now() < deadline) sleepSync(10);
}
