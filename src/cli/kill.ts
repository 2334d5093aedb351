import type { Argv } from './parser';
import { killContainer } from '../container/stop';
import { eachContainer } from './each';

export const command = 'kill <containers..>';
export const describe = 'Kill one or more running containers';

export function builder(y: Argv): Argv {
  return y
    .positional('containers', { type: 'string', array: true, describe: 'CONTAINER [CONTAINER...]' })
    .option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send to the container' })
    .example('tsdocker kill web', 'SIGKILL')
    .example('tsdocker kill -s HUP web', 'any signal, by name or number');
}

interface Args { containers: string[]; signal: string }

export async function handler(args: Args): Promise<number> {
  return eachContainer(args.containers, async (name) => {
    await killContainer(name, String(args.signal));
    return name;
  });
}
