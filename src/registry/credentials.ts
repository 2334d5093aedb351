// Registry credentials in Docker's own file, so a `docker login` done earlier works here and the
// other way round: $DOCKER_CONFIG/config.json, default ~/.docker/config.json (docker/cli
// cli/config/configfile/file.go).
//
//   { "auths": { "https://index.docker.io/v1/": { "auth": "<base64 of user:password>" },
//                "127.0.0.1:5000": { "auth": "..." } } }
//
// Docker Hub's key is the URL of its retired v1 index, kept for compatibility; every other
// registry is keyed by host[:port]. Older files write keys as URLs ("https://host/v2/"), so a
// lookup compares hostnames the way docker/cli's ConvertToHostname does. Credential helpers
// (credsStore, credHelpers) are not supported: the password would be in another program.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsdockerError, isNodeError } from '../errors';
import { DOCKER_HUB_DOMAIN } from '../reference';

export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface Credential {
  username: string;
  password: string;
}

export function dockerConfigPath(): string {
  const dir = process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/** The key a server is stored under: Docker Hub's v1 URL, else host[:port]. */
export function credentialKey(server: string): string {
  const host = hostOf(server);
  if (host === DOCKER_HUB_DOMAIN || host === 'index.docker.io' || host === 'registry-1.docker.io') {
    return DOCKER_HUB_AUTH_KEY;
  }
  return host;
}

/**
 * A SERVER argument of login/logout as a registry domain: Docker Hub's many names become
 * "docker.io"; "https://host:5000/v2/" becomes "host:5000".
 */
export function registryDomain(server: string | undefined): string {
  if (!server) return DOCKER_HUB_DOMAIN;
  const host = hostOf(server);
  if (!/^([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d+)?$/.test(host)) {
    throw new TsdockerError(`invalid registry "${server}": expected host[:port]`);
  }
  return credentialKey(host) === DOCKER_HUB_AUTH_KEY ? DOCKER_HUB_DOMAIN : host;
}

/** "https://host:5000/v2/" -> "host:5000" */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase();
}

export function readCredential(server: string, file = dockerConfigPath()): Credential | undefined {
  const auths = readAuths(readConfigFile(file), file);
  const want = credentialKey(server);
  const key = Object.keys(auths).find((k) => credentialKey(k) === want);
  if (key === undefined) return undefined;
  const entry = auths[key] as Record<string, unknown>;
  if (typeof entry?.auth === 'string' && entry.auth !== '') {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) throw new TsdockerError(`malformed credentials for ${key} in ${file}: auth is not base64 of user:password`);
    return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (typeof entry?.username === 'string' && typeof entry?.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Store credentials for `server`, keeping every other key of the file as it was. */
export function saveCredential(server: string, cred: Credential, file = dockerConfigPath()): void {
  const config = readConfigFile(file);
  const auths = readAuths(config, file);
  for (const k of Object.keys(auths)) if (credentialKey(k) === credentialKey(server)) delete auths[k];
  auths[credentialKey(server)] = { auth: Buffer.from(`${cred.username}:${cred.password}`).toString('base64') };
  config.auths = auths;
  writeConfigFile(file, config);
}

/** Forget `server`; false when there was nothing stored. */
export function removeCredential(server: string, file = dockerConfigPath()): boolean {
  const config = readConfigFile(file);
  const auths = readAuths(config, file);
  const keys = Object.keys(auths).filter((k) => credentialKey(k) === credentialKey(server));
  if (keys.length === 0) return false;
  for (const k of keys) delete auths[k];
  config.auths = auths;
  writeConfigFile(file, config);
  return true;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isNodeError(err, 'ENOENT')) return {};
    throw new TsdockerError(`read ${file}: ${(err as Error).message}`, { path: file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TsdockerError(`malformed ${file}: ${(err as Error).message}`, { path: file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TsdockerError(`malformed ${file}: expected a JSON object`, { path: file });
  }
  return json as Record<string, unknown>;
}

function readAuths(config: Record<string, unknown>, file: string): Record<string, unknown> {
  const auths = config.auths ?? {};
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) {
    throw new TsdockerError(`malformed ${file}: "auths" must be an object`, { path: file });
  }
  return auths as Record<string, unknown>;
}

/** Write through a temporary file and rename, so a crash never leaves half a file; mode 0600
 *  because the file holds passwords (docker/cli does the same). */
function writeConfigFile(file: string, config: Record<string, unknown>): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.config.json.${process.pid}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new TsdockerError(`write ${file}: ${(err as Error).message}`, { path: file });
  }
}
