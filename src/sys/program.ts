// Running a short program to its end and reading what it printed: the network's `ip` (a bridge's
// creation), `iptables` and CNI plugin runs (src/network). Node's spawnSync would do, but it forks
// the whole Node process for each run (about 8 ms here, with Node's ~45 MB to copy the page tables
// of) and loads node:child_process first (6 to 9 ms); a container with -p runs such programs to
// start and to stop. The addon's runSync starts them with posix_spawn(3) instead
// (native/sys.c). The result has spawnSync's shape, so callers read it the same way.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { runSync } from './libc';

export interface ProgramResult {
  /** the exit status, or null when a signal ended it */
  status: number | null;
  /** "SIGKILL" (also after the timeout), or null */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** set when the program could not be started (not found, not executable), or ran out of time */
  error?: TsdockerError;
}

export interface ProgramOptions {
  input?: string;
  /** the whole environment of the program; ours by default */
  env?: NodeJS.ProcessEnv;
  /** kill it (SIGKILL) after this long; no limit by default */
  timeoutMs?: number;
}

/** The program's file: `name` itself if it has a slash, else the first in PATH (execvp(3)'s search). */
export function findProgram(name: string, searchPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of searchPath.split(':')) {
    const file = path.join(dir || '.', name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch { /* not here */ }
  }
  return undefined;
}

export function runProgram(name: string, args: string[], opts: ProgramOptions = {}): ProgramResult {
  const env = opts.env ?? process.env;
  const file = findProgram(name, env.PATH);
  if (!file) {
    return { status: null, signal: null, stdout: '', stderr: '', error: new TsdockerError(`${name}: not found in PATH`, { code: 'ENOENT' }) };
  }
  const vars = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  try {
    const r = runSync(file, [name, ...args], vars, opts.input === undefined ? null : Buffer.from(opts.input), opts.timeoutMs ?? 0);
    const signal = r.signal === null ? null
      : Object.entries(signalNumbers()).find(([, n]) => n === r.signal)?.[0] ?? `signal ${r.signal}`;
    const error = r.timedOut ? new TsdockerError(`${name}: killed after ${opts.timeoutMs} ms`, { code: 'ETIMEDOUT' }) : undefined;
    return { status: r.code, signal, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), ...(error ? { error } : {}) };
  } catch (err) {
    if (!(err instanceof TsdockerError)) throw err;
    return { status: null, signal: null, stdout: '', stderr: '', error: err };
  }
}

/** SIGTERM -> 15, ...: node:os is loaded only when a program was killed (its loading is ~0.5 ms). */
function signalNumbers(): Record<string, number> {
  return (require('node:os') as typeof import('node:os')).constants.signals;
}
