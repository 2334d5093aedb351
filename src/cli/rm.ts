import type { Argv } from './parser';
import { reportError } from './main';
import { removeContainer } from '../container/lifecycle';

export const command = 'rm <containers..>';
export const describe = 'Remove one or more containers';

export function builder(y: Argv): Argv {
  return y
    .positional('containers', { type: 'string', array: true, describe: 'CONTAINER [CONTAINER...]' })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Force the removal of a running container (uses SIGKILL)' })
    .option('volumes', { alias: 'v', type: 'boolean', describe: 'Remove anonymous volumes associated with the container' })
    .example('tsdocker rm mybox', 'remove a stopped container')
    .example('tsdocker rm -f mybox', 'kill it first if it is running');
}

interface Args { containers: string[]; force?: boolean; volumes?: boolean }

/** Like Docker: each name that was removed is printed; failures are reported one per line and
 *  the others are still removed; the exit status is 1 if any failed. */
export async function handler(args: Args): Promise<number> {
  let status = 0;
  for (const name of args.containers) {
    try {
      removeContainer(String(name), { force: args.force, volumes: args.volumes });
      process.stdout.write(`${name}\n`);
    } catch (err) {
      reportError(err);
      status = 1;
    }
  }
  return status;
}
