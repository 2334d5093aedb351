/*
 * The protocol between Node (src/runtime/protocol.ts, which mirrors this file) and the helper.
 *
 * Node spawns native/tsdocker-runtime with two extra descriptors:
 *   fd 3  Node -> helper   the container's configuration, then GO
 *   fd 4  helper -> Node   PID, STARTED, ERROR, EXIT
 * The helper's monitor and the container child talk over a socketpair ("sync") with the same framing.
 *
 * Framing: every message is  u32 type | u32 length | payload  (host byte order), and the payload is a
 * list of NUL-terminated strings. Numbers travel as decimal text, so the C never parses JSON and a
 * message can be read in a hex dump. Node has already turned config.json into these simple records.
 *
 *   Node (src/runtime)            [0:monitor] (host pid ns)           [1:init] (new namespaces)
 *        |                              |                                    |
 *        |--- NAMESPACE, ROOTFS, ... -->|                                    |
 *        |--- END --------------------->|                                    |
 *        |                              |--- clone(CLONE_NEW*) ------------->|  waits on sync
 *        |<-- PID <host pid> -----------|                                    |
 *   cgroup.addProcess(pid)              |                                    |
 *        |--- GO ---------------------->|--- GO ---------------------------->|
 *   its network: the veth pair          |                                    |  unshare cgroup ns,
 *        |--- INTERFACE (bridge nets) ->|--- INTERFACE --------------------->|  lo up, mounts,
 *        |--- NETWORK ----------------->|--- NETWORK ---------------------->|  pivot_root,
 *        |                              |<-- PTY <master fd> (only with -t) -|  /dev/pts/0 inside
 *        |                              |--- PTY_ACK (window size set) ----->|
 *        |                              |                                    |  eth0 configured,
 *        |                              |                                    |  user, capabilities
 *        |                              |<-- ERROR errno message ------------|  on any failure, or
 *        |                              |<-- EOF (sync is O_CLOEXEC) --------|  execve succeeded
 *        |<-- ERROR or STARTED ---------|                                    |
 *        |<-- EXIT code signal ---------|<-- waitpid ------------------------|  exits
 *
 * The child is in its cgroup before GO, so nothing it does (not even a fork bomb during setup) runs
 * outside its limits; and the cgroup namespace is made after GO, so its root is the container's cgroup.
 */
#ifndef TSDOCKER_PROTOCOL_H
#define TSDOCKER_PROTOCOL_H

#define FD_FROM_NODE 3
#define FD_TO_NODE 4
#define MAX_MESSAGE (1 << 20)

enum message_type {
	/* Node -> helper: the configuration, in any order, closed by END. */
	MSG_NAMESPACE = 1, /* clone flag (CLONE_NEW*), path to join ("" = make a new one) */
	MSG_ROOTFS = 2,    /* path, readonly (0/1) */
	MSG_HOSTNAME = 3,  /* name */
	MSG_MOUNT = 4,     /* destination, fstype, source, flags (MS_*), propagation (MS_*), data */
	MSG_MASK = 5,      /* path */
	MSG_READONLY = 6,  /* path */
	MSG_ARG = 7,       /* one argv word, in order */
	MSG_ENV = 8,       /* one NAME=value */
	MSG_CWD = 9,       /* path */
	MSG_USER = 10,     /* uid, gid, additional gids... */
	MSG_CAPS = 11,     /* bounding, effective, permitted, inheritable, ambient (u64 bit masks) */
	MSG_RLIMIT = 12,   /* resource (RLIMIT_*), soft, hard */
	MSG_PROCESS = 13,  /* terminal, stdin, init, noNewPrivileges (each 0/1) */
	MSG_SYSCTL = 14,   /* path under /proc/sys (net/ipv4/ping_group_range), value */
	MSG_JOIN = 15,     /* exec: host pid of the running container's process, detach (0/1); no ROOTFS */
	MSG_SECCOMP = 16,  /* default action (SECCOMP_RET_* with its errno); rules follow as SECCOMP_RULE */
	MSG_SECCOMP_RULE = 17, /* syscall name, action (SECCOMP_RET_*), then per argument: index, op, value, valueTwo */
	MSG_INTERFACE = 18, /* name, IPv4 address, prefix length, gateway ("" = no default route): an interface
			     * Node has put in the container's network namespace, to be configured there.
			     * Sent after GO and before NETWORK (the monitor passes both on to the child), or,
			     * for `network connect`, in the configuration of a join that runs no command. */
	MSG_END = 19,
	MSG_GO = 20,       /* the child is in its cgroup: let it continue */
	MSG_NETWORK = 21,  /* run, after GO: the container's network is in place (INTERFACE records first) */

	/* helper -> Node */
	MSG_PID = 30,      /* host pid of the container's first process */
	MSG_STARTED = 31,  /* execve succeeded */
	MSG_ERROR = 32,    /* stage (setup, lookup, exec), errno, message */
	MSG_EXIT = 33,     /* exit code, signal (0 if it exited) */

	/* monitor <-> child, on the sync socketpair */
	SYNC_PTY = 40,     /* child -> monitor, carries the pty master as SCM_RIGHTS */
	SYNC_PTY_ACK = 41, /* monitor -> child: window size copied, go on */
	SYNC_PID_SENT = 42, /* monitor -> child (run): Node has our pid; make the root filesystem */
};

#endif
