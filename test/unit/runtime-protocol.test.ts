// The Node half of the runtime without root: protocol framing, spec translation, validation.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { capabilityMask, capabilityNames } from '../../src/runtime/capabilities';
import { MS_BIND, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, parseMountOptions } from '../../src/runtime/mountflags';
import { Decoder, MessageType, encode, encodeAll } from '../../src/runtime/protocol';
import type { RuntimeSpec } from '../../src/runtime/spec';
import { translate } from '../../src/runtime/translate';
import { validateSpec } from '../../src/runtime/validate';

function spec(edit?: (s: RuntimeSpec) => void): RuntimeSpec {
  const s: RuntimeSpec = {
    ociVersion: '1.2.0',
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/' },
    root: { path: 'rootfs' },
    hostname: 'h',
    linux: { namespaces: ['pid', 'mount', 'uts'].map((type) => ({ type })) },
  };
  edit?.(s);
  return s;
}

test('encode frames a message as type, length, NUL-terminated fields', () => {
  const b = encode({ type: MessageType.Arg, value: 'echo' });
  assert.deepEqual([...b], [7, 0, 0, 0, 5, 0, 0, 0, ...Buffer.from('echo\0')]);
});

test('encodeAll frames each message in turn; lengths count UTF-8 bytes, and a message may have no fields', () => {
  const b = encodeAll([{ type: MessageType.Env, value: 'NAME=Zoë' }, { type: MessageType.End }, { type: MessageType.Cwd, path: '/' }]);
  assert.deepEqual([...b], [8, 0, 0, 0, 10, 0, 0, 0, ...Buffer.from('NAME=Zoë\0'), 19, 0, 0, 0, 0, 0, 0, 0,
    9, 0, 0, 0, 2, 0, 0, 0, ...Buffer.from('/\0')]);
});

test('encodeAll: a long ASCII payload gets all four length bytes, as a non-ASCII one does', () => {
  const value = `PATH=${'/x'.repeat(200)}`; // 406 bytes with its NUL: 0x196
  const b = encodeAll([{ type: MessageType.Env, value }, { type: MessageType.Go }]);
  assert.deepEqual([...b.subarray(0, 8)], [8, 0, 0, 0, 0x96, 0x01, 0, 0]);
  assert.equal(b.subarray(8, 8 + 0x196).toString(), `${value}\0`);
  assert.deepEqual([...b.subarray(8 + 0x196)], [20, 0, 0, 0, 0, 0, 0, 0]);
  const utf8 = encodeAll([{ type: MessageType.Env, value: `${value}\u00e9` }]);
  assert.deepEqual([...utf8.subarray(0, 8)], [8, 0, 0, 0, 0x98, 0x01, 0, 0]);
});

test('INTERFACE carries name, address, prefix and gateway ("" for no default route); NETWORK nothing', () => {
  const wire = encode({ type: MessageType.Interface, name: 'eth1', address: '172.18.0.3', prefix: 16, gateway: '' });
  assert.equal(wire.readUInt32LE(0), 18);
  assert.deepEqual(wire.subarray(8).toString().split('\0'), ['eth1', '172.18.0.3', '16', '', '']);
  assert.deepEqual([...encode({ type: MessageType.Network })], [21, 0, 0, 0, 0, 0, 0, 0]);
});

test('the decoder reassembles messages split across chunks', () => {
  const frame = (type: number, fields: string[]): Buffer => {
    const payload = Buffer.from(fields.map((f) => f + '\0').join(''));
    const h = Buffer.alloc(8);
    h.writeUInt32LE(type, 0);
    h.writeUInt32LE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };
  const all = Buffer.concat([frame(30, ['1234']), frame(32, ['exec', '13', 'exec: "/x"']),
    frame(32, ['mount', '2', 'mount /caf\u00e9 \u2603']), frame(33, ['137', '9'])]);
  const d = new Decoder();
  // Cut anywhere, inside the UTF-8 of a character too; as Buffers (from the addon) or plain Uint8Arrays.
  const got = [...d.push(all.subarray(0, 5)), ...d.push(new Uint8Array(all.subarray(5, 20))), ...d.push(all.subarray(20, 67)),
    ...d.push(all.subarray(67))];
  assert.deepEqual(got, [
    { type: MessageType.Pid, pid: 1234 },
    { type: MessageType.Error, stage: 'exec', errno: 13, message: 'exec: "/x"' },
    { type: MessageType.Error, stage: 'mount', errno: 2, message: 'mount /caf\u00e9 \u2603' },
    { type: MessageType.Exit, code: 137, signal: 9 },
  ]);
});

