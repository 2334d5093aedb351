// The OCI runtime-spec config.json of a container (opencontainers/runtime-spec config.md,
// config-linux.md), built once from the container's Config and HostConfig, the resolved user and
// the per-container files. The runtime reads nothing else, so a student can open
// <root>/containers/<id>/config.json and see everything the container will be.
// Pure: no file is read or written here.
import { INIT_ANNOTATION, type Mount, type RuntimeSpec } from '../runtime/spec';
import { capabilitySet } from './caps';
import { defaultDeviceRules, defaultMounts, NETNS_SYSCTLS } from './defaults';
import { processEnv } from './env';
import { MountPoint, specMount } from './mounts';
import { noNewPrivileges } from './options';
import { linuxResources, LinuxResources } from './resources';
import { containerSeccomp } from './seccomp';
import type { ContainerConfig, HostConfig } from './types';
import type { ResolvedUser } from './user';

export const OCI_VERSION = '1.0.2';
export { INIT_ANNOTATION };

export interface SpecInput {
  id: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** user mounts, their Sources filled in */
  mounts: MountPoint[];
  user: ResolvedUser;
  /** host paths of the generated /etc files, bind-mounted into the container */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** the rootfs directory, relative to the bundle ("rootfs") */
  rootfs: string;
  consoleSize?: { height: number; width: number };
  /** extra masked paths found on this host (thermal_throttle directories) */
  extraMasked?: string[];
  /** capabilities tsdocker itself holds: the meaning of --privileged and --cap-add ALL */
  availableCaps?: string[];
  /** --network container:NAME: that container's network namespace file, to join (setns(2)) */
  joinNetns?: string;
}

/** cgroupsPath for a container: one directory per container under "tsdocker" in each hierarchy. */
export function cgroupsPath(id: string): string {
  return `/tsdocker/${id}`;
}

export function buildSpec(s: SpecInput): RuntimeSpec {
  const hc = s.hostConfig;
  const caps = capabilitySet({ capAdd: hc.CapAdd ?? [], capDrop: hc.CapDrop ?? [], privileged: hc.Privileged,
    available: s.availableCaps });
  // A network namespace of its own, unless it uses the host's or joins another container's.
  const privateNet = hc.NetworkMode !== 'host' && !s.joinNetns;

  const namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']
    .filter((t) => t !== 'network' || hc.NetworkMode !== 'host')
    .map((type) => (type === 'network' && s.joinNetns ? { type, path: s.joinNetns } : { type }));

  // Docker's default filter (seccomp.ts), none with --privileged or --security-opt seccomp=unconfined.
  const seccomp = containerSeccomp({ privileged: hc.Privileged, securityOpt: hc.SecurityOpt, caps });

  const resources: LinuxResources = {
    ...linuxResources({ memory: hc.Memory, memorySwap: hc.MemorySwap, nanoCpus: hc.NanoCpus,
      cpuShares: hc.CpuShares, pidsLimit: hc.PidsLimit }),
    devices: hc.Privileged ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules(),
  };

  const spec: RuntimeSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: s.config.Tty,
      ...(s.config.Tty && s.consoleSize ? { consoleSize: s.consoleSize } : {}),
      user: { uid: s.user.uid, gid: s.user.gid,
        ...(s.user.additionalGids.length > 0 ? { additionalGids: s.user.additionalGids } : {}) },
      args: [s.path, ...s.args],
      env: processEnv(s.config.Env, { hostname: s.config.Hostname, tty: s.config.Tty, home: s.user.home }),
      cwd: s.config.WorkingDir || '/',
      // Inheritable stays empty, as in Docker since CVE-2022-24769: a file's inheritable
      // capabilities must not let a non-root program in the container gain more.
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: noNewPrivileges(hc.SecurityOpt),
    },
    root: { path: s.rootfs, readonly: hc.ReadonlyRootfs },
    hostname: s.config.Hostname,
    mounts: mountList(s),
    linux: {
      namespaces,
      resources,
      cgroupsPath: cgroupsPath(s.id),
      maskedPaths: hc.Privileged ? [] : [...hc.MaskedPaths, ...(s.extraMasked ?? [])],
      readonlyPaths: hc.Privileged ? [] : [...hc.ReadonlyPaths],
      ...(privateNet ? { sysctl: { ...NETNS_SYSCTLS } } : {}),
      ...(seccomp ? { seccomp } : {}),
    },
  };
  if (hc.Init) spec.annotations = { [INIT_ANNOTATION]: 'true' };
  return spec;
}

/** Default mounts, then the generated /etc files, then the user's mounts parents-first. A user
 *  mount on a default's destination replaces it, as in Docker (e.g. -v /x:/dev/shm). */
function mountList(s: SpecInput): Mount[] {
  const user = s.mounts.map(specMount);
  const taken = new Set(user.map((m) => m.destination));
  const defaults = defaultMounts().filter((m) => !taken.has(m.destination)).map((m) => {
    // --privileged: /sys and its cgroup tree are writable (moby WithMounts).
    if (s.hostConfig.Privileged && (m.destination === '/sys' || m.destination === '/sys/fs/cgroup')) {
      return { ...m, options: (m.options ?? []).filter((o) => o !== 'ro').concat('rw') };
    }
    return m;
  });
  const rw = s.hostConfig.ReadonlyRootfs ? 'ro' : 'rw';
  const etc: Mount[] = [
    ['/etc/hostname', s.etcFiles.hostname],
    ['/etc/hosts', s.etcFiles.hosts],
    ['/etc/resolv.conf', s.etcFiles.resolvConf],
  ].filter(([dest]) => !taken.has(dest))
    .map(([destination, source]) => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', rw] }));
  // Sorting by depth mounts /a before /a/b, whatever order the flags came in (moby sortMounts).
  const depth = (m: Mount) => m.destination.split('/').length;
  return [...defaults, ...etc, ...user.sort((a, b) => depth(a) - depth(b))];
}
