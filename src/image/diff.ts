// A container's changes as an image layer: the overlayfs upper dir becomes a tar, the reverse of
// unpack.ts. The upper dir holds exactly what the container wrote (overlayfs.rst, "Upper and Lower"),
// in overlayfs's own form for deletions, which the tar spells the image-spec way
// (image-spec layer.md, "Whiteouts"):
//
//   upper dir                                   layer tar
//   char device 0/0 named <name>          ─▶    <dir>/.wh.<name>     (deleted)
//   dir with trusted.overlay.opaque="y"   ─▶    <dir>/ + <dir>/.wh..wh..opq   (replaced whole)
//
// One pass writes the file and computes both digests the image needs:
//
//   tar ─▶ sha256 (diff_id, for the config) ─▶ gzip ─▶ sha256 (digest, for the manifest) ─▶ file
//
// Entries are written in sorted order, so the same upper dir gives the same tar.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { wrap } from '../errors';
import { llistxattr, lgetxattr } from '../sys/libc';
import { trace } from '../trace';
import { DigestStream } from './digest';
import { isOpaque, isOverlayXattr, isWhiteout } from './whiteout';

type Header = Parameters<tar.Pack['entry']>[0];

export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface LayerTar {
  /** the gzipped tar on disk */
  file: string;
  /** sha256 of the uncompressed tar: rootfs.diff_ids in the config */
  diffId: string;
  /** sha256 of the gzipped file: the layer's descriptor in the manifest */
  digest: string;
  /** bytes of the gzipped file */
  size: number;
  /** entries written (0: the upper dir had no changes) */
  entries: number;
}

export interface DiffOptions {
  /** clean relative paths to leave out (the runtime's empty mount points, see commit.ts) */
  exclude?: Set<string>;
}

/** Write the changes in `upper` as a gzipped layer tar at `file`. */
export async function diffLayer(upper: string, file: string, opts: DiffOptions = {}): Promise<LayerTar> {
  const pack = tar.pack();
  const diffId = new DigestStream();
  const digest = new DigestStream();
  const writing = pipeline(pack, diffId, zlib.createGzip(), digest, fs.createWriteStream(file, { mode: 0o600 }));
  const walker = new Walker(upper, pack, opts.exclude ?? new Set());
  try {
    await walker.dir('');
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy();
    await writing.catch(() => undefined);
    fs.rmSync(file, { force: true });
    throw wrap(err, `diff ${upper}`);
  }
  const out = { file, diffId: diffId.digest(), digest: digest.digest(), size: digest.bytes, entries: walker.entries };
  trace('diff', `${upper}: ${out.entries} entries, diff_id ${out.diffId}, ${out.size} bytes gzipped as ${out.digest}`);
  return out;
}

class Walker {
  entries = 0;
  /** "dev:ino" of files with several links -> the name written first, for hardlink entries */
  private readonly links = new Map<string, string>();

  constructor(private readonly root: string, private readonly pack: tar.Pack, private readonly exclude: Set<string>) {}

  async dir(rel: string): Promise<void> {
    const host = path.join(this.root, rel);
    if (rel !== '') {
      await this.add(headerOf(rel + '/', fs.lstatSync(host), 'directory', host));
    }
    if (isOpaque(host)) await this.add(marker(path.posix.join(rel, '.wh..wh..opq')));
    for (const name of fs.readdirSync(host).sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (this.exclude.has(childRel)) continue;
      await this.entry(childRel);
    }
  }

  private async entry(rel: string): Promise<void> {
    const host = path.join(this.root, rel);
    const st = fs.lstatSync(host);
    if (isWhiteout(st)) {
      await this.add(marker(path.posix.join(path.posix.dirname(rel), '.wh.' + path.posix.basename(rel))));
    } else if (st.isDirectory()) {
      await this.dir(rel);
    } else if (st.isSymbolicLink()) {
      await this.add({ ...headerOf(rel, st, 'symlink', host), linkname: fs.readlinkSync(host) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? this.links.get(key) : undefined;
      if (first !== undefined) {
        await this.add({ ...headerOf(rel, st, 'link', host), linkname: first, size: 0 });
        return;
      }
      if (st.nlink > 1) this.links.set(key, rel);
      await this.file(headerOf(rel, st, 'file', host), host);
    } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      const type = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'character-device' : 'block-device';
      await this.add({ ...headerOf(rel, st, type, host), devmajor: major(st.rdev), devminor: minor(st.rdev) });
    } else {
      trace('diff', `skip ${rel}: a socket is not kept in a layer`);
    }
  }

  private add(header: Header): Promise<void> {
    this.entries++;
    return new Promise((resolve, reject) => {
      // An empty body, not none: for a file entry without one, tar-stream waits for a stream.
      this.pack.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }

  private async file(header: Header, host: string): Promise<void> {
    this.entries++;
    const sink = this.pack.entry(header);
    await pipeline(fs.createReadStream(host), sink);
  }
}

/** An empty marker file (whiteout or opaque), as Docker writes them: root-owned, mode 0. */
function marker(name: string): Header {
  return { name, type: 'file', size: 0, mode: 0, uid: 0, gid: 0, mtime: new Date(0) };
}

function headerOf(name: string, st: fs.Stats, type: NonNullable<Header['type']>, host: string): Header {
  const pax = xattrRecords(host);
  return {
    name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime,
    size: type === 'file' ? st.size : 0,
    ...(pax ? { pax } : {}),
  };
}

/**
 * Extended attributes as PAX `SCHILY.xattr.` records (what unpack.ts reads back). overlayfs's own
 * trusted.overlay.* bookkeeping (opaque, origin, impure) is never put in a layer.
 */
function xattrRecords(host: string): Record<string, string> | undefined {
  let names: string[];
  try {
    names = llistxattr(host).filter((n) => !isOverlayXattr(n));
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const pax: Record<string, string> = {};
  for (const n of names) {
    const v = lgetxattr(host, n);
    if (v !== undefined) pax[`SCHILY.xattr.${n}`] = v.toString('utf8');
  }
  return pax;
}

/** dev_t parts, glibc's gnu_dev_major/minor (sys/sysmacros.h). */
function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
}
