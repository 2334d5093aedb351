// A Docker token server on 127.0.0.1, the "authorization service" of distribution's
// docs/spec/auth/token.md, so that tests run the real token flow (401 challenge, GET realm with
// service and scopes, Bearer token) against a real registry instead of Docker Hub's auth.docker.io.
//
// Policy, like Docker Hub's: `student` (Basic auth) may pull and push anywhere; anonymous clients may
// only pull repositories under `public/`. As the spec says, a refused scope is not an error: the
// token simply grants less, and the registry then answers 401 to the request that needed it.
//
// The token is a JWT signed RS256 with a self-signed certificate that the registry trusts through its
// `auth.token.rootcertbundle`. distribution 2.8 (registry/auth/token/token.go, VerifySigningKey)
// finds the key from the header's `x5c` chain first, then `jwk`, then `kid`; x5c needs no key-id
// fingerprint, so it is used here.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { buildOnce, cacheDir, run } from './cache';

export const TEST_USER = 'student';
export const TEST_PASSWORD = 'containers-are-processes';
export const TOKEN_SERVICE = 'tsdocker-test';
export const TOKEN_ISSUER = 'tsdocker-test-issuer';

export interface SigningCert { keyFile: string; certFile: string }

/** A self-signed RSA certificate for signing tokens, made once with openssl(1) and cached. */
export async function signingCert(): Promise<SigningCert> {
  const dir = await buildOnce(cacheDir('token-cert-v1'), async (tmp) => {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes', '-days', '3650',
      '-subj', '/CN=tsdocker test token issuer', '-keyout', path.join(tmp, 'key.pem'),
      '-out', path.join(tmp, 'cert.pem')]);
  });
  return { keyFile: path.join(dir, 'key.pem'), certFile: path.join(dir, 'cert.pem') };
}

export interface TokenServerOptions {
  /** token lifetime in seconds (the spec's default is 60); changeable while running */
  expiresIn?: number;
  /** answer with only `access_token` and no `token`, as some servers do */
  accessTokenOnly?: boolean;
}

export interface TokenRequest {
  service: string | null;
  /** every `scope` parameter, in order */
  scopes: string[];
  /** the Basic auth user, if any */
  account?: string;
  /** what was granted, as `type:name:actions` */
  granted: string[];
}

export interface TokenServer {
  /** the realm to put in the registry's challenge: http://127.0.0.1:PORT/token */
  realm: string;
  options: TokenServerOptions;
  /** every request, in order; `requests.length` is the number of tokens asked for */
  requests: TokenRequest[];
  stop(): Promise<void>;
}

interface Access { type: string; name: string; actions: string[] }

export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServer> {
  const cert = await signingCert();
  const key = crypto.createPrivateKey(fs.readFileSync(cert.keyFile));
  const certDer = new crypto.X509Certificate(fs.readFileSync(cert.certFile)).raw.toString('base64');
  const requests: TokenRequest[] = [];
  const options = { ...opts };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    const account = basicUser(req.headers.authorization);
    if (account === null) {
      res.writeHead(401, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }));
      return;
    }
    // A client may repeat `scope`, or put several in one separated by spaces (token.md).
    const scopes = url.searchParams.getAll('scope');
    const access = scopes.flatMap((s) => s.split(' ')).filter(Boolean).map(parseScope)
      .map((a) => ({ ...a, actions: allowed(a, account) })).filter((a) => a.actions.length > 0);
    requests.push({ service: url.searchParams.get('service'), scopes, account,
      granted: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`) });

    const expiresIn = options.expiresIn ?? 60;
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(key, certDer, {
      iss: TOKEN_ISSUER, sub: account ?? '', aud: TOKEN_SERVICE,
      exp: now + expiresIn, nbf: now, iat: now, jti: crypto.randomUUID(), access,
    });
    const body = options.accessTokenOnly
      ? { access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }
      : { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    options,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** undefined: anonymous; null: wrong credentials; else the user name. */
function basicUser(header: string | undefined): string | undefined | null {
  if (!header) return undefined;
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString();
  const colon = decoded.indexOf(':');
  return decoded.slice(0, colon) === TEST_USER && decoded.slice(colon + 1) === TEST_PASSWORD ? TEST_USER : null;
}

/** "repository:library/busybox:pull,push": the name sits between the first and the last colon. */
function parseScope(scope: string): Access {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return { type: scope, name: '', actions: [] };
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function allowed(access: Access, account: string | undefined): string[] {
  if (account === TEST_USER) return access.actions.filter((a) => ['pull', 'push', 'delete', '*'].includes(a));
  if (access.type === 'repository' && access.name.startsWith('public/')) {
    return access.actions.filter((a) => a === 'pull');
  }
  return [];
}

/** A compact JWS (RFC 7515) with RS256: RSASSA-PKCS1-v1_5 over SHA-256 (RFC 7518 section 3.3). */
function signJwt(key: crypto.KeyObject, certDer: string, claims: object): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('sha256', Buffer.from(signingInput), key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
