import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { attach } from '../container/attach';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../container/detach-keys';
import { getContainer } from '../container/list';
import { containerDir } from '../container/record';
import { isUp } from '../container/wait';

export const command = 'attach <container>';
export const describe = "Attach local standard input, output, and error streams to a running container";

export function builder(y: Argv): Argv {
  return y
    .positional('container', { type: 'string', describe: 'CONTAINER' })
    .option('detach-keys', { type: 'string', describe: `Override the key sequence for detaching a container (default ${DEFAULT_DETACH_KEYS})` })
    .option('no-stdin', { type: 'boolean', describe: 'Do not attach STDIN' })
    .option('sig-proxy', { type: 'boolean', default: true, describe: 'Proxy all received signals to the process' })
    .example('tsdocker run -dit --name box busybox sh', 'a shell in the background, with a terminal')
    .example('tsdocker attach box', 'type into it; Ctrl-P Ctrl-Q leaves it running');
}

interface Args { container: string; detachKeys?: string; noStdin?: boolean; sigProxy: boolean }

export async function handler(args: Args): Promise<number> {
  const rec = getContainer(String(args.container));
  if (!isUp(rec)) throw new TsdockerError('you cannot attach to a stopped container, start it first');
  if (rec.Config.Tty && rec.Config.OpenStdin && !args.noStdin && !process.stdin.isTTY) {
    throw new TsdockerError('the input device is not a TTY');
  }
  const r = await attach({
    dir: containerDir(rec.Id), stdin: rec.Config.OpenStdin && !args.noStdin, tty: rec.Config.Tty,
    detachKeys: parseDetachKeys(args.detachKeys ?? DEFAULT_DETACH_KEYS),
    sigProxyPid: args.sigProxy ? rec.State.Pid : undefined,
  });
  return r === 'detached' ? 0 : r;
}
