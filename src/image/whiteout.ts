// Deletions in image layers, and how overlayfs wants them on disk.
//
// A layer tar cannot say "delete /etc/motd", so the image spec (image-spec layer.md, "Whiteouts")
// encodes deletions as marker files:
//   <dir>/.wh.<name>     <name> was deleted: hide it in the layers below
//   <dir>/.wh..wh..opq   <dir> is opaque: hide everything the layers below have in <dir>
// overlayfs has its own form of the same two things (kernel Documentation/filesystems/overlayfs.rst):
//   a whiteout is a character device 0/0 named <name>;
//   an opaque directory carries the xattr trusted.overlay.opaque="y".
// So unpacking converts the first form into the second, and the markers themselves never appear.
import type * as fs from 'node:fs';
import { TsdockerError } from '../errors';
import { S_IFCHR, lgetxattr, lsetxattr, mknod } from '../sys/libc';

const PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';

export type Whiteout =
  | { kind: 'opaque'; dir: string } // dir: clean relative path of the opaque directory ("" = root)
  | { kind: 'delete'; dir: string; name: string } // dir/name is deleted
  | { kind: 'other' }; // another ".wh..wh." name: AUFS bookkeeping (".wh..wh.plnk"), not for overlay

/** What a clean relative entry path means as a whiteout, or undefined if it is an ordinary entry. */
export function parseWhiteout(rel: string): Whiteout | undefined {
  const slash = rel.lastIndexOf('/');
  const dir = slash < 0 ? '' : rel.slice(0, slash);
  const base = rel.slice(slash + 1);
  if (!base.startsWith(PREFIX)) return undefined;
  if (base === OPAQUE) return { kind: 'opaque', dir };
  if (base.startsWith(PREFIX + PREFIX)) return { kind: 'other' };
  const name = base.slice(PREFIX.length);
  // ".wh." hides nothing, ".wh.." and ".wh..." would hide the directory itself or its parent
  // (moby go-archive rejects all three; image-spec: a bare ".wh." SHOULD be an error).
  if (name === '' || name === '.' || name === '..') {
    throw new TsdockerError(`whiteout ${JSON.stringify(rel)} names no file`);
  }
  return { kind: 'delete', dir, name };
}

/** Create the overlayfs whiteout at `hostPath` (which must not exist): a char device 0/0. */
export function makeWhiteout(hostPath: string): void {
  mknod(hostPath, S_IFCHR, 0, 0, 0);
}

export function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Mark the directory at `hostDir` opaque for overlayfs. */
export function makeOpaque(hostDir: string): void {
  lsetxattr(hostDir, OPAQUE_XATTR, Buffer.from('y'));
}

export function isOpaque(hostDir: string): boolean {
  return lgetxattr(hostDir, OPAQUE_XATTR)?.toString() === 'y';
}

/**
 * overlayfs reads its own state (whiteouts, opaque dirs, redirects, metacopy) from trusted.overlay.*
 * xattrs, and from user.overlay.* when mounted with "userxattr". A layer that carries them could
 * redirect a lookup into another layer or fake a copy-up, so they are never taken from a tar
 * (overlayfs.rst: "Do not use metacopy=on with untrusted upper/lower directories").
 */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}
