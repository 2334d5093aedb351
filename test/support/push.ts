// Pushing an OCI layout to a test registry byte for byte with plain Distribution API requests
// (opencontainers/distribution-spec spec.md, "Push"), for images skopeo would rewrite or refuse:
// hostile layers, mixed compressions, attestation entries, exact media types. Also a tiny server
// that hands out a layout's blobs raw, for tests that need a "CDN" or a misbehaving registry.
//
// This is test plumbing, deliberately independent of src/registry/: a bug in tsdocker's client
// must not be able to hide itself by also being in the tool that prepares the test.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { TsdockerError } from '../../src/errors';
import { Descriptor, MEDIA, blobPath, readBlob, resolveTag } from './oci-layout';
import { TestRegistry } from './registry';

export interface PushOptions {
  /** the tag inside the layout's index.json; default 'latest' */
  tag?: string;
  /** false: push anonymously even if the registry has credentials */
  authenticate?: boolean;
}

/** Push the image or index tagged `opts.tag` in `layoutDir` to `reg` as `ref` ("repo:tag"). */
export async function pushLayout(reg: TestRegistry, layoutDir: string, ref: string, opts: PushOptions = {}):
Promise<Descriptor> {
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.slice(colon).includes('/')) throw new TsdockerError(`push ${ref}: expected repo:tag`);
  const repo = ref.slice(0, colon);
  const session = new Session(reg, repo, opts.authenticate !== false);
  const top = resolveTag(layoutDir, opts.tag ?? 'latest');
  await pushTree(session, layoutDir, top);
  await session.putManifest(ref.slice(colon + 1), top.mediaType, readBlob(layoutDir, top.digest));
  return top;
}

async function pushTree(session: Session, dir: string, descriptor: Descriptor): Promise<void> {
  const body = JSON.parse(readBlob(dir, descriptor.digest).toString()) as {
    manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[];
  };
  if (descriptor.mediaType === MEDIA.ociIndex || descriptor.mediaType === MEDIA.dockerList) {
    for (const child of body.manifests ?? []) {
      await pushTree(session, dir, child);
      await session.putManifest(child.digest, child.mediaType, readBlob(dir, child.digest));
    }
    return;
  }
  // Blobs go up several at a time: an image of 130 layers is 390 requests.
  // Foreign layers (with `urls`) are not the registry's to hold: distribution accepts a manifest
  // listing them without the blob.
  const blobs = [body.config, ...(body.layers ?? [])].filter((b): b is Descriptor => b !== undefined && !b.urls);
  const queue = [...new Set(blobs.map((b) => b.digest))];
  const worker = async () => {
    for (let digest = queue.shift(); digest; digest = queue.shift()) {
      await session.putBlob(digest, readBlob(dir, digest));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** One repository's push, with Basic or Bearer auth answered as the registry's challenge asks. */
class Session {
  /** the Authorization value in use; a promise, so concurrent requests share one token fetch */
  private authorization?: Promise<string>;

  constructor(private reg: TestRegistry, private repo: string, private authenticate: boolean) {}

  async putBlob(digest: string, data: Buffer): Promise<void> {
    const head = await this.request('HEAD', `/v2/${this.repo}/blobs/${digest}`);
    if (head.status === 200) return;
    const start = await this.request('POST', `/v2/${this.repo}/blobs/uploads/`);
    expectStatus(start, 202, `start upload of ${digest}`);
    const location = new URL(start.headers.get('location') ?? '', this.reg.url);
    location.searchParams.set('digest', digest);
    const put = await this.request('PUT', location.pathname + location.search, data,
      { 'Content-Type': 'application/octet-stream' });
    expectStatus(put, 201, `upload ${digest}`);
  }

  async putManifest(reference: string, mediaType: string, data: Buffer): Promise<void> {
    const put = await this.request('PUT', `/v2/${this.repo}/manifests/${reference}`, data,
      { 'Content-Type': mediaType });
    expectStatus(put, 201, `put manifest ${this.repo}:${reference}`);
  }

  private async request(method: string, pathAndQuery: string, body?: Buffer, headers: Record<string, string> = {}):
  Promise<Response> {
    const send = async (authorization?: Promise<string>) => fetch(this.reg.url + pathAndQuery, {
      method, body, redirect: 'manual',
      headers: { ...headers, ...(authorization ? { Authorization: await authorization } : {}) },
    });
    const used = this.authorization;
    const first = await send(used);
    if (first.status !== 401 || !this.authenticate) return first;
    await first.arrayBuffer();
    if (this.authorization === used) this.authorization = this.answer(first.headers.get('www-authenticate') ?? '');
    return send(this.authorization);
  }

  private async answer(challenge: string): Promise<string> {
    const basic = 'Basic ' + Buffer.from(`${this.reg.username}:${this.reg.password}`).toString('base64');
    if (/^Basic/i.test(challenge)) return basic;
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.append('scope', `repository:${this.repo}:pull,push`);
    const res = await fetch(url, { headers: this.reg.username ? { Authorization: basic } : {} });
    expectStatus(res, 200, `get token from ${url.origin}`);
    const json = await res.json() as { token?: string; access_token?: string };
    return `Bearer ${json.token ?? json.access_token}`;
  }
}

function expectStatus(res: Response, status: number, what: string): void {
  if (res.status !== status) throw new TsdockerError(`${what}: HTTP ${res.status} (expected ${status})`);
}

export interface BlobServer {
  /** http://127.0.0.1:PORT; blobs at /blobs/<digest> */
  url: string;
  /** paths of every request, in order */
  requests: string[];
  stop(): Promise<void>;
}

/** Serve a layout's blobs raw at /blobs/<digest> (no auth, no registry API). */
export async function serveLayoutBlobs(layoutDir: string): Promise<BlobServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/blobs\/(sha256:[0-9a-f]{64})$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const file = match ? blobPath(layoutDir, match[1]) : '';
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': fs.statSync(file).size });
    if (req.method === 'HEAD') res.end(); else fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
