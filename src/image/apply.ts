// Applying tar entries, one by one, to a layer directory that will become an overlayfs lower dir.
//
// Every entry goes through the same three steps:
//   1. its name is cleaned and its parent directories are resolved inside the layer (safepath.ts);
//   2. whatever is already at that name is removed, unless a directory meets a directory (they
//      merge): an entry never writes *through* an earlier symlink, so "etc -> /etc" followed by
//      "etc/passwd", or "x -> /etc/passwd" followed by a file "x", stay inside the layer;
//   3. the new file is created and given the entry's owner, then its mode (chown(2) clears setuid),
//      then its xattrs (chown also clears security.capability), then its times.
// Directory times are set last, after all their children exist (creating a child changes them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Header as TarHeader } from 'tar-stream';
import { TsdockerError, wrap } from '../errors';
import { trace } from '../trace';
import { S_IFBLK, S_IFCHR, S_IFIFO, mknod } from '../sys/libc';
import { cleanName, entryPath, lstatOrUndefined, resolveDir } from './safepath';
import { copyUp, findInLayers, setXattrTolerant } from './lowers';
import { isOverlayXattr, isWhiteout, makeOpaque, makeWhiteout, parseWhiteout, type Whiteout } from './whiteout';

/** What tar-stream gives for an entry: `type` is null for a type it does not know, `pax` holds the
 *  records of the entry's PAX extended header. */
type Header = Omit<TarHeader, 'type' | 'pax'> & { type: TarHeader['type'] | null; pax?: Record<string, string> | null };
/** A tar-stream entry: its header, and a stream of its data. */
export type Entry = AsyncIterable<unknown> & { header: TarHeader };

interface Metadata {
  mode: number; // permission bits with setuid, setgid, sticky
  uid: number;
  gid: number;
  atime: number; // seconds since the epoch, fractions allowed
  mtime: number;
  xattrs: Map<string, Buffer>;
}

const UINT32_MAX = 0xffffffff;

export class LayerWriter {
  /** bytes of file content written into the layer */
  size = 0;
  private readonly dirTimes = new Map<string, [number, number]>();

  /**
   * @param root the new layer's directory (empty at first)
   * @param lowers the unpacked layers below it, top-most first
   */
  constructor(private readonly root: string, private readonly lowers: string[],
    private lowersReady?: Promise<unknown>) {}

  /** Apply one entry; the error names the entry. The entry's data is always consumed. */
  async apply(entry: Entry): Promise<void> {
    const header = entry.header as unknown as Header;
    try {
      if (this.lowersReady && this.needsLowers(header)) {
        await this.lowersReady;
        this.lowersReady = undefined;
      }
      await this.applyEntry(header, entry);
    } catch (err) {
      throw wrap(err, `entry ${JSON.stringify(header.name)}`);
    }
    await drain(entry);
  }

  /**
   * Whether this entry may look into the lower layers: a hardlink to a file this layer lacks (copied
   * up), or an entry whose parent directory the tar has not listed (made like the lower's copy).
   */
  private needsLowers(header: Header): boolean {
    let rel: string;
    try {
      rel = cleanName(header.name);
    } catch {
      return false; // the entry is refused anyway
    }
    const parent = path.posix.dirname(rel);
    if (parent !== '.' && !lstatOrUndefined(path.join(this.root, parent))) return true;
    if (header.type !== 'link') return false;
    try {
      return this.linkTarget(cleanName(header.linkname ?? '')) === undefined;
    } catch {
      return false;
    }
  }

  /** Set the directory times collected while applying; call once, after the last entry. */
  finish(): void {
    for (const [host, [atime, mtime]] of this.dirTimes) {
      if (lstatOrUndefined(host)?.isDirectory()) fs.lutimesSync(host, atime, mtime);
    }
  }

  private async applyEntry(header: Header, data: Entry): Promise<void> {
    const rel = cleanName(header.name);
    const whiteout = parseWhiteout(rel);
    if (whiteout) return this.whiteout(whiteout, header.name);
    const meta = metadataOf(header);
    switch (header.type) {
      case 'directory':
        return this.directory(rel, meta);
      case 'file':
      case 'contiguous-file': // a plain file everywhere but on a few 1980s systems (pax(1))
        return this.file(rel, meta, data);
      case 'symlink':
        return this.symlink(rel, header.linkname ?? '', meta);
      case 'link':
        return this.hardlink(rel, header.linkname ?? '');
      case 'character-device':
      case 'block-device':
      case 'fifo':
        return this.node(rel, header, meta);
      default:
        trace('unpack', `skip ${JSON.stringify(header.name)}: unsupported entry type ${header.type ?? 'unknown'}`);
    }
  }

