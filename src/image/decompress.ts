// Layer compression: the media type says how a layer blob is compressed (image-spec media-types.md),
// and the first bytes of the blob must agree. The magic numbers only cross-check the media type,
// they never choose the decompressor: a blob that is not what its descriptor says is rejected.
import * as zlib from 'node:zlib';
import type { Duplex } from 'node:stream';
import { Decompress } from 'fzstd';
import { TsdockerError } from '../errors';

export type Compression = 'none' | 'gzip' | 'zstd';

const LAYER_TYPES: Record<string, Compression> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  // "Non-distributable" (foreign) layers are deprecated but MUST still be supported (layer.md).
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  // Docker's image manifest v2 schema 2 (distribution manifest-v2-2.md).
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

/** The compression a layer media type declares; an unknown type is an error. */
export function compressionOf(mediaType: string): Compression {
  const kind = LAYER_TYPES[mediaType];
  if (kind === undefined) throw new TsdockerError(`unsupported layer media type ${mediaType}`);
  return kind;
}

/** gzip: RFC 1952 ID1 ID2; zstd: RFC 8878 frame magic 0xFD2FB528, little-endian. */
function sniff(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

type Stage = (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>;

/** A pipeline stage that passes bytes through unchanged after checking their magic number. */
export function checkMagic(expected: Compression, mediaType: string): Stage {
  const verify = (head: Buffer) => {
    const found = sniff(head);
    if (found !== expected) {
      throw new TsdockerError(`layer data is ${found === 'none' ? 'not compressed' : found} but its media type is ${mediaType}`);
    }
  };
  return async function* magic(source) {
    let head: Buffer | undefined = Buffer.alloc(0);
    for await (const chunk of source) {
      if (head === undefined) {
        yield chunk;
        continue;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) continue;
      verify(head);
      yield head;
      head = undefined;
    }
    if (head !== undefined) {
      verify(head);
      if (head.length > 0) yield head;
    }
  };
}

/** The decompressing pipeline stage for `kind`, or undefined for an uncompressed tar. */
export function decompressor(kind: Compression): Duplex | Stage | undefined {
  if (kind === 'gzip') return zlib.createGunzip();
  if (kind === 'zstd') return zstdStage;
  return undefined;
}

// zstd (RFC 8878). Node 20 has no zstd in zlib, so fzstd, a pure-JS streaming decoder, does it.
// fzstd calls back synchronously with each decoded block and cannot pause, so input is fed in small
// slices and each slice's output is yielded (with backpressure) before the next slice goes in.
const SLICE = 16 * 1024;
// A block never decodes to more than 128 KiB (RFC 8878 3.1.1.2.3, Block_Maximum_Size); fzstd does
// not check this, and a larger "block" is how a hostile stream would balloon memory.
const MAX_BLOCK = 128 * 1024;

async function* zstdStage(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let ready: Buffer[] = [];
  const decoder = new Decompress((block) => {
    if (block.length > MAX_BLOCK) throw new TsdockerError(`zstd block of ${block.length} bytes exceeds 128 KiB`);
    if (block.length > 0) ready.push(Buffer.from(block.buffer, block.byteOffset, block.length));
  });
  const push = (data: Uint8Array, final: boolean) => {
    try {
      decoder.push(data, final);
    } catch (err) {
      if (err instanceof TsdockerError) throw err;
      throw new TsdockerError(`zstd: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; at += SLICE) {
      push(chunk.subarray(at, at + SLICE), false);
      const out = ready;
      ready = [];
      yield* out;
    }
  }
  push(new Uint8Array(0), true);
  yield* ready;
}
