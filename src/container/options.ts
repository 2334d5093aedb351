// From `tsdocker run` flags plus the image's config to the container's Config and HostConfig,
// checked once, before anything is created on disk (moby: the CLI's parse() in opts.go and the
// daemon's mergeAndVerifyConfig). A bad flag is a TsdockerError (exit 125) and leaves no trace.
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import type { ImageConfig } from '../image/store';
import { capabilitySet } from './caps';
import { processArgs, resolveCommand } from './command';
import { MASKED_PATHS, READONLY_PATHS } from './defaults';
import { mergeEnv, userEnv } from './env';
import { checkDuplicates, imageVolumes, MountPoint, parseTmpfsFlag, parseVolumeFlag } from './mounts';
import { parseResources } from './resources';
import { parseRestartPolicy } from './restart-policy';
import { loadSeccompProfile } from './seccomp';
import type { ContainerConfig, HostConfig } from './types';
import { isIPv4, portBindings } from '../network/ports';

/** The flags of `tsdocker run`, Docker's names, as the CLI parsed them. */
export interface RunOptions {
  /** the image as typed */
  image: string;
  /** words after the image */
  args: string[];
  name?: string;
  interactive: boolean;
  tty: boolean;
  autoRemove: boolean;
  volumes: string[];
  tmpfs: string[];
  env: string[];
  envFiles: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  init: boolean;
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: number;
  pidsLimit?: number;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  readOnly: boolean;
  network: string;
  /** -p [IP:][HOSTPORT:]CONTAINERPORT[/PROTO] */
  publish?: string[];
  /** -P: every EXPOSEd port on a random host port */
  publishAll?: boolean;
  dns?: string[];
  /** --add-host NAME:IP */
  addHost?: string[];
  securityOpt: string[];
  /** -d: run in the background under a monitor (monitor.ts) */
  detach?: boolean;
  /** --restart no|on-failure[:N]|always|unless-stopped */
  restart?: string;
}

export interface CreateConfig {
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
}

export function defaultRunOptions(image: string, args: string[] = []): RunOptions {
  return {
    image, args, interactive: false, tty: false, autoRemove: false, volumes: [], tmpfs: [], env: [],
    envFiles: [], init: false, capAdd: [], capDrop: [], privileged: false, readOnly: false,
    network: 'default', securityOpt: [],
  };
}

const HOSTNAME_RE = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/;

export function createConfig(o: RunOptions, image: ImageConfig, id: string,
  hostEnv: NodeJS.ProcessEnv = process.env, hostHostname = ''): CreateConfig {
  const ic = image.config ?? {};
  const network = networkMode(o.network);

  const resolved = resolveCommand({ imageEntrypoint: ic.Entrypoint, imageCmd: ic.Cmd, args: o.args, entrypoint: o.entrypoint });
  const { path: cmdPath, args } = processArgs(resolved);

  const workdir = o.workdir ?? ic.WorkingDir ?? '';
  if (workdir !== '' && !path.posix.isAbsolute(workdir)) {
    throw new TsdockerError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  }

  if (o.hostname !== undefined && !HOSTNAME_RE.test(o.hostname)) {
    throw new TsdockerError(`invalid hostname format: ${o.hostname}`);
  }
  // With the host's network the container sees the host's name, as in Docker.
  const hostname = o.hostname ?? (network === 'host' && hostHostname ? hostHostname : id.slice(0, 12));

  const securityOpt = o.securityOpt.map(securityOption);

  const limits = parseResources(o);
  const restartPolicy = parseRestartPolicy(o.restart);
  if (restartPolicy.Name !== 'no' && o.autoRemove) throw new TsdockerError('conflicting options: cannot specify both --restart and --rm');
  capabilitySet({ capAdd: o.capAdd, capDrop: o.capDrop, privileged: o.privileged }); // validates names

  const net = networkOptions(o, network, Object.keys(ic.ExposedPorts ?? {}));

  const userMounts = [...o.volumes.map(parseVolumeFlag), ...o.tmpfs.map(parseTmpfsFlag)];
  const mounts = [...userMounts, ...imageVolumes(ic.Volumes ?? undefined, userMounts)];
  checkDuplicates(mounts);

  const Config: ContainerConfig = {
    Hostname: hostname,
    Domainname: '',
    User: o.user ?? ic.User ?? '',
    AttachStdin: o.interactive,
    AttachStdout: true,
    AttachStderr: true,
    Tty: o.tty,
    OpenStdin: o.interactive,
    // Docker: a detached container's stdin stays open when an attached client's ends.
    StdinOnce: o.interactive && !o.detach,
    Env: mergeEnv(ic.Env ?? [], userEnv(o.env, o.envFiles, hostEnv)),
    Cmd: resolved.cmd,
    Image: o.image,
    Volumes: ic.Volumes ?? null,
    WorkingDir: workdir,
    Entrypoint: resolved.entrypoint,
    Labels: { ...(ic.Labels ?? {}) },
    ...(net.exposed.length > 0 ? { ExposedPorts: Object.fromEntries(net.exposed.map((p) => [p, {}])) } : {}),
    ...(ic.StopSignal ? { StopSignal: ic.StopSignal } : {}),
  };

  const HostConfig: HostConfig = {
    Binds: o.volumes.length > 0 ? [...o.volumes] : null,
    NetworkMode: network,
    PortBindings: net.portBindings,
    PublishAllPorts: Boolean(o.publishAll),
    Dns: o.dns?.length ? [...o.dns] : null,
    ExtraHosts: o.addHost?.length ? [...o.addHost] : null,
    AutoRemove: o.autoRemove,
    CapAdd: o.capAdd.length > 0 ? [...o.capAdd] : null,
    CapDrop: o.capDrop.length > 0 ? [...o.capDrop] : null,
    Privileged: o.privileged,
    ReadonlyRootfs: o.readOnly,
    SecurityOpt: securityOpt.length > 0 ? securityOpt : null,
    Tmpfs: o.tmpfs.length > 0 ? Object.fromEntries(userMounts.filter((m) => m.Type === 'tmpfs').map((m) => [m.Destination, m.Mode])) : null,
    Init: o.init,
    Memory: limits.memory,
    MemorySwap: limits.memorySwap,
    NanoCpus: limits.nanoCpus,
    CpuShares: limits.cpuShares,
    PidsLimit: limits.pidsLimit,
    MaskedPaths: o.privileged ? [] : [...MASKED_PATHS],
    ReadonlyPaths: o.privileged ? [] : [...READONLY_PATHS],
    RestartPolicy: restartPolicy,
  };
  return { Path: cmdPath, Args: args, Config, HostConfig, Mounts: mounts };
}

