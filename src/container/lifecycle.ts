// A container's life, with nothing left behind on any error path:
//
//   createContainer   check flags -> reserve name -> record (state.json) -> overlay rootfs ->
//                     resolve user (container's /etc/passwd) -> workdir, volumes, /etc files ->
//                     config.json (the OCI bundle is complete)
//   startForeground   runtime runs the bundle; the record says Running with the host pid, then
//                     Exited with the status; the rootfs is unmounted; --rm removes everything
//   removeContainer   refuses a running container unless forced (then SIGKILL), then cleanup.ts
//
// Each step that creates something pushes its undo onto a stack (undo.ts), run in reverse on error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isoTime } from '../clock';
import { TsdockerError, wrap } from '../errors';
import { childPath, makeDirectories } from '../fsutil';
import type { ImageRecord, ImageStore } from '../image/store';
import { stateRoot } from '../root';
import type { Helper } from '../runtime/helper';
import { O_CREAT, O_TRUNC, O_WRONLY, makeDirectory, windowSize, writeText } from '../sys/libc';
import { trace } from '../trace';
import { ownBoundingSet } from './caps';
import { destroyContainer, killContainer } from './cleanup';
import { getContainer } from './list';
import { attachNetwork, detachNetwork, initialNetworkSettings, planNetwork } from './network';
import { markStopped, waitForMonitorExit } from './manual-stop';
import { validateName, uniqueRandomName } from './names';
import { createConfig, RunOptions } from './options';
import { containerDir, containersDir, newContainerId, releaseName, reserveName, takenNames, writeRecord } from './record';
import { mkdirInRoot } from './rootpath';
import { hostHostname, mountRootfs, unmountRootfs, writeEtcFiles } from './rootfs';
import { buildSpec } from './spec';
import { isMountPoint, processStartTime } from './state';
import { thermalThrottlePaths } from './defaults';
import { ContainerRecord, ZERO_TIME } from './types';
import { Undo } from './undo';
import { resolveUser } from './user';
import { createVolume, removeVolume } from './volumes';

export function createContainer(opts: RunOptions, image: ImageRecord, store: ImageStore, root = stateRoot()): ContainerRecord {
  const id = newContainerId();
  // Every flag is checked before anything exists on disk.
  const cfg = createConfig(opts, image.config, id, process.env, hostHostname());
  const name = opts.name !== undefined ? validateName(opts.name) : uniqueRandomName(takenNames(root));
  const netPlan = planNetwork(cfg.HostConfig, root);

  const undo = new Undo();
  try {
    const dir = containerDir(id, root);
    makeDirectories(containersDir(root), 0o700);
    if (!makeDirectory(dir, 0o700)) throw new TsdockerError(`container directory ${dir} exists already`);
    undo.push(`remove ${dir}`, () => {
      if (!isMountPoint(path.join(dir, 'rootfs'))) fs.rmSync(dir, { recursive: true, force: true });
    });
    reserveName(name, id, root);
    undo.push(`release name ${name}`, () => releaseName(name, id, root));

    const rec: ContainerRecord = {
      Id: id, Name: name, Created: isoTime(), Image: image.id,
      Path: cfg.Path, Args: cfg.Args, Config: cfg.Config, HostConfig: cfg.HostConfig, Mounts: cfg.Mounts,
      NetworkSettings: initialNetworkSettings(cfg.HostConfig.NetworkMode),
      State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '',
        StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
      Monitor: { Pid: process.pid, StartTime: processStartTime(process.pid) },
    };
    writeRecord(rec, root);

    const { rootfs } = mountRootfs(dir, store, image, rec.HostConfig.AutoRemove);
    undo.push(`unmount ${rootfs}`, () => unmountRootfs(dir));

    const user = resolveUser(rootfs, rec.Config.User);
    // Docker creates a missing working directory (owned by root) before the process starts.
    if (rec.Config.WorkingDir) mkdirInRoot(rootfs, rec.Config.WorkingDir);

    let volumesMade = false;
    for (const m of rec.Mounts) {
      if (m.Type === 'bind') {
        // -v creates a missing host directory, as Docker's -v (not --mount) does.
        if (!fs.existsSync(m.Source)) fs.mkdirSync(m.Source, { recursive: true, mode: 0o755 });
      } else if (m.Type === 'volume' && m.Name) {
        const volumeName = m.Name;
        m.Source = createVolume(volumeName, { anonymous: m.Anonymous }, root).Mountpoint;
        volumesMade = true;
        if (m.Anonymous) undo.push(`remove volume ${volumeName}`, () => removeVolume(volumeName, [], root));
      }
    }

    const etcFiles = writeEtcFiles(dir, rec.Config.Hostname, rec.HostConfig.NetworkMode,
      { dns: rec.HostConfig.Dns ?? [], extraHosts: rec.HostConfig.ExtraHosts ?? [] });
    if (netPlan.hosts && netPlan.resolvConf) Object.assign(etcFiles, { hosts: netPlan.hosts, resolvConf: netPlan.resolvConf });
    const spec = buildSpec({
      id, path: rec.Path, args: rec.Args, config: rec.Config, hostConfig: rec.HostConfig, mounts: rec.Mounts,
      user, etcFiles, rootfs: 'rootfs', consoleSize: rec.Config.Tty ? consoleSize() : undefined, extraMasked: thermalThrottlePaths(),
      availableCaps: ownBoundingSet(), joinNetns: netPlan.joinNetns,
    });
    // No validateSpec here: the flags were checked above (createConfig), and the runtime checks
    // config.json where it reads it, before it makes anything (runBundle). Checking it twice cost
    // each run ~0.6 ms of cold JavaScript.
    writeText(childPath(dir, 'config.json'), JSON.stringify(spec, null, 2) + '\n', O_WRONLY | O_CREAT | O_TRUNC, 0o600);
    // The record was complete before the mount but for the volumes' sources, known only now.
    // (Rewriting it when nothing changed cost ~1 ms: a rename over a file makes ext4 write the
    // new one out at once, auto_da_alloc in ext4(5).)
    if (volumesMade) writeRecord(rec, root);
    undo.clear();
    trace('container', `created ${id} (${name}) in ${dir}`);
    return rec;
  } catch (err) {
    undo.run();
    throw err;
  }
}

