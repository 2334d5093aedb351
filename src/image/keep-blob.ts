// Keeping a layer's compressed blob, exactly as the registry sent it, while it streams to unpack.
//
// `push` and `save` must send the bytes the manifest names: a tar regenerated from the unpacked
// directory almost never hashes to the original diff_id (entry order, header fields, compression
// level all differ), and a new digest would mean a new config and so a new image id. Docker keeps
// tar-split metadata to rebuild the exact tar; keeping the compressed blob is the simple, honest
// way. It is written into the layer's work directory, so it becomes visible with the layer by the
// same rename(2), and is deleted with it (see docs/images.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';

/** The file, inside a layer directory, that holds the layer's compressed blob. */
export const BLOB_FILE = 'blob';

/** Pass `source` through unchanged, writing a copy to <layerDir>/blob. The copy is complete and
 *  verified only when the source (a verifiedStream) ends without error. */
export function keepBlob(source: AsyncIterable<Buffer>, layerDir: string): Readable {
  return Readable.from(copyTo(source, path.join(layerDir, BLOB_FILE)), { objectMode: false });
}

async function* copyTo(source: AsyncIterable<Buffer>, file: string): AsyncGenerator<Buffer> {
  // Synchronous writes, as in apply.ts: a thread-pool round trip per chunk costs more than the write.
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    for await (const chunk of source) {
      for (let off = 0; off < chunk.length;) off += fs.writeSync(fd, chunk, off);
      yield chunk;
    }
  } finally {
    fs.closeSync(fd);
  }
}