/** --network: "bridge" (also "default", Docker's default), "host", "none", "container:NAME", or
 *  the name of a user-defined network (checked when the container is created). */
function networkMode(n: string): HostConfig['NetworkMode'] {
  if (n === 'default' || n === '') return 'bridge';
  if (n === 'container:') throw new TsdockerError('invalid container format container:<name|id>');
  if (n.startsWith('container:') || /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(n)) return n;
  throw new TsdockerError(`network ${n} not found`);
}

/** -p, -P, --dns, --add-host, checked together with the network mode (moby's verifyNetworkMode). */
function networkOptions(o: RunOptions, mode: string, imageExposed: string[]): { portBindings: HostConfig['PortBindings']; exposed: string[] } {
  const publish = o.publish ?? [];
  const own = mode !== 'host' && !mode.startsWith('container:');
  if (mode.startsWith('container:')) {
    if (o.hostname !== undefined) throw new TsdockerError('conflicting options: hostname and the network mode');
    if (o.dns?.length) throw new TsdockerError('conflicting options: dns and the network mode');
    if (o.addHost?.length) throw new TsdockerError('conflicting options: custom host-to-IP mapping and the network mode');
  }
  if (!own && (publish.length > 0 || o.publishAll)) {
    throw new TsdockerError(`conflicting options: port publishing and the ${mode.startsWith('container:') ? 'container type' : mode} network mode`);
  }
  for (const d of o.dns ?? []) {
    if (!isIPv4(d) && !/^[0-9a-fA-F:]+$/.test(d)) throw new TsdockerError(`${d} is not an ip address`);
  }
  for (const h of o.addHost ?? []) {
    const at = h.search(/[:=]/);
    const ip = at > 0 ? h.slice(at + 1) : '';
    if (at <= 0 || !(isIPv4(ip) || ip === 'host-gateway' || /^[0-9a-fA-F:]+$/.test(ip) && ip.includes(':'))) {
      throw new TsdockerError(`invalid argument "${h}" for "--add-host" flag: expected HOST:IP (or HOST:host-gateway)`);
    }
  }
  const bindings = portBindings(publish, Boolean(o.publishAll), imageExposed);
  // Docker adds every published port to the exposed ones.
  const exposed = [...new Set([...imageExposed.map((p) => (p.includes('/') ? p : `${p}/tcp`)), ...Object.keys(bindings)])];
  return { portBindings: own ? bindings : {}, exposed };
}

/** One --security-opt, checked; as Docker's CLI does, seccomp=FILE becomes seccomp=<the profile's JSON>,
 *  which is what HostConfig.SecurityOpt keeps (and inspect shows). */
function securityOption(opt: string): string {
  if (/^no-new-privileges([:=](true|false))?$/.test(opt)) return opt;
  const seccomp = /^seccomp[=:](.+)$/.exec(opt);
  if (seccomp) return seccomp[1] === 'unconfined' ? opt : `seccomp=${loadSeccompProfile(seccomp[1])}`;
  throw new TsdockerError(`invalid --security-opt: "${opt}" (supported: no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json)`);
}

/** --security-opt no-new-privileges[=true|:true] turns it on; "=false" leaves Docker's default (off). */
export function noNewPrivileges(securityOpt: string[] | null): boolean {
  return (securityOpt ?? []).some((o) => /^no-new-privileges([:=]true)?$/.test(o));
}
