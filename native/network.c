/*
 * The container's network interfaces, configured from inside its network namespace ([1:init], or
 * [1:join] for `network connect`). Node makes a bridge network's veth pair on the host with
 * rtnetlink (src/network/rtnetlink.ts), the container's end born in this namespace with its name
 * and MAC address; what only a process in the namespace can do is left: its IPv4 address, up, and
 * the default route. The same as these commands inside, with the ioctls of netdevice(7) that
 * ifconfig(8) and route(8) use:
 *
 *   ip link set lo up                                  SIOCSIFFLAGS lo IFF_UP
 *   ip addr add 172.17.0.2/16 brd + dev eth0           SIOCSIFADDR, SIOCSIFNETMASK (broadcast follows)
 *   ip link set eth0 up                                SIOCSIFFLAGS eth0 IFF_UP
 *   ip route add default via 172.17.0.1 dev eth0       SIOCADDRT (route(8) "add default gw")
 *
 * Node could not do this itself without entering the namespace, which a multithreaded process
 * must not (docs/runtime.md); starting `nsenter ip` instead cost two programs per container.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "runtime.h"
#include "util.h"

static int inet_socket(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fail("socket for configuring network interfaces");
	return s;
}

static void set_up(int s, const char *name)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail("SIOCGIFFLAGS %s", name);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fail("SIOCSIFFLAGS %s up", name);
}

/* An IPv4 address in a sockaddr, as the ioctls take it; a bad one is the caller's error. */
static void set_inet(struct sockaddr *sa, const char *text, const char *what)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, text, &sin->sin_addr) != 1) {
		errno = EINVAL;
		fail("%s: not an IPv4 address: \"%s\"", what, text);
	}
}

/* A new network namespace holds only a loopback device, and it is down (network_namespaces(7)). */
void loopback_up(void)
{
	trace("net", "ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP)");
	int s = inet_socket();
	set_up(s, "lo");
	close(s);
}

static void configure_interface(int s, struct interface_entry *e)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, e->name, IFNAMSIZ - 1);
	trace("net", "%s: ioctl(SIOCSIFADDR, %s), ioctl(SIOCSIFNETMASK, /%d), ioctl(SIOCSIFFLAGS, IFF_UP)", e->name,
	      e->address, e->prefix);
	set_inet(&ifr.ifr_addr, e->address, e->name);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		fail("SIOCSIFADDR %s %s", e->name, e->address);
	/* The address came with its class's mask (a /16 for 172.17.x.y); now the network's own. The
	 * kernel moves the subnet's route and the broadcast address with it. */
	struct sockaddr_in *mask = (struct sockaddr_in *)&ifr.ifr_netmask;
	mask->sin_family = AF_INET;
	mask->sin_addr.s_addr = htonl(e->prefix <= 0 ? 0 : 0xffffffffu << (32 - (e->prefix > 32 ? 32 : e->prefix)));
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		fail("SIOCSIFNETMASK %s /%d", e->name, e->prefix);
	set_up(s, e->name);
	if (!e->gateway[0])
		return;
	trace("net", "ioctl(SIOCADDRT, default via %s dev %s)", e->gateway, e->name);
	struct rtentry rt;
	memset(&rt, 0, sizeof rt);
	set_inet(&rt.rt_dst, "0.0.0.0", "default route");
	set_inet(&rt.rt_genmask, "0.0.0.0", "default route");
	set_inet(&rt.rt_gateway, e->gateway, "gateway");
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = e->name;
	if (ioctl(s, SIOCADDRT, &rt) < 0)
		fail("SIOCADDRT default via %s dev %s", e->gateway, e->name);
}

void configure_interfaces(struct config *c)
{
	if (c->ninterfaces == 0)
		return;
	int s = inet_socket();
	for (int i = 0; i < c->ninterfaces; i++)
		configure_interface(s, &c->interfaces[i]);
	close(s);
}
