// The container's seccomp filter (linux.seccomp in config.json): Docker's default profile, moby's
// profiles/seccomp/default.json, written the other way round.
//
// Docker's profile is an allow list: some 350 syscalls are allowed, everything else fails with EPERM,
// and some entries are allowed only with a capability (mount with CAP_SYS_ADMIN, reboot with
// CAP_SYS_BOOT, ...) or only with certain arguments (clone without CLONE_NEW* flags). tsdocker writes
// the same decisions as a deny list: every syscall is allowed except the ones below, which fail with
// EPERM. Why: the list is short enough to read, each entry says what it guards; and a syscall the
// kernel adds after this list was written is allowed rather than refused, since vetting the kernel's
// new calls is not tsdocker's business (Docker's list needs a release for each; a deny list can miss
// a dangerous new one, which the capabilities, the namespaces and no_new_privs still stand behind).
//
// Taken from moby's profile, for x86_64 and aarch64:
//   - never allowed there: the kernel's keyring, module, kexec, swap, NUMA page moving, userfaultfd,
//     io_uring, pivot_root, and obsolete calls;
//   - allowed there only with a capability: denied here unless the container has it (the same
//     capability: --cap-add SYS_ADMIN allows mount, unshare, setns, ...);
//   - allowed there with arguments: clone with any CLONE_NEW* flag and clone3 (which seccomp cannot
//     inspect: ENOSYS, so that libc falls back to clone) without CAP_SYS_ADMIN; socket(AF_VSOCK);
//     personality other than the five personas Docker allows.
// ptrace, process_vm_readv and process_vm_writev stay allowed: Docker allows them on kernels since
// 4.8, where ptrace can no longer be used to get around seccomp. name_to_handle_at and clock_adjtime
// are on Docker's allow list too (the kernel checks CAP_DAC_READ_SEARCH and CAP_SYS_TIME itself).
// Names an architecture lacks (vm86 on x86_64) are skipped there by the runtime, as by libseccomp.
import * as fs from 'node:fs';
import { TsdockerError } from '../errors';
import type { LinuxSeccomp, LinuxSyscall } from '../runtime/spec';
import { nativeArchitecture, seccompProblem } from '../runtime/seccomp';

interface Denied {
  names: string[];
  /** any one of these capabilities lifts the denial (Docker's profile: "includes": {"caps": [...]}) */
  unless?: string[];
  /** ENOSYS (38) instead of EPERM */
  errnoRet?: number;
  args?: LinuxSyscall['args'];
}

/** The CLONE_NEW* flags (linux/sched.h): NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
 *  Docker's mask 2114060288 is their sum (0x7e020000). */
const CLONE_NEW_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

/** personality(2) values Docker allows: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and
 *  0xffffffff, which only asks for the current persona. */
const PERSONAS = [0, 8, 0x20000, 0x20008, 0xffffffff];

const AF_VSOCK = 40;