/** Our terminal's size, for -t. From the addon (TIOCGWINSZ), not process.stdout.rows: making
 *  process.stdout loads node:tty and node:net (several ms), for a terminal as for a pipe. */
function consoleSize(): { height: number; width: number } | undefined {
  const size = windowSize(1);
  return size?.rows && size.columns ? { height: size.rows, width: size.columns } : undefined;
}

/**
 * Run a created container attached to this terminal (or with its output sent to `output`, for a
 * build's RUN step) and wait for it. Returns `run`'s exit status:
 * the container's own, or 128+N when a signal N killed it. The runtime's own failures (126, 127,
 * 125) are thrown as TsdockerErrors after the record has been updated. `helper`: the runtime
 * helper `run` started early (runtime startHelper), for output to this terminal.
 */
export async function startForeground(rec: ContainerRecord, root = stateRoot(),
  output?: NodeJS.WritableStream, helper?: Helper): Promise<number> {
  const dir = containerDir(rec.Id, root);
  const { runBundle } = require('../runtime') as typeof import('../runtime');
  let started = false;
  let failure: unknown;
  let exitCode = 0;
  try {
    const status = await runBundle({
      bundle: dir, id: rec.Id, stdin: rec.Config.OpenStdin, stdio: output ? 'pipe' : 'inherit', helper,
      // `output` (a build's RUN step) takes both of the container's streams, in the order written.
      onSpawn: output ? (helper) => {
        helper.stdout?.pipe(output, { end: false });
        helper.stderr?.pipe(output, { end: false });
      } : undefined,
      beforeStart: (pid: number) => attachNetwork(rec, pid, root),
      onStart: (pid: number) => {
        started = true;
        rec.State = { ...rec.State, Status: 'running', Running: true, Pid: pid, PidStartTime: processStartTime(pid),
          StartedAt: isoTime() };
        writeRecord(rec, root);
      },
    });
    exitCode = status.exitCode; // 128+N when signal N killed it
    rec.State = { ...rec.State, Status: 'exited', Running: false, Pid: 0, ExitCode: exitCode,
      OOMKilled: status.oomKilled, FinishedAt: isoTime() };
  } catch (err) {
    failure = err;
    const code = err instanceof TsdockerError ? err.exitCode : 125;
    // Like Docker: a process that could not be started leaves the container "created", with the
    // reason in State.Error; one that started and then failed is "exited".
    rec.State = { ...rec.State, Status: started ? 'exited' : 'created', Running: false, Pid: 0, ExitCode: code,
      Error: err instanceof Error ? err.message : String(err),
      FinishedAt: started ? isoTime() : rec.State.FinishedAt };
  }
  finish(rec, root, failure === undefined);
  if (failure !== undefined) throw failure;
  return exitCode;
}

/** After the container's process is gone: record the status, unmount, and remove with --rm.
 *  `ranWell`: runBundle returned, so the runtime removed the cgroup itself. */
function finish(rec: ContainerRecord, root: string, ranWell: boolean): void {
  delete rec.Monitor;
  if (rec.HostConfig.AutoRemove) {
    // --rm: the record goes with the rest (the network too), so it is written only if that fails.
    // A tsdocker killed meanwhile leaves a record whose monitor is gone: the next command finds
    // the container dead and removes it (state.ts).
    try {
      destroyContainer(rec, { volumes: true, cgroupRemoved: ranWell }, root);
    } catch (err) {
      writeRecord(rec, root);
      throw wrap(err, `clean up container ${rec.Id.slice(0, 12)}`);
    }
    return;
  }
  // The network goes now, and the record says the container has none.
  let networkError: unknown;
  try {
    detachNetwork(rec, root);
  } catch (err) {
    networkError = err;
  }
  const stillThere = writeRecord(rec, root);
  try {
    if (stillThere) unmountRootfs(containerDir(rec.Id, root));
    if (networkError) throw networkError;
  } catch (err) {
    throw wrap(err, `clean up container ${rec.Id.slice(0, 12)}`);
  }
}

/** `rm`: a running container needs `force` (it is killed); `volumes` also removes its anonymous volumes. */
export function removeContainer(nameOrId: string, opts: { force?: boolean; volumes?: boolean } = {}, root = stateRoot()): string {
  const rec = getContainer(nameOrId, root);
  if (rec.State.Running) {
    if (!opts.force) {
      throw new TsdockerError(`cannot remove container "${nameOrId}": container is running: ` +
        'stop the container before removing or force remove', { exitCode: 1 });
    }
    // Not to be brought back by its restart policy; then its monitor records the end and unmounts.
    markStopped(containerDir(rec.Id, root));
    killContainer(rec);
    waitForMonitorExit(rec);
  }
  destroyContainer(rec, { volumes: opts.volumes ?? false }, root);
  return rec.Id;
}
