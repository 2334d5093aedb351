// The protocol between Node and the native helper (native/tsdocker-runtime). Every message type is
// here, mirrored one for one by native/protocol.h; native/README.md describes each field.
//
// Node spawns the helper with two extra descriptors: fd 3 carries messages from Node, fd 4 messages
// to Node. A message is  u32 type | u32 length | payload  (host byte order) and the payload is a
// list of NUL-terminated strings; numbers travel as decimal text. Node translates config.json into
// these records (translate.ts), so the C never parses JSON.
//
//   Node (src/runtime)            [0:monitor] (host pid ns)           [1:init] (new namespaces)
//        |                              |                                    |
//        |--- NAMESPACE, ROOTFS, ... -->|                                    |
//        |--- END --------------------->|                                    |
//        |                              |--- clone(CLONE_NEW*) ------------->|  waits on sync
//        |<-- PID <host pid> -----------|--- (PID_SENT) -------------------->|  lo up, hostname,
//   cgroup.addProcess(pid)              |                                    |  mounts
//        |--- GO ---------------------->|--- GO ---------------------------->|  unshare cgroup ns,
//   its network: the veth pair          |                                    |  cgroup fs,
//        |--- INTERFACE (bridge nets) ->|--- INTERFACE --------------------->|  pivot_root,
//        |--- NETWORK ----------------->|--- NETWORK ---------------------->|  /dev/pts/0 inside
//        |                              |<-- PTY <master fd> (only with -t) -|
//        |                              |--- PTY_ACK (window size set) ----->|
//        |                              |                                    |  eth0 configured,
//        |                              |                                    |  user, capabilities
//        |                              |<-- ERROR errno message ------------|  on any failure, or
//        |                              |<-- EOF (sync is O_CLOEXEC) --------|  execve succeeded
//        |<-- ERROR or STARTED ---------|                                    |
//        |<-- EXIT code signal ---------|<-- waitpid ------------------------|  exits
//
// Why Node writes cgroup.procs, and not the C: the cgroups module knows v1, v2 and hybrid layouts
// and owns cleanup; the helper only has to wait. The child is in its cgroup before GO, and makes
// nothing but its mounts until then, so nothing it runs escapes its limits ("so that no children
// can escape the cgroup", runc).

export const FD_FROM_NODE = 3;
export const FD_TO_NODE = 4;
export const MAX_MESSAGE = 1 << 20;

export const enum MessageType {
  // Node -> helper: the configuration, closed by End
  Namespace = 1,
  Rootfs = 2,
  Hostname = 3,
  Mount = 4,
  Mask = 5,
  Readonly = 6,
  Arg = 7,
  Env = 8,
  Cwd = 9,
  User = 10,
  Caps = 11,
  Rlimit = 12,
  Process = 13,
  Sysctl = 14,
  Join = 15,
  Seccomp = 16,
  SeccompRule = 17,
  Interface = 18,
  End = 19,
  Go = 20,
  Network = 21,
  // helper -> Node
  Pid = 30,
  Started = 31,
  Error = 32,
  Exit = 33,
}

/** One interface per message, with its fields in protocol order. */
export interface NamespaceMsg { type: MessageType.Namespace; flag: number; path: string /* "" = new */ }
export interface RootfsMsg { type: MessageType.Rootfs; path: string; readonly: boolean }
export interface HostnameMsg { type: MessageType.Hostname; name: string }
export interface MountMsg {
  type: MessageType.Mount;
  destination: string;
  fstype: string;
  source: string;
  /** MS_* flags for mount(2) */
  flags: number;
  /** MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), applied by a second mount(2) */
  propagation: number;
  /** the options mount(2) passes to the filesystem, e.g. "mode=755,size=65536k" */
  data: string;
}
export interface MaskMsg { type: MessageType.Mask; path: string }
export interface ReadonlyMsg { type: MessageType.Readonly; path: string }
export interface ArgMsg { type: MessageType.Arg; value: string }
export interface EnvMsg { type: MessageType.Env; value: string }
export interface CwdMsg { type: MessageType.Cwd; path: string }
export interface UserMsg { type: MessageType.User; uid: number; gid: number; additionalGids: number[] }
/** Capability sets as 64-bit masks, bit N = capability number N (linux/capability.h). */
export interface CapsMsg {
  type: MessageType.Caps;
  bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint;
}
export interface RlimitMsg { type: MessageType.Rlimit; resource: number; soft: bigint; hard: bigint }
export interface ProcessMsg {
  type: MessageType.Process;
  terminal: boolean; stdin: boolean; init: boolean; noNewPrivileges: boolean;
}
/** path: under /proc/sys, with slashes ("net/ipv4/ping_group_range") */
export interface SysctlMsg { type: MessageType.Sysctl; path: string; value: string }
/** exec: join the running container whose process is host pid `pid` (no Rootfs record); detach: -d */
export interface JoinMsg { type: MessageType.Join; pid: number; detach: boolean }
/** linux.seccomp: the filter's default action, a SECCOMP_RET_* value with its errno (seccomp(2)); the
 *  rules follow as SeccompRule records, in order */
