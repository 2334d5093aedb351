// A container's root filesystem: an overlayfs union of the image's layers (read-only lower dirs,
// top-most first) under a per-container upper dir that takes every write, plus a work dir the
// kernel needs on the same filesystem as upper (Documentation/filesystems/overlayfs.rst).
//
//   mount -t overlay overlay -o lowerdir=l/TOP:...:l/BASE,upperdir=U,workdir=W MERGED
//
// Above the image's layers, its init layer (init-layer.ts) when it has one: the mount points the
// image lacks.
//
// The mount options must fit in one page (4096 bytes), so lower dirs are named by 26-character
// short links relative to <root>/image (as Docker's overlay2 does), and the mount is made with
// that as the current directory. That fits about 130 layers; more is a clear error.
import * as path from 'node:path';
import { ImageStore } from './store';
import { TsdockerError } from '../errors';
import { makeDirectories } from '../fsutil';
import { mount, umount2, MNT_DETACH } from '../sys/libc';
import { trace } from '../trace';

const PAGE_SIZE = 4096;

export interface OverlayOptions {
  store: ImageStore;
  image: { layers: string[] };
  upper: string;
  work: string;
  target: string;
  /** overlayfs's "volatile": no syncfs of the upper filesystem, at unmount or ever. For `--rm`
   *  containers, whose changes are thrown away anyway (podman does the same since 3.2). */
  volatile?: boolean;
  /** the image's init layer (init-layer.ts), relative to the store's root: the top-most lower dir */
  init?: string;
}

/** Overlay option values cannot contain ',' and need ':' escaped (overlayfs.rst, "lowerdir"). */
function escapeOption(p: string): string {
  if (p.includes(',')) throw new TsdockerError(`path not usable in overlay options (contains ','): ${p}`);
  return p.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

/** The mount data string; exported so tests and `--trace` can show it. */
export function overlayData(lowers: string[], upper: string, work: string, volatile = false): string {
  // metacopy=off and redirect_dir=nofollow: never trust metadata-only copies or redirects that a
  // crafted layer could carry (overlayfs.rst: "Do not use metacopy=on with untrusted ... dirs").
  // index=off: layers are shared between images, and the inode index would tie them to one upper.
  return `lowerdir=${lowers.map(escapeOption).join(':')},upperdir=${escapeOption(upper)},` +
    `workdir=${escapeOption(work)},index=off,metacopy=off,redirect_dir=nofollow${volatile ? ',volatile' : ''}`;
}

export function mountOverlay(o: OverlayOptions): void {
  makeDirectories(o.upper, 0o755);
  makeDirectories(o.work, 0o700);
  makeDirectories(o.target, 0o755);
  if (o.image.layers.length === 0) {
    // overlayfs needs at least one lower dir; an image with no layers (FROM scratch) gets an empty one.
    throw new TsdockerError('image has no layers');
  }
  let lowers = [...(o.init ? [o.init] : []), ...o.store.layerShortLinks(o.image)];
  let data = overlayData(lowers, path.resolve(o.upper), path.resolve(o.work), o.volatile);
  if (data.length > PAGE_SIZE - 1 && o.init) {
    // No room for the init layer beside this many layers: the runtime makes the mount points in
    // the upper dir instead, as it does for an image without one.
    trace('mount', `overlay: ${lowers.length} lower dirs do not fit in one page; without the init layer`);
    lowers = lowers.slice(1);
    data = overlayData(lowers, path.resolve(o.upper), path.resolve(o.work), o.volatile);
  }
  if (data.length > PAGE_SIZE - 1) {
    throw new TsdockerError(`image has too many layers for one overlay mount (${lowers.length}; at most about 130)`);
  }
  trace('mount', `overlay on ${o.target} (cwd ${o.store.root}) -o ${data}`);
  // Relative lower dirs are resolved against the current directory of the mounting process.
  const cwd = process.cwd();
  process.chdir(o.store.root);
  try {
    try {
      mount('overlay', path.resolve(cwd, o.target), 'overlay', 0, data);
    } catch (err) {
      // Kernels before 5.10 have no "volatile" (EINVAL): the mount is the same without it.
      if (!o.volatile || (err as { code?: string }).code !== 'EINVAL') throw err;
      trace('mount', 'overlay: no "volatile" option on this kernel; mounting without it');
      mount('overlay', path.resolve(cwd, o.target), 'overlay', 0, overlayData(lowers, path.resolve(o.upper), path.resolve(o.work)));
    }
  } finally {
    process.chdir(cwd);
  }
}

/** Detach the mount (lazy unmount: a process still inside cannot block container removal). */
export function unmount(target: string): void {
  trace('mount', `umount2 ${target} MNT_DETACH`);
  try {
    umount2(target, MNT_DETACH);
  } catch (err) {
    // EINVAL: not a mount point (already unmounted); ENOENT: gone. Both mean done.
    const code = (err as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw err;
  }
}
