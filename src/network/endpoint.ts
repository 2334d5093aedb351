// One container on one network: an "endpoint" (Docker's word). Connecting it takes three steps:
//
//   address    the next free address of the network's subnet (leases.ts: one O_EXCL file each)
//   veth pair  one end in the container's namespace as eth0 (or eth1..), the other on the
//              network's bridge (rtnetlink.ts; veth.ts explains); the address and, on the
//              container's first network, the default route are set inside by the runtime
//              helper (interfaceOf); outbound NAT is one rule per network (masquerade.ts)
//   portmap    (with -p) the CNI portmap plugin: iptables DNAT rules from host ports to the
//              container's address, also for 127.0.0.1 (it sets route_localnet on the bridge, as
//              Docker does)
//
// The endpoint is kept in <root>/networks/endpoints/<network id>/<container id>.json, with what the
// container got in the shape of a CNI result (SPEC.md "Success"): portmap is given it on ADD and
// DEL (prevResult), and DEL must be given the same plugin configuration as ADD.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Undo } from '../container/undo';
import { wrap } from '../errors';
import { childPath, makeDirectories, removeFile } from '../fsutil';
import { randomHex } from '../random';
import { stateRoot } from '../root';
import { runProgram } from '../sys/program';
import { trace, tracing } from '../trace';
import { ensureBridge } from './bridge';
import { CNI_VERSION, execPlugin, type CniResult, type PluginConf } from './cni';
import { parseCidr } from './ipam';
import { leaseAddress, releaseAddress } from './leases';
import { ruleText } from './masquerade';
import { isPinned } from './netns';
import { bridgeDevice, cniName, networksDir, runDir, type NetworkRecord } from './networks';
import type { PortMapping } from './ports';
import type { NetworkInterface } from '../runtime';
import { addVethPair, deleteLink } from './rtnetlink';
import { insideConfig, macFor } from './veth';
import { O_CREAT, O_TRUNC, O_WRONLY, readDirectory, readText, writeText } from '../sys/libc';

export interface Endpoint {
  NetworkID: string;
  NetworkName: string;
  ContainerID: string;
  ContainerName: string;
  EndpointID: string;
  IfName: string;
  MacAddress: string;
  /** "172.18.0.2/16" */
  IPv4Address: string;
  Gateway: string;
  Ports: PortMapping[];
  Netns: string;
  Plugins: PluginConf[];
  Result: CniResult;
}

function endpointsDir(netId: string, root: string): string {
  return childPath(networksDir(root), 'endpoints', netId);
}

function endpointFile(netId: string, containerId: string, root: string): string {
  return childPath(endpointsDir(netId, root), `${containerId}.json`);
}

export function listEndpoints(netId: string, root = stateRoot()): Endpoint[] {
  let files: string[];
  try {
    files = readDirectory(endpointsDir(netId, root));
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith('.json')).flatMap((f) => readEndpoint(childPath(endpointsDir(netId, root), f)));
}

/** The endpoint recorded in `file`, as a list of one; none when it is missing or unreadable. */
function readEndpoint(file: string): Endpoint[] {
  try {
    const text = readText(file);
    return text === undefined ? [] : [JSON.parse(text) as Endpoint];
  } catch {
    return [];
  }
}

/** Every endpoint of a container, on any network of this root: its file in each network's
 *  directory (one read per network, not one per endpoint on the host). */
export function containerEndpoints(containerId: string, root = stateRoot()): Endpoint[] {
  let nets: string[];
  try {
    nets = readDirectory(childPath(networksDir(root), 'endpoints'));
  } catch {
    return [];
  }
  return nets.flatMap((n) => readEndpoint(endpointFile(n, containerId, root)));
}

export function removeEndpointsDir(netId: string, root = stateRoot()): void {
  fs.rmSync(endpointsDir(netId, root), { recursive: true, force: true });
}

/** The portmap plugin's configuration, for a container that publishes ports. */
function portmapConf(net: NetworkRecord, ports: PortMapping[]): PluginConf {
  return { cniVersion: CNI_VERSION, name: cniName(net), type: 'portmap', capabilities: { portMappings: true }, snat: true,
    runtimeConfig: { portMappings: ports } };
}

/** Routing between the bridge and the host's other interfaces, the containers' way out. Docker
 *  turns it on when it starts, the CNI bridge plugin (isGateway) on every ADD; one read here. */
function enableForwarding(): void {
  const file = '/proc/sys/net/ipv4/ip_forward';
  if (readText(file)?.trim() === '1') return;
  trace('sysctl', `write ${file} = 1`);
  writeText(file, '1');
}

export interface Joiner { id: string; name: string }

