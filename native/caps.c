/*
 * Who the container's process is: user, groups, and the five capability sets (capabilities(7)).
 * No libcap: the raw capset(2) and prctl(2) calls are the lesson. The order matters:
 *   1. drop the bounding set while we still hold CAP_SETPCAP; it caps what any execve can gain;
 *   2. PR_SET_KEEPCAPS, so that setuid to a non-root user keeps the permitted set;
 *   3. setgroups, setgid, setuid (in that order: after setuid we could no longer change groups);
 *   4. capset the effective, permitted and inheritable sets the spec asks for;
 *   5. raise the ambient set (each must already be permitted and inheritable).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "runtime.h"
#include "util.h"

static int has(uint64_t set, int cap)
{
	return cap < 64 && (set >> cap) & 1;
}

static void drop_bounding(uint64_t keep)
{
	/* PR_CAPBSET_READ fails with EINVAL past the last capability this kernel knows. */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!has(keep, cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			fail("drop capability %d from the bounding set", cap);
}

static void set_user(struct config *c)
{
	if (setgroups(c->ngroups, c->groups) < 0)
		fail("setgroups");
	if (setresgid(c->gid, c->gid, c->gid) < 0)
		fail("setgid %u", (unsigned)c->gid);
	if (setresuid(c->uid, c->uid, c->uid) < 0)
		fail("setuid %u", (unsigned)c->uid);
	char groups[512] = "";
	for (int i = 0; i < c->ngroups && strlen(groups) < sizeof groups - 16; i++)
		snprintf(groups + strlen(groups), sizeof groups - strlen(groups), "%s%u", i ? "," : "",
			 (unsigned)c->groups[i]);
	trace("user", "setgroups [%s], setgid %u, setuid %u", groups, (unsigned)c->gid, (unsigned)c->uid);
}

void set_user_and_capabilities(struct config *c)
{
	drop_bounding(c->cap_bounding);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail("prctl PR_SET_KEEPCAPS");
	set_user(c);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail("prctl PR_SET_KEEPCAPS");

	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)c->cap_effective, (uint32_t)c->cap_permitted, (uint32_t)c->cap_inheritable },
		{ (uint32_t)(c->cap_effective >> 32), (uint32_t)(c->cap_permitted >> 32),
		  (uint32_t)(c->cap_inheritable >> 32) },
	};
	trace("capabilities", "bounding=%016llx effective=%016llx permitted=%016llx inheritable=%016llx ambient=%016llx",
	      (unsigned long long)c->cap_bounding, (unsigned long long)c->cap_effective,
	      (unsigned long long)c->cap_permitted, (unsigned long long)c->cap_inheritable,
	      (unsigned long long)c->cap_ambient);
	if (syscall(SYS_capset, &header, data) < 0)
		fail("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail("clear the ambient capabilities");
	for (int cap = 0; cap < 64; cap++)
		if (has(c->cap_ambient, cap) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail("raise ambient capability %d", cap);
	if (c->no_new_privs) {
		trace("capabilities", "prctl(PR_SET_NO_NEW_PRIVS)");
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			fail("prctl PR_SET_NO_NEW_PRIVS");
	}
}
