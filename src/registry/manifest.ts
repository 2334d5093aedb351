// Image manifests and indexes: their media types, and parsing with the checks a registry's answer
// must pass before anything trusts it (checklist A3).
//
// A registry answers a manifest request with one of four JSON documents, chosen by our Accept
// header: an index (a list of per-platform manifests) or an image manifest (a config blob and
// layer blobs, base layer first), each in an OCI and a Docker flavour that differ only in names
// (image-spec media-types.md, distribution manifest-v2-2.md). Schema 1, the pre-2016 format,
// is refused: Docker and containerd 2.0 dropped it too (distribution deprecated-schema-v1.md).
import { TsdockerError } from '../errors';

export const MediaType = {
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  OCI_LAYER: 'application/vnd.oci.image.layer.v1.tar',
  OCI_LAYER_GZIP: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCI_LAYER_ZSTD: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OCI_FOREIGN_LAYER: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OCI_FOREIGN_LAYER_GZIP: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OCI_FOREIGN_LAYER_ZSTD: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  DOCKER_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_CONFIG: 'application/vnd.docker.container.image.v1+json',
  DOCKER_LAYER_GZIP: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DOCKER_FOREIGN_LAYER: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DOCKER_SCHEMA1: 'application/vnd.docker.distribution.manifest.v1+json',
  DOCKER_SCHEMA1_SIGNED: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/**
 * Exactly the four types we can use. No `*` and no application/json: given either, a Distribution
 * registry falls back to schema 1 (dist-spec content-negotiation.md).
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.OCI_INDEX, MediaType.DOCKER_LIST, MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST,
];

/** c/image's limit for manifests and configs (internal/iolimits, after CVE-2020-1702). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A pointer to content by digest (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** What getManifest returns: the bytes as served, and the digest they were verified against. */
export interface FetchedManifest {
  mediaType: string;
  digest: string;
  body: Buffer;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.OCI_INDEX || mediaType === MediaType.DOCKER_LIST;
}

export function isManifestType(mediaType: string): boolean {
  return mediaType === MediaType.OCI_MANIFEST || mediaType === MediaType.DOCKER_MANIFEST;
}

export function isSchema1(mediaType: string): boolean {
  return mediaType === MediaType.DOCKER_SCHEMA1 || mediaType === MediaType.DOCKER_SCHEMA1_SIGNED;
}

/** Compressed layer types we know how to unpack, and foreign (non-distributable) ones. */
export function isLayerType(mediaType: string): boolean {
  return (Object.entries(MediaType) as [string, string][])
    .some(([name, value]) => name.includes('LAYER') && value === mediaType);
}

export function isForeignLayerType(mediaType: string): boolean {
  return mediaType === MediaType.DOCKER_FOREIGN_LAYER || mediaType.startsWith(
    'application/vnd.oci.image.layer.nondistributable.v1.tar');
}

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** sha256 MUST be supported and sha512 may be; hex is lower case (descriptor.md). */
export function checkDigest(digest: string, what = 'digest'): string {
  if (!DIGEST_RE.test(digest)) throw new TsdockerError(`invalid ${what} "${digest}"`);
  return digest;
}

/** "application/vnd.oci.image.manifest.v1+json; charset=utf-8" -> the type alone. */
export function bareMediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

const SCHEMA1_MESSAGE = 'is a schema 1 manifest, a format removed from Docker and tsdocker; ' +
  'ask its publisher to push it again as an OCI or Docker schema 2 image';

/**
 * Decide the media type of a manifest body served with `contentType`, refusing schema 1 and any
 * disagreement between the header and the body's own mediaType (dist-spec "Pulling manifests").
 * `name` is the reference, for messages.
 */
export function manifestMediaType(body: Buffer, contentType: string | null, name: string): string {
  const header = bareMediaType(contentType);
  const json = parseJson(body, name);
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  if (isSchema1(header) || (declared && isSchema1(declared)) || json.schemaVersion === 1) {
    throw new TsdockerError(`${name} ${SCHEMA1_MESSAGE}`);
  }
  if (declared && MANIFEST_ACCEPT.includes(header) && declared !== header) {
    throw new TsdockerError(`manifest for ${name} says mediaType ${declared} but was served as ${header}`);
  }
  // Old registries serve OCI manifests as application/json; the body then decides.
  const mediaType = declared ?? header;
  if (!MANIFEST_ACCEPT.includes(mediaType)) {
    throw new TsdockerError(`manifest for ${name} has unsupported media type "${mediaType || 'none'}"`);
  }
  return mediaType;
}

/** Parse and validate a fetched manifest or index. */
export function parseManifest(m: FetchedManifest):
  { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest } {
  const where = m.digest;
  const json = parseJson(m.body, where);
  if (json.schemaVersion === 1) throw new TsdockerError(`${where} ${SCHEMA1_MESSAGE}`);
  if (json.schemaVersion !== 2) {
    throw new TsdockerError(`manifest ${where}: unsupported schemaVersion ${JSON.stringify(json.schemaVersion)}`);
  }
  if (json.mediaType !== undefined && json.mediaType !== m.mediaType) {
    throw new TsdockerError(`manifest ${where}: mediaType ${String(json.mediaType)} does not match ${m.mediaType}`);
  }
  const annotations = stringMap(json.annotations, `manifest ${where}: annotations`);
  if (isIndexType(m.mediaType)) {
    if (!Array.isArray(json.manifests)) throw new TsdockerError(`index ${where}: "manifests" must be a list`);
    const manifests = json.manifests.map((d, i) => parseDescriptor(d, `index ${where}: manifests[${i}]`));
    const index: ImageIndex = { schemaVersion: 2, mediaType: m.mediaType, manifests };
    if (annotations) index.annotations = annotations;
    return { kind: 'index', index };
  }
  if (isManifestType(m.mediaType)) {
    if (!Array.isArray(json.layers)) throw new TsdockerError(`manifest ${where}: "layers" must be a list`);
    const config = parseDescriptor(json.config, `manifest ${where}: config`);
    const layers = json.layers.map((d, i) => parseDescriptor(d, `manifest ${where}: layers[${i}]`));
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: m.mediaType, config, layers };
    if (annotations) manifest.annotations = annotations;
    return { kind: 'manifest', manifest };
  }
  throw new TsdockerError(`manifest ${where}: unsupported media type "${m.mediaType}"`);
}

