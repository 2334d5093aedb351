// The engine's side of networking (the network itself is src/network/): at create, check the
// network the container asks for and, for `--network container:NAME`, find the namespace to join;
// at start and stop, the hooks that give the container its network and take it away.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import type { NetworkInterface } from '../runtime';
import { stateRoot } from '../root';
import { getContainer } from './list';
import { containerDir } from './record';
import type { ContainerRecord, HostConfig } from './types';

export interface NetworkPlan {
  /** container:NAME: the namespace file to join */
  joinNetns?: string;
  /** container:NAME: its /etc/hosts and /etc/resolv.conf, shared as Docker shares them */
  hosts?: string;
  resolvConf?: string;
}

/** Check --network before anything is created; container:NAME becomes container:<full id>. */
export function planNetwork(hc: HostConfig, root = stateRoot()): NetworkPlan {
  const mode = hc.NetworkMode;
  if (mode.startsWith('container:')) {
    const other = getContainer(mode.slice('container:'.length), root);
    if (!other.State.Running) throw new TsdockerError(`cannot join network namespace of a non running container: ${other.Id}`);
    if (other.HostConfig.NetworkMode === 'host') throw new TsdockerError('cannot join the network of a container that uses the host network; use --network host');
    hc.NetworkMode = `container:${other.Id}`;
    const pinned = other.NetworkSettings?.SandboxKey;
    const dir = containerDir(other.Id, root);
    return {
      joinNetns: pinned && fs.existsSync(pinned) ? pinned : `/proc/${other.State.Pid}/ns/net`,
      hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf'),
    };
  }
  if (mode !== 'bridge' && mode !== 'host' && mode !== 'none') {
    const { getNetwork } = require('../network/networks') as typeof import('../network/networks');
    getNetwork(mode, root);
  }
  return {};
}

export function initialNetworkSettings(mode: string): ContainerRecord['NetworkSettings'] {
  const { initialSettings } = require('../network/attach') as typeof import('../network/attach');
  return initialSettings(mode);
}

/** For runBundle: the network is set up between clone and the container's first instruction;
 *  the runtime helper configures the interfaces returned from inside. */
export function attachNetwork(rec: ContainerRecord, pid: number, root = stateRoot()): NetworkInterface[] {
  const { attachContainer } = require('../network/attach') as typeof import('../network/attach');
  return attachContainer(rec, pid, root);
}

/** After the container's process is gone (idempotent): veths, addresses, rules, port claims. */
export function detachNetwork(rec: ContainerRecord, root = stateRoot()): void {
  const { detachContainer } = require('../network/attach') as typeof import('../network/attach');
  detachContainer(rec, root);
}
