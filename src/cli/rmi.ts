import type { Argv } from './parser';
import { ImageStore } from '../image/store';
import { removeImage } from '../image/remove';
import { imageUsers } from '../image/users';
import { reportError } from './main';

export const command = 'rmi <images..>';
export const describe = 'Remove one or more images';

export function builder(y: Argv): Argv {
  return y
    .positional('images', { type: 'string', array: true, describe: 'IMAGE [IMAGE...]' })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Force removal of the image' })
    .option('no-prune', { type: 'boolean', describe: 'Do not delete untagged parents' })
    .example('tsdocker rmi busybox', 'untag busybox:latest, and delete it if no other tag is left');
}

export async function handler(args: { images: string[]; force?: boolean; noPrune?: boolean }): Promise<number> {
  const store = new ImageStore();
  let status = 0;
  // Like Docker: each image is tried; failures are reported and the rest still go.
  for (const name of args.images) {
    try {
      const lines = removeImage(store, name, { force: args.force, noPrune: args.noPrune, usersOf: imageUsers });
      process.stdout.write(lines.map((l) => l + '\n').join(''));
    } catch (err) {
      status = reportError(err);
    }
  }
  return status === 0 ? 0 : 1;
}
