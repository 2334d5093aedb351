import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { table } from '../format';
import { listContainers } from '../container/list';
import { PS_HEADER, psJson, psRow } from '../container/status';

export const command = 'ps';
export const describe = 'List containers';

export function builder(y: Argv): Argv {
  return y
    // "--no-trunc" is Docker's flag name, not the negation of a "--trunc".
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display container IDs' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('format', { type: 'string', describe: "Format output: 'table' or 'json' (one JSON object per line)" })
    .example('tsdocker ps', 'running containers')
    .example('tsdocker ps -a', 'all containers, also the exited ones')
    .example('tsdocker ps -aq', 'just the ids, e.g. for `tsdocker rm -f $(tsdocker ps -aq)`');
}

interface Args { all?: boolean; quiet?: boolean; noTrunc?: boolean; format?: string }

export async function handler(args: Args): Promise<number> {
  const now = Date.now();
  const opts = { noTrunc: Boolean(args.noTrunc), now };
  const containers = listContainers().filter((c) => args.all || c.State.Running);
  if (args.quiet) {
    process.stdout.write(containers.map((c) => (args.noTrunc ? c.Id : c.Id.slice(0, 12)) + '\n').join(''));
  } else if (args.format === 'json') {
    process.stdout.write(containers.map((c) => JSON.stringify(psJson(c, opts)) + '\n').join(''));
  } else if (args.format === undefined || args.format === 'table') {
    process.stdout.write(table(PS_HEADER, containers.map((c) => psRow(c, opts))));
  } else {
    throw new TsdockerError(`unsupported --format ${args.format}: use 'table' or 'json'`);
  }
  return 0;
}
