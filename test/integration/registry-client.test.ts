// The registry client against small HTTP servers on 127.0.0.1 that do what a real registry will
// not do on demand (rate limits, cut connections, schema 1, lying headers, CDN redirects), and then
// against the real Debian registry with each kind of authentication.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { RegistryClient, verifyLogin, type Descriptor } from '../../src/registry/client';
import { MediaType, parseManifest } from '../../src/registry/manifest';
import { hostPlatform, selectManifest } from '../../src/registry/platform';
import { removeCredential, saveCredential } from '../../src/registry/credentials';
import { parseReference } from '../../src/reference';
import { setTrace } from '../../src/trace';
import type { EngineConfig } from '../../src/config';
import { pushFixture } from '../support/fixtures';
import { startRegistry, type RegistryAuth, type TestRegistry } from '../support/registry';

// ---- a tiny server whose every request is recorded ----

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders }
interface Mock { host: string; url: string; seen: Seen[]; close(): Promise<void> }
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const mocks: Mock[] = [];
after(async () => { for (const m of mocks) await m.close(); });

async function serve(handler: Handler, address = '127.0.0.1'): Promise<Mock> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const host = `${address}:${(server.address() as AddressInfo).port}`;
  const mock: Mock = {
    host, url: `http://${host}`, seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  mocks.push(mock);
  return mock;
}

const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
const BLOB = crypto.randomBytes(256 * 1024);
const BLOB_DESC: Descriptor = { mediaType: MediaType.OCI_LAYER_GZIP, digest: sha(BLOB), size: BLOB.length };
const MANIFEST = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
  config: { mediaType: MediaType.OCI_CONFIG, digest: BLOB_DESC.digest, size: BLOB.length },
  layers: [BLOB_DESC],
}));
const SCHEMA1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'a/b', tag: 'latest', fsLayers: [] }));

function client(mock: Mock | string, ref = 'a/b:latest', extra: Partial<EngineConfig> = {}, log?: (l: string) => void,
  push = false) {
  const host = typeof mock === 'string' ? mock : mock.host;
  const config: EngineConfig = { registryMirrors: [], insecureRegistries: [host], ...extra };
  return RegistryClient.forReference(parseReference(`${host}/${ref}`), { config, log, push });
}

function sendManifest(res: http.ServerResponse, body = MANIFEST, type: string = MediaType.OCI_MANIFEST) {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'docker-content-digest': sha(body) });
  res.end(body);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Serve BLOB honouring Range (206) unless told otherwise; `cut` closes the first answer halfway. */
