// The system calls Node does not offer, made through tsdocker's small Node-API addon
// (native/sys.c, built by `npm install` with the runtime helper). This is the ONE module of the
// CLI that loads it: everything else imports these small wrappers. (src/cli/launch.ts, which
// starts the CLI, loads it first for its mapFile; Node then hands this module the same instance.)
// Each wrapper checks the result and throws errnoError() naming the call and the path, the way
// crun reports "mknod `%s`".
//
// Node's own fs covers chown/lchown, lutimes, symlink, link; what is missing is creating device
// nodes, extended attributes that must not follow symlinks, mount(2)/umount2(2), bpf(2) for the
// device filter of a cgroup v2, starting a program without node:child_process (posix_spawn(3),
// waitpid(2), reading a pipe on the event loop, and running a short program to its end),
// isatty(3) without node:tty, and netlink sockets (one rtnetlink(7) request). What `run` does to
// its files is here too, though Node's fs has it (readText, writeText, rewriteText, statFile,
// readDirectory, makeDirectory, makeSymlink, renameFile, removeFileEntry, removeTreeAt, writeFd,
// fillRandom, ...): in a command as short as `run`, each Node fs function costs 0.1-0.3 ms the
// first time it is called (V8 compiles it then) and 20 to 60 us of cold JavaScript each time
// after; the addon's call, a few microseconds. The addon
// replaced the koffi FFI, whose loading took about 12 ms of every `tsdocker run`; the addon loads
// in well under a millisecond (README, dependencies).
import * as path from 'node:path';
import { TsdockerError, errnoError } from '../errors';
import { installDir } from '../install';

/** What native/sys.c exports: each returns the system call's result or -errno. */
interface Sys {
  mknod(path: string, mode: number, major: number, minor: number): number;
  lsetxattr(path: string, name: string, value: Buffer, flags: number): number;
  /** the value, or -errno */
  lgetxattr(path: string, name: string): Buffer | number;
  /** the names, each ended by a NUL, or -errno */
  llistxattr(path: string): Buffer | number;
  lremovexattr(path: string, name: string): number;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): number;
  umount2(target: string, flags: number): number;
  /** 0, or which bpf(2) step (or the open of the directory) failed, with errno and the verifier's log */
  attachDeviceFilter(cgroupDir: string, program: Buffer): 0 | { step: string; errno: number; log?: string };
  exit(status: number): never;
  /** [read end, write end], or -errno */
  pipe(): [number, number] | number;
  /** posix_spawn on a thread of the addon: the job, or -errno */
  spawnStart(file: string, argv: string[], env: string[], stdio: number[], newSession: boolean): SpawnJob | number;
  /** waits for the job's thread: the pid, or -errno */
  spawnFinish(job: SpawnJob): number;
  /** the status once it has ended, 0 (noHang) while it runs, or -errno */
  waitpid(pid: number, noHang: boolean): WaitStatus | number;
  /** 0 or -errno; onRead gets a Buffer, null at end of file, or -errno */
  readStart(fd: number, onRead: (chunk: Buffer | null | number) => void): number;
  readStop(fd: number): number;
  /** 1 or 0 */
  isatty(fd: number): number;
  /** the size, or -errno */
  windowSize(fd: number): { rows: number; columns: number } | number;
  /** how the program ended and what it printed, or -errno when it could not start */
  runSync(file: string, argv: string[], env: string[], input: Buffer | null, timeoutMs: number): Ran | number;
  /** 0 when the kernel acked the netlink message, or -errno (the kernel's, or the socket's) */
  rtnetlink(request: Uint8Array): number;
  /** the content as UTF-8, or -errno (-EFBIG past `max` bytes, -EINVAL if not a regular file) */
  readFile(path: string, max: number, flags: number): string | number;
  /** 0 or -errno */
  writeFile(path: string, text: string, flags: number, mode: number, resize: boolean): number;
  /** a pid in that namespace, 0 when none, or -errno */
  findNamespaceUser(kind: string, identity: string): number;
  /** 1 when on another device than its parent directory, 0 when not, or -errno */
  otherDevice(path: string): number;
  mkdir(path: string, mode: number): number;
  rmdir(path: string): number;
  unlink(path: string): number;
  /** [mode, inode, mtime in ms], or -errno */
  stat(path: string, follow: boolean): [number, number, number] | number;
  /** the file system's f_type, or -errno */
  statfs(path: string): number;
  /** names, each followed by its type ("d", "l", "f", "?") with `withTypes`; or -errno */
  readDir(path: string, withTypes: boolean): string[] | number;
  /** the link's target, or -errno */
  readlink(path: string): string | number;
  symlink(target: string, path: string): number;
  rename(from: string, to: string): number;
  /** the bytes written, or -errno */
  write(fd: number, data: Buffer): number;
  /** 0, or the first failure: [-errno, path] */
  removeTree(path: string): 0 | [number, string];
  /** the array's length once filled, or -errno */
  getrandom(buffer: Uint8Array): number;
}

