// `rmi` and `image prune`, with Docker's rules (daemon/images/image_delete.go):
// - removing by name untags; the image itself goes when its last tag goes;
// - removing by id deletes the image, but refuses (unless forced) when several repositories
//   refer to it;
// - an image a container uses is never deleted out from under it: refused without -f, and with
//   -f only untagged (a running container's image cannot be removed even with -f);
// - layers go with the last image that uses them.
import { ImageStore, ImageRecord } from './store';
import { TsdockerError } from '../errors';
import { parseReference, familiarString, Reference } from '../reference';
import { shortId } from '../format';

export interface ImageUser {
  id: string;
  running: boolean;
}

export interface RemoveOptions {
  force?: boolean;
  noPrune?: boolean;
  /** containers using an image id (from the container store) */
  usersOf: (imageId: string) => ImageUser[];
}

/** Removes one image argument; returns Docker's report lines ("Untagged: ...", "Deleted: ..."). */
export function removeImage(store: ImageStore, arg: string, opts: RemoveOptions): string[] {
  let ref: Reference | undefined;
  try {
    ref = parseReference(arg);
  } catch { /* an id or id prefix */ }
  const byRef = ref && store.lookupRef(ref) ? ref : undefined;
  const img = byRef ? store.getImage(store.lookupRef(byRef)!) : store.resolve(arg);
  if (!img) throw new TsdockerError(`no such image: ${arg}`);
  const users = opts.usersOf(img.id);
  const lines: string[] = [];

  if (byRef) {
    const lastTag = img.repoTags.length <= 1;
    if (lastTag && users.length && !opts.force) {
      throw new TsdockerError(`conflict: unable to remove repository reference "${arg}" (must force) - ` +
        `container ${shortId(users[0].id)} is using its referenced image ${shortId(img.id)}`);
    }
    store.removeRef(byRef);
    lines.push(`Untagged: ${familiarString(byRef)}`);
    if (!lastTag || users.length) return lines;
  } else {
    const running = users.find((u) => u.running);
    if (running) {
      throw new TsdockerError(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - ` +
        `image is being used by running container ${shortId(running.id)}`);
    }
    if (users.length && !opts.force) {
      throw new TsdockerError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - ` +
        `image is being used by stopped container ${shortId(users[0].id)}`);
    }
    const repos = new Set(img.repoTags.map((t) => t.slice(0, t.lastIndexOf(':'))));
    if (repos.size > 1 && !opts.force) {
      throw new TsdockerError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - ` +
        'image is referenced in multiple repositories');
    }
    for (const tag of img.repoTags) {
      store.removeRef(parseReference(tag));
      lines.push(`Untagged: ${displayName(tag)}`);
    }
    if (users.length) return lines;
  }
  return lines.concat(deleteImage(store, img, opts.noPrune));
}

/** Delete an image with no tags left: its digest references, record, and unused layers. */
export function deleteImage(store: ImageStore, img: ImageRecord, noPrune = false): string[] {
  const lines: string[] = [];
  for (const d of img.repoDigests) {
    store.removeRef(parseReference(d));
    lines.push(`Untagged: ${displayName(d)}`);
  }
  store.deleteImage(img.id);
  lines.push(`Deleted: ${img.id}`);
  if (!noPrune) for (const l of store.removeUnusedLayers(img.layers)) lines.push(`Deleted: ${l}`);
  return lines;
}

/** `image prune`: dangling images (no tags), or with `all` every image no container uses. */
export function pruneImages(store: ImageStore, all: boolean, usersOf: (id: string) => ImageUser[]):
  { lines: string[]; reclaimed: number } {
  const lines: string[] = [];
  let reclaimed = 0;
  for (const img of store.listImages()) {
    if ((img.repoTags.length && !all) || usersOf(img.id).length) continue;
    for (const tag of img.repoTags) {
      store.removeRef(parseReference(tag));
      lines.push(`untagged: ${displayName(tag)}`);
    }
    const before = img.layers.map((l) => store.getLayer(l)?.size ?? 0);
    const out = deleteImage(store, img);
    const removed = new Set(out.filter((l) => l.startsWith('Deleted: ')).map((l) => l.slice(9)));
    img.layers.forEach((l, i) => { if (removed.has(l)) reclaimed += before[i]; });
    lines.push(...out.map((l) => l.replace(/^Deleted/, 'deleted').replace(/^Untagged/, 'untagged')));
  }
  return { lines, reclaimed };
}

function displayName(full: string): string {
  return familiarString(parseReference(full));
}
