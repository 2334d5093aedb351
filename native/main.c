/*
 * tsdocker-runtime: turns the configuration Node sends (protocol.h) into a running container.
 * This process is [0:monitor]. It stays on the host, like conmon: it clones [1:init] into the new
 * namespaces (child.c), tells Node the child's pid so Node can put it in its cgroup, releases it,
 * relays its stdio (pipes, or the pty master with -t), forwards signals, and reports how it exited.
 *
 * Why C, and why a separate process: the namespace and mount work needs a single-threaded process,
 * and Node always runs several threads (see docs/runtime.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "message.h"
#include "protocol.h"
#include "runtime.h"
#include "util.h"

/* Signals the monitor passes on to the container, as `docker run` does with --sig-proxy. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static _Noreturn void monitor_fail(int err, const char *message)
{
	char number[16];
	snprintf(number, sizeof number, "%d", err);
	const char *fields[] = { "setup", number, message, NULL };
	write_message(FD_TO_NODE, MSG_ERROR, fields);
	exit(1);
}

static void send_number(uint32_t type, long a, long b, int count)
{
	char x[24], y[24];
	snprintf(x, sizeof x, "%ld", a);
	snprintf(y, sizeof y, "%ld", b);
	const char *fields[] = { x, count > 1 ? y : NULL, NULL };
	write_message(FD_TO_NODE, type, fields);
}

static const char *clone_flag_names(unsigned long flags)
{
	static const struct { unsigned long flag; const char *name; } names[] = {
		{ CLONE_NEWPID, "CLONE_NEWPID" }, { CLONE_NEWNS, "CLONE_NEWNS" }, { CLONE_NEWUTS, "CLONE_NEWUTS" },
		{ CLONE_NEWIPC, "CLONE_NEWIPC" }, { CLONE_NEWNET, "CLONE_NEWNET" }, { CLONE_NEWCGROUP, "CLONE_NEWCGROUP" },
	};
	static char buf[256];
	strcpy(buf, "SIGCHLD");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags & names[i].flag) {
			strcat(buf, "|");
			strcat(buf, names[i].name);
		}
	return buf;
}

/* setns(2) with CLONE_NEWPID moves our future children, not us: do it before clone. */
static void join_pid_namespace(struct config *c)
{
	struct namespace_entry *ns = find_namespace(c, CLONE_NEWPID);
	if (!ns || !ns->path)
		return;
	int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	trace("setns", "join pid namespace %s", ns->path);
	if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
		monitor_fail(errno, "join pid namespace");
	close(fd);
}

/* New namespaces come from clone itself, except cgroup: see child.c for why it waits. */
static unsigned long clone_flags(struct config *c)
{
	unsigned long flags = 0;
	for (int i = 0; i < c->nnamespaces; i++)
		if (!c->namespaces[i].path && c->namespaces[i].flag != CLONE_NEWCGROUP)
			flags |= c->namespaces[i].flag;
	return flags;
}

static void set_nonblocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* The poll(2) slots of the relay loop; a slot whose fd is -1 is ignored. */
enum { P_SIGNAL, P_NODE, P_SYNC, P_STDIN, P_INPUT, P_OUT, P_ERR, P_COUNT };

struct relay {
	struct pollfd p[P_COUNT];
	int master;          /* pty master, with -t */
	int input;           /* where our stdin goes: the child's stdin pipe or the pty master */
	int stdin_open;      /* -i, until our stdin reaches end of file */
	char pending[65536]; /* read from our stdin, not yet taken by the container */
	size_t len, off;
};

/* Copy what is readable from `from` to our own fd `to`; returns 0 at end of file. */
static int copy_out(int from, int to)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0; /* EOF, or EIO on a pty master once every terminal side is closed */
	write_all(to, buf, n);
	return 1;
}

static void close_slot(struct relay *r, int slot)
{
	if (r->p[slot].fd >= 0 && r->p[slot].fd != r->master)
		close(r->p[slot].fd);
	r->p[slot].fd = -1;
}

static void on_sync_message(struct relay *r, int *error_seen)
{
	struct message m;
	int got = read_message(r->p[P_SYNC].fd, &m);
	if (got != 0) {
		/* The sync socket is O_CLOEXEC: end of file without an ERROR means execve succeeded. */
		if (!*error_seen)
			write_message(FD_TO_NODE, MSG_STARTED, NULL);
		close_slot(r, P_SYNC);
		return;
	}
	if (m.type == MSG_ERROR && m.nfields >= 3) {
		*error_seen = 1;
		write_message(FD_TO_NODE, MSG_ERROR, (const char *const *)m.fields);
	} else if (m.type == SYNC_PTY && m.fd >= 0) {
		r->master = r->input = m.fd;
		set_nonblocking(r->master);
		copy_window_size(r->master);
		r->p[P_OUT].fd = r->master;
		write_message(r->p[P_SYNC].fd, SYNC_PTY_ACK, NULL);
	}
	free_message(&m);
}

