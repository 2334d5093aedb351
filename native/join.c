/*
 * Join mode, for `tsdocker exec`: a new process inside a container that is already running. Nothing
 * is made here (no mounts, no pivot_root): the container's process (JOIN pid) already did that, and
 * its namespaces hold the result. The steps, split between the two stages as runc's nsexec does:
 *
 *   [0:monitor] (host)  open_namespaces: stat /proc/<pid>/root, open every /proc/<pid>/ns/<type>,
 *                       setns(pid) (moves only our future children), then clone: the child is born
 *                       in the container's pid namespace, as setns(2) "CLONE_NEWPID" requires
 *   [1:join]            not dumpable, wait for GO (Node has put it in the container's cgroup), setns
 *                       user (if any) first, then cgroup, ipc, uts, net, and mnt last; check that "/"
 *                       is the container's root; pty; then the same last steps as run (child.c
 *                       become_command): user, capabilities, cwd inside the container, execve
 *
 * Every namespace file is opened before the first setns, as nsenter(1) does: once in the container's
 * mount namespace, /proc is the container's and the paths would name other processes. Node checks,
 * after PID and before GO, that the container's process is still the one it recorded (its start
 * time), so a pid reused meanwhile cannot send us into someone else's namespaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "protocol.h"
#include "runtime.h"
#include "util.h"

/* The namespace files, opened by the monitor and inherited by the child through fork. */
static int ns_fds[8];
/* The container's root directory as its own process sees it: what "/" must be after setns(mnt). */
static struct stat container_root;

/* The setns order (see the top of this file); pid is not here, the monitor joined it. */
static const struct { int flag; const char *name; } join_order[] = {
	{ CLONE_NEWUSER, "CLONE_NEWUSER" }, { CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { CLONE_NEWIPC, "CLONE_NEWIPC" },
	{ CLONE_NEWUTS, "CLONE_NEWUTS" }, { CLONE_NEWNET, "CLONE_NEWNET" }, { CLONE_NEWNS, "CLONE_NEWNS" },
};

int open_namespaces(struct config *c, char *why, size_t size)
{
	char root[64];
	snprintf(root, sizeof root, "/proc/%d/root", (int)c->join_pid);
	trace("join", "container process is host pid %d; stat %s", (int)c->join_pid, root);
	if (stat(root, &container_root) < 0) {
		snprintf(why, size, "find the root of the container's process: stat %s", root);
		return -1;
	}
	for (int i = 0; i < c->nnamespaces; i++) {
		struct namespace_entry *ns = &c->namespaces[i];
		ns_fds[i] = ns->path ? open(ns->path, O_RDONLY | O_CLOEXEC) : -1;
		if (!ns->path)
			errno = EINVAL;
		if (ns_fds[i] < 0) {
			snprintf(why, size, "open namespace %s", ns->path ? ns->path : "(exec only joins, it makes none)");
			return -1;
		}
	}
	for (int i = 0; i < c->nnamespaces; i++)
		if (c->namespaces[i].flag == CLONE_NEWPID) {
			trace("setns", "setns(%s, CLONE_NEWPID): our children are born in it", c->namespaces[i].path);
			if (setns(ns_fds[i], CLONE_NEWPID) < 0) {
				snprintf(why, size, "join pid namespace %s", c->namespaces[i].path);
				return -1;
			}
		}
	return 0;
}

static void enter_namespaces(struct config *c)
{
	for (size_t k = 0; k < sizeof join_order / sizeof join_order[0]; k++)
		for (int i = 0; i < c->nnamespaces; i++) {
			if (c->namespaces[i].flag != join_order[k].flag)
				continue;
			trace("setns", "setns(%s, %s)", c->namespaces[i].path, join_order[k].name);
			if (setns(ns_fds[i], join_order[k].flag) < 0)
				fail("setns %s", c->namespaces[i].path);
		}
	for (int i = 0; i < c->nnamespaces; i++)
		close(ns_fds[i]);
}

/* setns(2) into a mount namespace sets our root and cwd to that namespace's root, which after the
 * container's pivot_root (and the old root's detach) is the container's rootfs. Check it rather than
 * trust it: a process left outside would see the host. */
static void check_root(void)
{
	struct stat now;
	if (stat("/", &now) < 0)
		fail("stat / after joining the mount namespace");
	if (now.st_dev != container_root.st_dev || now.st_ino != container_root.st_ino) {
		errno = EXDEV;
		fail("after joining the mount namespace, / is not the container's root");
	}
	trace("join", "/ is the container's root (device %u:%u inode %llu)", major(now.st_dev), minor(now.st_dev),
	      (unsigned long long)now.st_ino);
}

_Noreturn void join_main(struct config *c, int stdio[3])
{
	set_stage_name("tsdocker:[1:join]");
	close(FD_FROM_NODE);
	close(FD_TO_NODE);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* In the container's pid namespace but still holding host descriptors: a process of the
	 * container must not open /proc/<our pid>/fd/N or ptrace us until execve, which makes us
	 * dumpable again (prctl(2) PR_SET_DUMPABLE; runc nsexec, CVE-2016-9962). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("prctl PR_SET_DUMPABLE");
	umask(0);
	for (int fd = 0; fd < 3; fd++)
		if (stdio[fd] >= 0 && dup2(stdio[fd], fd) < 0)
			fail("dup2 stdio %d", fd);
	wait_for(c, MSG_GO);
	enter_namespaces(c);
	if (c->argc == 0) {
		/* `network connect`: only the network namespace was joined, to configure what Node moved in. */
		configure_interfaces(c);
		_exit(0);
	}
	check_root();
	if (c->terminal)
		setup_terminal(c);
	become_command(c);
}
