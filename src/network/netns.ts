// A container's network namespace, kept alive by a bind mount of /proc/<pid>/ns/net on a file
// (<root>/netns/<container id>), as `ip netns add` and podman do. The namespace then outlives the
// container's processes until tsdocker has taken its network apart (veth.ts, and portmap's DEL),
// also after a kill -9.
// `--network container:NAME` joins the namespace through this file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateRoot } from '../root';
import { trace } from '../trace';

export function netnsPath(id: string, root = stateRoot()): string {
  return path.join(root, 'netns', id);
}

export function pinNetns(pid: number, id: string, root = stateRoot()): string {
  const { mount, MS_BIND } = require('../sys/libc') as typeof import('../sys/libc');
  const file = netnsPath(id, root);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, '', { mode: 0o444 });
  trace('netns', `mount --bind /proc/${pid}/ns/net ${file} (keeps the namespace for network teardown)`);
  try {
    mount(`/proc/${pid}/ns/net`, file, null, MS_BIND);
  } catch (err) {
    fs.rmSync(file, { force: true });
    throw err;
  }
  return file;
}

/** Is the file a pinned namespace (nsfs has its own device), not just the empty placeholder? */
export function isPinned(file: string): boolean {
  try {
    return fs.statSync(file).dev !== fs.statSync(path.dirname(file)).dev;
  } catch {
    return false;
  }
}

export function unpinNetns(id: string, root = stateRoot()): void {
  const file = netnsPath(id, root);
  if (isPinned(file)) {
    const { umount2, MNT_DETACH } = require('../sys/libc') as typeof import('../sys/libc');
    trace('netns', `umount ${file}`);
    umount2(file, MNT_DETACH);
  }
  fs.rmSync(file, { force: true });
}
