// `system prune`: what Docker's does (docker/cli cli/command/system/prune.go), in the same order:
// stopped containers, then (with --volumes) anonymous volumes no container uses, then dangling
// images (with -a: every image no container uses); and tsdocker's own, empty tsdocker/ cgroup
// parents left by a tsdocker killed on its way out (docs/cgroups.md). Named volumes are kept, as in
// Docker 23 and later: they hold data a student chose to keep. A container whose `tsdocker run` is still alive
// (being started, or about to record its exit) is not stopped: it is left alone.
import { stateRoot } from '../root';
import { ImageStore } from '../image/store';
import { pruneImages } from '../image/remove';
import { listContainers, containersUsingImage } from '../container/list';
import { destroyContainer } from '../container/cleanup';
import { monitorAlive } from '../container/state';
import { ANONYMOUS_LABEL, listVolumes, removeVolume } from '../container/volumes';
import { dirSize } from './dirsize';
import { containerSize, volumesInUse } from './usage';

export interface PruneOptions {
  all: boolean;
  volumes: boolean;
}

export interface PruneReport {
  containers: string[];
  volumes: string[];
  /** Docker's "untagged: ..." / "deleted: sha256:..." lines */
  images: string[];
  /** the empty tsdocker/ cgroup parents removed (runtime/cgroups removeEmptyParents) */
  cgroups: string[];
  reclaimed: number;
}

export function systemPrune(opts: PruneOptions, root = stateRoot()): PruneReport {
  const report: PruneReport = { containers: [], volumes: [], images: [], cgroups: [], reclaimed: 0 };
  for (const c of listContainers(root)) {
    if (c.State.Running || monitorAlive(c)) continue;
    report.reclaimed += containerSize(c, root);
    destroyContainer(c, { volumes: false }, root);
    report.containers.push(c.Id);
  }
  if (opts.volumes) {
    const inUse = volumesInUse(listContainers(root));
    for (const v of listVolumes(root)) {
      if (inUse.has(v.Name) || !v.Labels || !(ANONYMOUS_LABEL in v.Labels)) continue;
      report.reclaimed += dirSize(v.Mountpoint);
      removeVolume(v.Name, [], root);
      report.volumes.push(v.Name);
    }
  }
  const images = pruneImages(new ImageStore(root), opts.all, (id) => containersUsingImage(id, root));
  report.images = images.lines;
  report.reclaimed += images.reclaimed;
  // The tsdocker/ cgroups stay between containers (cgroups/v1.ts says why); the host's, not this
  // root's, so only those with no container of any root in them.
  const { removeEmptyParents } = require('../runtime/cgroups') as typeof import('../runtime/cgroups');
  report.cgroups = removeEmptyParents();
  return report;
}
