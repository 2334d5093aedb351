// `tsdocker load`: an image archive -> the image store. Two formats are read:
//
//   Docker archive   manifest.json: [{Config, RepoTags, Layers}] (docker save, podman save,
//                    skopeo docker-archive:); layers are tars, usually uncompressed
//   OCI layout       index.json + oci-layout + blobs/<alg>/<hex> (skopeo oci-archive:,
//                    podman save --format oci-archive); names in the index's annotations
// (Docker 25+ writes both at once; manifest.json is then used, as `docker load` does.)
//
// Every digest is checked: the config against its name, each OCI blob against its descriptor, each
// layer's tar against the config's diff_ids (unpack.ts). Layers are unpacked into tmp/ and only
// when every image of the archive is complete do they move into place, then configs, records and
// tags: a load that fails leaves the store as it was. Each layer keeps a compressed blob for push
// and save: the archive's own when it has one, else the tar gzipped here (keep-blob.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { TsdockerError, wrap } from '../errors';
import { sweepTemp, tempPath } from '../fsutil';
import { familiarString, parseReference, type Reference } from '../reference';
import { digestOf } from '../registry/blob';
import { MediaType, parseDescriptor, parseManifest, type Descriptor } from '../registry/manifest';
import { hostPlatform, selectManifest } from '../registry/platform';
import { trace } from '../trace';
import { ArchiveDir } from './archive';
import { DigestStream } from './digest';
import { parseImageConfig, type ImageConfig } from './image-config';
import { BLOB_FILE } from './keep-blob';
import { ImageStore, chainIds, type BlobDescriptor } from './store';
import { unpackLayer } from './unpack';

export interface LoadOptions {
  /** -i FILE; else `input` */
  file?: string;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  out?: NodeJS.WritableStream;
  store?: ImageStore;
}

interface ImageToLoad {
  configBody: Buffer;
  config: ImageConfig;
  id: string;
  /** per layer: the archive member, and its descriptor when the archive names one (OCI) */
  layers: Array<{ file: string; desc?: Descriptor }>;
  manifest?: { digest: string; body: Buffer };
  tags: Reference[];
}

interface LayerWork {
  chainId: string;
  diffId: string;
  parent?: string;
  dir: string;
  size: number;
  blob: BlobDescriptor;
}

