// How a container gets its network, called by the engine between the runtime's clone and the
// container's first instruction (the runtime reports the child's pid and waits; see
// src/runtime/index.ts beforeStart), so the command starts with its network ready:
//
//   pin the namespace    bind mount /proc/<pid>/ns/net on <root>/netns/<id> (netns.ts)
//   (loopback            lo is brought up by the runtime helper itself, in native/child.c)
//   host ports           -p/-P: claim host ports, random ones from the ephemeral range (ports.ts)
//   each network         address and veth pair; with -p, CNI `portmap` (endpoint.ts); the
//                        interfaces go back to the runtime, whose helper configures them inside
//   /etc/hosts           the container's own address; peers by name on user networks (hosts.ts)
//
// detachContainer undoes all of it when the container stops, is removed, or is found dead.
// `--network none` needs only the first step, so the modules of the others (connect.ts and what it
// uses) are loaded only for a network with a bridge.
import * as fs from 'node:fs';
import { containerDir, readRecord } from '../container/record';
import type { ContainerRecord } from '../container/types';
import { Undo } from '../container/undo';
import { childPath } from '../fsutil';
import { stateRoot } from '../root';
import { trace } from '../trace';
import type { NetworkInterface } from '../runtime';
import type { Endpoint } from './endpoint';
import { isPinned, namespaceInUse, netnsPath, pinNetns, unpinNetns } from './netns';
import type { PortMap } from './ports';

type Connect = typeof import('./connect');

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
  return childPath(containerDir(id, root), 'hosts');
}

/** Give the container (its first process is host pid `pid`, not yet running its command) its
 *  network; returns the interfaces the runtime helper is to configure inside its namespace. */
export function attachContainer(rec: ContainerRecord, pid: number, root = stateRoot()): NetworkInterface[] {
  const mode = rec.HostConfig.NetworkMode;
  if (!ownsNamespace(mode)) return [];
  const settings = rec.NetworkSettings ?? initialSettings(mode);
  rec.NetworkSettings = settings;
  const undo = new Undo();
  try {
    const netns = pinNetns(pid, rec.Id, root);
    undo.push(`unpin ${netns}`, () => unpinNetns(rec.Id, root));
    settings.SandboxKey = netns;
    if (mode === 'none') return [];
    const interfaces = (require('./connect') as Connect).connectNetworks(rec, settings, netns, undo, root);
    undo.clear();
    return interfaces;
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
  // A `none` container never has endpoints: `network connect` refuses it.
  const { count, failure } = rec.HostConfig.NetworkMode === 'none' ? { count: 0, failure: undefined }
    : (require('./connect') as Connect).disconnectNetworks(rec.Id, netns, root, isPinned(netns) && !namespaceInUse(netns));
  if (failure === undefined) {
    if (isPinned(netns) || fs.existsSync(netns)) unpinNetns(rec.Id, root);
  }
  if (rec.NetworkSettings) {
    // Another tsdocker may have connected or disconnected networks while this one ran.
    const onDisk = readRecord(rec.Id, root)?.NetworkSettings?.Networks ?? rec.NetworkSettings.Networks;
    rec.NetworkSettings = { SandboxKey: '', Ports: {},
      Networks: Object.fromEntries(Object.keys(onDisk).map((n) => [n, blankEndpoint()])) };
  }
  if (failure !== undefined) throw failure;
  if (count > 0) trace('network', `container ${rec.Id.slice(0, 12)}: network removed`);
}
