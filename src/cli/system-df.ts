import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { humanSize, table } from '../format';
import { diskUsage, UsageRow } from '../system/usage';

export const command = 'df';
export const describe = 'Show disk usage of images, containers and volumes';

export function builder(y: Argv): Argv {
  return y
    .option('format', { type: 'string', describe: "'table' or 'json' (one JSON object per line)" })
    .example('tsdocker system df', 'TYPE TOTAL ACTIVE SIZE RECLAIMABLE, as docker system df');
}

export async function handler(args: { format?: string }): Promise<number> {
  const rows = diskUsage();
  if (args.format === 'json') {
    process.stdout.write(rows.map((r) => JSON.stringify({ Active: String(r.Active), Reclaimable: reclaimable(r),
      Size: humanSize(r.Size, 4), TotalCount: String(r.TotalCount), Type: r.Type }) + '\n').join(''));
  } else if (args.format === undefined || args.format === 'table') {
    process.stdout.write(table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      rows.map((r) => [r.Type, String(r.TotalCount), String(r.Active), humanSize(r.Size, 4), reclaimable(r)])));
  } else {
    throw new TsdockerError(`unsupported --format ${args.format}: use 'table' or 'json'`);
  }
  return 0;
}

/** "11.63MB (70%)", or just "0B" when there is nothing: docker/cli formatter/disk_usage.go. */
function reclaimable(r: UsageRow): string {
  const size = humanSize(r.Reclaimable, 4);
  return r.Size > 0 && r.Type !== 'Build Cache' ? `${size} (${Math.floor((r.Reclaimable * 100) / r.Size)}%)` : size;
}
