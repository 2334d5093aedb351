// Device rules as an eBPF program, for cgroup v2. v2 has no devices.allow/devices.deny files: the
// kernel instead runs a program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, on
// every open(2) and mknod(2) of a device node by a process in it, and the program answers 1
// (allow) or 0 (deny: the call fails with EPERM). Docker gets that program from runc
// (libcontainer/cgroups/devicefilter); tsdocker writes its own here, a few instructions per rule.
//
// Two steps:
//  1. deviceList: apply the rules in order, as the v1 devices controller applies lines written to
//     devices.allow and devices.deny (kernel security/device_cgroup.c): a default (allow or deny
//     everything) and a list of exceptions to it. The program then behaves exactly as v1 would.
//  2. deviceFilter: one block of instructions per exception, tried in order; the first that matches
//     returns the exception's answer, and the last block returns the default.
//
// The program reads struct bpf_cgroup_dev_ctx (linux/bpf.h):
//     u32 access_type;   (access << 16) | type
//     u32 major;
//     u32 minor;
// and a block for "c 1:3 rw" (allow, when the default is deny) is, in the kernel's notation:
//     if r2 != 2 goto next       type: char (2)
//     if r4 != 1 goto next       major
//     if r5 != 3 goto next       minor
//     w1 = w3                    access bits asked for ...
//     w1 &= 1                    ... that this rule does not give (m)
//     if r1 != 0 goto next
//     w0 = 1                     allow
//     exit
//   next: ...
// `tsdocker --trace run` lists the blocks, one line per rule (deviceFilterListing).
import { TsdockerError } from '../../errors';
import type { DeviceRule } from './types';

// Device types and access bits, as the kernel puts them in access_type (linux/bpf.h).
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
const ALL_ACCESS = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

/** An exception to the default: the devices it covers (undefined major/minor: any) and which accesses. */
export interface DeviceException {
  type: 'b' | 'c';
  major?: number;
  minor?: number;
  /** BPF_DEVCG_ACC_* bits */
  access: number;
}

