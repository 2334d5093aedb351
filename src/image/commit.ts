// Making new images in the store: what `commit` and `build` share.
//
//   upper dir ──diff.ts──▶ layer.tar.gz ──┬─▶ blobs/sha256/<digest>        (kept for push and save)
//                                         └─▶ unpack.ts ─▶ layers/<chain>/diff  (the store's one format)
//   config JSON (history entry, diff_ids) ─▶ blobs/sha256/<id>    id = sha256 of the config
//   OCI manifest (config + every layer)   ─▶ blobs/sha256/<manifest digest>
//   images/<id>.json, then the tag
//
// The layer is unpacked from the very tar that was hashed, so the layer dir, the diff_id in the
// config and the blob in the manifest can never disagree. docs/images.md describes the format.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError, wrap } from '../errors';
import { trace } from '../trace';
import { LAYER_MEDIA_TYPE, type LayerTar } from './diff';
import type { ImageConfig } from './image-config';
import { ImageStore, chainIds } from './store';
import { unpackLayer } from './unpack';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';

/** Docker's media types name the same bytes as OCI's (image-spec media-types.md, compatibility). */
const TO_OCI: Record<string, string> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip': LAYER_MEDIA_TYPE,
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};

export interface BaseImage {
  /** chain ids, base first */
  layers: string[];
  /** rootfs.diff_ids */
  diffIds: string[];
  /** the manifest's layer descriptors, when known (a pulled or built image) */
  descriptors?: Descriptor[];
}

/**
 * Put a layer tar made by diffLayer on top of `base` into the store; the tar file is consumed.
 * Returns the image it makes.
 */
export async function addLayer(store: ImageStore, base: BaseImage, layer: LayerTar): Promise<BaseImage> {
  const diffIds = [...base.diffIds, layer.diffId];
  const chain = chainIds(diffIds).at(-1)!;
  try {
    if (!store.getLayer(chain)) {
      const work = store.newLayerWorkDir();
      try {
        const parents = store.layerDiffDirs(base);
        const { size } = await unpackLayer(fs.createReadStream(layer.file),
          { mediaType: LAYER_MEDIA_TYPE, dest: work.diff, parents, expectedDiffId: layer.diffId });
        store.commitLayer(work, { chainId: chain, diffId: layer.diffId, parent: base.layers.at(-1), size });
      } catch (err) {
        fs.rmSync(work.dir, { recursive: true, force: true });
        throw err;
      }
    }
    const blob = store.blobPath(layer.digest);
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.renameSync(layer.file, blob); // atomic; the same bytes if the blob was already there
  } catch (err) {
    fs.rmSync(layer.file, { force: true });
    throw wrap(err, `store layer ${layer.diffId}`);
  }
  trace('image', `layer ${chain} (blob ${layer.digest})`);
  const descriptors = base.descriptors && [...base.descriptors, { mediaType: LAYER_MEDIA_TYPE, digest: layer.digest, size: layer.size }];
  return { layers: [...base.layers, chain], diffIds, descriptors };
}

/** The layer descriptors of an image's manifest (following an index to the manifest whose config is
 *  this image), or undefined when the store does not have it. */
export function layerDescriptors(store: ImageStore, img: { id: string; manifestDigest?: string }): Descriptor[] | undefined {
  const seen = new Set<string>();
  const find = (digest: string | undefined): Descriptor[] | undefined => {
    if (!digest || seen.has(digest)) return undefined;
    seen.add(digest);
    const blob = store.getBlob(digest);
    if (!blob) return undefined;
    let doc: { config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] };
    try {
      doc = JSON.parse(blob.toString()) as typeof doc;
    } catch {
      return undefined;
    }
    if (doc.manifests) {
      for (const m of doc.manifests) {
        const found = find(m.digest);
        if (found) return found;
      }
      return undefined;
    }
    if (doc.config?.digest !== img.id || !doc.layers) return undefined;
    return doc.layers.map((l) => ({ mediaType: TO_OCI[l.mediaType] ?? l.mediaType, digest: l.digest, size: l.size }));
  };
  return find(img.manifestDigest);
}

export interface WrittenImage {
  id: string;
  manifestDigest?: string;
  size: number;
}

/**
 * Store a config (and an OCI manifest, when every layer's descriptor is known). With `record`, the
 * image also gets its images/<id>.json and shows in `images`; without, it exists only for the build
 * cache (cache.ts), as Docker's classic builder keeps its intermediate images out of `images`.
 */
export function writeImage(store: ImageStore, config: ImageConfig, base: BaseImage,
  opts: { record: boolean; parent?: string }): WrittenImage {
  if (config.rootfs.diff_ids.join() !== base.diffIds.join()) throw new TsdockerError('image config and layers disagree');
  const body = Buffer.from(JSON.stringify(config));
  const id = sha256(body);
  store.putBlob(id, body);
  let manifestDigest: string | undefined;
  if (base.descriptors && base.descriptors.length === base.layers.length) {
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPE,
      config: { mediaType: CONFIG_MEDIA_TYPE, digest: id, size: body.length },
      layers: base.descriptors,
    }));
    manifestDigest = sha256(manifest);
    store.putBlob(manifestDigest, manifest);
  }
  const size = base.layers.reduce((sum, c) => sum + (store.getLayer(c)?.size ?? 0), 0);
  if (opts.record) store.putImage({ id, layers: base.layers, manifestDigest, size, ...(opts.parent ? { parent: opts.parent } : {}) });
  trace('image', `config ${id}${manifestDigest ? `, manifest ${manifestDigest}` : ''}`);
  return { id, manifestDigest, size };
}

export function sha256(data: Buffer): string {
  return 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');
}
