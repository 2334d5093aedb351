import type { Argv } from './parser';
import { DEFAULT_STOP_TIMEOUT, stopContainer } from '../container/stop';
import { eachContainer } from './each';

export const command = 'stop <containers..>';
export const describe = 'Stop one or more running containers';

export function builder(y: Argv): Argv {
  return y
    .positional('containers', { type: 'string', array: true, describe: 'CONTAINER [CONTAINER...]' })
    .option('time', { alias: ['t', 'timeout'], type: 'number', describe: `Seconds to wait before killing the container (default ${DEFAULT_STOP_TIMEOUT}, -1: forever)` })
    .option('signal', { alias: 's', type: 'string', describe: "Signal to send to the container (default: the image's STOPSIGNAL, else SIGTERM)" })
    .example('tsdocker stop web', 'SIGTERM, then SIGKILL after 10 seconds')
    .example('tsdocker stop -t 0 web', 'SIGKILL at once');
}

interface Args { containers: string[]; time?: number; signal?: string }

export async function handler(args: Args): Promise<number> {
  return eachContainer(args.containers, async (name) => {
    await stopContainer(name, { timeoutSec: args.time, signal: args.signal });
    return name;
  });
}
