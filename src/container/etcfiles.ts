// The three files every container gets in /etc, generated per container and bind-mounted over
// the image's own (as Docker does): hostname, hosts and resolv.conf. Pure text functions; rootfs.ts
// writes them into the container's directory.

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/** Docker's default /etc/hosts. Until the network issue gives containers an address, the private
 *  network namespace has only loopback, so the container's own name maps to 127.0.1.1 (the
 *  Debian convention for a host without a fixed address) and `ping $(hostname)` still works. */
export function hostsFile(hostname: string, network: 'default' | 'host' | 'none', hostHosts?: string): string {
  if (network === 'host' && hostHosts !== undefined) return hostHosts;
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    `127.0.1.1\t${hostname}`,
    '',
  ].join('\n');
}

/** Docker's fallback when no usable nameserver is left (libnetwork resolvconf defaults). */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/** The host's resolv.conf for the container. A nameserver on 127.x or ::1 listens in the host's
 *  network namespace and cannot be reached from a private one, so it is dropped (libnetwork
 *  resolvconf FilterResolvDNS); with none left, Docker's public fallbacks are used. Kept simple:
 *  no search-domain or options rewriting. */
export function resolvConf(hostText: string, network: 'default' | 'host' | 'none'): string {
  if (network === 'host') return hostText;
  const lines = hostText.split('\n').filter((l) => !/^\s*nameserver\s+(127\.\S*|::1)\s*$/.test(l));
  const text = lines.join('\n').replace(/\n*$/, '\n');
  if (/^\s*nameserver\s/m.test(text)) return text;
  return text.replace(/^\n$/, '') + FALLBACK_NAMESERVERS.map((n) => `nameserver ${n}\n`).join('');
}
