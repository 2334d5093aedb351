import type { Argv } from './parser';
import { waitContainer } from '../container/stop';
import { eachContainer } from './each';

export const command = 'wait <containers..>';
export const describe = 'Block until one or more containers stop, then print their exit codes';

export function builder(y: Argv): Argv {
  return y
    .positional('containers', { type: 'string', array: true, describe: 'CONTAINER [CONTAINER...]' })
    .example('tsdocker wait web', 'prints the exit code once web has stopped');
}

export async function handler(args: { containers: string[] }): Promise<number> {
  return eachContainer(args.containers, async (name) => String(await waitContainer(name)));
}
