import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { hostPlatform, parsePlatform, normalizePlatform, selectManifest, formatPlatform, type Platform }
  from '../../src/registry/platform';
import { MediaType, type Descriptor, type ImageIndex } from '../../src/registry/manifest';

let n = 0;
function entry(platform?: Platform, extra: Partial<Descriptor> = {}): Descriptor {
  n++;
  const d: Descriptor = { mediaType: MediaType.OCI_MANIFEST, digest: `sha256:${n.toString(16).padStart(64, '0')}`, size: 100 };
  if (platform) d.platform = platform;
  return { ...d, ...extra };
}
const index = (...manifests: Descriptor[]): ImageIndex => ({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests });
const P = (s: string): Platform => {
  const [os, architecture, variant] = s.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
};

test('normalisation follows containerd', () => {
  assert.deepEqual(normalizePlatform(P('linux/aarch64')), P('linux/arm64'));
  assert.deepEqual(normalizePlatform(P('linux/arm64/v8')), P('linux/arm64'));
  assert.deepEqual(normalizePlatform(P('linux/x86_64')), P('linux/amd64'));
  assert.deepEqual(normalizePlatform(P('linux/amd64/v1')), P('linux/amd64'));
  assert.deepEqual(normalizePlatform(P('linux/armhf')), P('linux/arm/v7'));
  assert.deepEqual(normalizePlatform(P('linux/armel')), P('linux/arm/v6'));
  assert.deepEqual(normalizePlatform(P('linux/arm')), P('linux/arm/v7'));
  assert.deepEqual(normalizePlatform(P('linux/arm64/armv8')), P('linux/arm64'));
  assert.deepEqual(normalizePlatform(P('Linux/ARM/7')), P('linux/arm/v7'));
});

test('--platform values', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), P('linux/arm64'));
  assert.deepEqual(parsePlatform('linux/arm/v6'), P('linux/arm/v6'));
  assert.deepEqual(parsePlatform('arm64'), P('linux/arm64'));
  assert.throws(() => parsePlatform('linux/arm/v7/x'), /invalid platform "linux\/arm\/v7\/x"/);
  assert.throws(() => parsePlatform('linux//'), /invalid platform/);
  assert.equal(formatPlatform(P('linux/arm/v7')), 'linux/arm/v7');
});

test('the host platform is normalised', () => {
  const h = hostPlatform();
  assert.equal(h.os, 'linux');
  assert.ok(!['x64', 'aarch64', 'x86_64'].includes(h.architecture));
  if (process.arch === 'x64') assert.deepEqual(h, P('linux/amd64'));
  if (process.arch === 'arm64') assert.deepEqual(h, P('linux/arm64'));
});

test('arm64 host: arm64 without a variant and arm64/v8 are both picked', () => {
  const plain = entry(P('linux/arm64'));
  assert.equal(selectManifest(index(entry(P('linux/amd64')), plain), P('linux/arm64')), plain);
  const v8 = entry(P('linux/arm64/v8'));
  assert.equal(selectManifest(index(entry(P('linux/amd64')), v8), P('linux/arm64')), v8);
  assert.equal(selectManifest(index(entry(P('linux/amd64')), plain), P('linux/arm64/v8')), plain);
});

test('arm64 host with only arm/v7 falls back to 32-bit arm, exact matches come first', () => {
  const v7 = entry(P('linux/arm/v7'));
  assert.equal(selectManifest(index(entry(P('linux/amd64')), v7), P('linux/arm64')), v7);
  const a64 = entry(P('linux/arm64'));
  assert.equal(selectManifest(index(v7, a64), P('linux/arm64')), a64);
  const v6 = entry(P('linux/arm/v6'));
  assert.equal(selectManifest(index(v6, v7), P('linux/arm64')), v7);
  // arm/v7 never runs an arm64 image.
  assert.throws(() => selectManifest(index(a64), P('linux/arm/v7')),
    /no matching manifest for linux\/arm\/v7 in the manifest list entries \(available: linux\/arm64\)/);
});

test('amd64 takes 386 only as a fallback; higher amd64 variants fall back to lower', () => {
  const i386 = entry(P('linux/386'));
  const amd = entry(P('linux/amd64'));
  assert.equal(selectManifest(index(i386, amd), P('linux/amd64')), amd);
  assert.equal(selectManifest(index(i386), P('linux/amd64')), i386);
  const v2 = entry(P('linux/amd64/v2'));
  assert.equal(selectManifest(index(amd, v2), P('linux/amd64/v3')), v2);
  assert.throws(() => selectManifest(index(v2), P('linux/amd64')), /available: linux\/amd64\/v2/);
});

test('an attestation manifest is never picked', () => {
  const att = entry(P('unknown/unknown'), { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } });
  const amd = entry(P('linux/amd64'));
  assert.equal(selectManifest(index(att, amd), P('linux/amd64')), amd);
  const disguised = entry(P('linux/amd64'), { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } });
  assert.throws(() => selectManifest(index(att, disguised), P('linux/amd64')), /available: none/);
});

test('two matches: the first wins', () => {
  const a = entry(P('linux/amd64'));
  const b = entry(P('linux/amd64'));
  assert.equal(selectManifest(index(a, b), P('linux/amd64')), a);
});

test('unknown entry media types and other operating systems are skipped', () => {
  const odd = entry(P('linux/amd64'), { mediaType: 'application/vnd.example.thing' });
  const win = entry({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' });
  const lin = entry(P('linux/amd64'));
  assert.equal(selectManifest(index(odd, win, lin), P('linux/amd64')), lin);
  assert.throws(() => selectManifest(index(odd, win), P('linux/amd64')), /available: windows\/amd64/);
});

test('a nested index is returned when nothing matches directly', () => {
  const nested = entry(undefined, { mediaType: MediaType.OCI_INDEX });
  assert.equal(selectManifest(index(entry(P('linux/s390x')), nested), P('linux/amd64')), nested);
  const nestedArm = entry(P('linux/arm64'), { mediaType: MediaType.DOCKER_LIST });
  assert.equal(selectManifest(index(nestedArm), P('linux/arm64')), nestedArm);
  // A plain manifest without a platform is not a guess worth making.
  assert.throws(() => selectManifest(index(entry()), P('linux/amd64')), /no matching manifest/);
});
