/* The seccomp filter (seccomp.c) and the syscall table it uses (syscalls.c). */
#ifndef TSDOCKER_SECCOMP_H
#define TSDOCKER_SECCOMP_H
#include "config.h"

/* The number of a syscall on this architecture, or -1 if it has none (syscalls.c). */
int syscall_number(const char *name);
/* Build the BPF program from c's seccomp rules and install it (seccomp(2)); nothing without them. */
void install_seccomp(struct config *c);

#endif
