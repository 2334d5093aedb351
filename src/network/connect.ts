// The part of attach.ts for networks with a bridge (the default `bridge` and user networks):
// host ports, one endpoint per network (address, veth pair, CNI portmap: endpoint.ts), and /etc/hosts.
import { hostsFile } from '../container/etcfiles';
import type { ContainerRecord } from '../container/types';
import type { Undo } from '../container/undo';
import { TsdockerError } from '../errors';
import { hostsPath, settingsOf, type NetworkSettings } from './attach';
import type { NetworkInterface } from '../runtime';
import { connectEndpoint, containerEndpoints, disconnectEndpoint, interfaceOf, type Endpoint } from './endpoint';
import { refreshHosts } from './hosts';
import { rewriteText } from '../sys/libc';
import { getNetwork, isUserDefined, runDir } from './networks';
import { allocatePorts, portMap, releasePorts } from './ports';

/** --add-host NAME:host-gateway means the address of the host on the container's network. */
function extraHosts(rec: ContainerRecord, gateway: string): string[] {
  return (rec.HostConfig.ExtraHosts ?? []).map((h) => h.replace(/:host-gateway$/, `:${gateway}`));
}

/** Ports, then each network in turn (the first gives the default route), then /etc/hosts; each
 *  step's undo goes on `undo`, which attachContainer runs if a later step fails. Returns the
 *  interfaces for the runtime helper to configure inside (veth.ts). */
export function connectNetworks(rec: ContainerRecord, settings: NetworkSettings, netns: string, undo: Undo,
  root: string): NetworkInterface[] {
  const ports = allocatePorts(rec.HostConfig.PortBindings ?? {}, runDir(), netns);
  undo.push('release host ports', () => releasePorts(runDir(), ports, netns));
  const endpoints: Endpoint[] = [];
  let named = false;
  Object.keys(settings.Networks).forEach((name, i) => {
    const net = getNetwork(name, root);
    named ||= isUserDefined(net);
    if (net.Driver !== 'bridge') throw new TsdockerError(`container cannot be connected to network ${name} together with others`);
    const ep = connectEndpoint(net, { id: rec.Id, name: rec.Name }, netns, `eth${i}`, i === 0, i === 0 ? ports : [], root);
    undo.push(`disconnect from ${name}`, () => disconnectEndpoint(ep, root));
    endpoints.push(ep);
    settings.Networks[name] = settingsOf(ep, isUserDefined(net) ? [rec.Name, rec.Id.slice(0, 12)] : null);
  });
  settings.Ports = portMap(ports, Object.keys(rec.Config.ExposedPorts ?? {}));

  const primary = endpoints[0];
  rewriteText(hostsPath(rec.Id, root), hostsFile(rec.Config.Hostname, rec.HostConfig.NetworkMode, undefined, {
    extraHosts: extraHosts(rec, primary?.Gateway ?? ''), address: primary?.IPv4Address.split('/')[0],
  }));
  // Only user networks give names (hosts.ts): on the default bridge alone, no list changes.
  if (named) refreshHosts((id) => hostsPath(id, root), [], root);
  return endpoints.map(interfaceOf);
}

/** DEL every endpoint of the container and release its ports; tries them all and returns the
 *  first failure rather than throwing it, so detachContainer can decide what to keep. With
 *  `namespaceGoing` (no process is left in the namespace, which is unpinned next) the veth pairs
 *  are left to go with it (endpoint.ts). */
export function disconnectNetworks(id: string, netns: string, root: string, namespaceGoing = false): { count: number; failure: unknown } {
  let failure: unknown;
  const endpoints = containerEndpoints(id, root);
  for (const ep of endpoints) {
    try {
      disconnectEndpoint(ep, root, { namespaceGoing });
      releasePorts(runDir(), ep.Ports, netns);
    } catch (err) {
      failure ??= err;
    }
  }
  if (endpoints.some((ep) => isUserDefined({ Name: ep.NetworkName }))) refreshHosts((hid) => hostsPath(hid, root), [id], root);
  return { count: endpoints.length, failure };
}
