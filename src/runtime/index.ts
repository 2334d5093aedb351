// The runtime: an OCI bundle (config.json + a mounted rootfs) becomes a running process.
//
//   config.json --validate.ts--> RuntimeSpec --translate.ts--> protocol messages (protocol.ts)
//        --fd 3--> native/tsdocker-runtime: [0:monitor] clones [1:init] into new namespaces
//        <--fd 4-- PID: Node puts the child in its cgroup (cgroups/), then sends GO
//        <--fd 4-- STARTED or ERROR, then EXIT
//
// Node never calls clone, setns, mount or pivot_root itself: it runs several threads, and those
// calls need a single-threaded process (docs/runtime.md).
import * as path from 'node:path';
import { TsdockerError, errnoError, errnoName, strerror, wrap, EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND } from '../errors';
import { readText } from '../sys/libc';
import { trace } from '../trace';
import { createCgroup, type Cgroup, type LinuxResources as CgroupResources } from './cgroups';
import { spawnHelper, type Helper } from './helper';
import { MessageType, type ErrorMsg, type InterfaceMsg, type ToHelper } from './protocol';
import { converse, sendConfiguration } from './session';
import type { RuntimeSpec } from './spec';
import { translate } from './translate';
import { validateSpec } from './validate';

export type { RuntimeSpec } from './spec';
export { validateSpec } from './validate';

export interface StartOptions {
  /** directory holding config.json */
  bundle: string;
  /** container id: names the cgroup (tsdocker/<id>) */
  id: string;
  /** -i: relay our stdin to the container; -t comes from config.json process.terminal */
  stdin: boolean;
  /** 'inherit' (foreground run): the helper relays to tsdocker's own stdin/stdout/stderr;
   *  'pipe' (a detached container's monitor): to pipes that onSpawn receives */
  stdio?: 'inherit' | 'pipe';
  /** with stdio 'pipe': the helper process, whose stdin/stdout/stderr are the container's */
  onSpawn?: (helper: Helper) => void;
  /** a helper from startHelper (stdio 'inherit', the same `stdin`), started while the engine made
   *  the container; without it runBundle starts one */
  helper?: Helper;
  /** called with the container's first process's host pid, once its command runs */
  onStart?: (hostPid: number) => void;
  /** called with the child's host pid once it is in its cgroup and released, while it makes its
   *  root filesystem, and before it runs the command: the engine gives its network namespace a
   *  network here (src/network/attach.ts), and returns the interfaces it put in, which the helper
   *  configures from inside. Throwing aborts: the command never runs. */
  beforeStart?: (hostPid: number) => NetworkInterface[] | void;
}

/** An interface in the container's network namespace, for the helper to configure (INTERFACE). */
export type NetworkInterface = Omit<InterfaceMsg, 'type'>;

export interface ExitStatus {
  exitCode: number;
  /** set when the container's first process was killed by this signal (exitCode is 128+signal) */
  signal?: number;
  oomKilled: boolean;
}

export function readSpec(bundle: string): RuntimeSpec {
  const file = path.join(bundle, 'config.json');
  try {
    const text = readText(file);
    if (text === undefined) throw errnoError('open', 2, file);
    return JSON.parse(text) as RuntimeSpec;
  } catch (err) {
    throw wrap(err, `read runtime spec ${file}`);
  }
}

/**
 * Start the runtime helper before its bundle exists, for a foreground `run` (stdio 'inherit'); it
 * waits for its configuration on fd 3 (runBundle's `helper`). Its start-up, two execs with the
 * sealed copy between (native/main.c), then runs while the engine finds the image and makes the
 * container. And posix_spawn is quick while V8 is still idle: later in a run, V8's background
 * threads are compiling hot functions, and the vfork child, which must reach execve before Node
 * goes on, waited its turn for a CPU behind them (5 to 7 ms measured here, against about 1).
 * A helper that is not needed after all is stopped with abort().
 */
export function startHelper(stdin: boolean): Helper {
  return spawnHelper({ stdin });
}

/** Runs the bundle's process and resolves when it has exited; rejects if it could not start. */
export async function runBundle(opts: StartOptions): Promise<ExitStatus> {
  let spec: RuntimeSpec;
  let messages: ToHelper[];
  try {
    spec = readSpec(opts.bundle);
    validateSpec(spec);
    messages = translate(spec, { bundle: path.resolve(opts.bundle), stdin: opts.stdin });
  } catch (err) {
    opts.helper?.abort();
    throw err;
  }
  // The helper gets its configuration at once: its start-up and the clone into new namespaces
  // run while Node makes the cgroup. The child then makes its mounts, and waits for GO, which Node
  // sends only once the child is in the cgroup (supervise), before anything else.
  const helper = opts.helper ?? spawnHelper({ stdin: opts.stdin, pipe: opts.stdio === 'pipe' });
  opts.onSpawn?.(helper);
  sendConfiguration(helper, messages);
  let cgroup: Cgroup;
  try {
    // validateSpec has checked what the cgroups module's narrower types require (device rule types).
    cgroup = createCgroup(opts.id, spec.linux?.resources as CgroupResources | undefined);
  } catch (err) {
    // Killed, the helper leaves its child waiting for a GO that never comes: the child sees its
    // sync descriptor close and exits without running anything. The cgroup's error is the one to report.
    helper.abort();
    throw err;
  }
  try {
    return await supervise(opts, helper, cgroup);
  } finally {
    cgroup.remove();
  }
}

async function supervise(opts: StartOptions, helper: Helper, cgroup: Cgroup): Promise<ExitStatus> {
  const exit = await converse(helper, {
    onPid(pid) {
      trace('runtime', `container process is host pid ${pid}; add it to its cgroup, then release it`);
      try {
        cgroup.addProcess(pid);
      } catch (err) {
        throw wrap(err, `add pid ${pid} to cgroup`);
      }
    },
    // The network is made while the child, released, finishes its root filesystem; the child
    // waits for NETWORK only before it drops its capabilities (native/child.c).
    afterGo(pid) {
      let interfaces: NetworkInterface[];
      try {
        interfaces = opts.beforeStart?.(pid) ?? [];
      } catch (err) {
        throw err instanceof TsdockerError ? err : wrap(err, 'before start');
      }
      return [...interfaces.map((i): InterfaceMsg => ({ type: MessageType.Interface, ...i })), { type: MessageType.Network }];
    },
    onStarted(pid) {
      trace('runtime', `container ${opts.id} started`);
      opts.onStart?.(pid);
    },
    toError: helperError,
  });
  try {
    return { exitCode: exit!.code, signal: exit!.signal || undefined, oomKilled: cgroup.oomKilled() };
  } catch (err) {
    throw wrap(err, 'read cgroup OOM status');
  }
}

/** A failure inside the container, as one line; Docker's exit codes for a command that cannot run. */
export function helperError(m: ErrorMsg): TsdockerError {
  const code = errnoName(m.errno);
  if (m.stage === 'lookup') {
    return new TsdockerError(m.message, { code, errno: m.errno, exitCode: EXIT_NOT_FOUND });
  }
  if (m.stage === 'exec') {
    return new TsdockerError(`${m.message}: ${strerror(m.errno)}`, {
      code, errno: m.errno, exitCode: m.errno === 2 ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE,
    });
  }
  return errnoError(`container setup: ${m.message}`, m.errno);
}
