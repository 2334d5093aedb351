// The shape of a container record, in Docker's own field names so that `inspect` is a direct
// view of what is stored. A record is kept as <root>/containers/<id>/state.json (record.ts).
import type { MountPoint } from './mounts';

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
}

/** How the host runs it (Docker's container.HostConfig, the fields tsdocker supports). */
export interface HostConfig {
  Binds: string[] | null;
  NetworkMode: 'default' | 'host' | 'none';
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
}

export type Status = 'created' | 'running' | 'exited' | 'dead';

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
  /** the tsdocker process that created the container and waits for it (not shown by inspect) */
  Monitor?: { Pid: number; StartTime?: number };
}
