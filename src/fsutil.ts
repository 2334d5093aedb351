// Small file helpers shared by the stores. The rule that keeps the stores consistent when tsdocker
// is killed at any moment: a file or directory becomes visible under its final name only when it
// is complete, by rename(2), which is atomic within one filesystem.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomHex } from './random';
import { stateRoot } from './root';
import { makeDirectory, readText, removeFileEntry, removeTreeAt, renameFile, statFile } from './sys/libc';

/**
 * `dir/name[/name...]`, for a directory that is already absolute and normalized (the state root,
 * which setRoot resolves, a container's directory, a cgroup) and names that are single components
 * (no "/", never "." or ".."). path.join would normalize the whole path again, character by
 * character: a `run` made ~200 such paths, 13,000 characters, enough for V8 to optimize Node's
 * normalizeString with TurboFan on a background thread, ~14 ms of CPU taken from the container
 * starting on the other CPU of this two-CPU machine (15 ms less CPU and ~7 ms less time per
 * `run --rm` without it, measured). Paths from users, image layers or the container's own files
 * still go through path.join or resolveInRoot.
 */
export function childPath(dir: string, ...names: string[]): string {
  return names.length === 0 ? dir : `${dir}/${names.join('/')}`;
}

/** `mkdir -p`: the directory and any parents missing, each with `mode` (less the umask), through
 *  the addon's mkdir(2): as fs.mkdirSync(dir, { recursive: true, mode }), without the cost of
 *  Node's own mkdirSync on the run path (docs/runtime.md). */
export function makeDirectories(dir: string, mode = 0o777): void {
  try {
    makeDirectory(dir, mode);
  } catch (err) {
    const parent = path.dirname(dir);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw err;
    makeDirectories(parent, mode);
    makeDirectory(dir, mode);
  }
}

/** Does the path exist (following symbolic links)? As fs.existsSync: any failure is a no. */
export function pathExists(file: string): boolean {
  try {
    return statFile(file) !== undefined;
  } catch {
    return false;
  }
}

/** A fresh, unique name under <root>/tmp for work in progress (same filesystem as the stores). */
export function tempPath(label: string, root = stateRoot()): string {
  const dir = childPath(root, 'tmp');
  makeDirectories(dir);
  return childPath(dir, `${label}-${process.pid}-${randomHex(4)}`);
}

/** rm -f of one file: unlink(2), and a file already gone is no error. fs.rmSync does the same
 *  after an lstat(2), but its first call loads Node's rimraf module: about 1 ms of every `run`. */
export function removeFile(file: string): void {
  removeFileEntry(file);
}

/** Write a file so readers see either the old content or the new, never a part. */
export function writeFileAtomic(file: string, data: string | Buffer, root = stateRoot()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPath(path.basename(file), root);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    removeFile(tmp);
    throw err;
  }
}

export function readJson<T>(file: string): T | undefined {
  try {
    const text = readText(file);
    return text === undefined ? undefined : JSON.parse(text) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Remove a directory tree by first renaming it into tmp/, so a half-deleted tree is never seen
 *  under its real name. */
export function removeTree(dir: string, root = stateRoot()): void {
  const trash = tempPath('trash', root);
  try {
    renameFile(dir, trash);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  removeAll(trash);
}

/**
 * `rm -rf` of a tree that holds no mount points (one just renamed into tmp/), in the addon: one
 * listing per directory and no exception per entry. Node 20's fs.rmSync tried rmdir(2) on each
 * directory first and listed it only after ENOTEMPTY (about 5 ms for a container's directory
 * here), and from JavaScript each unlink cost ~30 us more than the system call. A mount point
 * that should not be there is not entered (EBUSY) rather than what is mounted on it deleted.
 */
function removeAll(dir: string): void {
  removeTreeAt(dir);
}

/**
 * Remove what killed commands left in tmp/: entries are named "<label>-<pid>-<random>", so an
 * entry whose process is gone is garbage. (Run at the start of commands that write the store.)
 */
export function sweepTemp(root = stateRoot()): void {
  const dir = path.join(root, 'tmp');
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const pid = Number(/-(\d+)-[a-f0-9]{8}$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