function blobHandler(opts: { cut?: boolean; ignoreRange?: boolean; changed?: boolean } = {}): Handler {
  let answers = 0;
  return (req, res) => {
    if (!req.url!.startsWith('/v2/a/b/blobs/')) return void res.writeHead(404).end();
    const data = opts.changed && answers > 0 ? Buffer.from(BLOB).fill(7, BLOB.length - 10) : BLOB;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    answers++;
    if (range && !opts.ignoreRange) {
      const start = Number(range[1]);
      res.writeHead(206, { 'content-length': data.length - start,
        'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
      return void res.end(data.subarray(start));
    }
    res.writeHead(200, { 'content-length': data.length });
    if (opts.cut && answers === 1) {
      res.write(data.subarray(0, data.length / 2), () => res.socket!.destroy());
      return;
    }
    res.end(data);
  };
}

let dockerConfig: string;
const savedEnv = process.env.DOCKER_CONFIG;
before(() => {
  dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-registry-client-'));
  process.env.DOCKER_CONFIG = dockerConfig;
});
after(() => {
  fs.rmSync(dockerConfig, { recursive: true, force: true });
  if (savedEnv === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = savedEnv;
});

describe('manifests', () => {
  test('Accept is exactly the four types, and a registry that serves schema 1 without them never does', async () => {
    const m = await serve((req, res) => {
      const accept = req.headers.accept ?? '';
      if (!accept.includes(MediaType.OCI_MANIFEST) || accept.includes('*/*')) {
        return sendManifest(res, SCHEMA1, MediaType.DOCKER_SCHEMA1_SIGNED);
      }
      sendManifest(res);
    });
    const got = await client(m).getManifest('latest');
    assert.equal(got.mediaType, MediaType.OCI_MANIFEST);
    assert.equal(got.digest, sha(MANIFEST));
    assert.deepEqual(got.body, MANIFEST);
    const accept = m.seen[0].headers.accept!.split(',').map((s) => s.trim()).sort();
    assert.deepEqual(accept, [MediaType.DOCKER_LIST, MediaType.DOCKER_MANIFEST, MediaType.OCI_INDEX,
      MediaType.OCI_MANIFEST].sort());
  });

  test('a schema 1 only registry gives a clear error', async () => {
    const m = await serve((_req, res) => sendManifest(res, SCHEMA1, MediaType.DOCKER_SCHEMA1_SIGNED));
    await assert.rejects(client(m).getManifest('latest'), new RegExp(`${m.host}/a/b:latest is a schema 1 manifest`));
  });

  test('Content-Type with parameters is accepted; a different body mediaType is not', async () => {
    const ok = await serve((_req, res) => sendManifest(res, MANIFEST, `${MediaType.OCI_MANIFEST}; charset=utf-8`));
    assert.equal((await client(ok).getManifest('latest')).mediaType, MediaType.OCI_MANIFEST);
    const bad = await serve((_req, res) => sendManifest(res, MANIFEST, MediaType.DOCKER_MANIFEST));
    await assert.rejects(client(bad).getManifest('latest'), /says mediaType .* but was served as/);
  });

  test('one byte changed under a digest reference is a hard failure', async () => {
    const changed = Buffer.from(MANIFEST.toString().replace('"schemaVersion":2', '"schemaVersion": 2'));
    const m = await serve((_req, res) => sendManifest(res, changed));
    await assert.rejects(client(m).getManifest(sha(MANIFEST)),
      new RegExp(`digest mismatch for .*: expected ${sha(MANIFEST)}, got ${sha(changed)}`));
  });

  test('a 5 MiB manifest is rejected, with or without Content-Length', async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, ' ');
    const withLength = await serve((_req, res) => sendManifest(res, huge));
    await assert.rejects(client(withLength).getManifest('latest'), /too large: 5242880 bytes, limit 4194304/);
    const chunked = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MediaType.OCI_MANIFEST });
      res.end(huge);
    });
    await assert.rejects(client(chunked).getManifest('latest'), /too large: more than 4194304 bytes/);
  });

  test('HEAD 405, or a HEAD without a digest, falls back to GET', async () => {
    for (const headStatus of [405, 200]) {
      const m = await serve((req, res) => {
        if (req.method === 'HEAD') return void res.writeHead(headStatus, { 'content-type': MediaType.OCI_MANIFEST }).end();
        sendManifest(res);
      });
      assert.deepEqual(await client(m).headManifest('latest'),
        { digest: sha(MANIFEST), mediaType: MediaType.OCI_MANIFEST, size: MANIFEST.length });
      assert.deepEqual(m.seen.map((s) => s.method), ['HEAD', 'GET']);
    }
    const quiet = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MediaType.OCI_MANIFEST, 'content-length': MANIFEST.length,
        'docker-content-digest': sha(MANIFEST) }).end();
    });
    assert.deepEqual(await client(quiet).headManifest('latest'),
      { digest: sha(MANIFEST), mediaType: MediaType.OCI_MANIFEST, size: MANIFEST.length });
    assert.deepEqual(quiet.seen.map((s) => s.method), ['HEAD']);
    const missing = await serve((_req, res) => void res.writeHead(404).end());
    assert.equal(await client(missing).headManifest('latest'), undefined);
  });

  test('an unknown image is "not found or unauthorized"', async () => {
    const m = await serve((_req, res) => void res.writeHead(404, { 'content-type': 'application/json' })
      .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'));
    await assert.rejects(client(m, 'nope').getManifest('latest'), (err: Error) => {
      assert.equal(err.message, `not found or unauthorized: ${m.host}/nope:latest`);
      assert.equal((err as { exitCode?: number }).exitCode, 125);
      return true;
    });
  });

  test('a registry that is down is named, with the cause', async () => {
    const m = await serve((_req, res) => void res.end());
    await m.close();
    await assert.rejects(client(m).getManifest('latest'),
      new RegExp(`^TsdockerError: cannot reach ${m.host}: ECONNREFUSED \\(connection refused\\)$`));
  });
});

