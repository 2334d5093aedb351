// Random names and ids (container ids, temporary file names, overlay short links). They come
// straight from the kernel's generator, getrandom(2) through the addon, rather than node:crypto,
// because loading node:crypto costs 6-9 ms at start-up here, a noticeable part of `tsdocker run
// --rm busybox true`; the bytes are the same kind (crypto.randomBytes asks the kernel too). Hashing
// still uses node:crypto, loaded only where something is hashed.
import { fillRandom } from './sys/libc';

/** Bytes asked for ahead, handed out once each: one `run` asks for random bytes six times (id,
 *  name, temporary files). A Uint8Array and plain loops rather than Buffer's methods, which are
 *  JavaScript that V8 compiles on their first call in every process (docs/runtime.md). */
const POOL = 256;
let pool = new Uint8Array(0);
let used = 0;

/** `n` random bytes from the kernel (random(7): never blocks once it is seeded at boot). */
export function randomBytes(n: number): Uint8Array {
  if (n > POOL) return fillRandom(new Uint8Array(n));
  if (pool.length - used < n) {
    pool = fillRandom(new Uint8Array(POOL));
    used = 0;
  }
  used += n;
  return pool.slice(used - n, used);
}

const HEX = '0123456789abcdef';

/** `n` random bytes as 2n lowercase hex digits. */
export function randomHex(n: number): string {
  const bytes = randomBytes(n);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return out;
}

/** A uniformly random integer in [0, max) for max up to 2^32 (rejection sampling, no modulo bias). */
export function randomInt(max: number): number {
  const limit = Math.floor(0x100000000 / max) * max;
  for (;;) {
    const [a, b, c, d] = randomBytes(4);
    const v = (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
    if (v < limit) return v % max;
  }
}
