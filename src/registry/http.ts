// One HTTP exchange with a registry, as the checklists require it (A5, A7):
//
//   - redirects are followed by hand (`redirect: 'manual'`), at most 10 hops as ggcr does, and the
//     Authorization header goes only to the registry's own host:port. Registries send blob GETs to
//     a CDN with a presigned URL; S3 rejects a request that carries both (moby #33707), and a
//     token must never leak to another host. fetch's own redirect handling drops Authorization
//     across origins too, but would keep any other header (nodejs/undici #4917), and we want
//     each hop checked and traced.
//   - 429 Too Many Requests is retried a few times, waiting as Retry-After says (dist-spec
//     TOOMANYREQUESTS; c/image makeRequestToResolvedURL); a wait longer than we are willing to
//     sit through fails at once with the registry's own words. 502/503/504 on a GET or HEAD are
//     retried once (containerd resolver.go).
//   - every request is traced as "GET https://host/v2/... -> 200", query strings redacted because
//     presigned URLs carry credentials in them (ggcr #1408).
import { setTimeout as sleep } from 'node:timers/promises';
import { TsdockerError } from '../errors';
import { trace } from '../trace';

export const MAX_REDIRECTS = 10;
export const MAX_RATE_LIMIT_RETRIES = 3;
/** The longest Retry-After we wait through; Hub's hours-long pull limit fails at once instead. */
export const MAX_RETRY_WAIT_SECONDS = 30;

export interface SendOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: Buffer;
  /** Authorization, attached only to requests whose URL has exactly this host:port. */
  auth?: { host: string; value: string };
  /** Judges the first URL and each redirect target; throws to refuse one (see address.ts). */
  checkUrl?: (url: URL) => void;
  signal?: AbortSignal;
}

export interface Sent {
  response: Response;
  /** the URL that gave `response`, after redirects */
  url: URL;
}

/** "https://cdn/blob?X-Amz-Signature=..." -> "https://cdn/blob?<redacted>" */
export function redact(url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${u.origin}${u.pathname}${u.search ? '?<redacted>' : ''}`;
}

export async function send(start: URL | string, opts: SendOptions = {}): Promise<Sent> {
  let url = new URL(start);
  let method = opts.method ?? 'GET';
  let body = opts.body;
  for (let hop = 0; ; hop++) {
    opts.checkUrl?.(url);
    const response = await sendWithRetries(url, method, body, opts);
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) return { response, url };
    await discard(response);
    if (hop + 1 > MAX_REDIRECTS) {
      throw new TsdockerError(`too many redirects from ${redact(start)} (more than ${MAX_REDIRECTS})`);
    }
    url = new URL(location, url);
    if (response.status === 303 && method !== 'HEAD') {
      method = 'GET';
      body = undefined;
    }
  }
}

async function sendWithRetries(url: URL, method: string, body: Buffer | undefined, opts: SendOptions): Promise<Response> {
  const idempotent = method === 'GET' || method === 'HEAD';
  for (let attempt = 0; ; attempt++) {
    const response = await sendOnce(url, method, body, opts);
    const status = response.status;
    const retryable = status === 429 || (idempotent && [502, 503, 504].includes(status) && attempt === 0);
    if (!retryable) return response;
    const wait = retryAfterSeconds(response.headers.get('retry-after')) ?? 2 ** attempt;
    if (status === 429 && (attempt >= MAX_RATE_LIMIT_RETRIES || wait > MAX_RETRY_WAIT_SECONDS)) {
      throw await rateLimitError(url, response, wait);
    }
    await discard(response);
    trace('registry', `${status} from ${url.host}: retrying in ${wait} s`);
    await sleep(wait * 1000, undefined, { signal: opts.signal });
  }
}

async function sendOnce(url: URL, method: string, body: Buffer | undefined, opts: SendOptions): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth && opts.auth.host === url.host) headers.authorization = opts.auth.value;
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, redirect: 'manual', signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    throw networkError(url, err);
  }
  trace('registry', `${method} ${redact(url)} -> ${response.status}`);
  const remaining = response.headers.get('ratelimit-remaining');
  if (remaining) trace('registry', `ratelimit-remaining: ${remaining}`);
  return response;
}

/** Retry-After is seconds or an HTTP date (RFC 9110 10.2.3). */
export function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

async function rateLimitError(url: URL, response: Response, wait: number): Promise<TsdockerError> {
  const said = registryMessage(await readText(response, 64 * 1024));
  const limit = response.headers.get('ratelimit-limit');
  const details = [limit ? `ratelimit-limit ${limit}` : '', `retry after ${wait} s`].filter(Boolean).join(', ');
  return new TsdockerError(`rate limit reached for ${url.host}${said ? `: ${said}` : ''} (${details})`);
}

/** The first message of a Distribution error body: {"errors":[{"code":...,"message":...}]}. */
export function registryMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = json.errors?.[0];
    if (first) return oneLine(first.message || first.code || '');
  } catch {
    // not JSON: a proxy's HTML page, say; too noisy to print
  }
  return '';
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? line.slice(0, 200) + '...' : line;
}

const EXPLAIN: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'temporary DNS failure',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** fetch rejects with "fetch failed"; the reason is in `cause` (or in each of an AggregateError). */
export function networkError(url: URL, err: unknown): TsdockerError {
  let cause = (err as { cause?: unknown })?.cause ?? err;
  if (cause instanceof AggregateError && cause.errors.length) cause = cause.errors[0];
  const code = (cause as { code?: string })?.code;
  const text = code ? `${code}${EXPLAIN[code] ? ` (${EXPLAIN[code]})` : ''}` : (cause as Error)?.message ?? String(cause);
  return new TsdockerError(`cannot reach ${url.host}: ${text}`, { code, cause: err });
}

/** Read a body that must be small; more than `cap` bytes is an error naming `what`. */
export async function readCapped(response: Response, cap: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > cap) {
    await discard(response);
    throw new TsdockerError(`${what} is too large: ${declared} bytes, limit ${cap}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > cap) {
        await response.body.cancel().catch(() => {});
        throw new TsdockerError(`${what} is too large: more than ${cap} bytes, limit ${cap}`);
      }
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

export async function readText(response: Response, cap: number): Promise<string> {
  try {
    return (await readCapped(response, cap, 'response')).toString('utf8');
  } catch {
    return '';
  }
}

/** Release the connection of a response whose body we do not want. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