export interface SeccompMsg { type: MessageType.Seccomp; defaultAction: number }
/** One syscall of a rule (the helper looks its number up); args all hold for the rule to match.
 *  op: libseccomp's numbers (SCMP_CMP_NE = 1 ... SCMP_CMP_MASKED_EQ = 7) */
export interface SeccompRuleMsg {
  type: MessageType.SeccompRule;
  name: string;
  action: number;
  args: { index: number; op: number; value: bigint; valueTwo: bigint }[];
}
/** A network interface Node has put in the container's network namespace: the helper gives it
 *  its address and, with a gateway, the default route, from inside (native/network.c). Sent after
 *  GO and before NETWORK, or in the configuration of a join without a command (`network connect`). */
export interface InterfaceMsg { type: MessageType.Interface; name: string; address: string; prefix: number; gateway: string /* "" = no default route */ }
export interface EndMsg { type: MessageType.End }
export interface GoMsg { type: MessageType.Go }
/** run, after GO: the container's network is in place (its INTERFACE records came first); the
 *  child makes its root filesystem meanwhile, and waits for this before it drops its capabilities */
export interface NetworkMsg { type: MessageType.Network }

export interface PidMsg { type: MessageType.Pid; pid: number }
export interface StartedMsg { type: MessageType.Started }
/** stage: "setup" (any step before execve), "lookup" (PATH search), "exec" (execve itself). */
export interface ErrorMsg { type: MessageType.Error; stage: string; errno: number; message: string }
/** code: the exit status, or 128+N when killed by signal N (then signal is N, else 0). */
export interface ExitMsg { type: MessageType.Exit; code: number; signal: number }

export type ToHelper = NamespaceMsg | RootfsMsg | HostnameMsg | MountMsg | MaskMsg | ReadonlyMsg | ArgMsg |
  EnvMsg | CwdMsg | UserMsg | CapsMsg | RlimitMsg | ProcessMsg | SysctlMsg | JoinMsg | SeccompMsg | SeccompRuleMsg |
  InterfaceMsg | EndMsg | GoMsg | NetworkMsg;
export type FromHelper = PidMsg | StartedMsg | ErrorMsg | ExitMsg;

const flag = (b: boolean): string => (b ? '1' : '0');

function fields(m: ToHelper): string[] {
  switch (m.type) {
    case MessageType.Namespace: return [String(m.flag), m.path];
    case MessageType.Rootfs: return [m.path, flag(m.readonly)];
    case MessageType.Hostname: return [m.name];
    case MessageType.Mount:
      return [m.destination, m.fstype, m.source, String(m.flags), String(m.propagation), m.data];
    case MessageType.Mask: case MessageType.Readonly: case MessageType.Cwd: return [m.path];
    case MessageType.Arg: case MessageType.Env: return [m.value];
    case MessageType.User: return [String(m.uid), String(m.gid), ...m.additionalGids.map(String)];
    case MessageType.Caps:
      return [m.bounding, m.effective, m.permitted, m.inheritable, m.ambient].map(String);
    case MessageType.Rlimit: return [String(m.resource), String(m.soft), String(m.hard)];
    case MessageType.Process:
      return [flag(m.terminal), flag(m.stdin), flag(m.init), flag(m.noNewPrivileges)];
    case MessageType.Sysctl: return [m.path, m.value];
    case MessageType.Join: return [String(m.pid), flag(m.detach)];
    case MessageType.Seccomp: return [String(m.defaultAction)];
    case MessageType.SeccompRule:
      return [m.name, String(m.action), ...m.args.flatMap((a) => [a.index, a.op, a.value, a.valueTwo].map(String))];
    case MessageType.Interface: return [m.name, m.address, String(m.prefix), m.gateway];
    case MessageType.End: case MessageType.Go: case MessageType.Network: return [];
  }
}

