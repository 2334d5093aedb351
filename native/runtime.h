/* What each file of the helper offers the others. The helper reads top to bottom as:
 *   main.c      [0:monitor] reads the configuration, clones the child, relays stdio, reports exit
 *   child.c     [1:init]    the container's first process: namespaces, rootfs, user, execve
 *   join.c      [1:join]    exec: a process joining a running container's namespaces
 *   rootfs.c    mounts, /dev, pivot_root, masked and read-only paths
 *   caps.c      user, groups and capability sets
 *   terminal.c  the pseudo-terminal (made inside the container, relayed by the monitor)
 *   init.c      --init: a tiny PID 1 that forwards signals and reaps zombies
 *   network.c   loopback up; the address and default route of interfaces Node moved in */
#ifndef TSDOCKER_RUNTIME_H
#define TSDOCKER_RUNTIME_H
#include "config.h"

/* child.c */
_Noreturn void child_main(struct config *c, int stdio[3]);
_Noreturn void exec_command(struct config *c);
void wait_for(struct config *c, uint32_t until);
_Noreturn void become_command(struct config *c);

/* join.c */
int open_namespaces(struct config *c, char *why, size_t size);
_Noreturn void join_main(struct config *c, int stdio[3]);

/* rootfs.c */
int open_in_root(int rootfd, const char *path, int flags, int mode);
int make_in_root(int rootfd, const char *path, int as_file);
void prepare_rootfs(struct config *c);
void mount_cgroup_filesystems(struct config *c);
void pivot_into(const char *rootfs);
void finish_rootfs(struct config *c);

/* caps.c */
void set_user_and_capabilities(struct config *c);

/* terminal.c */
void setup_terminal(struct config *c);
void raw_mode(int fd);
void restore_mode(void);
void copy_window_size(int master);

/* network.c */
void loopback_up(void);
void configure_interfaces(struct config *c);
/* init.c */
_Noreturn void run_init(struct config *c);

#endif
