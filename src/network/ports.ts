// Published ports. `-p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]` and `-P` become Docker's
// HostConfig.PortBindings ({"80/tcp": [{HostIp, HostPort}]}); when the container starts, an empty
// HostPort becomes a free port of the host's ephemeral range, as Docker picks it. Each host port is
// claimed host-wide with an O_EXCL file under /run/tsdocker/ports, so two containers (from any
// tsdocker root) never publish the same port; the claim goes when the container stops. The
// forwarding itself is the CNI `portmap` plugin's: iptables DNAT rules (endpoint.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { compareText } from '../format';
import { removeFile } from '../fsutil';
import { trace } from '../trace';

export interface PortBinding { HostIp: string; HostPort: string }
/** "80/tcp" -> bindings; null for a port that is exposed but not published (Docker's shape) */
export type PortMap = Record<string, PortBinding[] | null>;

/** A resolved forward, as the portmap plugin takes it (its runtimeConfig.portMappings). */
export interface PortMapping { hostPort: number; containerPort: number; protocol: 'tcp' | 'udp'; hostIP?: string }

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}

function portNumber(text: string, what: string, spec: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    if (/^\d+-\d+$/.test(text)) throw new TsdockerError(`invalid port specification: "${spec}": port ranges are not supported by tsdocker`);
    throw new TsdockerError(`invalid ${what} "${text}" in port specification "${spec}"`);
  }
  return n;
}

