// Conversions between the OCI/cgroup v1 units that the spec and Docker's flags use and the cgroup v2
// files. The formulas are runc's (opencontainers/cgroups utils.go), so a container gets the same
// values under tsdocker as under Docker.
import { TsdockerError } from '../../errors';

/** The CFS period Docker uses for `--cpus` (kernel default, 100 ms). */
export const CPU_PERIOD_US = 100000;

/** `--cpus 1.5` -> quota 150000 per period 100000: the container may use 1.5 CPUs' worth of time. */
export function cpusToQuota(cpus: number): { quota: number; period: number } {
  if (!Number.isFinite(cpus) || cpus <= 0) throw new TsdockerError(`invalid --cpus ${cpus}: must be a positive number`);
  return { quota: Math.round(cpus * CPU_PERIOD_US), period: CPU_PERIOD_US };
}

/**
 * cpu.shares (v1: 2..262144, default 1024) -> cpu.weight (v2: 1..10000, default 100).
 * runc first mapped the ranges linearly (1 + (shares-2)*9999/262142), which sent the default 1024
 * to 39 instead of 100 (kubernetes#131216). runc and crun now use a quadratic in log2(shares) that
 * maps 2 -> 1, 1024 -> 100 and 262144 -> 10000. 0 means "not set".
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(Math.pow(10, exponent));
}

/**
 * OCI memory.swap is memory+swap (v1 memory.memsw.limit_in_bytes); v2 memory.swap.max is swap
 * alone, so subtract. Returns -1 for unlimited and undefined for "leave unset".
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): number | undefined {
  // Unlimited memory with swap unset means unlimited swap too, as on v1.
  if (limit === -1 && (swap === undefined || swap === 0)) return -1;
  if (swap === undefined || swap === 0) return undefined;
  if (swap === -1) return -1;
  if (limit === undefined || limit === 0 || limit === -1) {
    throw new TsdockerError('invalid memory limits: a memory+swap limit needs a memory limit');
  }
  if (swap < limit) {
    throw new TsdockerError(`invalid memory limits: memory+swap (${swap}) is smaller than memory (${limit})`);
  }
  return swap - limit;
}

/**
 * pids.max: negative means unlimited ("max"). 0 becomes 1, as systemd does for TasksMax=0: the
 * limit counts the container's first process itself, so 0 and 1 both forbid every fork.
 */
export function pidsMax(limit: number): string {
  if (limit < 0) return 'max';
  return String(Math.max(limit, 1));
}
