// The cgroup v2 device filter (src/runtime/cgroups/devicefilter.ts) without the kernel: the program
// is decoded and run by a tiny eBPF interpreter below, which knows only the opcodes the filter may
// use, and its answers are compared with what the v1 devices controller answers for the same rules.
// The kernel's own verifier and enforcement are tested in test/integration/cgroups.test.ts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { defaultDeviceRules } from '../../src/container/defaults';
import { DEFAULT_DEVICE_RULES } from '../../src/runtime/cgroups/devices';
import {
  BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR,
  deviceFilter, deviceFilterListing, deviceList, encode, type DeviceList,
} from '../../src/runtime/cgroups/devicefilter';
import type { DeviceRule } from '../../src/runtime/cgroups/types';

interface Request {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** any of r, w, m */
  access: string;
}

function accessBits(access: string): number {
  return (access.includes('m') ? BPF_DEVCG_ACC_MKNOD : 0) | (access.includes('r') ? BPF_DEVCG_ACC_READ : 0) |
    (access.includes('w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/**
 * Run a program on struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }.
 * Registers hold 64-bit values; everything the filter loads is a u32, so plain numbers will do,
 * as long as every 32-bit ALU result is truncated (>>> 0) as the kernel zero-extends it.
 */
function run(program: Buffer, req: Request): number {
  assert.equal(program.length % 8, 0);
  const ctx = Buffer.alloc(12);
  ctx.writeUInt32LE((accessBits(req.access) << 16) | (req.type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), 0);
  ctx.writeUInt32LE(req.major, 4);
  ctx.writeUInt32LE(req.minor, 8);
  const CTX = -1; // r1 on entry: the context pointer, not a number
  const reg: number[] = [0, CTX, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const set = new Set([1, 10]); // registers written so far (r1, and r10 the frame pointer)
  for (let pc = 0, steps = 0; ; steps++) {
    assert.ok(pc >= 0 && pc < program.length / 8, `pc ${pc} inside the program`);
    assert.ok(steps < 10000, 'no endless loop');
    const code = program.readUInt8(pc * 8);
    const dst = program.readUInt8(pc * 8 + 1) & 0x0f;
    const src = program.readUInt8(pc * 8 + 1) >> 4;
    const off = program.readInt16LE(pc * 8 + 2);
    const imm = program.readInt32LE(pc * 8 + 4);
    const use = (r: number): number => {
      assert.ok(set.has(r), `r${r} read before it was written at insn ${pc}`);
      assert.notEqual(reg[r], CTX, `r${r} is the context pointer at insn ${pc}`);
      return reg[r];
    };
    const write = (r: number, v: number): void => {
      assert.ok(r <= 9, `r${r} is writable`);
      reg[r] = v >>> 0;
      set.add(r);
    };
    pc++;
    switch (code) {
      case 0x61: // LDX | MEM | W: dst = *(u32 *)(src + off)
        assert.equal(reg[src], CTX, 'loads only from the context');
        assert.ok([0, 4, 8].includes(off), `context offset ${off}`);
        write(dst, ctx.readUInt32LE(off));
        break;
      case 0x54: write(dst, use(dst) & imm); break; // ALU | AND | K
      case 0x74: write(dst, use(dst) >>> imm); break; // ALU | RSH | K
      case 0xb4: write(dst, imm); break; // ALU | MOV | K
      case 0xbc: write(dst, use(src)); break; // ALU | MOV | X
      // JMP (64-bit) with K: the immediate is sign-extended; registers hold zero-extended u32s.
      case 0x15: if (use(dst) === imm) pc += off; break; // JEQ
      case 0x55: if (use(dst) !== imm) pc += off; break; // JNE
      case 0x95: return use(0); // EXIT: the answer is r0
      default: assert.fail(`opcode 0x${code.toString(16)} at insn ${pc - 1} is not one the filter should use`);
    }
  }
}

/**
 * What the v1 devices controller answers, as the kernel decides it (security/device_cgroup.c,
 * devcgroup_legacy_check_permission): with default deny, one exception must cover the device and
 * every access asked for (match_exception); with default allow, no exception may cover the device
 * and any of the accesses (match_exception_partial).
 */
function v1Allows(list: DeviceList, req: Request): boolean {
  const bits = accessBits(req.access);
  const covers = (e: DeviceList['exceptions'][number]): boolean => e.type === req.type &&
    (e.major === undefined || e.major === req.major) && (e.minor === undefined || e.minor === req.minor);
  if (list.defaultAllow) return !list.exceptions.some((e) => covers(e) && (bits & e.access) !== 0);
  return list.exceptions.some((e) => covers(e) && (bits & ~e.access) === 0);
}

/** Every type and access combination for a spread of device numbers, the rules' own among them. */
function requests(rules: DeviceRule[]): Request[] {
  const majors = new Set([0, 1, 5, 8, 10, 136, 4095]);
  const minors = new Set([0, 1, 3, 11, 200, 1048575]);
  for (const r of rules) {
    if (r.major !== undefined && r.major >= 0) majors.add(r.major);
    if (r.minor !== undefined && r.minor >= 0) minors.add(r.minor);
  }
  const out: Request[] = [];
  for (const type of ['b', 'c'] as const) {
    for (const major of majors) {
      for (const minor of minors) {
        for (const access of ['m', 'r', 'w', 'rw', 'rm', 'wm', 'rwm']) out.push({ type, major, minor, access });
      }
    }
  }
  return out;
}

/** The program agrees with v1 on every request. */
function agreesWithV1(rules: DeviceRule[]): void {
  const program = deviceFilter(rules);
  const list = deviceList(rules);
  for (const req of requests(rules)) {
    const want = v1Allows(list, req) ? 1 : 0;
    assert.equal(run(program, req), want, `${req.type} ${req.major}:${req.minor} ${req.access}`);
  }
}

const c = (major: number, minor: number, access: string): Request => ({ type: 'c', major, minor, access });
const b = (major: number, minor: number, access: string): Request => ({ type: 'b', major, minor, access });

test('instructions are 8 bytes: code, dst|src<<4, off s16, imm s32, little-endian', () => {
  assert.deepEqual([...encode([{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }])], [0x95, 0, 0, 0, 0, 0, 0, 0]);
  // r2 = *(u32 *)(r1 + 4): dst 2 in the low nibble, src 1 in the high one
  assert.deepEqual([...encode([{ code: 0x61, dst: 2, src: 1, off: 4, imm: 0 }])], [0x61, 0x12, 4, 0, 0, 0, 0, 0]);
  // if r4 != 136 goto +3
  assert.deepEqual([...encode([{ code: 0x55, dst: 4, src: 0, off: 3, imm: 136 }])], [0x55, 0x04, 3, 0, 136, 0, 0, 0]);
  assert.deepEqual([...encode([{ code: 0xb4, dst: 0, src: 0, off: -1, imm: -2 }])], [0xb4, 0, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff]);
  // Every program ends in "r0 = default; exit", and starts by loading access_type into r2.
  const p = deviceFilter(DEFAULT_DEVICE_RULES);
  assert.deepEqual([...p.subarray(-16)], [0xb4, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...p.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
});

test('Docker\'s list: its devices, mknod of any device, nothing else', () => {
  const program = deviceFilter(DEFAULT_DEVICE_RULES);
  const table: [Request, number][] = [
    [c(1, 3, 'r'), 1], // /dev/null
    [c(1, 3, 'rw'), 1], // open(O_RDWR) asks for both at once
    [c(1, 9, 'rwm'), 1], // /dev/urandom
    [c(5, 2, 'rw'), 1], // /dev/ptmx
    [c(136, 5, 'w'), 1], // /dev/pts/5
    [c(10, 200, 'rw'), 1], // /dev/net/tun
    [b(8, 0, 'r'), 0], // the host's disk
    [b(8, 0, 'w'), 0],
    [b(8, 0, 'm'), 1], // "b *:* m": the node may be made ...
    [b(8, 0, 'rm'), 0], // ... but "m" alone does not cover a read as well
    [c(1, 11, 'r'), 0], // /dev/kmsg
    [c(1, 11, 'm'), 1],
    [c(1, 1, 'r'), 0], // /dev/mem
    [c(5, 3, 'r'), 0],
    [b(1, 3, 'r'), 0], // a block device 1:3 is not /dev/null
    [c(136, 5, 'm'), 1],
  ];
  for (const [req, want] of table) {
    assert.equal(run(program, req), want, `${req.type} ${req.major}:${req.minor} ${req.access}`);
    assert.equal(v1Allows(deviceList(DEFAULT_DEVICE_RULES), req), want === 1, `v1: ${req.type} ${req.major}:${req.minor} ${req.access}`);
  }
  agreesWithV1(DEFAULT_DEVICE_RULES);
});

test('the container\'s list from the engine: deny-all first, mknod of anything, open of the listed', () => {
  const rules = defaultDeviceRules();
  const program = deviceFilter(rules);
  assert.equal(run(program, c(1, 3, 'rw')), 1);
  assert.equal(run(program, c(136, 0, 'rw')), 1);
  assert.equal(run(program, b(8, 0, 'm')), 1);
  assert.equal(run(program, b(8, 0, 'r')), 0);
  assert.equal(run(program, c(1, 11, 'r')), 0);
  agreesWithV1(rules);
});

test('--privileged allows everything: a program that loads the request and returns 1', () => {
  const rules: DeviceRule[] = [{ allow: true, access: 'rwm' }];
  assert.deepEqual(deviceList(rules), { defaultAllow: true, exceptions: [] });
  const program = deviceFilter(rules);
  assert.equal(program.length / 8, 8);
  for (const req of [b(8, 0, 'rwm'), c(1, 11, 'r'), c(1, 3, 'w')]) assert.equal(run(program, req), 1);
  // No rules at all: tsdocker denies everything first, as it writes "a" to devices.deny on v1.
  assert.equal(run(deviceFilter([]), c(1, 3, 'r')), 0);
});

test('rules apply in order, as devices.allow and devices.deny lines do', () => {
  const lists: [string, DeviceRule[], DeviceList][] = [
    // Deny after allow takes the bits away from the same exception; "a" starts over.
    ['deny removes bits', [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
    ], { defaultAllow: false, exceptions: [{ type: 'c', major: 1, minor: 3, access: BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ }] }],
    ['deny removes the whole exception', [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' },
    ], { defaultAllow: false, exceptions: [] }],
    // v1 does not punch a hole in a wildcard exception: the deny names another exception.
    ['no hole in a wildcard', [
      { allow: true, type: 'c', major: 136, access: 'rwm' },
      { allow: false, type: 'c', major: 136, minor: 2, access: 'rwm' },
    ], { defaultAllow: false, exceptions: [{ type: 'c', major: 136, minor: undefined, access: 7 }] }],
    ['allow adds bits to the same exception', [
      { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'm' },
    ], { defaultAllow: false, exceptions: [{ type: 'b', major: 8, minor: 0, access: BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ }] }],
    ['allow-all, then deny exceptions', [
      { allow: true, access: 'rwm' },
      { allow: false, type: 'b', major: 8, access: 'w' },
      { allow: false, type: 'c', major: 1, minor: 11, access: 'rwm' },
    ], { defaultAllow: true, exceptions: [
      { type: 'b', major: 8, minor: undefined, access: BPF_DEVCG_ACC_WRITE },
      { type: 'c', major: 1, minor: 11, access: 7 },
    ] }],
    ['a reset drops what came before', [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: false, type: 'a', major: 1, access: 'r' }, // "a" whatever follows, as v1 reads it
      { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
    ], { defaultAllow: false, exceptions: [{ type: 'c', major: 1, minor: 5, access: BPF_DEVCG_ACC_READ }] }],
    ['negative numbers are wildcards', [
      { allow: true, type: 'c', major: -1, minor: -1, access: 'rw' },
    ], { defaultAllow: false, exceptions: [{ type: 'c', major: undefined, minor: undefined, access: 6 }] }],
  ];
  for (const [name, rules, want] of lists) {
    assert.deepEqual(deviceList(rules), want, name);
    agreesWithV1(rules);
  }
  // A deny exception in an allow-all list matches on any access it names: O_RDWR on b 8:0 is a write.
  const program = deviceFilter(lists[4][1]);
  assert.equal(run(program, b(8, 0, 'r')), 1);
  assert.equal(run(program, b(8, 0, 'rw')), 0);
  assert.equal(run(program, c(1, 11, 'm')), 0);
});

test('the listing has one line per rule, with its instructions', () => {
  const lines = deviceFilterListing([{ allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'b', major: 8, access: 'm' }]);
  assert.deepEqual(lines, [
    'insns 0-5: load the request: r2 = type, r3 = access, r4 = major, r5 = minor',
    'insns 6-10: allow c 1:3 rwm',
    'insns 11-17: allow b 8:* m',
    'insns 18-19: deny anything else',
  ]);
  assert.equal(deviceFilter([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'b', major: 8, access: 'm' }]).length / 8, 20);
});

test('bad rules are clear errors', () => {
  assert.throws(() => deviceFilter([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rx' }]), /invalid device access "rx"/);
  assert.throws(() => deviceFilter([{ allow: true, type: 'c', major: 2 ** 31, access: 'r' }]), /invalid device major number/);
  assert.throws(() => deviceFilter([{ allow: true, type: 'c', major: 1, minor: 1.5, access: 'r' }]), /invalid device minor number/);
});
