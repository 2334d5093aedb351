/* Tracing, stage names and error reporting shared by the monitor and the container child. */
#ifndef TSDOCKER_UTIL_H
#define TSDOCKER_UTIL_H

extern int trace_on;
/* The child's end of the sync socket; fail() reports on it. -1 in the monitor. */
extern int sync_fd;

/* "[trace] area: message" on stderr, the format of src/trace.ts, when TSDOCKER_TRACE=1. */
void trace(const char *area, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Name the process stage, so `ps` shows tsdocker:[0:monitor] and tsdocker:[1:init] (see util.c). */
void init_stage_name(int argc, char **argv);
void set_stage_name(const char *name);
/* In the container child: send ERROR (stage, errno, message) to the monitor and exit. */
_Noreturn void fail_stage(const char *stage, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define fail(...) fail_stage("setup", errno, __VA_ARGS__)
/* "/proc/self/fd/N": how a mount(2) reaches a file we opened safely (see rootfs.c). */
const char *fd_path(int fd);

#endif