export function encode(m: ToHelper): Buffer {
  return encodeAll([m]);
}

/** Many messages as one buffer, as written to fd 3. A run's configuration is over a hundred
 *  records, and Node's Buffer code runs cold, in V8's interpreter, on each start: a few small
 *  Buffers for each took about 5 ms, a Buffer.write for each ~0.6 ms. So when the text is ASCII,
 *  as it nearly always is, the headers go in as latin1 characters and the whole is one string,
 *  copied into a Buffer once. */
export function encodeAll(ms: ToHelper[]): Buffer {
  // Each field ends with a NUL; a message without fields (GO) has an empty payload.
  const payloads = ms.map((m) => {
    const f = fields(m);
    return f.length === 0 ? '' : `${f.join('\0')}\0`;
  });
  if (ASCII.test(payloads.join(''))) {
    return Buffer.from(payloads.map((p, i) => header(ms[i].type, p.length) + p).join(''), 'latin1');
  }
  const lengths = payloads.map((p) => Buffer.byteLength(p));
  const out = Buffer.allocUnsafe(lengths.reduce((sum, n) => sum + 8 + n, 0));
  // DataView's setUint32 is V8's own: Buffer's writeUInt32LE checks its arguments in JavaScript.
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  let off = 0;
  ms.forEach((m, i) => {
    view.setUint32(off, m.type, true);
    view.setUint32(off + 4, lengths[i], true);
    off += 8 + out.write(payloads[i], off + 8);
  });
  return out;
}

const ASCII = /^[\x00-\x7f]*$/;

/** A message's header, type and payload length as two little-endian uint32s, as 8 latin1 characters. */
function header(type: number, length: number): string {
  return String.fromCharCode(type & 0xff, (type >>> 8) & 0xff, (type >>> 16) & 0xff, type >>> 24,
    length & 0xff, (length >>> 8) & 0xff, (length >>> 16) & 0xff, length >>> 24);
}

/** UTF-8 bytes as a string: ASCII (the helper's messages nearly always are) one character a byte,
 *  the rest through Buffer. */
function utf8Text(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    text += String.fromCharCode(bytes[i]);
  }
  return text;
}

function decodeOne(type: number, f: string[]): FromHelper {
  switch (type) {
    case MessageType.Pid: return { type: MessageType.Pid, pid: Number(f[0]) };
    case MessageType.Started: return { type: MessageType.Started };
    case MessageType.Error:
      return { type: MessageType.Error, stage: f[0], errno: Number(f[1]), message: f[2] ?? '' };
    case MessageType.Exit: return { type: MessageType.Exit, code: Number(f[0]), signal: Number(f[1] ?? 0) };
    default: throw new Error(`unknown message type ${type} from the runtime helper`);
  }
}

/** Splits a byte stream from fd 4 into messages; feed it chunks as they arrive. Plain Uint8Arrays
 *  and a DataView: Buffer's concat and readUInt32LE are JavaScript V8 compiles on their first
 *  call, in every process (docs/runtime.md). */
export class Decoder {
  private buffered = new Uint8Array(0);

  push(chunk: Uint8Array): FromHelper[] {
    const all = new Uint8Array(this.buffered.length + chunk.length);
    all.set(this.buffered);
    all.set(chunk, this.buffered.length);
    this.buffered = all;
    const out: FromHelper[] = [];
    while (this.buffered.length >= 8) {
      const view = new DataView(this.buffered.buffer, this.buffered.byteOffset, 8);
      const type = view.getUint32(0, true);
      const length = view.getUint32(4, true);
      if (length > MAX_MESSAGE) throw new Error(`message of ${length} bytes from the runtime helper`);
      if (this.buffered.length < 8 + length) break;
      const payload = utf8Text(this.buffered.subarray(8, 8 + length));
      this.buffered = this.buffered.subarray(8 + length);
      const f = payload.split('\0');
      f.pop(); // the text after the last NUL is empty
      out.push(decodeOne(type, f));
    }
    return out;
  }
}
