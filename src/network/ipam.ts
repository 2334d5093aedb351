// Subnets. Each network owns one IPv4 subnet; inside it leases.ts hands out the addresses (one
// O_EXCL file per address, so 20 containers started at once never get the same one). This module
// chooses subnets: like Docker, from 172.17.0.0/16 ... 172.31.0.0/16 then 192.168.0.0/20 ...
// (moby's default address pools), skipping any that overlaps a route of the host (`ip route`),
// another network, or a subnet that the host's own address sits in.
import { TsdockerError } from '../errors';
import { runProgram } from '../sys/program';

export interface Cidr { base: number; prefix: number }

export function parseCidr(text: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text.trim());
  const parts = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || parts.some((p) => p > 255) || prefix < 0 || prefix > 32) {
    throw new TsdockerError(`invalid subnet "${text}": expected an IPv4 CIDR such as 172.20.0.0/16`);
  }
  const addr = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
  return { base: (addr & mask(prefix)) >>> 0, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** The first address of the subnet, the bridge's own (Docker's gateway convention). */
export function gatewayOf(c: Cidr): string {
  return formatIp(c.base + 1);
}

/** Docker's default pools: 172.17-31.0.0/16, then 192.168.0.0/16 cut into /20s. */
export function candidateSubnets(): Cidr[] {
  const out: Cidr[] = [];
  for (let b = 17; b <= 31; b++) out.push(parseCidr(`172.${b}.0.0/16`));
  for (let c = 0; c < 256; c += 16) out.push(parseCidr(`192.168.${c}.0/20`));
  return out;
}

export interface HostRoute { dst: string; dev: string }

/** The host's IPv4 routes that name a destination (not the default route): `ip -j -4 route`. */
export function hostRoutes(): HostRoute[] {
  const r = runProgram('ip', ['-j', '-4', 'route', 'show', 'table', 'main']);
  if (r.status !== 0) throw new TsdockerError(`ip route: ${(r.stderr || r.error?.message || '').trim()}`);
  const routes = JSON.parse(r.stdout || '[]') as { dst: string; dev?: string }[];
  return routes.filter((x) => x.dst !== 'default')
    .map((x) => ({ dst: x.dst.includes('/') ? x.dst : `${x.dst}/32`, dev: x.dev ?? '' }));
}

/** The host route that `subnet` collides with, ignoring routes through the network's own bridge. */
export function routeConflict(subnet: Cidr, routes: HostRoute[], ownDevice?: string): HostRoute | undefined {
  return routes.find((r) => r.dev !== ownDevice && overlaps(parseCidr(r.dst), subnet));
}

/** The first default pool that collides with nothing in use. */
export function chooseSubnet(inUse: Cidr[], routes: HostRoute[], prefer?: Cidr): Cidr {
  const free = (c: Cidr) => !routeConflict(c, routes) && !inUse.some((u) => overlaps(u, c));
  if (prefer && free(prefer)) return prefer;
  const found = candidateSubnets().find(free);
  if (!found) throw new TsdockerError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  return found;
}
