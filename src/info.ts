// `tsdocker info`: what this host offers a container runtime, and for each thing that is missing,
// the fix. A student on an odd VM (an old kernel, cgroup v1 without the memory controller, a store
// on a file system overlayfs cannot use) learns at once why something will not work.
// Every fact comes from the kernel's own files: /proc/filesystems, /proc/self/ns (namespaces(7)),
// /sys/fs/cgroup (cgroups(7)), statfs(2), uname(2). Field names follow `docker info --format json`
// where Docker has one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stateRoot } from './root';
import { configPath, loadConfig } from './config';
import { CGROUP_ROOT, detectMode } from './runtime/cgroups/detect';
import { helperPath } from './runtime/helper';
import { diskUsage } from './system/usage';
import { listContainers } from './container/list';
import { ImageStore } from './image/store';

export interface Warning {
  problem: string;
  fix: string;
}

export interface HostInfo {
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  ServerVersion: string;
  Driver: 'overlay';
  OverlayAvailable: boolean;
  /** file system type of the state root ("ext4", "xfs", "tmpfs", "overlay", ...) */
  BackingFilesystem: string;
  CgroupDriver: 'cgroupfs';
  CgroupVersion: '1' | '2' | '';
  /** tsdocker: "unified" (v2), "hybrid" (v1 controllers + a v2 tree), "legacy" (v1) */
  CgroupMode: string;
  CgroupControllers: string[];
  /** tsdocker: the namespace types this kernel offers (/proc/self/ns) */
  Namespaces: string[];
  /** tsdocker: /proc/sys/user/max_user_namespaces (tsdocker runs as root and does not need them) */
  MaxUserNamespaces: number | null;
  KernelVersion: string;
  OperatingSystem: string;
  OSType: 'linux';
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  Name: string;
  RuntimeHelper: string;
  DockerRootDir: string;
  /** tsdocker: bytes used by images, containers and volumes under the root; bytes free there */
  RootDirUsage: { Images: number; Containers: number; Volumes: number; Free: number };
  ConfigFile: string;
  RegistryMirrors: string[];
  InsecureRegistries: string[];
  Warnings: Warning[];
}

/** The namespaces every container gets (the helper's clone flags); user and time are optional. */
export const REQUIRED_NAMESPACES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts'];
/** The kernel option behind each namespace type (init/Kconfig). */
const NS_CONFIG: Record<string, string> = {
  cgroup: 'CONFIG_CGROUPS', ipc: 'CONFIG_IPC_NS', mnt: 'CONFIG_NAMESPACES', net: 'CONFIG_NET_NS',
  pid: 'CONFIG_PID_NS', uts: 'CONFIG_UTS_NS',
};
/** The controllers behind --memory, --cpus/--cpu-shares, --cpuset-cpus, --pids-limit and devices. */
const V1_WANTED = ['memory', 'cpu', 'cpuset', 'pids', 'devices'];
const V2_WANTED = ['memory', 'cpu', 'cpuset', 'pids'];
/** openat2 RESOLVE_IN_ROOT (5.6) and close_range CLOSE_RANGE_CLOEXEC (5.11), used by native/. */
const MIN_KERNEL: [number, number] = [5, 11];

const FS_NAMES: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs',
  0x794c7630: 'overlay', 0x2fc12fc1: 'zfs', 0x6969: 'nfs', 0x65735546: 'fuse', 0x786f4256: 'vboxsf',
};

export function hostInfo(root = stateRoot()): HostInfo {
  const warnings: Warning[] = [];
  const warn = (problem: string, fix: string) => warnings.push({ problem, fix });

  if (process.getuid?.() !== 0) warn('tsdocker is not running as root', 'run it with sudo: sudo tsdocker ...');

  const kernel = os.release();
  const [major, minor] = kernel.split('.').map((n) => parseInt(n, 10));
  if (major < MIN_KERNEL[0] || (major === MIN_KERNEL[0] && minor < MIN_KERNEL[1])) {
    warn(`kernel ${kernel} is older than ${MIN_KERNEL.join('.')} (openat2, close_range)`,
      'use a newer kernel: the course VM (Ubuntu 22.04) has 5.15');
  }

  const overlay = fileLines('/proc/filesystems').some((l) => l.split(/\s+/).includes('overlay'));
  if (!overlay) warn('overlayfs is not available (not in /proc/filesystems)', 'load it: modprobe overlay');

  const backing = backingFilesystem(root);
  if (backing === 'overlay' || backing === 'nfs' || backing === 'vboxsf' || backing === 'fuse') {
    warn(`the state root ${root} is on ${backing}, which overlayfs cannot use as an upper directory`,
      'put the state on a local disk or tmpfs: tsdocker --root /var/tmp/tsdocker ...');
  }

  const cg = cgroupInfo(warn);

  const namespaces = listDir('/proc/self/ns').filter((n) => !n.endsWith('_for_children')).sort();
  for (const ns of REQUIRED_NAMESPACES.filter((n) => !namespaces.includes(n))) {
    warn(`the kernel has no ${ns} namespace (/proc/self/ns/${ns})`,
      `use a kernel built with ${NS_CONFIG[ns]}=y`);
  }
  const maxUserNs = readNumber('/proc/sys/user/max_user_namespaces');

  const helper = helperPath();
  if (!isExecutable(helper)) warn(`the runtime helper ${helper} is missing`, 'build it: make -C native (or npm install)');

  let mirrors: string[] = [];
  let insecure: string[] = [];
  try {
    ({ registryMirrors: mirrors, insecureRegistries: insecure } = loadConfig());
  } catch (err) {
    warn((err as Error).message, `correct the JSON in ${configPath()} (Docker's daemon.json keys)`);
  }

  const containers = safe(() => listContainers(root), []);
  const running = containers.filter((c) => c.State.Running).length;
  const usage = safe(() => diskUsage(root), []);
  const bytes = (type: string) => usage.find((u) => u.Type === type)?.Size ?? 0;

  return {
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: 0,
    ContainersStopped: containers.length - running,
    Images: safe(() => new ImageStore(root).listImageIds().length, 0),
    ServerVersion: require('../../package.json').version,
    Driver: 'overlay',
    OverlayAvailable: overlay,
    BackingFilesystem: backing,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cg.mode === 'unified' ? '2' : cg.mode ? '1' : '',
    CgroupMode: cg.mode,
    CgroupControllers: cg.controllers,
    Namespaces: namespaces,
    MaxUserNamespaces: maxUserNs,
    KernelVersion: kernel,
    OperatingSystem: osName(),
    OSType: 'linux',
    Architecture: os.machine(),
    NCPU: os.availableParallelism(),
    MemTotal: os.totalmem(),
    Name: os.hostname(),
    RuntimeHelper: helper,
    DockerRootDir: root,
    RootDirUsage: { Images: bytes('Images'), Containers: bytes('Containers'), Volumes: bytes('Local Volumes'),
      Free: freeBytes(root) },
    ConfigFile: configPath(),
    RegistryMirrors: mirrors,
    InsecureRegistries: insecure,
    Warnings: warnings,
  };
}

