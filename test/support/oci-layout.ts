// Writing and reading OCI image layouts (image-spec image-layout.md): a directory with an
// `oci-layout` file, `index.json`, and content-addressed `blobs/sha256/<hex>`. skopeo and umoci
// read and write the same format, so a layout written here can be pushed with
// `skopeo copy oci:<dir>:<tag> docker://...` or byte for byte by push.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../../src/errors';
import { Compression, compress, sha256 } from './layers';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

export type Format = 'oci' | 'docker';

export interface Platform { architecture: string; os: string; variant?: string }

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  /** where a foreign (non-distributable) layer is downloaded from instead of the registry */
  urls?: string[];
}

/** A layer either made from a tar here, or reused (already compressed) from another layout. */
export type LayerSource =
  | {
    tar: Buffer; compression?: Compression;
    /** make it a foreign layer fetched from these URLs (gzip only); push.ts does not upload it */
    urls?: string[];
    /** declare this diff_id in the config instead of the tar's real one */
    diffId?: string;
  }
  | { from: string /* layout dir */; descriptor: Descriptor; diffId: string };

export interface ImageSpec {
  format?: Format;
  layers: LayerSource[];
  platform?: Platform;
  /** the image config's `config` section: Cmd, Env, Entrypoint, User, WorkingDir, ... */
  config?: Record<string, unknown>;
  /** overrides for fields of the config blob itself (to make broken configs on purpose) */
  configExtra?: Record<string, unknown>;
}

export function initLayout(dir: string): void {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  if (!fs.existsSync(path.join(dir, 'index.json'))) {
    writeJson(path.join(dir, 'index.json'), { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] });
  }
}

export function blobPath(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return path.join(dir, 'blobs', algorithm, hex);
}

export function writeBlob(dir: string, data: Buffer, mediaType: string): Descriptor {
  const digest = sha256(data);
  fs.writeFileSync(blobPath(dir, digest), data);
  return { mediaType, digest, size: data.length };
}

/** Share a blob with another layout: a hard link (blobs are immutable), or a copy across filesystems. */
function linkBlob(fromDir: string, toDir: string, digest: string): void {
  const target = blobPath(toDir, digest);
  if (fs.existsSync(target)) return;
  try {
    fs.linkSync(blobPath(fromDir, digest), target);
  } catch {
    fs.copyFileSync(blobPath(fromDir, digest), target);
  }
}

export function readBlob(dir: string, digest: string): Buffer {
  return fs.readFileSync(blobPath(dir, digest));
}

function layerMediaType(format: Format, compression: Compression): string {
  if (format === 'docker') {
    if (compression !== 'gzip') throw new TsdockerError(`docker media types have no ${compression} layer`);
    return MEDIA.dockerLayerGzip;
  }
  return { none: MEDIA.ociLayer, gzip: MEDIA.ociLayerGzip, zstd: MEDIA.ociLayerZstd }[compression];
}

/** Write the layers, config and manifest of one image into the layout; returns the manifest's descriptor. */
export function addImage(dir: string, spec: ImageSpec): Descriptor {
  const format = spec.format ?? 'oci';
  const platform = spec.platform ?? { architecture: 'amd64', os: 'linux' };
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const source of spec.layers) {
    if ('tar' in source) {
      const compression = source.compression ?? 'gzip';
      const blob = compress(source.tar, compression);
      if (source.urls) {
        if (compression !== 'gzip') throw new TsdockerError('foreign layers here are gzip only');
        layers.push({ ...writeBlob(dir, blob, format === 'docker' ? MEDIA.dockerForeignGzip : MEDIA.ociNondistributableGzip),
          urls: source.urls });
      } else {
        layers.push(writeBlob(dir, blob, layerMediaType(format, compression)));
      }
      diffIds.push(source.diffId ?? sha256(source.tar));
    } else {
      const mediaType = format === 'docker' && source.descriptor.mediaType === MEDIA.ociLayerGzip
        ? MEDIA.dockerLayerGzip : source.descriptor.mediaType;
      linkBlob(source.from, dir, source.descriptor.digest);
      layers.push({ mediaType, digest: source.descriptor.digest, size: source.descriptor.size });
      diffIds.push(source.diffId);
    }
  }
  const configBlob = {
    created: '2024-01-01T00:00:00Z',
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: spec.config ?? { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test/support/oci-layout.ts' })),
    ...spec.configExtra,
  };
  const config = writeBlob(dir, Buffer.from(JSON.stringify(configBlob)),
    format === 'docker' ? MEDIA.dockerConfig : MEDIA.ociConfig);
  const manifest = {
    schemaVersion: 2,
    mediaType: format === 'docker' ? MEDIA.dockerManifest : MEDIA.ociManifest,
    config,
    layers,
  };
  const written = writeBlob(dir, Buffer.from(JSON.stringify(manifest)), manifest.mediaType);
  return { ...written, platform };
}

/** Write an OCI index or Docker manifest list over manifests already in the layout. */
export function addIndex(dir: string, format: Format, manifests: Descriptor[]): Descriptor {
  const mediaType = format === 'docker' ? MEDIA.dockerList : MEDIA.ociIndex;
  return writeBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests })), mediaType);
}

/** Name a manifest or index in index.json, the way skopeo's `oci:<dir>:<tag>` finds it. */
export function tagLayout(dir: string, tag: string, descriptor: Descriptor): void {
  const indexFile = path.join(dir, 'index.json');
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { manifests: Descriptor[] };
  const entry: Descriptor = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
    annotations: { 'org.opencontainers.image.ref.name': tag } };
  index.manifests = index.manifests.filter((d) => d.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  index.manifests.push(entry);
  writeJson(indexFile, index);
}

/** The descriptor index.json gives a tag. */
export function resolveTag(dir: string, tag: string): Descriptor {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new TsdockerError(`no tag ${tag} in OCI layout ${dir}`);
  return found;
}

export interface ImageManifest { mediaType?: string; config: Descriptor; layers: Descriptor[] }

/** An image's manifest, and its layers paired with diff_ids, ready to reuse as a base. */
export function readImage(dir: string, tag: string): { manifest: ImageManifest; layers: LayerSource[] } {
  const manifest = JSON.parse(readBlob(dir, resolveTag(dir, tag).digest).toString()) as ImageManifest;
  const config = JSON.parse(readBlob(dir, manifest.config.digest).toString()) as { rootfs: { diff_ids: string[] } };
  const layers = manifest.layers.map((descriptor, i) =>
    ({ from: dir, descriptor, diffId: config.rootfs.diff_ids[i] }));
  return { manifest, layers };
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value));
}