static void on_signal(struct relay *r, int sigfd, pid_t child, int *status, int *exited)
{
	struct signalfd_siginfo si;
	if (read(sigfd, &si, sizeof si) != sizeof si)
		return;
	if (si.ssi_signo == SIGCHLD) {
		if (waitpid(child, status, WNOHANG) == child)
			*exited = 1;
	} else if (si.ssi_signo == SIGWINCH) {
		if (r->master >= 0)
			copy_window_size(r->master);
	} else {
		trace("signal", "forward signal %d to pid %d", si.ssi_signo, child);
		kill(child, si.ssi_signo);
	}
}

static void on_stdin(struct relay *r)
{
	ssize_t n = read(0, r->pending, sizeof r->pending);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		r->len = n;
		r->off = 0;
		return;
	}
	/* End of our stdin: the container's stdin pipe reaches end of file too. */
	r->stdin_open = 0;
	if (r->master < 0) {
		close(r->input);
		r->input = -1;
	}
}

static void on_input_writable(struct relay *r)
{
	ssize_t n = write(r->input, r->pending + r->off, r->len - r->off);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		r->len = r->off = 0; /* the container closed its stdin: drop the input */
		r->stdin_open = 0;
		return;
	}
	if (n > 0)
		r->off += n;
	if (r->off == r->len)
		r->len = r->off = 0;
}

