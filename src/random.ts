// Random names and ids (container ids, temporary file names, overlay short links). They come
// straight from the kernel's generator, getrandom(2) through the addon, rather than node:crypto,
// because loading node:crypto costs 6-9 ms at start-up here, a noticeable part of `tsdocker run
// --rm busybox true`; the bytes are the same kind (crypto.randomBytes asks the kernel too). Hashing
// still uses node:crypto, loaded only where something is hashed.
import { fillRandom } from './sys/libc';

/** Bytes asked for ahead, handed out once each: one `run` asks for random bytes six times (id,
 *  name, temporary files). */
const POOL = 256;
let pool: Buffer = Buffer.alloc(0);

/** `n` random bytes from the kernel (random(7): never blocks once it is seeded at boot). */
export function randomBytes(n: number): Buffer {
  if (n > POOL) return fillRandom(Buffer.allocUnsafe(n));
  if (pool.length < n) pool = fillRandom(Buffer.allocUnsafe(POOL));
  const out = Buffer.from(pool.subarray(0, n));
  pool = pool.subarray(n);
  return out;
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
