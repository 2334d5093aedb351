// Starting the native helper (native/tsdocker-runtime, built by `npm install`) with its two protocol
// descriptors, fd 3 (to the helper) and fd 4 (from it).
//
// Not with node:child_process, whose cost every `tsdocker run` paid (issue 3): loading it took
// about 6 ms (it loads node:net and the streams too), and its spawn blocked Node's main thread
// about 10 ms, because libuv makes the child with fork(2), which copies the page tables of all of
// Node's ~40 MB before the child can exec. The addon (native/sys.c) starts it with posix_spawn(3)
// instead: glibc uses clone(CLONE_VM|CLONE_VFORK), so the child runs in Node's memory until its
// execve and nothing is copied. The child starts as libuv would start it: every signal at its
// default action, none blocked, stdin/stdout/stderr blocking, and a session of its own. The call
// runs on a thread of the addon (startSpawn): posix_spawn holds its caller until the helper's
// execve, 1-1.5 ms that Node spends making the container; the first write joins it (started()).
//
// Reading fd 4 without node:net: the addon polls the pipe on Node's own event loop (libuv's poll
// handle, as net.Socket does it underneath) and reads it on the main thread when it is readable.
// fs.read would do it on libuv's threadpool, one of its four threads blocked in read(2) for the
// container's whole life, and a read in flight cannot be taken back: `exec -d` could not leave
// the helper running alone until the helper exits. Writing fd 3 is a plain write(2) (the addon's
// writeFd): the configuration is one write, which the helper reads at once, and GO is a few bytes.
//
// Nobody else reaps the helper (it is not a libuv child): once fd 4 reaches end of file (the helper
// closes it only by exiting) it is reaped with waitpid(2).
//
// A detached container's monitor ('pipe') wraps the container's stdio pipes in net.Sockets: that
// path is not the timed one, and fs streams on pipes would block threadpool threads for as long.
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import { TsdockerError, wrap } from '../errors';
import { pathExists } from '../fsutil';
import { installDir } from '../install';
import { finishSpawn, pipe, readStart, readStop, startSpawn, waitpid, writeFd, type SpawnJob, type WaitStatus } from '../sys/libc';
import { tracing } from '../trace';

export type { WaitStatus } from '../sys/libc';

/** native/tsdocker-runtime in the checkout or installed package. */
export function helperPath(): string {
  return path.join(installDir(), 'native', 'tsdocker-runtime');
}

export interface HelperStdio {
  /** -i: the helper reads our stdin and relays it */
  stdin: boolean;
  /** a detached container's monitor reads and writes the container's stdio through pipes */
  pipe?: boolean;
  /** exec -d: the helper outlives tsdocker, so it gets none of our stdio */
  detach?: boolean;
}

export function spawnHelper(io: HelperStdio): Helper {
  const file = helperPath();
  if (!pathExists(file)) {
    throw new TsdockerError(`runtime helper ${file} is missing: run \`npm install\` (or \`make -C native\`)`, { path: file });
  }
  return new Helper(file, io);
}

/** The running helper: its pid, fd 3 to write, fd 4 to read, and with stdio 'pipe' its stdio. */
export class Helper {
  /** with `pipe`: the helper's stdin (with -i), stdout and stderr, which relay the container's */
  readonly stdin?: Socket;
  readonly stdout?: Socket;
  readonly stderr?: Socket;
  /** our end of its fd 3, -1 once closed */
  private toHelper: number;
  /** our end of its fd 4, -1 once closed */
  private fromHelper: number;
  private status?: WaitStatus;
  /** what must end before onClose: fd 4 (then the helper is reaped), and stdout and stderr */
  private open = 1;
  private onClose?: (status: WaitStatus) => void;
  /** The spawn, on a thread of the addon until started() (startSpawn: Node does not wait in
   *  posix_spawn for the helper's execve), and the descriptors only the helper needs, which stay
   *  open until then. */
  private spawning?: SpawnJob;
  private helperEnds: number[] = [];
  private pid = 0;

  constructor(private readonly file: string, io: HelperStdio) {
    const made: number[] = []; // every descriptor made here: the helper's ends are closed once it is spawned
    const pair = (): [number, number] => {
      const p = pipe();
      made.push(...p);
      return p;
    };
    let devnull = -1;
    const nul = (): number => {
      if (devnull < 0) made.push(devnull = fs.openSync('/dev/null', 'r+'));
      return devnull;
    };
    let keep: number[] = [];
    try {
      const [toRead, toWrite] = pair();
      const [fromRead, fromWrite] = pair();
      let stdio: number[];
      let pipes: [number, number][] = [];
      if (io.detach) {
        stdio = [nul(), nul(), nul()];
      } else if (io.pipe) {
        pipes = [io.stdin ? pair() : [-1, -1], pair(), pair()];
        stdio = [io.stdin ? pipes[0][0] : nul(), pipes[1][1], pipes[2][1]];
      } else {
        // The foreground run: the helper relays our own stdio.
        stdio = [io.stdin ? 0 : nul(), 1, 2];
      }
      keep = [toWrite, fromRead];
      if (io.pipe) {
        const { Socket } = require('node:net') as typeof import('node:net');
        keep.push(...pipes.map((p, i) => i === 0 ? p[1] : p[0]).filter((fd) => fd >= 0));
        if (io.stdin) this.stdin = new Socket({ fd: pipes[0][1], readable: false, writable: true });
        this.stdout = new Socket({ fd: pipes[1][0], readable: true, writable: false });
        this.stderr = new Socket({ fd: pipes[2][0], readable: true, writable: false });
        for (const s of [this.stdout, this.stderr]) {
          this.open++;
          s.on('close', () => this.closed());
        }
      }
      // Its own session: a ^C typed at the terminal reaches Node alone, which forwards it once
      // (session.ts); otherwise the container would get SIGINT twice, from the terminal and from us.
      // The helper passes none of its environment to the container; it only needs to know --trace.
      this.spawning = startSpawn(file, [file], [`TSDOCKER_TRACE=${tracing() ? '1' : '0'}`],
        [...stdio, toRead, fromWrite], { newSession: true });
      this.toHelper = toWrite;
      this.fromHelper = fromRead;
      this.helperEnds = made.filter((fd) => !keep.includes(fd));
    } catch (err) {
      for (const fd of made) fs.closeSync(fd);
      throw wrap(err, 'start runtime helper');
    }
  }

