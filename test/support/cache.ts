// Shared plumbing for the test environment: running the independent tools (skopeo, umoci, openssl,
// htpasswd, zstd, debootstrap) and caching what they build under .cache/ in the checkout, so that a
// second run of the suite reuses fixtures instead of rebuilding them.
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../../src/errors';

/** The checkout: this file runs as dist/test/support/cache.js. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function cacheDir(...parts: string[]): string {
  return path.join(REPO_ROOT, '.cache', ...parts);
}

export interface RunResult { stdout: string; stderr: string }

/** Run a program without a shell; a failure names the command line and carries its stderr. */
export function run(file: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}):
Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: opts.env ?? process.env, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const detail = stderr.trim().split('\n').slice(-3).join(' / ') || err.message;
          reject(new TsdockerError(`${file} ${args.join(' ')}: ${detail}`, { cause: err }));
        } else {
          resolve({ stdout, stderr });
        }
      });
    // A program that does not read its stdin (htpasswd -b) may exit before this write lands:
    // EPIPE then says nothing its exit status does not, and unhandled it failed the test and kept
    // the test file's process from ending.
    child.stdin?.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin?.end(opts.input ?? '');
  });
}

/** sha256 of some strings and files, as a short hex key: a cache key that changes with its inputs. */
export function contentKey(parts: Array<string | Buffer>): string {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * Return `dir`, building it first if it does not exist. The build writes into a fresh temporary
 * directory beside `dir` that is renamed into place only when complete, so an interrupted build
 * never leaves a half-made fixture, and two test processes building at once both end up with one
 * whole copy (rename(2) onto a non-empty directory fails, and the loser discards its own).
 */
export async function buildOnce(dir: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    await build(tmp);
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      if (!fs.existsSync(dir)) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Entries of a directory, sorted; none if it does not exist. */
export function listDir(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/**
 * The OCI layout of fixture `name` at .cache/fixtures/<name>-<key>/layout, built by `build` if
 * missing. `key` (from contentKey) must change whenever the builder or its inputs change.
 */
export async function cachedFixture(name: string, key: string, build: (layout: string) => Promise<void>):
Promise<string> {
  const dir = cacheDir('fixtures', `${name}-${key}`);
  const layout = path.join(dir, 'layout');
  if (fs.existsSync(dir)) return layout;
  await buildOnce(dir, async (tmp) => {
    // The layout is built one level down so the builder (umoci) gets a path it may create itself.
    await build(path.join(tmp, 'layout'));
  });
  // Older builds of this fixture are dead weight once the new one exists, and so are the
  // temporary dirs of builds that were killed (an hour is far longer than any build takes).
  for (const old of listDir(cacheDir('fixtures'))) {
    if (!old.startsWith(`${name}-`) || old === `${name}-${key}`) continue;
    const file = cacheDir('fixtures', old);
    const stale = old.includes('.tmp-')
      ? Date.now() - fs.statSync(file).mtimeMs > 3600_000
      : /^[0-9a-f]{16}$/.test(old.slice(name.length + 1));
    if (stale) fs.rmSync(file, { recursive: true, force: true });
  }
  return layout;
}

/** A cache key from the compiled code of the given support modules (siblings of this file). */
export function codeKey(modules: string[], extra: Array<string | Buffer> = []): string {
  return contentKey([...modules.map((m) => fs.readFileSync(path.join(__dirname, `${m}.js`))), ...extra]);
}
