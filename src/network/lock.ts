// A lock between tsdocker processes (there is no daemon to serialise them): a file created with
// O_EXCL (open(2): creation fails with EEXIST if it exists), holding the owner's pid. A lock whose
// owner has died (kill -9) is taken over. Used for choosing subnets, host ports and for updating
// the /etc/hosts files of the containers on one network; address leases need no lock (leases.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { processAlive, removeFile } from '../fsutil';

const WAIT_MS = 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function withLock<T>(file: string, fn: () => T): T {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readOwner(file));
    if (owner && !processAlive(owner)) {
      removeFile(file);
      continue;
    }
    if (Date.now() > deadline) throw new TsdockerError(`lock ${file} is held by pid ${owner}`);
    sleepSync(5);
  }
  try {
    return fn();
  } finally {
    removeFile(file);
  }
}

function readOwner(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
