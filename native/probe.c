/*
 * probe: a tiny static program the integration tests run inside containers, so a test can ask the
 * container itself (as crun's tests do with their `init` probe). Static, so any rootfs can run it.
 *   probe fds        the open descriptors, e.g. "0 1 2"
 *   probe signal     print "ready", then wait for SIGTERM or SIGINT and print "got signal N"
 *   probe winch      print "ready", then wait for SIGWINCH and print the new "rows cols"
 *   probe orphans    make an orphan that exits, then print "reaped" if PID 1 reaped it, or "zombie"
 *   probe call NAME...  make each system call directly (no libc wrapper that might fall back) and
 *                    print "NAME ok" or "NAME EPERM" (its errno's name): what the seccomp filter and
 *                    the capabilities let through. NAMEs: keyctl personality unshare clone clone3
 *                    userfaultfd mount
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

static int fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 1;
	struct dirent *e;
	int first = 1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) {
			printf("%s%s", first ? "" : " ", e->d_name);
			first = 0;
		}
	printf("\n");
	closedir(d);
	return 0;
}

static int wait_for(int a, int b)
{
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, a);
	sigaddset(&mask, b);
	sigprocmask(SIG_BLOCK, &mask, &old);
	signal(a, on_signal);
	signal(b, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!caught)
		sigsuspend(&old);
	return caught;
}

/* The orphan's state letter in /proc/PID/stat, or 0 once it is gone (reaped). */
static char state_of(pid_t pid)
{
	char path[64], stat[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char state = '?';
	if (fgets(stat, sizeof stat, f)) {
		char *close = strrchr(stat, ')');
		if (close && close[1] == ' ')
			state = close[2];
	}
	fclose(f);
	return state;
}

static int orphans(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		pid_t orphan = fork();
		if (orphan == 0) {
			close(p[0]);
			_exit(0); /* exiting closes p[1]: the probe sees end of file */
		}
		write(p[1], &orphan, sizeof orphan);
		_exit(0); /* the orphan is reparented to PID 1 */
	}
	close(p[1]);
	pid_t orphan = 0;
	char c;
	read(p[0], &orphan, sizeof orphan);
	while (read(p[0], &c, 1) > 0)
		;
	waitpid(child, NULL, 0);
	/* Poll with a deadline, not a fixed sleep: a good PID 1 reaps it within milliseconds. */
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < 200; i++) {
		if (state_of(orphan) == 0) {
			printf("reaped\n");
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	printf("zombie\n");
	return 0;
}

/* One harmless call of each kind; returns the syscall's result (-1 with errno on failure). */
static long call(const char *name)
{
	if (strcmp(name, "keyctl") == 0) /* KEYCTL_GET_KEYRING_ID of the session keyring, don't create */
		return syscall(SYS_keyctl, 0, -3, 0);
	if (strcmp(name, "personality") == 0) { /* PER_BSD (6), then back; Docker allows only a few */
		long old = syscall(SYS_personality, 0xffffffffUL);
		long r = syscall(SYS_personality, 6UL);
		if (r >= 0)
			syscall(SYS_personality, (unsigned long)old);
		return r;
	}
	if (strcmp(name, "unshare") == 0)
		return syscall(SYS_unshare, CLONE_NEWUTS);
	if (strcmp(name, "clone") == 0) { /* a child in a new UTS namespace, which exits at once */
		long pid = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			syscall(SYS_exit_group, 0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return pid;
	}
#ifdef SYS_clone3
	if (strcmp(name, "clone3") == 0) /* a NULL argument: EINVAL from the kernel itself */
		return syscall(SYS_clone3, NULL, 0);
#endif
	if (strcmp(name, "userfaultfd") == 0) { /* UFFD_USER_MODE_ONLY (1): allowed without CAP_SYS_PTRACE */
		long fd = syscall(SYS_userfaultfd, O_CLOEXEC | 1);
		if (fd >= 0)
			close((int)fd);
		return fd;
	}
#ifdef SYS_io_uring_setup
	if (strcmp(name, "io_uring_setup") == 0) { /* a ring of one entry; struct io_uring_params is 120 bytes, all 0 */
		unsigned char params[120] = { 0 };
		long fd = syscall(SYS_io_uring_setup, 1, params);
		if (fd >= 0)
			close((int)fd);
		return fd;
	}
#endif
	if (strcmp(name, "mount") == 0) {
		long r = syscall(SYS_mount, "probe", "/tmp", "tmpfs", 0, NULL);
		if (r == 0)
			umount2("/tmp", MNT_DETACH);
		return r;
	}
	errno = ENOENT;
	return -2;
}

static int calls(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		errno = 0;
		long r = call(argv[i]);
		if (r == -2 && errno == ENOENT) {
			fprintf(stderr, "probe: unknown call %s\n", argv[i]);
			return 2;
		}
		printf("%s %s\n", argv[i], r < 0 ? strerrorname_np(errno) : "ok");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (strcmp(what, "fds") == 0)
		return fds();
	if (strcmp(what, "signal") == 0) {
		printf("got signal %d\n", wait_for(SIGTERM, SIGINT));
		return 0;
	}
	if (strcmp(what, "winch") == 0) {
		wait_for(SIGWINCH, SIGWINCH);
		struct winsize ws;
		ioctl(0, TIOCGWINSZ, &ws);
		printf("%u %u\n", ws.ws_row, ws.ws_col);
		return 0;
	}
	if (strcmp(what, "orphans") == 0)
		return orphans();
	if (strcmp(what, "call") == 0)
		return calls(argc - 2, argv + 2);
	fprintf(stderr, "usage: probe fds|signal|winch|orphans|call NAME...\n");
	return 2;
}
