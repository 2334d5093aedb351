// Where the Distribution API of a registry domain is reached, in the order to try.
//
// Docker Hub images go to each "registry-mirrors" entry first (a pull-through cache), then to
// registry-1.docker.io; other registries are reached at their own host. HTTPS always, except for
// hosts listed in "insecure-registries" and mirrors written with http://. Docker also tries HTTPS
// (without verification) before HTTP for an insecure registry, and treats 127.0.0.0/8 as insecure
// without being told; tsdocker speaks plain HTTP to a listed registry and nothing else, so what
// happens on the wire is what the config says.
import * as net from 'node:net';
import { TsdockerError } from '../errors';
import type { EngineConfig } from '../config';
import { DOCKER_HUB_DOMAIN, apiHost } from '../reference';
import { classifyHost } from './address';

export interface Endpoint {
  /** "https://registry-1.docker.io", "http://127.0.0.1:5000" */
  url: string;
  /** host[:port]: Authorization is only ever sent here */
  host: string;
  mirror: boolean;
  insecure: boolean;
  loopback: boolean;
}

export function endpointsFor(domain: string, config: EngineConfig): Endpoint[] {
  const out: Endpoint[] = [];
  if (domain === DOCKER_HUB_DOMAIN) {
    for (const mirror of config.registryMirrors) out.push(mirrorEndpoint(mirror));
  }
  const host = apiHost(domain);
  const insecure = isInsecureRegistry(host, config);
  out.push({ url: `${insecure ? 'http' : 'https'}://${host}`, host, mirror: false, insecure,
    loopback: isLoopback(host) });
  return out;
}

function mirrorEndpoint(mirror: string): Endpoint {
  let u: URL;
  try {
    u = new URL(mirror);
  } catch {
    throw new TsdockerError(`invalid registry mirror "${mirror}": expected a URL such as https://mirror.example`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '')) {
    throw new TsdockerError(`invalid registry mirror "${mirror}": expected http(s)://host[:port] without a path`);
  }
  return { url: u.origin, host: u.host, mirror: true, insecure: u.protocol === 'http:', loopback: isLoopback(u.host) };
}

/** Listed as host[:port], or inside a listed CIDR ("10.0.0.0/8") as Docker allows. */
export function isInsecureRegistry(host: string, config: EngineConfig): boolean {
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return config.insecureRegistries.some((entry) => {
    const e = entry.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase();
    if (e === host.toLowerCase() || e === hostname.toLowerCase()) return true;
    const cidr = /^(.+)\/(\d+)$/.exec(e);
    const family = cidr ? net.isIP(cidr[1]) : 0;
    if (!cidr || family === 0 || net.isIP(hostname) !== family) return false;
    const list = new net.BlockList();
    list.addSubnet(cidr[1], Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6');
    return list.check(hostname, family === 4 ? 'ipv4' : 'ipv6');
  });
}

function isLoopback(host: string): boolean {
  return classifyHost(host.replace(/:\d+$/, '')) === 'loopback';
}
