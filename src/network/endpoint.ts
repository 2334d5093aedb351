// One container on one network: an "endpoint" (Docker's word). Connecting runs the CNI plugins in
// order, each given the previous one's result (a conflist, SPEC.md "Network configuration lists"):
//
//   bridge     makes a veth pair, moves one end into the container's namespace as eth0 (or eth1..),
//              plugs the other into the network's bridge; asks host-local for an address and sets
//              it with the routes (outbound NAT is one rule per network, masquerade.ts)
//   portmap    (with -p) iptables DNAT rules from host ports to the container's address, also for
//              127.0.0.1 (it sets route_localnet on the bridge, as Docker does)
//
// The endpoint, with the exact plugin configurations and result, is kept in
// <root>/networks/endpoints/<network id>/<container id>.json: DEL must be given the same
// configuration and the ADD result, in reverse order, to remove exactly what ADD made.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wrap } from '../errors';
import { randomHex } from '../random';
import { stateRoot } from '../root';
import { trace, tracing } from '../trace';
import { ensureBridge } from './bridge';
import { CNI_VERSION, execPlugin, type CniResult, type PluginConf } from './cni';
import { ruleText } from './masquerade';
import { isPinned } from './netns';
import { bridgeDevice, cniName, networksDir, runDir, type NetworkRecord } from './networks';
import type { PortMapping } from './ports';

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
  return path.join(networksDir(root), 'endpoints', netId);
}

function endpointFile(netId: string, containerId: string, root: string): string {
  return path.join(endpointsDir(netId, root), `${containerId}.json`);
}

export function listEndpoints(netId: string, root = stateRoot()): Endpoint[] {
  let files: string[];
  try {
    files = fs.readdirSync(endpointsDir(netId, root));
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith('.json')).flatMap((f) => {
    try {
      return [JSON.parse(fs.readFileSync(path.join(endpointsDir(netId, root), f), 'utf8')) as Endpoint];
    } catch {
      return [];
    }
  });
}

/** Every endpoint of a container, on any network of this root. */
export function containerEndpoints(containerId: string, root = stateRoot()): Endpoint[] {
  let nets: string[];
  try {
    nets = fs.readdirSync(path.join(networksDir(root), 'endpoints'));
  } catch {
    return [];
  }
  return nets.flatMap((n) => listEndpoints(n, root).filter((e) => e.ContainerID === containerId));
}

export function removeEndpointsDir(netId: string, root = stateRoot()): void {
  fs.rmSync(endpointsDir(netId, root), { recursive: true, force: true });
}

/** The plugin chain for a container on a bridge network. Only the first network gives the default route. */
function pluginChain(net: NetworkRecord, primary: boolean, ports: PortMapping[]): PluginConf[] {
  const { Subnet, Gateway } = net.IPAM.Config[0];
  const name = cniName(net);
  const chain: PluginConf[] = [{
    cniVersion: CNI_VERSION, name, type: 'bridge', bridge: bridgeDevice(net), isGateway: true, ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: 'host-local', dataDir: path.join(runDir(), 'ipam'),
      ranges: [[{ subnet: Subnet, gateway: Gateway }]],
      routes: primary ? [{ dst: '0.0.0.0/0' }] : [],
    },
  }];
  if (ports.length > 0) {
    chain.push({ cniVersion: CNI_VERSION, name, type: 'portmap', capabilities: { portMappings: true }, snat: true,
      runtimeConfig: { portMappings: ports } });
  }
  return chain;
}

export interface Joiner { id: string; name: string }

