// The devices a container may use. On cgroup v1 the devices controller enforces this list: the
// kernel checks it on open(2) and mknod(2) of a device node (kernel
// Documentation/admin-guide/cgroup-v1/devices.rst). A container starts with everything denied
// ("a" in devices.deny), then gets Docker's allow list (moby daemon/pkg/oci/defaults.go) plus
// runc's "mknod of any device" rules (runc libcontainer/specconv AllowedDevices), which let a
// process create a node but not open it.
//
// cgroup v2 has no devices files: the same check is an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup (runc libcontainer/cgroups/devices/v2.go).
// devicefilter.ts turns the rules into that program, and setDeviceFilter below attaches it (v2.ts;
// a hybrid host has the v1 controller, which runc uses there too). The container's /dev is also a
// fresh tmpfs holding only the default nodes; the rules are what stops a node made with mknod
// inside the container.
import { TsdockerError } from '../../errors';
import { attachDeviceFilter } from '../../sys/libc';
import { trace, tracing } from '../../trace';
import { deviceFilter, deviceFilterListing } from './devicefilter';
import type { AttachDeviceFilter, DeviceRule } from './types';

const ANY = undefined;

export const DEFAULT_DEVICE_RULES: DeviceRule[] = [
  { allow: true, type: 'c', major: ANY, minor: ANY, access: 'm' }, // mknod any char device
  { allow: true, type: 'b', major: ANY, minor: ANY, access: 'm' }, // mknod any block device
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, minor: ANY, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

/** A rule in devices.allow/devices.deny syntax: "c 1:3 rwm", "c 136:* rwm", "a". */
export function formatDeviceRule(rule: DeviceRule): string {
  const type = rule.type ?? 'a';
  const access = rule.access ?? 'rwm';
  if (!/^[rwm]{1,3}$/.test(access)) throw new TsdockerError(`invalid device access "${access}": use r, w, m`);
  // "a" resets the whole list (allow or deny everything), whatever follows it.
  if (type === 'a') return 'a';
  const num = (n: number | undefined): string => (n === undefined || n < 0 ? '*' : String(n));
  return `${type} ${num(rule.major)}:${num(rule.minor)} ${access}`;
}

/**
 * cgroup v2: compile `rules` into an eBPF program and attach it to the cgroup directory `dir`, in
 * place of the program attached before. `attach` is bpf(2) through the addon, or a stand-in in
 * unit tests. A failure is one TsdockerError naming the directory and the bpf(2) step.
 */
export function setDeviceFilter(dir: string, rules: DeviceRule[], attach: AttachDeviceFilter = attachDeviceFilter): void {
  const program = deviceFilter(rules);
  if (tracing()) for (const line of deviceFilterListing(rules)) trace('cgroup', `devices: ${line}`);
  attach(dir, program);
  trace('cgroup', `devices: eBPF program (${program.length / 8} instructions) attached to ${dir}`);
}
