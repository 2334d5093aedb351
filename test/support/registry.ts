// A real Distribution registry for tests: Debian's docker-registry (distribution 2.8) serving plain
// HTTP on 127.0.0.1, with filesystem storage in a fresh temporary directory, and one of three kinds
// of authentication:
//   none      anyone may pull and push
//   htpasswd  HTTP Basic auth checked against a bcrypt htpasswd file (`htpasswd -Bbn`)
//   token     Docker token auth (401 + Bearer challenge) backed by ./token-server.ts
// Configuration keys: distribution docs/configuration.md.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsdockerError } from '../../src/errors';
import { run } from './cache';
import {
  TEST_PASSWORD, TEST_USER, TOKEN_ISSUER, TOKEN_SERVICE, TokenServer, TokenServerOptions, signingCert,
  startTokenServer,
} from './token-server';

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface RegistryOptions {
  auth: RegistryAuth;
  /** for auth 'token': options of the token server */
  token?: TokenServerOptions;
}

export interface TestRegistry {
  auth: RegistryAuth;
  /** "127.0.0.1:PORT", for image references such as 127.0.0.1:PORT/busybox:latest */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** set for 'htpasswd' and 'token' */
  username?: string;
  password?: string;
  /** set for 'token' */
  tokenServer?: TokenServer;
  /** where the registry keeps blobs and repositories (docker/registry/v2/...) */
  storageDir: string;
  stop(): Promise<void>;
}

const REGISTRY_BIN = '/usr/bin/docker-registry';
const READY_TIMEOUT_MS = 10_000;

// Registries still running when the test process exits (a failed test, a missing `after` hook)
// are killed here, so the host is left as it was found.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const DIR_PREFIX = 'tsdocker-test-registry-';

export async function startRegistry(opts: RegistryOptions): Promise<TestRegistry> {
  removeAbandonedDirs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  let tokenServer: TokenServer | undefined;
  try {
    let authConfig = '';
    if (opts.auth === 'htpasswd') {
      const { stdout } = await run('htpasswd', ['-Bbn', TEST_USER, TEST_PASSWORD]);
      fs.writeFileSync(path.join(dir, 'htpasswd'), stdout.trim() + '\n');
      authConfig = `auth:\n  htpasswd:\n    realm: tsdocker-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
    } else if (opts.auth === 'token') {
      tokenServer = await startTokenServer(opts.token);
      const cert = await signingCert();
      authConfig = `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: ${TOKEN_SERVICE}\n` +
        `    issuer: ${TOKEN_ISSUER}\n    rootcertbundle: ${cert.certFile}\n`;
    }
    const storageDir = path.join(dir, 'storage');
    // A free port is found by binding port 0 and closing it; another process could take it in
    // between, so a registry that fails to listen is retried on a new port.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = [
        'version: 0.1',
        'log:\n  level: warn\n  accesslog:\n    disabled: true',
        `storage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true\n` +
          '  maintenance:\n    uploadpurging:\n      enabled: false',
        `http:\n  addr: 127.0.0.1:${port}`,
        // Without an allow list distribution refuses every manifest that has foreign-layer URLs.
        "validation:\n  manifests:\n    urls:\n      allow:\n        - '^https?://'",
        authConfig,
      ].join('\n');
      fs.writeFileSync(path.join(dir, 'config.yml'), config);
      // setpriv(1) sets PR_SET_PDEATHSIG (prctl(2)) before exec'ing the registry, so the kernel
      // kills it if the test process dies without running its exit hooks (SIGKILL, crash).
      const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', REGISTRY_BIN, 'serve', path.join(dir, 'config.yml')],
        { stdio: ['ignore', 'ignore', 'pipe'] });
      running.add(child);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitReady(child, url, () => stderr);
      } catch (err) {
        await kill(child);
        if (attempt < 3 && /address already in use/.test(stderr)) continue;
        throw err;
      }
      const server = tokenServer;
      const registry: TestRegistry = {
        auth: opts.auth, host: `127.0.0.1:${port}`, url, storageDir,
        ...(opts.auth === 'none' ? {} : { username: TEST_USER, password: TEST_PASSWORD }),
        ...(server ? { tokenServer: server } : {}),
        stop: async () => {
          await kill(child);
          await server?.stop();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
      return registry;
    }
  } catch (err) {
    await tokenServer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Temporary dirs of registries whose test process was killed before it could clean up. */
function removeAbandonedDirs(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      process.kill(Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8')), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Poll GET /v2/ until the registry answers at all (200, or 401 when auth is on). */
async function waitReady(child: ChildProcess, url: string, stderr: () => string): Promise<void> {
  let exited = false;
  child.once('exit', () => { exited = true; });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new TsdockerError(`docker-registry exited during start: ${stderr().trim()}`);
    try {
      await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new TsdockerError(`docker-registry did not answer on ${url}: ${stderr().trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function kill(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
