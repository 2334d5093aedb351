import type { Argv } from './parser';
import { listContainers } from '../container/list';
import { PS_HEADER, psJson, psRow } from '../container/status';
import { printList } from './list-format';

export const command = 'ps';
export const describe = 'List containers';

export function builder(y: Argv): Argv {
  return y
    // "--no-trunc" is Docker's flag name, not the negation of a "--trunc".
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display container IDs' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('format', { type: 'string', describe: "Format output: 'table', 'json' (one JSON object per line), a Go template ('{{.Names}}'), or 'table TEMPLATE'" })
    .example('tsdocker ps', 'running containers')
    .example('tsdocker ps -a', 'all containers, also the exited ones')
    .example('tsdocker ps -aq', 'just the ids, e.g. for `tsdocker rm -f $(tsdocker ps -aq)`')
    .example("tsdocker ps --format '{{.Names}}'", 'one name per line (a Go template, as with docker)');
}

interface Args { all?: boolean; quiet?: boolean; noTrunc?: boolean; format?: string }

/** Docker's column titles for `ps --format 'table ...'` (docker/cli formatter/container.go). */
const PS_TITLES: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS',
  Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES',
};

export async function handler(args: Args): Promise<number> {
  const now = Date.now();
  const opts = { noTrunc: Boolean(args.noTrunc), now };
  const containers = listContainers().filter((c) => args.all || c.State.Running);
  if (args.quiet) {
    process.stdout.write(containers.map((c) => (args.noTrunc ? c.Id : c.Id.slice(0, 12)) + '\n').join(''));
  } else {
    printList(args.format, containers, {
      header: PS_HEADER, row: (c) => psRow(c, opts), fields: (c) => psJson(c, opts), titles: PS_TITLES,
    });
  }
  return 0;
}
