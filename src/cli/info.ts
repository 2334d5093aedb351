import type { Argv } from './parser';
import { hostInfo, HostInfo } from '../info';
import { humanSize } from '../format';
import { renderTemplate } from './inspect-format';

export const command = 'info';
export const describe = 'Display what this host offers containers, and how to fix what is missing';

export function builder(y: Argv): Argv {
  return y
    .option('format', { alias: 'f', type: 'string', describe: "'json', or a template such as '{{.CgroupVersion}}'" })
    .example('tsdocker info', 'kernel, cgroups, overlayfs, namespaces, store; a WARNING and its fix for each problem')
    .example("tsdocker info -f '{{.CgroupVersion}}'", 'one field')
    .example('tsdocker info --format json', 'everything as one JSON object');
}

export async function handler(args: { format?: string }): Promise<number> {
  const info = hostInfo();
  if (args.format === 'json') process.stdout.write(JSON.stringify(info) + '\n');
  else if (args.format) process.stdout.write(renderTemplate(args.format, info) + '\n');
  else {
    process.stdout.write(text(info));
    // Docker prints its warnings on stderr, after the report.
    for (const w of info.Warnings) process.stderr.write(`WARNING: ${w.problem}\n         fix: ${w.fix}\n`);
  }
  return 0;
}

/** The layout of `docker info`'s server section, with tsdocker's extra lines. */
function text(i: HostInfo): string {
  const list = (items: string[]) => items.map((x) => `  ${x}\n`).join('');
  const u = i.RootDirUsage;
  return [
    `Containers: ${i.Containers}`,
    ` Running: ${i.ContainersRunning}`,
    ` Paused: ${i.ContainersPaused}`,
    ` Stopped: ${i.ContainersStopped}`,
    `Images: ${i.Images}`,
    `Server Version: ${i.ServerVersion}`,
    `Storage Driver: ${i.Driver}`,
    ` Backing Filesystem: ${i.BackingFilesystem}`,
    ` Overlay Available: ${i.OverlayAvailable ? 'yes' : 'no'}`,
    `Cgroup Driver: ${i.CgroupDriver}`,
    `Cgroup Version: ${i.CgroupVersion || 'none'}${i.CgroupMode === 'hybrid' ? ' (hybrid: v1 controllers, a v2 tree for tracking)' : ''}`,
    `Cgroup Controllers: ${i.CgroupControllers.join(' ') || 'none'}`,
    `Namespaces: ${i.Namespaces.join(' ') || 'none'}`,
    `User Namespaces: max_user_namespaces=${i.MaxUserNamespaces ?? 'unknown'} (not needed: tsdocker runs as root)`,
    `Kernel Version: ${i.KernelVersion}`,
    `Operating System: ${i.OperatingSystem}`,
    `OSType: ${i.OSType}`,
    `Architecture: ${i.Architecture}`,
    `CPUs: ${i.NCPU}`,
    `Total Memory: ${gib(i.MemTotal)}`,
    `Name: ${i.Name}`,
    `Runtime Helper: ${i.RuntimeHelper}`,
    `Docker Root Dir: ${i.DockerRootDir}`,
    ` Images: ${humanSize(u.Images, 4)}, Containers: ${humanSize(u.Containers, 4)}, Volumes: ${humanSize(u.Volumes, 4)}`,
    ` Free: ${humanSize(u.Free, 4)}`,
    `Config File: ${i.ConfigFile}`,
  ].map((l) => l + '\n').join('') +
    (i.RegistryMirrors.length ? `Registry Mirrors:\n${list(i.RegistryMirrors)}` : '') +
    (i.InsecureRegistries.length ? `Insecure Registries:\n${list(i.InsecureRegistries)}` : '');
}

/** go-units BytesSize: binary units, as Docker prints Total Memory ("3.827GiB"). */
function gib(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}
