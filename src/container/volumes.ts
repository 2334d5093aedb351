// Named volumes: directories kept under <root>/volumes/<name>/_data that outlive containers, like
// Docker's "local" driver (/var/lib/docker/volumes/<name>/_data). A container gets one bind-mounted
// at its destination. volume.json beside _data keeps the creation time and labels; an anonymous
// volume (-v /ctr, or an image VOLUME) is labelled so `rm -v` and --rm know to delete it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isoTime } from '../clock';
import { TsdockerError, wrap } from '../errors';
import { readJson, removeTree, writeFileAtomic } from '../fsutil';
import { stateRoot } from '../root';
import { isVolumeName } from './mounts';

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** `docker volume inspect` output. */
export interface VolumeInfo {
  CreatedAt: string;
  Driver: 'local';
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: null;
  Scope: 'local';
}

interface VolumeMeta { CreatedAt: string; Labels: Record<string, string> | null }

export function volumesDir(root = stateRoot()): string {
  return path.join(root, 'volumes');
}

function volumeDir(name: string, root: string): string {
  if (!isVolumeName(name)) throw new TsdockerError(`invalid volume name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return path.join(volumesDir(root), name);
}

/** Create a volume, or return the existing one of that name (as `docker volume create` does). */
export function createVolume(name: string, opts: { anonymous?: boolean; labels?: Record<string, string> } = {},
  root = stateRoot()): VolumeInfo {
  const dir = volumeDir(name, root);
  const existing = inspectVolume(name, root);
  if (existing) return existing;
  try {
    fs.mkdirSync(path.join(dir, '_data'), { recursive: true, mode: 0o755 });
  } catch (err) {
    throw wrap(err, `create volume ${name}`);
  }
  const labels = { ...(opts.labels ?? {}), ...(opts.anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
  const meta: VolumeMeta = { CreatedAt: isoTime(), Labels: Object.keys(labels).length > 0 ? labels : null };
  writeFileAtomic(path.join(dir, 'volume.json'), JSON.stringify(meta, null, 2) + '\n', root);
  return info(name, meta, root);
}

export function inspectVolume(name: string, root = stateRoot()): VolumeInfo | undefined {
  const dir = volumeDir(name, root);
  if (!fs.existsSync(path.join(dir, '_data'))) return undefined;
  const meta = readJson<VolumeMeta>(path.join(dir, 'volume.json')) ??
    { CreatedAt: fs.statSync(dir).mtime.toISOString(), Labels: null };
  return info(name, meta, root);
}

function info(name: string, meta: VolumeMeta, root: string): VolumeInfo {
  return { CreatedAt: meta.CreatedAt, Driver: 'local', Labels: meta.Labels,
    Mountpoint: path.join(volumesDir(root), name, '_data'), Name: name, Options: null, Scope: 'local' };
}

export function listVolumes(root = stateRoot()): VolumeInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(volumesDir(root));
  } catch {
    return [];
  }
  return names.filter(isVolumeName).sort()
    .map((n) => inspectVolume(n, root)).filter((v): v is VolumeInfo => v !== undefined);
}

/** Delete a volume and its data. `usedBy` lists the containers that mount it: Docker refuses then. */
export function removeVolume(name: string, usedBy: string[], root = stateRoot()): void {
  if (!inspectVolume(name, root)) throw new TsdockerError(`get ${name}: no such volume`);
  if (usedBy.length > 0) {
    throw new TsdockerError(`remove ${name}: volume is in use - [${usedBy.join(', ')}]`);
  }
  removeTree(volumeDir(name, root), root);
}
