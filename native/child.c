/*
 * [1:init]: the container's first process, from clone(2) to execve(2). It starts in the new
 * namespaces with the host's filesystem still in view, and builds its own world in this order:
 *   join namespaces (setns), lo up, hostname, mounts (while Node puts it in its cgroup), GO (it is
 *   in its cgroup), new cgroup namespace, the cgroup filesystem, pivot_root, terminal, read-only
 *   and masked paths, the network's interfaces (NETWORK: Node made them meanwhile), rlimits, user
 *   and capabilities, cwd, close descriptors, seccomp
 *   filter (before the user and capabilities without no_new_privs: see become_command), execve.
 * Any failure goes back to the monitor as ERROR with errno and a message naming the step (util.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "message.h"
#include "protocol.h"
#include "runtime.h"
#include "seccomp.h"
#include "util.h"

/* Docker's PATH when the image sets none (moby oci.DefaultPathEnv). */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Wait for `until` from the monitor: PID_SENT (Node knows our pid), GO (we are in our cgroup),
 * PTY_ACK (terminal.c), or, for
 * run, NETWORK (our network is in place). Node's network records come on their own time, after
 * GO: INTERFACE records (the interfaces Node has moved into our network namespace, protocol.h)
 * and NETWORK may arrive while we wait for something else, and are kept. */
void wait_for(struct config *c, uint32_t until)
{
	const char *what = until == MSG_GO ? "wait for the monitor to release the container"
		: until == SYNC_PTY_ACK ? "wait for the monitor to take the pty"
		: until == SYNC_PID_SENT ? "wait for the monitor to report our pid" : "wait for the container's network";
	while (!(until == MSG_NETWORK && c->network_ready)) {
		struct message m;
		errno = 0;
		if (read_message(sync_fd, &m) != 0)
			fail_stage("setup", errno ? errno : EPIPE, "%s", what);
		uint32_t type = m.type;
		int bad = type == MSG_INTERFACE && apply_record(c, &m) < 0;
		free_message(&m);
		if (type == until)
			return;
		if (type == MSG_NETWORK)
			c->network_ready = 1;
		else if (type != MSG_INTERFACE || bad) {
			errno = EPROTO;
			fail("%s: unexpected message %u", what, type);
		}
	}
}

/* setns(2) into namespaces the spec names by path (e.g. --network container:x). The pid namespace
 * was joined by the monitor before clone, as setns only moves children into a pid namespace. The
 * mount namespace goes last: once in it, the other paths would resolve inside the container. */
static void join_namespaces(struct config *c)
{
	int fds[8], flags[8], n = 0;
	for (int i = 0; i < c->nnamespaces; i++) {
		struct namespace_entry *ns = &c->namespaces[i];
		if (!ns->path || ns->flag == CLONE_NEWPID)
			continue;
		fds[n] = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fds[n] < 0)
			fail("open namespace %s", ns->path);
		flags[n++] = ns->flag;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			if ((flags[i] == CLONE_NEWNS) != (pass == 1))
				continue;
			trace("setns", "join namespace %#x", flags[i]);
			if (setns(fds[i], flags[i]) < 0)
				fail("setns namespace %#x", flags[i]);
			close(fds[i]);
		}
}

/* Sysctls the spec sets for the container's own namespaces (validate.ts allows only those). The file
 * is opened in the container's fresh /proc, checked to be procfs (statfs(2) PROC_SUPER_MAGIC), never
 * through a symlink the image planted (CVE-2025-52881). */
static void write_sysctls(struct config *c)
{
	int rootfd = c->nsysctls ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	for (int i = 0; i < c->nsysctls; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "/proc/sys/%s", c->sysctl_paths[i]);
		int fd = open_in_root(rootfd, path, O_WRONLY | O_NOFOLLOW, 0);
		struct statfs fs;
		if (fd < 0)
			fail("open sysctl %s", path);
		if (fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
			errno = EXDEV;
			fail("sysctl %s is not on procfs", path);
		}
		trace("sysctl", "write %s = %s", path, c->sysctl_values[i]);
		if (write(fd, c->sysctl_values[i], strlen(c->sysctl_values[i])) < 0)
			fail("write sysctl %s", path);
		close(fd);
	}
	if (rootfd >= 0)
		close(rootfd);
}

static void set_rlimits(struct config *c)
{
	for (int i = 0; i < c->nrlimits; i++) {
		struct rlimit rl = { c->rlimits[i].soft, c->rlimits[i].hard };
		trace("rlimit", "setrlimit(%d, %llu, %llu)", c->rlimits[i].resource, c->rlimits[i].soft,
		      c->rlimits[i].hard);
		if (setrlimit(c->rlimits[i].resource, &rl) < 0)
			fail("setrlimit %d", c->rlimits[i].resource);
	}
}

/* After chdir the working directory must be inside the container: a cwd such as /proc/self/fd/N
 * naming a descriptor leaked from the host would put the process outside (CVE-2024-21626). The
 * kernel marks such a cwd "(unreachable)", which glibc's getcwd(3) reports as ENOENT. */