export async function loadImages(opts: LoadOptions = {}): Promise<void> {
  const store = opts.store ?? new ImageStore();
  const out = opts.out ?? process.stdout;
  const input = opts.file ? fs.createReadStream(opts.file) : (opts.input ?? process.stdin);
  if (!opts.file && (input as { isTTY?: boolean }).isTTY) {
    throw new TsdockerError('requested load from stdin, but stdin is empty');
  }
  sweepTemp(store.stateRoot);
  const scratch = tempPath('load', store.stateRoot);
  fs.mkdirSync(scratch, { mode: 0o700 });
  const work = new Map<string, LayerWork>();
  try {
    const archive = new ArchiveDir(scratch);
    await archive.extract(input).catch((err) => { throw wrap(err, `read ${opts.file ?? 'stdin'}`); });
    const images = archive.has('manifest.json') ? dockerImages(archive)
      : archive.has('index.json') ? ociImages(archive)
      : undefined;
    if (!images) throw new TsdockerError('not an image archive: it has neither manifest.json nor index.json');
    for (const img of images) await unpackImage(store, img, work);
    commit(store, images, work);
    for (const img of images) {
      if (img.tags.length === 0) out.write(`Loaded image ID: ${img.id}\n`);
      for (const tag of img.tags) out.write(`Loaded image: ${familiarString(tag)}\n`);
    }
  } catch (err) {
    for (const w of work.values()) fs.rmSync(w.dir, { recursive: true, force: true });
    throw err instanceof TsdockerError ? err : wrap(err, 'load');
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

// ---- the two formats ----

interface DockerEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

function dockerImages(archive: ArchiveDir): ImageToLoad[] {
  const entries = parseJson(archive.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw new TsdockerError('manifest.json must be a non-empty list');
  return (entries as DockerEntry[]).map((e, i) => {
    const where = `manifest.json[${i}]`;
    if (typeof e.Config !== 'string') throw new TsdockerError(`${where}: no Config`);
    if (!Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string')) throw new TsdockerError(`${where}: Layers must be a list of names`);
    const configBody = archive.read(e.Config);
    const id = digestOf(configBody);
    // The config's file is named after its digest ("<hex>.json", "blobs/sha256/<hex>"): check it.
    const named = /([a-f0-9]{64})(\.json)?$/.exec(e.Config)?.[1];
    if (named && `sha256:${named}` !== id) throw new TsdockerError(`${e.Config}: digest mismatch: its content is ${id}`);
    const tags = e.RepoTags === null || e.RepoTags === undefined ? [] : e.RepoTags;
    if (!Array.isArray(tags)) throw new TsdockerError(`${where}: RepoTags must be a list`);
    return {
      configBody, id, config: parseImageConfig(configBody, e.Config),
      layers: (e.Layers as string[]).map((name) => ({ file: member(archive, name) })),
      tags: tags.map((t) => parseReference(String(t))),
    };
  });
}

function ociImages(archive: ArchiveDir): ImageToLoad[] {
  if (!archive.has('oci-layout')) throw new TsdockerError('index.json without oci-layout: not an OCI image layout');
  const index = parseManifest({ mediaType: MediaType.OCI_INDEX, digest: 'index.json', body: archive.read('index.json') });
  if (index.kind !== 'index') throw new TsdockerError('index.json is not an image index');
  const images: ImageToLoad[] = [];
  for (const top of index.index.manifests) {
    let desc: Descriptor = top;
    let body = blob(archive, desc, 4 * 1024 * 1024);
    for (let depth = 0; depth < 4 && (desc.mediaType === MediaType.OCI_INDEX || desc.mediaType === MediaType.DOCKER_LIST); depth++) {
      const nested = parseManifest({ mediaType: desc.mediaType, digest: desc.digest, body });
      if (nested.kind !== 'index') break;
      desc = selectManifest(nested.index, hostPlatform());
      body = blob(archive, desc, 4 * 1024 * 1024);
    }
    const parsed = parseManifest({ mediaType: desc.mediaType, digest: desc.digest, body });
    if (parsed.kind !== 'manifest') throw new TsdockerError(`index.json: ${desc.digest} is not an image manifest`);
    const { manifest } = parsed;
    const configBody = blob(archive, manifest.config, 4 * 1024 * 1024);
    images.push({
      configBody, id: manifest.config.digest, config: parseImageConfig(configBody, manifest.config.digest),
      layers: manifest.layers.map((d, i) => {
        parseDescriptor(d, `manifest ${desc.digest}: layers[${i}]`);
        return { file: blobFile(archive, d), desc: d };
      }),
      manifest: { digest: desc.digest, body },
      tags: ociName(top),
    });
  }
  return images;
}

/** The image name an OCI index entry carries: containerd's full name, else ref.name when it is a
 *  whole reference ("busybox:1", as skopeo writes); a bare tag ("latest") names no repository. */
function ociName(desc: Descriptor): Reference[] {
  const a = desc.annotations ?? {};
  const name = a['io.containerd.image.name'] ?? a['org.opencontainers.image.ref.name'];
  if (!name || !/[:/]/.test(name)) return [];
  try {
    return [parseReference(name)];
  } catch {
    trace('load', `ignore image name ${JSON.stringify(name)}: not a reference`);
    return [];
  }
}

function member(archive: ArchiveDir, name: string): string {
  const host = archive.resolve(name);
  if (!host) throw new TsdockerError(`archive has no ${name}`);
  return host;
}

function blobFile(archive: ArchiveDir, desc: Descriptor): string {
  const [alg, hex] = desc.digest.split(':');
  return member(archive, `blobs/${alg}/${hex}`);
}

/** A small blob, checked against its descriptor. */
function blob(archive: ArchiveDir, desc: Descriptor, limit: number): Buffer {
  const [alg, hex] = desc.digest.split(':');
  const body = archive.read(`blobs/${alg}/${hex}`, limit);
  if (body.length !== desc.size || digestOf(body, desc.digest) !== desc.digest) {
    throw new TsdockerError(`blob ${desc.digest} in the archive does not match its descriptor`);
  }
  return body;
}

// ---- unpacking and committing ----

async function unpackImage(store: ImageStore, img: ImageToLoad, work: Map<string, LayerWork>): Promise<void> {
  const diffIds = img.config.rootfs.diff_ids;
  if (diffIds.length !== img.layers.length) {
    throw new TsdockerError(`image ${img.id}: ${img.layers.length} layers but its config lists ${diffIds.length} diff_ids`);
  }
  const chains = chainIds(diffIds);
  for (let i = 0; i < chains.length; i++) {
    if (store.getLayer(chains[i]) || work.has(chains[i])) continue;
    const parents = chains.slice(0, i).reverse().map((c) => work.get(c) ? path.join(work.get(c)!.dir, 'diff') : store.diffDir(c));
    const { dir, diff } = store.newLayerWorkDir();
    const w: LayerWork = { chainId: chains[i], diffId: diffIds[i], parent: chains[i - 1], dir, size: 0, blob: undefined! };
    work.set(chains[i], w);
    const { file, desc } = img.layers[i];
    try {
      const mediaType = desc?.mediaType ?? sniffLayerType(file);
      if (desc) await checkBlob(file, desc);
      const { size } = await unpackLayer(fs.createReadStream(file), { mediaType, dest: diff, parents, expectedDiffId: diffIds[i] });
      w.size = size;
      w.blob = await keepLayerBlob(file, mediaType, desc, dir);
    } catch (err) {
      throw wrap(err, `layer ${diffIds[i]}`);
    }
  }
}

/** A layer file of a Docker archive: a tar, or (some tools) a gzipped or zstd tar. */
function sniffLayerType(file: string): string {
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return MediaType.OCI_LAYER_GZIP;
  if (head.readUInt32LE(0) === 0xfd2fb528) return MediaType.OCI_LAYER_ZSTD;
  return MediaType.OCI_LAYER;
}

async function checkBlob(file: string, desc: Descriptor): Promise<void> {
  const digest = new DigestStream(desc.digest.split(':')[0]);
  for await (const _chunk of fs.createReadStream(file).pipe(digest)) { /* hash */ }
  const got = digest.digest();
  if (digest.bytes !== desc.size || got !== desc.digest) {
    throw new TsdockerError(`blob in the archive is ${got} (${digest.bytes} bytes), its descriptor says ${desc.digest} (${desc.size} bytes)`);
  }
}

/** Keep the archive's compressed blob as it is; gzip a plain tar, as a registry would want it. */
async function keepLayerBlob(file: string, mediaType: string, desc: Descriptor | undefined, dir: string): Promise<BlobDescriptor> {
  const dest = path.join(dir, BLOB_FILE);
  if (mediaType !== MediaType.OCI_LAYER && mediaType !== 'application/vnd.docker.image.rootfs.diff.tar') {
    fs.linkSync(file, dest);
    const size = fs.statSync(dest).size;
    const digest = desc?.digest ?? await fileDigest(dest);
    return { mediaType, digest, size, ...(desc?.urls ? { urls: desc.urls } : {}) };
  }
  const digest = new DigestStream();
  await pipeline(fs.createReadStream(file), zlib.createGzip(), digest, fs.createWriteStream(dest, { flags: 'wx', mode: 0o644 }));
  return { mediaType: MediaType.OCI_LAYER_GZIP, digest: digest.digest(), size: digest.bytes };
}

async function fileDigest(file: string): Promise<string> {
  const digest = new DigestStream();
  for await (const _chunk of fs.createReadStream(file).pipe(digest)) { /* hash */ }
  return digest.digest();
}

function commit(store: ImageStore, images: ImageToLoad[], work: Map<string, LayerWork>): void {
  for (const w of work.values()) {
    store.commitLayer({ dir: w.dir }, { chainId: w.chainId, diffId: w.diffId, parent: w.parent, size: w.size, blob: w.blob });
  }
  work.clear();
  for (const img of images) {
    store.putBlob(img.id, img.configBody);
    if (img.manifest) store.putBlob(img.manifest.digest, img.manifest.body);
    const chains = chainIds(img.config.rootfs.diff_ids);
    const size = chains.reduce((sum, c) => sum + (store.getLayer(c)?.size ?? 0), 0);
    store.putImage({ id: img.id, layers: chains, size, ...(img.manifest ? { manifestDigest: img.manifest.digest } : {}) });
    for (const tag of img.tags) {
      if (tag.digest) continue;
      store.setRef(tag, img.id);
    }
  }
}

function parseJson(body: Buffer, where: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new TsdockerError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
}
