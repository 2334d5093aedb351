import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { parseTimeFilter } from '../container/jsonlog';
import { showLogs } from '../container/logs';

export const command = 'logs <container>';
export const describe = 'Fetch the logs of a container';

export function builder(y: Argv): Argv {
  return y
    .positional('container', { type: 'string', describe: 'CONTAINER' })
    .option('follow', { alias: 'f', type: 'boolean', describe: 'Follow log output' })
    .option('tail', { alias: 'n', type: 'string', default: 'all', describe: 'Number of lines to show from the end of the logs' })
    .option('timestamps', { alias: 't', type: 'boolean', describe: 'Show timestamps' })
    .option('since', { type: 'string', describe: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' })
    .option('until', { type: 'string', describe: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' })
    .example('tsdocker logs web', 'everything the container wrote, stdout and stderr apart')
    .example('tsdocker logs -f --tail 10 web', 'the last ten lines, then follow');
}

interface Args { container: string; follow?: boolean; tail: string; timestamps?: boolean; since?: string; until?: string }

function timeFilter(flag: string, value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  const t = parseTimeFilter(value);
  if (t === undefined) throw new TsdockerError(`invalid value for "${flag}": ${value}`);
  return t;
}

export async function handler(args: Args): Promise<number> {
  const tail = String(args.tail);
  if (tail !== 'all' && !/^-?\d+$/.test(tail)) throw new TsdockerError(`invalid value for "tail": ${tail}`);
  await showLogs(String(args.container), {
    follow: Boolean(args.follow),
    // Docker treats a negative count as "all".
    tail: tail === 'all' || Number(tail) < 0 ? undefined : Number(tail),
    timestamps: Boolean(args.timestamps),
    since: timeFilter('since', args.since),
    until: timeFilter('until', args.until),
  }, { stdout: process.stdout, stderr: process.stderr });
  return 0;
}
