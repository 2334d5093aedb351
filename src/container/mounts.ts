// -v/--volume and --tmpfs, parsed with Docker's rules (moby volume/mounts/linux_parser.go):
//   -v /host/dir:/ctr[:ro]   bind mount; the host directory is created if missing
//   -v name:/ctr[:ro]        named volume, kept under <root>/volumes/name/_data
//   -v /ctr                  anonymous volume (a random 64-hex name, removed by rm -v and --rm)
//   --tmpfs /ctr[:opts]      tmpfs, noexec,nosuid,nodev unless the options say otherwise
// Parsing is pure; creating directories and volumes happens in lifecycle.ts.
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { randomHex } from '../random';

/** One mount as `docker inspect` shows it under "Mounts". */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** volume name (volumes only) */
  Name?: string;
  /** host path (a volume's _data directory once created) */
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** tsdocker: true for a volume made for this container alone (`-v /ctr` or an image VOLUME) */
  Anonymous?: boolean;
  /** tsdocker: tmpfs mount options */
  Options?: string[];
}

const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

export function isVolumeName(name: string): boolean {
  return VOLUME_NAME_RE.test(name);
}

export function anonymousVolumeName(): string {
  return randomHex(32);
}

function destination(spec: string, dest: string): string {
  if (!path.isAbsolute(dest)) throw new TsdockerError(`invalid volume specification: '${spec}': destination must be an absolute path`);
  const clean = path.posix.normalize(dest).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw new TsdockerError(`invalid volume specification: '${spec}': destination can't be '/'`);
  return clean;
}

/** Parse one -v value. A volume's Source is filled in when the volume is created. */
export function parseVolumeFlag(spec: string): MountPoint {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new TsdockerError(`invalid volume specification: '${spec}'`);
  }
  if (parts.length === 1) {
    const name = anonymousVolumeName();
    return { Type: 'volume', Name: name, Source: '', Destination: destination(spec, parts[0]), Driver: 'local',
      Mode: '', RW: true, Propagation: '', Anonymous: true };
  }
  const [source, dest, mode = ''] = parts;
  const opts = mode === '' ? [] : mode.split(',');
  for (const o of opts) {
    if (!MODES.has(o)) throw new TsdockerError(`invalid mode: ${o}`);
  }
  if (opts.includes('ro') && opts.includes('rw')) throw new TsdockerError(`invalid mode: ${mode}`);
  const rw = !opts.includes('ro');
  const propagation = opts.find((o) => PROPAGATIONS.has(o));
  if (source.startsWith('/')) {
    return { Type: 'bind', Source: path.posix.normalize(source), Destination: destination(spec, dest), Mode: mode,
      RW: rw, Propagation: propagation ?? 'rprivate' };
  }
  if (!isVolumeName(source)) {
    throw new TsdockerError(`"${source}" includes invalid characters for a local volume name, ` +
      'only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed; if you intended to pass a host directory, use an absolute path');
  }
  if (propagation) throw new TsdockerError(`invalid volume specification: '${spec}': propagation is for bind mounts only`);
  return { Type: 'volume', Name: source, Source: '', Destination: destination(spec, dest), Driver: 'local',
    Mode: mode === '' ? 'z' : mode, RW: rw, Propagation: '' };
}

/** Parse one --tmpfs value: "/run" or "/run:rw,size=64m,exec". */
export function parseTmpfsFlag(spec: string): MountPoint {
  const colon = spec.indexOf(':');
  const dest = colon === -1 ? spec : spec.slice(0, colon);
  const userOpts = colon === -1 ? [] : spec.slice(colon + 1).split(',').filter(Boolean);
  // Docker's defaults for --tmpfs; an explicit "exec", "suid" or "dev" switches one off.
  const defaults = ['noexec', 'nosuid', 'nodev'].filter((d) => !userOpts.includes(d.slice(2)));
  return { Type: 'tmpfs', Source: 'tmpfs', Destination: destination(spec, dest), Mode: userOpts.join(','),
    RW: !userOpts.includes('ro'), Propagation: '', Options: [...defaults, ...userOpts] };
}

/** Two mounts on one destination are a user error, as in Docker ("Duplicate mount point"). */
export function checkDuplicates(mounts: MountPoint[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.Destination)) throw new TsdockerError(`duplicate mount point: ${m.Destination}`);
    seen.add(m.Destination);
  }
}

/** Image VOLUMEs not covered by a user mount become anonymous volumes, as in Docker. */
export function imageVolumes(volumes: Record<string, object> | undefined, user: MountPoint[]): MountPoint[] {
  const taken = new Set(user.map((m) => m.Destination));
  return Object.keys(volumes ?? {})
    .map((d) => path.posix.normalize(d).replace(/(.)\/+$/, '$1'))
    .filter((d) => d !== '/' && path.posix.isAbsolute(d) && !taken.has(d))
    .map((d) => ({ Type: 'volume' as const, Name: anonymousVolumeName(), Source: '', Destination: d,
      Driver: 'local', Mode: '', RW: true, Propagation: '', Anonymous: true }));
}

/** runtime-spec mount for one MountPoint (Source must be set). */
export function specMount(m: MountPoint): { destination: string; type: string; source: string; options: string[] } {
  if (m.Type === 'tmpfs') return { destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: m.Options ?? [] };
  return {
    destination: m.Destination, type: 'bind', source: m.Source,
    options: ['rbind', m.RW ? 'rw' : 'ro', m.Propagation || 'rprivate'],
  };
}
