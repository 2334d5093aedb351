// Paths inside a container's root filesystem, resolved as the container itself would see them:
// a symlink is followed relative to the container's root, never the host's, and ".." stops at the
// root (like chroot(2), and moby's FollowSymlinkInScope / containerd's fs.RootPath). The image is
// untrusted: /etc/passwd may be a symlink to /etc/shadow of the host, or to /dev/zero.
// The container is not running while the engine does this, so nothing inside can race us.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError, wrap } from '../errors';
import { childPath } from '../fsutil';
import { O_NOFOLLOW, O_NONBLOCK, S_IFLNK, S_IFMT, readSymlink, readText, statFile, type FileStat } from '../sys/libc';

/** Linux follows at most 40 symlinks per lookup (path_resolution(7)). */
const MAX_SYMLINKS = 40;

/** Host path of `inside` (an absolute container path) with every symlink resolved inside `root`.
 *  The last component need not exist. */
export function resolveInRoot(root: string, inside: string): string {
  const todo = inside.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = childPath(root, ...done, part);
    let st: FileStat | undefined;
    try {
      st = statFile(host, { follow: false });
    } catch (err) {
      throw wrap(err, `resolve ${inside} in ${root}`);
    }
    if (st === undefined) {
      done.push(part, ...todo.filter((c) => c !== '..'));
      // A missing component ends resolution; ".." after it cannot climb above the root anyway.
      return childPath(root, ...normalise(done));
    }
    if ((st.mode & S_IFMT) === S_IFLNK) {
      if (++links > MAX_SYMLINKS) {
        throw new TsdockerError(`resolve ${inside} in ${root}: too many levels of symbolic links`, { code: 'ELOOP' });
      }
      const target = readSymlink(host);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
      continue;
    }
    done.push(part);
  }
  return childPath(root, ...done);
}

function normalise(parts: string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out;
}

/** Read a regular file of the container as bounded data: undefined if it does not exist, an error
 *  if it is anything but a regular file (a device, a fifo) or larger than `max` bytes. */
export function readFileInRoot(root: string, inside: string, max: number): string | undefined {
  const host = resolveInRoot(root, inside);
  try {
    // O_NOFOLLOW: resolveInRoot already followed every link; O_NONBLOCK: a fifo must not hang us
    // (readText then refuses it, as any file but a regular one).
    return readText(host, max, O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINVAL') throw new TsdockerError(`container file ${inside} is not a regular file`, { path: inside });
    if (code === 'EFBIG') throw new TsdockerError(`container file ${inside} is larger than ${max} bytes`, { path: inside });
    throw wrap(err, `open container file ${inside}`);
  }
}

/** mkdir -p inside the container's root, as Docker does for -w: each created directory gets
 *  `uid:gid` so a non-root user can work in it. Returns the host path. */
export function mkdirInRoot(root: string, inside: string, uid = 0, gid = 0): string {
  const host = resolveInRoot(root, inside);
  const rel = path.relative(root, host);
  let cur = root;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    try {
      fs.mkdirSync(cur, 0o755);
      fs.lchownSync(cur, uid, gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw wrap(err, `create ${inside} in the container`);
      if (!fs.lstatSync(cur).isDirectory()) {
        throw new TsdockerError(`create ${inside} in the container: ${path.relative(root, cur)} is not a directory`);
      }
    }
  }
  return host;
}
