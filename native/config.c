/* Turn the protocol's records into struct config (the records are listed in protocol.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "message.h"
#include "protocol.h"

static unsigned long long number(const char *s)
{
	return strtoull(s, NULL, 10);
}

static void *grow(void *array, int count, size_t size)
{
	return realloc(array, (count + 1) * size);
}

static char **append(char **list, int *count, const char *s)
{
	list = grow(list, *count + 1, sizeof(char *));
	list[(*count)++] = strdup(s);
	list[*count] = NULL;
	return list;
}

/* Each record's field count, so a malformed message is refused instead of read out of bounds. */
static int expected_fields(uint32_t type)
{
	switch (type) {
	case MSG_NAMESPACE: return 2;
	case MSG_ROOTFS: return 2;
	case MSG_HOSTNAME: case MSG_MASK: case MSG_READONLY: case MSG_ARG: case MSG_ENV: case MSG_CWD: return 1;
	case MSG_MOUNT: return 6;
	case MSG_USER: return 2; /* at least */
	case MSG_CAPS: return 5;
	case MSG_RLIMIT: return 3;
	case MSG_PROCESS: return 4;
	case MSG_SYSCTL: return 2;
	case MSG_JOIN: return 2;
	case MSG_SECCOMP: return 1;
	case MSG_SECCOMP_RULE: return 2; /* at least */
	case MSG_INTERFACE: return 4;
	case MSG_END: return 0;
	default: return -1;
	}
}

static void apply(struct config *c, struct message *m)
{
	char **f = m->fields;
	switch (m->type) {
	case MSG_NAMESPACE:
		if (c->nnamespaces < 8) {
			c->namespaces[c->nnamespaces].flag = (int)number(f[0]);
			c->namespaces[c->nnamespaces].path = f[1][0] ? strdup(f[1]) : NULL;
			c->nnamespaces++;
		}
		break;
	case MSG_ROOTFS:
		c->rootfs = strdup(f[0]);
		c->root_readonly = f[1][0] == '1';
		break;
	case MSG_HOSTNAME:
		c->hostname = strdup(f[0]);
		break;
	case MSG_MOUNT: {
		c->mounts = grow(c->mounts, c->nmounts, sizeof *c->mounts);
		struct mount_entry *e = &c->mounts[c->nmounts++];
		e->destination = strdup(f[0]);
		e->fstype = strdup(f[1]);
		e->source = strdup(f[2]);
		e->flags = number(f[3]);
		e->propagation = number(f[4]);
		e->data = strdup(f[5]);
		break;
	}
	case MSG_MASK:
		c->masked = append(c->masked, &c->nmasked, f[0]);
		break;
	case MSG_READONLY:
		c->readonly = append(c->readonly, &c->nreadonly, f[0]);
		break;
	case MSG_ARG:
		c->argv = append(c->argv, &c->argc, f[0]);
		break;
	case MSG_ENV:
		c->envp = append(c->envp, &c->envc, f[0]);
		break;
	case MSG_CWD:
		c->cwd = strdup(f[0]);
		break;
	case MSG_USER:
		c->uid = (uid_t)number(f[0]);
		c->gid = (gid_t)number(f[1]);
		c->ngroups = m->nfields - 2;
		c->groups = calloc(c->ngroups + 1, sizeof(gid_t));
		for (int i = 0; i < c->ngroups; i++)
			c->groups[i] = (gid_t)number(f[2 + i]);
		break;
	case MSG_CAPS:
		c->cap_bounding = number(f[0]);
		c->cap_effective = number(f[1]);
		c->cap_permitted = number(f[2]);
		c->cap_inheritable = number(f[3]);
		c->cap_ambient = number(f[4]);
		break;
	case MSG_RLIMIT:
		c->rlimits = grow(c->rlimits, c->nrlimits, sizeof *c->rlimits);
		c->rlimits[c->nrlimits].resource = (int)number(f[0]);
		c->rlimits[c->nrlimits].soft = number(f[1]);
		c->rlimits[c->nrlimits].hard = number(f[2]);
		c->nrlimits++;
		break;
	case MSG_SYSCTL: {
		int n = c->nsysctls;
		c->sysctl_paths = append(c->sysctl_paths, &n, f[0]);
		c->sysctl_values = append(c->sysctl_values, &c->nsysctls, f[1]);
		break;
	}
	case MSG_JOIN:
		c->join_pid = (pid_t)number(f[0]);
		c->detach = f[1][0] == '1';
		break;
	case MSG_SECCOMP:
		c->seccomp = 1;
		c->seccomp_default = (uint32_t)number(f[0]);
		break;
	case MSG_SECCOMP_RULE: {
		c->seccomp_rules = grow(c->seccomp_rules, c->nseccomp_rules, sizeof *c->seccomp_rules);
		struct seccomp_rule *r = &c->seccomp_rules[c->nseccomp_rules++];
		memset(r, 0, sizeof *r);
		r->name = strdup(f[0]);
		r->action = (uint32_t)number(f[1]);
		for (int i = 2; i + 3 < m->nfields && r->nargs < 6; i += 4, r->nargs++) {
			r->args[r->nargs].index = (unsigned)number(f[i]);
			r->args[r->nargs].op = (unsigned)number(f[i + 1]);
			r->args[r->nargs].value = number(f[i + 2]);
			r->args[r->nargs].value_two = number(f[i + 3]);
		}
		break;
	}
	case MSG_INTERFACE: {
		c->interfaces = grow(c->interfaces, c->ninterfaces, sizeof *c->interfaces);
		struct interface_entry *e = &c->interfaces[c->ninterfaces++];
		e->name = strdup(f[0]);
		e->address = strdup(f[1]);
		e->prefix = (int)number(f[2]);
		e->gateway = strdup(f[3]);
		break;
	}
	case MSG_PROCESS:
		c->terminal = f[0][0] == '1';
		c->open_stdin = f[1][0] == '1';
		c->init = f[2][0] == '1';
		c->no_new_privs = f[3][0] == '1';
		break;
	}
}

int apply_record(struct config *c, struct message *m)
{
	int want = expected_fields(m->type);
	if (want < 0 || m->nfields < want ||
	    (m->type == MSG_SECCOMP_RULE && ((m->nfields - 2) % 4 != 0 || m->nfields > 2 + 6 * 4))) {
		errno = EPROTO;
		return -1;
	}
	apply(c, m);
	return 0;
}

int read_config(int fd, struct config *c, const char **why)
{
	memset(c, 0, sizeof *c);
	c->cwd = strdup("/");
	for (;;) {
		struct message m;
		int r = read_message(fd, &m);
		if (r != 0) {
			*why = r == 1 ? "read configuration: unexpected end of input" : "read configuration";
			if (r == 1)
				errno = EPIPE;
			return -1;
		}
		int end = m.type == MSG_END;
		int bad = apply_record(c, &m);
		free_message(&m);
		if (bad) {
			*why = "read configuration: malformed message";
			return -1;
		}
		if (end)
			break;
	}
	/* A join with interfaces and no command is `network connect`: configure them and exit. */
	if ((!c->rootfs && !c->join_pid) || (c->argc == 0 && !(c->join_pid && c->ninterfaces))) {
		*why = "read configuration: no root filesystem or no command";
		errno = EINVAL;
		return -1;
	}
	return 0;
}

struct namespace_entry *find_namespace(struct config *c, int flag)
{
	for (int i = 0; i < c->nnamespaces; i++)
		if (c->namespaces[i].flag == flag)
			return &c->namespaces[i];
	return NULL;
}
