// Address leases: which container has which address of a network's subnet. One file per leased
// address, /run/tsdocker/ipam/<network>/<address>, created with O_EXCL (open(2): creation fails with
// EEXIST if the file exists), so two tsdockers starting containers at the same moment can never get
// the same address, and no lock is needed. This is the layout of the CNI host-local plugin, which
// tsdocker ran for this before (docs/network.md says why it no longer does).
//
// The file holds the owner's pinned network namespace file and interface. A lease whose namespace
// file is gone was left by a tsdocker killed half-way through a start, and is taken back.
import { TsdockerError } from '../errors';
import { trace } from '../trace';
import { childPath, makeDirectories, pathExists, removeFile } from '../fsutil';
import { formatIp, type Cidr } from './ipam';
import { O_CREAT, O_EXCL, O_WRONLY, readText, rewriteText, writeText } from '../sys/libc';

/** The address to try first is the one after the last leased (host-local's rotation): an address
 *  just released is not given out again at once, while other hosts may still have it in their ARP
 *  caches with the old container's MAC address. */
const LAST = 'last_reserved_ip.0';

function leaseDir(runDir: string, network: string): string {
  return childPath(runDir, 'ipam', network);
}

/** The usable addresses of the subnet, in order from just after `after`: neither the network
 *  address nor the broadcast address, nor the gateway. */
function* addresses(subnet: Cidr, gateway: string, after: number): Generator<string> {
  const size = 2 ** (32 - subnet.prefix);
  const start = after > subnet.base && after < subnet.base + size - 1 ? after - subnet.base : 0;
  for (let i = 1; i < size - 1; i++) {
    const ip = formatIp(subnet.base + 1 + ((start + i - 1) % (size - 2)));
    if (ip !== gateway) yield ip;
  }
}

function ownerOf(file: string): string | undefined {
  try {
    return readText(file)?.split('\n')[0];
  } catch {
    return undefined;
  }
}

/** Lease the next free address of `subnet` for the container whose pinned namespace is `netns`. */
export function leaseAddress(runDir: string, network: string, subnet: Cidr, gateway: string, netns: string,
  ifName: string): string {
  const dir = leaseDir(runDir, network);
  makeDirectories(dir, 0o700);
  let last = 0;
  try {
    last = ipNumber(readText(childPath(dir, LAST))?.trim() ?? '');
  } catch { /* no lease yet */ }
  for (const ip of addresses(subnet, gateway, last)) {
    const file = childPath(dir, ip);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeText(file, `${netns}\n${ifName}\n`, O_WRONLY | O_CREAT | O_EXCL, 0o600);
        // Rewritten in place, not truncated to nothing first: on ext4 that makes the close start
        // writing the file out (auto_da_alloc in ext4(5)), ~0.5 ms of every run where /run is not
        // a tmpfs.
        rewriteText(childPath(dir, LAST), ip, 0o644);
        trace('ipam', `lease ${ip} on ${network} (${file})`);
        return ip;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = ownerOf(file);
      if (owner === undefined || pathExists(owner)) break;
      removeFile(file); // its container's namespace is gone: a stale lease
    }
  }
  throw new TsdockerError(`no free address left in ${formatIp(subnet.base)}/${subnet.prefix} (network ${network})`);
}

/** Give the address back, if `netns` still holds it. */
export function releaseAddress(runDir: string, network: string, ip: string, netns: string): void {
  const file = childPath(leaseDir(runDir, network), ip);
  if (ownerOf(file) !== netns) return;
  removeFile(file);
  trace('ipam', `release ${ip} on ${network}`);
}

function ipNumber(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}
