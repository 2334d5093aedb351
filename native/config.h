/* The container's configuration, as Node sent it (protocol.h), held in plain C structs. */
#ifndef TSDOCKER_CONFIG_H
#define TSDOCKER_CONFIG_H
#include <stdint.h>
#include <sys/types.h>
#include "message.h"

struct mount_entry {
	char *destination, *fstype, *source, *data;
	unsigned long flags, propagation;
};

struct namespace_entry {
	int flag;   /* CLONE_NEWPID, ... */
	char *path; /* join this one (setns), or NULL to make a new one */
};

/* An interface Node has moved into the container's network namespace (network.c configures it). */
struct interface_entry {
	char *name, *address, *gateway; /* gateway "" = no default route */
	int prefix;
};

struct rlimit_entry {
	int resource;
	unsigned long long soft, hard;
};

/* linux.seccomp: one rule of the filter (seccomp.c). Ops are libseccomp's numbers (SCMP_CMP_NE = 1, LT,
 * LE, EQ, GE, GT, MASKED_EQ = 7); an action is the whole SECCOMP_RET_* value, errno included. */
struct seccomp_arg {
	unsigned index, op;
	unsigned long long value, value_two;
};

struct seccomp_rule {
	char *name;
	uint32_t action;
	int nargs;
	struct seccomp_arg args[6];
};

struct config {
	struct namespace_entry namespaces[8];
	int nnamespaces;
	char *rootfs;
	int root_readonly;
	char *hostname;
	struct mount_entry *mounts;
	int nmounts;
	char **masked, **readonly;
	int nmasked, nreadonly;
	char **argv, **envp; /* NULL-terminated */
	int argc, envc;
	char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
	char **sysctl_paths, **sysctl_values;
	int nsysctls;
	struct rlimit_entry *rlimits;
	int nrlimits;
	int terminal, open_stdin, init, no_new_privs;
	int seccomp;               /* a SECCOMP record came: install a filter */
	uint32_t seccomp_default;  /* SECCOMP_RET_* for a syscall no rule matches */
	struct seccomp_rule *seccomp_rules;
	int nseccomp_rules;
	struct interface_entry *interfaces;
	int ninterfaces;
	int network_ready; /* NETWORK has come (child.c wait_for) */
	pid_t join_pid; /* exec (join.c): join this running container's namespaces instead of making them */
	int detach;     /* exec -d: keep running when Node goes away */
};

/* Read messages from fd until END. Returns 0, or -1 with a reason in *why (errno set). */
int read_config(int fd, struct config *c, const char **why);
/* Add one record to c; -1 (errno EPROTO) for an unknown or malformed one. For records that come
 * after the configuration (INTERFACE, in the child). */
int apply_record(struct config *c, struct message *m);
/* The namespace entry for a CLONE_NEW* flag, or NULL if the spec does not ask for it. */
struct namespace_entry *find_namespace(struct config *c, int flag);

#endif
