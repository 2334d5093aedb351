import type { Argv } from './parser';
import * as readline from 'node:readline/promises';
import { humanSize } from '../format';
import { systemPrune } from '../system/prune';

export const command = 'prune';
export const describe = 'Remove stopped containers, dangling images, (with --volumes) unused anonymous volumes, and empty tsdocker cgroups';

export function builder(y: Argv): Argv {
  return y
    .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all unused images, not just dangling ones' })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' })
    .option('volumes', { type: 'boolean', describe: 'Prune anonymous volumes' })
    .example('tsdocker system prune -f', 'stopped containers and untagged images, without asking')
    .example('tsdocker system prune -a --volumes', 'also every image no container uses, and unused anonymous volumes');
}

interface Args { all?: boolean; force?: boolean; volumes?: boolean }

export async function handler(args: Args): Promise<number> {
  if (!args.force && !(await confirm(args))) return 0;
  const r = systemPrune({ all: Boolean(args.all), volumes: Boolean(args.volumes) });
  let out = '';
  if (r.containers.length) out += `Deleted Containers:\n${r.containers.join('\n')}\n\n`;
  if (r.volumes.length) out += `Deleted Volumes:\n${r.volumes.join('\n')}\n\n`;
  if (r.images.length) out += `Deleted Images:\n${r.images.join('\n')}\n\n`;
  process.stdout.write(`${out}Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
  return 0;
}

/** Docker's question, word for word (cli/command/system/prune.go). */
async function confirm(args: Args): Promise<boolean> {
  const items = ['all stopped containers',
    ...(args.volumes ? ['all anonymous volumes not used by at least one container'] : []),
    args.all ? 'all images without at least one container associated to them' : 'all dangling images'];
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}\n` +
    'Are you sure you want to continue? [y/N] ');
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
