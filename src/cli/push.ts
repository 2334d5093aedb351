import type { Argv } from './parser';
import { pushImage } from '../image/push';

export const command = 'push <name>';
export const describe = 'Upload an image to a registry';

export function builder(y: Argv): Argv {
  return y
    .positional('name', { type: 'string', describe: 'NAME[:TAG]' })
    .option('all-tags', { alias: 'a', type: 'boolean', describe: 'Push all tags of an image to the repository' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress verbose output' })
    .example('tsdocker tag busybox 127.0.0.1:5000/busybox:v1', 'name the image for a registry first')
    .example('tsdocker push 127.0.0.1:5000/busybox:v1', 'then push it (credentials from tsdocker login)');
}

export async function handler(args: { name: string; allTags?: boolean; quiet?: boolean }): Promise<number> {
  await pushImage(args.name, { allTags: args.allTags, quiet: args.quiet });
  return 0;
}
