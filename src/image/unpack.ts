// Unpacking one image layer into the directory that will be one of overlayfs's lower dirs.
//
// It is one stream, so a 1 GB layer is never held in memory (backpressure flows back to the download):
//
//   compressed blob ─▶ check magic ─▶ gunzip / zstd ─▶ sha256 (the diff_id) ─▶ tar-stream ─▶ apply
//                                      (by media type)    (image-spec config.md)           (apply.ts)
//
// The diff_id is only known after the last byte, so a layer whose tar does not match the image
// config's rootfs.diff_ids[i] has already been written: the promise rejects and the caller deletes
// dest, which must never be used as a lower dir.
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { TsdockerError, isNodeError, wrap } from '../errors';
import { trace } from '../trace';
import { LayerWriter } from './apply';
import { checkMagic, compressionOf, decompressor } from './decompress';
import { DigestStream, digestAlgorithm } from './digest';

export interface UnpackOptions {
  /** layer media type: decides the decompressor (tar, tar+gzip, tar+zstd, Docker's, foreign) */
  mediaType: string;
  /** an EMPTY directory, becomes this layer's overlayfs lower dir */
  dest: string;
  /** the lower layers' unpacked dirs, top-most first, for hardlinks to their files (copied up) */
  parents: string[];
  /** "sha256:..." from the image config's rootfs.diff_ids[i] */
  expectedDiffId?: string;
  /** When the parents are being unpacked at the same time (a parallel pull): resolves once they
   *  are complete. Awaited only by the rare entry that needs to look into them. */
  parentsReady?: Promise<unknown>;
}

/** Decompress, hash the uncompressed tar (diff_id), and apply entries into dest. Resolves with the
 *  diff_id and the unpacked size in bytes; rejects (TsdockerError naming the entry) on a hostile or
 *  malformed entry or a diff_id mismatch. The caller deletes dest on failure. */
export async function unpackLayer(compressed: NodeJS.ReadableStream, opts: UnpackOptions): Promise<{ diffId: string; size: number }> {
  const compression = compressionOf(opts.mediaType);
  const tarDigest = new DigestStream(opts.expectedDiffId ? digestAlgorithm(opts.expectedDiffId) : 'sha256');
  const extract = tar.extract();
  const decompress = decompressor(compression);
  const stages = [compressed, checkMagic(compression, opts.mediaType), ...(decompress ? [decompress] : []), tarDigest, extract];
  trace('unpack', `${opts.mediaType} into ${opts.dest}`);

  const writer = new LayerWriter(opts.dest, opts.parents, opts.parentsReady);
  // pipeline() feeds extract; the loop below takes entries out of it one at a time. A failure on
  // either side destroys every stream (the download too). `feeding` never rejects: it records.
  let feedError: unknown;
  const feeding = pipeline(stages as unknown as NodeJS.ReadWriteStream[]).catch((err: unknown) => { feedError = err; });
  try {
    for await (const entry of extract) await writer.apply(entry);
    await feeding;
    if (feedError !== undefined) throw feedError;
  } catch (err) {
    extract.destroy();
    await feeding;
    // When the stream broke first (bad gzip, truncated tar), the loop only saw the breakage: report
    // the stream's error. When an entry failed first, the stream's error is just our destroy().
    const cause = feedError !== undefined && !isNodeError(feedError, 'ERR_STREAM_PREMATURE_CLOSE') ? feedError : err;
    throw cause instanceof TsdockerError ? cause : wrap(cause, 'read layer');
  }
  writer.finish();

  const diffId = tarDigest.digest();
  if (opts.expectedDiffId !== undefined && diffId !== opts.expectedDiffId) {
    throw new TsdockerError(`layer diff_id mismatch: the tar is ${diffId} but the image config says ${opts.expectedDiffId}`);
  }
  trace('unpack', `${diffId}: ${tarDigest.bytes} bytes of tar, ${writer.size} bytes of files`);
  return { diffId, size: writer.size };
}
