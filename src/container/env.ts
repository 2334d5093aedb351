// The container's environment, built as Docker builds it:
//   1. --env-file files, then -e flags (later wins): "KEY=value", or "KEY" alone to take the value
//      from tsdocker's own environment (and to remove KEY from the image's when tsdocker has none);
//   2. merged over the image's Env by key (moby opts.ValidateEnv, ReplaceOrAppendEnvValues);
//   3. on top of PATH, HOSTNAME and TERM defaults (moby container.CreateDaemonEnvironment).
import * as fs from 'node:fs';
import { TsdockerError } from '../errors';
import { DEFAULT_PATH } from './defaults';

/** Largest --env-file read; it is the user's own file, but a mistake like /dev/zero must not hang. */
const MAX_ENV_FILE = 1024 * 1024;

/** Docker's env-file format (opts/envfile.go): one VAR=value per line, taken literally (no quote
 *  removal); lines starting with # and blank lines are skipped; a bare VAR comes from `hostEnv`
 *  and is dropped when unset there. */
export function parseEnvFile(text: string, file: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq === -1 ? line : line.slice(0, eq);
    if (key === '') throw new TsdockerError(`${file}:${i + 1}: no variable name on line '${line}'`);
    if (/\s/.test(key)) throw new TsdockerError(`${file}:${i + 1}: variable '${key.trim()}' contains whitespaces`);
    if (eq !== -1) out.push(line);
    else if (hostEnv[key] !== undefined) out.push(`${key}=${hostEnv[key]}`);
  });
  return out;
}

export function readEnvFile(file: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(MAX_ENV_FILE + 1);
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n > MAX_ENV_FILE) throw new TsdockerError(`env file ${file} is larger than 1 MiB`);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if (err instanceof TsdockerError) throw err;
    throw new TsdockerError(`open env file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, { path: file });
  }
  return parseEnvFile(text, file, hostEnv);
}

/** One -e value: "KEY=value" as is; "KEY" becomes "KEY=<host value>", or stays bare when unset. */
export function expandEnvFlag(flag: string, hostEnv: NodeJS.ProcessEnv = process.env): string {
  if (flag.startsWith('=')) throw new TsdockerError(`invalid environment variable: ${flag}`);
  if (flag.includes('=')) return flag;
  const value = hostEnv[flag];
  return value === undefined ? flag : `${flag}=${value}`;
}

/** The user's variables from --env-file and -e, in Docker's order (files first, then flags). */
export function userEnv(envFlags: string[], envFiles: string[], hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  return [
    ...envFiles.flatMap((f) => readEnvFile(f, hostEnv)),
    ...envFlags.map((e) => expandEnvFlag(e, hostEnv)),
  ];
}

const keyOf = (entry: string) => entry.split('=', 1)[0];

/** Overrides replace defaults with the same key, keeping the defaults' order; a bare "KEY" in the
 *  overrides removes KEY (moby ReplaceOrAppendEnvValues). */
export function mergeEnv(defaults: string[], overrides: string[]): string[] {
  const out = [...defaults];
  for (const entry of overrides) {
    const key = keyOf(entry);
    const at = out.findIndex((e) => keyOf(e) === key);
    if (!entry.includes('=')) {
      if (at !== -1) out.splice(at, 1);
    } else if (at === -1) {
      out.push(entry);
    } else {
      out[at] = entry;
    }
  }
  return out;
}

/** The process environment handed to execve(2): daemon defaults, then Config.Env, then HOME from
 *  the user's passwd entry if nobody set it (runc does this in its init; here the spec carries it). */
export function processEnv(configEnv: string[], opts: { hostname: string; tty: boolean; home: string }): string[] {
  const base = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${opts.hostname}`];
  if (opts.tty) base.push('TERM=xterm');
  const env = mergeEnv(base, configEnv).filter((e) => e.includes('='));
  if (!env.some((e) => keyOf(e) === 'HOME')) env.push(`HOME=${opts.home}`);
  return env;
}
