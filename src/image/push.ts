// `tsdocker push`: image store -> registry, the reverse of pull (distribution-spec spec.md, "Push").
//
//   1. find the image's blobs: config, manifest, compressed layers (content.ts)
//   2. for each layer, several at a time: HEAD it (the registry may have it already) -> else ask
//      the registry to mount it from another repository on it that we pulled it from (no bytes
//      sent) -> else upload it (one PUT, or PATCH chunks for a big one)
//   3. the config, the same way
//   4. the manifest last: a registry refuses (or a puller would fail on) a manifest whose blobs
//      it does not have yet.
// Foreign layers (with `urls`) are not the registry's to hold and are never pushed.
import * as fs from 'node:fs';
import { TsdockerError, wrap } from '../errors';
import { familiarName, parseReference, repositoryName, type Reference } from '../reference';
import { RegistryClient } from '../registry/client';
import { trace } from '../trace';
import { imageContent, type LayerBlob } from './content';
import { Progress } from './progress';
import { ImageStore, hexOf } from './store';

/** Docker's default max-concurrent-uploads. */
const CONCURRENT_UPLOADS = 5;
/** Blobs up to this size go up in one PUT; bigger ones in chunks (client.ts UPLOAD_CHUNK). */
const MONOLITHIC_MAX = 16 * 1024 * 1024;

export interface PushOptions {
  /** -a: every tag of the repository */
  allTags?: boolean;
  quiet?: boolean;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  store?: ImageStore;
}

export async function pushImage(input: string, opts: PushOptions = {}): Promise<void> {
  const store = opts.store ?? new ImageStore();
  const out = opts.out ?? process.stdout;
  const progress = new Progress(out, opts.quiet);
  const ref = parseReference(input);
  if (ref.digest) throw new TsdockerError(`cannot push a digest reference: ${input}`);
  const explicitTag = /:[\w][\w.-]*$/.test(input.slice(input.lastIndexOf('/') + 1));
  if (opts.allTags && explicitTag) throw new TsdockerError(`tag can't be used with --all-tags/-a: ${input}`);
  const tags = opts.allTags ? tagsOf(store, ref) : [ref.tag!];
  if (tags.length === 0 || !store.lookupRef({ ...ref, tag: tags[0] })) {
    throw new TsdockerError(`An image does not exist locally with the tag: ${familiarName(repositoryName(ref))}` +
      (opts.allTags ? '' : `:${ref.tag}`));
  }
  if (!opts.allTags && !explicitTag) progress.say('Using default tag: latest');
  progress.say(`The push refers to repository [${familiarName(repositoryName(ref))}]`);
  const client = RegistryClient.forReference(ref, { push: true, log: (line) => progress.say(line) });
  for (const tag of tags) await pushTag(store, client, { ...ref, tag }, progress, out);
}

async function pushTag(store: ImageStore, client: RegistryClient, ref: Reference, progress: Progress,
  out: NodeJS.WritableStream): Promise<void> {
  const img = store.getImage(store.lookupRef(ref)!);
  if (!img) throw new TsdockerError(`image ${store.lookupRef(ref)} of ${ref.tag} is missing from the store`);
  const content = imageContent(store, img);
  const sources = mountSources(store, ref);
  // One request before the parallel ones, so they all find the credential it settles (a Basic
  // challenge answered by several requests at once would be taken as refused).
  const haveConfig = await client.blobExists(content.config.desc.digest)
    .catch((err) => { throw wrap(err, `push config ${content.config.desc.digest}`); });
  // Docker lists the top layer first.
  const layers = content.layers.slice().reverse();
  for (const l of layers) progress.update(label(l), 'Preparing');
  let next = 0;
  const abort = new AbortController();
  const worker = async () => {
    while (next < layers.length && !abort.signal.aborted) {
      const layer = layers[next++];
      await pushLayer(client, layer, sources.get(layer.chainId) ?? [], progress, abort.signal);
    }
  };
  let firstError: unknown;
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_UPLOADS, layers.length) },
    () => worker().catch((err) => { firstError ??= err; abort.abort(); })));
  if (firstError !== undefined) throw firstError;

  const { config, manifest } = content;
  if (!haveConfig) {
    await client.uploadBlob(config.desc, config.body).catch((err) => { throw wrap(err, 'push config'); });
  }
  const digest = await client.putManifest(ref.tag!, manifest.mediaType, manifest.body);
  trace('push', `manifest ${digest} (${manifest.mediaType}) as ${repositoryName(ref)}:${ref.tag}`);
  // As Docker does after a push: the image now also answers to repo@digest, and a later push of
  // the same layers to another repository on this registry can mount them from here.
  store.setRef({ ...ref, tag: undefined, digest }, img.id);
  progress.flush();
  out.write(`${ref.tag}: digest: ${digest} size: ${manifest.body.length}\n`);
}

async function pushLayer(client: RegistryClient, layer: LayerBlob, sources: string[], progress: Progress,
  signal: AbortSignal): Promise<void> {
  const id = label(layer);
  const { desc } = layer;
  try {
    if (desc.urls?.length) {
      progress.update(id, 'Skipped foreign layer');
      return;
    }
    if (await client.blobExists(desc.digest, signal)) {
      progress.update(id, 'Layer already exists');
      return;
    }
    for (const from of sources) {
      if (await client.mountBlob(desc.digest, from, signal)) {
        progress.update(id, `Mounted from ${from}`);
        return;
      }
      trace('push', `${desc.digest}: the registry would not mount it from ${from}`);
    }
    progress.update(id, 'Pushing', 0, desc.size);
    const data = desc.size <= MONOLITHIC_MAX ? fs.readFileSync(layer.file) : { file: layer.file };
    await client.uploadBlob(desc, data, signal);
    progress.update(id, 'Pushed');
  } catch (err) {
    throw wrap(err, `push layer ${desc.digest}`);
  }
}

/** Docker names a layer in push output by its diff_id. */
function label(layer: LayerBlob): string {
  return hexOf(layer.diffId).slice(0, 12);
}

/** The tags of ref's repository, sorted. */
function tagsOf(store: ImageStore, ref: Reference): string[] {
  const repo = repositoryName(ref);
  const tags: string[] = [];
  for (const names of store.refsByImage().values()) {
    for (const n of names) if (n.startsWith(`${repo}:`)) tags.push(n.slice(repo.length + 1));
  }
  return tags.sort();
}

/**
 * For each layer, the other repositories on ref's registry that an image using it came from
 * (pulled or pushed by digest): the registry can mount it from them instead of receiving it
 * again (dist-spec "Mounting a blob from another repository").
 */
function mountSources(store: ImageStore, ref: Reference): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const repo = repositoryName(ref);
  for (const img of store.listImages()) {
    for (const d of img.repoDigests) {
      const from = parseReference(d);
      if (from.domain !== ref.domain || repositoryName(from) === repo) continue;
      for (const chain of img.layers) {
        const list = out.get(chain) ?? [];
        if (!list.includes(from.path)) list.push(from.path);
        out.set(chain, list);
      }
    }
  }
  return out;
}
