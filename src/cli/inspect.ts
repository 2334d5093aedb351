import type { Argv } from './parser';
import { ImageStore } from '../image/store';
import { inspectImage } from '../image/list';
import { printInspect } from './inspect-format';
import { TsdockerError } from '../errors';

export const command = 'inspect <names..>';
export const describe = 'Return low-level information on containers or images';

export function builder(y: Argv): Argv {
  return y
    .positional('names', { type: 'string', array: true, describe: 'NAME|ID [NAME|ID...]' })
    .option('type', { type: 'string', choices: ['container', 'image'], describe: 'Only look for this type of object' })
    .option('format', { alias: 'f', type: 'string', describe: "Format with a template: '{{.State.Pid}}', '{{json .Config}}'" })
    .example('tsdocker inspect busybox', 'an image')
    .example("tsdocker inspect -f '{{.State.ExitCode}}' mybox", 'one field of a container');
}

interface Args { names: string[]; type?: 'container' | 'image'; format?: string }

/** Like Docker: a container with that name or id first, then an image. */
export async function handler(args: Args): Promise<number> {
  const store = new ImageStore();
  const found: object[] = [];
  const missing: string[] = [];
  for (const name of args.names) {
    const container = args.type === 'image' ? undefined : findContainer(name);
    const img = container || args.type === 'container' ? undefined : store.resolve(name);
    if (container) found.push(container);
    else if (img) found.push(inspectImage(store, img));
    else missing.push(name);
  }
  printInspect(found, args.format);
  if (missing.length) throw new TsdockerError(`no such object: ${missing.join(', ')}`);
  return 0;
}

function findContainer(name: string): object | undefined {
  const { inspectContainer } = require('../container/inspect') as typeof import('../container/inspect');
  return inspectContainer(name);
}
