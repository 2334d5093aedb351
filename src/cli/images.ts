import type { Argv } from './parser';
import { ImageStore } from '../image/store';
import { imageRows } from '../image/list';
import { table } from '../format';
import { TsdockerError } from '../errors';

export const command = 'images [repository]';
export const describe = 'List images';

export function builder(y: Argv): Argv {
  return y
    .positional('repository', { type: 'string', describe: 'REPOSITORY[:TAG] to show' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (default hides intermediate images)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
    .option('digests', { type: 'boolean', describe: 'Show digests' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('format', { type: 'string', describe: "Format output: 'table' or 'json' (one JSON object per line)" })
    .example('tsdocker images', 'list every tag')
    .example('tsdocker images -q', 'only the image ids')
    .example('tsdocker images --format json', 'one JSON object per line, as docker does');
}

interface Args { repository?: string; quiet?: boolean; digests?: boolean; noTrunc?: boolean; format?: string }

export async function handler(args: Args): Promise<number> {
  const store = new ImageStore();
  const rows = imageRows(store, args.repository);
  if (args.noTrunc) {
    const full = new Map(store.listImageIds().map((id) => [id.slice(7, 19), id]));
    for (const r of rows) r.ID = full.get(r.ID) ?? r.ID;
  }
  if (args.quiet) {
    process.stdout.write([...new Set(rows.map((r) => r.ID))].map((id) => id + '\n').join(''));
  } else if (args.format === 'json') {
    process.stdout.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
  } else if (args.format === undefined || args.format === 'table') {
    const header = ['REPOSITORY', 'TAG', ...(args.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
    process.stdout.write(table(header, rows.map((r) =>
      [r.Repository, r.Tag, ...(args.digests ? [r.Digest] : []), r.ID, r.CreatedSince, r.Size])));
  } else {
    throw new TsdockerError(`unsupported --format ${args.format}: use 'table' or 'json'`);
  }
  return 0;
}
