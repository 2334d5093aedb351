// A real distribution image: Debian bookworm made by debootstrap and umoci (cached under .cache/),
// pushed by skopeo, pulled and run by tsdocker. The first build takes a few minutes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { startRegistry } from '../support/registry';
import { pushFixture } from '../support/fixtures';
import { debianFixture } from '../support/debian';
import { cli } from './pull-support';

const skip = process.getuid?.() !== 0 ? 'needs root' : !fs.existsSync('/usr/sbin/debootstrap') ? 'needs debootstrap' : false;

test('pull and run a debootstrapped Debian image', { skip, timeout: 900_000 }, async (t) => {
  try {
    await debianFixture();
  } catch (err) {
    // No Debian mirror reachable, or no space: say why instead of failing the suite.
    t.skip(`cannot build the Debian fixture: ${(err as Error).message.split('\n')[0]}`);
    return;
  }
  const reg = await startRegistry({ auth: 'none' });
  const c = cli({ 'insecure-registries': [reg.host] });
  t.after(async () => { c.cleanup(); await reg.stop(); });
  const ref = await pushFixture(reg, 'debian', 'debian:bookworm');
  const pulled = c.run(['pull', ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  const r = c.run(['run', '--rm', ref, 'bash', '-c', 'cat /etc/debian_version; readlink /bin; id -un; dpkg -s bash | grep ^Status']);
  assert.equal(r.status, 0, r.stderr);
  const [version, bin, user, status] = r.stdout.trim().split('\n');
  assert.match(version, /^12\.\d+$/);
  assert.equal(bin, 'usr/bin');
  assert.equal(user, 'root');
  assert.equal(status, 'Status: install ok installed');
  const [row] = c.run(['images', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.match(row.Size, /^\d+(\.\d+)?MB$/);
});
