// Container records on disk. Each container is a directory, a complete OCI bundle plus its state:
//
//   <root>/containers/<id>/config.json   the OCI runtime spec (the runtime reads only this)
//                          rootfs/       the overlay mount point (the merged view)
//                          upper/ work/  overlayfs upper and work dirs: the container's writes
//                          hostname hosts resolv.conf   bind-mounted into /etc
//                          state.json    this record: Config, HostConfig, Mounts and State
//   <root>/containers/names/<name> -> <id>   a symlink per name: creating it is the atomic
//                                            "is this name free?" check (symlink(2) fails EEXIST)
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
  let names: string[];
  try {
    names = fs.readdirSync(containersDir(root));
  } catch {
    return [];
  }
  return names.filter((n) => HEX64.test(n) && fs.existsSync(childPath(containersDir(root), n, 'state.json')));
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
      makeSymlink(id, link);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw wrap(err, `reserve name ${name}`);
    }
    const owner = nameOwner(name, root);
    if (owner && fs.existsSync(containerDir(owner, root))) {
      throw new TsdockerError(`the container name "/${name}" is already in use by container "${owner}". ` +
        'You have to remove (or rename) that container to be able to reuse that name');
    }
    removeFile(link);
  }
  throw new TsdockerError(`reserve name ${name}: it keeps being taken`);
}

export function releaseName(name: string, id: string, root = stateRoot()): void {
  if (nameOwner(name, root) === id) removeFile(childPath(namesDir(root), name));
}

function nameOwner(name: string, root: string): string | undefined {
  try {
    return readSymlink(childPath(namesDir(root), name));
  } catch {
    return undefined;
  }
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
  const owner = name === '' ? undefined : nameOwner(name, root);
  if (owner && ids.includes(owner)) return owner;
  if (/^[a-f0-9]+$/.test(nameOrId)) {
    const matches = ids.filter((id) => id.startsWith(nameOrId));
    if (matches.length > 1) throw new TsdockerError(`multiple containers found with provided prefix: ${nameOrId}`);
    if (matches.length === 1) return matches[0];
  }
  throw new TsdockerError(`no such container: ${nameOrId}`);
}
