import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../container/detach-keys';
import { startContainer } from '../container/start';
import { eachContainer } from './each';

export const command = 'start <containers..>';
export const describe = 'Start one or more stopped containers';

export function builder(y: Argv): Argv {
  return y
    .positional('containers', { type: 'string', array: true, describe: 'CONTAINER [CONTAINER...]' })
    .option('attach', { alias: 'a', type: 'boolean', describe: 'Attach STDOUT/STDERR and forward signals' })
    .option('interactive', { alias: 'i', type: 'boolean', describe: "Attach container's STDIN" })
    .option('detach-keys', { type: 'string', describe: `Override the key sequence for detaching a container (default ${DEFAULT_DETACH_KEYS})` })
    .example('tsdocker start web', 'run it again in the background, with the files it wrote')
    .example('tsdocker start -ai box', 'run it again attached to this terminal');
}

interface Args { containers: string[]; attach?: boolean; interactive?: boolean; detachKeys?: string }

export async function handler(args: Args): Promise<number> {
  const detachKeys = parseDetachKeys(args.detachKeys ?? DEFAULT_DETACH_KEYS);
  if (args.attach || args.interactive) {
    if (args.containers.length > 1) throw new TsdockerError('you cannot start and attach multiple containers at once');
    // Docker: -i alone also attaches stdout and stderr.
    return (await startContainer(String(args.containers[0]), { attach: true, stdin: Boolean(args.interactive), detachKeys })) ?? 0;
  }
  return eachContainer(args.containers, async (name) => {
    await startContainer(name, { attach: false, stdin: false, detachKeys });
    return name;
  });
}
