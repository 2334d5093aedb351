// The monitor of a detached container (`run -d`, `start`): podman's conmon, in Node. tsdocker has
// no daemon, so each detached container gets one process of its own, named
// `tsdocker:[monitor] <id>` (see it with `ps -ef --forest`), that outlives the command that
// started it:
//
//   tsdocker run -d ──spawn (own session)──▶ tsdocker:[monitor] <id>      writes state.json, the log
//        ◀── fd 3: {"started":pid} ────────────  └─ tsdocker:[0:monitor]   the native helper
//   prints the id, exits                            └─ tsdocker:[1:init]  the container
//
// It runs the bundle through the same runtime as a foreground `run` (src/runtime), with the
// container's stdio on pipes: it writes every line to <id>-json.log (jsonlog.ts), passes output to
// and input from `attach` clients (attach-server.ts), records how the process ended (exit code,
// OOMKilled from the cgroup, FinishedAt), starts it again if its --restart policy says so, and at
// the end unmounts the rootfs (the runtime has removed the cgroup) or, with --rm, removes it all.
//
// Why Node and not the C helper: putting the process in its cgroup, reading OOM kills, the record
// format and the cleanup all live in TypeScript already, and a restart needs all of them again.
// The cost is memory (a Node process per container); the C helper stays single-purpose.
//
// If this process is killed, the helper sees fd 3 close and kills the container, and the next
// tsdocker command finds the monitor gone and reconciles the record (state.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isoTime } from '../clock';
import { TsdockerError } from '../errors';
import type { Helper } from '../runtime/helper';
import { trace } from '../trace';
import { AttachServer } from './attach-server';
import { destroyContainer } from './cleanup';
import { formatEntry, LineSplitter, logPath, type LogEntry } from './jsonlog';
import { clearStopped, MANUAL_STOP_FILE, stoppedByUser } from './manual-stop';
import { attachNetwork, detachNetwork } from './network';
import { containerDir, readRecord, writeRecord } from './record';
import { nextDelay, shouldRestart } from './restart-policy';
import { mountRootfs, rootfsPaths, unmountRootfs } from './rootfs';
import { isAlive, isMountPoint, processStartTime } from './state';
import { Frame } from './stdcopy';
import type { ContainerRecord } from './types';

/** What the monitor tells the command that started it, one JSON object per line on fd 3. */
export type Report =
  | { listening: true }
  | { started: number }
  | { error: string; exitCode: number };

export const REPORT_FD = 3;
const LOCK = 'monitor.pid';

export interface MonitorOptions {
  /** `start -a`: start the process only once the first attach client is connected */
  waitForAttach: boolean;
}

export async function runMonitor(id: string, root: string, opts: MonitorOptions): Promise<void> {
  process.title = `tsdocker:[monitor] ${id}`;
  const dir = containerDir(id, root);
  // Relative paths from here on keep the attach socket's address short (attach-server.ts).
  process.chdir(dir);
  let reported = false;
  const report = (r: Report): void => {
    if (reported) return;
    try {
      fs.writeSync(REPORT_FD, JSON.stringify(r) + '\n');
    } catch {
      // The starting command is gone (killed): the container runs on regardless.
    }
    if (!('listening' in r)) {
      reported = true;
      fs.closeSync(REPORT_FD);
    }
  };

  const rec = readRecord(id, root);
  if (!rec) return report({ error: `no such container: ${id}`, exitCode: 125 });
  if (!takeLock()) return report({ error: `container ${id.slice(0, 12)} already has a monitor`, exitCode: 125 });
  rec.Monitor = { Pid: process.pid, StartTime: processStartTime(process.pid) };
  clearStopped(dir);
  if (!writeRecord(rec, root)) return releaseLock();

  const m = new Monitor(rec, root, dir, report);
  try {
    await m.run(opts);
  } catch (err) {
    // Whatever went wrong is kept in the record, where `inspect` shows it: nobody reads our stderr.
    const wasUp = rec.State.Status === 'running' || rec.State.Status === 'restarting';
    rec.State = { ...rec.State, Status: wasUp ? 'exited' : rec.State.Status, Running: false, Pid: 0,
      Error: err instanceof Error ? err.message : String(err) };
    report({ error: rec.State.Error, exitCode: err instanceof TsdockerError ? err.exitCode : 125 });
  } finally {
    m.finish();
  }
}

