// The seccomp profile (src/container/seccomp.ts), its checks and its records for the helper
// (src/runtime/seccomp.ts), and the syscall names that Node and the C helper both know.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { containerSeccomp, defaultSeccomp, seccompOption } from '../../src/container/seccomp';
import { DEFAULT_CAPABILITIES } from '../../src/container/defaults';
import { MessageType, encode } from '../../src/runtime/protocol';
import { nativeArchitecture, seccompMessages, seccompProblem } from '../../src/runtime/seccomp';
import type { LinuxSeccomp, RuntimeSpec } from '../../src/runtime/spec';
import { SYSCALL_NAMES } from '../../src/runtime/syscalls';
import { translate } from '../../src/runtime/translate';
import { validateSpec } from '../../src/runtime/validate';

const ROOT = path.join(__dirname, '..', '..', '..');
const denied = (s: LinuxSeccomp) => new Set((s.syscalls ?? []).flatMap((r) => r.names));

test('the default profile denies what Docker\'s does not allow a default container, with EPERM', () => {
  const s = defaultSeccomp(DEFAULT_CAPABILITIES);
  assert.equal(s.defaultAction, 'SCMP_ACT_ALLOW');
  assert.deepEqual(s.architectures, [nativeArchitecture()]);
  const names = denied(s);
  for (const n of ['acct', 'add_key', 'bpf', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
    'fsconfig', 'fsmount', 'fsopen', 'fspick', 'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl',
    'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie', 'mbind', 'mount', 'mount_setattr',
    'move_mount', 'move_pages', 'nfsservctl', 'open_by_handle_at', 'open_tree', 'perf_event_open', 'personality',
    'pivot_root', 'query_module', 'quotactl', 'quotactl_fd', 'reboot', 'request_key', 'set_mempolicy', 'setns',
    'settimeofday', 'stime', 'swapon', 'swapoff', 'sysfs', '_sysctl', 'umount', 'umount2', 'unshare', 'uselib',
    'userfaultfd', 'ustat', 'vm86', 'vm86old', 'clone', 'clone3', 'sethostname', 'syslog', 'io_uring_setup',
    'io_uring_enter', 'io_uring_register']) {
    assert.ok(names.has(n), n);
  }
  // Allowed by Docker's profile: ptrace and process_vm_* since kernel 4.8, chroot with the default
  // CAP_SYS_CHROOT, name_to_handle_at and clock_adjtime for everyone.
  for (const n of ['ptrace', 'process_vm_readv', 'process_vm_writev', 'chroot', 'name_to_handle_at', 'clock_adjtime']) {
    assert.ok(!names.has(n), n);
  }
  for (const r of s.syscalls ?? []) {
    assert.equal(r.action, 'SCMP_ACT_ERRNO');
    assert.equal(r.errnoRet, r.names.includes('clone3') ? 38 : 1, r.names.join());
  }
  assert.equal(seccompProblem(s), undefined);
});

test('clone is denied by flag, personality but for Docker\'s personas, socket for AF_VSOCK', () => {
  const rules = defaultSeccomp(DEFAULT_CAPABILITIES).syscalls ?? [];
  const clone = rules.filter((r) => r.names.includes('clone'));
  assert.equal(clone.reduce((mask, r) => mask | r.args![0].value, 0), 2114060288); // Docker's CLONE_NEW* mask
  assert.ok(clone.every((r) => r.args!.length === 1 && r.args![0].op === 'SCMP_CMP_MASKED_EQ' && r.args![0].value === r.args![0].valueTwo));
  const personality = rules.find((r) => r.names.includes('personality'))!;
  assert.deepEqual(personality.args!.map((a) => [a.op, a.value]),
    [0, 8, 0x20000, 0x20008, 0xffffffff].map((v) => ['SCMP_CMP_NE', v]));
  assert.deepEqual(rules.find((r) => r.names.includes('socket'))!.args, [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }]);
});

