import type { Argv } from './parser';
import { last, list } from './args';

export const command = 'commit <container> [repository]';
export const describe = "Create a new image from a container's changes";

export function builder(y: Argv): Argv {
  return y
    .positional('container', { type: 'string', describe: 'CONTAINER (name or id)' })
    .positional('repository', { type: 'string', describe: 'REPOSITORY[:TAG] for the new image' })
    .option('message', { alias: 'm', type: 'string', describe: 'Commit message' })
    .option('author', { alias: 'a', type: 'string', describe: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' })
    .option('change', { alias: 'c', type: 'string', describe: 'Apply Dockerfile instruction to the created image (CMD, ENV, WORKDIR, ...)' })
    .example('tsdocker commit -m "add curl" web myweb:v2', 'save what the container changed as an image')
    .example("tsdocker commit -c 'CMD [\"httpd\", \"-f\"]' web myweb", 'with a new default command');
}


// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function handler(args: any): Promise<number> {
  const { ImageStore } = require('../image/store') as typeof import('../image/store');
  const { commitContainer } = require('../container/commit') as typeof import('../container/commit');
  const id = await commitContainer(String(args.container), {
    message: last(args.message), author: last(args.author), changes: list(args.change), reference: args.repository,
  }, new ImageStore());
  process.stdout.write(`${id}\n`);
  return 0;
}
