// `tsdocker save`: images -> one tar archive, in the format Docker 25+ writes, which is two formats
// in one so that both old and new loaders read it:
//
//   blobs/sha256/<hex>   every config, manifest and layer, by digest (an OCI image layout,
//   index.json           image-spec image-layout.md, with the image names as annotations)
//   oci-layout
//   manifest.json        Docker's classic index: [{Config, RepoTags, Layers}], paths into blobs/
//   repositories         the pre-1.10 name -> top layer map, still read by some tools
//
// As `docker save` does, layers are written as plain (uncompressed) tars, so each layer's digest
// in the archive is its diff_id. The tar is the stored compressed blob, decompressed and checked
// against the diff_id on the way (the unpacked directory could not give back the same bytes).
// Entries are in a fixed order with fixed times, so saving the same images twice gives the same
// archive.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { TsdockerError, wrap } from '../errors';
import { compareText } from '../format';
import { tempPath } from '../fsutil';
import { familiarName, familiarString, parseReference, repositoryName, type Reference } from '../reference';
import { MediaType } from '../registry/manifest';
import { digestOf } from '../registry/blob';
import { trace } from '../trace';
import { imageContent } from './content';
import { compressionOf, decompressor } from './decompress';
import { DigestStream } from './digest';
import { ImageStore, hexOf, type ImageRecord } from './store';

export interface SaveOptions {
  store?: ImageStore;
  /** -o FILE; else `out` */
  output?: string;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
}

type Header = Parameters<tar.Pack['entry']>[0];

interface Saved {
  img: ImageRecord;
  refs: Reference[];
}

interface ArchiveFile {
  name: string;
  /** contents, or a file on disk to copy */
  data: Buffer | { file: string; size: number };
}

export async function saveImages(names: string[], opts: SaveOptions = {}): Promise<void> {
  const store = opts.store ?? new ImageStore();
  const images = resolveAll(store, names);
  const out = opts.out ?? process.stdout;
  if (!opts.output && out.isTTY) {
    throw new TsdockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  const temps: string[] = [];
  const target = opts.output ? path.resolve(opts.output) : undefined;
  const partial = target ? `${target}.tsdocker-${process.pid}` : undefined;
  try {
    const files = await archiveFiles(store, images, temps);
    const sink = partial ? fs.createWriteStream(partial, { mode: 0o644 }) : out;
    await writeTar(files, sink, partial !== undefined);
    // -o FILE appears complete or not at all.
    if (partial && target) fs.renameSync(partial, target);
  } catch (err) {
    if (partial) fs.rmSync(partial, { force: true });
    throw err instanceof TsdockerError ? err : wrap(err, `save ${names.join(' ')}`);
  } finally {
    for (const t of temps) fs.rmSync(t, { force: true });
  }
}

/** Each argument is a name (its tag goes into the archive) or an image id (saved untagged). */
function resolveAll(store: ImageStore, names: string[]): Saved[] {
  const byId = new Map<string, Saved>();
  for (const name of names) {
    const img = store.resolve(name);
    if (!img) throw new TsdockerError(`no such image: ${name}`);
    const saved = byId.get(img.id) ?? { img, refs: [] };
    byId.set(img.id, saved);
    let ref: Reference | undefined;
    try {
      ref = parseReference(name);
    } catch { /* an id */ }
    if (ref && !ref.digest && store.lookupRef(ref) === img.id &&
        !saved.refs.some((r) => familiarString(r) === familiarString(ref!))) {
      saved.refs.push(ref);
    }
  }
  return [...byId.values()];
}

async function archiveFiles(store: ImageStore, images: Saved[], temps: string[]): Promise<ArchiveFile[]> {
  const blobs = new Map<string, ArchiveFile>();
  const add = (digest: string, data: ArchiveFile['data']) => {
    const name = `blobs/sha256/${hexOf(digest)}`;
    if (!blobs.has(name)) blobs.set(name, { name, data });
    return name;
  };
  const manifestJson: object[] = [];
  const index: object[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { img, refs } of images) {
    const content = imageContent(store, img);
    const layerDescs = [];
    const layerNames: string[] = [];
    for (const layer of content.layers) {
      const plain = await plainTar(store, layer.file, layer.desc.mediaType, layer.diffId, temps);
      layerNames.push(add(layer.diffId, plain));
      layerDescs.push({ mediaType: MediaType.OCI_LAYER, digest: layer.diffId, size: plain.size });
    }
    const configName = add(img.id, content.config.body);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: MediaType.OCI_CONFIG, digest: img.id, size: content.config.body.length },
      layers: layerDescs,
    }));
    const manifestDigest = digestOf(manifest);
    add(manifestDigest, manifest);
    const desc = { mediaType: MediaType.OCI_MANIFEST, digest: manifestDigest, size: manifest.length };
    if (refs.length === 0) index.push(desc);
    for (const ref of refs) {
      index.push({ ...desc, annotations: {
        'io.containerd.image.name': `${repositoryName(ref)}:${ref.tag}`,
        'org.opencontainers.image.ref.name': ref.tag,
      } });
      const repo = familiarName(repositoryName(ref));
      repositories[repo] = { ...repositories[repo], [ref.tag!]: hexOf(img.layers.length ? img.config.rootfs.diff_ids.at(-1)! : img.id) };
    }
    manifestJson.push({ Config: configName, RepoTags: refs.length ? refs.map(familiarString) : null, Layers: layerNames });
  }
  const json = (v: unknown) => Buffer.from(JSON.stringify(v) + '\n');
  return [
    ...[...blobs.values()].sort((a, b) => compareText(a.name, b.name)),
    { name: 'index.json', data: json({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: index }) },
    { name: 'manifest.json', data: json(manifestJson) },
    { name: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) },
    { name: 'repositories', data: json(repositories) },
  ];
}

