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
import type { ContainerConfig, HostConfig } from './types';

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
  securityOpt: string[];
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

  for (const opt of o.securityOpt) {
    if (!/^no-new-privileges([:=]true)?$|^no-new-privileges[:=]false$/.test(opt)) {
      throw new TsdockerError(`invalid --security-opt: "${opt}" (supported: no-new-privileges)`);
    }
  }

  const limits = parseResources(o);
  capabilitySet({ capAdd: o.capAdd, capDrop: o.capDrop, privileged: o.privileged }); // validates names

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
    StdinOnce: o.interactive,
    Env: mergeEnv(ic.Env ?? [], userEnv(o.env, o.envFiles, hostEnv)),
    Cmd: resolved.cmd,
    Image: o.image,
    Volumes: ic.Volumes ?? null,
    WorkingDir: workdir,
    Entrypoint: resolved.entrypoint,
    Labels: { ...(ic.Labels ?? {}) },
    ...(ic.StopSignal ? { StopSignal: ic.StopSignal } : {}),
  };

  const HostConfig: HostConfig = {
    Binds: o.volumes.length > 0 ? [...o.volumes] : null,
    NetworkMode: network,
    AutoRemove: o.autoRemove,
    CapAdd: o.capAdd.length > 0 ? [...o.capAdd] : null,
    CapDrop: o.capDrop.length > 0 ? [...o.capDrop] : null,
    Privileged: o.privileged,
    ReadonlyRootfs: o.readOnly,
    SecurityOpt: o.securityOpt.length > 0 ? [...o.securityOpt] : null,
    Tmpfs: o.tmpfs.length > 0 ? Object.fromEntries(userMounts.filter((m) => m.Type === 'tmpfs').map((m) => [m.Destination, m.Mode])) : null,
    Init: o.init,
    Memory: limits.memory,
    MemorySwap: limits.memorySwap,
    NanoCpus: limits.nanoCpus,
    CpuShares: limits.cpuShares,
    PidsLimit: limits.pidsLimit,
    MaskedPaths: o.privileged ? [] : [...MASKED_PATHS],
    ReadonlyPaths: o.privileged ? [] : [...READONLY_PATHS],
  };
  return { Path: cmdPath, Args: args, Config, HostConfig, Mounts: mounts };
}

function networkMode(n: string): HostConfig['NetworkMode'] {
  if (n === 'default' || n === '') return 'default';
  if (n === 'host' || n === 'none') return n;
  throw new TsdockerError(`network ${n} not found (supported: host, none, default)`);
}

/** --security-opt no-new-privileges[=true|:true] turns it on; "=false" leaves Docker's default (off). */
export function noNewPrivileges(securityOpt: string[] | null): boolean {
  return (securityOpt ?? []).some((o) => /^no-new-privileges([:=]true)?$/.test(o));
}