export function connectEndpoint(netIn: NetworkRecord, c: Joiner, netns: string, ifName: string, primary: boolean,
  ports: PortMapping[], root = stateRoot()): Endpoint {
  const net = ensureBridge(netIn, root);
  const chain = pluginChain(net, primary, ports);
  const args = { containerId: c.id, netns, ifName };
  const done: PluginConf[] = [];
  let result: CniResult | undefined;
  try {
    for (const p of chain) {
      const conf = result ? { ...p, prevResult: result } : p;
      done.push(conf);
      result = execPlugin(conf, { command: 'ADD', ...args }) ?? result;
    }
  } catch (err) {
    for (const conf of done.reverse()) {
      try {
        execPlugin(result ? { ...conf, prevResult: result } : conf, { command: 'DEL', ...args });
      } catch (e) {
        trace('cleanup', (e as Error).message);
      }
    }
    throw wrap(err, `connect container ${c.id.slice(0, 12)} to network ${net.Name}`);
  }
  const res = result!;
  const eth = res.interfaces?.findIndex((i) => i.sandbox) ?? -1;
  const addr = res.ips?.find((i) => i.interface === eth) ?? res.ips?.[0];
  const ep: Endpoint = {
    NetworkID: net.Id, NetworkName: net.Name, ContainerID: c.id, ContainerName: c.name,
    EndpointID: randomHex(32), IfName: ifName,
    MacAddress: res.interfaces?.[eth]?.mac ?? '', IPv4Address: addr?.address ?? '', Gateway: addr?.gateway ?? '',
    Ports: ports, Netns: netns, Plugins: chain, Result: res,
  };
  traceResult(ep);
  if (tracing()) {
    trace('iptables', `-A POSTROUTING ${ruleText(bridgeDevice(net), net.IPAM.Config[0].Subnet)} ` +
      `(network ${net.Name}: outbound NAT for all of its containers, added with its bridge)`);
  }
  const file = endpointFile(net.Id, c.id, root);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(ep, null, 2) + '\n', { mode: 0o600 });
  return ep;
}

/** DEL in reverse order with the ADD result; the endpoint file goes last, so a DEL that fails
 *  half-way is tried again by the next cleanup. Plugins accept a DEL for something already gone. */
export function disconnectEndpoint(ep: Endpoint, root = stateRoot()): void {
  const netns = isPinned(ep.Netns) ? ep.Netns : '';
  for (const p of [...ep.Plugins].reverse()) {
    execPlugin({ ...p, prevResult: ep.Result }, { command: 'DEL', containerId: ep.ContainerID, netns, ifName: ep.IfName });
  }
  fs.rmSync(endpointFile(ep.NetworkID, ep.ContainerID, root), { force: true });
  trace('network', `container ${ep.ContainerID.slice(0, 12)} left network ${ep.NetworkName} (${ep.IPv4Address} released)`);
}

/** What the plugins made, step by step, for --trace: links, addresses, routes, iptables rules. */
function traceResult(ep: Endpoint): void {
  if (!tracing()) return;
  const ifs = ep.Result.interfaces ?? [];
  const bridge = ifs.find((i) => !i.sandbox && !i.name.startsWith('veth'));
  const veth = ifs.find((i) => !i.sandbox && i.name.startsWith('veth'));
  if (bridge) trace('network', `bridge ${bridge.name} (${bridge.mac ?? ''})`);
  if (veth) trace('network', `veth pair ${veth.name} (on ${bridge?.name ?? 'the bridge'}) <-> ${ep.IfName} (in ${ep.Netns}, mac ${ep.MacAddress})`);
  for (const a of ep.Result.ips ?? []) trace('network', `address ${a.address} on ${ep.IfName}, gateway ${a.gateway ?? '-'}`);
  for (const r of ep.Result.routes ?? []) trace('network', `route ${r.dst} via ${r.gw ?? ep.Gateway}`);
  for (const rule of iptablesRules(ep.ContainerID)) trace('iptables', rule);
}

/** The iptables rules the plugins made for a container: those whose comment names its id, and the
 *  rules of the per-container chains they jump to. */
export function iptablesRules(containerId: string): string[] {
  const r = spawnSync('iptables-save', [], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  const lines = r.stdout.split('\n');
  const own = lines.filter((l) => l.includes(`id: \\"${containerId}\\"`));
  const chains = new Set(own.map((l) => /-j (CNI-(?!HOSTPORT)[\w-]+)/.exec(l)?.[1]).filter(Boolean));
  return lines.filter((l) => own.includes(l) || [...chains].some((c) => l.startsWith(`-A ${c} `)));
}
