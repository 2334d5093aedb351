import type { Argv } from './parser';
import * as readline from 'node:readline/promises';
import { ImageStore } from '../image/store';
import { pruneImages } from '../image/remove';
import { imageUsers } from '../image/users';
import { humanSize } from '../format';

export const command = 'image-prune';
export const describe = 'Remove unused images';

export function builder(y: Argv): Argv {
  return y
    .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all unused images, not just dangling ones' })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' })
    .example('tsdocker image prune -f', 'delete untagged images, without asking')
    .example('tsdocker image prune -a -f', 'delete every image no container uses');
}

export async function handler(args: { all?: boolean; force?: boolean }): Promise<number> {
  if (!args.force) {
    const what = args.all ? 'all images without at least one container associated to them' : 'all dangling images';
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) return 0;
  }
  const store = new ImageStore();
  const { lines, reclaimed } = pruneImages(store, Boolean(args.all), imageUsers);
  if (lines.length) process.stdout.write(`Deleted Images:\n${lines.join('\n')}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}
