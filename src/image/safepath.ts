// Turning a name from a layer tar into a place inside the layer directory, without ever leaving it.
//
// A tar entry name is attacker input: "../../etc/passwd", "/etc/passwd", or an innocent "etc/passwd"
// that follows an earlier entry "etc -> /etc". Tar extractors have been broken by each of these
// (node-tar CVE-2021-32803/32804, tar-fs CVE-2024-12905, GNU tar CVE-2025-45582). The rules here:
//   1. clean the name: strip leading "/", drop "." and empty components, refuse "..";
//   2. walk the parent directories one component at a time with lstat(2), following a symlink only
//      as the container would see it: as if the layer directory were "/" (chroot-like, the way
//      containerd's fs.RootPath and moby's os.Root work), so no walk can step outside;
//   3. never follow the last component: the caller replaces whatever is there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError, isNodeError } from '../errors';

/** Linux gives up after 40 symlinks in one path resolution (path_resolution(7), MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

/**
 * The entry name as a clean path relative to the layer root ("" is the root itself).
 * "/a//b/./c/" -> "a/b/c". Any ".." component is refused, even one that would cancel out
 * ("a/.wh.../../etc"): real layer tars never contain one, so it can only be an attack.
 */
export function cleanName(name: string): string {
  if (name.includes('\0')) throw new TsdockerError(`entry name ${JSON.stringify(name)} contains a NUL byte`);
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new TsdockerError(`entry name ${JSON.stringify(name)} has a ".." component`);
  return parts.join('/');
}

/**
 * Called for each missing directory on the way, with its clean relative path and host path, so the
 * caller can create it (and choose its owner and mode). Without it a missing directory is an error.
 */
export type MakeDir = (rel: string, hostPath: string) => void;

/**
 * Resolve the clean relative directory `rel` inside `root`, following symlinks as if `root` were
 * "/". Returns the resolved path relative to root: every component of it is a real directory.
 */
export function resolveDir(root: string, rel: string, makeDir?: MakeDir): string {
  const todo = rel === '' ? [] : rel.split('/');
  const done: string[] = [];
  let symlinks = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop(); // ".." at the root stays at the root, as it does in chroot(2)
      continue;
    }
    const here = [...done, part].join('/');
    const host = path.join(root, here);
    const st = lstatOrUndefined(host);
    if (st === undefined) {
      if (!makeDir) throw new TsdockerError(`${here}: no such directory in the layer`, { code: 'ENOENT', path: host });
      makeDir(here, host);
      done.push(part);
    } else if (st.isDirectory()) {
      done.push(part);
    } else if (st.isSymbolicLink()) {
      if (++symlinks > MAX_SYMLINKS) throw new TsdockerError(`${here}: too many levels of symbolic links`, { code: 'ELOOP', path: host });
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) done.length = 0; // absolute targets start again at the layer root
      todo.unshift(...target.split('/'));
    } else {
      throw new TsdockerError(`${here}: not a directory`, { code: 'ENOTDIR', path: host });
    }
  }
  return done.join('/');
}

/**
 * The host path for entry `rel`: its parent resolved inside root (see resolveDir), its last
 * component left as it is, not followed. `rel` must not be "" (the root has no parent).
 */
export function entryPath(root: string, rel: string, makeDir?: MakeDir): string {
  const parent = resolveDir(root, path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel), makeDir);
  return path.join(root, parent, path.posix.basename(rel));
}

export function lstatOrUndefined(host: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(host);
  } catch (err) {
    if (isNodeError(err, 'ENOENT')) return undefined;
    throw err;
  }
}
