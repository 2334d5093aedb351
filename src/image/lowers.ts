// Looking through the layers below the one being unpacked, as the overlay mount will show them.
//
// Two things in a new layer depend on what the lower layers hold:
//   - a hardlink whose target came from a lower layer ("may fail", image-spec layer.md). It is never
//     link(2)ed across layer directories: the two names would share an inode that belongs to the
//     lower layer, and a write through one container's copy-up would alias the other. Instead the
//     target is copied up into the new layer and the link is made there.
//   - a directory the tar implies but does not list ("a/b/c" with no "a/"): if a lower layer has it,
//     the new layer's copy takes its owner and mode, or the merged view would show /tmp as 0755
//     (containerd does the same: core/diff/apply "WithParents").
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { llistxattr, lgetxattr, lsetxattr } from '../sys/libc';
import { lstatOrUndefined } from './safepath';
import { isOpaque, isOverlayXattr, isWhiteout } from './whiteout';

export interface Found {
  layer: string; // the layer directory that provides the file
  host: string; // its path on the host
  st: fs.Stats;
}

/**
 * Where the clean relative path `rel` is visible in `layers` (top-most first), or undefined when no
 * layer has it or an upper layer deleted it (whiteout) or hid it (opaque directory, or a non-directory
 * over a parent directory). Symlinks in parent components are not followed: such a path is "absent".
 */
export function findInLayers(layers: string[], rel: string): Found | undefined {
  const parts = rel.split('/');
  if (rel === '') return undefined;
  for (const layer of layers) {
    let host = layer;
    let hidesBelow = false;
    for (let i = 0; i < parts.length; i++) {
      host = path.join(host, parts[i]);
      const st = lstatOrUndefined(host);
      if (st === undefined) break;
      if (isWhiteout(st)) return undefined;
      if (i === parts.length - 1) return { layer, host, st };
      if (!st.isDirectory()) return undefined;
      if (isOpaque(host)) hidesBelow = true;
    }
    if (hidesBelow) return undefined;
  }
  return undefined;
}

/**
 * Copy a regular file or symlink from a lower layer to `dest` (which must not exist), with its
 * owner, mode, xattrs and times, as overlayfs copy-up does. Returns the bytes copied.
 */
export function copyUp(from: Found, dest: string): number {
  const { host, st } = from;
  if (st.isFile()) {
    // COPYFILE_EXCL opens dest with O_CREAT|O_EXCL, which also refuses a symlink at dest.
    fs.copyFileSync(host, dest, fs.constants.COPYFILE_EXCL);
  } else if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(host), dest);
  } else {
    throw new TsdockerError(`cannot copy ${host} up from a lower layer: only files and symlinks can be`);
  }
  fs.lchownSync(dest, st.uid, st.gid);
  // chown(2) clears setuid/setgid and file capabilities, so mode and xattrs come after it.
  if (!st.isSymbolicLink()) fs.chmodSync(dest, st.mode & 0o7777);
  for (const name of llistxattr(host)) {
    if (isOverlayXattr(name)) continue;
    const value = lgetxattr(host, name);
    if (value !== undefined) setXattrTolerant(dest, name, value, st);
  }
  fs.lutimesSync(dest, st.atime, st.mtime);
  return st.isFile() ? st.size : 0;
}

/**
 * lsetxattr, ignoring what a filesystem or file type cannot hold: EOPNOTSUPP (no xattr support),
 * and EPERM for user.* on anything but files and directories (xattr(7): "user extended attributes
 * may be assigned to files and directories"). Returns false when the attribute was not set.
 */
export function setXattrTolerant(host: string, name: string, value: Buffer, st: { isFile(): boolean; isDirectory(): boolean }): boolean {
  try {
    lsetxattr(host, name, value);
    return true;
  } catch (err) {
    const code = err instanceof TsdockerError ? err.code : undefined;
    if (code === 'EOPNOTSUPP') return false;
    if (code === 'EPERM' && name.startsWith('user.') && !st.isFile() && !st.isDirectory()) return false;
    throw err;
  }
}
