/*
 * --init: PID 1 stays this helper, and the command runs as PID 2. PID 1 of a pid namespace has two
 * duties most programs don't know about (pid_namespaces(7)): orphans are reparented to it, so it
 * must reap them or they stay zombies; and the kernel drops signals it has no handler for, so a
 * command that never expected to be PID 1 would ignore SIGTERM. This init blocks every signal, waits
 * for them with sigwaitinfo(2) (blocked signals are never dropped), forwards each one to the
 * command, reaps every child, and exits with the command's status (128+N if killed by signal N), as
 * tini does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runtime.h"
#include "util.h"

_Noreturn void run_init(struct config *c)
{
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pid_t pid = fork();
	if (pid < 0)
		fail("fork the command");
	if (pid == 0) {
		set_stage_name("tsdocker:[2:exec]");
		if (c->terminal) {
			/* Own foreground process group, so ^C on the pty reaches the command, not init. */
			setpgid(0, 0);
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		sigprocmask(SIG_SETMASK, &none, NULL);
		exec_command(c);
	}
	trace("init", "pid 1 forwards signals to pid %d and reaps zombies", pid);
	/* The command's execve, not ours, tells the monitor it started. */
	close(sync_fd);
	syscall(SYS_close_range, 3, ~0U, 0);
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		int status;
		pid_t gone;
		while ((gone = waitpid(-1, &status, WNOHANG)) > 0)
			if (gone == pid)
				_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
}
