/*
 * The seccomp filter (seccomp(2), Documentation/userspace-api/seccomp_filter.rst): a classic BPF
 * program the kernel runs on every system call the container makes, before the call itself. It sees
 * struct seccomp_data (the syscall number, the architecture, six arguments) and returns what to do:
 * SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | errno, SECCOMP_RET_KILL_PROCESS, ... No libseccomp: the
 * program is a few dozen instructions, written out here so it can be read.
 *
 *   ld  arch                   another architecture's calls have other numbers (i386 on x86_64,
 *   jeq AUDIT_ARCH_<ours> ?    arm32 on aarch64): a list of our numbers cannot judge them, so they
 *   ret KILL_PROCESS           are killed, as libseccomp's default "bad arch" action does for runc
 *   ld  nr
 *   (x86_64) nr >= 0x40000000? the x32 ABI: same arch word, other numbers; killed likewise
 *   for each rule, in order:   jeq nr ? : next rule
 *                              each argument condition, all of them (AND): false -> next rule
 *                              ret the rule's action
 *   ret the default action
 *
 * A rule whose syscall this architecture lacks is skipped, as libseccomp does. A syscall's 64-bit
 * arguments are compared as two 32-bit words, since classic BPF's accumulator is 32 bits wide.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "seccomp.h"
#include "util.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp.c knows the audit architecture of x86_64 and aarch64 only: add yours (linux/audit.h)"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LO 0
#define HI 4
#else
#define LO 4
#define HI 0
#endif

enum { CMP_NE = 1, CMP_LT, CMP_LE, CMP_EQ, CMP_GE, CMP_GT, CMP_MASKED_EQ };

static struct sock_filter prog[BPF_MAXINSNS];
static int len;
/* Jumps to the end of the rule being built ("this rule does not match"), patched once it is known. */
static struct { int at; int jt; } misses[64];
static int nmisses;

static int emit(unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
	if (len == BPF_MAXINSNS) {
		errno = E2BIG;
		fail("seccomp: the filter is longer than %d instructions", BPF_MAXINSNS);
	}
	prog[len] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	return len++;
}

static void load(unsigned offset)
{
	emit(BPF_LD | BPF_W | BPF_ABS, offset, 0, 0);
}

/* A conditional jump whose true (jt = 1) or false branch leaves the rule. */
static void jump_miss(unsigned short op, unsigned k, int miss_if_true, unsigned char other)
{
	int at = emit(BPF_JMP | op | BPF_K, k, miss_if_true ? 0 : other, miss_if_true ? other : 0);
	misses[nmisses].at = at;
	misses[nmisses++].jt = miss_if_true;
}

/* One argument condition; falls through when it holds, jumps to the rule's end when not. */
static void condition(const struct seccomp_arg *a)
{
	unsigned base = offsetof(struct seccomp_data, args) + 8 * a->index;
	unsigned vhi = (unsigned)(a->value >> 32), vlo = (unsigned)a->value;
	switch (a->op) {
	case CMP_EQ:
		load(base + HI);
		jump_miss(BPF_JEQ, vhi, 0, 0);
		load(base + LO);
		jump_miss(BPF_JEQ, vlo, 0, 0);
		break;
	case CMP_NE: /* high words differ: holds (skip the low word's test) */
		load(base + HI);
		emit(BPF_JMP | BPF_JEQ | BPF_K, vhi, 0, 2);
		load(base + LO);
		jump_miss(BPF_JEQ, vlo, 1, 0);
		break;
	case CMP_MASKED_EQ: { /* (arg & value) == valueTwo */
		unsigned mhi = vhi, mlo = vlo;
		load(base + HI);
		emit(BPF_ALU | BPF_AND | BPF_K, mhi, 0, 0);
		jump_miss(BPF_JEQ, (unsigned)(a->value_two >> 32), 0, 0);
		load(base + LO);
		emit(BPF_ALU | BPF_AND | BPF_K, mlo, 0, 0);
		jump_miss(BPF_JEQ, (unsigned)a->value_two, 0, 0);
		break;
	}
	case CMP_GT: case CMP_GE: /* high word above: holds; below: misses; equal: the low word decides */
		load(base + HI);
		emit(BPF_JMP | BPF_JGT | BPF_K, vhi, 3, 0);
		jump_miss(BPF_JEQ, vhi, 0, 0);
		load(base + LO);
		jump_miss(a->op == CMP_GT ? BPF_JGT : BPF_JGE, vlo, 0, 0);
		break;
	case CMP_LT: case CMP_LE: /* the opposites of GE and GT */
		load(base + HI);
		jump_miss(BPF_JGT, vhi, 1, 0);
		emit(BPF_JMP | BPF_JEQ | BPF_K, vhi, 0, 2);
		load(base + LO);
		jump_miss(a->op == CMP_LT ? BPF_JGE : BPF_JGT, vlo, 1, 0);
		break;
	default:
		errno = EINVAL;
		fail("seccomp: unknown comparison %u", a->op);
	}
}

