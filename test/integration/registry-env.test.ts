// Proves the test environment itself works, using only independent tools (skopeo, umoci, GNU tar):
// the three kinds of registry start and accept the busybox fixture, token auth refuses what it
// should, hand-made images arrive byte for byte, and their layers mean what they claim to mean.
// If this file fails, failures in the other integration tests say nothing about tsdocker.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../support/cache';
import { debianFixture } from '../support/debian';
import { fixture, pushFixture, skopeo, skopeoCreds } from '../support/fixtures';
import { readBlob, resolveTag } from '../support/oci-layout';
import { serveLayoutBlobs } from '../support/push';
import { RegistryAuth, TestRegistry, startRegistry } from '../support/registry';
import { sha256 } from '../support/layers';

async function skopeoInspect(reg: TestRegistry, ref: string, opts: { raw?: boolean; creds?: boolean } = {}):
Promise<string> {
  const args = ['inspect', '--tls-verify=false', ...(opts.raw ? ['--raw'] : [])];
  args.push(...(opts.creds === false ? ['--no-creds'] : skopeoCreds(reg)));
  const { stdout } = await skopeo([...args, `docker://${reg.host}/${ref}`]);
  return stdout;
}

for (const auth of ['none', 'htpasswd', 'token'] as RegistryAuth[]) {
  describe(`registry with auth ${auth}`, () => {
    let reg: TestRegistry;
    before(async () => { reg = await startRegistry({ auth }); });
    after(async () => { await reg?.stop(); });

    test('starts quickly on 127.0.0.1 and answers /v2/', async () => {
      assert.match(reg.host, /^127\.0\.0\.1:\d+$/);
      const res = await fetch(`${reg.url}/v2/`);
      assert.equal(res.status, auth === 'none' ? 200 : 401);
    });

    test('accepts the busybox fixture from skopeo, unchanged', async () => {
      const layout = await fixture('busybox');
      await pushFixture(reg, 'busybox', 'busybox:latest');
      const raw = await skopeoInspect(reg, 'busybox:latest', { raw: true });
      assert.equal(sha256(Buffer.from(raw)), resolveTag(layout, 'latest').digest);
      const info = JSON.parse(await skopeoInspect(reg, 'busybox:latest')) as { Architecture: string; Layers: string[] };
      assert.equal(info.Architecture, 'amd64');
      assert.equal(info.Layers.length, 1);
    });

    if (auth !== 'none') {
      test('refuses an anonymous pull of a private repository', async () => {
        await pushFixture(reg, 'busybox', 'private/busybox:latest');
        await assert.rejects(skopeoInspect(reg, 'private/busybox:latest', { creds: false }),
          /unauthorized|authentication required|requested access to the resource is denied/i);
      });
    }

    if (auth === 'token') {
      test('token auth: anonymous pulls only public/, student pulls and pushes anything', async () => {
        const tokens = reg.tokenServer!;
        await pushFixture(reg, 'busybox', 'public/busybox:latest');
        const before = tokens.requests.length;
        JSON.parse(await skopeoInspect(reg, 'public/busybox:latest', { creds: false }));
        const anonymous = tokens.requests.slice(before);
        assert.ok(anonymous.length > 0, 'skopeo asked the token server');
        assert.ok(anonymous.every((r) => r.account === undefined && r.service === 'tsdocker-test'));
        assert.ok(anonymous.some((r) => r.granted.includes('repository:public/busybox:pull')));
        // Anonymous push is refused: the token grants pull only, the registry answers 401.
        await assert.rejects(pushFixture(reg, 'busybox', 'public/other:latest', { authenticate: false }),
          /unauthorized|authentication required|denied/i);
        assert.ok(tokens.requests.some((r) => r.account === 'student' && r.granted.includes('repository:private/busybox:pull,push')));
      });

      test('token server answers with access_token only when asked, and honours expires_in', async () => {
        const tokens = reg.tokenServer!;
        tokens.options.accessTokenOnly = true;
        tokens.options.expiresIn = 1;
        try {
          const url = `${tokens.realm}?service=tsdocker-test&scope=repository:public/x:pull&scope=repository:y:pull`;
          const body = await (await fetch(url)).json() as Record<string, unknown>;
          assert.equal(body.token, undefined);
          assert.equal(typeof body.access_token, 'string');
          assert.equal(body.expires_in, 1);
          assert.ok(!Number.isNaN(Date.parse(String(body.issued_at))));
          const last = tokens.requests[tokens.requests.length - 1];
          assert.deepEqual(last.scopes, ['repository:public/x:pull', 'repository:y:pull']);
          assert.deepEqual(last.granted, ['repository:public/x:pull']);
          const wrong = await fetch(url, { headers: { Authorization: 'Basic ' + Buffer.from('student:nope').toString('base64') } });
          assert.equal(wrong.status, 401);
        } finally {
          tokens.options.accessTokenOnly = false;
          tokens.options.expiresIn = undefined;
        }
      });
    }
  });
}

