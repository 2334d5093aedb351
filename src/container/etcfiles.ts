// The three files every container gets in /etc, generated per container and bind-mounted over
// the image's own (as Docker does): hostname, hosts and resolv.conf. Pure text functions; rootfs.ts
// writes them into the container's directory, and src/network rewrites hosts once the container
// has an address.

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

export interface HostsOptions {
  /** --add-host entries, "name:ip" */
  extraHosts?: string[];
  /** the container's own address on its first network, once it has one */
  address?: string;
}

/** Docker's /etc/hosts: the standard entries, then --add-host's, then the container's own name at
 *  its address. Before its network is set up (and with --network none) the own name maps to
 *  127.0.1.1 (the Debian convention for a host without a fixed address), so `ping $(hostname)`
 *  works. With the host's network, the host's file plus --add-host's. */
export function hostsFile(hostname: string, network: string, hostHosts?: string, o: HostsOptions = {}): string {
  const extra = (o.extraHosts ?? []).map((h) => {
    const at = h.search(/[:=]/);
    return `${h.slice(at + 1)}\t${h.slice(0, at)}`;
  });
  if (network === 'host' && hostHosts !== undefined) {
    return extra.length > 0 ? hostHosts.replace(/\n*$/, '\n') + extra.join('\n') + '\n' : hostHosts;
  }
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extra,
    `${o.address ?? '127.0.1.1'}\t${hostname}`,
    '',
  ].join('\n');
}

/** Docker's fallback when no usable nameserver is left (libnetwork resolvconf defaults). */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/** The host's resolv.conf for the container. A nameserver on 127.x or ::1 listens in the host's
 *  network namespace and cannot be reached from a private one, so it is dropped (libnetwork
 *  resolvconf FilterResolvDNS); with none left, Docker's public fallbacks are used. --dns replaces
 *  the nameservers and keeps the host's search and options lines. Kept simple: no search-domain
 *  or options rewriting. */
export function resolvConf(hostText: string, network: string, dns: string[] = []): string {
  if (dns.length > 0) {
    const kept = hostText.split('\n').filter((l) => l.trim() !== '' && !/^\s*nameserver\s/.test(l));
    return [...kept, ...dns.map((d) => `nameserver ${d}`)].join('\n') + '\n';
  }
  if (network === 'host') return hostText;
  const lines = hostText.split('\n').filter((l) => !/^\s*nameserver\s+(127\.\S*|::1)\s*$/.test(l));
  const text = lines.join('\n').replace(/\n*$/, '\n');
  if (/^\s*nameserver\s/m.test(text)) return text;
  return text.replace(/^\n$/, '') + FALLBACK_NAMESERVERS.map((n) => `nameserver ${n}\n`).join('');
}
