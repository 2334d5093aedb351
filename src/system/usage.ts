// `system df`: how much disk the images, containers and volumes under the state root use, and how
// much a prune could give back, in the four rows of `docker system df` (docker/cli
// cli/command/formatter/disk_usage.go). Layers shared by several images are counted once.
import * as path from 'node:path';
import { stateRoot } from '../root';
import { ImageStore } from '../image/store';
import { listContainers } from '../container/list';
import { containerDir } from '../container/record';
import { listVolumes } from '../container/volumes';
import type { ContainerRecord } from '../container/types';
import { dirSize } from './dirsize';

export interface UsageRow {
  Type: 'Images' | 'Containers' | 'Local Volumes' | 'Build Cache';
  TotalCount: number;
  Active: number;
  /** bytes */
  Size: number;
  /** bytes a prune would free */
  Reclaimable: number;
}

export function diskUsage(root = stateRoot()): UsageRow[] {
  const containers = listContainers(root);
  return [imageUsage(containers, root), containerUsage(containers, root), volumeUsage(containers, root),
    { Type: 'Build Cache', TotalCount: 0, Active: 0, Size: 0, Reclaimable: 0 }];
}

/** An image is active while any container (running or not) was made from it, as in Docker. */
function imageUsage(containers: ContainerRecord[], root: string): UsageRow {
  const store = new ImageStore(root);
  const images = store.listImages();
  const used = new Set(containers.map((c) => c.Image));
  const active = images.filter((i) => used.has(i.id));
  const size = (chainIds: Iterable<string>) =>
    [...new Set(chainIds)].reduce((sum, l) => sum + (store.getLayer(l)?.size ?? 0), 0);
  const all = size(images.flatMap((i) => i.layers));
  return { Type: 'Images', TotalCount: images.length, Active: active.length, Size: all,
    Reclaimable: all - size(active.flatMap((i) => i.layers)) };
}

/** A container's size is its writable layer (overlayfs upper dir); running ones are active. */
function containerUsage(containers: ContainerRecord[], root: string): UsageRow {
  let size = 0;
  let reclaimable = 0;
  for (const c of containers) {
    const bytes = containerSize(c, root);
    size += bytes;
    if (!c.State.Running) reclaimable += bytes;
  }
  return { Type: 'Containers', TotalCount: containers.length,
    Active: containers.filter((c) => c.State.Running).length, Size: size, Reclaimable: reclaimable };
}

export function containerSize(c: ContainerRecord, root = stateRoot()): number {
  return dirSize(path.join(containerDir(c.Id, root), 'upper'));
}

/** A volume is active while a container mounts it. */
function volumeUsage(containers: ContainerRecord[], root: string): UsageRow {
  const inUse = volumesInUse(containers);
  let size = 0;
  let reclaimable = 0;
  let active = 0;
  const volumes = listVolumes(root);
  for (const v of volumes) {
    const bytes = dirSize(v.Mountpoint);
    size += bytes;
    if (inUse.has(v.Name)) active++;
    else reclaimable += bytes;
  }
  return { Type: 'Local Volumes', TotalCount: volumes.length, Active: active, Size: size, Reclaimable: reclaimable };
}

export function volumesInUse(containers: ContainerRecord[]): Set<string> {
  return new Set(containers.flatMap((c) => c.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name ?? '')));
}