/** monitor.pid, created with O_EXCL: one monitor per container even when two `start`s race. A file
 *  left by a monitor that was killed (its pid gone or reused) is taken over. */
function takeLock(): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(LOCK, `${process.pid} ${processStartTime(process.pid)}\n`, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const [pid, start] = fs.readFileSync(LOCK, 'utf8').trim().split(' ').map(Number);
    if (isAlive(pid, Number.isNaN(start) ? undefined : start)) return false;
    fs.rmSync(LOCK, { force: true });
  }
  return false;
}

function releaseLock(): void {
  fs.rmSync(LOCK, { force: true });
}

class Monitor {
  private readonly attach: AttachServer;
  private readonly log: number;
  private helper?: Helper;
  private removed = false;

  constructor(private readonly rec: ContainerRecord, private readonly root: string, private readonly dir: string,
    private readonly report: (r: Report) => void) {
    this.attach = new AttachServer(() => {
      // Docker's StdinOnce: the container's stdin closes when the attached client's does.
      if (this.rec.Config.StdinOnce) this.helper?.stdin?.end();
    });
    this.log = fs.openSync(logPath('.', rec.Id), 'a', 0o600);
  }

  async run(opts: MonitorOptions): Promise<void> {
    await this.attach.listen();
    if (opts.waitForAttach) {
      this.report({ listening: true });
      await this.attach.waitForClient();
    }
    let delay = 0;
    for (let first = true; ; first = false) {
      const started = Date.now();
      const code = await this.runOnce(first);
      if (code === undefined || this.removed) return;
      const restartCount = this.rec.RestartCount ?? 0;
      if (!shouldRestart(this.rec.HostConfig.RestartPolicy, code, restartCount, stoppedByUser(this.dir))) return;
      delay = nextDelay(delay, Date.now() - started);
      this.rec.State = { ...this.rec.State, Status: 'restarting', Running: true };
      if (!this.save()) return;
      trace('monitor', `restart policy ${this.rec.HostConfig.RestartPolicy?.Name}: start again in ${delay} ms`);
      if (await this.stoppedDuring(delay)) {
        this.rec.State = { ...this.rec.State, Status: 'exited', Running: false };
        this.save();
        return;
      }
      this.rec.RestartCount = restartCount + 1;
    }
  }

  /** One run of the container's process; its exit code, or undefined when it could not start the
   *  first time (reported to the starting command, which then fails as `run` would). */
  private async runOnce(first: boolean): Promise<number | undefined> {
    const { runBundle } = require('../runtime') as typeof import('../runtime');
    this.mount();
    let started = false;
    let code: number;
    let oomKilled = false;
    let error = '';
    try {
      const status = await runBundle({
        bundle: this.dir, id: this.rec.Id, stdin: this.rec.Config.OpenStdin, stdio: 'pipe',
        onSpawn: (helper) => this.connect(helper),
        beforeStart: (pid) => attachNetwork(this.rec, pid, this.root),
        onStart: (pid) => {
          started = true;
          this.rec.State = { ...this.rec.State, Status: 'running', Running: true, Pid: pid,
            PidStartTime: processStartTime(pid), ExitCode: 0, Error: '', OOMKilled: false, StartedAt: isoTime() };
          this.save();
          this.report({ started: pid });
        },
      });
      code = status.exitCode;
      oomKilled = status.oomKilled;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      // Once started, only the helper's own death ends a run this way, and its child dies with it
      // by PR_SET_PDEATHSIG's SIGKILL (native/child.c): 128+9, as for any killed container.
      code = started ? 128 + 9 : err instanceof TsdockerError ? err.exitCode : 125;
      if (!started && first) {
        this.rec.State = { ...this.rec.State, Status: 'created', Running: false, Pid: 0, ExitCode: code, Error: error };
        this.save();
        this.report({ error, exitCode: code });
        this.attach.exited(code);
        return undefined;
      }
    } finally {
      // The network goes with the process; a restart gets a new one, as in Docker. So does the
      // rootfs mount (a restart mounts it again): before the record says "exited", so that a
      // `stop`, which returns once it does, finds the container unmounted.
      try {
        detachNetwork(this.rec, this.root);
      } catch (err) {
        trace('monitor', `network of ${this.rec.Id.slice(0, 12)}: ${(err as Error).message}`);
      }
      try {
        unmountRootfs(this.dir);
      } catch (err) {
        trace('monitor', `rootfs of ${this.rec.Id.slice(0, 12)}: ${(err as Error).message}`);
      }
    }
    this.helper = undefined;
    this.attach.stdin = undefined;
    trace('monitor', `container ${this.rec.Id.slice(0, 12)} exited with ${code}`);
    this.rec.State = { ...this.rec.State, Status: 'exited', Running: false, Pid: 0, ExitCode: code,
      OOMKilled: oomKilled, Error: error, FinishedAt: isoTime() };
    this.save();
    this.attach.exited(code);
    return code;
  }

