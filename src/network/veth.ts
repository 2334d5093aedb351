// A container's interface on a bridge network: a veth pair (ip-link(8) "type veth"), two virtual
// interfaces joined like the two ends of a cable. One end is made directly inside the container's
// namespace as eth0 (or eth1, ...); the other stays on the host and is plugged into the network's
// bridge. These are the commands you would type yourself, and --trace prints them:
//
//   ip link add vethXXXXXXX type veth peer name eth0 address 02:42:ac:11:00:02 netns <ns file>
//   ip link set dev vethXXXXXXX master tsdocker0
//   ip link set dev vethXXXXXXX type bridge_slave hairpin on
//   ip link set dev vethXXXXXXX up
//   nsenter --net=<ns file> ip addr add 172.17.0.2/16 dev eth0
//   nsenter --net=<ns file> ip link set dev eth0 up
//   nsenter --net=<ns file> ip route add default via 172.17.0.1 dev eth0
//
// Each group is one run of `ip -batch -` (a few ms). Node does not enter namespaces itself
// (docs/runtime.md), so nsenter(1) runs the second group inside the container's. Hairpin mode lets
// a container reach itself through a published port on the host's address, as the CNI bridge
// plugin's hairpinMode did.
import { TsdockerError } from '../errors';
import { runProgram } from '../sys/program';
import { trace } from '../trace';
import { linkExists } from './bridge';

export interface VethConfig {
  /** the host end: "veth" + 7 hex digits, as Docker names them (at most 15 characters) */
  host: string;
  /** the container end: eth0, eth1, ... */
  peer: string;
  mac: string;
  /** the container's pinned namespace file */
  netns: string;
  bridge: string;
  /** "172.17.0.2/16" */
  address: string;
  gateway: string;
  /** only the container's first network gives it a default route */
  defaultRoute: boolean;
}

/** Docker's MAC address for an IPv4 address: 02:42 (a locally administered prefix), then the address. */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((p) => Number(p).toString(16).padStart(2, '0'))].join(':');
}

/** Run `ip -batch -` with these commands, prefixed by `nsenter --net=FILE` for a namespace. */
function ipBatch(commands: string[], netns?: string): void {
  const prefix = netns ? ['nsenter', `--net=${netns}`] : [];
  for (const c of commands) trace('network', `${prefix.join(' ')}${prefix.length ? ' ' : ''}ip ${c}`);
  const argv = [...prefix, 'ip', '-batch', '-'];
  const r = runProgram(argv[0], argv.slice(1), { input: commands.join('\n') + '\n' });
  if (r.error) throw new TsdockerError(`${argv[0]}: ${r.error.message} (are iproute2 and util-linux installed?)`);
  if (r.status !== 0) {
    const shown = netns ? `in ${netns}: ` : '';
    throw new TsdockerError(`ip ${shown}${r.stderr.trim().split('\n').filter(Boolean).join('; ') || `exit status ${r.status}`}`);
  }
}

/** Make the pair and configure both ends; on failure nothing of it is left. */
export function addVeth(c: VethConfig): void {
  ipBatch([
    `link add ${c.host} type veth peer name ${c.peer} address ${c.mac} netns ${c.netns}`,
    `link set dev ${c.host} master ${c.bridge}`,
    `link set dev ${c.host} type bridge_slave hairpin on`,
    `link set dev ${c.host} up`,
  ]);
  try {
    ipBatch([
      `addr add ${c.address} dev ${c.peer}`,
      `link set dev ${c.peer} up`,
      ...(c.defaultRoute ? [`route add default via ${c.gateway} dev ${c.peer}`] : []),
    ], c.netns);
  } catch (err) {
    deleteVeth(c.host);
    throw err;
  }
}

/** Deleting one end deletes both. A pair already gone (its namespace was destroyed) is fine. */
export function deleteVeth(host: string): void {
  if (!linkExists(host)) return;
  trace('network', `ip link del ${host}`);
  const r = runProgram('ip', ['link', 'del', 'dev', host]);
  if (r.status !== 0 && linkExists(host)) throw new TsdockerError(`ip link del ${host}: ${r.stderr.trim() || r.error?.message}`);
}
