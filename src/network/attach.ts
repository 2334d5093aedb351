// How a container gets its network, called by the engine between the runtime's clone and the
// container's first instruction (the runtime reports the child's pid and waits; see
// src/runtime/index.ts beforeStart), so the command starts with its network ready:
//
//   pin the namespace    bind mount /proc/<pid>/ns/net on <root>/netns/<id> (netns.ts)
//   (loopback            lo is brought up by the runtime helper itself, in native/child.c)
//   host ports           -p/-P: claim host ports, random ones from the ephemeral range (ports.ts)
//   each network         CNI `bridge` (+ `portmap`): veth pair, address, routes, iptables (endpoint.ts)
//   /etc/hosts           the container's own address; peers by name on user networks (hosts.ts)
//
// detachContainer undoes all of it when the container stops, is removed, or is found dead.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostsFile } from '../container/etcfiles';
import { containerDir, readRecord } from '../container/record';
import type { ContainerRecord } from '../container/types';
import { Undo } from '../container/undo';
import { TsdockerError } from '../errors';
import { stateRoot } from '../root';
import { trace } from '../trace';
import { connectEndpoint, containerEndpoints, disconnectEndpoint, type Endpoint } from './endpoint';
import { refreshHosts } from './hosts';
import { isPinned, netnsPath, pinNetns, unpinNetns } from './netns';
import { getNetwork, isUserDefined, runDir } from './networks';
import { allocatePorts, portMap, releasePorts, type PortMap } from './ports';

/** Docker's EndpointSettings, the fields tsdocker fills. */
export interface EndpointSettings {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  DNSNames: string[] | null;
}

/** Docker's NetworkSettings of a container. */
export interface NetworkSettings {
  SandboxKey: string;
  Ports: PortMap;
  Networks: Record<string, EndpointSettings>;
}

export function blankEndpoint(): EndpointSettings {
  return { NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '', DNSNames: null };
}

/** At create: the networks the container will join ("bridge", a user network, "host", "none"). */
export function initialSettings(mode: string): NetworkSettings {
  const name = mode.startsWith('container:') ? '' : mode;
  return { SandboxKey: '', Ports: {}, Networks: name ? { [name]: blankEndpoint() } : {} };
}

/** Modes where the container has a namespace of its own that tsdocker equips. */
export function ownsNamespace(mode: string): boolean {
  return mode !== 'host' && !mode.startsWith('container:');
}

export function settingsOf(ep: Endpoint, aliases: string[] | null): EndpointSettings {
  const [ip, prefix] = ep.IPv4Address.split('/');
  return { NetworkID: ep.NetworkID, EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ip,
    IPPrefixLen: Number(prefix ?? 0), MacAddress: ep.MacAddress, DNSNames: aliases };
}

export function hostsPath(id: string, root = stateRoot()): string {
  return path.join(containerDir(id, root), 'hosts');
}

/** --add-host NAME:host-gateway means the address of the host on the container's network. */
function extraHosts(rec: ContainerRecord, gateway: string): string[] {
  return (rec.HostConfig.ExtraHosts ?? []).map((h) => h.replace(/:host-gateway$/, `:${gateway}`));
}

/** Give the container (its first process is host pid `pid`, not yet running its command) its network. */
export function attachContainer(rec: ContainerRecord, pid: number, root = stateRoot()): void {
  const mode = rec.HostConfig.NetworkMode;
  if (!ownsNamespace(mode)) return;
  const settings = rec.NetworkSettings ?? initialSettings(mode);
  rec.NetworkSettings = settings;
  const undo = new Undo();
  try {
    const netns = pinNetns(pid, rec.Id, root);
    undo.push(`unpin ${netns}`, () => unpinNetns(rec.Id, root));
    settings.SandboxKey = netns;
    if (mode === 'none') return;

    const ports = allocatePorts(rec.HostConfig.PortBindings ?? {}, runDir(), netns);
    undo.push('release host ports', () => releasePorts(runDir(), ports, netns));
    const names = Object.keys(settings.Networks);
    const endpoints: Endpoint[] = [];
    names.forEach((name, i) => {
      const net = getNetwork(name, root);
      if (net.Driver !== 'bridge') throw new TsdockerError(`container cannot be connected to network ${name} together with others`);
      const ep = connectEndpoint(net, { id: rec.Id, name: rec.Name }, netns, `eth${i}`, i === 0, i === 0 ? ports : [], root);
      undo.push(`disconnect from ${name}`, () => disconnectEndpoint(ep, root));
      endpoints.push(ep);
      settings.Networks[name] = settingsOf(ep, isUserDefined(net) ? [rec.Name, rec.Id.slice(0, 12)] : null);
    });
    settings.Ports = portMap(ports, Object.keys(rec.Config.ExposedPorts ?? {}));

    const primary = endpoints[0];
    const file = hostsPath(rec.Id, root);
    fs.writeFileSync(file, hostsFile(rec.Config.Hostname, mode, undefined, {
      extraHosts: extraHosts(rec, primary?.Gateway ?? ''), address: primary?.IPv4Address.split('/')[0],
    }));
    refreshHosts((id) => hostsPath(id, root), [], root);
    undo.clear();
  } catch (err) {
    undo.run();
    throw err;
  }
}

/** Take the container's network apart (idempotent; for a stopped, removed or dead container).
 *  A DEL that fails keeps the namespace pinned and the endpoint recorded, so a later cleanup can
 *  finish the job; the first failure is thrown after the others were tried. */
export function detachContainer(rec: ContainerRecord, root = stateRoot()): void {
  const netns = netnsPath(rec.Id, root);
  let failure: unknown;
  const endpoints = containerEndpoints(rec.Id, root);
  for (const ep of endpoints) {
    try {
      disconnectEndpoint(ep, root);
      releasePorts(runDir(), ep.Ports, netns);
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure === undefined) {
    if (isPinned(netns) || fs.existsSync(netns)) unpinNetns(rec.Id, root);
  }
  if (endpoints.length > 0) refreshHosts((id) => hostsPath(id, root), [rec.Id], root);
  if (rec.NetworkSettings) {
    // Another tsdocker may have connected or disconnected networks while this one ran.
    const onDisk = readRecord(rec.Id, root)?.NetworkSettings?.Networks ?? rec.NetworkSettings.Networks;
    rec.NetworkSettings = { SandboxKey: '', Ports: {},
      Networks: Object.fromEntries(Object.keys(onDisk).map((n) => [n, blankEndpoint()])) };
  }
  if (failure !== undefined) throw failure;
  if (endpoints.length > 0) trace('network', `container ${rec.Id.slice(0, 12)}: network removed`);
}
