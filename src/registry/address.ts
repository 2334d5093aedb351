// Which hosts a URL that came from the network may point at.
//
// A token realm (WWW-Authenticate) and a foreign layer's `urls` are chosen by the registry, or by
// whoever controls the image: followed blindly they let a hostile registry make tsdocker fetch
// http://169.254.169.254/ (the cloud metadata service) or a service on the host's private network
// (SSRF; ggcr validateRealmURL, #2258, #2259). Like ggcr we judge IP literals only; a DNS name is
// trusted as written.
//
// The rule:
//   - https only; plain http only when the registry itself is an insecure registry.
//   - link-local (169.254.0.0/16, fe80::/10), unspecified, multicast and broadcast: never.
//   - loopback and private addresses (and "localhost"): only when the registry itself is on a
//     loopback address or is listed in insecure-registries, i.e. a local or lab registry the
//     operator has vouched for. This is what lets the test registry on 127.0.0.1 use a token
//     server on 127.0.0.1, while a public registry can never send us there.
import * as net from 'node:net';
import { TsdockerError } from '../errors';

export type AddressKind = 'public' | 'loopback' | 'private' | 'forbidden';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const PRIVATE = new net.BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT (RFC 6598)
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // unique local

const FORBIDDEN = new net.BlockList();
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", includes the unspecified 0.0.0.0
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local: cloud metadata lives here
FORBIDDEN.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
FORBIDDEN.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, and 255.255.255.255 broadcast
FORBIDDEN.addAddress('::', 'ipv6');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN.addSubnet('ff00::', 8, 'ipv6');

/** Classify a URL hostname ("[::1]", "127.0.0.1", "example.com"). */
export function classifyHost(hostname: string): AddressKind {
  let host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  // An IPv4 address written as IPv6 ("::ffff:169.254.169.254") is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped) host = mapped[1];
  const family = net.isIP(host);
  if (family === 0) return 'public';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (FORBIDDEN.check(host, type)) return 'forbidden';
  if (LOOPBACK.check(host, type)) return 'loopback';
  if (PRIVATE.check(host, type)) return 'private';
  return 'public';
}

export interface OutboundPolicy {
  /** the registry is in insecure-registries (or is an http mirror) */
  insecure: boolean;
  /** the registry is on a loopback address */
  loopback: boolean;
}

/** Throw unless `url` (a realm, a foreign layer URL, or a redirect from one) may be contacted. */
export function checkOutboundUrl(url: URL, policy: OutboundPolicy, what: string): void {
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.insecure)) {
    throw new TsdockerError(`refusing ${what} ${shown}: only https is allowed for a secure registry`);
  }
  const kind = classifyHost(url.hostname);
  if (kind === 'forbidden') {
    throw new TsdockerError(`refusing ${what} ${shown}: link-local, multicast or unspecified address`);
  }
  if ((kind === 'loopback' || kind === 'private') && !policy.insecure && !policy.loopback) {
    throw new TsdockerError(`refusing ${what} ${shown}: ${kind} address named by a public registry`);
  }
}
