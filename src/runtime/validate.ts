// Checks on a runtime spec before anything is created, one small named check per rule, in the
// style of runc's libcontainer/configs/validate: each message names the conflict.
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { capabilityNumber } from './capabilities';
import { NAMESPACE_FLAGS } from './namespaces';
import { seccompProblem } from './seccomp';
import { RLIMITS } from './translate';
import type { RuntimeSpec } from './spec';

type Check = (spec: RuntimeSpec) => string | undefined;

const hasNamespace = (spec: RuntimeSpec, type: string): boolean =>
  (spec.linux?.namespaces ?? []).some((ns) => ns.type === type);

/** Whether the spec makes a new namespace of this type (not joining one: its sysctls are not ours). */
const privateNamespace = (spec: RuntimeSpec, type: string): boolean =>
  (spec.linux?.namespaces ?? []).some((ns) => ns.type === type && !ns.path);

/** Which namespace isolates a sysctl; only those may be set (runc validate.go sysctl). */
function sysctlNamespace(key: string): string | undefined {
  if (key.startsWith('net.')) return 'network';
  if (/^(kernel\.(msg|sem|shm)|fs\.mqueue\.)/.test(key)) return 'ipc';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return undefined;
}

const isAbsoluteClean = (p: string): boolean => path.isAbsolute(p) && !p.split('/').includes('..');

const checks: Record<string, Check> = {
  version: (s) => (/^1\.\d+/.test(s.ociVersion ?? '') ? undefined :
    `unsupported ociVersion "${s.ociVersion}": expected 1.x`),
  process: (s) => (s.process && Array.isArray(s.process.args) && s.process.args.length > 0 ? undefined :
    'process.args must name a command'),
  cwd: (s) => (s.process?.cwd && path.isAbsolute(s.process.cwd) ? undefined :
    `process.cwd "${s.process?.cwd ?? ''}" must be an absolute path`),
  user: (s) => {
    const u = s.process?.user;
    const ids = [u?.uid, u?.gid, ...(u?.additionalGids ?? [])];
    return ids.every((id) => Number.isInteger(id) && (id as number) >= 0) ? undefined :
      'process.user needs non-negative integer uid, gid and additionalGids';
  },
  root: (s) => (s.root?.path ? undefined : 'root.path is required'),
  namespaceTypes: (s) => {
    for (const ns of s.linux?.namespaces ?? []) {
      if (NAMESPACE_FLAGS[ns.type] === undefined) return `namespace type "${ns.type}" is not supported by tsdocker`;
    }
    return undefined;
  },
  namespaceDuplicates: (s) => {
    const types = (s.linux?.namespaces ?? []).map((ns) => ns.type);
    const dup = types.find((t, i) => types.indexOf(t) !== i);
    return dup ? `namespace "${dup}" is listed twice` : undefined;
  },
  mountNamespace: (s) => (hasNamespace(s, 'mount') ? undefined :
    'unable to set up the root filesystem without a private mount namespace'),
  hostname: (s) => {
    if (!s.hostname) return undefined;
    const uts = (s.linux?.namespaces ?? []).find((ns) => ns.type === 'uts');
    if (!uts) return 'unable to set hostname without a private UTS namespace';
    return uts.path ? 'unable to set hostname when joining an existing UTS namespace' : undefined;
  },
  mounts: (s) => {
    for (const m of s.mounts ?? []) {
      if (!isAbsoluteClean(m.destination ?? '')) return `mount destination "${m.destination}" must be an absolute path without ".."`;
      const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
      if (bind && !m.source) return `bind mount on ${m.destination} has no source`;
      if (!bind && !m.type) return `mount on ${m.destination} has no type`;
    }
    return undefined;
  },
  paths: (s) => {
    for (const p of [...(s.linux?.maskedPaths ?? []), ...(s.linux?.readonlyPaths ?? [])]) {
      if (!isAbsoluteClean(p)) return `masked or read-only path "${p}" must be an absolute path without ".."`;
    }
    return undefined;
  },
  capabilities: (s) => {
    const c = s.process?.capabilities ?? {};
    for (const name of [...c.bounding ?? [], ...c.effective ?? [], ...c.permitted ?? [], ...c.inheritable ?? [], ...c.ambient ?? []]) {
      if (capabilityNumber(name) === undefined) return `unknown capability "${name}"`;
    }
    return undefined;
  },
  sysctl: (s) => {
    for (const key of Object.keys(s.linux?.sysctl ?? {})) {
      const ns = sysctlNamespace(key);
      if (!ns) return `sysctl "${key}" is not in a separate kernel namespace`;
      if (!privateNamespace(s, ns)) return `sysctl "${key}" is not allowed without a private ${ns} namespace`;
    }
    return undefined;
  },
  devices: (s) => {
    for (const d of s.linux?.resources?.devices ?? []) {
      if (d.type !== undefined && !['a', 'b', 'c'].includes(d.type)) return `device rule type "${d.type}": expected a, b or c`;
    }
    return undefined;
  },
  seccomp: (s) => (s.linux?.seccomp ? seccompProblem(s.linux.seccomp) : undefined),
  rlimits: (s) => {
    for (const r of s.process?.rlimits ?? []) {
      if (RLIMITS[r.type] === undefined) return `unknown rlimit "${r.type}"`;
      if (r.soft > r.hard) return `rlimit ${r.type}: soft limit ${r.soft} is above hard limit ${r.hard}`;
    }
    return undefined;
  },
};

/** Throws a TsdockerError naming the first rule the spec breaks. */
export function validateSpec(spec: RuntimeSpec): void {
  for (const check of Object.values(checks)) {
    const problem = check(spec);
    if (problem) throw new TsdockerError(`invalid runtime spec: ${problem}`);
  }
}
