// The Dockerfile instructions that change only the image config, not its files (Dockerfile
// reference; moby's builder/dockerfile/dispatchers.go). `build` uses them for its steps and
// `commit -c` for its changes, so both write the config the same way.
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import type { ContainerConfig, ImageConfig } from '../image/image-config';
import type { Instruction } from './dockerfile';
import { processWord, processWords, splitRaw, type Vars } from './words';

/** The config fields Docker keeps for build (image-spec config.md plus Docker's extensions). */
export interface BuildContainerConfig extends ContainerConfig {
  Shell?: string[];
  OnBuild?: string[] | null;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
}

export type BuildImageConfig = Omit<ImageConfig, 'config'> & { config: BuildContainerConfig };

export const METADATA = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'WORKDIR', 'LABEL', 'EXPOSE', 'USER', 'VOLUME',
  'SHELL', 'STOPSIGNAL', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER']);

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface MetadataContext {
  /** ENV values and ARGs in scope, for substitution */
  vars: Vars;
  escape: string;
  /** set once this stage has its own CMD: ENTRYPOINT then leaves it (else it clears an inherited one) */
  cmdSet?: boolean;
}

/** Apply one metadata instruction to `img` (changed in place). */
export function applyMetadata(img: BuildImageConfig, ins: Instruction, ctx: MetadataContext): void {
  const c = img.config;
  const word = (s: string) => processWord(s, ctx.vars, ctx.escape);
  const words = (s: string) => processWords(s, ctx.vars, ctx.escape);
  switch (ins.keyword) {
    case 'CMD':
      c.Cmd = ins.json ?? [...(c.Shell ?? DEFAULT_SHELL), ins.args];
      ctx.cmdSet = true;
      break;
    case 'ENTRYPOINT':
      c.Entrypoint = ins.json ?? [...(c.Shell ?? DEFAULT_SHELL), ins.args];
      // "If CMD is defined from the base image, setting ENTRYPOINT will reset CMD to an empty value."
      if (!ctx.cmdSet) c.Cmd = null;
      break;
    case 'ENV': {
      const env = [...(c.Env ?? [])];
      for (const [k, v] of pairs(ins, ctx, 'ENV')) {
        const at = env.findIndex((e) => e.split('=', 1)[0] === k);
        if (at >= 0) env[at] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      c.Env = env;
      break;
    }
    case 'LABEL':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of pairs(ins, ctx, 'LABEL')) c.Labels[k] = v;
      break;
    case 'WORKDIR':
      c.WorkingDir = path.posix.resolve(c.WorkingDir || '/', word(ins.args));
      break;
    case 'USER':
      c.User = word(ins.args);
      break;
    case 'STOPSIGNAL':
      c.StopSignal = word(ins.args);
      break;
    case 'EXPOSE':
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of words(ins.args).flatMap(expandPort)) c.ExposedPorts[p] = {};
      break;
    case 'VOLUME':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of ins.json ?? words(ins.args)) {
        if (v.trim() === '') throw new TsdockerError('VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      break;
    case 'SHELL':
      c.Shell = ins.json!;
      break;
    case 'HEALTHCHECK':
      c.Healthcheck = healthcheck(ins);
      break;
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), ins.args];
      break;
    case 'MAINTAINER':
      img.author = word(ins.args);
      break;
    default:
      throw new TsdockerError(`${ins.keyword} is not a metadata instruction`);
  }
}

/** key=value pairs of ENV and LABEL (and the legacy `ENV key value with spaces`). */
function pairs(ins: Instruction, ctx: MetadataContext, what: string): Array<[string, string]> {
  const raw = splitRaw(ins.args, ctx.escape);
  if (what === 'ENV' && !raw[0].includes('=')) {
    const value = ins.args.slice(ins.args.indexOf(raw[0]) + raw[0].length).trim();
    if (value === '') throw new TsdockerError(`ENV ${raw[0]}: missing a value (use ENV ${raw[0]}=value)`);
    return [[raw[0], processWord(value, ctx.vars, ctx.escape)]];
  }
  return raw.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new TsdockerError(`${what} ${w}: expected key=value`);
    return [processWord(w.slice(0, eq), ctx.vars, ctx.escape), processWord(w.slice(eq + 1), ctx.vars, ctx.escape)];
  });
}

/** "80" -> ["80/tcp"], "8000-8002/udp" -> three ports (Docker expands ranges). */
function expandPort(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new TsdockerError(`invalid port for EXPOSE: ${spec}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (hi < lo || hi > 65535) throw new TsdockerError(`invalid port range for EXPOSE: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto}`);
}

// CMD-SHELL runs with the container's default shell, whatever SHELL says (Dockerfile reference).
function healthcheck(ins: Instruction): BuildContainerConfig['Healthcheck'] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.args)!;
  if (m[1].toUpperCase() === 'NONE') return { Test: ['NONE'] };
  const rest = m[2].trim();
  if (rest === '') throw new TsdockerError('HEALTHCHECK CMD requires a command');
  let test: string[];
  try {
    const v = JSON.parse(rest) as unknown;
    test = Array.isArray(v) ? ['CMD', ...v.map(String)] : ['CMD-SHELL', rest];
  } catch {
    test = ['CMD-SHELL', rest];
  }
  const hc: NonNullable<BuildContainerConfig['Healthcheck']> = { Test: test };
  const dur = (flag: string) => (ins.flags.has(flag) ? durationNs(ins.flags.get(flag)!, flag) : undefined);
  hc.Interval = dur('interval');
  hc.Timeout = dur('timeout');
  hc.StartPeriod = dur('start-period');
  hc.StartInterval = dur('start-interval');
  if (ins.flags.has('retries')) {
    const r = Number(ins.flags.get('retries'));
    if (!Number.isInteger(r) || r < 0) throw new TsdockerError(`invalid --retries: ${ins.flags.get('retries')}`);
    hc.Retries = r;
  }
  return JSON.parse(JSON.stringify(hc)) as typeof hc; // drops the undefined fields
}

/** Go duration syntax ("30s", "1m30s", "500ms") in nanoseconds, as Docker stores them. */
export function durationNs(text: string, flag: string): number {
  // "\u00b5s" is Go's "µs", escaped: one non-ASCII character in the bundle made V8 hold all of its
  // source as two-byte text (scripts/bundle.js checks the bundle is ASCII).
  const unit: Record<string, number> = { ns: 1, us: 1e3, '\u00b5s': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * unit[m[2]];
    at = re.lastIndex;
  }
  if (text === '' || at !== text.length) throw new TsdockerError(`invalid duration for --${flag}: ${text}`);
  return Math.round(total);
}
