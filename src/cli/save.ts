import type { Argv } from './parser';
import { saveImages } from '../image/save';

export const command = 'save <images..>';
export const describe = 'Save one or more images to a tar archive (streamed to STDOUT by default)';

export function builder(y: Argv): Argv {
  return y
    .positional('images', { type: 'string', array: true, describe: 'IMAGE [IMAGE...]' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write to a file, instead of STDOUT' })
    .example('tsdocker save -o busybox.tar busybox', 'an archive that docker load and podman load read')
    .example('tsdocker save busybox alpine:3 | gzip > images.tar.gz', 'several images, to STDOUT');
}

export async function handler(args: { images: string[]; output?: string }): Promise<number> {
  await saveImages(args.images.map(String), { output: args.output });
  return 0;
}