let sys: Sys | undefined;

// errno values the wrappers treat as answers rather than failures (asm-generic/errno.h).
const ENOENT = 2;
const EEXIST = 17;
const ENODATA = 61;

/** native/tsdocker-sys.node in the checkout or installed package. */
function load(): Sys {
  if (sys) return sys;
  const file = path.join(installDir(), 'native', 'tsdocker-sys.node');
  try {
    sys = require(file) as Sys;
  } catch (err) {
    throw new TsdockerError(`${file} could not be loaded: run \`npm install\` (or \`make -C native\`)`,
      { cause: err, path: file });
  }
  return sys;
}

/** Throw with errno when a call returned -errno. */
function check<T>(result: T | number, op: string, file: string): T {
  if (typeof result === 'number' && result < 0) throw errnoError(op, -result, file);
  return result as T;
}

// File types for mknod(2) (sys/stat.h).
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** mknod(2): `type` is S_IFCHR, S_IFBLK or S_IFIFO; the umask still applies to `perm`. */
export function mknod(file: string, type: number, perm: number, major = 0, minor = 0): void {
  check(load().mknod(file, type | perm, major, minor), 'mknod', file);
}

// setxattr(2) flags.
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** lsetxattr(2): like setxattr, but on a symlink itself rather than what it points to. */
export function lsetxattr(file: string, name: string, value: Buffer, flags = 0): void {
  check(load().lsetxattr(file, name, value, flags), `lsetxattr ${name} on`, file);
}

/** lgetxattr(2): the value, or undefined when the attribute is not set (ENODATA). */
export function lgetxattr(file: string, name: string): Buffer | undefined {
  const r = load().lgetxattr(file, name);
  if (r === -ENODATA) return undefined;
  return check(r, `lgetxattr ${name} on`, file);
}

/** llistxattr(2): the names of all extended attributes of the file (not of a symlink's target). */
export function llistxattr(file: string): string[] {
  const list = check(load().llistxattr(file), 'llistxattr', file);
  // The list is a run of NUL-terminated names.
  return list.toString('utf8').split('\0').filter((n) => n !== '');
}

