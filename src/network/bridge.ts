// The Linux bridge of a network: a virtual switch on the host (ip-link(8) "type bridge") whose own
// address is the containers' gateway. Each container's veth pair has one end in the container
// (eth0) and the other plugged into this bridge (veth.ts).
// tsdocker makes the bridge itself, under a host-wide lock, because the subnet must be chosen
// against the host's routes at the same moment: once the bridge has its address, its route is in
// `ip route` and the next tsdocker (of any root) sees the subnet as taken. A bridge that is gone
// (after a reboot) is made again on next use, after checking its subnet is still free.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { pathExists } from '../fsutil';
import { stateRoot } from '../root';
import { runProgram } from '../sys/program';
import { trace } from '../trace';
import { chooseSubnet, formatCidr, gatewayOf, hostRoutes, parseCidr, routeConflict, type Cidr } from './ipam';
import { withLock } from './lock';
import { ensureMasquerade, removeMasquerade } from './masquerade';
import { addUserNetwork, bridgeDevice, listNetworks, removeRecord, runDir, saveRecord, type NetworkRecord } from './networks';
import { readText } from '../sys/libc';

export function ip(args: string[], quiet = false): string {
  if (!quiet) trace('network', `ip ${args.join(' ')}`);
  const r = runProgram('ip', args);
  if (r.error) throw new TsdockerError(`ip ${args.join(' ')}: ${r.error.message} (is iproute2 installed?)`);
  if (r.status !== 0) throw new TsdockerError(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Every network device has a directory in sysfs (sysfs-class-net): no `ip` run needed. */
export function linkExists(dev: string): boolean {
  return pathExists(path.join('/sys/class/net', dev));
}

interface BridgeAddress { subnet: Cidr; gateway: string }

/** The IPv4 address and prefix of a device ("172.17.0.1/16"), if it has one. */
function deviceCidr(dev: string): BridgeAddress | undefined {
  const info = JSON.parse(ip(['-j', '-4', 'addr', 'show', 'dev', dev], true) || '[]') as
    { addr_info?: { local: string; prefixlen: number }[] }[];
  const a = info[0]?.addr_info?.[0];
  return a ? { subnet: parseCidr(`${a.local}/${a.prefixlen}`), gateway: a.local } : undefined;
}

/**
 * What this boot already knows of a bridge: its address, and that its NAT rule is in. Written once
 * the bridge is checked (or made) and its MASQUERADE rule added; /run/tsdocker and the bridge both
 * go away at reboot. With it, a container start runs neither `ip` nor `iptables` (about 10 ms
 * each here); without it (first use in this boot) the bridge is read with `ip -j addr`.
 */
function readyFile(dev: string): string {
  return path.join(runDir(), 'bridges', dev);
}

function readyAddress(dev: string): BridgeAddress | undefined {
  try {
    const text = readText(readyFile(dev));
    if (text === undefined) return undefined;
    const [cidr, gateway] = text.trim().split(' ');
    return linkExists(dev) ? { subnet: parseCidr(cidr), gateway } : undefined;
  } catch {
    return undefined;
  }
}

function markReady(dev: string, a: BridgeAddress): void {
  const subnet = formatCidr(a.subnet);
  ensureMasquerade(dev, subnet);
  fs.mkdirSync(path.dirname(readyFile(dev)), { recursive: true, mode: 0o700 });
  fs.writeFileSync(readyFile(dev), `${subnet} ${a.gateway}\n`);
}

function hostLock(): string {
  return path.join(runDir(), 'network.lock');
}

function makeBridge(dev: string, subnet: Cidr, gateway: string): void {
  ip(['link', 'add', 'name', dev, 'type', 'bridge']);
  try {
    ip(['addr', 'add', `${gateway}/${subnet.prefix}`, 'dev', dev]);
    ip(['link', 'set', 'dev', dev, 'up']);
  } catch (err) {
    runProgram('ip', ['link', 'del', 'dev', dev]);
    throw err;
  }
}

function subnetsInUse(root: string, except: NetworkRecord): Cidr[] {
  return listNetworks(root).filter((n) => n.Id !== except.Id)
    .flatMap((n) => n.IPAM.Config.map((c) => parseCidr(c.Subnet)));
}

/** Make sure the network's bridge exists with its address; returns the record with its subnet. */
export function ensureBridge(net: NetworkRecord, root = stateRoot()): NetworkRecord {
  const dev = bridgeDevice(net);
  // The usual case, a bridge this boot has checked already and whose address the record agrees
  // with, needs no lock: the ready file is read alone (a half-written one only means the way
  // below, under the lock).
  const known = readyAddress(dev);
  if (known && net.IPAM.Config[0]?.Subnet === formatCidr(known.subnet)) return net;
  return withLock(hostLock(), () => {
    const ready = readyAddress(dev);
    const current = ready ?? (linkExists(dev) ? deviceCidr(dev) : undefined);
    const recorded = net.IPAM.Config[0];
    if (current) {
      // The default bridge is shared by all roots: its address is the truth.
      if (!recorded || recorded.Subnet !== formatCidr(current.subnet)) {
        net.IPAM.Config = [{ Subnet: formatCidr(current.subnet), Gateway: current.gateway }];
        saveRecord(net, root);
      }
      if (!ready) markReady(dev, current);
      return net;
    }
    const routes = hostRoutes();
    let subnet: Cidr;
    if (net.Name === 'bridge') {
      subnet = chooseSubnet(subnetsInUse(root, net), routes, recorded ? parseCidr(recorded.Subnet) : undefined);
    } else {
      if (!recorded) throw new TsdockerError(`network ${net.Name} has no subnet`);
      subnet = parseCidr(recorded.Subnet);
      const clash = routeConflict(subnet, routes, dev);
      if (clash) {
        throw new TsdockerError(`network ${net.Name}: its subnet ${recorded.Subnet} now overlaps the host route ` +
          `${clash.dst} (dev ${clash.dev}); remove the network and create it again`);
      }
    }
    const gateway = recorded && recorded.Subnet === formatCidr(subnet) ? recorded.Gateway : gatewayOf(subnet);
    trace('network', `bridge ${dev}: subnet ${formatCidr(subnet)}, gateway ${gateway}`);
    makeBridge(dev, subnet, gateway);
    net.IPAM.Config = [{ Subnet: formatCidr(subnet), Gateway: gateway }];
    saveRecord(net, root);
    markReady(dev, { subnet, gateway });
    return net;
  });
}

/** `network create [--subnet CIDR] [--gateway IP] NAME`: the record and its bridge. */
export function createNetwork(name: string, opts: { subnet?: string; gateway?: string }, root = stateRoot()): NetworkRecord {
  return withLock(hostLock(), () => {
    const routes = hostRoutes();
    const inUse = listNetworks(root).flatMap((n) => n.IPAM.Config.map((c) => parseCidr(c.Subnet)));
    let subnet: Cidr;
    if (opts.subnet) {
      subnet = parseCidr(opts.subnet);
      const clash = routeConflict(subnet, routes);
      if (clash) throw new TsdockerError(`invalid pool request: subnet ${formatCidr(subnet)} overlaps the host route ${clash.dst} (dev ${clash.dev})`);
      if (inUse.some((u) => u.base === subnet.base || routeConflict(subnet, [{ dst: formatCidr(u), dev: '' }]))) {
        throw new TsdockerError(`invalid pool request: Pool overlaps with other one on this address space (${formatCidr(subnet)})`);
      }
    } else {
      if (opts.gateway) throw new TsdockerError('--gateway needs --subnet');
      subnet = chooseSubnet(inUse, routes);
    }
    const gateway = opts.gateway ?? gatewayOf(subnet);
    const net = addUserNetwork(name, { Subnet: formatCidr(subnet), Gateway: gateway }, root);
    try {
      trace('network', `bridge ${bridgeDevice(net)}: subnet ${formatCidr(subnet)}, gateway ${gateway}`);
      makeBridge(bridgeDevice(net), subnet, gateway);
      markReady(bridgeDevice(net), { subnet, gateway });
    } catch (err) {
      removeRecord(net, root);
      throw err;
    }
    return net;
  });
}

export function deleteBridge(net: NetworkRecord): void {
  const dev = bridgeDevice(net);
  const subnet = net.IPAM.Config[0]?.Subnet;
  fs.rmSync(readyFile(dev), { force: true });
  if (subnet) removeMasquerade(dev, subnet);
  if (linkExists(dev)) ip(['link', 'del', 'dev', dev]);
}
