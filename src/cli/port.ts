import type { Argv } from './parser';
import { TsdockerError } from '../errors';

export const command = 'port <container> [port]';
export const describe = 'List port mappings or a specific mapping for the container';

export function builder(y: Argv): Argv {
  return y
    .positional('container', { type: 'string', describe: 'CONTAINER' })
    .positional('port', { type: 'string', describe: 'PRIVATE_PORT[/PROTO]' })
    .example('tsdocker port web', 'every published port: "80/tcp -> 0.0.0.0:32768"')
    .example('tsdocker port web 80', 'where port 80 is published: "0.0.0.0:32768"');
}

export async function handler(args: { container: string; port?: string }): Promise<number> {
  const { getContainer } = require('../container/list') as typeof import('../container/list');
  const { portLines } = require('../network/ports') as typeof import('../network/ports');
  const rec = getContainer(String(args.container));
  const port = args.port === undefined ? undefined : String(args.port);
  const lines = rec.State.Running ? portLines(rec.NetworkSettings?.Ports, port) : [];
  if (port !== undefined && lines.length === 0) {
    throw new TsdockerError(`no public port '${port.includes('/') ? port : `${port}/tcp`}' published for ${rec.Id.slice(0, 12)}`);
  }
  process.stdout.write(lines.map((l) => l + '\n').join(''));
  return 0;
}
