// The init layer: the mount points every container needs (/proc, /sys, /dev, /etc, and the three
// files tsdocker bind-mounts over /etc/hostname, /etc/hosts and /etc/resolv.conf) for an image that
// lacks them. Without it the container's first process makes them at every start, and they land in
// the container's upper dir: for busybox, /etc and three empty files, made and removed again with
// every `run --rm` (each removal ~0.4 ms on ext4 here). Docker has the same "-init" layer; tsdocker
// makes one per image rather than per container: the first container of an image makes it, in the
// directory of the image's top layer (layers/<chain id>/init, removed with the layer), and every
// container of the image has it as its top-most lower dir, read-only.
//
// Nothing the image has is hidden: an entry is made only where the image has nothing, and never
// below something that is not a directory (an /etc that is a symlink keeps its way, and the runtime
// makes that mount point in the upper dir as before). Never committed: `commit` and `build` take
// the upper dir only.
import * as fs from 'node:fs';
import { childPath, pathExists, removeTree, tempPath } from '../fsutil';
import { O_CREAT, O_EXCL, O_WRONLY, makeDirectory, writeText } from '../sys/libc';
import { trace } from '../trace';
import { findInLayers } from './lowers';
import type { ImageStore } from './store';

/** The mount points, parents first: the OCI spec's default mounts and the /etc files (rootfs.ts). */
const MOUNT_POINTS: Array<[string, 'dir' | 'file']> = [
  ['proc', 'dir'], ['sys', 'dir'], ['dev', 'dir'], ['etc', 'dir'],
  ['etc/hostname', 'file'], ['etc/hosts', 'file'], ['etc/resolv.conf', 'file'],
];

/** Where the init layer of `image` is (or will be): layers/<top chain id>/init. */
export function initLayerDir(store: ImageStore, image: { layers: string[] }): string | undefined {
  const top = image.layers[image.layers.length - 1];
  return top === undefined ? undefined : childPath(store.layerDir(top), 'init');
}

/**
 * The init layer of `image` as a path relative to the store's root (as the overlay mount takes its
 * lower dirs), made now if this is the image's first container; undefined if it cannot be made
 * (the runtime then makes the mount points in the upper dir, as without it).
 */
export function initLayer(store: ImageStore, image: { layers: string[] }): string | undefined {
  const dir = initLayerDir(store, image);
  if (dir === undefined) return undefined;
  const rel = dir.slice(store.root.length + 1);
  if (pathExists(dir)) return rel;
  const tmp = tempPath('init', store.stateRoot);
  try {
    const made = makeInitDir(tmp, store.layerDiffDirs(image));
    fs.renameSync(tmp, dir);
    trace('store', `init layer ${dir}: ${made.length > 0 ? made.join(', ') : 'nothing missing'}`);
  } catch (err) {
    removeTree(tmp, store.stateRoot);
    const code = (err as NodeJS.ErrnoException).code;
    // Another container of the image made it meanwhile.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(dir)) return rel;
    trace('store', `init layer ${dir}: not made (${(err as Error).message}); mount points go in the upper dir`);
    return undefined;
  }
  return rel;
}

/** Make in `dir` the mount points `lowers` (top-most first) lack; returns what was made. */
export function makeInitDir(dir: string, lowers: string[]): string[] {
  makeDirectory(dir, 0o755);
  const made: string[] = [];
  const skipped = new Set<string>();
  const copied: Array<[string, fs.Stats]> = [];
  for (const [rel, kind] of MOUNT_POINTS) {
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    if (skipped.has(parent)) continue;
    const found = findInLayers(lowers, rel);
    if (found) {
      // A directory of the image is merged with ours; anything else there is left alone, with
      // everything below it.
      if (!found.st.isDirectory()) skipped.add(rel);
      continue;
    }
    if (parent) copyDirectory(dir, parent, lowers, copied);
    if (kind === 'dir') makeDirectory(childPath(dir, rel), 0o755);
    else writeText(childPath(dir, rel), '', O_WRONLY | O_CREAT | O_EXCL, 0o644);
    made.push(`/${rel}`);
  }
  // The image's times last: making entries in a directory sets its modification time.
  for (const [target, st] of copied) fs.utimesSync(target, st.atime, st.mtime);
  return made;
}

/** The image's directory `rel` in `dir`, for a new entry in it: overlayfs shows a directory found
 *  in several lower dirs with the attributes of the top-most, so ours takes the image's owner,
 *  mode and times (lowers.ts does the same for the parents of a layer's entries). */
function copyDirectory(dir: string, rel: string, lowers: string[], copied: Array<[string, fs.Stats]>): void {
  const target = childPath(dir, rel);
  if (!makeDirectory(target, 0o755)) return;
  const st = findInLayers(lowers, rel)?.st;
  if (!st) return;
  fs.lchownSync(target, st.uid, st.gid);
  fs.chmodSync(target, st.mode & 0o7777);
  copied.push([target, st]);
}
