#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "message.h"
#include "protocol.h"
#include "util.h"

int trace_on;
int sync_fd = -1;

void trace(const char *area, const char *fmt, ...)
{
	if (!trace_on)
		return;
	char line[4096];
	int n = snprintf(line, sizeof line, "[trace] %s: ", area);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	write_all(2, line, n);
}

static char *title;
static size_t title_room;

void init_stage_name(int argc, char **argv)
{
	title = argv[0];
	title_room = argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0];
}

void set_stage_name(const char *name)
{
	/* The kernel keeps only 15 characters of a process name (comm, prctl(2) PR_SET_NAME), so
	 * "tsdocker:[1:init]" is shortened there to "tsd:[1:init]"; the full name goes where ps(1)
	 * reads the command line, over our own argv (as runc and PostgreSQL retitle themselves). */
	char comm[16];
	snprintf(comm, sizeof comm, "tsd:%s", strchr(name, '[') ? strchr(name, '[') : name);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (title && title_room > 1) {
		memset(title, 0, title_room);
		strncpy(title, name, title_room - 1);
	}
}

_Noreturn void fail_stage(const char *stage, int err, const char *fmt, ...)
{
	char message[1024], number[16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	snprintf(number, sizeof number, "%d", err);
	const char *fields[] = { stage, number, message, NULL };
	if (sync_fd < 0 || write_message(sync_fd, MSG_ERROR, fields) != 0)
		fprintf(stderr, "tsdocker-runtime: %s: %s\n", message, strerror(err));
	_exit(1);
}

const char *fd_path(int fd)
{
	/* A few buffers in turn, so one call such as mount(fd_path(a), fd_path(b), ...) can use two. */
	static char paths[4][32];
	static int next;
	char *path = paths[next++ % 4];
	snprintf(path, 32, "/proc/self/fd/%d", fd);
	return path;
}
