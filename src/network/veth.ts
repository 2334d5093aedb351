// A container's interface on a bridge network: a veth pair (veth(4)), two virtual interfaces joined
// like the two ends of a cable. One end is born inside the container's namespace as eth0 (or eth1,
// ...); the other stays on the host, plugged into the network's bridge. As commands:
//
//   ip link add vethXXXXXXX master tsdocker0 up type veth \
//       peer name eth0 address 02:42:ac:11:00:02 netns <ns file>      one rtnetlink message
//   echo 1 > /sys/class/net/vethXXXXXXX/brport/hairpin_mode          (rtnetlink.ts)
//   # inside the namespace:
//   ip addr add 172.17.0.2/16 dev eth0; ip link set eth0 up
//   ip route add default via 172.17.0.1                                the runtime helper
//
// The host half is rtnetlink from Node (the host's namespace is Node's own). The inside half needs
// a process in the container's namespace, which Node must not enter (docs/runtime.md): the runtime
// helper does it, as INTERFACE records (interfaceOf), in the container's first process before its
// command starts (native/network.c), or for `network connect` in a join that runs no command.
// Hairpin mode lets a container reach itself through a port published on the host's address.
// endpoint.ts does both halves (addVethPair, interfaceOf); this file holds what they share.
import type { NetworkInterface } from '../runtime';

/** Docker's MAC address for an IPv4 address: 02:42 (a locally administered prefix), then the address. */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((p) => Number(p).toString(16).padStart(2, '0'))].join(':');
}

/** What the helper sets inside: the address ("172.17.0.2/16") and, on the container's first
 *  network, the default route through the gateway. */
export function insideConfig(peer: string, address: string, gateway: string, defaultRoute: boolean): NetworkInterface {
  const [ip, prefix] = address.split('/');
  return { name: peer, address: ip, prefix: Number(prefix), gateway: defaultRoute ? gateway : '' };
}