/** What a list of rules leaves in force, as the v1 devices controller keeps it. */
export interface DeviceList {
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

/**
 * Apply `rules` in order, starting from "deny everything" (tsdocker writes "a" to devices.deny
 * before the rules on v1 too). As the kernel does it (device_cgroup.c, devcgroup_update_access):
 *  - a rule of type "a" resets: the default becomes allow or deny, and the exceptions are dropped;
 *  - a rule that goes against the default adds an exception (or adds its access bits to an
 *    exception for the very same type, major and minor);
 *  - a rule that agrees with the default removes its access bits from the exception for the very
 *    same type, major and minor (not from a wildcard one that covers it: v1 ignores that too).
 */
export function deviceList(rules: DeviceRule[]): DeviceList {
  let defaultAllow = false;
  let exceptions: DeviceException[] = [];
  for (const rule of rules) {
    const access = accessBits(rule.access ?? 'rwm');
    const type = rule.type ?? 'a';
    if (type === 'a') {
      defaultAllow = rule.allow;
      exceptions = [];
      continue;
    }
    const major = deviceNumber(rule.major, 'major');
    const minor = deviceNumber(rule.minor, 'minor');
    const same = exceptions.find((e) => e.type === type && e.major === major && e.minor === minor);
    if (rule.allow !== defaultAllow) {
      if (same) same.access |= access;
      else exceptions.push({ type, major, minor, access });
    } else if (same) {
      same.access &= ~access;
      if (same.access === 0) exceptions = exceptions.filter((e) => e !== same);
    }
  }
  return { defaultAllow, exceptions };
}

function accessBits(access: string): number {
  if (!/^[rwm]{1,3}$/.test(access)) throw new TsdockerError(`invalid device access "${access}": use r, w, m`);
  return (access.includes('m') ? BPF_DEVCG_ACC_MKNOD : 0) | (access.includes('r') ? BPF_DEVCG_ACC_READ : 0) |
    (access.includes('w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/** undefined or negative is the wildcard "*", as in formatDeviceRule. */
function deviceNumber(n: number | undefined, what: string): number | undefined {
  if (n === undefined || n < 0) return undefined;
  // The program compares with a 32-bit immediate that the kernel sign-extends: keep it positive.
  // (Linux device numbers are far smaller: 12 bits of major, 20 of minor.)
  if (!Number.isInteger(n) || n > 0x7fffffff) throw new TsdockerError(`invalid device ${what} number ${n}`);
  return n;
}

/** "c 1:3 rwm", as devices.list shows an exception. */
export function formatException(e: DeviceException): string {
  const num = (n: number | undefined): string => (n === undefined ? '*' : String(n));
  const access = (e.access & BPF_DEVCG_ACC_READ ? 'r' : '') + (e.access & BPF_DEVCG_ACC_WRITE ? 'w' : '') +
    (e.access & BPF_DEVCG_ACC_MKNOD ? 'm' : '');
  return `${e.type} ${num(e.major)}:${num(e.minor)} ${access}`;
}

// ---- eBPF instructions (linux/bpf_common.h, linux/bpf.h; kernel Documentation/bpf/standardization/instruction-set.rst)

/** struct bpf_insn: code, dst_reg and src_reg (4 bits each), a signed 16-bit offset, a signed 32-bit immediate. */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// Opcode parts: instruction class, then operation, then operand source (K: imm, X: a register).
const BPF_LDX = 0x01, BPF_ALU = 0x04, BPF_JMP = 0x05;
const BPF_MEM = 0x60, BPF_W = 0x00;
const BPF_AND = 0x50, BPF_RSH = 0x70, BPF_MOV = 0xb0;
const BPF_JEQ = 0x10, BPF_JNE = 0x50, BPF_EXIT = 0x90;
const BPF_K = 0x00, BPF_X = 0x08;

// Registers: r0 is the return value, r1 the context on entry (then a scratch register); the program
// keeps the request in r2..r5.
const R0 = 0, R1 = 1, R_TYPE = 2, R_ACCESS = 3, R_MAJOR = 4, R_MINOR = 5;

/** Marks a jump to the start of the next block; resolved into an offset by `block`. */
const NEXT = Symbol('next');
type Draft = Insn | { code: number; dst: number; imm: number; next: typeof NEXT };

const ldxW = (dst: number, src: number, off: number): Insn => ({ code: BPF_LDX | BPF_MEM | BPF_W, dst, src, off, imm: 0 });
const alu32 = (op: number, dst: number, imm: number): Insn => ({ code: BPF_ALU | op | BPF_K, dst, src: 0, off: 0, imm });
const mov32Reg = (dst: number, src: number): Insn => ({ code: BPF_ALU | BPF_MOV | BPF_X, dst, src, off: 0, imm: 0 });
const jumpToNext = (op: number, dst: number, imm: number): Draft => ({ code: BPF_JMP | op | BPF_K, dst, imm, next: NEXT });
const exit: Insn = { code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 };
const answer = (allow: boolean): Insn[] => [alu32(BPF_MOV, R0, allow ? 1 : 0), exit];

/** A block's drafts as instructions: a jump to "next" goes just past the block's last instruction. */
function block(drafts: Draft[]): Insn[] {
  return drafts.map((d, i) => ('next' in d ? { code: d.code, dst: d.dst, src: 0, off: drafts.length - i - 1, imm: d.imm } : d));
}

interface Block {
  /** what the block checks, for --trace */
  what: string;
  insns: Insn[];
}

function compile(list: DeviceList): Block[] {
  const blocks: Block[] = [{
    what: 'load the request: r2 = type, r3 = access, r4 = major, r5 = minor',
    insns: [
      ldxW(R_TYPE, R1, 0), alu32(BPF_AND, R_TYPE, 0xffff), // access_type & 0xffff: the device type
      ldxW(R_ACCESS, R1, 0), alu32(BPF_RSH, R_ACCESS, 16), // access_type >> 16: the access bits
      ldxW(R_MAJOR, R1, 4),
      ldxW(R_MINOR, R1, 8),
    ],
  }];
  for (const e of list.exceptions) {
    const drafts: Draft[] = [];
    // The device: its type, and major and minor unless the rule says "*".
    drafts.push(jumpToNext(BPF_JNE, R_TYPE, e.type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if (e.major !== undefined) drafts.push(jumpToNext(BPF_JNE, R_MAJOR, e.major));
    if (e.minor !== undefined) drafts.push(jumpToNext(BPF_JNE, R_MINOR, e.minor));
    // The access, as v1 decides it (device_cgroup.c). An allow exception matches only if it gives
    // every access asked for (open(O_RDWR) asks for read and write at once); a deny exception
    // matches if it names any of them. With all of "rwm" there is nothing to test.
    if (e.access !== ALL_ACCESS) {
      drafts.push(mov32Reg(R1, R_ACCESS));
      if (list.defaultAllow) {
        drafts.push(alu32(BPF_AND, R1, e.access), jumpToNext(BPF_JEQ, R1, 0)); // none of the denied accesses
      } else {
        drafts.push(alu32(BPF_AND, R1, ALL_ACCESS & ~e.access), jumpToNext(BPF_JNE, R1, 0)); // some access not given
      }
    }
    drafts.push(...answer(!list.defaultAllow));
    blocks.push({ what: `${list.defaultAllow ? 'deny' : 'allow'} ${formatException(e)}`, insns: block(drafts) });
  }
  blocks.push({ what: `${list.defaultAllow ? 'allow' : 'deny'} anything else`, insns: answer(list.defaultAllow) });
  return blocks;
}

/** The program for `rules` (applied after "deny everything"), as the kernel takes it: struct bpf_insn[]. */
export function deviceFilter(rules: DeviceRule[]): Buffer {
  return encode(compile(deviceList(rules)).flatMap((b) => b.insns));
}

/** One line per block of the program: which instructions check what. */
export function deviceFilterListing(rules: DeviceRule[]): string[] {
  let start = 0;
  return compile(deviceList(rules)).map((b) => {
    const line = `insns ${start}-${start + b.insns.length - 1}: ${b.what}`;
    start += b.insns.length;
    return line;
  });
}

/** 8 bytes per instruction, little-endian (x86-64 and arm64): dst_reg is the low 4 bits of byte 1. */
export function encode(insns: Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((insn, i) => {
    buf.writeUInt8(insn.code, i * 8);
    buf.writeUInt8((insn.src << 4) | insn.dst, i * 8 + 1);
    buf.writeInt16LE(insn.off, i * 8 + 2);
    buf.writeInt32LE(insn.imm, i * 8 + 4);
  });
  return buf;
}
