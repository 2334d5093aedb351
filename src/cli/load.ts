import type { Argv } from './parser';
import { loadImages } from '../image/load';

export const command = 'load';
export const describe = 'Load an image from a tar archive or STDIN';

export function builder(y: Argv): Argv {
  return y
    .option('input', { alias: 'i', type: 'string', describe: 'Read from tar archive file, instead of STDIN' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress the load output' })
    .example('tsdocker load -i busybox.tar', 'a docker save, podman save or skopeo archive')
    .example('gunzip -c images.tar.gz | tsdocker load', 'from STDIN');
}

export async function handler(args: { input?: string; quiet?: boolean }): Promise<number> {
  await loadImages({ file: args.input });
  return 0;
}