describe('token authentication', () => {
  /** A registry on 127.0.0.1 with its token server at /token on the same port. */
  async function tokenRegistry(opts: { tokenBody?: (n: number) => object; allow?: (token: string, n: number) => boolean;
    realm?: string; error?: string } = {}) {
    let issued = 0;
    const m: Mock = await serve((req, res) => {
      if (req.url!.startsWith('/token')) {
        issued++;
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(opts.tokenBody?.(issued) ?? { token: `tok-${issued}`, expires_in: 300 }));
      }
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!token || !(opts.allow ?? (() => true))(token, issued)) {
        const realm = opts.realm ?? `http://${m.host}/token`;
        const error = token && opts.error ? `,error="${opts.error}"` : '';
        res.writeHead(401, { 'www-authenticate':
          `Bearer realm="${realm}",service="mock",scope="repository:a/b:pull,push"${error}` });
        return void res.end();
      }
      if (req.url!.includes('/manifests/')) return sendManifest(res);
      blobHandler()(req, res);
    });
    return m;
  }

  test('the challenge scope is requested first and exactly; access_token alone works', async () => {
    const m = await tokenRegistry({ tokenBody: (n) => ({ access_token: `tok-${n}` }) });
    await client(m).getManifest('latest');
    const tokenReq = m.seen.find((s) => s.url.startsWith('/token'))!;
    const q = new URL(tokenReq.url, m.url).searchParams;
    assert.equal(q.get('service'), 'mock');
    assert.deepEqual(q.getAll('scope'), ['repository:a/b:pull,push', 'repository:a/b:pull']);
    assert.equal(tokenReq.headers.authorization, undefined, 'anonymous: no Basic auth to the token server');
    assert.equal(m.seen.at(-1)!.headers.authorization, 'Bearer tok-1');
    // One client reuses its token.
    const c = client(m);
    await c.getManifest('latest');
    await c.getManifest('latest');
    assert.equal(m.seen.filter((s) => s.url.startsWith('/token')).length, 2);
  });

  test('an expired token is replaced before the next request', async () => {
    // issued_at long ago and expires_in 1: expired as soon as it arrives, without sleeping.
    const m = await tokenRegistry({ tokenBody: (n) => ({ token: `tok-${n}`, expires_in: 1,
      issued_at: new Date(Date.now() - 10_000).toISOString() }) });
    const c = client(m);
    await c.getManifest('latest');
    await c.getManifest('latest');
    assert.equal(m.seen.filter((s) => s.url.startsWith('/token')).length, 2);
    assert.equal(m.seen.at(-1)!.headers.authorization, 'Bearer tok-2');
  });

  test('invalid_token on a cached token: exactly one refetch', async () => {
    // Only the first token is accepted, for the first request only.
    let used = 0;
    const m = await tokenRegistry({ allow: (t) => t === 'tok-1' && used++ === 0, error: 'invalid_token' });
    const c = client(m);
    await c.getManifest('latest');
    await assert.rejects(c.getManifest('latest'), /not found or unauthorized/);
    assert.equal(m.seen.filter((s) => s.url.startsWith('/token')).length, 2);
  });

  test('a 401 after a fresh token is "not found or unauthorized", without a loop', async () => {
    const m = await tokenRegistry({ allow: () => false });
    await assert.rejects(client(m, 'library/nope').getManifest('latest'),
      new RegExp(`^TsdockerError: not found or unauthorized: ${m.host}/library/nope:latest$`));
    assert.equal(m.seen.filter((s) => s.url.startsWith('/token')).length, 1);
    assert.equal(m.seen.filter((s) => s.url.startsWith('/v2/')).length, 2);
  });

  test('a realm on the link-local metadata address is refused and never contacted', async () => {
    const m = await tokenRegistry({ realm: 'http://169.254.169.254/latest/meta-data' });
    await assert.rejects(client(m).getManifest('latest'),
      /refusing token realm http:\/\/169.254.169.254\/latest\/meta-data: link-local/);
    assert.equal(m.seen.length, 1);
  });

  test('Basic auth with stored credentials; without them, not found or unauthorized', async () => {
    const m = await serve((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('student:pw').toString('base64')}`) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="Registry"' }).end();
      }
      sendManifest(res);
    });
    await assert.rejects(client(m).getManifest('latest'), /not found or unauthorized/);
    saveCredential(m.host, { username: 'student', password: 'pw' });
    assert.equal((await client(m).getManifest('latest')).digest, sha(MANIFEST));
    await verifyLogin(m.host, { username: 'student', password: 'pw' }, { registryMirrors: [], insecureRegistries: [m.host] });
    await assert.rejects(verifyLogin(m.host, { username: 'student', password: 'no' },
      { registryMirrors: [], insecureRegistries: [m.host] }), /login to .* failed: incorrect username or password/);
  });
});

describe('blobs', () => {
  test('a body cut at 50% is resumed with Range and verifies', async () => {
    const m = await serve(blobHandler({ cut: true }));
    let counted = 0;
    const got = await readAll(await client(m).openBlob(BLOB_DESC, { onBytes: (n) => { counted += n; } }));
    assert.ok(got.equals(BLOB));
    assert.equal(counted, BLOB.length);
    assert.equal(m.seen.length, 2);
    assert.equal(m.seen[1].headers.range, `bytes=${BLOB.length / 2}-`);
  });

  test('Range ignored (200): read again from the start, same bytes delivered once', async () => {
    const m = await serve(blobHandler({ cut: true, ignoreRange: true }));
    const got = await readAll(await client(m).openBlob(BLOB_DESC));
    assert.ok(got.equals(BLOB));
    assert.equal(m.seen.length, 2);
  });

  test('a restarted copy that differs from the first fails the digest check', async () => {
    // The second answer changes bytes in the half the consumer had not received yet.
    const m = await serve(blobHandler({ cut: true, ignoreRange: true, changed: true }));
    await assert.rejects(readAll(await client(m).openBlob(BLOB_DESC)), /digest mismatch for blob/);
  });

  test('one byte changed in a blob makes the stream fail naming both digests', async () => {
    const changed = Buffer.from(BLOB);
    changed[1000] ^= 1;
    const m = await serve((_req, res) => void res.writeHead(200, { 'content-length': changed.length }).end(changed));
    await assert.rejects(readAll(await client(m).openBlob(BLOB_DESC)),
      new RegExp(`digest mismatch for blob: expected ${BLOB_DESC.digest}, got ${sha(changed)}`));
    await assert.rejects(client(m).getBlob(BLOB_DESC), /digest mismatch/);
  });

  test('a wrong Content-Length is rejected before reading', async () => {
    const m = await serve((_req, res) => void res.writeHead(200, { 'content-length': BLOB.length - 1 }).end(BLOB.subarray(1)));
    await assert.rejects(client(m).openBlob(BLOB_DESC), /Content-Length is 262143, descriptor says 262144/);
  });

  test('Content-Encoding: gzip around a blob: the digest is of the decoded bytes', async () => {
    const gz = zlib.gzipSync(BLOB);
    const m = await serve((_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': gz.length }).end(gz));
    assert.ok((await readAll(await client(m).openBlob(BLOB_DESC))).equals(BLOB));
  });

  test('a 307 to a CDN on 127.0.0.2 carries no Authorization, not even after the CDN says 401', async () => {
    const cdn = await serve((req, res) => {
      if (req.url!.startsWith('/deny')) return void res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' }).end();
      res.writeHead(200, { 'content-length': BLOB.length }).end(BLOB);
    }, '127.0.0.2');
    let target = '/blob?sig=secret';
    const m = await serve((req, res) => {
      if (!req.headers.authorization) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      }
      if (req.url!.includes('/blobs/')) return void res.writeHead(307, { location: `${cdn.url}${target}` }).end();
      res.writeHead(404).end();
    });
    saveCredential(m.host, { username: 'u', password: 'p' });
    assert.ok((await readAll(await client(m).openBlob(BLOB_DESC))).equals(BLOB));
    assert.ok(m.seen.at(-1)!.headers.authorization);
    assert.equal(cdn.seen.length, 1);
    assert.equal(cdn.seen[0].headers.authorization, undefined);

    target = '/deny?sig=secret';
    await assert.rejects(client(m).openBlob(BLOB_DESC), (err: Error) => {
      assert.match(err.message, /http:\/\/127.0.0.2:\d+\/deny\?<redacted> \(redirected from 127.0.0.1:\d+\) answered 401/);
      assert.ok(!err.message.includes('secret'));
      return true;
    });
    assert.equal(cdn.seen.length, 2);
    assert.equal(cdn.seen[1].headers.authorization, undefined);
  });

  test('registry -> CDN -> registry: Authorization again on the registry host only', async () => {
    let registry!: Mock;
    const cdn = await serve((_req, res) => void res.writeHead(302, { location: `${registry.url}/final` }).end(), '127.0.0.2');
    registry = await serve((req, res) => {
      if (!req.headers.authorization) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      if (req.url === '/final') return void res.writeHead(200, { 'content-length': BLOB.length }).end(BLOB);
      res.writeHead(307, { location: `${cdn.url}/hop` }).end();
    });
    saveCredential(registry.host, { username: 'u', password: 'p' });
    assert.ok((await readAll(await client(registry).openBlob(BLOB_DESC))).equals(BLOB));
    assert.equal(cdn.seen[0].headers.authorization, undefined);
    assert.ok(registry.seen.at(-1)!.headers.authorization);
  });

  test('more than 10 redirects is an error', async () => {
    const m = await serve((req, res) => void res.writeHead(302, { location: `/r${req.url!.length}` }).end());
    await assert.rejects(client(m).openBlob(BLOB_DESC), /too many redirects .* \(more than 10\)/);
    assert.equal(m.seen.length, 11);
  });

  test('foreign layer URLs: link-local refused, loopback used without credentials', async () => {
    const foreign = await serve((_req, res) => void res.writeHead(200, { 'content-length': BLOB.length }).end(BLOB), '127.0.0.2');
    const m = await serve(blobHandler());
    const lines: string[] = [];
    const desc: Descriptor = { ...BLOB_DESC, mediaType: MediaType.DOCKER_FOREIGN_LAYER,
      urls: ['http://169.254.169.254/latest/meta-data', `${foreign.url}/layer`] };
    assert.ok((await readAll(await client(m, 'a/b:latest', {}, (l) => lines.push(l)).openBlob(desc))).equals(BLOB));
    assert.match(lines[0], /refusing foreign layer URL http:\/\/169.254.169.254\/latest\/meta-data: link-local/);
    assert.equal(foreign.seen.length, 1);
    assert.equal(foreign.seen[0].headers.authorization, undefined);
    assert.equal(m.seen.length, 0);
  });
});

describe('rate limits and mirrors', () => {
  test('429 with Retry-After: waits, then succeeds', async () => {
    let n = 0;
    const m = await serve((_req, res) => {
      if (n++ === 0) return void res.writeHead(429, { 'retry-after': '1' }).end();
      sendManifest(res);
    });
    const start = Date.now();
    await client(m).getManifest('latest');
    assert.ok(Date.now() - start >= 1000, 'waited at least Retry-After');
    assert.equal(m.seen.length, 2);
  });

  test('429 every time: bounded retries, then Hub\'s own message', async () => {
    const m = await serve((_req, res) => void res.writeHead(429, { 'retry-after': '0', 'ratelimit-limit': '100;w=21600',
      'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS',
      message: 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading' }] })));
    await assert.rejects(client(m).getManifest('latest'), new RegExp(`^TsdockerError: rate limit reached for ${m.host}: ` +
      'You have reached your pull rate limit\\. .* \\(ratelimit-limit 100;w=21600, retry after 0 s\\)$'));
    assert.equal(m.seen.length, 4);
  });

  test('a Retry-After longer than we wait fails at once', async () => {
    const m = await serve((_req, res) => void res.writeHead(429, { 'retry-after': '3600' }).end());
    await assert.rejects(client(m).getManifest('latest'), /rate limit reached for .* \(retry after 3600 s\)/);
    assert.equal(m.seen.length, 1);
  });

  test('Docker Hub images: a failing mirror falls over to the next', async () => {
    const down = await serve((_req, res) => void res.end());
    await down.close();
    const broken = await serve((_req, res) => void res.writeHead(503).end());
    const good = await serve((req, res) => (req.url!.includes('/manifests/') ? sendManifest(res) : blobHandler()(req, res)));
    const lines: string[] = [];
    const c = RegistryClient.forReference(parseReference('a/b'), { log: (l) => lines.push(l),
      config: { registryMirrors: [down.url, broken.url, good.url], insecureRegistries: [] } });
    assert.equal((await c.getManifest('latest')).digest, sha(MANIFEST));
    assert.equal(lines.length, 2);
    assert.match(lines[0], new RegExp(`mirror ${down.url} failed: cannot reach .*ECONNREFUSED.*; trying ${broken.url}`));
    assert.equal(good.seen[0].url, '/v2/a/b/manifests/latest');
    // The mirror that answered serves the blobs too.
    assert.ok((await readAll(await c.openBlob(BLOB_DESC))).equals(BLOB));
    assert.equal(broken.seen.length, 2, 'the 503 was retried once, then never asked again');
  });

  test('--trace prints each request with its query redacted, and ratelimit-remaining', async () => {
    const m = await serve((req, res) => {
      if (req.url!.startsWith('/v2/')) return void res.writeHead(307, { location: '/cdn?X-Amz-Signature=secret' }).end();
      res.writeHead(200, { 'content-length': BLOB.length, 'ratelimit-remaining': '76;w=21600' }).end(BLOB);
    });
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => { lines.push(String(chunk)); return true; }) as typeof write;
    setTrace(true);
    try {
      await readAll(await client(m).openBlob(BLOB_DESC));
    } finally {
      setTrace(false);
      delete process.env.TSDOCKER_TRACE;
      process.stderr.write = write;
    }
    const text = lines.join('');
    assert.match(text, new RegExp(`\\[trace\\] registry: GET http://${m.host}/v2/a/b/blobs/${BLOB_DESC.digest} -> 307`));
    assert.match(text, new RegExp(`\\[trace\\] registry: GET http://${m.host}/cdn\\?<redacted> -> 200`));
    assert.match(text, /ratelimit-remaining: 76;w=21600/);
    assert.ok(!text.includes('secret'));
  });
});

