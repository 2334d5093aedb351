// Resource flags (-m, --memory-swap, --cpus, --cpu-shares, --pids-limit) parsed the way the Docker
// CLI parses them, and turned into the OCI runtime-spec `linux.resources` object that the runtime
// writes into cgroup files (runtime-spec config-linux.md "Control groups").
import { TsdockerError } from '../errors';

/** Docker refuses memory limits below 6 MiB: the container would be killed before it starts. */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** CFS period Docker uses for --cpus (sched-design-CFS: cpu.cfs_period_us, 100 ms). */
export const CPU_PERIOD = 100_000;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512", "512b", "32m", "1g", "1.5GiB", "64 k"; binary multiples. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new TsdockerError(`invalid size: '${text}'`);
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]);
}

export interface ResourceFlags {
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: number;
  pidsLimit?: number;
}

/** The numbers Docker keeps in HostConfig (and `inspect` shows); 0 means "no limit". */
export interface ResourceLimits {
  memory: number;
  /** memory + swap, -1 for unlimited swap (Docker's --memory-swap meaning). */
  memorySwap: number;
  nanoCpus: number;
  cpuShares: number;
  pidsLimit: number;
}

export function parseResources(flags: ResourceFlags): ResourceLimits {
  const memory = flags.memory === undefined ? 0 : parseSize(flags.memory);
  if (memory !== 0 && memory < MIN_MEMORY) {
    throw new TsdockerError('minimum memory limit allowed is 6MB');
  }
  let memorySwap = 0;
  if (flags.memorySwap !== undefined) {
    memorySwap = flags.memorySwap === '-1' ? -1 : parseSize(flags.memorySwap);
    if (memory === 0) {
      throw new TsdockerError('you should always set the memory limit when using memoryswap limit');
    }
    if (memorySwap !== -1 && memorySwap < memory) {
      throw new TsdockerError('minimum memoryswap limit should be larger than memory limit, see usage');
    }
  } else if (memory !== 0) {
    // Docker's default: as much swap as memory, so memory+swap is twice the limit.
    memorySwap = 2 * memory;
  }

  let nanoCpus = 0;
  if (flags.cpus !== undefined) {
    const cpus = Number(flags.cpus);
    if (!/^\d*\.?\d+$/.test(flags.cpus) || !Number.isFinite(cpus) || cpus <= 0) {
      throw new TsdockerError(`invalid argument "${flags.cpus}" for "--cpus" flag: must be a positive number`);
    }
    nanoCpus = Math.round(cpus * 1e9);
  }

  const cpuShares = flags.cpuShares ?? 0;
  if (!Number.isInteger(cpuShares) || cpuShares < 0) {
    throw new TsdockerError(`invalid --cpu-shares: ${flags.cpuShares}`);
  }
  const pidsLimit = flags.pidsLimit ?? 0;
  if (!Number.isInteger(pidsLimit)) throw new TsdockerError(`invalid --pids-limit: ${flags.pidsLimit}`);
  return { memory, memorySwap, nanoCpus, cpuShares, pidsLimit };
}

export interface LinuxResources {
  devices?: { allow: boolean; type?: string; major?: number; minor?: number; access?: string }[];
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

/** HostConfig numbers -> runtime-spec resources. `memory.swap` is memory+swap, the cgroup v1
 *  memsw meaning; the runtime converts it for cgroup v2's swap-only memory.swap.max. */
export function linuxResources(limits: ResourceLimits): LinuxResources {
  const out: LinuxResources = {};
  if (limits.memory > 0) out.memory = { limit: limits.memory, swap: limits.memorySwap };
  if (limits.nanoCpus > 0 || limits.cpuShares > 0) {
    out.cpu = {};
    if (limits.cpuShares > 0) out.cpu.shares = limits.cpuShares;
    if (limits.nanoCpus > 0) {
      out.cpu.quota = Math.round((limits.nanoCpus * CPU_PERIOD) / 1e9);
      out.cpu.period = CPU_PERIOD;
    }
  }
  // Docker: 0 or unset means unlimited, a negative value too.
  if (limits.pidsLimit > 0) out.pids = { limit: limits.pidsLimit };
  return out;
}
