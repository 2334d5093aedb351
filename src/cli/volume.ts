import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { table } from '../format';
import { reportError } from './main';
import { listContainers } from '../container/list';
import { createVolume, inspectVolume, listVolumes, removeVolume } from '../container/volumes';

export const command = 'volume <action> [names..]';
export const describe = 'Manage volumes (create, ls, inspect, rm)';

export function builder(y: Argv): Argv {
  return y
    .positional('action', { type: 'string', choices: ['create', 'ls', 'list', 'inspect', 'rm', 'remove'], describe: 'what to do' })
    .positional('names', { type: 'string', array: true, describe: 'VOLUME [VOLUME...]' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'ls: only display volume names' })
    .option('format', { type: 'string', describe: "ls: 'table' or 'json' (one JSON object per line)" })
    .option('force', { alias: 'f', type: 'boolean', describe: 'rm: do not fail when a volume does not exist' })
    .example('tsdocker volume create data', 'a named volume, kept under <root>/volumes/data/_data')
    .example('tsdocker run --rm -v data:/data busybox touch /data/x', 'use it')
    .example('tsdocker volume ls', 'list volumes')
    .example('tsdocker volume rm data', 'delete it (refused while a container uses it)');
}

interface Args { action: string; names?: string[]; quiet?: boolean; format?: string; force?: boolean }

export async function handler(args: Args): Promise<number> {
  const names = (args.names ?? []).map(String);
  switch (args.action) {
    case 'create': {
      if (names.length > 1) throw new TsdockerError('volume create takes at most one name');
      const { anonymousVolumeName } = require('../container/mounts') as typeof import('../container/mounts');
      process.stdout.write(createVolume(names[0] ?? anonymousVolumeName()).Name + '\n');
      return 0;
    }
    case 'ls':
    case 'list': {
      const vols = listVolumes();
      if (args.quiet) process.stdout.write(vols.map((v) => v.Name + '\n').join(''));
      else if (args.format === 'json') {
        process.stdout.write(vols.map((v) => JSON.stringify({ Driver: v.Driver, Labels: labels(v.Labels),
          Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope }) + '\n').join(''));
      } else process.stdout.write(table(['DRIVER', 'VOLUME NAME'], vols.map((v) => [v.Driver, v.Name])));
      return 0;
    }
    case 'inspect': {
      if (names.length === 0) throw new TsdockerError('volume inspect needs at least one name');
      const found = names.map((n) => inspectVolume(n));
      process.stdout.write(JSON.stringify(found.filter(Boolean), null, 4) + '\n');
      const missing = names.filter((_, i) => !found[i]);
      if (missing.length > 0) throw new TsdockerError(`get ${missing.join(', ')}: no such volume`, { exitCode: 1 });
      return 0;
    }
    default: {
      if (names.length === 0) throw new TsdockerError('volume rm needs at least one name');
      const containers = listContainers();
      let status = 0;
      for (const n of names) {
        try {
          if (args.force && !inspectVolume(n)) continue;
          const users = containers.filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === n)).map((c) => c.Id);
          removeVolume(n, users);
          process.stdout.write(n + '\n');
        } catch (err) {
          reportError(err);
          status = 1;
        }
      }
      return status;
    }
  }
}

function labels(l: Record<string, string> | null): string {
  return Object.entries(l ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}
