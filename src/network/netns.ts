// A container's network namespace, kept alive by a bind mount of /proc/<pid>/ns/net on a file
// (<root>/netns/<container id>), as `ip netns add` and podman do. The namespace then outlives the
// container's processes until tsdocker has taken its network apart (veth.ts, and portmap's DEL),
// also after a kill -9.
// `--network container:NAME` joins the namespace through this file.
import * as path from 'node:path';
import { childPath, makeDirectories, removeFile } from '../fsutil';
import { stateRoot } from '../root';
import { trace } from '../trace';

export function netnsPath(id: string, root = stateRoot()): string {
  return childPath(root, 'netns', id);
}

export function pinNetns(pid: number, id: string, root = stateRoot()): string {
  const { mount, MS_BIND, O_CREAT, O_TRUNC, O_WRONLY, writeText } = require('../sys/libc') as typeof import('../sys/libc');
  const file = netnsPath(id, root);
  makeDirectories(path.dirname(file), 0o700);
  writeText(file, '', O_WRONLY | O_CREAT | O_TRUNC, 0o444);
  trace('netns', `mount --bind /proc/${pid}/ns/net ${file} (keeps the namespace for network teardown)`);
  try {
    mount(`/proc/${pid}/ns/net`, file, null, MS_BIND);
  } catch (err) {
    removeFile(file);
    throw err;
  }
  return file;
}

/** Is the file a pinned namespace (nsfs has its own device), not just the empty placeholder? */
export function isPinned(file: string): boolean {
  const { onOtherDevice } = require('../sys/libc') as typeof import('../sys/libc');
  try {
    return onOtherDevice(file);
  } catch {
    return false;
  }
}

/**
 * Is any process still in the pinned namespace? A namespace lives as long as a process, an open
 * descriptor or a mount holds it (namespaces(7)); once tsdocker's pin is the last, unmounting it
 * destroys the namespace. Compares the namespace's identity, "net:[<inode>]", with the link
 * /proc/<pid>/ns/net of every process (a container sharing it with --network container:NAME, an
 * `exec` that outlived its container, an nsenter of yours), in one call to the addon: a readlink
 * per process from JavaScript cost ~11 us each, ~0.7 ms with 65 processes. Descriptors and other
 * mounts are not looked for.
 */
export function namespaceInUse(file: string): boolean {
  const { findNamespaceUser, statFile } = require('../sys/libc') as typeof import('../sys/libc');
  let ns;
  try {
    ns = statFile(file);
  } catch {
    return false;
  }
  return ns !== undefined && findNamespaceUser('net', `net:[${ns.ino}]`) > 0;
}

export function unpinNetns(id: string, root = stateRoot()): void {
  const file = netnsPath(id, root);
  if (isPinned(file)) {
    const { umount2, MNT_DETACH } = require('../sys/libc') as typeof import('../sys/libc');
    trace('netns', `umount ${file}`);
    umount2(file, MNT_DETACH);
  }
  removeFile(file);
}
