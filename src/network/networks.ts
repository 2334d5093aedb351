// Network records, one JSON file per network under <root>/networks/<name>.json, in Docker's shape
// (moby api/types/network.Inspect), so `network inspect` shows what is stored. Three networks
// always exist, as in Docker: `bridge` (the default: the host-wide bridge tsdocker0, shared by
// every tsdocker root like docker0), `host` and `none`. User networks get a bridge of their own,
// br-<12 hex of the network id>, and a subnet chosen when they are created.
//
// State that must not outlive a reboot (like the bridges themselves) lives under /run/tsdocker:
// address leases, host port claims, and the lock for choosing subnets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isoTime } from '../clock';
import { TsdockerError } from '../errors';
import { compareText } from '../format';
import { childPath, pathExists, tempPath } from '../fsutil';
import { randomHex } from '../random';
import { stateRoot } from '../root';
import { readText } from '../sys/libc';

export interface IpamConfig { Subnet: string; Gateway: string }

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export const DEFAULT_BRIDGE = 'tsdocker0';
export const PREDEFINED = ['bridge', 'host', 'none'];
const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** Host-wide, per-boot state: $TSDOCKER_RUN or /run/tsdocker. */
export function runDir(): string {
  // Resolved like the state root: paths under it are joined as strings (childPath).
  const dir = process.env.TSDOCKER_RUN;
  return dir ? path.resolve(dir) : '/run/tsdocker';
}

export function networksDir(root = stateRoot()): string {
  return childPath(root, 'networks');
}

function recordFile(name: string, root: string): string {
  return childPath(networksDir(root), `${name}.json`);
}

/** The Linux bridge of a bridge network. */
export function bridgeDevice(net: NetworkRecord): string {
  return net.Options[BRIDGE_NAME_OPTION] ?? `br-${net.Id.slice(0, 12)}`;
}

/** The CNI network name: names the lease directory (leases.ts) and appears in portmap's iptables comments. */
export function cniName(net: Pick<NetworkRecord, 'Name' | 'Id'>): string {
  return net.Name === 'bridge' ? 'tsdocker-bridge' : `tsdocker-${net.Id.slice(0, 12)}`;
}

export function isUserDefined(net: Pick<NetworkRecord, 'Name'>): boolean {
  return !PREDEFINED.includes(net.Name);
}

function newRecord(name: string, driver: NetworkRecord['Driver'], config: IpamConfig[], options: Record<string, string>): NetworkRecord {
  return {
    Name: name, Id: randomHex(32), Created: isoTime(), Scope: 'local',
    Driver: driver, EnableIPv6: false, IPAM: { Driver: 'default', Options: {}, Config: config },
    Internal: false, Attachable: false, Ingress: false, Options: options, Labels: {},
  };
}

/** Write a new record; false if one by that name exists (link(2) fails with EEXIST: atomic). */
function addRecord(net: NetworkRecord, root: string): boolean {
  fs.mkdirSync(networksDir(root), { recursive: true, mode: 0o700 });
  const tmp = tempPath(`network-${net.Name}`, root);
  fs.writeFileSync(tmp, JSON.stringify(net, null, 2) + '\n', { mode: 0o600 });
  try {
    fs.linkSync(tmp, recordFile(net.Name, root));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export function saveRecord(net: NetworkRecord, root = stateRoot()): void {
  const tmp = tempPath(`network-${net.Name}`, root);
  fs.writeFileSync(tmp, JSON.stringify(net, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, recordFile(net.Name, root));
}

/** The three networks every root has; made on first use. */
function ensurePredefined(root: string): void {
  if (PREDEFINED.every((n) => pathExists(recordFile(n, root)))) return;
  addRecord(newRecord('bridge', 'bridge', [], { [BRIDGE_NAME_OPTION]: DEFAULT_BRIDGE,
    'com.docker.network.bridge.default_bridge': 'true' }), root);
  addRecord(newRecord('host', 'host', [], {}), root);
  addRecord(newRecord('none', 'null', [], {}), root);
}

export function listNetworks(root = stateRoot()): NetworkRecord[] {
  ensurePredefined(root);
  return fs.readdirSync(networksDir(root)).filter((f) => f.endsWith('.json'))
    .map((f) => readNetwork(f.slice(0, -5), root)).filter((n): n is NetworkRecord => n !== undefined)
    .sort((a, b) => compareText(a.Name, b.Name));
}

function readNetwork(name: string, root: string): NetworkRecord | undefined {
  try {
    const text = readText(recordFile(name, root));
    return text === undefined ? undefined : JSON.parse(text) as NetworkRecord;
  } catch {
    return undefined;
  }
}

/** By name, full id or unique id prefix, as Docker looks networks up. */
export function findNetwork(nameOrId: string, root = stateRoot()): NetworkRecord | undefined {
  ensurePredefined(root);
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(nameOrId)) {
    const byName = readNetwork(nameOrId, root);
    if (byName) return byName;
  }
  const matches = listNetworks(root).filter((n) => n.Id.startsWith(nameOrId));
  if (matches.length > 1) throw new TsdockerError(`network ${nameOrId} is ambiguous (${matches.length} matches found based on ID prefix)`);
  return matches[0];
}

export function getNetwork(nameOrId: string, root = stateRoot()): NetworkRecord {
  const net = findNetwork(nameOrId, root);
  if (!net) throw new TsdockerError(`network ${nameOrId} not found`);
  return net;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A user-defined bridge network record (its bridge is made by bridge.ts). */
export function addUserNetwork(name: string, subnet: IpamConfig, root = stateRoot()): NetworkRecord {
  if (!NAME_RE.test(name)) throw new TsdockerError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  ensurePredefined(root);
  const net = newRecord(name, 'bridge', [subnet], {});
  if (!addRecord(net, root)) throw new TsdockerError(`network with name ${name} already exists`);
  return net;
}

export function removeRecord(net: NetworkRecord, root = stateRoot()): void {
  fs.rmSync(recordFile(net.Name, root), { force: true });
}
