// The debian fixture: `debootstrap --variant=minbase bookworm` from this machine's apt mirror,
// packed into an OCI layout by umoci. It takes minutes, so it is built only when a test asks for it,
// and its cache key covers only this file, umoci.ts and the mirror: editing other fixtures does not
// rebuild it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachedFixture, codeKey, listDir, run } from './cache';
import { umociImage } from './umoci';

/**
 * Debian bookworm minbase, from the apt mirror this machine uses. Takes minutes the first time;
 * throws if debootstrap cannot run (no mirror, no space), so callers can skip with the reason.
 */
export async function debianFixture(): Promise<string> {
  const mirror = process.env.TSDOCKER_DEBIAN_MIRROR ?? aptMirror();
  return cachedFixture('debian', codeKey(['debian', 'umoci'], [mirror]), async (dir) => {
    await umociImage(dir, async (rootfs) => {
      await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror]);
      // The package cache and lists are large and useless in an image.
      for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
        for (const f of fs.readdirSync(path.join(rootfs, sub))) {
          if (f.endsWith('.deb') || f.endsWith('_Packages') || f.endsWith('Release')) {
            fs.rmSync(path.join(rootfs, sub, f), { force: true });
          }
        }
      }
    }, ['--config.cmd', 'bash']);
  });
}

/** The first Debian URI in the apt sources (deb822 `.sources` files or one-line sources.list). */
export function aptMirror(): string {
  const files = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((f) => `/etc/apt/sources.list.d/${f}`)];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const match = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (match) return match[1];
  }
  return 'http://deb.debian.org/debian';
}
