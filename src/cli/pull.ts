import type { Argv } from './parser';
import { pullImage } from '../image/pull';

export const command = 'pull <name>';
export const describe = 'Download an image from a registry';

export function builder(y: Argv): Argv {
  return y
    .positional('name', { type: 'string', describe: 'NAME[:TAG|@DIGEST]' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress verbose output' })
    .option('platform', { type: 'string', describe: 'Set platform if server is multi-platform capable (os/arch[/variant])' })
    .example('tsdocker pull ubuntu:20.04', 'pull a tag from Docker Hub (or a configured mirror)')
    .example('tsdocker pull 127.0.0.1:5000/busybox', 'pull from a local registry')
    .example('tsdocker pull --platform linux/arm64 busybox', 'pull another architecture');
}

export async function handler(args: { name: string; quiet?: boolean; platform?: string }): Promise<number> {
  await pullImage(args.name, { quiet: args.quiet, platform: args.platform });
  return 0;
}
