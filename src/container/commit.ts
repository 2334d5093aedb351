// `commit`: a container's changes become a new image (moby daemon/commit.go). Its upper dir is the
// layer (src/image/diff.ts), its image's config plus `-c` changes the new config, with one more
// history entry. `build` diffs its RUN containers the same way (containerLayer).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isoTime } from '../clock';
import { TsdockerError } from '../errors';
import { tempPath } from '../fsutil';
import { parseDockerfile } from '../build/dockerfile';
import { applyMetadata, type BuildImageConfig } from '../build/metadata';
import { addLayer, layerDescriptors, writeImage, type BaseImage } from '../image/commit';
import { diffLayer, type LayerTar } from '../image/diff';
import { findInLayers } from '../image/lowers';
import type { ImageRecord, ImageStore } from '../image/store';
import { parseReference } from '../reference';
import { stateRoot } from '../root';
import { getContainer } from './list';
import { containerDir } from './record';
import { rootfsPaths } from './rootfs';
import type { ContainerRecord } from './types';

/** `commit -c` takes these Dockerfile instructions (docker commit --change). */
const CHANGES = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL']);

export interface CommitOptions {
  message?: string;
  author?: string;
  changes?: string[];
  /** REPO[:TAG] */
  reference?: string;
}

export async function commitContainer(nameOrId: string, opts: CommitOptions, store: ImageStore, root = stateRoot()): Promise<string> {
  const rec = getContainer(nameOrId, root);
  const image = store.getImage(rec.Image);
  if (!image) throw new TsdockerError(`commit ${nameOrId}: its image ${rec.Image} is no longer in the store`);
  const ref = opts.reference !== undefined ? parseReference(opts.reference) : undefined;

  const config = JSON.parse(JSON.stringify(image.config)) as BuildImageConfig;
  config.config ??= {};
  const changes = opts.changes ?? [];
  for (const change of changes) {
    const ins = parseDockerfile(change, 'change').instructions[0];
    if (!CHANGES.has(ins.keyword)) throw new TsdockerError(`commit --change: ${ins.keyword} is not supported (only ${[...CHANGES].join(', ')})`);
    applyMetadata(config, ins, { vars: envVars(config.config.Env), escape: '\\', cmdSet: true });
  }

  const layer = await containerLayer(rec, store, image, root);
  const base = await addLayer(store, baseOf(store, image), layer);
  const created = isoTime();
  config.created = created;
  if (opts.author !== undefined) config.author = opts.author;
  config.rootfs = { type: 'layers', diff_ids: base.diffIds };
  config.history = [...(config.history ?? []), {
    created, created_by: [rec.Path, ...rec.Args].join(' '),
    ...(opts.author ? { author: opts.author } : {}), ...(opts.message ? { comment: opts.message } : {}),
  }];
  const { id } = writeImage(store, config, base, { record: true, parent: image.id });
  if (ref) store.setRef(ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' }, id);
  return id;
}

/** The layers, diff_ids and manifest descriptors of a stored image. */
export function baseOf(store: ImageStore, image: ImageRecord): BaseImage {
  return { layers: image.layers, diffIds: image.config.rootfs.diff_ids, descriptors: layerDescriptors(store, image) };
}

/**
 * The container's upper dir as a layer tar (under <root>/tmp; addLayer consumes it). Left out: the
 * empty files and directories the runtime made only as mount points (/etc/hostname, /proc, ...)
 * where the image has none, as Docker keeps those in a separate "-init" layer that is never
 * committed.
 */
export async function containerLayer(rec: ContainerRecord, store: ImageStore, image: ImageRecord, root = stateRoot()): Promise<LayerTar> {
  const dir = containerDir(rec.Id, root);
  const { upper } = rootfsPaths(dir);
  const lowers = store.layerDiffDirs(image);
  const exclude = new Set<string>();
  for (const dest of mountDestinations(dir)) {
    const rel = path.posix.normalize(dest).replace(/^\/+/, '').replace(/\/+$/, '');
    if (rel === '' || findInLayers(lowers, rel)) continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(upper, rel));
    } catch {
      continue;
    }
    const empty = st.isDirectory() ? fs.readdirSync(path.join(upper, rel)).length === 0 : st.isFile() && st.size === 0;
    if (empty) exclude.add(rel);
  }
  return diffLayer(upper, tempPath('layer.tar.gz', store.stateRoot), { exclude });
}

function mountDestinations(dir: string): string[] {
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { mounts?: { destination: string }[] };
    return (spec.mounts ?? []).map((m) => m.destination);
  } catch {
    return [];
  }
}

export function envVars(env: string[] | null | undefined): Map<string, string> {
  const vars = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return vars;
}