/** The layer's plain tar: the stored blob itself when uncompressed, else decompressed into a
 *  temporary file. Either way its digest must be the diff_id. */
async function plainTar(store: ImageStore, file: string, mediaType: string, diffId: string, temps: string[]):
  Promise<{ file: string; size: number }> {
  const stage = decompressor(compressionOf(mediaType));
  const digest = new DigestStream();
  let dest = file;
  if (stage) {
    dest = tempPath('save-layer', store.stateRoot);
    temps.push(dest);
    await pipeline(fs.createReadStream(file), stage as NodeJS.ReadWriteStream, digest, fs.createWriteStream(dest, { mode: 0o600 }));
  } else {
    for await (const chunk of fs.createReadStream(file).pipe(digest)) void chunk;
  }
  const got = digest.digest();
  if (got !== diffId) throw new TsdockerError(`stored layer blob ${file} does not match its diff_id: it is ${got}, expected ${diffId}`);
  trace('save', `layer ${diffId}: ${digest.bytes} bytes of tar${stage ? ` from ${mediaType}` : ''}`);
  return { file: dest, size: digest.bytes };
}

async function writeTar(files: ArchiveFile[], sink: NodeJS.WritableStream, closeSink: boolean): Promise<void> {
  const pack = tar.pack();
  const writing = copyOut(pack as unknown as AsyncIterable<Buffer>, sink, closeSink);
  const header = (name: string, type: 'file' | 'directory', size = 0): Header =>
    ({ name, type, size, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: new Date(0) });
  try {
    for (const dir of ['blobs/', 'blobs/sha256/']) await entry(pack, header(dir, 'directory'));
    for (const f of files) {
      if (Buffer.isBuffer(f.data)) {
        await entry(pack, header(f.name, 'file', f.data.length), f.data);
      } else {
        const sinkEntry = pack.entry(header(f.name, 'file', f.data.size));
        await pipeline(fs.createReadStream(f.data.file), sinkEntry);
      }
    }
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy();
    await writing.catch(() => undefined);
    throw err;
  }
}

/** Copy the archive into sink with backpressure. stdout is never ended here: the process does that. */
async function copyOut(pack: AsyncIterable<Buffer>, sink: NodeJS.WritableStream, closeSink: boolean): Promise<void> {
  for await (const chunk of pack) {
    if (!sink.write(chunk)) await once(sink, 'drain');
  }
  if (closeSink) {
    const closed = once(sink, 'close');
    sink.end();
    await closed;
  }
}

function entry(pack: tar.Pack, header: Header, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}