describe('hand-made fixtures', () => {
  let reg: TestRegistry;
  before(async () => { reg = await startRegistry({ auth: 'token' }); });
  after(async () => { await reg?.stop(); });

  for (const name of ['multiarch-oci', 'multiarch-docker', 'multiarch-nested', 'compression-mixed', 'unknown-config',
    'hostile-symlink-later', 'layers-130'] as const) {
    test(`${name} arrives byte for byte`, async () => {
      const layout = await fixture(name);
      await pushFixture(reg, name, `edge/${name}:latest`);
      const raw = await skopeoInspect(reg, `edge/${name}:latest`, { raw: true });
      assert.equal(sha256(Buffer.from(raw)), resolveTag(layout, 'latest').digest);
    });
  }

  test('a foreign layer is listed in the manifest but its blob stays out of the registry', async () => {
    const layout = await fixture('foreign-docker');
    await pushFixture(reg, 'foreign-docker', 'edge/foreign-docker:latest');
    const manifest = JSON.parse(await skopeoInspect(reg, 'edge/foreign-docker:latest', { raw: true })) as {
      layers: Array<{ mediaType: string; digest: string; urls?: string[] }>;
    };
    const foreign = manifest.layers[manifest.layers.length - 1];
    assert.equal(foreign.mediaType, 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip');
    assert.deepEqual(foreign.urls, ['http://169.254.169.254/latest/layer.tar.gz']);
    assert.ok(fs.existsSync(path.join(layout, 'blobs', 'sha256', foreign.digest.slice(7))));
    // distribution's filesystem layout: docker/registry/v2/blobs/sha256/<first two hex>/<hex>/data
    const stored = (digest: string) => fs.existsSync(path.join(reg.storageDir, 'docker/registry/v2/blobs/sha256',
      digest.slice(7, 9), digest.slice(7), 'data'));
    assert.ok(stored(manifest.layers[0].digest), 'the busybox layer is stored');
    assert.ok(!stored(foreign.digest), 'the foreign layer is not');
  });

  test('the OCI index lists four platforms and an attestation, in order', async () => {
    const layout = await fixture('multiarch-oci');
    const index = JSON.parse(readBlob(layout, resolveTag(layout, 'latest').digest).toString()) as {
      manifests: Array<{ platform: { architecture: string; variant?: string }; annotations?: Record<string, string> }>;
    };
    assert.deepEqual(index.manifests.map((m) => m.platform.architecture + (m.platform.variant ? '/' + m.platform.variant : '')),
      ['amd64', 'arm64', 'arm64/v8', 'arm/v7', 'unknown']);
    assert.equal(index.manifests[4].annotations?.['vnd.docker.reference.type'], 'attestation-manifest');
  });

  test('umoci, an independent unpacker, agrees on what the whiteouts mean', async (t) => {
    const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-umoci-'));
    t.after(() => fs.rmSync(bundle, { recursive: true, force: true }));
    fs.rmdirSync(bundle);
    await run('umoci', ['unpack', '--image', `${await fixture('whiteouts')}:latest`, bundle]);
    const wh = path.join(bundle, 'rootfs', 'wh');
    assert.deepEqual(fs.readdirSync(wh).sort(), ['a', 'file2']);
    assert.deepEqual(fs.readdirSync(path.join(wh, 'a')), ['b']);
    assert.equal(fs.readFileSync(path.join(wh, 'a/b/c/foo'), 'utf8'), 'upper foo\n');
    assert.ok(fs.existsSync(path.join(bundle, 'rootfs', 'bin', 'sh')));
  });

  test('GNU tar reads the binary capability xattr and the hostile names as written', async () => {
    const layout = await fixture('xattrs');
    const manifest = JSON.parse(readBlob(layout, resolveTag(layout, 'latest').digest).toString()) as { layers: Array<{ digest: string }> };
    const top = manifest.layers[manifest.layers.length - 1].digest;
    const { stdout } = await run('tar', ['--xattrs', "--xattrs-include=*", '-tvvzf', path.join(layout, 'blobs', 'sha256', top.slice(7))]);
    assert.match(stdout, /x: 20 security\.capability/);
    assert.match(stdout, /x: 1 trusted\.overlay\.opaque/);

    const hostile = await fixture('hostile-dotdot');
    const m2 = JSON.parse(readBlob(hostile, resolveTag(hostile, 'latest').digest).toString()) as { layers: Array<{ digest: string }> };
    const list = await run('tar', ['-tzf', path.join(hostile, 'blobs', 'sha256', m2.layers[0].digest.slice(7))]);
    assert.equal(list.stdout.trim(), '../../../../tmp/tsdocker-pwn');
  });

  test('a layout blob server hands out blobs raw', async (t) => {
    const layout = await fixture('compression-zstd');
    const server = await serveLayoutBlobs(layout);
    t.after(() => server.stop());
    const manifest = JSON.parse(readBlob(layout, resolveTag(layout, 'latest').digest).toString()) as { layers: Array<{ digest: string; mediaType: string }> };
    const { digest, mediaType } = manifest.layers[0];
    assert.equal(mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
    const body = Buffer.from(await (await fetch(`${server.url}/blobs/${digest}`)).arrayBuffer());
    assert.equal(sha256(body), digest);
    assert.deepEqual([...body.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    assert.equal((await fetch(`${server.url}/blobs/sha256:${'0'.repeat(64)}`)).status, 404);
  });
});

test('skopeo can convert busybox to Docker media types and to zstd layers', async (t) => {
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  await pushFixture(reg, 'busybox', 'docker:latest', { format: 'v2s2' });
  await pushFixture(reg, 'busybox', 'zstd:latest', { compress: 'zstd' });
  const docker = JSON.parse(await skopeoInspect(reg, 'docker:latest', { raw: true })) as { mediaType: string };
  assert.equal(docker.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const zstd = JSON.parse(await skopeoInspect(reg, 'zstd:latest', { raw: true })) as { layers: Array<{ mediaType: string }> };
  assert.equal(zstd.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
});

test('the debian fixture (debootstrap) pushes and inspects', async (t) => {
  if (process.env.TSDOCKER_TEST_DEBIAN !== '1') {
    t.skip('set TSDOCKER_TEST_DEBIAN=1 to build the debian fixture (debootstrap takes minutes)');
    return;
  }
  let layout: string;
  try {
    layout = await debianFixture();
  } catch (err) {
    t.skip(`debian fixture cannot be built here: ${(err as Error).message}`);
    return;
  }
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  await pushFixture(reg, 'debian', 'debian:bookworm');
  const info = JSON.parse(await skopeoInspect(reg, 'debian:bookworm')) as { Layers: string[] };
  assert.equal(info.Layers.length, 1);
  assert.ok(fs.existsSync(layout));
});
