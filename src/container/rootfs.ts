// A container's root filesystem and /etc files, in its own directory (see record.ts):
// the image's layers under an overlayfs mount at rootfs/, with upper/ and work/ beside it, and the
// generated hostname, hosts and resolv.conf that the runtime bind-mounts over the image's.
import * as fs from 'node:fs';
import { wrap } from '../errors';
import { childPath } from '../fsutil';
import type { ImageRecord, ImageStore } from '../image/store';
import { hostnameFile, hostsFile, resolvConf } from './etcfiles';
import type { HostConfig } from './types';
import { O_CREAT, O_TRUNC, O_WRONLY, readText, writeText } from '../sys/libc';

export interface RootfsPaths {
  rootfs: string;
  upper: string;
  work: string;
}

export function rootfsPaths(dir: string): RootfsPaths {
  return { rootfs: childPath(dir, 'rootfs'), upper: childPath(dir, 'upper'), work: childPath(dir, 'work') };
}

/** Mount the image's layers at <dir>/rootfs. The caller undoes it with unmountRootfs.
 *  `volatile` (for --rm): the kernel never syncs the upper dir's filesystem for this mount; its
 *  unmount then takes about 0.3 ms instead of a syncfs(2) of the whole host filesystem (1 to 10 ms
 *  measured here, more on a busy disk). After a host crash such a mount cannot be made again, and
 *  an --rm container is never mounted again. */
export function mountRootfs(dir: string, store: ImageStore, image: ImageRecord, volatile = false): RootfsPaths {
  const p = rootfsPaths(dir);
  // Loaded here so that `ps` and `inspect` do not load the FFI module behind the overlay code.
  const { mountOverlay } = require('../image/overlay') as typeof import('../image/overlay');
  const { initLayer } = require('../image/init-layer') as typeof import('../image/init-layer');
  try {
    mountOverlay({ store, image, upper: p.upper, work: p.work, target: p.rootfs, volatile, init: initLayer(store, image) });
  } catch (err) {
    throw wrap(err, 'mount container rootfs');
  }
  return p;
}

export function unmountRootfs(dir: string): void {
  const { unmount } = require('../image/overlay') as typeof import('../image/overlay');
  unmount(rootfsPaths(dir).rootfs);
}

export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

function readHostFile(file: string): string {
  try {
    return readText(file) ?? '';
  } catch {
    return '';
  }
}

/** Host's resolv.conf; with systemd-resolved's stub (127.0.0.53) the real upstream list is in
 *  /run/systemd/resolve/resolv.conf, which Docker prefers for the same reason. */
function hostResolvConf(): string {
  const main = readHostFile('/etc/resolv.conf');
  if (/^\s*nameserver\s+127\.0\.0\.53\b/m.test(main) && fs.existsSync('/run/systemd/resolve/resolv.conf')) {
    return readHostFile('/run/systemd/resolve/resolv.conf');
  }
  return main;
}

export function writeEtcFiles(dir: string, hostname: string, network: HostConfig['NetworkMode'],
  o: { dns?: string[]; extraHosts?: string[] } = {}): EtcFiles {
  const files: EtcFiles = {
    hostname: childPath(dir, 'hostname'),
    hosts: childPath(dir, 'hosts'),
    resolvConf: childPath(dir, 'resolv.conf'),
  };
  try {
    const create = O_WRONLY | O_CREAT | O_TRUNC;
    writeText(files.hostname, hostnameFile(hostname), create, 0o644);
    writeText(files.hosts, hostsFile(hostname, network, network === 'host' ? readHostFile('/etc/hosts') : undefined,
      { extraHosts: o.extraHosts }), create, 0o644);
    writeText(files.resolvConf, resolvConf(hostResolvConf(), network, o.dns), create, 0o644);
  } catch (err) {
    throw wrap(err, 'write container /etc files');
  }
  return files;
}

/** The host's name, as uname(2) gives it (os.hostname(), without loading node:os: ~0.5 ms). */
export function hostHostname(): string {
  return (readText('/proc/sys/kernel/hostname') ?? '').trim();
}
