// Reading an image archive (`docker save`, `podman save`, skopeo's docker-archive: and oci-archive:)
// into a scratch directory, so `load` can open its files in any order.
//
// The archive is attacker input like a layer tar, but simpler: only regular files are written,
// each name is cleaned (no "..", no absolute path; safepath.ts), and links are never created on
// disk. A symlink or hardlink entry (old `docker save` links a layer seen twice:
// "<id>/layer.tar -> ../<other id>/layer.tar") is kept as a name -> target alias, resolved inside
// the archive when the file is opened. Nothing on disk can point outside the scratch directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { TsdockerError, wrap } from '../errors';
import { trace } from '../trace';
import { decompressor, type Compression } from './decompress';
import { cleanName } from './safepath';

const MAX_ALIAS_HOPS = 16;

export class ArchiveDir {
  private readonly aliases = new Map<string, string>();

  constructor(readonly dir: string) {}

  /** Extract a tar stream (plain, gzip or zstd, as `docker load` accepts) into this.dir. */
  async extract(input: NodeJS.ReadableStream): Promise<void> {
    const { compression, stream } = await sniffed(input);
    const stages = [stream, ...(compression === 'none' ? [] : [decompressor(compression)!])];
    const extract = tar.extract();
    let feedError: unknown;
    const feeding = pipeline([...stages, extract] as unknown as NodeJS.ReadWriteStream[]).catch((err: unknown) => { feedError = err; });
    try {
      for await (const entry of extract) await this.entry(entry as unknown as Entry);
      await feeding;
      if (feedError !== undefined) throw feedError;
    } catch (err) {
      extract.destroy();
      await feeding;
      const cause = feedError ?? err;
      throw cause instanceof TsdockerError ? cause : wrap(cause, 'tar');
    }
  }

  private async entry(entry: Entry): Promise<void> {
    const { header } = entry;
    const rel = cleanName(header.name);
    if (header.type === 'file' || header.type === 'contiguous-file') {
      if (rel === '') throw new TsdockerError('archive entry with an empty name');
      const host = path.join(this.dir, rel);
      fs.mkdirSync(path.dirname(host), { recursive: true });
      this.aliases.delete(rel);
      // 'wx': an entry never replaces another (no O_TRUNC through anything already there).
      await pipeline(entry, fs.createWriteStream(host, { flags: 'wx', mode: 0o600 }));
      return;
    }
    if ((header.type === 'symlink' || header.type === 'link') && rel !== '') {
      const link = header.linkname ?? '';
      // A symlink's target is relative to its directory; a hardlink's to the archive root.
      const target = header.type === 'symlink' && !link.startsWith('/') ? path.posix.join(path.posix.dirname(rel), link) : link;
      this.aliases.set(rel, path.posix.normalize(target));
    } else if (header.type !== 'directory') {
      trace('load', `skip archive entry ${JSON.stringify(header.name)} of type ${header.type}`);
    }
    for await (const _chunk of entry) { /* consume */ }
  }

  /** The host path of an archive member, following aliases inside the archive; undefined if absent. */
  resolve(name: string): string | undefined {
    let rel = cleanName(name);
    for (let hops = 0; this.aliases.has(rel); hops++) {
      if (hops === MAX_ALIAS_HOPS) throw new TsdockerError(`archive member ${name}: too many links`);
      rel = cleanName(this.aliases.get(rel)!.replace(/^\/+/, ''));
    }
    const host = path.join(this.dir, rel);
    try {
      return fs.statSync(host).isFile() ? host : undefined;
    } catch {
      return undefined;
    }
  }

  /** An archive member's contents, for small JSON files; the error names the member. */
  read(name: string, limit = 4 * 1024 * 1024): Buffer {
    const host = this.resolve(name);
    if (!host) throw new TsdockerError(`archive has no ${name}`);
    if (fs.statSync(host).size > limit) throw new TsdockerError(`archive member ${name} is larger than ${limit} bytes`);
    return fs.readFileSync(host);
  }

  has(name: string): boolean {
    return this.resolve(name) !== undefined;
  }
}

type Entry = AsyncIterable<Buffer> & NodeJS.ReadableStream & { header: Omit<tar.Header, 'type'> & { type: string | null } };

/** Look at the first bytes to tell a plain tar from a compressed one, then put them back. */
async function sniffed(input: NodeJS.ReadableStream): Promise<{ compression: Compression; stream: Readable }> {
  const iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 4) {
    const next = await iterator.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  const compression: Compression = head[0] === 0x1f && head[1] === 0x8b ? 'gzip'
    : head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528 ? 'zstd' : 'none';
  if (head.length === 0) throw new TsdockerError('the archive is empty');
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  }
  return { compression, stream: Readable.from(rest(), { objectMode: false }) };
}
