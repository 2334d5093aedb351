import type { Argv } from './parser';
import { DEFAULT_STOP_TIMEOUT } from '../container/stop';
import { restartContainer } from '../container/start';
import { eachContainer } from './each';

export const command = 'restart <containers..>';
export const describe = 'Restart one or more containers';

export function builder(y: Argv): Argv {
  return y
    .positional('containers', { type: 'string', array: true, describe: 'CONTAINER [CONTAINER...]' })
    .option('time', { alias: ['t', 'timeout'], type: 'number', describe: `Seconds to wait before killing the container (default ${DEFAULT_STOP_TIMEOUT})` })
    .option('signal', { alias: 's', type: 'string', describe: 'Signal to send to the container' })
    .example('tsdocker restart web', 'stop (SIGTERM, then SIGKILL after 10 s) and start again');
}

interface Args { containers: string[]; time?: number; signal?: string }

export async function handler(args: Args): Promise<number> {
  return eachContainer(args.containers, async (name) => {
    await restartContainer(name, { timeoutSec: args.time, signal: args.signal });
    return name;
  });
}