export function connectEndpoint(netIn: NetworkRecord, c: Joiner, netns: string, ifName: string, primary: boolean,
  ports: PortMapping[], root = stateRoot()): Endpoint {
  const net = ensureBridge(netIn, root);
  const { Subnet, Gateway } = net.IPAM.Config[0];
  const subnet = parseCidr(Subnet);
  const leases = cniName(net);
  const undo = new Undo();
  try {
    enableForwarding();
    const ip = leaseAddress(runDir(), leases, subnet, Gateway, netns, ifName);
    undo.push(`release ${ip}`, () => releaseAddress(runDir(), leases, ip, netns));
    const endpointId = randomHex(32);
    const host = `veth${endpointId.slice(0, 7)}`;
    const mac = macFor(ip);
    const address = `${ip}/${subnet.prefix}`;
    addVethPair({ host, peer: ifName, peerMac: mac, netns, bridge: bridgeDevice(net) });
    undo.push(`delete ${host}`, () => deleteLink(host));
    const result: CniResult = {
      cniVersion: CNI_VERSION,
      interfaces: [{ name: bridgeDevice(net) }, { name: host }, { name: ifName, mac, sandbox: netns }],
      ips: [{ interface: 2, address, gateway: Gateway }],
      routes: primary ? [{ dst: '0.0.0.0/0', gw: Gateway }] : [],
    };
    const plugins = ports.length > 0 ? [portmapConf(net, ports)] : [];
    const args = { containerId: c.id, netns, ifName };
    for (const p of plugins) {
      execPlugin({ ...p, prevResult: result }, { command: 'ADD', ...args });
      undo.push(`${p.type} DEL`, () => execPlugin({ ...p, prevResult: result }, { command: 'DEL', ...args }));
    }
    const ep: Endpoint = {
      NetworkID: net.Id, NetworkName: net.Name, ContainerID: c.id, ContainerName: c.name,
      EndpointID: endpointId, IfName: ifName, MacAddress: mac, IPv4Address: address, Gateway,
      Ports: ports, Netns: netns, Plugins: plugins, Result: result,
    };
    if (tracing()) {
      trace('iptables', `-A POSTROUTING ${ruleText(bridgeDevice(net), Subnet)} ` +
        `(network ${net.Name}: outbound NAT for all of its containers, added with its bridge)`);
      for (const rule of iptablesRules(c.id)) trace('iptables', rule);
    }
    const file = endpointFile(net.Id, c.id, root);
    makeDirectories(path.dirname(file), 0o700);
    writeText(file, JSON.stringify(ep, null, 2) + '\n', O_WRONLY | O_CREAT | O_TRUNC, 0o600);
    undo.clear();
    return ep;
  } catch (err) {
    undo.run();
    throw wrap(err, `connect container ${c.id.slice(0, 12)} to network ${net.Name}`);
  }
}

/** The endpoint's interface as the runtime helper configures it inside the container's namespace;
 *  the default route only on the container's first network (its CNI-shaped result has it). */
export function interfaceOf(ep: Endpoint): NetworkInterface {
  return insideConfig(ep.IfName, ep.IPv4Address, ep.Gateway, (ep.Result.routes ?? []).some((r) => r.dst === '0.0.0.0/0'));
}

/** The endpoint's host end of the veth pair. */
function hostVeth(ep: Endpoint): string | undefined {
  return ep.Result.interfaces?.find((i) => !i.sandbox && i.name.startsWith('veth'))?.name;
}

/**
 * portmap's DEL, the veth pair, the lease; the endpoint file goes last, so a DEL that fails
 * half-way is tried again by the next cleanup. Each step accepts what is already gone.
 *
 * With `namespaceGoing` (the container is gone, no process is left in its namespace, and its pin
 * is removed next) the pair is not deleted here: a veth pair is destroyed with the namespace that
 * holds one of its ends (veth(4)), which the kernel does in the background once the pin is gone.
 * `ip link del` waits for that same teardown (about 25 ms here: unregistering a network device
 * waits for RCU grace periods), so a `run --rm` would wait for it too. `network disconnect` of a
 * running container deletes the pair, since its namespace stays.
 */
export function disconnectEndpoint(ep: Endpoint, root = stateRoot(), opts: { namespaceGoing?: boolean } = {}): void {
  const netns = isPinned(ep.Netns) ? ep.Netns : '';
  for (const p of [...ep.Plugins].reverse()) {
    execPlugin({ ...p, prevResult: ep.Result }, { command: 'DEL', containerId: ep.ContainerID, netns, ifName: ep.IfName });
  }
  const host = hostVeth(ep);
  if (host && opts.namespaceGoing) trace('network', `${host}: goes with the container's namespace (no process is left in it)`);
  else if (host) deleteLink(host); // a pair already gone with its namespace is fine (ENODEV)
  releaseAddress(runDir(), cniName({ Name: ep.NetworkName, Id: ep.NetworkID }), ep.IPv4Address.split('/')[0], ep.Netns);
  removeFile(endpointFile(ep.NetworkID, ep.ContainerID, root));
  trace('network', `container ${ep.ContainerID.slice(0, 12)} left network ${ep.NetworkName} (${ep.IPv4Address} released)`);
}

/** The iptables rules portmap made for a container: those whose comment names its id, and the
 *  rules of the per-container chains they jump to. */
export function iptablesRules(containerId: string): string[] {
  const r = runProgram('iptables-save', []);
  if (r.status !== 0) return [];
  const lines = r.stdout.split('\n');
  const own = lines.filter((l) => l.includes(`id: \\"${containerId}\\"`));
  const chains = new Set(own.map((l) => /-j (CNI-(?!HOSTPORT)[\w-]+)/.exec(l)?.[1]).filter(Boolean));
  return lines.filter((l) => own.includes(l) || [...chains].some((c) => l.startsWith(`-A ${c} `)));
}