test('a capability lifts the entries Docker\'s profile allows with it', () => {
  const base = denied(defaultSeccomp(DEFAULT_CAPABILITIES));
  const admin = denied(defaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']));
  for (const n of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'bpf', 'perf_event_open', 'syslog', 'sethostname']) {
    assert.ok(!admin.has(n), n);
  }
  for (const n of ['keyctl', 'reboot', 'init_module', 'pivot_root', 'personality']) assert.ok(admin.has(n), n);
  const lifted = (cap: string) => [...base].filter((n) => !denied(defaultSeccomp([...DEFAULT_CAPABILITIES, cap])).has(n)).sort();
  assert.deepEqual(lifted('CAP_SYS_BOOT'), ['reboot']);
  assert.deepEqual(lifted('CAP_SYS_MODULE'), ['delete_module', 'finit_module', 'init_module']);
  assert.deepEqual(lifted('CAP_SYS_TIME'), ['clock_settime', 'clock_settime64', 'settimeofday', 'stime']);
  assert.deepEqual(lifted('CAP_SYS_PTRACE'), ['kcmp', 'pidfd_getfd', 'process_madvise']);
  assert.deepEqual(lifted('CAP_BPF'), ['bpf']);
  assert.deepEqual(lifted('CAP_DAC_READ_SEARCH'), ['open_by_handle_at']);
  // Dropping a default capability adds its entry: chroot without CAP_SYS_CHROOT.
  assert.ok(denied(defaultSeccomp(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'))).has('chroot'));
});

test('--privileged and seccomp=unconfined mean no filter; a profile\'s JSON is used as it is', () => {
  const caps = DEFAULT_CAPABILITIES;
  assert.equal(containerSeccomp({ privileged: true, securityOpt: null, caps }), undefined);
  assert.equal(containerSeccomp({ privileged: false, securityOpt: ['seccomp=unconfined'], caps }), undefined);
  assert.equal(containerSeccomp({ privileged: false, securityOpt: ['seccomp:unconfined'], caps }), undefined);
  assert.deepEqual(containerSeccomp({ privileged: false, securityOpt: ['no-new-privileges'], caps }), defaultSeccomp(caps));
  const own = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  assert.deepEqual(containerSeccomp({ privileged: false, securityOpt: [`seccomp=${JSON.stringify(own)}`], caps }), own);
  assert.equal(seccompOption(['seccomp=unconfined', 'no-new-privileges']), 'unconfined');
});

test('validate names the first thing wrong with a seccomp section, in one line', () => {
  const ok: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  const problem = (s: Partial<LinuxSeccomp>) => seccompProblem({ ...ok, ...s } as LinuxSeccomp);
  assert.equal(problem({}), undefined);
  assert.match(problem({ defaultAction: 'SCMP_ACT_ALOW' })!, /unknown or unsupported defaultAction "SCMP_ACT_ALOW"/);
  assert.match(problem({ defaultAction: 'SCMP_ACT_NOTIFY' })!, /unsupported defaultAction/);
  assert.match(problem({ syscalls: [{ names: ['mountt'], action: 'SCMP_ACT_ERRNO' }] })!, /unknown syscall "mountt"/);
  assert.match(problem({ syscalls: [{ names: ['mount'], action: 'SCMP_ACT_DENY' }] })!, /unknown or unsupported action "SCMP_ACT_DENY" for mount/);
  assert.match(problem({ syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 5000 }] })!, /errnoRet 5000/);
  assert.match(problem({ syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] })!, /index 6/);
  assert.match(problem({ syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] }] })!, /unknown comparison "SCMP_CMP_LIKE"/);
  assert.match(problem({ architectures: ['SCMP_ARCH_PPC'] })!, /the only one tsdocker filters/);
  const spec = {
    ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'mount' }], seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['nope'], action: 'SCMP_ACT_ERRNO' }] } },
  } as RuntimeSpec;
  assert.throws(() => validateSpec(spec), /^TsdockerError: invalid runtime spec: seccomp: unknown syscall "nope"$/);
});

test('translate sends SECCOMP, then one SECCOMP_RULE per name, before END', () => {
  const spec = {
    ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'mount' }], seccomp: {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mount', 'umount2'], action: 'SCMP_ACT_ERRNO' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['clone'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: 'SCMP_CMP_MASKED_EQ' }] },
      ],
    } },
  } as RuntimeSpec;
  const msgs = translate(spec, { bundle: '/b', stdin: false });
  const seccomp = msgs.filter((m) => m.type === MessageType.Seccomp || m.type === MessageType.SeccompRule);
  assert.deepEqual(seccomp, [
    { type: MessageType.Seccomp, defaultAction: 0x7fff0000 },
    { type: MessageType.SeccompRule, name: 'mount', action: 0x00050001, args: [] },
    { type: MessageType.SeccompRule, name: 'umount2', action: 0x00050001, args: [] },
    { type: MessageType.SeccompRule, name: 'clone3', action: 0x00050026, args: [] },
    { type: MessageType.SeccompRule, name: 'clone', action: 0x80000000,
      args: [{ index: 0, op: 7, value: 0x10000000n, valueTwo: 0x10000000n }] },
  ]);
  assert.equal(msgs[msgs.length - 1].type, MessageType.End);
  assert.ok(msgs.indexOf(seccomp[0]) < msgs.length - 1);
  // On the wire: name, action, then index, op, value, valueTwo per argument.
  const wire = encode(seccomp[4]).subarray(8).toString().split('\0');
  assert.deepEqual(wire, ['clone', String(0x80000000), '0', '7', String(0x10000000), String(0x10000000), '']);
  assert.deepEqual(seccompMessages(undefined), []);
});

test('Node and the C helper know the same syscall names (src/runtime/syscalls.ts, native/syscalls.c)', () => {
  const c = fs.readFileSync(path.join(ROOT, 'native', 'syscalls.c'), 'utf8');
  const inC = new Set([...c.matchAll(/^\t\{ "(\w+)", SYS_(\w+) \},$/gm)].map((m) => {
    assert.equal(m[1], m[2]);
    return m[1];
  }));
  assert.deepEqual([...SYSCALL_NAMES].sort(), [...inC].sort());
  for (const r of defaultSeccomp(DEFAULT_CAPABILITIES).syscalls ?? []) for (const n of r.names) assert.ok(SYSCALL_NAMES.has(n), n);
});
