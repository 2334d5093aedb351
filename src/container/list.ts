// Reading all containers, reconciled first (state.ts), for ps, inspect, rm, and for image removal
// (`rmi` must not delete an image a container still uses).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError, wrap } from '../errors';
import { compareText } from '../format';
import { stateRoot } from '../root';
import { destroyContainer, removeCgroup } from './cleanup';
import { findId, readAll, readRecord } from './record';
import { unmountRootfs } from './rootfs';
import { reconcile, ReconcileHooks } from './state';
import type { ContainerRecord } from './types';

function hooks(root: string): ReconcileHooks {
  return {
    unmount: unmountRootfs,
    removeCgroup,
    detachNetwork: (rec) => {
      // Cheap test first: ps reconciles every container.
      if (!rec.NetworkSettings?.SandboxKey && !fs.existsSync(path.join(root, 'netns', rec.Id))) return false;
      const { detachContainer } = require('../network/attach') as typeof import('../network/attach');
      detachContainer(rec, root);
      return true;
    },
    remove: (rec) => destroyContainer(rec, { volumes: true }, root),
  };
}

function check(rec: ContainerRecord, root: string): ContainerRecord | undefined {
  try {
    return reconcile(rec, hooks(root), root);
  } catch (err) {
    throw wrap(err, `reconcile container ${rec.Id.slice(0, 12)}`);
  }
}

/** All containers, newest first, as `ps -a` lists them. */
export function listContainers(root = stateRoot()): ContainerRecord[] {
  return readAll(root)
    .map((r) => check(r, root))
    .filter((r): r is ContainerRecord => r !== undefined)
    .sort((a, b) => compareText(b.Created, a.Created));
}

/** One container by id, name or id prefix (reconciled). */
export function getContainer(nameOrId: string, root = stateRoot()): ContainerRecord {
  const id = findId(nameOrId, root);
  const rec = readRecord(id, root);
  const checked = rec && check(rec, root);
  if (!checked) throw new TsdockerError(`no such container: ${nameOrId}`);
  return checked;
}

/** Containers created from an image, running or not (for `rmi`: Docker refuses to remove those). */
export function containersUsingImage(imageId: string, root = stateRoot()): { id: string; running: boolean }[] {
  return listContainers(root).filter((c) => c.Image === imageId).map((c) => ({ id: c.Id, running: c.State.Running }));
}
