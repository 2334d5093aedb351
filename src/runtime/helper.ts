// Starting the native helper (native/tsdocker-runtime, built by `npm install`) with its two protocol
// descriptors, fd 3 (to the helper) and fd 4 (from it).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { installDir } from '../install';
import { tracing } from '../trace';

/** native/tsdocker-runtime in the checkout or installed package. */
export function helperPath(): string {
  return path.join(installDir(), 'native', 'tsdocker-runtime');
}

export interface HelperStdio {
  /** -i: the helper reads our stdin and relays it */
  stdin: boolean;
  /** a detached container's monitor reads and writes the container's stdio through pipes */
  pipe?: boolean;
  /** exec -d: the helper outlives tsdocker, so it gets none of our stdio */
  detach?: boolean;
}

export function spawnHelper(io: HelperStdio): ChildProcess {
  const file = helperPath();
  if (!fs.existsSync(file)) {
    throw new TsdockerError(`runtime helper ${file} is missing: run \`npm install\` (or \`make -C native\`)`, { path: file });
  }
  return spawn(file, [], {
    // The helper relays our own stdio (foreground run), or pipes to the monitor (detached).
    stdio: io.detach ? ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] :
      io.pipe ? [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'] :
      [io.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit', 'pipe', 'pipe'],
    // Its own session: a ^C typed at the terminal reaches Node alone, which forwards it once
    // (index.ts); otherwise the container would get SIGINT twice, from the terminal and from us.
    detached: true,
    // The helper passes none of its environment to the container; it only needs to know --trace.
    env: { TSDOCKER_TRACE: tracing() ? '1' : '0' },
  });
}
