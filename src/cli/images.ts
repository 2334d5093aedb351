import type { Argv } from './parser';
import { ImageStore } from '../image/store';
import { imageRows } from '../image/list';
import { printList } from './list-format';

export const command = 'images [repository]';
export const describe = 'List images';

export function builder(y: Argv): Argv {
  return y
    .positional('repository', { type: 'string', describe: 'REPOSITORY[:TAG] to show' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (default hides intermediate images)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
    .option('digests', { type: 'boolean', describe: 'Show digests' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('format', { type: 'string', describe: "Format output: 'table', 'json' (one JSON object per line), a Go template ('{{.Repository}}:{{.Tag}}'), or 'table TEMPLATE'" })
    .example('tsdocker images', 'list every tag')
    .example('tsdocker images -q', 'only the image ids')
    .example('tsdocker images --format json', 'one JSON object per line, as docker does');
}

/** Docker's column titles for `images --format 'table ...'` (docker/cli formatter/image.go). */
const IMAGE_TITLES: Record<string, string> = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE', Containers: 'CONTAINERS',
};

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
  } else {
    printList(args.format, rows, {
      header: ['REPOSITORY', 'TAG', ...(args.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'],
      row: (r) => [r.Repository, r.Tag, ...(args.digests ? [r.Digest] : []), r.ID, r.CreatedSince, r.Size],
      fields: (r) => r,
      titles: IMAGE_TITLES,
    });
  }
  return 0;
}
