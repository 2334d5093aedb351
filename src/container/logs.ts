// `logs`: what a detached container wrote, from its json-file log (jsonlog.ts): stdout entries to
// our stdout and stderr entries to our stderr, so the two stay apart as they were written.
// `-f` keeps reading as the monitor appends, until the container stops.
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import { stateRoot } from '../root';
import { logPath, parseEntries, parseRfc3339, type LogEntry } from './jsonlog';
import { getContainer } from './list';
import { containerDir } from './record';
import { isUp, waitUntil } from './wait';

export interface LogsOptions {
  follow: boolean;
  /** only the last N entries (undefined: all) */
  tail?: number;
  timestamps: boolean;
  /** nanoseconds since the epoch (jsonlog.ts parseTimeFilter) */
  since?: bigint;
  until?: bigint;
}

export interface Output {
  stdout: Writable;
  stderr: Writable;
}

/** Docker's fixed-width RFC3339Nano for `-t`: always nine fraction digits. */
function fixedTime(time: string): string {
  const m = /^([^.Z]+)(?:\.(\d+))?Z$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : time;
}

class LogReader {
  private offset = 0;
  private rest = '';

  constructor(private readonly file: string) {}

  /** The entries appended since the last call. */
  read(): LogEntry[] {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // never logged, or removed (--rm)
      throw err;
    }
    const chunks: Buffer[] = [];
    try {
      const buf = Buffer.alloc(1 << 16);
      let n;
      while ((n = fs.readSync(fd, buf, 0, buf.length, this.offset)) > 0) {
        chunks.push(Buffer.from(buf.subarray(0, n)));
        this.offset += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    const { entries, rest } = parseEntries(this.rest + Buffer.concat(chunks).toString('utf8'));
    this.rest = rest;
    return entries;
  }
}

export async function showLogs(nameOrId: string, o: LogsOptions, out: Output, root = stateRoot()): Promise<void> {
  const rec = getContainer(nameOrId, root);
  const reader = new LogReader(logPath(containerDir(rec.Id, root), rec.Id));
  const wanted = (e: LogEntry) => {
    if (o.since === undefined && o.until === undefined) return true;
    const t = parseRfc3339(e.time) ?? 0n;
    return (o.since === undefined || t >= o.since) && (o.until === undefined || t <= o.until);
  };
  const print = (entries: LogEntry[]) => {
    for (const e of entries) {
      if (!wanted(e)) continue;
      const target = e.stream === 'stderr' ? out.stderr : out.stdout;
      target.write(o.timestamps ? `${fixedTime(e.time)} ${e.log}` : e.log);
    }
  };

  let first = reader.read().filter(wanted);
  if (o.tail !== undefined) first = o.tail === 0 ? [] : first.slice(-o.tail);
  print(first);
  if (!o.follow || !isUp(rec)) return;
  // The log file is in the container's directory, so each append wakes waitUntil too.
  await waitUntil(rec.Id, (r) => {
    print(reader.read());
    return !isUp(r);
  }, { root });
  print(reader.read());
}