static int relay(struct relay *r, int sigfd, pid_t child)
{
	int status = 0, exited = 0, error_seen = 0;
	while (!exited || r->p[P_SYNC].fd >= 0 || r->p[P_OUT].fd >= 0 || r->p[P_ERR].fd >= 0) {
		/* Read our stdin only when the container has taken what we read last. */
		r->p[P_STDIN].fd = (r->stdin_open && r->input >= 0 && r->len == 0) ? 0 : -1;
		r->p[P_INPUT].fd = r->len > 0 ? r->input : -1;
		if (poll(r->p, P_COUNT, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r->p[P_SIGNAL].revents)
			on_signal(r, sigfd, child, &status, &exited);
		if (r->p[P_NODE].fd >= 0 && r->p[P_NODE].revents) {
			/* Node went away: a container must not outlive the program watching it. */
			trace("signal", "tsdocker exited: kill pid %d", child);
			kill(child, SIGKILL);
			r->p[P_NODE].fd = -1;
		}
		if (r->p[P_SYNC].fd >= 0 && r->p[P_SYNC].revents)
			on_sync_message(r, &error_seen);
		if (r->p[P_STDIN].fd >= 0 && r->p[P_STDIN].revents)
			on_stdin(r);
		if (r->p[P_INPUT].fd >= 0 && r->p[P_INPUT].revents)
			on_input_writable(r);
		if (r->p[P_OUT].fd >= 0 && r->p[P_OUT].revents && !copy_out(r->p[P_OUT].fd, 1))
			close_slot(r, P_OUT);
		if (r->p[P_ERR].fd >= 0 && r->p[P_ERR].revents && !copy_out(r->p[P_ERR].fd, 2))
			close_slot(r, P_ERR);
	}
	return status;
}

/* Pass Node's messages on to the child up to `until` (GO, NETWORK); INTERFACE records may come
 * before it. -1 when Node closed fd 3 or sent anything else. A child that has already failed cannot
 * be told; its ERROR waits on the sync socket for the relay loop, so a failed write is ignored. */
static int pass_on(int sync, uint32_t until)
{
	for (;;) {
		struct message m;
		if (read_message(FD_FROM_NODE, &m) != 0)
			return -1;
		int done = m.type == until;
		if (!done && m.type != MSG_INTERFACE) {
			free_message(&m);
			return -1;
		}
		write_message(sync, m.type, (const char *const *)m.fields);
		free_message(&m);
		if (done)
			return 0;
	}
}

/* CVE-2019-5736: the container can reach this program's file as /proc/<pid>/exe (its PID 1 with
 * --init, or [1:init] during setup) and, once the file is no longer running, open it for writing,
 * so that the next container would run the attacker's code as root on the host. Like runc, run from
 * a sealed in-memory copy (memfd_create(2), fcntl(2) F_ADD_SEALS): there is nothing to overwrite. */
static void run_from_sealed_copy(char **argv)
{
	extern char **environ;
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fcntl(self, F_GET_SEALS) >= 0)
		return; /* already the sealed copy (or no /proc: keep going as we are) */
	struct stat st;
	int copy = memfd_create("tsdocker-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (copy < 0 || fstat(self, &st) < 0)
		return;
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = sendfile(copy, self, NULL, st.st_size - done);
		if (n <= 0)
			return;
		done += n;
	}
	if (fcntl(copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return;
	fexecve(copy, argv, environ);
}

int main(int argc, char **argv)
{
	run_from_sealed_copy(argv);
	init_stage_name(argc, argv);
	set_stage_name("tsdocker:[0:monitor]");
	const char *t = getenv("TSDOCKER_TRACE");
	trace_on = t && strcmp(t, "1") == 0;

	struct config c;
	const char *why;
	if (read_config(FD_FROM_NODE, &c, &why) < 0)
		monitor_fail(errno, why);
	signal(SIGPIPE, SIG_IGN);

	/* Without -t the container gets pipes, never our own descriptors: a host terminal would let it
	 * type into the user's shell (TIOCSTI), and stdout and stderr stay apart. */
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	if (!c.terminal && (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0))
		monitor_fail(errno, "make stdio pipes");
	int sync[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0)
		monitor_fail(errno, "make the sync socket");

	/* Signals arrive as reads on a signalfd(2), so the relay loop handles them in order. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&mask, forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		monitor_fail(errno, "signalfd");

	char join_error[512];
	if (c.join_pid && open_namespaces(&c, join_error, sizeof join_error) < 0)
		monitor_fail(errno, join_error);
	if (!c.join_pid)
		join_pid_namespace(&c);
	unsigned long flags = clone_flags(&c);
	trace("clone", "clone(%s)", clone_flag_names(flags));
	/* clone(2) without a new stack behaves like fork(2), with the namespaces made on the way. */
	pid_t child = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (child < 0)
		monitor_fail(errno, "clone");
	if (child == 0) {
		close(sync[0]);
		sync_fd = sync[1];
		int stdio[3] = { in[0], out[1], err[1] };
		if (c.join_pid)
			join_main(&c, stdio);
		child_main(&c, stdio);
	}
	close(sync[1]);
	if (!c.terminal) {
		close(in[0]);
		close(out[1]);
		close(err[1]);
	}
	send_number(MSG_PID, child, 0, 1);
	/* Only now may run's child start its mounts: on a machine with few CPUs, a child busy from
	 * clone on kept the monitor from sending the pid for as long (1.5-2.5 ms on two CPUs), and Node
	 * from making the child's cgroup and network meanwhile. */
	if (!c.join_pid)
		write_message(sync[0], SYNC_PID_SENT, NULL);

	/* GO: the child is in its cgroup. For run, NETWORK follows once Node has given the container
	 * its network, which it does while the child makes its root filesystem. */
	if (pass_on(sync[0], MSG_GO) < 0 || (!c.join_pid && pass_on(sync[0], MSG_NETWORK) < 0)) {
		/* Node could not place the child in its cgroup or give it its network: it never runs. */
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return 1;
	}

	struct relay r = { .master = -1, .input = c.open_stdin ? in[1] : -1, .stdin_open = c.open_stdin };
	if (!c.terminal && !c.open_stdin)
		close(in[1]); /* the container reads end of file, as from /dev/null */
	if (r.input >= 0)
		set_nonblocking(r.input);
	if (c.terminal && c.open_stdin)
		raw_mode(0);
	/* exec -d: Node returns once the command runs; its going away must not kill the command. */
	int fds[P_COUNT] = { sigfd, c.detach ? -1 : FD_FROM_NODE, sync[0], -1, -1, out[0], err[0] };
	for (int i = 0; i < P_COUNT; i++)
		r.p[i] = (struct pollfd){ .fd = fds[i], .events = i == P_INPUT ? POLLOUT : POLLIN };
	int status = relay(&r, sigfd, child);

	restore_mode();
	if (WIFSIGNALED(status))
		send_number(MSG_EXIT, 128 + WTERMSIG(status), WTERMSIG(status), 2);
	else
		send_number(MSG_EXIT, WEXITSTATUS(status), 0, 2);
	return 0;
}
