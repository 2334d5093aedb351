// Hand-made layer tars for tests. A layer is a tar archive (image-spec layer.md); the edge cases a
// runtime must survive (whiteouts, hardlinks, device nodes, binary xattrs, hostile names such as
// "../../x") are easiest to write byte by byte, so this is a small ustar + PAX writer rather than a
// library that might "fix" the hostile entries. Formats: POSIX.1-2001 pax(1) "ustar Interchange
// Format" and "pax Interchange Format"; xattrs as GNU tar and Docker write them,
// `SCHILY.xattr.<name>=<raw bytes>` records in a PAX extended header.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { TsdockerError } from '../../src/errors';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** written exactly as given: no cleaning, so hostile names survive */
  name: string;
  /** default: 'dir' if the name ends with '/', else 'file' */
  type?: EntryType;
  content?: string | Buffer;
  /** permission bits including setuid/setgid/sticky; default 0644 for files, 0755 for dirs */
  mode?: number;
  uid?: number;
  gid?: number;
  /** symlink target or hardlink target (a name in the archive) */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** xattr name (e.g. "security.capability") to raw value */
  xattrs?: Record<string, string | Buffer>;
  /** seconds since the epoch; fixed by default so every build gives the same digest */
  mtime?: number;
}

const FIXED_MTIME = 1704067200; // 2024-01-01T00:00:00Z

const TYPEFLAG: Record<EntryType, string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
};

/** A complete tar archive (with the two zero blocks that end it) holding `entries` in order. */
export function tarLayer(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) parts.push(...encodeEntry(entry));
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function encodeEntry(entry: TarEntry): Buffer[] {
  const type = entry.type ?? (entry.name.endsWith('/') ? 'dir' : 'file');
  const body = type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
  const linkname = entry.linkname ?? '';
  const common = {
    mode: entry.mode ?? (type === 'dir' ? 0o755 : 0o644),
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    mtime: entry.mtime ?? FIXED_MTIME,
    devmajor: entry.devmajor ?? 0,
    devminor: entry.devminor ?? 0,
  };
  const out: Buffer[] = [];

  // Names longer than the ustar fields, and xattrs, travel in a PAX header before the entry.
  const records: Buffer[] = [];
  if (Buffer.byteLength(entry.name) > 100) records.push(paxRecord('path', entry.name));
  if (Buffer.byteLength(linkname) > 100) records.push(paxRecord('linkpath', linkname));
  for (const [key, value] of Object.entries(entry.xattrs ?? {})) {
    records.push(paxRecord(`SCHILY.xattr.${key}`, value));
  }
  if (records.length > 0) {
    const pax = Buffer.concat(records);
    out.push(header({ ...common, name: 'PaxHeaders/' + lastComponent(entry.name), typeflag: 'x',
      size: pax.length, linkname: '' }), pad(pax));
  }
  out.push(header({ ...common, name: entry.name, typeflag: TYPEFLAG[type], size: body.length, linkname }));
  if (body.length > 0) out.push(pad(body));
  return out;
}

/** "%d %s=%s\n" where the leading decimal counts the whole record, itself included. */
function paxRecord(key: string, value: string | Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let length = rest.length + 1;
  while (String(length).length + rest.length !== length) length = String(length).length + rest.length;
  return Buffer.concat([Buffer.from(String(length)), rest]);
}

interface HeaderFields {
  name: string; mode: number; uid: number; gid: number; size: number; mtime: number;
  typeflag: string; linkname: string; devmajor: number; devminor: number;
}

function header(h: HeaderFields): Buffer {
  const block = Buffer.alloc(512);
  // Fields truncated here were also written in full into the PAX header.
  block.write(h.name.slice(0, 100), 0, 100, 'utf8');
  octal(block, h.mode, 100, 8);
  octal(block, h.uid, 108, 8);
  octal(block, h.gid, 116, 8);
  octal(block, h.size, 124, 12);
  octal(block, h.mtime, 136, 12);
  block.write(h.typeflag, 156, 1, 'latin1');
  block.write(h.linkname.slice(0, 100), 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 8, 'latin1');
  // Names only for id 0: a reader that prefers names must not turn uid 1000 into root.
  if (h.uid === 0) block.write('root', 265, 32, 'latin1');
  if (h.gid === 0) block.write('root', 297, 32, 'latin1');
  octal(block, h.devmajor, 329, 8);
  octal(block, h.devminor, 337, 8);
  // The checksum is computed with its own field read as eight spaces.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

function octal(block: Buffer, value: number, offset: number, width: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new TsdockerError(`tar field too large: ${value}`);
  block.write(digits + '\0', offset, width, 'latin1');
}

function pad(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

function lastComponent(name: string): string {
  return (name.replace(/\/+$/, '').split('/').pop() || 'entry').slice(0, 80);
}

export type Compression = 'none' | 'gzip' | 'zstd';

/** Compress a tar. Node 20 has no zstd compressor (only fzstd, a decompressor), so zstd(1) does it. */
export function compress(tar: Buffer, how: Compression): Buffer {
  if (how === 'none') return tar;
  if (how === 'gzip') return zlib.gzipSync(tar, { level: 6 });
  const result = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
  if (result.status !== 0) {
    throw new TsdockerError(`zstd: ${result.error?.message ?? result.stderr.toString().trim()}`);
  }
  return result.stdout;
}

export function sha256(data: Buffer): string {
  return 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * The value `setcap cap_net_raw+ep` writes: struct vfs_cap_data, revision 2
 * (linux/capability.h: magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, then
 * permitted/inheritable for capabilities 0-31 and 32-63, all little-endian).
 */
export function fileCapability(capNumbers: number[]): Buffer {
  const value = Buffer.alloc(20);
  let low = 0;
  let high = 0;
  for (const cap of capNumbers) {
    if (cap < 32) low |= 1 << cap; else high |= 1 << (cap - 32);
  }
  value.writeUInt32LE(0x02000001, 0);
  value.writeUInt32LE(low >>> 0, 4);
  value.writeUInt32LE(high >>> 0, 12);
  return value;
}

export const CAP_NET_RAW = 13;