  /** The helper's pid once its spawn has finished; then the descriptors only it needed are
   *  closed. A spawn that failed (the helper missing its execute bit) is thrown from here. */
  private started(): number {
    const job = this.spawning;
    if (!job) return this.pid;
    this.spawning = undefined;
    const ends = this.helperEnds;
    this.helperEnds = [];
    try {
      this.pid = finishSpawn(job, this.file);
    } catch (err) {
      for (const fd of [this.toHelper, this.fromHelper]) if (fd >= 0) fs.closeSync(fd);
      this.toHelper = this.fromHelper = -1;
      for (const s of [this.stdin, this.stdout, this.stderr]) s?.destroy();
      throw wrap(err, 'start runtime helper');
    } finally {
      for (const fd of ends) fs.closeSync(fd);
    }
    return this.pid;
  }

  /** started() for the paths that end the helper: 0 when it never started. */
  private startedPid(): number {
    try {
      return this.started();
    } catch {
      return 0;
    }
  }

  /** Write to the helper's fd 3. A helper that has died shows as its exit without a status, so
   *  a failed write (EPIPE) is not the error to report. */
  write(data: Buffer): void {
    this.started();
    if (this.toHelper < 0) return;
    try {
      writeFd(this.toHelper, data); // all of it: the addon writes again after a short write
    } catch {
      // EPIPE: the helper is gone, and its exit is the news
    }
  }

  /** Close fd 3: before GO, the helper kills the child it made; later, it learns Node has gone. */
  closeInput(): void {
    if (this.toHelper < 0) return;
    fs.closeSync(this.toHelper);
    this.toHelper = -1;
  }

  /** Read fd 4 until the helper exits; then reap it. onClose gets its status once stdout and
   *  stderr (with `pipe`) are closed too, as child_process's 'close'.
   *  The first read is made at once, blocking: the helper answers its configuration within a few
   *  milliseconds (the PID after one clone(2), or an ERROR), before the child needs GO. On the
   *  event loop, Node would first run what V8 queued meanwhile: in a `run`, a young-generation GC
   *  (~2.5 ms here) that now runs later, while the child makes its root filesystem (about 3 ms
   *  less per `run --rm --network none`, measured). A signal to tsdocker waits for that read. */
  read(onData: (chunk: Uint8Array) => void, onClose: (status: WaitStatus) => void): void {
    this.started();
    this.onClose = onClose;
    const first = this.readNow();
    if (first) onData(first);
    if (this.fromHelper < 0) return; // released by onData (exec -d)
    readStart(this.fromHelper, onData, (err) => {
      if (err) this.kill('SIGKILL'); // a pipe that fails is not one to wait on
      this.reap();
    });
  }

  /** One blocking read(2) of fd 4: what the helper has sent, or undefined at end of file (or
   *  if the read fails: the event loop's reader then meets the same). */
  private readNow(): Uint8Array | undefined {
    const buf = new Uint8Array(4096);
    try {
      const n = fs.readSync(this.fromHelper, buf, 0, buf.length, null);
      return n > 0 ? buf.subarray(0, n) : undefined;
    } catch {
      return undefined;
    }
  }

  /** kill(2); nothing once the helper has been reaped, when its pid may be another process's. */
  kill(signal: NodeJS.Signals): void {
    const pid = this.startedPid();
    if (this.status || pid === 0) return;
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: it has exited and we will reap it
    }
  }

  /** exec -d: the helper runs on alone. We stop reading and close our ends; it is not reaped
   *  here: init adopts it once tsdocker has exited. */
  release(): void {
    if (this.fromHelper >= 0) {
      readStop(this.fromHelper);
      fs.closeSync(this.fromHelper);
      this.fromHelper = -1;
    }
    this.closeInput();
  }

  /** Before the conversation (making the cgroup failed): kill the helper and reap it now. A child
   *  it cloned waits for GO: it sees its sync descriptor close and exits without running anything. */
  abort(): void {
    this.kill('SIGKILL');
    if (this.fromHelper >= 0) readStop(this.fromHelper);
    this.reap();
  }

  /** fd 4 ended (or failed, or abort): the helper has exited, is exiting or was killed, so
   *  waitpid does not wait long. */
  private reap(): void {
    if (this.fromHelper >= 0) {
      fs.closeSync(this.fromHelper);
      this.fromHelper = -1;
    }
    const pid = this.startedPid();
    if (!this.status) {
      try {
        this.status = pid === 0 ? { code: null, signal: null } : waitpid(pid)!;
      } catch {
        this.status = { code: null, signal: null }; // ECHILD: reaped by someone else, status unknown
      }
    }
    // As child_process does at exit: fd 3 is closed, stdin destroyed, and unread output drained,
    // so that stdout and stderr reach their end.
    this.closeInput();
    this.stdin?.destroy();
    for (const s of [this.stdout, this.stderr]) if (s && s.readableFlowing === null) s.resume();
    this.closed();
  }

  private closed(): void {
    if (--this.open === 0) this.onClose?.(this.status!);
  }
}
