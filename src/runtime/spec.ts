// The parts of the OCI runtime-spec config.json (opencontainers/runtime-spec v1.x, config.md and
// config-linux.md) that tsdocker's runtime reads. The engine writes this file into the bundle; the
// runtime validates it (validate.ts) and turns it into protocol messages for the helper (translate.ts).

export interface RuntimeSpec {
  ociVersion: string;
  process: Process;
  root: Root;
  hostname?: string;
  mounts?: Mount[];
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Process {
  terminal?: boolean;
  user: User;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  noNewPrivileges?: boolean;
  rlimits?: Rlimit[];
  consoleSize?: { height: number; width: number };
}

export interface User {
  uid: number;
  gid: number;
  additionalGids?: number[];
  umask?: number;
}

/** Each set lists names such as "CAP_CHOWN" (capabilities(7)); a missing set is empty. */
export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  permitted?: string[];
  inheritable?: string[];
  ambient?: string[];
}

export interface Rlimit {
  /** "RLIMIT_NOFILE", ... (getrlimit(2)) */
  type: string;
  soft: number;
  hard: number;
}

export interface Root {
  /** The root filesystem, already mounted by the engine (overlayfs); absolute or bundle-relative. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  /** mount(8) words such as "nosuid", "ro", "rbind", "mode=755" */
  options?: string[];
}

export interface Namespace {
  /** pid, network, mount, ipc, uts, cgroup (user and time are not supported: validate.ts) */
  type: string;
  /** Join this existing namespace (e.g. /proc/1234/ns/net) instead of making a new one. */
  path?: string;
}

export interface Linux {
  namespaces?: Namespace[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  resources?: LinuxResources;
  /** cgroupfs style: "/tsdocker/<id>", relative to each hierarchy's root */
  cgroupsPath?: string;
  rootfsPropagation?: string;
  /** written under /proc/sys inside the container, e.g. net.ipv4.ip_unprivileged_port_start */
  sysctl?: Record<string, string>;
  devices?: LinuxDevice[];
  seccomp?: LinuxSeccomp;
}

/** linux.seccomp (config-linux.md "Seccomp"). tsdocker's helper filters the native architecture
 *  only; actions and comparisons are libseccomp's names. */
export interface LinuxSeccomp {
  /** "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ... for a syscall no rule names */
  defaultAction: string;
  /** errno for a default action of SCMP_ACT_ERRNO (EPERM when not given) */
  defaultErrnoRet?: number;
  /** "SCMP_ARCH_X86_64", ...: tsdocker's helper accepts its own architecture here */
  architectures?: string[];
  syscalls?: LinuxSyscall[];
}

export interface LinuxSyscall {
  names: string[];
  action: string;
  /** errno for SCMP_ACT_ERRNO (EPERM when not given) */
  errnoRet?: number;
  /** all must hold for the rule to apply */
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  /** "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ" (arg & value == valueTwo), LT, LE, GE, GT */
  op: string;
}

/** linux.resources (config-linux.md "Control groups"), handed to the cgroups module. */
export interface LinuxResources {
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string };
  pids?: { limit?: number };
  devices?: LinuxDeviceCgroup[];
}

/** An allow or deny rule of the devices cgroup; type "a", "b" or "c"; no major/minor means any. */
export interface LinuxDeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface LinuxDevice {
  path: string;
  type: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** Annotation asking for --init: PID 1 is the helper's tiny init, the command runs as PID 2. */
export const INIT_ANNOTATION = 'tsdocker.init';