  /**
   * The host path for a new entry at `rel`, with its parent directories resolved (and created) inside
   * the layer, and anything already there removed, unless a directory meets a directory.
   */
  private place(rel: string, isDir: boolean): string {
    if (rel === '') {
      if (!isDir) throw new TsdockerError('the layer root can only be a directory');
      return this.root;
    }
    const host = entryPath(this.root, rel, this.makeImpliedDir);
    const old = lstatOrUndefined(host);
    if (old && !(old.isDirectory() && isDir)) {
      // rm removes a symlink itself, never what it points to; a directory with all it holds.
      fs.rmSync(host, { recursive: true });
    }
    return host;
  }

  /** A directory the tar implies but does not list: like the lower layers' copy, if there is one. */
  private readonly makeImpliedDir = (rel: string, host: string): void => {
    fs.mkdirSync(host);
    const lower = findInLayers(this.lowers, rel);
    if (lower?.st.isDirectory()) {
      fs.lchownSync(host, lower.st.uid, lower.st.gid);
      fs.chmodSync(host, lower.st.mode & 0o7777);
      this.dirTimes.set(host, [lower.st.atimeMs / 1000, lower.st.mtimeMs / 1000]);
    } else {
      fs.chmodSync(host, 0o755);
    }
  };

  private directory(rel: string, meta: Metadata): void {
    const host = this.place(rel, true);
    if (!lstatOrUndefined(host)) fs.mkdirSync(host, 0o700);
    this.setOwnerModeXattrs(host, meta, 'directory');
    this.dirTimes.set(host, [meta.atime, meta.mtime]);
  }

