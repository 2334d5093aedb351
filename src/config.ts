// The engine configuration file, using Docker's daemon.json key names so a teacher can copy
// settings between the two: $TSDOCKER_CONFIG, else /etc/tsdocker/config.json. A missing file
// means defaults; a file that is not valid JSON, or has a key of the wrong type, is an error.
import * as fs from 'node:fs';
import { TsdockerError, isNodeError } from './errors';

export const DEFAULT_CONFIG_PATH = '/etc/tsdocker/config.json';

export interface EngineConfig {
  /** Mirrors tried first, in order, for Docker Hub images ("http://127.0.0.1:5000"). */
  registryMirrors: string[];
  /** Registries (host[:port]) that may be reached over plain HTTP. */
  insecureRegistries: string[];
}

let cached: EngineConfig | undefined;

export function configPath(): string {
  return process.env.TSDOCKER_CONFIG || DEFAULT_CONFIG_PATH;
}

export function loadConfig(): EngineConfig {
  if (cached) return cached;
  const file = configPath();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isNodeError(err, 'ENOENT')) return (cached = { registryMirrors: [], insecureRegistries: [] });
    throw new TsdockerError(`read config ${file}: ${(err as Error).message}`, { path: file });
  }
  cached = parseConfig(text, file);
  return cached;
}

export function parseConfig(text: string, file = 'config'): EngineConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TsdockerError(`malformed config ${file}: ${(err as Error).message}`, { path: file });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TsdockerError(`malformed config ${file}: expected a JSON object`, { path: file });
  }
  const obj = raw as Record<string, unknown>;
  return {
    registryMirrors: stringList(obj, 'registry-mirrors', file).map((m) => m.replace(/\/+$/, '')),
    insecureRegistries: stringList(obj, 'insecure-registries', file),
  };
}

function stringList(obj: Record<string, unknown>, key: string, file: string): string[] {
  const value = obj[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TsdockerError(`malformed config ${file}: "${key}" must be a list of strings`, { path: file });
  }
  return value as string[];
}
