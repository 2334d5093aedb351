// The image store: what `pull` fills and `run` reads. Laid out under <root>/image like Docker's
// overlay2 store, so a student can `ls` it:
//
//   blobs/sha256/<hex>          manifests and configs exactly as the registry sent them (verified)
//   layers/<chain hex>/diff/    one unpacked layer: an overlayfs lower dir
//   layers/<chain hex>/layer.json   its diff_id, parent chain id, size and short link
//   l/<short id> -> ../layers/<chain hex>/diff   short names, so 100+ layers fit in one mount option
//   images/<config hex>.json    one record per image: its layers (chain ids) and manifest digest
//   repositories/<repo>/<tag>   a tag (file content: the image id); "@sha256:..." files are digests
//
// Layers are keyed by chain id, not diff_id: a layer's meaning depends on the layers below it
// (whiteouts, and hardlinks copied up from them), as in Docker's layer store (layer/layer.go).
// Everything appears under its final name by an atomic rename, only once complete and verified,
// so a pull killed at any moment leaves nothing half-made that another command could see.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateRoot } from '../root';
import { TsdockerError } from '../errors';
import { trace } from '../trace';
import { childPath, readJson, removeTree, tempPath, writeFileAtomic } from '../fsutil';
import { randomHex } from '../random';
import { parseReference, repositoryName, Reference } from '../reference';
import { ImageConfig, parseImageConfig } from './image-config';
import { readText } from '../sys/libc';

export type { ImageConfig } from './image-config';

/** What is kept on disk for an image (images/<hex>.json). */
interface StoredImage {
  id: string;                 // "sha256:<config digest hex>"
  layers: string[];           // chain ids, base first
  manifestDigest?: string;    // the manifest (or index) it was pulled by
  size: number;               // unpacked size of all layers
  parent?: string;            // for images made by commit/build
}

export interface ImageRecord extends StoredImage {
  repoTags: string[];         // "docker.io/library/busybox:latest"
  repoDigests: string[];      // "docker.io/library/busybox@sha256:..."
  created?: string;
  config: ImageConfig;
}

export interface LayerRecord {
  chainId: string;
  diffId: string;
  parent?: string;            // chain id of the layer below
  size: number;               // bytes unpacked
  link: string;               // short id under l/
  /** the compressed blob this layer was made from, kept as layers/<chain hex>/blob (keep-blob.ts) */
  blob?: BlobDescriptor;
}

/** A layer blob's descriptor, as in a manifest (image-spec descriptor.md). */
export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
}

const HEX64 = /^[a-f0-9]{64}$/;

export function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

/** node:crypto is loaded on first use: a one-layer image (busybox) is run without it (random.ts). */
function sha256(data: string | Buffer): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(data).digest('hex');
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) (image-spec config.md). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId
      : 'sha256:' + sha256(`${prev} ${diffId}`));
  }
  return out;
}

export class ImageStore {
  readonly root: string;      // <state root>/image
  readonly stateRoot: string;

  constructor(root = stateRoot()) {
    this.stateRoot = root;
    this.root = childPath(root, 'image');
  }

  // ---- blobs (manifests, configs) ----

  blobPath(digest: string): string {
    return childPath(this.root, 'blobs', 'sha256', hexOf(digest));
  }

  /** Store a blob under its digest, checking that it is what the digest says. */
  putBlob(digest: string, data: Buffer): void {
    const got = 'sha256:' + sha256(data);
    if (got !== digest) throw new TsdockerError(`blob digest mismatch: expected ${digest}, got ${got}`);
    if (!fs.existsSync(this.blobPath(digest))) writeFileAtomic(this.blobPath(digest), data, this.stateRoot);
  }

  getBlob(digest: string): Buffer | undefined {
    try {
      return fs.readFileSync(this.blobPath(digest));
    } catch {
      return undefined;
    }
  }

  // ---- layers ----

  layerDir(chainId: string): string {
    return childPath(this.root, 'layers', hexOf(chainId));
  }

  /** The directory overlayfs uses as a lower dir for this layer. */
  diffDir(chainId: string): string {
    return childPath(this.layerDir(chainId), 'diff');
  }

  getLayer(chainId: string): LayerRecord | undefined {
    return readJson<LayerRecord>(childPath(this.layerDir(chainId), 'layer.json'));
  }