  private async file(rel: string, meta: Metadata, data: Entry): Promise<void> {
    const host = this.place(rel, false);
    // O_EXCL|O_NOFOLLOW: create a new file or fail; never open something already there.
    // Synchronous calls on purpose: a layer holds thousands of small files, and a round trip through
    // libuv's thread pool for each open/write/chown/chmod/utimes/close costs far more than the
    // system calls themselves (a Debian layer unpacked 3x slower that way).
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    const fd = fs.openSync(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of data) {
        const bytes = chunk as Buffer; // tar-stream yields Buffers
        for (let off = 0; off < bytes.length;) off += fs.writeSync(fd, bytes, off);
        this.size += bytes.length;
      }
      fs.fchownSync(fd, meta.uid, meta.gid);
      fs.fchmodSync(fd, meta.mode);
      this.setXattrs(host, meta, 'file');
      fs.futimesSync(fd, meta.atime, meta.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  private symlink(rel: string, target: string, meta: Metadata): void {
    const host = this.place(rel, false);
    // The target is stored as it is: it is only ever followed inside the container's root.
    fs.symlinkSync(target, host);
    fs.lchownSync(host, meta.uid, meta.gid);
    this.setXattrs(host, meta, 'symlink');
    fs.lutimesSync(host, meta.atime, meta.mtime);
  }

  /**
   * A hardlink names an earlier entry of this layer, or a file of a lower layer, which is copied up
   * (lowers.ts). The link's own header carries no metadata: it shares the target's inode.
   */
  private hardlink(rel: string, linkname: string): void {
    const targetRel = cleanName(linkname);
    const target = this.linkTarget(targetRel) ?? this.copyUpTarget(targetRel, linkname);
    if (rel === targetRel) return;
    const host = this.place(rel, false);
    fs.linkSync(target, host); // link(2) does not follow a symlink target: it links the symlink
  }

  /** The host path of `targetRel` in this layer, or undefined if this layer does not have it. */
  private linkTarget(targetRel: string): string | undefined {
    if (targetRel === '') throw new TsdockerError('hardlink to the layer root');
    let host: string;
    try {
      host = entryPath(this.root, targetRel);
    } catch (err) {
      if (err instanceof TsdockerError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined;
      throw err;
    }
    const st = lstatOrUndefined(host);
    if (st === undefined || isWhiteout(st)) return undefined;
    if (st.isDirectory()) throw new TsdockerError(`hardlink to directory ${JSON.stringify(targetRel)}`);
    return host;
  }

  private copyUpTarget(targetRel: string, linkname: string): string {
    const found = findInLayers([this.root, ...this.lowers], targetRel);
    if (found === undefined || found.layer === this.root) {
      throw new TsdockerError(`hardlink target ${JSON.stringify(linkname)} is not in this layer or below`);
    }
    const host = this.place(targetRel, false);
    this.size += copyUp(found, host);
    trace('unpack', `copy up ${targetRel} from ${found.layer} for a hardlink`);
    return host;
  }

  /** Character and block devices and FIFOs, made with mknod(2). */
  private node(rel: string, header: Header, meta: Metadata): void {
    const type = header.type === 'character-device' ? S_IFCHR : header.type === 'block-device' ? S_IFBLK : S_IFIFO;
    const major = header.devmajor ?? 0;
    const minor = header.devminor ?? 0;
    // containerd (archive/tar_unix.go) refuses numbers that do not fit the kernel's uint32 dev_t parts.
    for (const n of [major, minor]) {
      if (!Number.isInteger(n) || n < 0 || n > UINT32_MAX) throw new TsdockerError(`device number ${n} out of range`);
    }
    const host = this.place(rel, false);
    try {
      mknod(host, type, 0, major, minor);
    } catch (err) {
      // Without CAP_MKNOD (a user namespace) device nodes cannot be made; skip them, as containerd
      // and moby do. The container's /dev is built by the runtime anyway.
      if (err instanceof TsdockerError && err.code === 'EPERM') {
        trace('unpack', `skip ${rel}: mknod not permitted`);
        return;
      }
      throw err;
    }
    this.setOwnerModeXattrs(host, meta, 'node');
    fs.lutimesSync(host, meta.atime, meta.mtime);
  }

  private whiteout(whiteout: Whiteout, name: string): void {
    if (whiteout.kind === 'other') {
      trace('unpack', `skip ${JSON.stringify(name)}: AUFS metadata`);
      return;
    }
    const dir = path.join(this.root, resolveDir(this.root, whiteout.dir, this.makeImpliedDir));
    if (whiteout.kind === 'opaque') {
      // The spec applies an opaque marker before the same layer's entries in that directory,
      // whatever the tar order; on overlayfs that is automatic: the xattr hides only lower layers.
      makeOpaque(dir);
      trace('unpack', `opaque directory ${whiteout.dir || '/'}`);
      return;
    }
    const host = path.join(dir, whiteout.name);
    if (lstatOrUndefined(host)) fs.rmSync(host, { recursive: true });
    makeWhiteout(host);
    trace('unpack', `whiteout ${path.posix.join(whiteout.dir, whiteout.name)}`);
  }

  /** For anything but a symlink (Linux has no lchmod), which the caller has just created. */
  private setOwnerModeXattrs(host: string, meta: Metadata, kind: 'directory' | 'node'): void {
    fs.lchownSync(host, meta.uid, meta.gid);
    fs.chmodSync(host, meta.mode);
    this.setXattrs(host, meta, kind);
  }

  private setXattrs(host: string, meta: Metadata, kind: 'file' | 'directory' | 'symlink' | 'node'): void {
    const st = { isFile: () => kind === 'file', isDirectory: () => kind === 'directory' };
    for (const [name, value] of meta.xattrs) {
      if (isOverlayXattr(name)) {
        trace('unpack', `drop xattr ${name} on ${path.relative(this.root, host)}`);
        continue;
      }
      if (!setXattrTolerant(host, name, value, st)) {
        trace('unpack', `skip xattr ${name} on ${path.relative(this.root, host)}: not supported here`);
      }
    }
  }
}

/** Owner, mode, times and xattrs of an entry. PAX records override the ustar fields (pax(1)). */
function metadataOf(header: Header): Metadata {
  const pax = header.pax ?? {};
  const mtime = pax.mtime !== undefined ? Number(pax.mtime) : (header.mtime?.getTime() ?? 0) / 1000;
  const atime = pax.atime !== undefined ? Number(pax.atime) : mtime;
  const uid = pax.uid !== undefined ? Number(pax.uid) : header.uid ?? 0;
  const gid = pax.gid !== undefined ? Number(pax.gid) : header.gid ?? 0;
  for (const id of [uid, gid]) {
    if (!Number.isInteger(id) || id < 0 || id > UINT32_MAX) throw new TsdockerError(`owner id ${id} out of range`);
  }
  if (!Number.isFinite(mtime) || !Number.isFinite(atime)) throw new TsdockerError('malformed time in PAX header');
  return { mode: (header.mode ?? 0o644) & 0o7777, uid, gid, atime, mtime, xattrs: xattrsOf(pax, header.name) };
}

/**
 * Extended attributes from PAX records. GNU tar and Go's archive/tar (so Docker and BuildKit) write
 * `SCHILY.xattr.<name>=<raw bytes>`; libarchive also writes `LIBARCHIVE.xattr.<url-encoded name>=
 * <base64>`. tar-stream decodes every PAX value as UTF-8, so a raw value that is not valid UTF-8
 * (a file capability with bits >= 7 set, say) cannot be recovered: it is skipped, with a trace line,
 * unless a LIBARCHIVE copy carries it exactly.
 */
function xattrsOf(pax: Record<string, string>, entryName: string): Map<string, Buffer> {
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(pax)) {
    if (!key.startsWith('SCHILY.xattr.')) continue;
    const name = key.slice('SCHILY.xattr.'.length);
    if (value.includes('\uFFFD')) {
      trace('unpack', `skip xattr ${name} on ${JSON.stringify(entryName)}: value is not valid UTF-8 and tar-stream lost its bytes`);
      continue;
    }
    xattrs.set(name, Buffer.from(value, 'utf8'));
  }
  for (const [key, value] of Object.entries(pax)) {
    if (!key.startsWith('LIBARCHIVE.xattr.')) continue;
    xattrs.set(decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value, 'base64'));
  }
  return xattrs;
}

async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of entry) { /* discard what an entry type does not use */ }
}