/** One -p value -> its key ("80/tcp") and binding (Docker's nat.ParsePortSpec, IPv4 only). */
export function parsePublish(spec: string): { key: string; binding: PortBinding } {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (proto !== 'tcp' && proto !== 'udp') throw new TsdockerError(`invalid proto: ${proto} (tsdocker publishes tcp and udp)`);
  }
  const parts = rest.split(':');
  if (parts.length > 3) throw new TsdockerError(`invalid port specification: "${spec}" (IPv6 addresses are not supported by tsdocker)`);
  const [ip, hostPort, containerPort] = parts.length === 3 ? parts : parts.length === 2 ? ['', ...parts] : ['', '', parts[0]];
  if (ip !== '' && !isIPv4(ip)) throw new TsdockerError(`invalid IP address: ${ip}`);
  const cport = portNumber(containerPort, 'containerPort', spec);
  if (hostPort !== '') portNumber(hostPort, 'hostPort', spec);
  return { key: `${cport}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } };
}

/** The PortBindings of a container: every -p, plus (with -P) each EXPOSEd port on a random host port. */
export function portBindings(publish: string[], publishAll: boolean, exposed: string[]): PortMap {
  const map: PortMap = {};
  for (const p of publish) {
    const { key, binding } = parsePublish(p);
    (map[key] ??= []).push(binding);
  }
  if (publishAll) {
    for (const e of exposed) {
      const key = e.includes('/') ? e : `${e}/tcp`;
      if (!map[key]) map[key] = [{ HostIp: '', HostPort: '' }];
    }
  }
  return map;
}

function claimsDir(runDir: string): string {
  return path.join(runDir, 'ports');
}

/** Ports bound on the host by some program (/proc/net/tcp LISTEN and udp; proc(5)). */
function hostBusy(proto: 'tcp' | 'udp', port: number): boolean {
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4) continue;
      const local = parseInt(f[1].split(':')[1], 16);
      if (local === port && (proto === 'udp' || f[3] === '0A')) return true;
    }
  }
  return false;
}

/** Claim proto/port for the container whose pinned netns file is `owner`; false if taken. */
function claim(runDir: string, proto: string, port: number, owner: string): boolean {
  const file = path.join(claimsDir(runDir), `${proto}-${port}`);
  fs.mkdirSync(claimsDir(runDir), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, owner, { flag: 'wx' });
      trace('ports', `claim host port ${port}/${proto} (${file})`);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = '';
    try {
      holder = fs.readFileSync(file, 'utf8');
    } catch { /* released meanwhile */ }
    // A claim whose container network namespace is gone was left by a killed tsdocker.
    if (holder && fs.existsSync(holder)) return false;
    removeFile(file);
  }
  return false;
}

export function releasePorts(runDir: string, mappings: PortMapping[], owner: string): void {
  for (const m of mappings) {
    const file = path.join(claimsDir(runDir), `${m.protocol}-${m.hostPort}`);
    try {
      if (fs.readFileSync(file, 'utf8') === owner) {
        removeFile(file);
        trace('ports', `release host port ${m.hostPort}/${m.protocol}`);
      }
    } catch { /* not claimed */ }
  }
}

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo > 0 && hi >= lo) return [lo, hi];
  } catch { /* use Docker's defaults */ }
  return [32768, 60999];
}

/** Turn PortBindings into claimed mappings; on any failure the claims made so far are released. */
export function allocatePorts(bindings: PortMap, runDir: string, owner: string): PortMapping[] {
  const out: PortMapping[] = [];
  try {
    for (const [key, list] of Object.entries(bindings)) {
      const [cport, proto] = key.split('/') as [string, 'tcp' | 'udp'];
      for (const b of list ?? []) {
        const m: PortMapping = { hostPort: 0, containerPort: Number(cport), protocol: proto,
          ...(b.HostIp ? { hostIP: b.HostIp } : {}) };
        const shown = `${b.HostIp || '0.0.0.0'}:${b.HostPort}`;
        if (b.HostPort !== '') {
          m.hostPort = Number(b.HostPort);
          if (hostBusy(proto, m.hostPort)) {
            throw new TsdockerError(`driver failed programming external connectivity: listen ${proto} ${shown}: bind: address already in use`);
          }
          if (!claim(runDir, proto, m.hostPort, owner)) {
            throw new TsdockerError(`driver failed programming external connectivity: Bind for ${shown} failed: port is already allocated`);
          }
        } else {
          m.hostPort = randomPort(runDir, proto, owner);
        }
        out.push(m);
      }
    }
    return out;
  } catch (err) {
    releasePorts(runDir, out, owner);
    throw err;
  }
}

function randomPort(runDir: string, proto: 'tcp' | 'udp', owner: string): number {
  const [lo, hi] = ephemeralRange();
  const size = hi - lo + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = lo + ((start + i) % size);
    if (!hostBusy(proto, port) && claim(runDir, proto, port, owner)) return port;
  }
  throw new TsdockerError(`no free host port for ${proto} in ${lo}-${hi}`);
}

/** NetworkSettings.Ports of a running container: what each port is published on. */
export function portMap(mappings: PortMapping[], exposed: string[]): PortMap {
  const map: PortMap = {};
  for (const e of exposed) map[e.includes('/') ? e : `${e}/tcp`] = null;
  for (const m of mappings) {
    (map[`${m.containerPort}/${m.protocol}`] ??= []).push({ HostIp: m.hostIP ?? '0.0.0.0', HostPort: String(m.hostPort) });
  }
  return map;
}

function byPort(ports: PortMap | undefined): [string, PortBinding[] | null][] {
  return Object.entries(ports ?? {}).sort(([a], [b]) => parseInt(a) - parseInt(b) || compareText(a, b));
}

/** `ps` PORTS: "0.0.0.0:8080->80/tcp, 443/tcp" (Docker's DisplayablePorts, without range grouping). */
export function portsColumn(ports: PortMap | undefined): string {
  const out: string[] = [];
  for (const [key, list] of byPort(ports)) {
    if (!list || list.length === 0) out.push(key);
    else for (const b of list) out.push(`${b.HostIp}:${b.HostPort}->${key}`);
  }
  return out.join(', ');
}

/** `tsdocker port` lines: "80/tcp -> 0.0.0.0:8080". */
export function portLines(ports: PortMap | undefined, filter?: string): string[] {
  const want = filter && (filter.includes('/') ? filter : `${filter}/tcp`);
  const out: string[] = [];
  for (const [key, list] of byPort(ports)) {
    if (want && key !== want) continue;
    for (const b of list ?? []) out.push(want ? `${b.HostIp}:${b.HostPort}` : `${key} -> ${b.HostIp}:${b.HostPort}`);
  }
  return out;
}
