// config.json -> the protocol messages the helper reads (protocol.ts). All the interpreting of the
// spec happens here, in TypeScript: option words become mount(2) flags, capability names become
// bit masks, relative paths become absolute, so the C only makes system calls.
import * as path from 'node:path';
import { capabilityMask } from './capabilities';
import { parseMountOptions } from './mountflags';
import { NAMESPACE_FLAGS } from './namespaces';
import { MessageType, type ToHelper } from './protocol';
import { seccompMessages } from './seccomp';
import { INIT_ANNOTATION, type Mount, type Process, type RuntimeSpec } from './spec';

/** RLIMIT_* numbers (asm-generic/resource.h, the same on x86-64 and arm64). */
export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export interface TranslateOptions {
  /** the bundle directory, against which relative paths in the spec resolve */
  bundle: string;
  /** -i: the container reads our stdin */
  stdin: boolean;
}

export function rootfsPath(spec: RuntimeSpec, bundle: string): string {
  return path.resolve(bundle, spec.root.path);
}

export function wantsInit(spec: RuntimeSpec): boolean {
  return spec.annotations?.[INIT_ANNOTATION] === 'true';
}

function mountMessage(m: Mount, bundle: string): ToHelper {
  const opts = parseMountOptions(m.options, m.type);
  const bind = (opts.flags & 4096) !== 0; // MS_BIND
  // "cgroup" in a spec means "the container's view of /sys/fs/cgroup". tsdocker mounts the cgroup2
  // hierarchy there, scoped by the cgroup namespace; v1 controller trees are not mounted inside.
  const fstype = bind ? '' : m.type === 'cgroup' ? 'cgroup2' : m.type ?? '';
  const source = bind ? path.resolve(bundle, m.source ?? '') : m.source ?? fstype;
  return {
    type: MessageType.Mount, destination: m.destination, fstype, source,
    flags: opts.flags, propagation: opts.propagation, data: opts.data,
  };
}

export function translate(spec: RuntimeSpec, opts: TranslateOptions): ToHelper[] {
  const p = spec.process;
  const out: ToHelper[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    out.push({ type: MessageType.Namespace, flag: NAMESPACE_FLAGS[ns.type], path: ns.path ?? '' });
  }
  out.push({ type: MessageType.Rootfs, path: rootfsPath(spec, opts.bundle), readonly: spec.root.readonly === true });
  if (spec.hostname) out.push({ type: MessageType.Hostname, name: spec.hostname });
  for (const m of spec.mounts ?? []) out.push(mountMessage(m, opts.bundle));
  for (const m of spec.linux?.maskedPaths ?? []) out.push({ type: MessageType.Mask, path: m });
  for (const r of spec.linux?.readonlyPaths ?? []) out.push({ type: MessageType.Readonly, path: r });
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    out.push({ type: MessageType.Sysctl, path: key.replace(/\./g, '/'), value });
  }
  out.push(...seccompMessages(spec.linux?.seccomp));
  out.push(...processMessages(p, { stdin: opts.stdin, init: wantsInit(spec) }));
  return out;
}

/** The process half of the configuration, shared by `run` and `exec`: argv, env, cwd, user,
 *  capabilities, rlimits and the PROCESS flags, closed by END. */
export function processMessages(p: Process, opts: { stdin: boolean; init: boolean }): ToHelper[] {
  const caps = p.capabilities ?? {};
  const out: ToHelper[] = [];
  for (const a of p.args) out.push({ type: MessageType.Arg, value: a });
  for (const e of p.env ?? []) out.push({ type: MessageType.Env, value: e });
  out.push({ type: MessageType.Cwd, path: p.cwd });
  out.push({ type: MessageType.User, uid: p.user.uid, gid: p.user.gid, additionalGids: p.user.additionalGids ?? [] });
  out.push({
    type: MessageType.Caps,
    bounding: capabilityMask(caps.bounding), effective: capabilityMask(caps.effective),
    permitted: capabilityMask(caps.permitted), inheritable: capabilityMask(caps.inheritable),
    ambient: capabilityMask(caps.ambient),
  });
  for (const r of p.rlimits ?? []) {
    out.push({ type: MessageType.Rlimit, resource: RLIMITS[r.type], soft: limit(r.soft), hard: limit(r.hard) });
  }
  out.push({
    type: MessageType.Process, terminal: p.terminal === true, stdin: opts.stdin, init: opts.init,
    noNewPrivileges: p.noNewPrivileges === true,
  });
  out.push({ type: MessageType.End });
  return out;
}

/** -1 (or anything at or past 2^64-1) means RLIM_INFINITY. */
function limit(n: number): bigint {
  return n < 0 || n >= 2 ** 64 - 1 ? (1n << 64n) - 1n : BigInt(Math.floor(n));
}
