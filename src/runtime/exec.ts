// `exec` in the runtime: a new process in a running container, through the helper's join mode
// (native/join.c). Nothing is built: the container's own process already made its namespaces and
// root, so the helper joins them (setns(2), namespaces(7)) by the paths /proc/<pid>/ns/<type>.
//
//   Node                                  [0:monitor] (host)             [1:join]
//    |--- NAMESPACE /proc/<pid>/ns/..., ->|  open every ns file,           |
//    |    JOIN <pid>, ARG, ENV, CWD, ... |  setns(pid), clone ----------->|  (in the container's
//    |<-- PID <host pid> ----------------|                                |   pid namespace)
//   the container's process is still the one we recorded? then cgroup.addProcess(pid)
//    |--- GO --------------------------->|--- GO ------------------------>|  setns cgroup, ipc, uts,
//    |                                   |                                |  net, mnt; "/" checked
//    |<-- STARTED or ERROR, then EXIT ---|<-- EOF on execve, or ERROR ----|  user, caps, cwd, execve
//
// The same helper binary runs from its sealed memfd copy (native/main.c), so a process in the
// container that finds /proc/<pid>/exe of [1:join] cannot overwrite it (CVE-2019-5736).
import { EXIT_CANNOT_INVOKE, TsdockerError, errnoError, errnoName, wrap } from '../errors';
import { trace } from '../trace';
import { loadCgroup } from './cgroups';
import { spawnHelper } from './helper';
import { helperError, type ExitStatus, type NetworkInterface } from './index';
import { MessageType, type InterfaceMsg, type ToHelper } from './protocol';
import { converse, sendConfiguration } from './session';
import type { Process, RuntimeSpec } from './spec';
import { NAMESPACE_FLAGS } from './namespaces';
import { seccompMessages } from './seccomp';
import { processMessages } from './translate';

/** The names of the files under /proc/<pid>/ns (namespaces(7)) for the spec's namespace types. */
const PROC_NS: Record<string, string> = {
  cgroup: 'cgroup', ipc: 'ipc', mount: 'mnt', network: 'net', pid: 'pid', uts: 'uts',
};

export interface JoinOptions {
  /** container id: its cgroup is tsdocker/<id> */
  id: string;
  /** host pid of the container's process, whose namespaces and root the new process joins */
  pid: number;
  /** the container's runtime spec (config.json): which namespaces it has of its own */
  spec: RuntimeSpec;
  /** the new process: args, env, cwd, user, capabilities, terminal */
  process: Process;
  /** -i: relay our stdin */
  stdin: boolean;
  /** -d: resolve as soon as the command runs, and let it run on without us */
  detach: boolean;
  /** is the container's process still the one recorded? Checked after the helper has opened the
   *  namespace files, so that a pid reused meanwhile cannot take us elsewhere */
  stillRunning: () => boolean;
  /** the host pid of the new process, once its command runs */
  onStart?: (hostPid: number) => void;
}

/** The messages for the helper's join mode. The container's namespaces only: with --network host
 *  there is no network entry, and the process stays in the host's network as the container does. */
export function joinMessages(opts: Pick<JoinOptions, 'pid' | 'spec' | 'process' | 'stdin' | 'detach'>): ToHelper[] {
  const out: ToHelper[] = [];
  for (const ns of opts.spec.linux?.namespaces ?? []) {
    const name = PROC_NS[ns.type];
    if (!name) throw new TsdockerError(`exec: cannot join a namespace of type "${ns.type}"`);
    out.push({ type: MessageType.Namespace, flag: NAMESPACE_FLAGS[ns.type], path: `/proc/${opts.pid}/ns/${name}` });
  }
  out.push({ type: MessageType.Join, pid: opts.pid, detach: opts.detach });
  // The container's filter, as runc applies the container's seccomp config to an exec'd process.
  out.push(...seccompMessages(opts.spec.linux?.seccomp));
  out.push(...processMessages(opts.process, { stdin: opts.stdin, init: false }));
  return out;
}

/** Runs the process in the container; resolves with its exit status (with -d: 0 once it runs). */
export async function joinContainer(opts: JoinOptions): Promise<ExitStatus> {
  const messages = joinMessages(opts);
  const cgroup = loadCgroup(opts.id);
  if (!cgroup) throw new TsdockerError(`container ${opts.id} has no cgroup: is it running?`);
  const helper = spawnHelper({ stdin: opts.stdin, detach: opts.detach });
  sendConfiguration(helper, messages);
  const exit = await converse(helper, {
    onPid(pid) {
      trace('runtime', `exec process is host pid ${pid}; add it to the container's cgroup, then release it`);
      if (!opts.stillRunning()) throw new TsdockerError(`container ${opts.id} is not running`);
      try {
        cgroup.addProcess(pid);
      } catch (err) {
        throw wrap(err, `add pid ${pid} to cgroup`);
      }
    },
    onStarted(pid) {
      trace('runtime', `exec in container ${opts.id} started`);
      opts.onStart?.(pid);
      // With -d the monitor ignores our going away (JOIN detach): it waits for the command alone,
      // reparented to init when we exit.
      return opts.detach;
    },
    // Like `docker exec` ("OCI runtime exec failed"): a process that could not be set up in the
    // container is 126, as one that cannot be executed.
    toError: (m) => m.stage === 'setup'
      ? new TsdockerError(`exec failed: ${errnoError(m.message, m.errno).message}`,
        { code: errnoName(m.errno), errno: m.errno, exitCode: EXIT_CANNOT_INVOKE })
      : helperError(m),
  });
  if (!exit) return { exitCode: 0, oomKilled: false };
  return { exitCode: exit.code, signal: exit.signal || undefined, oomKilled: false };
}

/** `network connect` of a running container: the helper's join mode without a command. It joins
 *  only the container's network namespace (`netns`, the file of its process `pid`'s), configures
 *  the interfaces Node has just moved there, and exits; nothing runs in the container. */
export async function configureInterfaces(pid: number, netns: string, interfaces: NetworkInterface[]): Promise<void> {
  const messages: ToHelper[] = [
    { type: MessageType.Namespace, flag: NAMESPACE_FLAGS.network, path: netns },
    { type: MessageType.Join, pid, detach: false },
    ...interfaces.map((i): InterfaceMsg => ({ type: MessageType.Interface, ...i })),
    { type: MessageType.End },
  ];
  const helper = spawnHelper({ stdin: false, detach: true }); // none of our stdio: it prints nothing
  sendConfiguration(helper, messages);
  const what = `configure ${interfaces.map((i) => i.name).join(', ')} in the container's network namespace`;
  const exit = await converse(helper, {
    onPid: () => undefined,
    toError: (m) => errnoError(`${what}: ${m.message}`, m.errno),
  });
  if (exit?.code !== 0) throw new TsdockerError(`${what}: the runtime helper exited with status ${exit?.code}`);
}
