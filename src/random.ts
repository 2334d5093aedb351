// Random names and ids (container ids, temporary file names, overlay short links). They come
// straight from the kernel's random(4) device rather than node:crypto, because loading node:crypto
// costs 6-9 ms at start-up here, a noticeable part of `tsdocker run --rm busybox true`; the bytes are
// the same kind (crypto.randomBytes reads the kernel's generator too). Hashing still uses
// node:crypto, loaded only where something is hashed.
import * as fs from 'node:fs';

/** Bytes read from /dev/urandom ahead, handed out once each: one `run` asks for random bytes six
 *  times (id, name, temporary files), and each open/read/close of the device took ~0.1 ms. */
const POOL = 256;
let pool: Buffer = Buffer.alloc(0);

/** `n` random bytes from /dev/urandom (random(4): never blocks once the kernel is seeded at boot). */
export function randomBytes(n: number): Buffer {
  if (n > POOL) return readRandom(n);
  if (pool.length < n) pool = readRandom(POOL);
  const out = Buffer.from(pool.subarray(0, n));
  pool = pool.subarray(n);
  return out;
}

function readRandom(n: number): Buffer {
  const buf = Buffer.alloc(n);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < n;) got += fs.readSync(fd, buf, got, n - got, null);
  } finally {
    fs.closeSync(fd);
  }
  return buf;
}

/** `n` random bytes as 2n lowercase hex digits. */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}

/** A uniformly random integer in [0, max) for max up to 2^32 (rejection sampling, no modulo bias). */
export function randomInt(max: number): number {
  const limit = Math.floor(0x100000000 / max) * max;
  for (;;) {
    const v = randomBytes(4).readUInt32LE(0);
    if (v < limit) return v % max;
  }
}
