// Content digests (image-spec descriptor.md): "<algorithm>:<lowercase hex>". A layer's diff_id is
// the digest of its *uncompressed* tar (image-spec config.md, rootfs.diff_ids), so it is computed
// while the tar streams from the decompressor to the extractor, never from a copy on disk.
import * as crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TsdockerError } from '../errors';

const ALGORITHMS: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/, // MUST be supported
  sha512: /^[a-f0-9]{128}$/, // MAY be
};

/** The algorithm of a digest string, checking its form. */
export function digestAlgorithm(digest: string): string {
  const [algorithm, hex] = digest.split(':', 2);
  if (!ALGORITHMS[algorithm]?.test(hex ?? '')) throw new TsdockerError(`malformed digest ${JSON.stringify(digest)}`);
  return algorithm;
}

/** A pass-through stream stage that hashes every byte going through it. */
export class DigestStream extends Transform {
  private readonly hash: crypto.Hash;
  bytes = 0;

  constructor(readonly algorithm = 'sha256') {
    super();
    this.hash = crypto.createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** "sha256:<hex>" of everything that went through; call once, after the stream ended. */
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}
