// `tsdocker pull`: reference -> registry -> image store.
//
//   1. resolve the reference to a manifest (through an index, picking this host's platform)
//   2. fetch and verify the image config: it lists each layer's uncompressed digest (diff_id)
//   3. for each layer not already in the store, in parallel: download -> verify the compressed
//      digest -> decompress -> verify diff_id -> unpack into a fresh directory, as one stream;
//      the compressed bytes are also kept beside the layer, for push and save (keep-blob.ts)
//   4. only when every layer is complete: move the layers into place, store manifest and config,
//      record the image, then its tag. A pull that fails or is killed leaves the store as it was
//      (a killed one leaves only tmp/ entries, which the next command sweeps away).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageStore, ImageRecord, chainIds, hexOf, LayerRecord } from './store';
import { parseImageConfig } from './image-config';
import { Progress } from './progress';
import { unpackLayer } from './unpack';
import { keepBlob } from './keep-blob';
import { parseReference, repositoryName, familiarString, Reference } from '../reference';
import { RegistryClient, Descriptor, FetchedManifest } from '../registry/client';
import { parseManifest, ImageManifest } from '../registry/manifest';
import { hostPlatform, parsePlatform, selectManifest } from '../registry/platform';
import { TsdockerError, wrap } from '../errors';
import { sweepTemp } from '../fsutil';
import { trace } from '../trace';

/** Docker's default max-concurrent-downloads. */
const CONCURRENT_DOWNLOADS = 3;

export interface PullOptions {
  /** "linux/arm64/v8": pick this platform from a multi-platform index instead of the host's. */
  platform?: string;
  /** -q: print only the image name at the end. */
  quiet?: boolean;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  store?: ImageStore;
}

export async function pullImage(input: string, opts: PullOptions = {}): Promise<ImageRecord> {
  const ref = parseReference(input);
  const store = opts.store ?? new ImageStore();
  const out = opts.out ?? process.stdout;
  const progress = new Progress(out, opts.quiet);
  sweepTemp(store.stateRoot);

  if (!input.includes(':') && !input.includes('@')) progress.say('Using default tag: latest');
  progress.say(`${ref.digest ?? ref.tag}: Pulling from ${ref.path}`);

  const client = RegistryClient.forReference(ref, { log: (line) => progress.say(line) });
  const top = await client.getManifest(ref.digest ?? ref.tag!);
  const { manifest, fetched } = await resolveManifest(client, top, opts.platform);
  const config = await client.getBlob(manifest.config);
  const imageConfig = parseImageConfig(config, familiarString(ref));
  checkLayers(manifest, imageConfig.rootfs.diff_ids, familiarString(ref));
  warnPlatform(imageConfig, opts.platform, progress);

  const id = manifest.config.digest;
  const chains = chainIds(imageConfig.rootfs.diff_ids);
  const work = await fetchLayers({ client, store, manifest, chains, diffIds: imageConfig.rootfs.diff_ids, progress });

  let fresh = false;
  try {
    for (const w of work) {
      if (w.dir) {
        store.commitLayer({ dir: w.dir }, { chainId: w.chainId, diffId: w.diffId, parent: w.parent, size: w.size, blob: w.blob });
        fresh = true;
      }
    }
  } catch (err) {
    for (const w of work) if (w.dir) fs.rmSync(w.dir, { recursive: true, force: true });
    throw wrap(err, 'store layers');
  }
  store.putBlob(top.digest, top.body);
  if (fetched !== top) store.putBlob(fetched.digest, fetched.body);
  store.putBlob(id, config);
  const size = chains.reduce((sum, c) => sum + (store.getLayer(c)?.size ?? 0), 0);
  const existed = store.getImage(id) !== undefined;
  store.putImage({ id, layers: chains, manifestDigest: top.digest, size });
  if (!ref.digest) store.setRef(ref, id);
  store.setRef({ ...ref, tag: undefined, digest: top.digest }, id);

  const name = familiarString(ref);
  progress.say(`Digest: ${top.digest}`);
  progress.say(fresh || !existed ? `Status: Downloaded newer image for ${name}` : `Status: Image is up to date for ${name}`);
  out.write(`${repositoryName(ref)}${ref.digest ? '@' + ref.digest : ':' + ref.tag}\n`);
  return store.getImage(id)!;
}

/** Follow an index to the manifest for our platform (indexes may nest). */
async function resolveManifest(client: RegistryClient, top: FetchedManifest, platform?: string):
  Promise<{ manifest: ImageManifest; fetched: FetchedManifest }> {
  let fetched = top;
  for (let depth = 0; depth < 4; depth++) {
    const parsed = parseManifest(fetched);
    if (parsed.kind === 'manifest') return { manifest: parsed.manifest, fetched };
    const want = platform ? parsePlatform(platform) : hostPlatform();
    const chosen = selectManifest(parsed.index, want);
    trace('registry', `index ${fetched.digest}: chose ${chosen.digest} for ${JSON.stringify(chosen.platform ?? {})}`);
    fetched = await client.getManifest(chosen.digest);
  }
  throw new TsdockerError(`image index ${top.digest} nests too deeply`);
}

