import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MediaType, MANIFEST_ACCEPT, manifestMediaType, parseManifest, isLayerType, isForeignLayerType }
  from '../../src/registry/manifest';

const D = (n: string) => `sha256:${n.repeat(64)}`;
const manifest = (extra: object = {}) => Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
  config: { mediaType: MediaType.OCI_CONFIG, digest: D('a'), size: 2 },
  layers: [{ mediaType: MediaType.OCI_LAYER_GZIP, digest: D('b'), size: 3 }], ...extra,
}));

test('Accept lists exactly the four manifest and index types, never a wildcard', () => {
  assert.deepEqual([...MANIFEST_ACCEPT].sort(), [MediaType.DOCKER_LIST, MediaType.DOCKER_MANIFEST,
    MediaType.OCI_INDEX, MediaType.OCI_MANIFEST].sort());
  assert.ok(!MANIFEST_ACCEPT.some((t) => t.includes('*') || t === 'application/json'));
});

test('Content-Type parameters are ignored', () => {
  assert.equal(manifestMediaType(manifest(), `${MediaType.OCI_MANIFEST}; charset=utf-8`, 'x'), MediaType.OCI_MANIFEST);
});

test('a body mediaType different from Content-Type is rejected', () => {
  assert.throws(() => manifestMediaType(manifest(), MediaType.DOCKER_MANIFEST, 'r/x:1'),
    /manifest for r\/x:1 says mediaType application\/vnd.oci.image.manifest.v1\+json but was served as/);
});

test('an OCI manifest without mediaType takes the Content-Type; application/json takes the body', () => {
  const noType = Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }));
  assert.equal(manifestMediaType(noType, MediaType.OCI_MANIFEST, 'x'), MediaType.OCI_MANIFEST);
  assert.equal(manifestMediaType(manifest(), 'application/json', 'x'), MediaType.OCI_MANIFEST);
  assert.throws(() => manifestMediaType(noType, 'application/json', 'x'), /unsupported media type "application\/json"/);
});

test('schema 1 is refused with a clear message, whatever announces it', () => {
  const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'old', fsLayers: [] }));
  for (const ct of [MediaType.DOCKER_SCHEMA1_SIGNED, 'application/json', null]) {
    assert.throws(() => manifestMediaType(s1, ct, 'docker.io/library/x:old'),
      /docker.io\/library\/x:old is a schema 1 manifest/);
  }
  assert.throws(() => parseManifest({ mediaType: MediaType.OCI_MANIFEST, digest: D('c'), body: s1 }), /schema 1/);
});

test('parseManifest returns the manifest with validated descriptors', () => {
  const r = parseManifest({ mediaType: MediaType.OCI_MANIFEST, digest: D('c'), body: manifest() });
  assert.equal(r.kind, 'manifest');
  if (r.kind !== 'manifest') return;
  assert.deepEqual(r.manifest.layers, [{ mediaType: MediaType.OCI_LAYER_GZIP, digest: D('b'), size: 3 }]);
  assert.equal(r.manifest.config.digest, D('a'));
});

test('parseManifest returns indexes with platforms and annotations', () => {
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [
    { mediaType: MediaType.OCI_MANIFEST, digest: D('d'), size: 9, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      annotations: { a: 'b' } },
  ] }));
  const r = parseManifest({ mediaType: MediaType.OCI_INDEX, digest: D('e'), body });
  assert.equal(r.kind, 'index');
  if (r.kind !== 'index') return;
  assert.deepEqual(r.index.manifests[0].platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(r.index.manifests[0].annotations, { a: 'b' });
});

test('bad descriptors are rejected naming where they are', () => {
  const bad = (layer: object) => parseManifest({ mediaType: MediaType.OCI_MANIFEST, digest: D('c'),
    body: manifest({ layers: [layer] }) });
  assert.throws(() => bad({ mediaType: MediaType.OCI_LAYER, digest: 'sha256:ABC', size: 1 }), /layers\[0\]: digest/);
  assert.throws(() => bad({ mediaType: MediaType.OCI_LAYER, digest: `sha256:${'A'.repeat(64)}`, size: 1 }), /invalid/);
  assert.throws(() => bad({ mediaType: MediaType.OCI_LAYER, digest: D('f'), size: -1 }), /size must be/);
  assert.throws(() => bad({ mediaType: MediaType.OCI_LAYER, digest: D('f'), size: 1.5 }), /size must be/);
  assert.throws(() => bad({ digest: D('f'), size: 1 }), /missing mediaType/);
  assert.throws(() => parseManifest({ mediaType: MediaType.DOCKER_MANIFEST, digest: D('c'), body: manifest() }),
    /does not match/);
  assert.throws(() => parseManifest({ mediaType: MediaType.OCI_MANIFEST, digest: D('c'), body: Buffer.from('{') }),
    /not valid JSON/);
});

test('layer media types', () => {
  assert.ok(isLayerType(MediaType.OCI_LAYER_ZSTD));
  assert.ok(isLayerType(MediaType.DOCKER_LAYER_GZIP));
  assert.ok(!isLayerType(MediaType.OCI_CONFIG));
  assert.ok(isForeignLayerType(MediaType.DOCKER_FOREIGN_LAYER));
  assert.ok(isForeignLayerType(MediaType.OCI_FOREIGN_LAYER_GZIP));
  assert.ok(!isForeignLayerType(MediaType.OCI_LAYER_GZIP));
});
