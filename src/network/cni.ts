// The Container Network Interface (containernetworking/cni SPEC.md), the way podman and containerd
// give a container its network. A CNI plugin is a program: the runtime names the operation and the
// container in environment variables (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
// CNI_PATH), writes the network's configuration as JSON on the plugin's stdin, and reads a JSON
// result (interfaces, addresses, routes) or a JSON error from its stdout. tsdocker runs one of
// Debian's standard plugins (containernetworking-plugins, in /usr/lib/cni): `portmap`, for -p.
// The `bridge` and `host-local` plugins did the rest until they were found to take about 110 ms of
// every container start; docs/network.md tells the story.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { runProgram } from '../sys/program';
import { trace } from '../trace';

export const CNI_VERSION = '1.0.0';

/** Where the plugins are: $TSDOCKER_CNI_PATH, else Debian's (and Fedora's /usr/libexec/cni). */
export function cniPath(): string {
  if (process.env.TSDOCKER_CNI_PATH) return process.env.TSDOCKER_CNI_PATH;
  return ['/usr/lib/cni', '/usr/libexec/cni', '/opt/cni/bin'].find((d) => fs.existsSync(path.join(d, 'bridge'))) ?? '/usr/lib/cni';
}

export interface CniInterface { name: string; mac?: string; sandbox?: string }
export interface CniIp { interface?: number; address: string; gateway?: string }
export interface CniRoute { dst: string; gw?: string }

/** A plugin's answer to ADD (SPEC.md "Success"). */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIp[];
  routes?: CniRoute[];
  dns?: object;
}

/** One plugin's configuration: `type` names the plugin program; the rest is the plugin's own. */
export interface PluginConf {
  cniVersion: string;
  name: string;
  type: string;
  [key: string]: unknown;
}

export interface CniArgs {
  command: 'ADD' | 'DEL';
  /** the container id (the plugins name iptables chains and address leases after it) */
  containerId: string;
  /** the network namespace file (/proc/<pid>/ns/net or a bind mount of it); "" when it is gone */
  netns: string;
  /** the interface name inside the container */
  ifName: string;
}

/** Run one plugin. ADD returns its result; a failure is a TsdockerError with the plugin's message. */
export function execPlugin(conf: PluginConf, a: CniArgs): CniResult | undefined {
  const bin = path.join(cniPath(), conf.type);
  trace('cni', `${a.command} ${bin} (CNI_IFNAME=${a.ifName} CNI_NETNS=${a.netns || '""'})`);
  if (!fs.existsSync(bin)) {
    throw new TsdockerError(`CNI plugin ${bin} not found: install containernetworking-plugins (or set TSDOCKER_CNI_PATH)`);
  }
  const r = runProgram(bin, [], {
    input: JSON.stringify(conf),
    timeoutMs: 60_000,
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: a.command, CNI_CONTAINERID: a.containerId, CNI_NETNS: a.netns,
      CNI_IFNAME: a.ifName, CNI_PATH: cniPath(),
    },
  });
  if (r.error) throw new TsdockerError(`CNI ${a.command} ${conf.type}: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) {
    throw new TsdockerError(`CNI ${a.command} ${conf.type} on network ${conf.name}: ${pluginMessage(r.stdout, r.stderr)}`);
  }
  if (a.command !== 'ADD') return undefined;
  try {
    return JSON.parse(r.stdout) as CniResult;
  } catch {
    throw new TsdockerError(`CNI ADD ${conf.type}: result is not JSON: ${r.stdout.slice(0, 200)}`);
  }
}

/** SPEC.md "Error": {"code": N, "msg": "...", "details": "..."} on stdout. */
function pluginMessage(stdout: string, stderr: string): string {
  try {
    const e = JSON.parse(stdout) as { msg?: string; details?: string };
    return [e.msg, e.details].filter(Boolean).join(': ') || stdout.trim();
  } catch {
    return (stderr || stdout).trim() || 'failed without a message';
  }
}