export const DENIED: Denied[] = [
  // Never allowed in Docker's profile.
  { names: ['add_key', 'keyctl', 'request_key'] }, // the kernel keyring is not namespaced
  { names: ['create_module', 'get_kernel_syms', 'query_module'] }, // old module calls
  { names: ['kexec_file_load', 'kexec_load'] }, // load a new kernel
  { names: ['migrate_pages', 'move_pages'] }, // move another process's pages between NUMA nodes
  { names: ['nfsservctl', '_sysctl', 'sysfs', 'ustat', 'uselib'] }, // obsolete or removed
  { names: ['pivot_root'] }, // the container's root is set up before it runs
  { names: ['swapon', 'swapoff'] },
  { names: ['userfaultfd'] }, // makes kernel races easy to win
  // io_uring runs reads, writes, opens and more behind seccomp's back; moby #46762 (Docker 25)
  // took it off the list. Programs fall back to the plain calls (libuv, Tokio).
  { names: ['io_uring_enter', 'io_uring_register', 'io_uring_setup'] },
  { names: ['vm86', 'vm86old'] }, // i386 only
  { names: ['afs_syscall', 'getpmsg', 'putpmsg', 'security', 'tuxcall', 'vserver'] }, // never implemented
  // Allowed in Docker's profile with a capability.
  { names: ['acct'], unless: ['CAP_SYS_PACCT'] },
  { names: ['bpf'], unless: ['CAP_SYS_ADMIN', 'CAP_BPF'] },
  { names: ['perf_event_open'], unless: ['CAP_SYS_ADMIN', 'CAP_PERFMON'] },
  { names: ['syslog'], unless: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'] },
  {
    names: ['fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr',
      'move_mount', 'open_tree', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'umount',
      'umount2', 'unshare'],
    unless: ['CAP_SYS_ADMIN'],
  },
  { names: ['reboot'], unless: ['CAP_SYS_BOOT'] },
  { names: ['chroot'], unless: ['CAP_SYS_CHROOT'] }, // in Docker's default capabilities
  { names: ['delete_module', 'finit_module', 'init_module'], unless: ['CAP_SYS_MODULE'] },
  { names: ['kcmp', 'pidfd_getfd', 'process_madvise'], unless: ['CAP_SYS_PTRACE'] },
  { names: ['ioperm', 'iopl'], unless: ['CAP_SYS_RAWIO'] },
  { names: ['clock_settime', 'clock_settime64', 'settimeofday', 'stime'], unless: ['CAP_SYS_TIME'] },
  { names: ['vhangup'], unless: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], unless: ['CAP_SYS_NICE'] },
  { names: ['open_by_handle_at'], unless: ['CAP_DAC_READ_SEARCH'] }, // the "shocker" escape
  // Allowed in Docker's profile with some arguments only.
  { names: ['clone3'], unless: ['CAP_SYS_ADMIN'], errnoRet: 38 /* ENOSYS */ },
  ...CLONE_NEW_FLAGS.map((flag): Denied => ({
    // one rule per flag: denied when that bit is set (s390 passes the flags second)
    names: ['clone'], unless: ['CAP_SYS_ADMIN'],
    args: [{ index: process.arch === 's390x' ? 1 : 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
  })),
  { names: ['socket'], args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_EQ' }] },
  // Every condition of a rule must hold (as in one libseccomp rule): any persona but those five.
  { names: ['personality'], args: PERSONAS.map((value) => ({ index: 0, value, op: 'SCMP_CMP_NE' })) },
];

/** Docker's default profile, as a deny list, for a container with these capabilities. */
export function defaultSeccomp(caps: string[], arch = nativeArchitecture()): LinuxSeccomp {
  const syscalls: LinuxSyscall[] = DENIED
    .filter((d) => !(d.unless ?? []).some((c) => caps.includes(c)))
    .map((d) => ({
      names: [...d.names], action: 'SCMP_ACT_ERRNO', errnoRet: d.errnoRet ?? 1,
      ...(d.args ? { args: d.args.map((a) => ({ ...a })) } : {}),
    }));
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: [arch], syscalls };
}

/** --security-opt seccomp=...: "unconfined", else the profile's JSON (Docker's CLI reads the file
 *  and stores its contents, so that inspect shows the profile itself); undefined when not given. */
export function seccompOption(securityOpt: string[] | null): string | undefined {
  let value: string | undefined;
  for (const o of securityOpt ?? []) {
    const m = /^seccomp[=:]([\s\S]*)$/.exec(o);
    if (m) value = m[1];
  }
  return value;
}

/** The filter for the container's config.json, or undefined for none (--privileged, unconfined). */
export function containerSeccomp(opts: { privileged: boolean; securityOpt: string[] | null; caps: string[] }): LinuxSeccomp | undefined {
  if (opts.privileged) return undefined;
  const option = seccompOption(opts.securityOpt);
  if (option === 'unconfined') return undefined;
  if (option !== undefined) return JSON.parse(option) as LinuxSeccomp;
  return defaultSeccomp(opts.caps);
}

const PROFILE_KEYS = ['defaultAction', 'defaultErrnoRet', 'architectures', 'syscalls'];
const RULE_KEYS = ['names', 'action', 'errnoRet', 'args', 'comment'];

/** --security-opt seccomp=PROFILE.json: the file's profile, checked, as the JSON text Docker's CLI
 *  would store in SecurityOpt. Only the OCI runtime-spec's shape (defaultAction, architectures,
 *  syscalls of names, action, errnoRet, args) is understood; Docker's own extensions ("archMap",
 *  "includes", "excludes": its default profile uses them) are refused, by name. */
export function loadSeccompProfile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new TsdockerError(`opening seccomp profile (${file}) failed: ${(err as Error).message}`);
  }
  let profile: LinuxSeccomp;
  try {
    profile = JSON.parse(text) as LinuxSeccomp;
  } catch (err) {
    throw new TsdockerError(`decoding seccomp profile (${file}) failed: ${(err as Error).message}`);
  }
  const bad = (what: string) => new TsdockerError(`seccomp profile ${file}: ${what}`);
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw bad('expected a JSON object');
  const extra = Object.keys(profile).find((k) => !PROFILE_KEYS.includes(k));
  if (extra) throw bad(`"${extra}" is not supported by tsdocker (it reads ${PROFILE_KEYS.join(', ')})`);
  if (profile.syscalls !== undefined && !Array.isArray(profile.syscalls)) throw bad('"syscalls" must be a list');
  for (const rule of profile.syscalls ?? []) {
    const k = Object.keys(rule ?? {}).find((key) => !RULE_KEYS.includes(key));
    if (k) throw bad(`"${k}" in a syscalls entry is not supported by tsdocker (it reads ${RULE_KEYS.join(', ')})`);
  }
  const problem = seccompProblem(profile);
  if (problem) throw bad(problem.replace(/^seccomp: /, ''));
  return JSON.stringify(profile);
}
