// Where tsdocker keeps its state. Everything persistent lives under one directory so that two
// roots never see each other's images or containers (tests run side by side with their own).
// Order: --root DIR, then $TSDOCKER_ROOT, then /var/lib/tsdocker (like /var/lib/docker).
import * as path from 'node:path';

export const DEFAULT_ROOT = '/var/lib/tsdocker';

let chosen: string | undefined;

export function setRoot(dir: string | undefined): void {
  chosen = dir === undefined ? undefined : path.resolve(dir);
}

export function stateRoot(): string {
  if (chosen) return chosen;
  const env = process.env.TSDOCKER_ROOT;
  return env ? path.resolve(env) : DEFAULT_ROOT;
}
