// A blob download as a stream that checks itself (checklist A6).
//
// The bytes are passed on exactly as stored (a compressed layer stays compressed), counted and
// hashed on the way; the stream fails at its end unless exactly `size` bytes arrived and they hash
// to `digest` (ggcr verify.ReadCloser). fetch has already undone any Content-Encoding, so the hash
// is over the decoded bytes, as containerd does.
//
// A connection cut in the middle of a large layer is common on slow links. Instead of starting
// over, ask for the rest with `Range: bytes=<received>-` (c/image docker/body_reader.go). A 206
// must start exactly where we asked. A server that ignores Range answers 200 with the whole blob:
// we read it from the start again and drop the bytes the consumer already has. The running hash
// keeps covering exactly the bytes the consumer received, so if the new copy differs from the
// old one the digest check at the end still fails.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { TsdockerError, wrap } from '../errors';
import { trace } from '../trace';
import type { Descriptor } from './manifest';

export const MAX_RESUMES = 5;

/** Open the blob from `offset` (0: the whole blob); resolves to a 200 or 206 response. */
export type OpenAt = (offset: number) => Promise<Response>;

export interface BlobStreamOptions {
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

export function verifiedStream(desc: Descriptor, open: OpenAt, first: Response, opts: BlobStreamOptions = {}): Readable {
  return Readable.from(verifiedChunks(desc, open, first, opts), { objectMode: false, signal: opts.signal });
}

async function* verifiedChunks(desc: Descriptor, open: OpenAt, first: Response, opts: BlobStreamOptions):
  AsyncGenerator<Buffer> {
  const algorithm = desc.digest.split(':')[0];
  const hash = createHash(algorithm);
  let response = first;
  let received = 0;
  let skip = 0; // bytes of a restarted (200) body the consumer already has
  for (let resumes = 0; ; ) {
    try {
      if (!response.body) throw new TsdockerError(`blob ${desc.digest}: response has no body`);
      for await (const chunk of response.body) {
        let buf = Buffer.from(chunk);
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          skip -= n;
          buf = buf.subarray(n);
          if (buf.length === 0) continue;
        }
        received += buf.length;
        if (received > desc.size) {
          throw new TsdockerError(`blob ${desc.digest}: more than the ${desc.size} bytes its descriptor says`);
        }
        hash.update(buf);
        opts.onBytes?.(buf.length);
        yield buf;
      }
      break;
    } catch (err) {
      if (err instanceof TsdockerError || opts.signal?.aborted) throw err;
      // Everything arrived and only the connection's end was lost: nothing to resume.
      if (received === desc.size) break;
      if (++resumes > MAX_RESUMES) throw wrap(err, `download ${desc.digest}: gave up after ${MAX_RESUMES} resumes`);
      trace('registry', `download ${desc.digest} cut at ${received} of ${desc.size} bytes ` +
        `(${(err as Error).message}), resuming with Range`);
      response = await open(received);
      skip = response.status === 206 ? 0 : received;
      if (skip) trace('registry', `Range ignored (200): reading ${desc.digest} from the start, skipping ${skip} bytes`);
    }
  }
  if (received !== desc.size) {
    throw new TsdockerError(`blob ${desc.digest}: got ${received} bytes, descriptor says ${desc.size}`);
  }
  const got = `${algorithm}:${hash.digest('hex')}`;
  if (got !== desc.digest) {
    throw new TsdockerError(`digest mismatch for blob: expected ${desc.digest}, got ${got}`);
  }
}

/** sha256:<hex> of a buffer (or the algorithm of `like`). */
export function digestOf(data: Buffer, like = 'sha256:'): string {
  const algorithm = like.split(':')[0];
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
