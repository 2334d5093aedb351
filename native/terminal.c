/*
 * -t: the pseudo-terminal (pty(7)). The child makes it inside the container, from the container's own
 * devpts instance, so the process sees /dev/pts/0 and nothing of the host's terminals; it passes the
 * master side to the monitor (SCM_RIGHTS, unix(7)), which relays it to the user's terminal in raw mode
 * and copies the window size on SIGWINCH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>
#include "message.h"
#include "protocol.h"
#include "runtime.h"
#include "util.h"

void setup_terminal(struct config *c)
{
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		fail("open /dev/pts/ptmx");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		fail("unlock the pty");
	/* TIOCGPTPEER opens the other side through the master, not by a path in the container's /dev
	 * that it could have replaced with a symlink (CVE-2025-52565). */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		fail("open the pty's terminal side");
	/* Like runc: the process user owns its terminal, so it can reopen /dev/tty. */
	if (fchown(slave, c->uid, -1) < 0)
		fail("chown the pty");
	trace("terminal", "pty made in the container's devpts; master sent to the monitor");
	if (write_message_fd(sync_fd, SYNC_PTY, NULL, master) < 0)
		fail("send the pty master to the monitor");
	close(master);
	wait_for(c, SYNC_PTY_ACK);

	/* A new session with the pty as its controlling terminal: ^C typed by the user becomes SIGINT
	 * for the container's foreground process group (credentials(7), "Sessions"). */
	if (setsid() < 0)
		fail("setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail("make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			fail("dup2 the pty to fd %d", fd);

	/* /dev/console is the pty too (runtime-spec config.md "terminal"); an exec leaves the
	 * container's console alone. */
	int rootfd = c->join_pid ? -1 : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int console = rootfd < 0 ? -1 : make_in_root(rootfd, "/dev/console", 1);
	if (console >= 0) {
		trace("mount", "bind the pty on /dev/console");
		if (mount(fd_path(slave), fd_path(console), NULL, MS_BIND, NULL) < 0)
			fail("bind the pty on /dev/console");
		close(console);
	}
	if (rootfd >= 0)
		close(rootfd);
	if (slave > 2)
		close(slave);
}

/* ---- in the monitor ---- */

static struct termios saved;
static int saved_fd = -1;

void restore_mode(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSANOW, &saved);
	saved_fd = -1;
}

/* Raw mode on the user's terminal: every key, ^C included, goes to the container's pty, whose own
 * line discipline then does what a terminal does (termios(3), cfmakeraw). */
void raw_mode(int fd)
{
	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return;
	struct termios raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSANOW, &raw) == 0) {
		saved_fd = fd;
		atexit(restore_mode);
	}
}

/* The user's window size (from whichever of our stdio is a terminal) onto the container's pty; the
 * kernel then sends SIGWINCH to the container's foreground process group (tty_ioctl(4)). */
void copy_window_size(int master)
{
	struct winsize ws;
	for (int fd = 0; fd < 3; fd++)
		if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
			trace("terminal", "window size %ux%u", ws.ws_row, ws.ws_col);
			ioctl(master, TIOCSWINSZ, &ws);
			return;
		}
}
