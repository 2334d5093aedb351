// `network rm`, `inspect`, `connect` and `disconnect`: the user-facing operations on networks that
// exist (bridge.ts creates them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getContainer } from '../container/list';
import { writeRecord } from '../container/record';
import type { ContainerRecord } from '../container/types';
import { TsdockerError } from '../errors';
import { stateRoot } from '../root';
import { blankEndpoint, hostsPath, settingsOf } from './attach';
import { deleteBridge } from './bridge';
import { connectEndpoint, containerEndpoints, disconnectEndpoint, interfaceOf, listEndpoints, removeEndpointsDir } from './endpoint';
import { refreshHosts } from './hosts';
import { isPinned } from './netns';
import { cniName, getNetwork, isUserDefined, PREDEFINED, removeRecord, runDir, type NetworkRecord } from './networks';
import { releasePorts } from './ports';

/** Docker's `network inspect` object: the record plus the containers attached now. */
export function inspectNetwork(net: NetworkRecord, root = stateRoot()): object {
  const containers = Object.fromEntries(listEndpoints(net.Id, root).map((e) => [e.ContainerID, {
    Name: e.ContainerName, EndpointID: e.EndpointID, MacAddress: e.MacAddress, IPv4Address: e.IPv4Address, IPv6Address: '',
  }]));
  return { ...net, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: containers };
}

export function removeNetwork(nameOrId: string, root = stateRoot()): NetworkRecord {
  const net = getNetwork(nameOrId, root);
  if (PREDEFINED.includes(net.Name)) throw new TsdockerError(`${net.Name} is a pre-defined network and cannot be removed`);
  if (listEndpoints(net.Id, root).length > 0) {
    throw new TsdockerError(`error while removing network: network ${net.Name} id ${net.Id} has active endpoints`);
  }
  deleteBridge(net);
  fs.rmSync(path.join(runDir(), 'ipam', cniName(net)), { recursive: true, force: true });
  removeEndpointsDir(net.Id, root);
  removeRecord(net, root);
  return net;
}

function checkMode(rec: ContainerRecord, net: NetworkRecord): void {
  const mode = rec.HostConfig.NetworkMode;
  if (net.Driver === 'host' || mode === 'host') throw new TsdockerError('container cannot be disconnected from host network or connected to host network');
  if (net.Driver === 'null' || mode === 'none') {
    throw new TsdockerError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
  }
  if (mode.startsWith('container:')) throw new TsdockerError('container sharing network namespace with another container or host cannot be connected to any other network');
}

/** `network connect`: a running container gets one more interface now; a stopped one at its next start. */
export async function connectContainer(netName: string, containerName: string, root = stateRoot()): Promise<void> {
  const net = getNetwork(netName, root);
  const rec = getContainer(containerName, root);
  checkMode(rec, net);
  const settings = rec.NetworkSettings ??= { SandboxKey: '', Ports: {}, Networks: {} };
  if (settings.Networks[net.Name]) throw new TsdockerError(`endpoint with name ${rec.Name} already exists in network ${net.Name}`);
  settings.Networks[net.Name] = blankEndpoint();
  if (rec.State.Running && isPinned(settings.SandboxKey)) {
    const used = new Set(containerEndpoints(rec.Id, root).map((e) => e.IfName));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    const ep = connectEndpoint(net, { id: rec.Id, name: rec.Name }, settings.SandboxKey, `eth${i}`, used.size === 0, [], root);
    try {
      const { configureInterfaces } = require('../runtime/exec') as typeof import('../runtime/exec');
      await configureInterfaces(rec.State.Pid, settings.SandboxKey, [interfaceOf(ep)]);
    } catch (err) {
      disconnectEndpoint(ep, root);
      throw err;
    }
    settings.Networks[net.Name] = settingsOf(ep, isUserDefined(net) ? [rec.Name, rec.Id.slice(0, 12)] : null);
    refreshHosts((id) => hostsPath(id, root), [], root);
  }
  writeRecord(rec, root);
}

/** `network disconnect`. */
export function disconnectContainer(netName: string, containerName: string, root = stateRoot()): void {
  const net = getNetwork(netName, root);
  const rec = getContainer(containerName, root);
  const settings = rec.NetworkSettings;
  if (!settings?.Networks[net.Name]) throw new TsdockerError(`container ${rec.Id} is not connected to network ${net.Name}`);
  checkMode(rec, net);
  const ep = containerEndpoints(rec.Id, root).find((e) => e.NetworkID === net.Id);
  if (ep) {
    disconnectEndpoint(ep, root);
    releasePorts(runDir(), ep.Ports, ep.Netns);
    refreshHosts((id) => hostsPath(id, root), [rec.Id], root);
  }
  delete settings.Networks[net.Name];
  writeRecord(rec, root);
}
