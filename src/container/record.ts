// Container records on disk. Each container is a directory, a complete OCI bundle plus its state:
//
//   <root>/containers/<id>/config.json   the OCI runtime spec (the runtime reads only this)
//                          rootfs/       the overlay mount point (the merged view)
//                          upper/ work/  overlayfs upper and work dirs: the container's writes
//                          hostname hosts resolv.conf   bind-mounted into /etc
//                          state.json    this record: Config, HostConfig, Mounts and State
//   <root>/containers/names/<name> -> <short id>   a symlink per name: creating it is the atomic
//                          "is this name free?" check (symlink(2) fails EEXIST). Its target is the
//                          short id that `ps` shows (12 characters), which ext4 keeps in the inode
//                          itself; a target of 60 bytes or more gets a block of its own, written
//                          at once and, where the disk discards freed blocks, waited for again
//                          when the link goes (~0.5 ms of every `run --rm` here). An older store's
//                          links hold whole ids, which read the same way.
//
// state.json is replaced by rename(2), so a reader (or a tsdocker killed mid-write) only ever sees
// a whole record.
import * as fs from 'node:fs';
import { TsdockerError, wrap } from '../errors';
import { childPath, removeFile } from '../fsutil';
import { randomHex } from '../random';
import { stateRoot } from '../root';
import type { ContainerRecord } from './types';
import { O_CREAT, O_EXCL, O_WRONLY, makeDirectory, makeSymlink, readDirectory, readSymlink, readText, renameFile, writeText } from '../sys/libc';

const HEX64 = /^[a-f0-9]{64}$/;

export function containersDir(root = stateRoot()): string {
  return childPath(root, 'containers');
}

export function containerDir(id: string, root = stateRoot()): string {
  return childPath(containersDir(root), id);
}

function namesDir(root: string): string {
  return childPath(containersDir(root), 'names');
}

export function newContainerId(): string {
  return randomHex(32);
}

export function readRecord(id: string, root = stateRoot()): ContainerRecord | undefined {
  try {
    const text = readText(childPath(containerDir(id, root), 'state.json'));
    return text === undefined ? undefined : JSON.parse(text) as ContainerRecord;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw wrap(err, `read container ${id}`);
  }
}

/** Replace state.json atomically. Returns false if the container's directory is gone (another
 *  tsdocker removed it meanwhile): the directory is never recreated by a late writer. */
export function writeRecord(rec: ContainerRecord, root = stateRoot()): boolean {
  const dir = containerDir(rec.Id, root);
  const tmp = childPath(dir, `.state.json.${process.pid}.${randomHex(4)}`);
  try {
    writeText(tmp, JSON.stringify(rec, null, 2) + '\n', O_WRONLY | O_CREAT | O_EXCL, 0o600);
    renameFile(tmp, childPath(dir, 'state.json'));
    return true;
  } catch (err) {
    removeFile(tmp);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw wrap(err, `write container ${rec.Id}`);
  }
}

/** Ids of all containers whose record is complete. */
export function listIds(root = stateRoot()): string[] {
  return containerDirNames(root).filter((id) => fs.existsSync(childPath(containersDir(root), id, 'state.json')));
}

/** The containers' directories, with a record in them or not (yet). */
function containerDirNames(root: string): string[] {
  try {
    return readDirectory(containersDir(root)).filter((n) => HEX64.test(n));
  } catch {
    return [];
  }
}

export function readAll(root = stateRoot()): ContainerRecord[] {
  return listIds(root).map((id) => readRecord(id, root)).filter((r): r is ContainerRecord => r !== undefined);
}

/** Claim a name for a container. Fails if the name belongs to a container that still exists; a
 *  name left behind by a removed container (tsdocker killed during rm) is reclaimed. */
export function reserveName(name: string, id: string, root = stateRoot()): void {
  const link = childPath(namesDir(root), name);
  makeDirectory(namesDir(root), 0o777); // its parent, containers/, exists: the container's own dir is in it
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      makeSymlink(id.slice(0, 12), link);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw wrap(err, `reserve name ${name}`);
    }
    // Its container's directory is made before the name is taken, and removed after it is released.
    const owner = nameOwner(name, root, containerDirNames(root));
    if (owner) {
      throw new TsdockerError(`the container name "/${name}" is already in use by container "${owner}". ` +
        'You have to remove (or rename) that container to be able to reuse that name');
    }
    removeFile(link);
  }
  throw new TsdockerError(`reserve name ${name}: it keeps being taken`);
}

export function releaseName(name: string, id: string, root = stateRoot()): void {
  const target = nameTarget(name, root);
  if (target !== undefined && id.startsWith(target)) removeFile(childPath(namesDir(root), name));
}

/** The beginning of the id (or the whole id) that the name's link holds. */
function nameTarget(name: string, root: string): string | undefined {
  try {
    const target = readSymlink(childPath(namesDir(root), name));
    return /^[a-f0-9]{12,64}$/.test(target) ? target : undefined;
  } catch {
    return undefined;
  }
}

/** The container (one of `ids`) that holds the name: the one whose id begins with the link's
 *  target, or if two ids begin so, the one whose record has the name. */
function nameOwner(name: string, root: string, ids: string[]): string | undefined {
  const target = nameTarget(name, root);
  if (target === undefined) return undefined;
  const owners = ids.filter((id) => id.startsWith(target));
  return owners.length <= 1 ? owners[0] : owners.find((id) => readRecord(id, root)?.Name === name);
}

export function takenNames(root = stateRoot()): Set<string> {
  try {
    return new Set(readDirectory(namesDir(root)));
  } catch {
    return new Set();
  }
}

/** Find a container as Docker does: full id, then name ("web" or "/web"), then a unique id prefix. */
export function findId(nameOrId: string, root = stateRoot()): string {
  const ids = listIds(root);
  if (ids.includes(nameOrId)) return nameOrId;
  const name = nameOrId.replace(/^\//, '');
  const owner = name === '' ? undefined : nameOwner(name, root, ids);
  if (owner) return owner;
  if (/^[a-f0-9]+$/.test(nameOrId)) {
    const matches = ids.filter((id) => id.startsWith(nameOrId));
    if (matches.length > 1) throw new TsdockerError(`multiple containers found with provided prefix: ${nameOrId}`);
    if (matches.length === 1) return matches[0];
  }
  throw new TsdockerError(`no such container: ${nameOrId}`);
}
