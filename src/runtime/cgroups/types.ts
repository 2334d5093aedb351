// The types shared by the v1 and v2 drivers. LinuxResources is the subset of the OCI runtime-spec
// `linux.resources` object (config-linux.md, "Control groups") that tsdocker uses, with the spec's
// own units and meanings: memory and memory+swap in bytes, CPU quota and period in microseconds.

export interface LinuxResources {
  memory?: {
    /** bytes; -1 means unlimited. */
    limit?: number;
    /** memory PLUS swap in bytes (OCI and cgroup v1 semantics, as `docker run --memory-swap`); -1 unlimited. */
    swap?: number;
  };
  cpu?: {
    /** relative weight, cgroup v1 units: 2..262144, default 1024. */
    shares?: number;
    /** microseconds of CPU time per period; -1 unlimited. */
    quota?: number;
    /** microseconds; the kernel's default is 100000. */
    period?: number;
    /** cpuset list such as "0-2,4". */
    cpus?: string;
  };
  pids?: { limit?: number };
  /**
   * device access rules, applied in order after denying everything; undefined means Docker's
   * defaults at creation, and "leave them as they are" in an update.
   */
  devices?: DeviceRule[];
}

export interface DeviceRule {
  allow: boolean;
  /** 'a' all devices, 'c' character, 'b' block; default 'a'. */
  type?: 'a' | 'c' | 'b';
  /** undefined means any (the '*' of devices.allow). */
  major?: number;
  minor?: number;
  /** any of r (read), w (write), m (mknod); default "rwm". */
  access?: string;
}

/** unified: cgroup v2 only. hybrid: v1 controllers plus an (unused) v2 tree. legacy: cgroup v1 only. */
export type CgroupMode = 'unified' | 'hybrid' | 'legacy';

export interface CgroupStats {
  /** bytes in use now (v1 memory.usage_in_bytes, v2 memory.current). */
  memoryUsage?: number;
  /** bytes; undefined when unlimited. */
  memoryLimit?: number;
  /** tasks (processes and threads) in the cgroup now. */
  pidsCurrent?: number;
  pidsLimit?: number;
  /** total CPU time used, nanoseconds (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
  cpuUsageNs?: number;
}

export interface Cgroup {
  /** Every cgroup directory of this container: one per v1 hierarchy, or the one v2 directory. */
  paths: string[];
  /** Move a process into the cgroup (cgroup.procs in every path). Call before the process runs user code. */
  addProcess(pid: number): void;
  /** Apply new limits to the existing cgroup, in the order the kernel accepts them. */
  update(resources: LinuxResources): void;
  /** Whether the kernel's OOM killer killed a process in this cgroup. Call before remove(). */
  oomKilled(): boolean;
  stats(): CgroupStats;
  /** rmdir every path; the caller makes sure the processes have exited. Idempotent. */
  remove(): void;
}

export interface CgroupOptions {
  /** where the cgroup hierarchies are mounted; a parameter so that unit tests can use a temp dir. */
  root?: string;
  /** skips detection (statfs) when given. */
  mode?: CgroupMode;
  /** how the device program reaches a v2 cgroup; a parameter so that unit tests need no bpf(2). */
  attachDeviceFilter?: AttachDeviceFilter;
}

/** Attach an eBPF device program (struct bpf_insn[]) to a cgroup v2 directory, replacing the previous one. */
export type AttachDeviceFilter = (cgroupDir: string, program: Buffer) => void;
