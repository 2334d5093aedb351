// Shared by the lifecycle-*.test.ts files (detached containers): small helpers over run-support.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostSnapshot, tsdockerSync, waitFor, type Env } from './run-support';

export function ts(e: Env, args: string[], input?: string) {
  return tsdockerSync(e, args, { input });
}

/** Every container id a test file made, for leftovers() at its end. */
export const made = new Set<string>();

/** `run -d ...`: asserts success and returns the full id it printed. */
export function runDetached(e: Env, args: string[]): string {
  const r = ts(e, ['run', '-d', ...args]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^[a-f0-9]{64}\n$/);
  made.add(r.stdout.trim());
  return r.stdout.trim();
}

/** Mounts under this test's root, cgroups and monitors of the containers it made: all should be
 *  gone. (Other test files run beside this one, so their cgroups are none of our business.) */
export function leftovers(e: Env): string[] {
  const snap = hostSnapshot(e);
  const ours = (p: string) => [...made].some((id) => p.includes(id));
  return [...snap.mounts, ...snap.cgroups.filter(ours), ...[...made].filter((id) => monitorPid(id) !== undefined)
    .map((id) => `monitor of ${id}`)];
}

export function inspect(e: Env, name: string) {
  const r = ts(e, ['inspect', name]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

export function containerDir(e: Env, id: string): string {
  return path.join(e.root, 'containers', id);
}

/** The pid of the container's monitor (tsdocker:[monitor] <id>), from /proc. */
export function monitorPid(id: string): number | undefined {
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(`tsdocker:[monitor] ${id}`)) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

export async function waitForStatus(e: Env, name: string, status: RegExp, ms = 20_000): Promise<void> {
  await waitFor(`${name} to be ${status}`, () => status.test(inspect(e, name).State.Status), ms);
}

/** The log file's entries, parsed. */
export function logEntries(e: Env, id: string): { log: string; stream: string; time: string }[] {
  return fs.readFileSync(path.join(containerDir(e, id), `${id}-json.log`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
