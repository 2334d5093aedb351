// linux.seccomp -> the helper's SECCOMP and SECCOMP_RULE records, and the checks validate.ts makes
// on it. Names become numbers here (actions -> SECCOMP_RET_* values, comparisons -> libseccomp's op
// numbers); syscall names stay names, since their numbers depend on the architecture the helper was
// built for (native/syscalls.c). The helper writes the BPF program (native/seccomp.c).
import { MessageType, type ToHelper } from './protocol';
import type { LinuxSeccomp } from './spec';
import { SYSCALL_NAMES } from './syscalls';

const EPERM = 1;

/** SECCOMP_RET_* (linux/seccomp.h) for libseccomp's action names; ERRNO's low 16 bits are the errno.
 *  SCMP_ACT_TRACE and SCMP_ACT_NOTIFY need a tracer or a listener, which tsdocker has not. */
const ACTIONS: Record<string, number> = {
  SCMP_ACT_KILL: 0x00000000, SCMP_ACT_KILL_THREAD: 0x00000000, SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000, SCMP_ACT_ERRNO: 0x00050000, SCMP_ACT_LOG: 0x7ffc0000, SCMP_ACT_ALLOW: 0x7fff0000,
};

/** libseccomp's enum scmp_compare. */
const OPS: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

/** The SCMP_ARCH_ name of the architecture Node (and so the helper) runs on. */
export function nativeArchitecture(arch: string = process.arch): string {
  const names: Record<string, string> = {
    x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', ia32: 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM',
    riscv64: 'SCMP_ARCH_RISCV64', s390x: 'SCMP_ARCH_S390X', ppc64: 'SCMP_ARCH_PPC64LE', loong64: 'SCMP_ARCH_LOONGARCH64',
  };
  return names[arch] ?? `SCMP_ARCH_${arch.toUpperCase()}`;
}

function action(name: string, errnoRet: number | undefined): number {
  const base = ACTIONS[name];
  return name === 'SCMP_ACT_ERRNO' ? base + (errnoRet ?? EPERM) : base;
}

const MAX_U64 = (1n << 64n) - 1n;
const isU64 = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && BigInt(n) <= MAX_U64;
const errnoOk = (n: unknown): boolean => n === undefined || (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 4095);

/** The first thing wrong with a seccomp section, as one line for validate.ts, or undefined. */
export function seccompProblem(s: LinuxSeccomp, arch = nativeArchitecture()): string | undefined {
  if (ACTIONS[s.defaultAction] === undefined) return `seccomp: unknown or unsupported defaultAction "${s.defaultAction}"`;
  if (!errnoOk(s.defaultErrnoRet)) return `seccomp: defaultErrnoRet ${s.defaultErrnoRet} is not an errno (0-4095)`;
  const arches = s.architectures ?? [];
  if (arches.length > 0 && !arches.includes(arch)) {
    return `seccomp: architectures [${arches.join(', ')}] leave out this machine's ${arch}, the only one tsdocker filters`;
  }
  for (const rule of s.syscalls ?? []) {
    if (!Array.isArray(rule.names) || rule.names.length === 0) return 'seccomp: a syscalls entry has no names';
    const unknown = rule.names.find((n) => !SYSCALL_NAMES.has(n));
    if (unknown !== undefined) return `seccomp: unknown syscall "${unknown}"`;
    if (ACTIONS[rule.action] === undefined) return `seccomp: unknown or unsupported action "${rule.action}" for ${rule.names[0]}`;
    if (!errnoOk(rule.errnoRet)) return `seccomp: errnoRet ${rule.errnoRet} for ${rule.names[0]} is not an errno (0-4095)`;
    const args = rule.args ?? [];
    if (args.length > 6) return `seccomp: ${rule.names[0]} has ${args.length} argument conditions; a syscall has 6 arguments`;
    for (const a of args) {
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) return `seccomp: argument index ${a.index} for ${rule.names[0]}: expected 0-5`;
      if (OPS[a.op] === undefined) return `seccomp: unknown comparison "${a.op}" for ${rule.names[0]}`;
      if (!isU64(a.value) || (a.valueTwo !== undefined && !isU64(a.valueTwo))) {
        return `seccomp: argument values for ${rule.names[0]} must be integers from 0 to 2^64-1`;
      }
    }
  }
  return undefined;
}

/** The records for the helper: SECCOMP (the default action), then one SECCOMP_RULE per name of
 *  each rule, in the spec's order; nothing when the spec has no seccomp section. */
export function seccompMessages(s: LinuxSeccomp | undefined): ToHelper[] {
  if (!s) return [];
  const out: ToHelper[] = [{ type: MessageType.Seccomp, defaultAction: action(s.defaultAction, s.defaultErrnoRet) }];
  for (const rule of s.syscalls ?? []) {
    const args = (rule.args ?? []).map((a) => ({
      index: a.index, op: OPS[a.op], value: BigInt(a.value), valueTwo: BigInt(a.valueTwo ?? 0),
    }));
    for (const name of rule.names) {
      out.push({ type: MessageType.SeccompRule, name, action: action(rule.action, rule.errnoRet), args });
    }
  }
  return out;
}