static void patch_misses(void)
{
	for (int i = 0; i < nmisses; i++) {
		int offset = len - misses[i].at - 1;
		if (offset > 255) {
			errno = E2BIG;
			fail("seccomp: rule too long for a BPF jump");
		}
		if (misses[i].jt)
			prog[misses[i].at].jt = (unsigned char)offset;
		else
			prog[misses[i].at].jf = (unsigned char)offset;
	}
	nmisses = 0;
}

static const char *action_name(uint32_t action, char *buf, size_t size)
{
	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW: return "allow";
	case SECCOMP_RET_ERRNO: snprintf(buf, size, "errno %u", action & SECCOMP_RET_DATA); return buf;
	case SECCOMP_RET_KILL_PROCESS: return "kill process";
	case SECCOMP_RET_KILL_THREAD: return "kill thread";
	case SECCOMP_RET_TRAP: return "trap";
	case SECCOMP_RET_LOG: return "log";
	default: snprintf(buf, size, "%#x", action); return buf;
	}
}

void install_seccomp(struct config *c)
{
	if (!c->seccomp)
		return;
	len = 0;
	load(offsetof(struct seccomp_data, arch));
	emit(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
	emit(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	load(offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	emit(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 0, 1);
	emit(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
#endif
	int skipped = 0, nr_loaded = 1, ncalls = 0;
	static int calls[1024]; /* the syscalls some rule gives another action than the default */
	for (int i = 0; i < c->nseccomp_rules; i++) {
		struct seccomp_rule *r = &c->seccomp_rules[i];
		int nr = syscall_number(r->name);
		if (nr < 0) {
			skipped++;
			continue;
		}
		if (!nr_loaded)
			load(offsetof(struct seccomp_data, nr));
		jump_miss(BPF_JEQ, (unsigned)nr, 0, 0);
		for (int a = 0; a < r->nargs; a++)
			condition(&r->args[a]);
		emit(BPF_RET | BPF_K, r->action, 0, 0);
		patch_misses();
		nr_loaded = r->nargs == 0;
		int seen = r->action == c->seccomp_default;
		for (int k = 0; k < ncalls && !seen; k++)
			seen = calls[k] == nr;
		if (!seen && ncalls < 1024)
			calls[ncalls++] = nr;
	}
	emit(BPF_RET | BPF_K, c->seccomp_default, 0, 0);

	char buf[32];
	trace("seccomp", "seccomp(SECCOMP_SET_MODE_FILTER): default action %s, %d syscalls ruled otherwise (%d rules, "
	      "%d naming calls this architecture lacks skipped), %d BPF instructions",
	      action_name(c->seccomp_default, buf, sizeof buf), ncalls, c->nseccomp_rules, skipped, len);
	struct sock_fprog fprog = { .len = (unsigned short)len, .filter = prog };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		fail("seccomp: install the filter (it needs no_new_privs or CAP_SYS_ADMIN)");
}