  /** A fresh directory (under tmp/) for a layer being unpacked; commitLayer moves it into place. */
  newLayerWorkDir(): { dir: string; diff: string } {
    const dir = tempPath('layer', this.stateRoot);
    fs.mkdirSync(path.join(dir, 'diff'), { recursive: true, mode: 0o755 });
    return { dir, diff: path.join(dir, 'diff') };
  }

  /**
   * Make an unpacked layer visible. If another pull committed the same chain id first (two pulls
   * of one image at once), ours is thrown away: both pulls still succeed with one copy on disk.
   */
  commitLayer(work: { dir: string }, rec: Omit<LayerRecord, 'link'>): LayerRecord {
    const link = randomHex(13).toUpperCase(); // 26 characters, as overlay2's
    const full: LayerRecord = { ...rec, link };
    fs.writeFileSync(path.join(work.dir, 'layer.json'), JSON.stringify(full, null, 2) + '\n');
    // The short link is made first, pointing at where the layer is about to appear: if we are
    // killed before the rename it only dangles, and `image prune` removes it.
    const linkPath = path.join(this.root, 'l', link);
    fs.mkdirSync(path.dirname(linkPath), { recursive: true });
    fs.symlinkSync(path.join('..', 'layers', hexOf(rec.chainId), 'diff'), linkPath);
    fs.mkdirSync(path.join(this.root, 'layers'), { recursive: true });
    try {
      fs.renameSync(work.dir, this.layerDir(rec.chainId));
      trace('store', `layer ${rec.chainId}: rename ${work.dir} -> ${this.layerDir(rec.chainId)}, short link l/${link}`);
      return full;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      fs.rmSync(linkPath, { force: true });
      fs.rmSync(work.dir, { recursive: true, force: true });
      const existing = this.getLayer(rec.chainId);
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existing) return existing;
      throw err;
    }
  }

  removeLayer(chainId: string): void {
    const rec = this.getLayer(chainId);
    if (rec) fs.rmSync(path.join(this.root, 'l', rec.link), { force: true });
    removeTree(this.layerDir(chainId), this.stateRoot);
  }

  listLayers(): string[] {
    return listDir(path.join(this.root, 'layers')).filter((h) => HEX64.test(h)).map((h) => `sha256:${h}`);
  }

  // ---- images ----

  private imageFile(id: string): string {
    return childPath(this.root, 'images', `${hexOf(id)}.json`);
  }

  /** Record an image whose config blob and layers are all in the store. */
  putImage(img: StoredImage): void {
    if (!this.getBlob(img.id)) throw new TsdockerError(`image config ${img.id} is not in the store`);
    for (const l of img.layers) {
      if (!this.getLayer(l)) throw new TsdockerError(`layer ${l} of image ${img.id} is not in the store`);
    }
    writeFileAtomic(this.imageFile(img.id), JSON.stringify(img, null, 2) + '\n', this.stateRoot);
  }

  /** `refsByImage`: the map of every tag and digest, when the caller reads many images. Without
   *  it, repoTags and repoDigests are read when either is first asked for, and kept as they were
   *  then: finding the tags of one image reads every tag of the store (a file each), and a `run`
   *  never asks. */
  getImage(id: string, refsByImage?: Map<string, string[]>): ImageRecord | undefined {
    const stored = readJson<StoredImage>(this.imageFile(id));
    if (!stored) return undefined;
    // As text, through the addon (readText): every `run` reads its image's config.
    let blob: string | undefined;
    try {
      blob = readText(this.blobPath(stored.id));
    } catch {
      return undefined;
    }
    if (blob === undefined) return undefined;
    const config = parseImageConfig(blob, stored.id);
    let refs = refsByImage?.get(stored.id) ?? (refsByImage ? [] : undefined);
    const names = (): string[] => (refs ??= this.refsByImage().get(stored.id) ?? []);
    const image = { ...stored, config, created: config.created } as ImageRecord;
    Object.defineProperties(image, {
      repoTags: { enumerable: true, get: () => names().filter((r) => !r.includes('@')) },
      repoDigests: { enumerable: true, get: () => names().filter((r) => r.includes('@')) },
    });
    return image;
  }

  listImageIds(): string[] {
    return listDir(path.join(this.root, 'images'))
      .filter((f) => f.endsWith('.json') && HEX64.test(f.slice(0, -5)))
      .map((f) => `sha256:${f.slice(0, -5)}`);
  }

  listImages(): ImageRecord[] {
    // The tags are read once for all images, not once per image.
    const refs = this.refsByImage();
    return this.listImageIds().map((id) => this.getImage(id, refs)).filter((i): i is ImageRecord => i !== undefined);
  }

  /** Delete the image record and its config; layers are removed separately (see removeUnusedLayers). */
  deleteImage(id: string): void {
    fs.rmSync(this.imageFile(id), { force: true });
    fs.rmSync(this.blobPath(id), { force: true });
  }

  /** Remove every layer no remaining image uses; returns the chain ids removed. */
  removeUnusedLayers(only?: string[]): string[] {
    const used = new Set(this.listImageIds().flatMap((id) => readJson<StoredImage>(this.imageFile(id))?.layers ?? []));
    const removed: string[] = [];
    for (const chainId of (only ?? this.listLayers()).slice().reverse()) {
      if (!used.has(chainId) && fs.existsSync(this.layerDir(chainId))) {
        this.removeLayer(chainId);
        removed.push(chainId);
      }
    }
    return removed;
  }

  // ---- tags and digests ----

  private repoDir(repository: string): string {
    return childPath(this.root, 'repositories', encodeURIComponent(repository));
  }

  /** Point "repo:tag" (or "repo@digest") at an image. */
  setRef(ref: Reference, id: string): void {
    const entry = ref.digest ? `@${ref.digest}` : ref.tag!;
    writeFileAtomic(childPath(this.repoDir(repositoryName(ref)), entry), id + '\n', this.stateRoot);
    trace('store', `${repositoryName(ref)}${ref.digest ? '@' : ':'}${ref.digest ?? ref.tag} -> ${id}`);
  }

  /** Remove a tag or digest reference; returns whether it existed. */
  removeRef(ref: Reference): boolean {
    const entry = ref.digest ? `@${ref.digest}` : ref.tag!;
    const file = childPath(this.repoDir(repositoryName(ref)), entry);
    if (!fs.existsSync(file)) return false;
    fs.rmSync(file);
    try {
      fs.rmdirSync(this.repoDir(repositoryName(ref)));
    } catch { /* other tags remain */ }
    return true;
  }

  lookupRef(ref: Reference): string | undefined {
    const entry = ref.digest ? `@${ref.digest}` : ref.tag!;
    try {
      return readText(childPath(this.repoDir(repositoryName(ref)), entry))?.trim();
    } catch {
      return undefined;
    }
  }

  /** image id -> ["docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:..."] */
  refsByImage(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const base = childPath(this.root, 'repositories');
    for (const enc of listDir(base)) {
      const repo = decodeURIComponent(enc);
      for (const entry of listDir(childPath(base, enc))) {
        let id: string;
        try {
          id = fs.readFileSync(childPath(base, enc, entry), 'utf8').trim();
        } catch {
          continue;
        }
        const name = entry.startsWith('@') ? `${repo}${entry}` : `${repo}:${entry}`;
        out.set(id, [...(out.get(id) ?? []), name]);
      }
    }
    return out;
  }

  /**
   * Find an image the way Docker's CLI does: by reference ("busybox", "busybox:1", "x@sha256:"),
   * else by full id ("sha256:<hex>" or "<hex>"), else by a unique id prefix.
   */
  resolve(nameOrId: string): ImageRecord | undefined {
    const byId = /^(sha256:)?([a-f0-9]{64})$/.exec(nameOrId);
    if (byId) return this.getImage(`sha256:${byId[2]}`);
    let ref: Reference | undefined;
    try {
      ref = parseReference(nameOrId);
    } catch { /* maybe an id prefix */ }
    if (ref) {
      const id = this.lookupRef(ref);
      if (id) return this.getImage(id);
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(nameOrId)?.[1];
    if (!prefix) return undefined;
    const matches = this.listImageIds().filter((id) => hexOf(id).startsWith(prefix));
    if (matches.length > 1) throw new TsdockerError(`image id prefix ${nameOrId} is ambiguous`);
    return matches.length === 1 ? this.getImage(matches[0]) : undefined;
  }

  /** The lower dirs for an image's rootfs, top-most layer first (overlayfs order). */
  layerDiffDirs(img: { layers: string[] }): string[] {
    return img.layers.slice().reverse().map((c) => this.diffDir(c));
  }

  /** Same, as short links relative to this.root: "l/ABC..." (see src/image/overlay.ts). */
  layerShortLinks(img: { layers: string[] }): string[] {
    return img.layers.slice().reverse().map((c) => {
      const rec = this.getLayer(c);
      if (!rec) throw new TsdockerError(`layer ${c} is missing from the store`);
      return path.join('l', rec.link);
    });
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
