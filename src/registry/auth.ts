// Registry authentication: the token flow of distribution docs/content/spec/auth/token.md, and
// Basic auth for registries that ask for it (Debian's docker-registry with htpasswd).
//
//   client                         registry                        token server (the "realm")
//     | GET /v2/<name>/manifests/x  ->|
//     |<- 401 WWW-Authenticate: Bearer realm=..,service=..,scope=repository:<name>:pull
//     | GET realm?service=..&scope=..  (Basic user:password only if logged in) ------------>|
//     |<-------------------------------------------- {"token": "...", "expires_in": 300} --|
//     | GET /v2/<name>/manifests/x, Authorization: Bearer <token> ->|
//     |<- 200                         |
//
// A token carries only the scopes the server chose to grant, so a missing or private repository
// gets a token and then a second 401 (containerd resolver.go): one fresh credential per request,
// and a 401 after it is "not found or unauthorized", never a loop. A 401 with error=invalid_token
// or insufficient_scope on a cached token earns exactly one refetch (containerd authorizer.go).
import { TsdockerError } from '../errors';
import { trace } from '../trace';
import { checkOutboundUrl, type OutboundPolicy } from './address';
import { parseChallenges, challengeScopes, type Challenge } from './challenge';
import type { Credential } from './credentials';
import { send, readCapped, registryMessage, redact } from './http';

/** c/image caps a token response at 1 MiB (internal/iolimits). */
const MAX_TOKEN_BYTES = 1024 * 1024;
/** token.md: "When omitted, this defaults to 60 seconds." */
const DEFAULT_EXPIRES_IN = 60;

export interface AuthTarget extends OutboundPolicy {
  /** host:port of the registry endpoint: the only host that ever sees Authorization */
  host: string;
}

interface Token {
  value: string;
  /** ms since the epoch */
  expires: number;
}

export class Authorizer {
  private token?: Token;
  private bearer?: Challenge;
  private useBasic = false;
  /** Scopes we hold or have asked for, newest first. */
  private scopes: string[];

  constructor(private readonly target: AuthTarget, private readonly credential: Credential | undefined,
    scopes: string[], private readonly now: () => number = Date.now) {
    this.scopes = [...scopes];
  }

  /**
   * The Authorization value for the next request, fetching a new token first when the one we
   * hold has expired. `refreshed` says a fresh credential was obtained for this request. A token
   * just fetched for this very request (`fresh`) is used even if the server's clock says it has
   * expired already: refetching it would loop.
   */
  async header(signal?: AbortSignal, fresh = false): Promise<{ value?: string; refreshed: boolean }> {
    if (this.useBasic && this.credential) return { value: basic(this.credential), refreshed: false };
    if (this.token && !fresh && this.now() >= this.token.expires && this.bearer) {
      trace('registry', `token for ${this.target.host} expired, fetching a new one`);
      await this.fetchToken(this.bearer, signal);
      return { value: `Bearer ${this.token.value}`, refreshed: true };
    }
    return { value: this.token ? `Bearer ${this.token.value}` : undefined, refreshed: false };
  }

  /**
   * Answer a 401 from the registry: get a credential matching its challenge. `sent` is the
   * Authorization value the refused request carried. Returns false when there is nothing new to
   * try (Basic requested but not logged in, or already refused; an unknown scheme).
   */
  async answer(response: Response, signal?: AbortSignal, sent?: string): Promise<boolean> {
    const challenges = parseChallenges(response.headers.get('www-authenticate'));
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      if (this.token) trace('registry', `token refused (${bearer.params.error ?? 'no reason given'}), fetching a new one`);
      // New scopes first: some registries only look at the first scope parameter (ggcr bearer.go).
      this.scopes = [...new Set([...challengeScopes(bearer), ...this.scopes])];
      await this.fetchToken(bearer, signal);
      return true;
    }
    // Requests sent in parallel before the first 401 all come back 401: each one that went out
    // without our Basic credentials deserves a retry with them, not only the first.
    if (challenges.some((c) => c.scheme === 'basic') && this.credential && sent !== basic(this.credential)) {
      this.useBasic = true;
      return true;
    }
    return false;
  }

  /** Add a scope (a cross-repository mount needs pull on the source) before the next token. */
  addScope(scope: string): void {
    if (!this.scopes.includes(scope)) {
      this.scopes.unshift(scope);
      this.token = undefined;
    }
  }

  private async fetchToken(challenge: Challenge, signal?: AbortSignal): Promise<void> {
    this.bearer = challenge;
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw new TsdockerError(`registry ${this.target.host} sent an invalid token realm "${challenge.params.realm}"`);
    }
    const check = (u: URL) => checkOutboundUrl(u, this.target, 'token realm');
    check(realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    for (const scope of this.scopes) realm.searchParams.append('scope', scope);
    if (this.credential) realm.searchParams.set('account', this.credential.username);

    // The query is redacted in the request trace; the scopes are worth seeing.
    trace('registry', `token for ${this.scopes.join(' ') || 'login'} from ${realm.host}` +
      `${this.credential ? ` as ${this.credential.username}` : ' (anonymous)'}`);
    const issuedLocally = this.now();
    // Credentials go to the realm's own host only, never to where it redirects.
    const auth = this.credential ? { host: realm.host, value: basic(this.credential) } : undefined;
    const { response, url } = await send(realm, { auth, checkUrl: check, signal });
    const text = (await readCapped(response, MAX_TOKEN_BYTES, `token from ${realm.host}`)).toString('utf8');
    if (response.status === 401 || response.status === 403) {
      const said = registryMessage(text);
      throw new TsdockerError(this.credential
        ? `login to ${this.target.host} refused by ${url.host}: ${said || 'incorrect username or password'}`
        : `token server ${url.host} refused an anonymous token for ${this.target.host}${said ? `: ${said}` : ''}`);
    }
    if (response.status !== 200) {
      throw new TsdockerError(`token server ${redact(url)} answered ${response.status}${registryMessage(text) ? `: ${registryMessage(text)}` : ''}`);
    }
    this.token = parseTokenResponse(text, url.host, issuedLocally);
  }
}

/** token.md: `token`, or OAuth's `access_token`; `expires_in` seconds from `issued_at`. */
export function parseTokenResponse(text: string, from: string, now: number): Token {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new TsdockerError(`token server ${from} sent a response that is not JSON`);
  }
  const value = typeof json.token === 'string' && json.token ? json.token
    : typeof json.access_token === 'string' && json.access_token ? json.access_token : undefined;
  if (!value) throw new TsdockerError(`token server ${from} sent no token`);
  const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_EXPIRES_IN;
  const issued = typeof json.issued_at === 'string' ? Date.parse(json.issued_at) : NaN;
  // A server clock ahead of ours must not make a token live longer than it says.
  const start = Number.isNaN(issued) ? now : Math.min(issued, now);
  return { value, expires: start + expiresIn * 1000 };
}

function basic(c: Credential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
