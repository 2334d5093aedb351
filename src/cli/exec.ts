import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { last, list, trailingCommand } from './args';

export const command = 'exec <container> [command..]';
export const describe = 'Execute a command in a running container';

export function builder(y: Argv): Argv {
  return y
    // As for `run`: Docker's flags end at the container name (`exec web ls -la`: "-la" is ls's).
    .flagsEndAtOperand()
    .positional('container', { type: 'string', describe: 'CONTAINER (name or id)' })
    .positional('command', { type: 'string', array: true, describe: 'COMMAND [ARG...]' })
    .option('detach', { alias: 'd', type: 'boolean', describe: 'Detached mode: run command in the background' })
    .option('interactive', { alias: 'i', type: 'boolean', describe: 'Keep STDIN open' })
    .option('tty', { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' })
    .option('env', { alias: 'e', type: 'string', describe: 'Set environment variables: KEY=value or KEY' })
    .option('env-file', { type: 'string', describe: 'Read in a file of environment variables' })
    .option('workdir', { alias: 'w', type: 'string', describe: 'Working directory inside the container' })
    .option('user', { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' })
    .option('privileged', { type: 'boolean', describe: 'Give extended privileges to the command' })
    .example('tsdocker exec web ps', 'list the processes of container "web"')
    .example('tsdocker exec -it web sh', 'an interactive shell inside it')
    .example('tsdocker exec -u student -w /tmp -e X=1 web env', 'as another user, elsewhere, with a variable');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function handler(args: any): Promise<number> {
  const cmd = trailingCommand(args);
  if (cmd.length === 0) throw new TsdockerError('"exec" requires at least 2 arguments: CONTAINER COMMAND [ARG...]');
  const tty = Boolean(args.tty);
  const interactive = Boolean(args.interactive);
  if (tty && interactive && !process.stdin.isTTY) throw new TsdockerError('the input device is not a TTY');
  const { execInContainer } = require('../container/exec') as typeof import('../container/exec');
  return execInContainer({
    container: String(args.container),
    args: cmd,
    interactive,
    tty,
    detach: Boolean(args.detach),
    env: list(args.env),
    envFiles: list(args.envFile),
    workdir: last(args.workdir),
    user: last(args.user),
    privileged: Boolean(args.privileged),
  });
}
