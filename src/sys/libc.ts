// The libc calls Node does not offer, made through koffi (FFI). This is the ONE module that loads
// koffi: everything else imports these small wrappers. Each wrapper checks the return value and
// throws errnoError() naming the call and the path, the way crun reports "mknod `%s`".
//
// koffi is loaded on first use (it costs ~10 ms), so commands that never call libc do not pay.
// Node's own fs covers chown/lchown, lutimes, symlink, link; what is missing is creating device
// nodes, extended attributes that must not follow symlinks, and mount(2)/umount2(2).
import type * as KoffiModule from 'koffi';
import { errnoError } from '../errors';

interface Libc {
  koffi: typeof KoffiModule;
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
  llistxattr: (path: string, list: Buffer | null, size: number) => number;
  lremovexattr: (path: string, name: string) => number;
  mount: (source: string | null, target: string, fstype: string | null, flags: number, data: string | null) => number;
  umount2: (target: string, flags: number) => number;
}

let libc: Libc | undefined;

// errno values the wrappers treat as answers rather than failures (asm-generic/errno.h).
const ERANGE = 34;
const ENODATA = 61;

function load(): Libc {
  if (libc) return libc;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as typeof KoffiModule;
  const lib = koffi.load('libc.so.6');
  // Prototypes from the man pages; mode_t is unsigned int and dev_t 64 bits on Linux (glibc).
  libc = {
    koffi,
    mknod: lib.func('int mknod(const char *path, unsigned int mode, uint64_t dev)'),
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
    llistxattr: lib.func('intptr_t llistxattr(const char *path, _Out_ char *list, size_t size)'),
    lremovexattr: lib.func('int lremovexattr(const char *path, const char *name)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
  };
  return libc;
}

/** Call a libc function and throw with errno when it returns -1. */
function check(result: number, op: string, path: string): number {
  if (result === -1) throw errnoError(op, load().koffi.errno(), path);
  return result;
}

// File types for mknod(2) (sys/stat.h).
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** glibc's makedev(3): 12 bits of major and 20 of minor in the classic places, the rest above. */
export function makedev(major: number, minor: number): bigint {
  const maj = BigInt(major);
  const min = BigInt(minor);
  return ((maj & 0xfffn) << 8n) | ((maj & ~0xfffn) << 32n) | (min & 0xffn) | ((min & ~0xffn) << 12n);
}

/** mknod(2): `type` is S_IFCHR, S_IFBLK or S_IFIFO; the umask still applies to `perm`. */
export function mknod(path: string, type: number, perm: number, major = 0, minor = 0): void {
  check(load().mknod(path, type | perm, makedev(major, minor)), 'mknod', path);
}

// setxattr(2) flags.
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** lsetxattr(2): like setxattr, but on a symlink itself rather than what it points to. */
export function lsetxattr(path: string, name: string, value: Buffer, flags = 0): void {
  check(load().lsetxattr(path, name, value, value.length, flags), `lsetxattr ${name} on`, path);
}

/** lgetxattr(2): the value, or undefined when the attribute is not set (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const c = load();
  // Ask for the size first; retry if the value grew in between (ERANGE), as getfattr does.
  for (;;) {
    const size = c.lgetxattr(path, name, null, 0);
    if (size === -1 && c.koffi.errno() === ENODATA) return undefined;
    check(size, `lgetxattr ${name} on`, path);
    const value = Buffer.alloc(size);
    const got = c.lgetxattr(path, name, value, size);
    if (got === -1 && c.koffi.errno() === ERANGE) continue;
    if (got === -1 && c.koffi.errno() === ENODATA) return undefined;
    check(got, `lgetxattr ${name} on`, path);
    return value.subarray(0, got);
  }
}

/** llistxattr(2): the names of all extended attributes of the file (not of a symlink's target). */
export function llistxattr(path: string): string[] {
  const c = load();
  for (;;) {
    const size = check(c.llistxattr(path, null, 0), 'llistxattr', path);
    if (size === 0) return [];
    const list = Buffer.alloc(size);
    const got = c.llistxattr(path, list, size);
    if (got === -1 && c.koffi.errno() === ERANGE) continue;
    check(got, 'llistxattr', path);
    // The list is a run of NUL-terminated names.
    return list.subarray(0, got).toString('utf8').split('\0').filter((n) => n !== '');
  }
}

/** lremovexattr(2). */
export function lremovexattr(path: string, name: string): void {
  check(load().lremovexattr(path, name), `lremovexattr ${name} on`, path);
}

// mount(2) flags (linux/mount.h), for the runtime's rootfs and overlay code.
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_STRICTATIME = 0x1000000;

/** mount(2). `data` is the filesystem's option string, e.g. overlay's "lowerdir=...". */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check(load().mount(source, target, fstype, flags, data), `mount ${fstype ?? source ?? 'none'} on`, target);
}

// umount2(2) flags.
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;

/** umount2(2). MNT_DETACH detaches now and cleans up when the mount is no longer busy. */
export function umount2(target: string, flags = 0): void {
  check(load().umount2(target, flags), 'umount', target);
}