  /** The helper's stdout and stderr are the container's: into the log and to attached clients. */
  private connect(helper: Helper): void {
    this.helper = helper;
    this.attach.stdin = helper.stdin ?? undefined;
    helper.stdin?.on('error', () => {}); // the container closed its stdin: input is dropped
    const write = (e: LogEntry) => fs.writeSync(this.log, formatEntry(e));
    const streams = [[helper.stdout, 'stdout', Frame.Stdout], [helper.stderr, 'stderr', Frame.Stderr]] as const;
    for (const [stream, name, kind] of streams) {
      const lines = new LineSplitter(name, write);
      stream?.on('data', (chunk: Buffer) => {
        lines.push(chunk);
        this.attach.send(kind, chunk);
      });
      stream?.on('end', () => lines.end());
    }
  }

  /** `start` after an exit: the rootfs was unmounted; mount it again on the same upper dir. */
  private mount(): void {
    if (isMountPoint(rootfsPaths(this.dir).rootfs)) return;
    const { ImageStore } = require('../image/store') as typeof import('../image/store');
    const store = new ImageStore(this.root);
    const image = store.getImage(this.rec.Image);
    if (!image) throw new TsdockerError(`container ${this.rec.Id.slice(0, 12)}: its image ${this.rec.Image} is gone`);
    mountRootfs(this.dir, store, image, this.rec.HostConfig.AutoRemove);
  }

  /** Wait out the restart delay; true if `stop`, `kill` or `rm -f` came meanwhile. */
  private stoppedDuring(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (stopped: boolean) => {
        clearTimeout(timer);
        watcher.close();
        resolve(stopped);
      };
      const timer = setTimeout(() => done(stoppedByUser(this.dir)), ms);
      const watcher = fs.watch('.', (_event, file) => {
        if (file === MANUAL_STOP_FILE || !fs.existsSync('state.json')) done(true);
      });
    });
  }

  /** Write the record; false when the container was removed meanwhile (`rm -f`). */
  private save(): boolean {
    if (!writeRecord(this.rec, this.root)) this.removed = true;
    return !this.removed;
  }

  /** The end: nothing of ours stays mounted or open. */
  finish(): void {
    this.attach.close();
    fs.closeSync(this.log);
    process.chdir('/');
    if (this.removed) return;
    try {
      if (this.rec.HostConfig.AutoRemove) {
        destroyContainer(this.rec, { volumes: true }, this.root);
        return;
      }
      unmountRootfs(this.dir);
    } catch (err) {
      this.rec.State.Error ||= err instanceof Error ? err.message : String(err);
    }
    // Cleared last: until the record says we are gone, no other command cleans up behind us.
    delete this.rec.Monitor;
    if (this.rec.State.Status === 'restarting') this.rec.State = { ...this.rec.State, Status: 'exited', Running: false };
    writeRecord(this.rec, this.root);
    fs.rmSync(path.join(this.dir, LOCK), { force: true });
  }
}
