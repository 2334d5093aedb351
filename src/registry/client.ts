// The Distribution API client: what `pull` (and later `push`) needs from a registry
// (opencontainers/distribution-spec spec.md). One client talks about one repository:
//
//   GET  /v2/<name>/manifests/<tag|digest>   a manifest or index (HEAD: just its digest)
//   GET  /v2/<name>/blobs/<digest>           a config or layer, often redirected to a CDN
//   POST /v2/<name>/blobs/uploads/ + PUT     upload a blob (monolithic, or PATCH chunks)
//   PUT  /v2/<name>/manifests/<tag>          publish a manifest
//
// Each request goes through http.ts (redirects, rate limits) and auth.ts (401 -> token -> retry).
// For Docker Hub images the configured mirrors are tried first: a mirror that fails for any
// reason is logged and the next endpoint is tried, ending with registry-1.docker.io; the endpoint
// that answered is then used for the rest of the pull.
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { TsdockerError, wrap } from '../errors';
import { trace } from '../trace';
import { loadConfig, type EngineConfig } from '../config';
import { repositoryName, type Reference } from '../reference';
import { checkOutboundUrl } from './address';
import { Authorizer } from './auth';
import { verifiedStream, digestOf, type OpenAt } from './blob';
import { readCredential, type Credential } from './credentials';
import { endpointsFor, type Endpoint } from './endpoints';
import { send, readCapped, readText, discard, registryMessage, redact, type Sent } from './http';
import {
  MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, checkDigest, manifestMediaType, bareMediaType,
  type Descriptor, type FetchedManifest,
} from './manifest';

export type { Descriptor, FetchedManifest };
export type { Platform } from './manifest';

/** Set on "not found or unauthorized" errors, so callers can tell them from failures. */
export const NOT_FOUND = 'NOT_FOUND';
/** Chunk size for uploads from a file (PATCH with Content-Range). */
const UPLOAD_CHUNK = 16 * 1024 * 1024;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

export interface ClientOptions {
  config?: EngineConfig;
  /** user-visible notes, such as a mirror failing over */
  log?: (line: string) => void;
  /** ask for push access too (repository:<name>:pull,push) */
  push?: boolean;
}

interface CallInit {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: Buffer;
  signal?: AbortSignal;
}

export class RegistryClient {
  private active = 0;
  private readonly authorizers = new Map<string, Authorizer>();
  private readonly log: (line: string) => void;
  /** "docker.io/library/ubuntu", for messages */
  readonly name: string;

  private constructor(readonly ref: Reference, private readonly endpoints: Endpoint[],
    private readonly actions: string, opts: ClientOptions) {
    this.name = repositoryName(ref);
    this.log = opts.log ?? (() => {});
  }

  static forReference(ref: Reference, opts: ClientOptions = {}): RegistryClient {
    const endpoints = endpointsFor(ref.domain, opts.config ?? loadConfig());
    return new RegistryClient(ref, endpoints, opts.push ? 'pull,push' : 'pull', opts);
  }

  /** GET a manifest or index; verified against the digest when pinned, capped at 4 MiB. */
  async getManifest(tagOrDigest: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const { pinned, name } = this.manifestName(tagOrDigest);
    return this.withEndpoints(async (ep) => {
      const { response } = await this.call(ep, `manifests/${tagOrDigest}`,
        { headers: { accept: MANIFEST_ACCEPT.join(', ') }, signal }, name);
      await expectStatus(response, [200], `get manifest ${name}`, name);
      const body = await readCapped(response, MAX_MANIFEST_BYTES, `manifest for ${name}`);
      const mediaType = manifestMediaType(body, response.headers.get('content-type'), name);
      const digest = digestOf(body);
      if (pinned) {
        const got = digestOf(body, pinned);
        if (got !== pinned) throw new TsdockerError(`digest mismatch for ${name}: expected ${pinned}, got ${got}`);
        return { mediaType, digest: pinned, body };
      }
      // On a tag, registries get Docker-Content-Digest wrong often enough that ggcr ignores it
      // (fetcher.go); the digest of the bytes is the truth.
      const header = response.headers.get('docker-content-digest');
      if (header && header !== digest) trace('registry', `Docker-Content-Digest ${header} differs from body ${digest}; using the body's`);
      return { mediaType, digest, body };
    });
  }

