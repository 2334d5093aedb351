// `inspect` for containers: Docker's JSON shape (moby api/types ContainerJSON), built from the
// record plus the paths only known at read time (the overlay dirs of GraphDriver).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { stateRoot } from '../root';
import { logPath } from './jsonlog';
import { getContainer } from './list';
import { containerDir } from './record';
import { rootfsPaths } from './rootfs';
import type { ContainerRecord } from './types';

/** Docker's JSON for a container, or undefined when there is none by that name or id (so that
 *  `inspect` can go on to look for an image). An ambiguous id prefix is still an error. */
export function inspectContainer(nameOrId: string, root = stateRoot()): object | undefined {
  let rec: ContainerRecord;
  try {
    rec = getContainer(nameOrId, root);
  } catch (err) {
    if (err instanceof TsdockerError && err.message.startsWith('no such container')) return undefined;
    throw err;
  }
  return containerJson(rec, root);
}

export function containerJson(rec: ContainerRecord, root = stateRoot()): object {
  const dir = containerDir(rec.Id, root);
  const p = rootfsPaths(dir);
  const s = rec.State;
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: {
      Status: s.Status, Running: s.Running, Paused: false, Restarting: s.Status === 'restarting', OOMKilled: s.OOMKilled,
      Dead: s.Status === 'dead', Pid: s.Pid, ExitCode: s.ExitCode, Error: s.Error,
      StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
    },
    Image: rec.Image,
    ResolvConfPath: path.join(dir, 'resolv.conf'),
    HostnamePath: path.join(dir, 'hostname'),
    HostsPath: path.join(dir, 'hosts'),
    LogPath: fs.existsSync(logPath(dir, rec.Id)) ? logPath(dir, rec.Id) : '',
    Name: `/${rec.Name}`,
    RestartCount: rec.RestartCount ?? 0,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    HostConfig: { ...rec.HostConfig, CpuPeriod: 0, CpuQuota: 0, RestartPolicy: rec.HostConfig.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 } },
    GraphDriver: {
      Name: 'overlay2',
      Data: { LowerDir: lowerDirs(rec, root), UpperDir: p.upper, WorkDir: p.work, MergedDir: p.rootfs },
    },
    Mounts: rec.Mounts.map((m) => ({
      Type: m.Type,
      ...(m.Name !== undefined ? { Name: m.Name } : {}),
      Source: m.Source,
      Destination: m.Destination,
      ...(m.Driver !== undefined ? { Driver: m.Driver } : {}),
      Mode: m.Mode,
      RW: m.RW,
      Propagation: m.Propagation,
    })),
    Config: rec.Config,
    NetworkSettings: networkSettings(rec),
  };
}

/** The image's layer directories, top first, colon-separated; "" when the image is gone. */
function lowerDirs(rec: ContainerRecord, root: string): string {
  try {
    const { ImageStore } = require('../image/store') as typeof import('../image/store');
    const store = new ImageStore(root);
    const img = store.getImage(rec.Image);
    if (!img) return '';
    // The image's init layer first, when it has one (src/image/init-layer.ts), as Docker shows its "-init".
    const { initLayerDir } = require('../image/init-layer') as typeof import('../image/init-layer');
    const init = initLayerDir(store, img);
    return [...(init && fs.existsSync(init) ? [init] : []), ...store.layerDiffDirs(img)].join(':');
  } catch {
    return '';
  }
}

/** Docker's NetworkSettings, with the default bridge's address also at the top level, as Docker
 *  shows it (scripts read .NetworkSettings.IPAddress). */
function networkSettings(rec: ContainerRecord): object {
  const ns = rec.NetworkSettings ?? { SandboxKey: '', Ports: {}, Networks: {} };
  const bridge = ns.Networks.bridge;
  return {
    Bridge: '', SandboxID: ns.SandboxKey ? rec.Id : '', SandboxKey: ns.SandboxKey, Ports: ns.Ports,
    IPAddress: bridge?.IPAddress ?? '', IPPrefixLen: bridge?.IPPrefixLen ?? 0, Gateway: bridge?.Gateway ?? '',
    MacAddress: bridge?.MacAddress ?? '',
    Networks: ns.Networks,
  };
}
