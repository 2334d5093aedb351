// Capability names (capabilities(7)) and their numbers in linux/capability.h, turned into the 64-bit
// masks the helper hands to capset(2).
import { TsdockerError } from '../errors';

/** Index = capability number. */
const NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW',
  'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT',
  'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD',
  'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];

/** "CAP_CHOWN" or "chown" -> 0; undefined for a name this table does not know. */
export function capabilityNumber(name: string): number | undefined {
  const i = NAMES.indexOf(name.toUpperCase().replace(/^CAP_/, ''));
  return i < 0 ? undefined : i;
}

export function capabilityMask(names: string[] = []): bigint {
  let mask = 0n;
  for (const name of names) {
    const n = capabilityNumber(name);
    if (n === undefined) throw new TsdockerError(`unknown capability "${name}"`);
    mask |= 1n << BigInt(n);
  }
  return mask;
}

/** The names in a mask, for messages and tests. */
export function capabilityNames(mask: bigint): string[] {
  return NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n).map((n) => `CAP_${n}`);
}