  /** HEAD a manifest: its digest, type and size without a download (Hub does not count a HEAD
   *  as a pull). Falls back to GET on 405 or when the digest or length is missing. */
  async headManifest(tagOrDigest: string, signal?: AbortSignal):
    Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const { pinned, name } = this.manifestName(tagOrDigest);
    try {
      const head = await this.withEndpoints(async (ep) => {
        const { response } = await this.call(ep, `manifests/${tagOrDigest}`,
          { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT.join(', ') }, signal }, name);
        if (response.status === 405) return undefined;
        await expectStatus(response, [200], `head manifest ${name}`, name);
        const digest = response.headers.get('docker-content-digest');
        const size = Number(response.headers.get('content-length') ?? NaN);
        const mediaType = bareMediaType(response.headers.get('content-type'));
        if (!digest || !Number.isSafeInteger(size) || !MANIFEST_ACCEPT.includes(mediaType)) return undefined;
        if (pinned && digest !== pinned) {
          throw new TsdockerError(`digest mismatch for ${name}: expected ${pinned}, got ${digest}`);
        }
        return { digest: checkDigest(digest, `Docker-Content-Digest from ${ep.host}`), mediaType, size };
      });
      if (head) return head;
      trace('registry', `HEAD gave no usable digest for ${name}, using GET`);
      const m = await this.getManifest(tagOrDigest, signal);
      return { digest: m.digest, mediaType: m.mediaType, size: m.body.length };
    } catch (err) {
      if (err instanceof TsdockerError && err.code === NOT_FOUND) return undefined;
      throw err;
    }
  }

  /** A small blob (an image config): verified, at most 4 MiB. */
  async getBlob(desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    if (desc.size > MAX_MANIFEST_BYTES) {
      throw new TsdockerError(`blob ${desc.digest} is too large: ${desc.size} bytes, limit ${MAX_MANIFEST_BYTES}`);
    }
    const stream = await this.openBlob(desc, { signal });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * A blob as a stream of its stored (still compressed) bytes, checked against digest and size
   * as it goes and resumed with Range after a cut (blob.ts). A foreign layer's `urls` are tried
   * first, without credentials and only where address.ts allows; then the registry.
   */
  async openBlob(desc: Descriptor, opts: { onBytes?: (n: number) => void; signal?: AbortSignal } = {}): Promise<Readable> {
    checkDigest(desc.digest);
    const name = `${this.name}@${desc.digest}`;
    for (const url of desc.urls ?? []) {
      try {
        const open: OpenAt = (offset) => this.openForeign(url, desc, offset, opts.signal);
        return verifiedStream(desc, open, await open(0), opts);
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        this.log(`foreign layer URL failed: ${(err as Error).message}; trying the registry`);
      }
    }
    return this.withEndpoints(async (ep) => {
      const open: OpenAt = async (offset) => {
        const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
        const { response } = await this.call(ep, `blobs/${desc.digest}`, { headers, signal: opts.signal }, name);
        return checkBlobResponse(response, desc, offset, name);
      };
      return verifiedStream(desc, open, await open(0), opts);
    });
  }

  // ---- push (dist-spec "Pushing blobs", "Pushing manifests") ----

  async blobExists(digest: string, signal?: AbortSignal): Promise<boolean> {
    checkDigest(digest);
    const name = `${this.name}@${digest}`;
    const ep = this.endpoint();
    const { response } = await this.call(ep, `blobs/${digest}`, { method: 'HEAD', signal }, name, false);
    if (response.status === 404) return false;
    await expectStatus(response, [200], `check blob ${name}`, name);
    return true;
  }

  /** Upload a blob from memory (one PUT) or from a file (PATCH chunks, then PUT). */
  async uploadBlob(desc: Descriptor, data: Buffer | { file: string }, signal?: AbortSignal): Promise<void> {
    checkDigest(desc.digest);
    const name = `${this.name}@${desc.digest}`;
    const ep = this.endpoint();
    const start = await this.call(ep, 'blobs/uploads/', { method: 'POST', signal }, name, false);
    let location = await uploadLocation(start, [202], `start upload of ${name}`, name);
    if (Buffer.isBuffer(data)) {
      location.searchParams.set('digest', desc.digest);
      const put = await this.call(ep, location, { method: 'PUT', body: data, signal,
        headers: { 'content-type': 'application/octet-stream' } }, name, false);
      await expectStatus(put.response, [201], `upload ${name}`, name);
      await discard(put.response);
      return;
    }
    const fd = fs.openSync(data.file, 'r');
    try {
      const buf = Buffer.alloc(UPLOAD_CHUNK);
      for (let offset = 0; ;) {
        const n = fs.readSync(fd, buf, 0, UPLOAD_CHUNK, offset);
        if (n === 0) break;
        const patch = await this.call(ep, location, { method: 'PATCH', body: buf.subarray(0, n), signal,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + n - 1}` } },
        name, false);
        location = await uploadLocation(patch, [202], `upload ${name}`, name);
        offset += n;
      }
    } catch (err) {
      throw err instanceof TsdockerError ? err : wrap(err, `upload ${name} from ${data.file}`);
    } finally {
      fs.closeSync(fd);
    }
    location.searchParams.set('digest', desc.digest);
    const put = await this.call(ep, location, { method: 'PUT', signal }, name, false);
    await expectStatus(put.response, [201], `finish upload of ${name}`, name);
    await discard(put.response);
  }

  /** Ask the registry to link a blob from another repository on it; false when it would not. */
  async mountBlob(digest: string, fromPath: string, signal?: AbortSignal): Promise<boolean> {
    checkDigest(digest);
    const name = `${this.name}@${digest}`;
    const ep = this.endpoint();
    this.authorizer(ep).addScope(`repository:${fromPath}:pull`);
    const query = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromPath)}`;
    const sent = await this.call(ep, `blobs/uploads/${query}`, { method: 'POST', signal }, name, false);
    if (sent.response.status === 201) {
      await discard(sent.response);
      return true;
    }
    // 202: the registry started an ordinary upload instead; cancel it, the caller uploads.
    const location = await uploadLocation(sent, [202], `mount ${name} from ${fromPath}`, name);
    const cancel = await this.call(ep, location, { method: 'DELETE', signal }, name, false).catch(() => undefined);
    if (cancel) await discard(cancel.response);
    return false;
  }

  /** PUT a manifest under a tag (or its digest); returns its digest. */
  async putManifest(tagOrDigest: string, mediaType: string, body: Buffer, signal?: AbortSignal): Promise<string> {
    const { pinned, name } = this.manifestName(tagOrDigest);
    const digest = digestOf(body);
    if (pinned && digestOf(body, pinned) !== pinned) {
      throw new TsdockerError(`digest mismatch for ${name}: the manifest hashes to ${digestOf(body, pinned)}`);
    }
    const ep = this.endpoint();
    const { response } = await this.call(ep, `manifests/${tagOrDigest}`,
      { method: 'PUT', body, headers: { 'content-type': mediaType }, signal }, name, false);
    await expectStatus(response, [201], `put manifest ${name}`, name);
    await discard(response);
    const header = response.headers.get('docker-content-digest');
    if (header && header !== digest && !pinned) {
      throw new TsdockerError(`registry stored manifest ${name} as ${header}, expected ${digest}`);
    }
    return pinned ?? digest;
  }

  // ---- internals ----

  private manifestName(tagOrDigest: string): { pinned?: string; name: string } {
    if (tagOrDigest.includes(':')) {
      checkDigest(tagOrDigest);
      return { pinned: tagOrDigest, name: `${this.name}@${tagOrDigest}` };
    }
    if (!TAG_RE.test(tagOrDigest)) throw new TsdockerError(`invalid tag "${tagOrDigest}"`);
    return { name: `${this.name}:${tagOrDigest}` };
  }

  /** The registry itself for writes: never a mirror. */
  private endpoint(): Endpoint {
    return this.endpoints[this.endpoints.length - 1];
  }

  /** Run `op` on the endpoint that last worked, falling over to the next ones on failure. */
  private async withEndpoints<T>(op: (ep: Endpoint) => Promise<T>): Promise<T> {
    for (let i = this.active; ; i++) {
      const ep = this.endpoints[i];
      try {
        const result = await op(ep);
        this.active = i;
        return result;
      } catch (err) {
        if (i === this.endpoints.length - 1 || (err as Error)?.name === 'AbortError') throw err;
        this.log(`mirror ${ep.url} failed: ${(err as Error).message}; trying ${this.endpoints[i + 1].url}`);
      }
    }
  }

  private authorizer(ep: Endpoint): Authorizer {
    let a = this.authorizers.get(ep.url);
    if (!a) {
      // A mirror gets the credentials stored for the mirror's host, never Docker Hub's.
      const credential = readCredential(ep.mirror ? ep.host : this.ref.domain);
      a = new Authorizer(ep, credential, [`repository:${this.ref.path}:${this.actions}`]);
      this.authorizers.set(ep.url, a);
    }
    return a;
  }

  /**
   * One request to the repository on `ep`, authenticated: a 401 gets one fresh credential and
   * one retry. A 404 becomes "not found or unauthorized" unless `notFoundIsError` is false.
   */
  private async call(ep: Endpoint, path: string | URL, init: CallInit, name: string, notFoundIsError = true): Promise<Sent> {
    const url = typeof path === 'string' ? new URL(`${ep.url}/v2/${this.ref.path}/${path}`) : path;
    const auth = this.authorizer(ep);
    let fresh = false;
    for (;;) {
      const header = await auth.header(init.signal, fresh);
      fresh ||= header.refreshed;
      const sent = await send(url, { ...init, auth: header.value ? { host: ep.host, value: header.value } : undefined });
      const { response } = sent;
      if (response.status === 404 && notFoundIsError) {
        await discard(response);
        throw notFound(name);
      }
      if (response.status !== 401) return sent;
      if (sent.url.host !== ep.host) {
        // A CDN's 401 is not ours to answer: its URL carries its own credentials.
        await discard(response);
        throw new TsdockerError(`${redact(sent.url)} (redirected from ${ep.host}) answered 401 unauthorized`);
      }
      if (fresh || !(await auth.answer(response, init.signal, header.value))) {
        await discard(response);
        throw notFound(name);
      }
      await discard(response);
      fresh = true;
    }
  }

  private async openForeign(raw: string, desc: Descriptor, offset: number, signal?: AbortSignal): Promise<Response> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new TsdockerError(`invalid foreign layer URL "${raw}"`);
    }
    const policy = this.endpoint();
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    // No `auth`: registry credentials never go to a foreign URL.
    const { response } = await send(url, { headers, signal,
      checkUrl: (u) => checkOutboundUrl(u, policy, 'foreign layer URL') });
    return checkBlobResponse(response, desc, offset, `${redact(url)}`);
  }
}

/** Check a blob response before streaming it: status, Content-Range, Content-Length. */
async function checkBlobResponse(response: Response, desc: Descriptor, offset: number, name: string): Promise<Response> {
  if (response.status === 404) {
    await discard(response);
    throw notFound(name);
  }
  await expectStatus(response, offset > 0 ? [200, 206] : [200], `get blob ${name}`, name);
  if (response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
    if (!start || Number(start[1]) !== offset) {
      await discard(response);
      throw new TsdockerError(`get blob ${name}: asked for bytes from ${offset}, got Content-Range ` +
        `"${response.headers.get('content-range') ?? 'none'}"`);
    }
  }
  // With a Content-Encoding the length is of the encoded bytes; the stream counts the decoded ones.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const length = response.headers.get('content-length');
  const expected = response.status === 206 ? desc.size - offset : desc.size;
  if (!encoded && length !== null && Number(length) !== expected) {
    await discard(response);
    throw new TsdockerError(`get blob ${name}: Content-Length is ${length}, descriptor says ${expected}`);
  }
  return response;
}

/** Throw a one-line error for any status not in `ok`, with the registry's message when it sent one. */
async function expectStatus(response: Response, ok: number[], op: string, name: string): Promise<void> {
  if (ok.includes(response.status)) return;
  if (response.status === 404) {
    await discard(response);
    throw notFound(name);
  }
  const said = registryMessage(await readText(response, 64 * 1024));
  throw new TsdockerError(`${op}: registry answered ${response.status} ${response.statusText}${said ? `: ${said}` : ''}`);
}

async function uploadLocation(sent: Sent, ok: number[], op: string, name: string): Promise<URL> {
  await expectStatus(sent.response, ok, op, name);
  await discard(sent.response);
  const location = sent.response.headers.get('location');
  if (!location) throw new TsdockerError(`${op}: registry sent no upload Location`);
  return new URL(location, sent.url);
}

function notFound(name: string): TsdockerError {
  return new TsdockerError(`not found or unauthorized: ${name}`, { code: NOT_FOUND });
}

/**
 * Check credentials the way `docker login` does: against the registry's /v2/ (never a mirror),
 * with Basic auth or a token obtained with them. Throws a one-line error when they are refused.
 */
export async function verifyLogin(domain: string, credential: Credential, config: EngineConfig = loadConfig()): Promise<void> {
  const endpoints = endpointsFor(domain, config);
  const ep = endpoints[endpoints.length - 1];
  const auth = new Authorizer(ep, credential, []);
  const url = new URL(`${ep.url}/v2/`);
  for (let attempt = 0; ; attempt++) {
    const header = await auth.header(undefined, attempt > 0);
    const { response } = await send(url, { auth: header.value ? { host: ep.host, value: header.value } : undefined });
    await discard(response);
    if (response.status === 200) return;
    if (response.status !== 401) {
      throw new TsdockerError(`login to ${ep.host}: ${url.href} answered ${response.status} ${response.statusText}`);
    }
    if (attempt > 0 || !(await auth.answer(response, undefined, header.value))) {
      throw new TsdockerError(`login to ${ep.host} failed: incorrect username or password`);
    }
  }
}
