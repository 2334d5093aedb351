// An image as the blobs a registry or an archive holds: config, manifest, compressed layers.
// What `push` and `save` send. Read from the store (docs/images.md):
//
//   config      blobs/sha256/<image id>
//   manifest    blobs/sha256/<manifestDigest>  (for an index, the child whose config is this image)
//   layer i     layers/<chain>/blob, kept by pull and load (layer.json says its descriptor),
//               or blobs/sha256/<digest>, where commit and build keep theirs (commit.ts)
//
// When every layer is stored as the manifest names it, the manifest is sent byte for byte, so the
// registry ends up with the digest the image was pulled by. Otherwise (a loaded Docker archive
// has no manifest; the same layer may have been pulled first in another compression) a new OCI
// manifest is written for the blobs we do have: the config, and so the image id, never changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { MediaType } from '../registry/manifest';
import { digestOf } from '../registry/blob';
import { BLOB_FILE } from './keep-blob';
import type { BlobDescriptor, ImageRecord, ImageStore } from './store';

export interface LayerBlob {
  desc: BlobDescriptor;
  /** the compressed blob on disk */
  file: string;
  chainId: string;
  diffId: string;
}

export interface ImageContent {
  config: { desc: BlobDescriptor; body: Buffer };
  manifest: { mediaType: string; digest: string; body: Buffer };
  layers: LayerBlob[];
}

/** Docker's media types name the same bytes as OCI's (image-spec media-types.md). */
const DOCKER_TO_OCI: Record<string, string> = {
  [MediaType.DOCKER_LAYER_GZIP]: MediaType.OCI_LAYER_GZIP,
  [MediaType.DOCKER_FOREIGN_LAYER]: MediaType.OCI_FOREIGN_LAYER_GZIP,
  'application/vnd.docker.image.rootfs.diff.tar': MediaType.OCI_LAYER,
};

interface ManifestDoc {
  mediaType?: string;
  config?: BlobDescriptor;
  layers?: BlobDescriptor[];
  manifests?: BlobDescriptor[];
}

export function imageContent(store: ImageStore, img: ImageRecord): ImageContent {
  const configBody = store.getBlob(img.id);
  if (!configBody) throw new TsdockerError(`image ${img.id}: its config is missing from the store`);
  const stored = storedManifest(store, img);
  const diffIds = img.config.rootfs.diff_ids;
  const layers = img.layers.map((chainId, i) => findLayerBlob(store, chainId, diffIds[i], stored?.doc.layers?.[i]));
  const exact = stored !== undefined && (stored.doc.layers ?? []).length === layers.length &&
    layers.every((l, i) => l.desc.digest === stored.doc.layers![i].digest);
  if (exact) {
    return { config: { desc: stored.doc.config!, body: configBody }, manifest: stored.manifest, layers };
  }
  const config = { mediaType: MediaType.OCI_CONFIG, digest: img.id, size: configBody.length };
  const body = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config,
    layers: layers.map((l) => ({ ...l.desc, mediaType: DOCKER_TO_OCI[l.desc.mediaType] ?? l.desc.mediaType })),
  }));
  return {
    config: { desc: config, body: configBody },
    manifest: { mediaType: MediaType.OCI_MANIFEST, digest: digestOf(body), body },
    layers,
  };
}

/** The image manifest the image was pulled (or built) by, following an index to the child whose
 *  config is this image. */
function storedManifest(store: ImageStore, img: ImageRecord):
  { doc: ManifestDoc; manifest: ImageContent['manifest'] } | undefined {
  const seen = new Set<string>();
  const find = (digest: string | undefined, depth: number): ReturnType<typeof storedManifest> => {
    if (!digest || seen.has(digest) || depth > 4) return undefined;
    seen.add(digest);
    const body = store.getBlob(digest);
    if (!body) return undefined;
    let doc: ManifestDoc;
    try {
      doc = JSON.parse(body.toString()) as ManifestDoc;
    } catch {
      return undefined;
    }
    if (Array.isArray(doc.manifests)) {
      for (const m of doc.manifests) {
        const found = find(m.digest, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    if (doc.config?.digest !== img.id || !Array.isArray(doc.layers) || !doc.mediaType) return undefined;
    return { doc, manifest: { mediaType: doc.mediaType, digest, body } };
  };
  return find(img.manifestDigest, 0);
}

function findLayerBlob(store: ImageStore, chainId: string, diffId: string, wanted?: BlobDescriptor): LayerBlob {
  const rec = store.getLayer(chainId);
  if (!rec) throw new TsdockerError(`layer ${chainId} is missing from the store`);
  const kept = path.join(store.layerDir(chainId), BLOB_FILE);
  const candidates: Array<[BlobDescriptor | undefined, string]> = [
    [rec.blob, kept],
    [wanted, wanted ? store.blobPath(wanted.digest) : ''],
    [rec.blob, rec.blob ? store.blobPath(rec.blob.digest) : ''],
  ];
  // The manifest's own descriptor first, so an exact manifest can be kept.
  candidates.sort(([a], [b]) => Number(b?.digest === wanted?.digest) - Number(a?.digest === wanted?.digest));
  for (const [desc, file] of candidates) {
    if (desc && file && sizeOf(file) === desc.size) {
      return { desc: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size, ...(desc.urls ? { urls: desc.urls } : {}) }, file, chainId, diffId };
    }
  }
  throw new TsdockerError(`layer ${diffId} has no stored compressed blob (it was pulled by an older ` +
    'tsdocker, which did not keep them): remove the image and pull it again');
}

function sizeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}
