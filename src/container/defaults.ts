// Docker's defaults for a container that asked for nothing special, taken from moby
// daemon/pkg/oci/defaults.go (DefaultLinuxSpec) and daemon/pkg/oci/caps/defaults.go. They are the
// "safe runtime" baseline of CHECKLISTS.md part C: what a container may do unless the user widens it
// with --cap-add or --privileged.
import { pathExists } from '../fsutil';
import { readDirectory } from '../sys/libc';
import type { Mount } from '../runtime/spec';

/** The 14 capabilities Docker grants by default (capabilities(7)). Never SYS_ADMIN, SYS_PTRACE,
 *  NET_ADMIN or SYS_MODULE: each of those is a way out of the container. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability Linux defines, in number order (linux/capability.h, 0 to 40), for
 *  --privileged and --cap-add ALL. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Files and directories that leak host information or let a process poke the kernel. The runtime
 *  binds /dev/null over files and an empty read-only tmpfs over directories (runc maskPaths). */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys',
  '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug',
  '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Bound onto themselves and remounted read-only: readable for tools like `ps`, not writable. */
export const READONLY_PATHS = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];


/** The filesystems every container gets. The runtime-spec (config-linux.md) requires /proc, /sys,
 *  /dev/pts and /dev/shm; /dev is a small tmpfs the runtime fills with the default device nodes,
 *  so no host device is ever visible. */
export function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup',
      options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  ];
}

export interface DeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access: string;
}

/** Devices cgroup: deny everything, then allow only the nodes the runtime creates in /dev
 *  (null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0, console 5:1, ptmx 5:2 and
 *  the pseudo-terminals 136:*) and /dev/net/tun 10:200 as moby's list has it, and mknod of any node, which runc adds to every container
 *  (specconv AllowedDevices: `c *:* m`, `b *:* m`): in Docker `mknod` works (debootstrap in a
 *  build needs it) but a node made that way cannot be opened unless it is in the list. */
export function defaultDeviceRules(): DeviceRule[] {
  const allow = (major: number, minor?: number): DeviceRule =>
    ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' }, { allow: true, type: 'b', access: 'm' },
    allow(1, 3), allow(1, 5), allow(1, 7), allow(1, 8), allow(1, 9),
    allow(5, 0), allow(5, 1), allow(5, 2), allow(136), allow(10, 200),
  ];
}

/** Sysctls for a private network namespace (moby WithSysctls): ping and low ports without
 *  privileges, which is harmless when the namespace is the container's own. */
export const NETNS_SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_unprivileged_port_start': '0',
  'net.ipv4.ping_group_range': '0 2147483647',
};

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** /sys/devices/system/cpu/cpuN/thermal_throttle exists per CPU on some hosts and lets a container
 *  change CPU throttling (GHSA-6fw5-f8r9-fgfm); moby masks each one it finds. */
export function thermalThrottlePaths(sysCpu = '/sys/devices/system/cpu'): string[] {
  let names: string[];
  try {
    names = readDirectory(sysCpu);
  } catch {
    return [];
  }
  return names.filter((n) => /^cpu\d+$/.test(n))
    .map((n) => `${sysCpu}/${n}/thermal_throttle`)
    .filter(pathExists);
}