describe('the real registry (Debian docker-registry)', () => {
  /** Fetch an image the way pull does: index -> manifest for this host -> config -> layers. */
  async function pullThrough(c: RegistryClient, tag: string) {
    let fetched = await c.getManifest(tag);
    let parsed = parseManifest(fetched);
    for (let depth = 0; parsed.kind === 'index'; depth++) {
      assert.ok(depth < 3);
      fetched = await c.getManifest(selectManifest(parsed.index, hostPlatform()).digest);
      parsed = parseManifest(fetched);
    }
    const config = JSON.parse((await c.getBlob(parsed.manifest.config)).toString()) as { rootfs: { diff_ids: string[] } };
    let bytes = 0;
    for (const layer of parsed.manifest.layers) {
      bytes += (await readAll(await c.openBlob(layer))).length;
    }
    assert.equal(config.rootfs.diff_ids.length, parsed.manifest.layers.length);
    assert.equal(bytes, parsed.manifest.layers.reduce((n, l) => n + l.size, 0));
    return { fetched, manifest: parsed.manifest };
  }

  for (const auth of ['none', 'htpasswd', 'token'] as RegistryAuth[]) {
    describe(`auth ${auth}`, () => {
      let reg: TestRegistry;
      const repo = auth === 'token' ? 'public/busybox' : 'busybox';
      before(async () => {
        reg = await startRegistry({ auth });
        await pushFixture(reg, 'busybox', `${repo}:latest`);
        if (auth !== 'none') await pushFixture(reg, 'busybox', 'private/busybox:latest');
      });
      after(async () => {
        await reg?.stop();
        if (reg) removeCredential(reg.host);
      });

      test('pulls busybox: manifest, config and layers, verified; HEAD agrees', async () => {
        if (reg.username) saveCredential(reg.host, { username: reg.username, password: reg.password! });
        const c = client(reg.host, `${repo}:latest`);
        const top = await c.getManifest('latest');
        await pullThrough(c, 'latest');
        const head = await c.headManifest('latest');
        assert.deepEqual(head, { digest: top.digest, mediaType: top.mediaType, size: top.body.length });
        assert.equal((await c.getManifest(top.digest)).digest, top.digest);
        await assert.rejects(c.getManifest('nope'), new RegExp(`not found or unauthorized: ${reg.host}/${repo}:nope`));
      });

      if (auth !== 'none') {
        test('requests sent in parallel before the first 401 are all answered with credentials', async () => {
          saveCredential(reg.host, { username: reg.username!, password: reg.password! });
          const c = client(reg.host, `${repo}:latest`);
          const digests = await Promise.all([0, 1, 2, 3].map(() => c.getManifest('latest').then((m) => m.digest)));
          assert.equal(new Set(digests).size, 1);
        });

        test('without credentials a private repository is "not found or unauthorized"', async () => {
          removeCredential(reg.host);
          await assert.rejects(client(reg.host, 'private/busybox:latest').getManifest('latest'),
            new RegExp(`^TsdockerError: not found or unauthorized: ${reg.host}/private/busybox:latest$`));
        });

        test('tsdocker login --password-stdin checks and stores; logout forgets', async () => {
          removeCredential(reg.host);
          const engineConfig = path.join(dockerConfig, `engine-${auth}.json`);
          fs.writeFileSync(engineConfig, JSON.stringify({ 'insecure-registries': [reg.host] }));
          const env = { ...process.env, DOCKER_CONFIG: dockerConfig, TSDOCKER_CONFIG: engineConfig };
          const bin = path.join(__dirname, '..', '..', '..', 'bin', 'tsdocker');
          // Asynchronous: the token server runs in this process and must keep answering.
          const tsdocker = (args: string[], input = '') => new Promise<{ status: number | null; stdout: string; stderr: string }>(
            (resolve) => {
              const child = spawn(process.execPath, [bin, ...args], { env });
              let stdout = '';
              let stderr = '';
              child.stdout.on('data', (d) => { stdout += d; });
              child.stderr.on('data', (d) => { stderr += d; });
              child.on('close', (status) => resolve({ status, stdout, stderr }));
              child.stdin.end(input);
            });
          try {
            const bad = await tsdocker(['login', '-u', reg.username!, '--password-stdin', reg.host], 'wrong\n');
            assert.equal(bad.status, 125);
            assert.match(bad.stderr, /^tsdocker: login to .* (failed: incorrect username or password|refused by)/m);
            assert.equal(readCredentialFile(), undefined);

            const ok = await tsdocker(['login', '-u', reg.username!, '--password-stdin', `http://${reg.host}/v2/`], `${reg.password}\n`);
            assert.equal(ok.status, 0, ok.stderr);
            assert.equal(ok.stdout, 'Login Succeeded\n');
            assert.equal(Buffer.from(readCredentialFile()!, 'base64').toString(), `${reg.username}:${reg.password}`);

            const out = await tsdocker(['logout', reg.host]);
            assert.equal(out.stdout, `Removing login credentials for ${reg.host}\n`);
            assert.equal(readCredentialFile(), undefined);
            assert.equal((await tsdocker(['logout', reg.host])).stdout, `Not logged in to ${reg.host}\n`);

            const both = await tsdocker(['login', '-u', 'x', '-p', 'y', '--password-stdin', reg.host]);
            assert.match(both.stderr, /--password and --password-stdin are mutually exclusive/);
          } finally {
            fs.rmSync(engineConfig, { force: true });
          }
          function readCredentialFile(): string | undefined {
            const file = path.join(dockerConfig, 'config.json');
            if (!fs.existsSync(file)) return undefined;
            return JSON.parse(fs.readFileSync(file, 'utf8')).auths?.[reg.host]?.auth;
          }
        });

        test('login is checked against /v2/', async () => {
          const config = { registryMirrors: [], insecureRegistries: [reg.host] };
          await verifyLogin(reg.host, { username: reg.username!, password: reg.password! }, config);
          await assert.rejects(verifyLogin(reg.host, { username: reg.username!, password: 'wrong' }, config),
            /incorrect username or password/);
        });
      }

      if (auth === 'token') {
        test('anonymous pulls of public/ get a token for exactly that repository', async () => {
          removeCredential(reg.host);
          const before = reg.tokenServer!.requests.length;
          await pullThrough(client(reg.host, 'public/busybox:latest'), 'latest');
          const asked = reg.tokenServer!.requests.slice(before);
          assert.equal(asked.length, 1, 'one token for the whole pull');
          assert.deepEqual(asked[0].scopes, ['repository:public/busybox:pull']);
          assert.equal(asked[0].account, undefined);
        });

        test('a token that expires is replaced', async () => {
          saveCredential(reg.host, { username: reg.username!, password: reg.password! });
          reg.tokenServer!.options.expiresIn = 1;
          try {
            const c = client(reg.host, 'private/busybox:latest');
            const before = reg.tokenServer!.requests.length;
            await c.getManifest('latest');
            // The token server's clock runs in whole seconds; wait until the token has surely expired.
            await new Promise((resolve) => setTimeout(resolve, 2100));
            await c.getManifest('latest');
            assert.equal(reg.tokenServer!.requests.length - before, 2);
          } finally {
            reg.tokenServer!.options.expiresIn = 60;
          }
        });
      }

      test('push: blobs from memory and from a file, a cross-repository mount, a manifest', async () => {
        if (reg.username) saveCredential(reg.host, { username: reg.username, password: reg.password! });
        const c = client(reg.host, 'pushed/image:v1', {}, undefined, true);
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha(BLOB)] } }));
        const configDesc: Descriptor = { mediaType: MediaType.OCI_CONFIG, digest: sha(config), size: config.length };
        assert.equal(await c.blobExists(configDesc.digest), false);
        await c.uploadBlob(configDesc, config);
        assert.equal(await c.blobExists(configDesc.digest), true);
        const file = path.join(dockerConfig, 'layer.bin');
        fs.writeFileSync(file, BLOB);
        try {
          await c.uploadBlob(BLOB_DESC, { file });
        } finally {
          fs.rmSync(file);
        }
        const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
          config: configDesc, layers: [BLOB_DESC] }));
        assert.equal(await c.putManifest('v1', MediaType.OCI_MANIFEST, manifest), sha(manifest));
        const back = await c.getManifest('v1');
        assert.deepEqual(back.body, manifest);
        assert.ok((await readAll(await c.openBlob(BLOB_DESC))).equals(BLOB));

        const other = client(reg.host, 'pushed/other:v1', {}, undefined, true);
        assert.equal(await other.mountBlob(BLOB_DESC.digest, 'pushed/image'), true);
        assert.equal(await other.blobExists(BLOB_DESC.digest), true);
        assert.equal(await other.mountBlob(sha(Buffer.from('absent')), 'pushed/image'), false);
      });
    });
  }
});
