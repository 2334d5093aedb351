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
// fzstd decodes everything it is given in one synchronous call and cannot pause, and a few bytes of
// zstd can stand for megabytes (an RLE block is 4 bytes for up to 128 KiB: 400 MB of zeros is ~13 KB).
// So the input is cut at block boundaries and given to fzstd one block at a time; each block's output
// is yielded, with backpressure, before the next block goes in. Memory stays at one block.
// A block never decodes to more than 128 KiB (RFC 8878 3.1.1.2.3, Block_Maximum_Size); fzstd does
// not check it, and a larger "block" is how a hostile stream would balloon memory.
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
  const blocks = new ZstdBlockSplitter();
  for await (const chunk of source) {
    for (const piece of blocks.split(chunk)) {
      push(piece, false);
      const out = ready;
      ready = [];
      yield* out;
    }
  }
  push(new Uint8Array(0), true);
  yield* ready;
}

/**
 * Finds where each zstd block ends in a stream of frames, reading only the headers (RFC 8878 3.1):
 *   frame     = magic(4) descriptor(1) [window(1)] [dictionary id(0-4)] [content size(0-8)] block... [checksum(4)]
 *   block     = header(3: last bit, 2-bit type, 21-bit size) content(size; 1 byte for RLE)
 *   skippable = magic 0x184D2A5? size(4) data(size)
 */
export class ZstdBlockSplitter {
  private state: 'magic' | 'skippable' | 'descriptor' | 'block' | 'checksum' = 'magic';
  private field: number[] = []; // header bytes collected so far (a header may span chunks)
  private want = 4; // length of the header being collected
  private skip = 0; // bytes to pass over before the next header
  private cutAfterSkip = false; // the bytes being skipped end a block
  private checksum = false;

  /** Split a chunk into pieces that each end where a block ends (but the last piece). */
  *split(chunk: Buffer): Generator<Buffer> {
    let start = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        i += n;
        this.skip -= n;
      } else {
        this.field.push(chunk[i++]);
        if (this.field.length === this.want) {
          const field = Buffer.from(this.field);
          this.field = [];
          this.header(field);
        }
      }
      if (this.cutAfterSkip && this.skip === 0) {
        this.cutAfterSkip = false;
        yield chunk.subarray(start, i);
        start = i;
      }
    }
    if (start < chunk.length) yield chunk.subarray(start);
  }

  private header(field: Buffer): void {
    switch (this.state) {
      case 'magic': {
        const magic = field.readUInt32LE(0);
        if (magic === 0xfd2fb528) this.expect('descriptor', 1);
        else if ((magic & 0xfffffff0) === 0x184d2a50) this.expect('skippable', 4);
        else throw new TsdockerError(`zstd: bad frame magic 0x${magic.toString(16)}`);
        return;
      }
      case 'skippable':
        this.skip = field.readUInt32LE(0);
        return this.expect('magic', 4);
      case 'descriptor': {
        const d = field[0];
        const singleSegment = (d >> 5) & 1;
        this.checksum = ((d >> 2) & 1) === 1;
        const windowSize = singleSegment ? 0 : 1;
        const dictionaryId = [0, 1, 2, 4][d & 3];
        const contentSize = [singleSegment, 2, 4, 8][d >> 6];
        this.skip = windowSize + dictionaryId + contentSize;
        return this.expect('block', 3);
      }
      case 'block': {
        const h = field[0] | (field[1] << 8) | (field[2] << 16);
        const last = (h & 1) === 1;
        const type = (h >> 1) & 3;
        if (type === 3) throw new TsdockerError('zstd: reserved block type');
        this.skip = type === 1 ? 1 : h >>> 3; // RLE: one byte, repeated
        this.cutAfterSkip = true;
        if (!last) return this.expect('block', 3);
        return this.checksum ? this.expect('checksum', 4) : this.expect('magic', 4);
      }
      case 'checksum':
        return this.expect('magic', 4);
    }
  }

  private expect(state: ZstdBlockSplitter['state'], length: number): void {
    this.state = state;
    this.want = length;
  }
}