/** The cgroup layout, the controllers tsdocker can use in it, and a warning for each one missing. */
function cgroupInfo(warn: (problem: string, fix: string) => void): { mode: string; controllers: string[] } {
  let mode: string;
  try {
    mode = detectMode();
  } catch (err) {
    warn((err as Error).message, `mount the cgroup v2 file system: mount -t cgroup2 none ${CGROUP_ROOT}`);
    return { mode: '', controllers: [] };
  }
  if (mode === 'unified') {
    const controllers = fileWords(path.join(CGROUP_ROOT, 'cgroup.controllers')).sort();
    for (const c of V2_WANTED.filter((w) => !controllers.includes(w))) {
      warn(`cgroup v2 controller ${c} is not available (${CGROUP_ROOT}/cgroup.controllers)`,
        c === 'memory' ? 'boot with cgroup_enable=memory on the kernel command line'
          : `enable it in the parent: echo +${c} > ${CGROUP_ROOT}/cgroup.subtree_control`);
    }
    return { mode, controllers };
  }
  // v1: one mounted hierarchy per controller (cpu and cpuacct are often co-mounted).
  const controllers = fileLines('/proc/cgroups').filter((l) => !l.startsWith('#'))
    .map((l) => l.split(/\s+/)).filter((f) => f[3] === '1' && fs.existsSync(path.join(CGROUP_ROOT, f[0])))
    .map((f) => f[0]).sort();
  for (const c of V1_WANTED.filter((w) => !controllers.includes(w))) {
    warn(`cgroup v1 controller ${c} is not mounted at ${CGROUP_ROOT}/${c}`,
      `mount it: mkdir -p ${CGROUP_ROOT}/${c} && mount -t cgroup -o ${c} cgroup ${CGROUP_ROOT}/${c}`);
  }
  if (controllers.includes('memory') && !fs.existsSync(path.join(CGROUP_ROOT, 'memory', 'memory.memsw.limit_in_bytes'))) {
    warn('no swap limit support (--memory-swap is ignored)', 'boot with swapaccount=1 on the kernel command line');
  }
  if (mode === 'hybrid') {
    const onV2 = fileWords(path.join(CGROUP_ROOT, 'unified', 'cgroup.controllers')).filter((c) => V1_WANTED.includes(c));
    for (const c of onV2) {
      warn(`cgroup controller ${c} is bound to the v2 tree of this hybrid host, so tsdocker cannot use it`,
        'boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2 only');
    }
  }
  return { mode, controllers };
}

function backingFilesystem(root: string): string {
  // The root may not exist yet: its nearest existing parent is where it will be made.
  for (let dir = root; ; dir = path.dirname(dir)) {
    try {
      const type = fs.statfsSync(dir).type;
      return FS_NAMES[type] ?? `0x${type.toString(16)}`;
    } catch {
      if (dir === path.dirname(dir)) return 'unknown';
    }
  }
}

function freeBytes(root: string): number {
  for (let dir = root; ; dir = path.dirname(dir)) {
    try {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize;
    } catch {
      if (dir === path.dirname(dir)) return 0;
    }
  }
}

function osName(): string {
  const line = fileLines('/etc/os-release').find((l) => l.startsWith('PRETTY_NAME='));
  return line ? line.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '') : os.type();
}

function fileLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function fileWords(file: string): string[] {
  return fileLines(file).join(' ').split(/\s+/).filter(Boolean);
}

function readNumber(file: string): number | null {
  const n = parseInt(fileLines(file)[0] ?? '', 10);
  return Number.isNaN(n) ? null : n;
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** info reports; it does not fail because one part of the store is unreadable. */
function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}
