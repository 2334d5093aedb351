// One error type for the whole program. Every failure that reaches the user is a TsdockerError:
// it names the operation that failed, the thing it failed on, and (for system calls) the errno,
// so the CLI can print one line such as
//   tsdocker: mount overlay on /var/lib/tsdocker/containers/ab12/rootfs: EINVAL (invalid argument)
// Layers wrap errors with context as they pass them up (see `wrap`), the way crun does with
// crun_make_error and runc with fmt.Errorf("...: %w").

/** Docker's exit codes for failures of the tool itself rather than of the container's process. */
export const EXIT_TSDOCKER = 125; // the engine failed (bad flag, image not found, ...)
export const EXIT_CANNOT_INVOKE = 126; // the command exists but cannot be executed
export const EXIT_NOT_FOUND = 127; // the command was not found in the container

export interface ErrorDetails {
  /** errno name such as "ENOENT", when the failure came from a system call. */
  code?: string;
  /** numeric errno, when known (from the native helper or FFI). */
  errno?: number;
  /** the file, image, or container the operation was about. */
  path?: string;
  /** process exit status the CLI should use; 125 unless said otherwise. */
  exitCode?: number;
  cause?: unknown;
}

export class TsdockerError extends Error {
  readonly code?: string;
  readonly errno?: number;
  readonly path?: string;
  readonly exitCode: number;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TsdockerError';
    this.code = details.code;
    this.errno = details.errno;
    this.path = details.path;
    this.exitCode = details.exitCode ?? EXIT_TSDOCKER;
  }
}

/** Node's system errors carry `code` ("ENOENT"), `errno` and `path`. */
interface NodeSystemError extends Error {
  code?: string;
  errno?: number;
  path?: string;
  syscall?: string;
}

export function isNodeError(err: unknown, code?: string): err is NodeSystemError {
  return err instanceof Error && typeof (err as NodeSystemError).code === 'string' &&
    (code === undefined || (err as NodeSystemError).code === code);
}

/**
 * Wrap any error with the operation that was being attempted: `wrap(err, "unpack layer sha256:ab")`
 * gives "unpack layer sha256:ab: open /x/y: ENOENT". The innermost errno and exit code are kept.
 */
export function wrap(err: unknown, op: string): TsdockerError {
  if (err instanceof TsdockerError) {
    return new TsdockerError(`${op}: ${err.message}`, {
      code: err.code, errno: err.errno, path: err.path, exitCode: err.exitCode, cause: err,
    });
  }
  if (isNodeError(err)) {
    return new TsdockerError(`${op}: ${describeSystemError(err)}`, {
      code: err.code, errno: err.errno, path: err.path, cause: err,
    });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new TsdockerError(`${op}: ${text}`, { cause: err });
}

/** "open /etc/x: ENOENT (no such file or directory)" from Node's longer messages. */
function describeSystemError(err: NodeSystemError): string {
  const what = [err.syscall, err.path].filter(Boolean).join(' ');
  // Node's message is "ENOENT: no such file or directory, open '/x'": keep only the explanation.
  const explanation = err.message.split(',')[0].replace(/^[A-Z0-9_]+: /, '');
  return `${what ? what + ': ' : ''}${err.code} (${explanation})`;
}

/** An error made from a raw errno, as returned by the native helper or a libc call through FFI. */
export function errnoError(op: string, errno: number, path?: string): TsdockerError {
  const code = errnoName(errno);
  return new TsdockerError(`${op}${path ? ' ' + path : ''}: ${code} (${strerror(errno)})`,
    { code, errno, path });
}

// The errno values that matter to a container runtime (asm-generic/errno-base.h, errno.h on Linux).
const ERRNO: Record<number, [string, string]> = {
  1: ['EPERM', 'operation not permitted'],
  2: ['ENOENT', 'no such file or directory'],
  3: ['ESRCH', 'no such process'],
  4: ['EINTR', 'interrupted system call'],
  5: ['EIO', 'input/output error'],
  7: ['E2BIG', 'argument list too long'],
  8: ['ENOEXEC', 'exec format error'],
  9: ['EBADF', 'bad file descriptor'],
  10: ['ECHILD', 'no child processes'],
  11: ['EAGAIN', 'resource temporarily unavailable'],
  12: ['ENOMEM', 'cannot allocate memory'],
  13: ['EACCES', 'permission denied'],
  16: ['EBUSY', 'device or resource busy'],
  17: ['EEXIST', 'file exists'],
  18: ['EXDEV', 'invalid cross-device link'],
  19: ['ENODEV', 'no such device'],
  20: ['ENOTDIR', 'not a directory'],
  21: ['EISDIR', 'is a directory'],
  22: ['EINVAL', 'invalid argument'],
  24: ['EMFILE', 'too many open files'],
  26: ['ETXTBSY', 'text file busy'],
  27: ['EFBIG', 'file too large'],
  28: ['ENOSPC', 'no space left on device'],
  30: ['EROFS', 'read-only file system'],
  36: ['ENAMETOOLONG', 'file name too long'],
  38: ['ENOSYS', 'function not implemented'],
  39: ['ENOTEMPTY', 'directory not empty'],
  40: ['ELOOP', 'too many levels of symbolic links'],
  61: ['ENODATA', 'no data available'],
  71: ['EPROTO', 'protocol error'],
  95: ['EOPNOTSUPP', 'operation not supported'],
  101: ['ENETUNREACH', 'network is unreachable'],
  105: ['ENOBUFS', 'no buffer space available'],
  122: ['EDQUOT', 'disk quota exceeded'],
};

export function errnoName(errno: number): string {
  return ERRNO[errno]?.[0] ?? `errno ${errno}`;
}

export function strerror(errno: number): string {
  return ERRNO[errno]?.[1] ?? 'unknown error';
}