static void change_directory(struct config *c)
{
	char cwd[PATH_MAX];
	if (chdir(c->cwd) < 0)
		fail("chdir to working directory %s", c->cwd);
	if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') {
		errno = errno ? errno : ENOENT;
		fail("working directory %s is outside the container", c->cwd);
	}
}

/* The monitor blocks signals (for its signalfd) and ignores SIGPIPE; both survive execve, so undo
 * them, or the command would start deaf (signal(7), "Signal mask and pending signals"). */
static void reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static const char *env_value(struct config *c, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < c->envc; i++)
		if (strncmp(c->envp[i], name, n) == 0 && c->envp[i][n] == '=')
			return c->envp[i] + n + 1;
	return NULL;
}

/* PATH lookup inside the container, as Go's exec.LookPath does for runc: the first regular file
 * with an execute bit. A name with a slash is used as it is. */
static const char *look_path(struct config *c, const char *name, char *buf, size_t size)
{
	if (strchr(name, '/'))
		return name;
	const char *path = env_value(c, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	while (*path) {
		const char *end = strchrnul(path, ':');
		int n = (int)(end - path);
		snprintf(buf, size, "%.*s/%s", n ? n : 1, n ? path : ".", name);
		struct stat st;
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return buf;
		path = *end ? end + 1 : end;
	}
	fail_stage("lookup", ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

_Noreturn void exec_command(struct config *c)
{
	char buf[PATH_MAX];
	const char *path = look_path(c, c->argv[0], buf, sizeof buf);
	if (trace_on) {
		char args[1024] = "";
		for (int i = 0; i < c->argc && strlen(args) < sizeof args - 8; i++)
			snprintf(args + strlen(args), sizeof args - strlen(args), "%s\"%s\"", i ? ", " : "", c->argv[i]);
		trace("exec", "execve(\"%s\", [%s], %d environment variables)", path, args, c->envc);
	}
	static char *no_env[] = { NULL };
	execve(path, c->argv, c->envp ? c->envp : no_env);
	fail_stage("exec", errno, "exec: \"%s\"", path);
}

_Noreturn void child_main(struct config *c, int stdio[3])
{
	set_stage_name("tsdocker:[1:init]");
	/* Node's channel is the monitor's business; the container must not hold it. */
	close(FD_FROM_NODE);
	close(FD_TO_NODE);
	/* If the monitor dies, the container dies with it rather than run unwatched. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	umask(0);
	for (int fd = 0; fd < 3; fd++)
		if (stdio[fd] >= 0 && dup2(stdio[fd], fd) < 0)
			fail("dup2 stdio %d", fd);
	wait_for(c, SYNC_PID_SENT);
	join_namespaces(c);
	struct namespace_entry *net = find_namespace(c, CLONE_NEWNET);
	if (net && !net->path)
		loopback_up();
	if (c->hostname && c->hostname[0]) {
		trace("uts", "sethostname(\"%s\")", c->hostname);
		if (sethostname(c->hostname, strlen(c->hostname)) < 0)
			fail("sethostname %s", c->hostname);
	}
	/* Meanwhile Node moves us into our cgroup (the PID we sent it, written to cgroup.procs). */
	prepare_rootfs(c);
	wait_for(c, MSG_GO);
	/* Now, and not at clone: the cgroup namespace's root is the cgroup we are in when we make it,
	 * which is the container's own since Node has moved us there (cgroup_namespaces(7)); the
	 * cgroup filesystem, mounted in it, shows only that. */
	struct namespace_entry *cg = find_namespace(c, CLONE_NEWCGROUP);
	if (cg && !cg->path) {
		trace("unshare", "unshare(CLONE_NEWCGROUP)");
		if (unshare(CLONE_NEWCGROUP) < 0)
			fail("unshare cgroup namespace");
	}
	mount_cgroup_filesystems(c);
	pivot_into(c->rootfs);
	if (c->terminal)
		setup_terminal(c);
	write_sysctls(c);
	finish_rootfs(c);
	/* Node has given us our network meanwhile (its veth pair; for a bridge network, INTERFACE
	 * records): configured now, while we still have CAP_NET_ADMIN. */
	wait_for(c, MSG_NETWORK);
	configure_interfaces(c);
	become_command(c);
}

/* The last steps, the same for run and for exec (join.c). The seccomp filter goes as late as it can,
 * so that our own setup calls are not judged by it: with no_new_privs, right before execve; without,
 * installing a filter needs CAP_SYS_ADMIN (seccomp(2)), which the container's user may be about to
 * lose, so before the user and capabilities change, as runc does (standard_init_linux.go). */
_Noreturn void become_command(struct config *c)
{
	set_rlimits(c);
	if (!c->no_new_privs)
		install_seccomp(c);
	set_user_and_capabilities(c);
	change_directory(c);
	umask(022);
	reset_signals();
	/* Only 0, 1 and 2 may reach the command (CVE-2024-21626). CLOEXEC rather than close: the sync
	 * socket must stay open until execve, whose success is what closes it. */
	trace("exec", "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)");
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail("close_range");
	if (c->no_new_privs)
		install_seccomp(c);
	if (c->init)
		run_init(c);
	exec_command(c);
}
