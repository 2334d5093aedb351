// Fixture images for tests, built WITHOUT tsdocker by independent tools, so that a bug in tsdocker
// cannot hide in the image it is tested with:
//   busybox   Debian's busybox-static with an applet symlink for every command, packed by umoci
//   debian    `debootstrap --variant=minbase bookworm`, packed by umoci (./debian.ts; minutes, on request)
//   the hand-made edge cases of ./edge-images.ts (written as OCI layouts by ./oci-layout.ts)
// Each is an OCI image layout tagged `latest`, cached under .cache/fixtures/<name>-<key>/, where
// the key hashes the builder code and its inputs: change either and the fixture is rebuilt.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsdockerError } from '../../src/errors';
import { RunResult, cachedFixture, codeKey, run } from './cache';
import { debianFixture } from './debian';
import { EDGE_IMAGES } from './edge-images';
import { readImage } from './oci-layout';
import { umociImage } from './umoci';
import { pushLayout } from './push';
import type { TestRegistry } from './registry';

export type FixtureName = 'busybox' | keyof typeof EDGE_IMAGES;

export const FIXTURE_NAMES: FixtureName[] = ['busybox', ...Object.keys(EDGE_IMAGES)];

/** The OCI layout directory of a fixture, building and caching it first if needed. */
export async function fixture(name: FixtureName): Promise<string> {
  if (name === 'busybox') return busyboxFixture();
  const build = EDGE_IMAGES[name];
  if (!build) throw new TsdockerError(`no such fixture: ${name}`);
  const busybox = await busyboxFixture();
  return cachedFixture(name, codeKey(['edge-images', 'layers', 'oci-layout'], [busybox]), async (dir) => {
    build(dir, { busybox: readImage(busybox, 'latest').layers });
  });
}

async function busyboxFixture(): Promise<string> {
  const binary = '/bin/busybox';
  if (!fs.existsSync(binary)) throw new TsdockerError(`${binary} missing: apt-get install busybox-static`);
  return cachedFixture('busybox', codeKey(['fixtures', 'umoci'], [fs.readFileSync(binary)]), async (dir) => {
    await umociImage(dir, async (rootfs) => {
      const { stdout } = await run(binary, ['--list-full']);
      populateBusybox(rootfs, binary, stdout.split('\n').filter(Boolean));
    }, ['--config.cmd', 'sh']);
  });
}

/** A tiny Unix: busybox, its applets as symlinks, users root/student(1000)/nobody, /tmp, /root. */
function populateBusybox(rootfs: string, binary: string, applets: string[]): void {
  for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'home', 'var']) {
    fs.mkdirSync(path.join(rootfs, dir), { recursive: true, mode: 0o755 });
  }
  fs.copyFileSync(binary, path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of applets) {
    const link = path.join(rootfs, applet);
    if (!fs.existsSync(link)) fs.symlinkSync('/bin/busybox', link);
  }
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n' +
    'student:x:1000:1000:student:/home/student:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nstudent:x:1000:\nnogroup:x:65534:\n');
  fs.mkdirSync(path.join(rootfs, 'tmp'));
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.mkdirSync(path.join(rootfs, 'root'), { mode: 0o700 });
  fs.mkdirSync(path.join(rootfs, 'home/student'));
  fs.chownSync(path.join(rootfs, 'home/student'), 1000, 1000);
}

export interface PushFixtureOptions {
  /**
   * skopeo (default for busybox and debian): an independent client, and it may convert: `format`
   * 'v2s2' gives Docker media types, 'oci' OCI ones; `compress` 'zstd' recompresses the layers.
   * http (default for hand-made images): ./push.ts sends the layout's bytes unchanged.
   */
  via?: 'skopeo' | 'http';
  format?: 'oci' | 'v2s2';
  compress?: 'gzip' | 'zstd';
  /** false: push without credentials (to show that the registry refuses) */
  authenticate?: boolean;
}

/** Push fixture `name` to `reg` as `ref` ("busybox:latest", "public/busybox:1"); returns ref's full name. */
export async function pushFixture(reg: TestRegistry, name: FixtureName | 'debian', ref: string,
  opts: PushFixtureOptions = {}): Promise<string> {
  const layout = name === 'debian' ? await debianFixture() : await fixture(name);
  const handMade = name !== 'busybox' && name !== 'debian';
  if ((opts.via ?? (handMade ? 'http' : 'skopeo')) === 'http') {
    if (opts.format || opts.compress) throw new TsdockerError('pushFixture: format and compress need skopeo');
    await pushLayout(reg, layout, ref, { authenticate: opts.authenticate });
  } else {
    await skopeoCopy(reg, layout, ref, opts);
  }
  return `${reg.host}/${ref}`;
}

/** `skopeo copy oci:<layout>:latest docker://<host>/<ref>` over plain HTTP. */
export async function skopeoCopy(reg: TestRegistry, layout: string, ref: string,
  opts: Omit<PushFixtureOptions, 'via'> = {}): Promise<void> {
  const args = ['copy', '--quiet', '--all', '--dest-tls-verify=false'];
  args.push(...skopeoCreds(reg, '--dest-creds', opts.authenticate));
  if (opts.format) args.push('--format', opts.format);
  // skopeo 1.9 recompresses only when --dest-compress is given too.
  if (opts.compress) args.push('--dest-compress', '--dest-compress-format', opts.compress);
  await skopeo([...args, `oci:${layout}:latest`, `docker://${reg.host}/${ref}`]);
}

/**
 * Run skopeo(1) without touching the host's container state. As root, containers/image keeps a
 * blob-info cache in /var/lib/containers/cache; it chooses that directory by the euid it reads from
 * `_CONTAINERS_ROOTLESS_UID` (internal/rootless), and for non-root users uses $XDG_DATA_HOME
 * (pkg/blobinfocache/default.go). So each run gets a fresh cache, deleted afterwards. A fresh cache
 * also matters for correctness: with a warm one, skopeo reuses a gzip layer the registry already
 * holds instead of recompressing it as asked. The policy file is skipped (--insecure-policy) since
 * a CI machine may have none; signatures are not what these tests are about.
 */
export async function skopeo(args: string[]): Promise<RunResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-skopeo-'));
  try {
    return await run('skopeo', ['--insecure-policy', ...args],
      { env: { ...process.env, _CONTAINERS_ROOTLESS_UID: '65534', XDG_DATA_HOME: home } });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** ['--creds', 'student:...'] for a registry with auth, else []. */
export function skopeoCreds(reg: TestRegistry, flag = '--creds', authenticate = true): string[] {
  return reg.username && authenticate !== false ? [flag, `${reg.username}:${reg.password}`] : [];
}
