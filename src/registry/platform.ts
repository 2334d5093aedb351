// Platforms ("linux/arm64") and how one image is picked from a multi-platform index.
//
// Values are Go's GOOS/GOARCH names (image-spec image-index.md). Registries and tools write the
// same platform in several ways, so every value is normalised first, as containerd/platforms
// database.go normalizeArch does: aarch64 -> arm64, x86_64 -> amd64, arm64 "v8" -> no variant,
// amd64 "v1" -> no variant, armhf -> arm/v7, armel -> arm/v6, bare arm -> arm/v7.
//
// Selection (A4): the first entry that matches wins (image-index.md: SHOULD). The wanted platform
// is tried first, then what the CPU can also run, in containerd's order (compare.go Only()):
//   arm64/v8.N -> arm64/v8.(N-1) ... arm64, then arm/v8, arm/v7, arm/v6, arm/v5
//   amd64/vN   -> amd64/v(N-1) ... amd64, then 386
//   arm/vN     -> arm/v(N-1) ... arm/v5
// The 32-bit arm fallback on arm64 needs a kernel with CONFIG_COMPAT, as it does in Docker.
// Each list ends in the architecture without a variant, so an arm64/v8.2 host also takes plain
// arm64 (c/image platform_matcher.go tries an empty variant: many arm64 lists carry none; and a
// bare "arm" entry is arm/v7 after normalisation). Attestation manifests, which BuildKit
// stores in the index as "unknown/unknown", are never picked (ggcr #2059, skopeo #1874).
import * as os from 'node:os';
import { TsdockerError } from '../errors';
import { MediaType, isIndexType, type Descriptor, type ImageIndex, type Platform } from './manifest';

// The shape lives with the other image-spec shapes in manifest.ts; it is re-exported here.
export type { Platform };

/** The platform this process runs on, as an image index names it. */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = {
    x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', s390x: 's390x', riscv64: 'riscv64',
    ppc64: os.endianness() === 'LE' ? 'ppc64le' : 'ppc64', mips: 'mips', mipsel: 'mipsle',
    loong64: 'loong64',
  };
  const architecture = arch[process.arch] ?? process.arch;
  // Node records the ARM version it was built for; an arm build of Node runs on at least that.
  const armVersion = (process.config.variables as Record<string, unknown>).arm_version;
  const variant = architecture === 'arm' && armVersion ? String(armVersion) : undefined;
  return normalizePlatform({ os: 'linux', architecture, variant });
}

/** Parse a --platform value: "linux/arm64/v8", "linux/amd64", or just "arm64" (os linux). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new TsdockerError(`invalid platform "${text}": expected os/arch[/variant]`);
  }
  if (parts.length === 1) {
    // A lone word is an os if we know it as one, else an architecture on Linux (containerd Parse).
    if (['linux', 'windows', 'darwin', 'freebsd'].includes(parts[0])) {
      return normalizePlatform({ os: parts[0], architecture: hostPlatform().architecture });
    }
    return normalizePlatform({ os: 'linux', architecture: parts[0] });
  }
  return normalizePlatform({ os: parts[0], architecture: parts[1], variant: parts[2] });
}

/** "linux/arm/v7" */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

export function normalizePlatform(p: Platform): Platform {
  const osName = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  // Some indexes write "armv8" for "v8" (docker/for-linux #434).
  let variant = (p.variant ?? '').toLowerCase().replace(/^arm(?=v?\d)/, '');
  if (/^\d/.test(variant)) variant = `v${variant}`;
  switch (arch) {
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === 'v8' || variant === 'v8.0') variant = '';
      if (variant === 'v9.0') variant = 'v9';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'i386':
    case 'i686':
      arch = '386';
      variant = '';
      break;
  }
  const out: Platform = { os: osName, architecture: arch };
  if (variant) out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']) out['os.features'] = p['os.features'];
  return out;
}

/** What a CPU of platform `want` can run, best first. Variants are already normalised. */
export function compatiblePlatforms(want: Platform): Platform[] {
  const w = normalizePlatform(want);
  const out: Platform[] = [w];
  const add = (architecture: string, variant?: string) =>
    out.push(variant ? { os: w.os, architecture, variant } : { os: w.os, architecture });
  const version = (v: string | undefined) => Number((v ?? '').replace(/^v/, ''));
  if (w.architecture === 'arm64') {
    // "v8.2" -> v8.1, then plain arm64 (v8.0), then 32-bit arm.
    const minor = /^v8\.(\d+)$/.exec(w.variant ?? '');
    if (minor) for (let m = Number(minor[1]) - 1; m >= 1; m--) add('arm64', `v8.${m}`);
    if (w.variant) add('arm64');
    for (const v of ['v8', 'v7', 'v6', 'v5']) add('arm', v);
  } else if (w.architecture === 'amd64') {
    for (let n = version(w.variant) - 1; n >= 2; n--) add('amd64', `v${n}`);
    if (w.variant) add('amd64');
    add('386');
  } else if (w.architecture === 'arm') {
    for (let n = version(w.variant) - 1; n >= 5; n--) add('arm', `v${n}`);
  }
  return out;
}

/** BuildKit's provenance and SBOM manifests live in the index beside the images. */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown');
}

const RUNNABLE = new Set<string>([
  MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST, MediaType.OCI_INDEX, MediaType.DOCKER_LIST,
]);

/**
 * Pick the entry of `index` to run on `want`. The result may itself be an index (a nested index,
 * or one with no platform); the caller fetches it and selects again.
 */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  // Unknown media types are skipped, not errors (image-index.md).
  const entries = index.manifests.filter((d) => RUNNABLE.has(d.mediaType) && !isAttestation(d));
  const withPlatform = entries.filter((d) => d.platform);
  for (const candidate of compatiblePlatforms(want)) {
    const exact = withPlatform.find((d) => sameOsArch(d.platform!, candidate) &&
      (normalizePlatform(d.platform!).variant ?? '') === (candidate.variant ?? ''));
    if (exact) return exact;
  }
  // An entry without a platform can only be a nested index worth looking inside.
  const nested = entries.find((d) => !d.platform && isIndexType(d.mediaType));
  if (nested) return nested;
  const available = withPlatform.map((d) => formatPlatform(normalizePlatform(d.platform!)));
  throw new TsdockerError(`no matching manifest for ${formatPlatform(normalizePlatform(want))} in the manifest ` +
    `list entries (available: ${available.length ? [...new Set(available)].join(', ') : 'none'})`);
}

function sameOsArch(have: Platform, want: Platform): boolean {
  const h = normalizePlatform(have);
  return h.os === want.os && h.architecture === want.architecture;
}
