// The capability set of the container's process (capabilities(7)): Docker's default 14, changed by
// --cap-add/--cap-drop (names with or without "CAP_", any case, or "ALL"), or every capability
// with --privileged. Same rules as moby caps.TweakCapabilities: with "ALL" in --cap-add, start from
// everything and drop; with "ALL" in --cap-drop, start from nothing and add.
import { TsdockerError } from '../errors';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './defaults';
import { readText } from '../sys/libc';

export function normaliseCap(name: string): string {
  const upper = name.toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) throw new TsdockerError(`unknown capability: "${name}"`);
  return full;
}

export interface CapabilityOptions {
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  /** what "every capability" means: tsdocker's own bounding set, since a process cannot hand out
   *  a capability it lacks (capset(2) fails EPERM); all of Linux's when not given */
  available?: string[];
}

export function capabilitySet(opts: CapabilityOptions): string[] {
  const all = opts.available ?? ALL_CAPABILITIES;
  if (opts.privileged) return ALL_CAPABILITIES.filter((c) => all.includes(c));
  const add = opts.capAdd.map(normaliseCap);
  const drop = opts.capDrop.map(normaliseCap);
  let caps: string[];
  if (add.includes('ALL')) {
    caps = all.filter((c) => !drop.includes(c));
  } else if (drop.includes('ALL')) {
    caps = add;
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  }
  // Keep the kernel's numbering order and no duplicates, so the list reads like /proc/self/status.
  return ALL_CAPABILITIES.filter((c) => caps.includes(c));
}

/** The capabilities in this process's bounding set (CapBnd in /proc/self/status, proc(5)). */
export function ownBoundingSet(status = '/proc/self/status'): string[] | undefined {
  let text: string | undefined;
  try {
    text = readText(status);
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  if (!hex) return undefined;
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
