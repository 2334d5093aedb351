// Waiting for a container's state to change (`wait`, `stop`, `logs -f`, `rm -f`). The record is
// replaced by rename(2) on every change (record.ts), so inotify on the container's directory
// (fs.watch, inotify(7)) wakes us at once; a slow timer also re-reads it, because a monitor killed
// with SIGKILL writes nothing and only reconciling the record (state.ts) shows the container ended.
import * as fs from 'node:fs';
import { TsdockerError } from '../errors';
import { stateRoot } from '../root';
import { getContainer } from './list';
import { containerDir } from './record';
import type { ContainerRecord } from './types';

const RECHECK_MS = 200;

/** The container now, reconciled; undefined once it has been removed. */
export function current(id: string, root = stateRoot()): ContainerRecord | undefined {
  try {
    return getContainer(id, root);
  } catch (err) {
    if (err instanceof TsdockerError && err.message.startsWith('no such container')) return undefined;
    throw err;
  }
}

/** Resolves with the record (undefined if removed) once `done` says so; rejects after `timeoutMs`. */
export function waitUntil(id: string, done: (rec: ContainerRecord | undefined) => boolean,
  opts: { timeoutMs?: number; root?: string } = {}): Promise<ContainerRecord | undefined> {
  const root = opts.root ?? stateRoot();
  return new Promise((resolve, reject) => {
    let watcher: fs.FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (err: unknown, rec?: ContainerRecord) => {
      watcher?.close();
      clearInterval(timer);
      clearTimeout(deadline);
      if (err) reject(err);
      else resolve(rec);
    };
    const check = () => {
      try {
        const rec = current(id, root);
        if (done(rec)) finish(undefined, rec);
      } catch (err) {
        finish(err);
      }
    };
    try {
      watcher = fs.watch(containerDir(id, root), () => check());
      watcher.on('error', () => {}); // the directory was removed: the timer sees it
    } catch {
      // already gone: check() below says so
    }
    timer = setInterval(check, RECHECK_MS);
    if (opts.timeoutMs !== undefined && opts.timeoutMs !== Infinity) {
      deadline = setTimeout(() => finish(new TsdockerError(`timed out waiting for container ${id.slice(0, 12)}`)), opts.timeoutMs);
    }
    check();
  });
}

export function isUp(rec: ContainerRecord | undefined): boolean {
  return rec !== undefined && (rec.State.Status === 'running' || rec.State.Status === 'restarting');
}
