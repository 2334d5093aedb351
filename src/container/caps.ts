// The capability set of the container's process (capabilities(7)): Docker's default 14, changed by
// --cap-add/--cap-drop (names with or without "CAP_", any case, or "ALL"), or every capability
// with --privileged. Same rules as moby caps.TweakCapabilities: with "ALL" in --cap-add, start from
// everything and drop; with "ALL" in --cap-drop, start from nothing and add.
import { TsdockerError } from '../errors';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './defaults';

export function normaliseCap(name: string): string {
  const upper = name.toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) throw new TsdockerError(`unknown capability: "${name}"`);
  return full;
}

export function capabilitySet(opts: { capAdd: string[]; capDrop: string[]; privileged: boolean }): string[] {
  if (opts.privileged) return [...ALL_CAPABILITIES];
  const add = opts.capAdd.map(normaliseCap);
  const drop = opts.capDrop.map(normaliseCap);
  let caps: string[];
  if (add.includes('ALL')) {
    caps = ALL_CAPABILITIES.filter((c) => !drop.includes(c));
  } else if (drop.includes('ALL')) {
    caps = add;
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  }
  // Keep the kernel's numbering order and no duplicates, so the list reads like /proc/self/status.
  return ALL_CAPABILITIES.filter((c) => caps.includes(c));
}