/** lremovexattr(2). */
export function lremovexattr(file: string, name: string): void {
  check(load().lremovexattr(file, name), `lremovexattr ${name} on`, file);
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

/**
 * Load `program` (struct bpf_insn[], from cgroups/devicefilter.ts) as a BPF_PROG_TYPE_CGROUP_DEVICE
 * program and attach it to the cgroup v2 directory `cgroupDir`, in place of any device program
 * attached there before. When the kernel's verifier refuses the program, its last words are in the
 * message.
 */
export function attachDeviceFilter(cgroupDir: string, program: Buffer): void {
  const r = load().attachDeviceFilter(cgroupDir, program);
  if (r === 0) return;
  const op = r.step === 'open' ? 'open cgroup' : `bpf(${r.step}) of the device filter for`;
  const err = errnoError(op, r.errno, cgroupDir);
  if (!r.log) throw err;
  // The log lists every instruction checked; the reason is at the end. Keep the error one line.
  const reason = r.log.trim().split('\n').slice(-3).join('; ');
  throw new TsdockerError(`${err.message}: verifier: ${reason}`, { code: err.code, errno: err.errno, path: cgroupDir });
}

/** pipe2(2) with O_CLOEXEC: [read end, write end]. */
export function pipe(): [number, number] {
  return check(load().pipe(), 'pipe', '');
}

/**
 * posix_spawn(3) of `file` with `argv` and only the environment `env` ("NAME=value"), without
 * node:child_process (src/runtime/helper.ts says why). The child's descriptor i is our `stdio[i]`;
 * it starts with every signal at its default action and none blocked, and with `newSession` in a
 * session of its own. Returns its pid: reap it with waitpid, nobody else will. A failed execve
 * (ENOENT, EACCES) is thrown from here.
 */
export function spawn(file: string, argv: string[], env: string[], stdio: number[], opts: { newSession?: boolean } = {}): number {
  return finishSpawn(startSpawn(file, argv, env, stdio, opts), file);
}

/** A spawn running on a thread of the addon (startSpawn); opaque. */
export interface SpawnJob { readonly spawnJob: never }

/**
 * spawn, on a thread of the addon. glibc's posix_spawn holds the thread that calls it until the
 * child has called execve(2) (CLONE_VFORK): 1-1.5 ms here for the runtime helper, which Node's
 * thread now spends on other work. finishSpawn waits for the thread: the pid, or the failure
 * thrown. Until then the descriptors in `stdio` must stay open (the child dup2s them).
 */
export function startSpawn(file: string, argv: string[], env: string[], stdio: number[], opts: { newSession?: boolean } = {}): SpawnJob {
  return check(load().spawnStart(file, argv, env, stdio, opts.newSession ?? false), 'posix_spawn', file);
}

export function finishSpawn(job: SpawnJob, file: string): number {
  return check(load().spawnFinish(job), 'posix_spawn', file);
}

/** How a child ended: its exit status, or the number of the signal that killed it. */
export interface WaitStatus {
  code: number | null;
  signal: number | null;
}

/** waitpid(2) for one child of ours: its status once it has ended (waiting for that), or with
 *  `noHang` undefined while it still runs. */
export function waitpid(pid: number, noHang = false): WaitStatus | undefined {
  const r = load().waitpid(pid, noHang);
  if (r === 0) return undefined;
  return check(r, 'waitpid', `pid ${pid}`);
}

/**
 * Read `fd` on Node's event loop, on the main thread, whenever it is readable (native/sys.c: a
 * libuv poll handle, as net.Socket reads a pipe, without loading node:net): `onData` for each
 * chunk, then `onEnd` once, at end of file or with the error of read(2). The descriptor becomes
 * non-blocking. Until then the reader keeps Node's event loop alive; stop it with readStop (before
 * closing fd).
 */
export function readStart(fd: number, onData: (chunk: Buffer) => void, onEnd: (err?: TsdockerError) => void): void {
  check(load().readStart(fd, (chunk) => {
    if (chunk === null) onEnd();
    else if (typeof chunk === 'number') onEnd(errnoError('read', -chunk, `fd ${fd}`));
    else onData(chunk);
  }), 'poll', `fd ${fd}`);
}

/** Stop the reader of `fd` (it is not closed); false when there was none, or it had ended. */
export function readStop(fd: number): boolean {
  return load().readStop(fd) === 0;
}

/** isatty(3). node:tty's isatty is the same call, but loading node:tty loads node:net too, ~5 ms. */
export function isatty(fd: number): boolean {
  return load().isatty(fd) === 1;
}

/** The size of the terminal on `fd` (TIOCGWINSZ, tty_ioctl(4)), or undefined when it is not one. */
export function windowSize(fd: number): { rows: number; columns: number } | undefined {
  const r = load().windowSize(fd);
  return typeof r === 'number' ? undefined : r;
}

/** What runSync gives back: how the program ended, and its two outputs. */
export interface Ran extends WaitStatus {
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

/** Run `file` (a path) to its end with `input` on its stdin, as spawnSync does but without forking
 *  Node (native/sys.c runSync); killed after `timeoutMs` unless 0. Throws when it could not start
 *  (ENOENT, EACCES) or printed more than 16 MiB. src/sys/program.ts is the friendlier way in. */
export function runSync(file: string, argv: string[], env: string[], input: Buffer | null, timeoutMs: number): Ran {
  return check(load().runSync(file, argv, env, input, timeoutMs), 'posix_spawn', file);
}

/**
 * Send `request`, one rtnetlink(7) message made with NLM_F_REQUEST | NLM_F_ACK
 * (src/network/rtnetlink.ts builds them), on a NETLINK_ROUTE socket and wait for the kernel's ack.
 * The kernel's error is thrown with `what` naming the operation: "rtnetlink create veth pair
 * vethab12cd3/eth0: EEXIST (file exists)".
 */
export function rtnetlink(request: Uint8Array, what: string): void {
  check(load().rtnetlink(request), 'rtnetlink', what);
}

// open(2) flags (asm-generic/fcntl.h).
export const O_WRONLY = 0o1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_NONBLOCK = 0o4000;
export const O_NOFOLLOW = 0o400000;

/**
 * A small regular file's content, read whole with plain system calls (native/sys.c says why not
 * readFileSync: ~50 us less per file in a short command); undefined when it does not exist.
 * Files in /proc and /sys are read to their end. Throws past `max` bytes (EFBIG), and for
 * anything but a regular file (EINVAL: a fifo would block, a device never end). `flags` are more
 * open(2) flags, such as O_NOFOLLOW.
 */
export function readText(file: string, max = 64 << 20, flags = 0): string | undefined {
  const r = load().readFile(file, max, flags);
  if (r === -ENOENT) return undefined;
  return check(r, 'read', file);
}

/** Is `file` on another device than its parent directory: the root of a mount of another
 *  filesystem (an overlay root, a namespace pinned by a bind mount)? */
export function onOtherDevice(file: string): boolean {
  return check(load().otherDevice(file), 'stat', file) === 1;
}

/** Write `text` to `file`, opened with `flags` (O_WRONLY | O_TRUNC unless told: no O_CREAT, so a
 *  missing file is ENOENT) and, when it creates the file, `mode`. The errno is kept on the error. */
export function writeText(file: string, text: string, flags = O_WRONLY | O_TRUNC, mode = 0o666): void {
  check(load().writeFile(file, text, flags, mode, false), 'write', file);
}

/** Replace the content of `file` (made if missing, with `mode`) in place: written over from the
 *  start, then cut to the new length. The same inode, as O_TRUNC keeps it (a bind mount of the
 *  file shows the new text), but ext4 does not start writing the file out at close, as it does
 *  after a truncation to zero (auto_da_alloc, ext4(5)). */
export function rewriteText(file: string, text: string, mode = 0o644): void {
  check(load().writeFile(file, text, O_WRONLY | O_CREAT, mode, true), 'write', file);
}

/** mkdir(2); false when it exists already. Other failures throw, with the errno kept. */
export function makeDirectory(dir: string, mode: number): boolean {
  const r = load().mkdir(dir, mode);
  if (r === -EEXIST) return false;
  check(r, 'mkdir', dir);
  return true;
}

/** rmdir(2); a missing directory is no failure. */
export function removeDirectory(dir: string): void {
  const r = load().rmdir(dir);
  if (r !== -ENOENT) check(r, 'rmdir', dir);
}

/** unlink(2); a missing file is no failure. */
export function removeFileEntry(file: string): void {
  const r = load().unlink(file);
  if (r !== -ENOENT) check(r, 'unlink', file);
}

/** What statFile tells of a file: its type and permission bits, inode number, and mtime. */
export interface FileStat {
  mode: number;
  ino: number;
  mtimeMs: number;
}

/** stat(2), or lstat(2) with `follow: false`; undefined when the path does not exist. */
export function statFile(file: string, opts: { follow?: boolean } = {}): FileStat | undefined {
  const r = load().stat(file, opts.follow ?? true);
  if (r === -ENOENT) return undefined;
  const [mode, ino, mtimeMs] = check(r, opts.follow === false ? 'lstat' : 'stat', file);
  return { mode, ino, mtimeMs };
}

// File types in st_mode (sys/stat.h), for statFile's mode.
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** statfs(2): the type of the file system holding `file` (its magic number, statfs(2)). */
export function fileSystemType(file: string): number {
  return check(load().statfs(file), 'statfs', file);
}

/** The names in a directory, without "." and "..". */
export function readDirectory(dir: string): string[] {
  return check(load().readDir(dir, false), 'scandir', dir);
}

/** The names in a directory with their types from the directory itself (d_type): "d" directory,
 *  "l" symbolic link, "f" regular file, "?" another type or unknown. */
export function readDirectoryTypes(dir: string): Map<string, string> {
  const flat = check(load().readDir(dir, true), 'scandir', dir);
  const out = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) out.set(flat[i], flat[i + 1]);
  return out;
}

/** readlink(2). */
export function readSymlink(file: string): string {
  return check(load().readlink(file), 'readlink', file);
}

/** symlink(2): `file` made a symbolic link to `target`; EEXIST (thrown) when `file` exists. */
export function makeSymlink(target: string, file: string): void {
  check(load().symlink(target, file), 'symlink', file);
}

/** rename(2), replacing `to` if it exists. */
export function renameFile(from: string, to: string): void {
  check(load().rename(from, to), 'rename', `${from} -> ${to}`);
}

/** write(2) of all of `data` to descriptor `fd`. */
export function writeFd(fd: number, data: Buffer): number {
  return check(load().write(fd, data), 'write', `fd ${fd}`);
}

/** `rm -rf path`, never through a mount point below it (EBUSY); a missing path is no failure. */
export function removeTreeAt(file: string): void {
  const r = load().removeTree(file);
  if (r !== 0) throw errnoError('remove', -r[0], r[1]);
}

/** Fill `buf` with random bytes from the kernel (getrandom(2)). */
export function fillRandom<T extends Uint8Array>(buf: T): T {
  check(load().getrandom(buf), 'getrandom', 'random bytes');
  return buf;
}

/** A process in the namespace whose link reads `identity` ("net:[4026532281]"), from a scan of
 *  /proc/<pid>/ns/<kind>; 0 when there is none. */
export function findNamespaceUser(kind: string, identity: string): number {
  return check(load().findNamespaceUser(kind, identity), 'scan /proc for namespace', identity);
}

/** _exit(2): end the process now, without Node's exit handlers or the teardown of its VM. */
export function exitNow(status: number): never {
  return load().exit(status);
}
