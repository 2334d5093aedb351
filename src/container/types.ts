// The shape of a container record, in Docker's own field names so that `inspect` is a direct
// view of what is stored. A record is kept as <root>/containers/<id>/state.json (record.ts).
import type { MountPoint } from './mounts';
import type { NetworkSettings } from '../network/attach';
import type { PortMap } from '../network/ports';

/** What to run and how (Docker's container.Config). */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  /** the image as the user named it ("busybox") */
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  /** "80/tcp": {} for each EXPOSEd or published port */
  ExposedPorts?: Record<string, object>;
}

/** How the host runs it (Docker's container.HostConfig, the fields tsdocker supports). */
export interface HostConfig {
  Binds: string[] | null;
  /** "bridge" (the default), "host", "none", "container:<id>", or a user-defined network's name */
  NetworkMode: string;
  /** -p and -P: "80/tcp" -> [{HostIp, HostPort}], HostPort "" for a random one */
  PortBindings?: PortMap | null;
  PublishAllPorts?: boolean;
  /** --dns */
  Dns?: string[] | null;
  /** --add-host, "name:ip" */
  ExtraHosts?: string[] | null;
  AutoRemove: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  Tmpfs: Record<string, string> | null;
  Init: boolean;
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  CpuShares: number;
  PidsLimit: number;
  MaskedPaths: string[];
  ReadonlyPaths: string[];
  /** --restart, applied by the monitor of a detached container (restart-policy.ts); absent = "no" */
  RestartPolicy?: RestartPolicy;
}

/** Docker's HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** on-failure:N; 0 = no limit */
  MaximumRetryCount: number;
}

export type Status = 'created' | 'running' | 'restarting' | 'exited' | 'dead';

/** Docker's zero time, used for "never". */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerState {
  Status: Status;
  Running: boolean;
  /** host pid of the container's init (its pid 1), 0 when not running */
  Pid: number;
  /** /proc/<pid>/stat starttime, so a reused pid is not mistaken for the container */
  PidStartTime?: number;
  ExitCode: number;
  OOMKilled: boolean;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface ContainerRecord {
  /** 64 hex digits */
  Id: string;
  /** without Docker's leading "/" */
  Name: string;
  Created: string;
  /** image id, "sha256:<hex>" */
  Image: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  State: ContainerState;
  /** the networks it is on, and while it runs its addresses and published ports */
  NetworkSettings?: NetworkSettings;
  /** the tsdocker process that created the container and waits for it (not shown by inspect):
   *  `run` in the foreground, or the detached container's monitor (monitor.ts) */
  Monitor?: { Pid: number; StartTime?: number };
  /** times the monitor restarted it under its --restart policy */
  RestartCount?: number;
}