export function parseDescriptor(raw: unknown, where: string): Descriptor {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TsdockerError(`${where}: expected a descriptor object`);
  }
  const d = raw as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw new TsdockerError(`${where}: missing mediaType`);
  if (typeof d.digest !== 'string') throw new TsdockerError(`${where}: missing digest`);
  checkDigest(d.digest, `${where}: digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new TsdockerError(`${where}: size must be a non-negative integer`);
  }
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls !== undefined) {
    if (!Array.isArray(d.urls) || !d.urls.every((u) => typeof u === 'string')) {
      throw new TsdockerError(`${where}: urls must be a list of strings`);
    }
    out.urls = d.urls as string[];
  }
  if (d.platform !== undefined) {
    const p = d.platform as Record<string, unknown>;
    if (typeof p !== 'object' || p === null || typeof p.os !== 'string' || typeof p.architecture !== 'string') {
      throw new TsdockerError(`${where}: platform needs os and architecture`);
    }
    out.platform = { os: p.os, architecture: p.architecture };
    if (typeof p.variant === 'string') out.platform.variant = p.variant;
    if (typeof p['os.version'] === 'string') out.platform['os.version'] = p['os.version'];
    if (Array.isArray(p['os.features'])) out.platform['os.features'] = p['os.features'].map(String);
  }
  const annotations = stringMap(d.annotations, `${where}: annotations`);
  if (annotations) out.annotations = annotations;
  return out;
}

function parseJson(body: Buffer, where: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new TsdockerError(`manifest ${where} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TsdockerError(`manifest ${where} is not a JSON object`);
  }
  return json as Record<string, unknown>;
}

function stringMap(raw: unknown, where: string): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw) ||
      !Object.values(raw as object).every((v) => typeof v === 'string')) {
    throw new TsdockerError(`${where} must map strings to strings`);
  }
  return raw as Record<string, string>;
}