test('mount options split into flags, propagation and filesystem data', () => {
  assert.deepEqual(parseMountOptions(['nosuid', 'mode=755', 'size=65536k']),
    { flags: MS_NOSUID, propagation: 0, data: 'mode=755,size=65536k' });
  assert.deepEqual(parseMountOptions(['rbind', 'ro', 'rprivate']),
    { flags: MS_BIND | MS_REC | MS_RDONLY, propagation: MS_PRIVATE | MS_REC, data: '' });
  assert.equal(parseMountOptions(['ro', 'rw']).flags, 0);
});

test('capability names become the masks /proc/self/status shows', () => {
  const docker = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
    'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT',
    'CAP_KILL', 'CAP_AUDIT_WRITE'];
  assert.equal(capabilityMask(docker).toString(16), 'a80425fb');
  assert.deepEqual(capabilityNames(1n << 21n), ['CAP_SYS_ADMIN']);
  assert.throws(() => capabilityMask(['CAP_NOPE']), /unknown capability "CAP_NOPE"/);
});

test('translate resolves the rootfs and bind sources against the bundle, and maps cgroup to cgroup2', () => {
  const msgs = translate(spec((s) => {
    s.mounts = [
      { destination: '/data', type: 'bind', source: 'vol', options: ['rbind'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] },
    ];
    s.annotations = { 'tsdocker.init': 'true' };
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: -1 }];
  }), { bundle: '/b', stdin: true });
  assert.deepEqual(msgs.find((m) => m.type === MessageType.Rootfs), { type: MessageType.Rootfs, path: '/b/rootfs', readonly: false });
  const mounts = msgs.filter((m) => m.type === MessageType.Mount);
  assert.deepEqual(mounts.map((m) => m.type === MessageType.Mount && [m.source, m.fstype]), [['/b/vol', ''], ['cgroup', 'cgroup2']]);
  assert.deepEqual(msgs.find((m) => m.type === MessageType.Process),
    { type: MessageType.Process, terminal: false, stdin: true, init: true, noNewPrivileges: false });
  assert.deepEqual(msgs.find((m) => m.type === MessageType.Rlimit),
    { type: MessageType.Rlimit, resource: 7, soft: 1024n, hard: 18446744073709551615n });
  assert.equal(msgs[msgs.length - 1].type, MessageType.End);
});

test('validateSpec names the conflict', () => {
  validateSpec(spec());
  const bad: [(s: RuntimeSpec) => void, RegExp][] = [
    [(s) => { s.linux!.namespaces = [{ type: 'pid' }, { type: 'mount' }]; }, /unable to set hostname without a private UTS namespace/],
    [(s) => { s.process.args = []; }, /process.args must name a command/],
    [(s) => { s.process.cwd = 'rel'; }, /process.cwd "rel" must be an absolute path/],
    [(s) => { s.linux!.namespaces!.push({ type: 'user' }); }, /namespace type "user" is not supported/],
    [(s) => { s.linux!.namespaces!.push({ type: 'pid' }); }, /namespace "pid" is listed twice/],
    [(s) => { s.mounts = [{ destination: '/a/../etc', type: 'tmpfs' }]; }, /must be an absolute path without "\.\."/],
    [(s) => { s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }; }, /not allowed without a private network namespace/],
    [(s) => { s.linux!.sysctl = { 'vm.swappiness': '1' }; }, /not in a separate kernel namespace/],
    [(s) => { s.ociVersion = '0.9'; }, /unsupported ociVersion/],
  ];
  for (const [edit, message] of bad) assert.throws(() => validateSpec(spec(edit)), message);
});