function checkLayers(manifest: ImageManifest, diffIds: string[], name: string): void {
  if (manifest.layers.length !== diffIds.length) {
    throw new TsdockerError(`bad image ${name}: manifest has ${manifest.layers.length} layers but config lists ${diffIds.length} diff_ids`);
  }
}

function warnPlatform(cfg: { os?: string; architecture?: string }, requested: string | undefined, progress: Progress): void {
  const host = hostPlatform();
  if (requested || !cfg.architecture) return;
  if (cfg.architecture !== host.architecture || (cfg.os && cfg.os !== host.os)) {
    progress.say(`WARNING: The requested image's platform (${cfg.os}/${cfg.architecture}) does not match the detected host platform (${host.os}/${host.architecture}) and no specific platform was requested`);
  }
}

interface LayerWork {
  chainId: string;
  diffId: string;
  parent?: string;
  size: number;
  /** the unpacked layer, still under tmp/; undefined when the store already had it */
  dir?: string;
  /** the compressed blob kept in dir */
  blob?: LayerRecord['blob'];
}

interface FetchArgs {
  client: RegistryClient;
  store: ImageStore;
  manifest: ImageManifest;
  chains: string[];
  diffIds: string[];
  progress: Progress;
}

/** Download and unpack every missing layer, CONCURRENT_DOWNLOADS at a time, base layers first. */
async function fetchLayers(a: FetchArgs): Promise<LayerWork[]> {
  const work: LayerWork[] = a.chains.map((chainId, i) => ({
    chainId, diffId: a.diffIds[i], parent: a.chains[i - 1], size: a.store.getLayer(chainId)?.size ?? 0,
  }));
  const missing = work.map((_, i) => i).filter((i) => !a.store.getLayer(a.chains[i]));
  for (let i = 0; i < work.length; i++) {
    a.progress.update(shortDigest(a.manifest.layers[i]), missing.includes(i) ? 'Pulling fs layer' : 'Already exists');
  }
  const abort = new AbortController();
  // Layers unpack in parallel. The rare entry that must look into a lower layer (a hardlink to
  // its file, a directory the tar only implies) waits until the layers below are complete.
  const finished: Promise<unknown>[] = work.map(() => Promise.resolve());
  const settle: Array<() => void> = [];
  for (const i of missing) finished[i] = new Promise<void>((resolve) => { settle[i] = resolve; });
  let next = 0;
  const worker = async () => {
    while (next < missing.length && !abort.signal.aborted) {
      const i = missing[next++];
      const { dir, diff } = a.store.newLayerWorkDir();
      work[i].dir = dir;
      // Lower layers' directories (in the store, or still under tmp/), top-most first.
      const parents = [];
      for (let j = i - 1; j >= 0; j--) parents.push(work[j].dir ? `${work[j].dir}/diff` : a.store.diffDir(work[j].chainId));
      try {
        work[i].size = await fetchLayer(a, i, diff, parents, Promise.all(finished.slice(0, i)), abort.signal);
        const { mediaType, digest, size, urls } = a.manifest.layers[i];
        work[i].blob = { mediaType, digest, size, ...(urls ? { urls } : {}) };
      } finally {
        settle[i]();
      }
    }
  };
  // The first failure stops the other downloads; cleanup waits until every worker has stopped.
  let firstError: unknown;
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_DOWNLOADS, missing.length) },
    () => worker().catch((err) => { firstError ??= err; abort.abort(); })));
  if (firstError !== undefined) {
    for (const w of work) if (w.dir) fs.rmSync(w.dir, { recursive: true, force: true });
    throw firstError;
  }
  return work;
}

async function fetchLayer(a: FetchArgs, i: number, dest: string, parents: string[],
  parentsReady: Promise<unknown>, signal: AbortSignal): Promise<number> {
  const desc: Descriptor = a.manifest.layers[i];
  const label = shortDigest(desc);
  let received = 0;
  try {
    const body = await a.client.openBlob(desc, {
      signal,
      onBytes: (n) => {
        received += n;
        a.progress.update(label, 'Downloading', received, desc.size);
      },
    });
    a.progress.update(label, 'Downloading', 0, desc.size);
    const { size } = await unpackLayer(keepBlob(body, path.dirname(dest)), { mediaType: desc.mediaType, dest, parents, parentsReady, expectedDiffId: a.diffIds[i] });
    a.progress.update(label, 'Pull complete');
    return size;
  } catch (err) {
    throw wrap(err, `layer ${desc.digest}`);
  }
}

function shortDigest(desc: Descriptor): string {
  return hexOf(desc.digest).slice(0, 12);
}

export type { Reference, LayerRecord };
