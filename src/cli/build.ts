import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { list } from './args';

export const command = 'build <context>';
export const describe = 'Build an image from a Dockerfile';

export function builder(y: Argv): Argv {
  return y
    .positional('context', { type: 'string', describe: 'PATH: the build context (a directory)' })
    .option('tag', { alias: 't', type: 'string', describe: 'Name and optionally a tag in the name:tag format (repeatable)' })
    .option('file', { alias: 'f', type: 'string', describe: "Name of the Dockerfile (default: 'PATH/Dockerfile')" })
    .option('build-arg', { type: 'string', describe: 'Set build-time variables: KEY=VALUE (repeatable)' })
    .option('no-cache', { type: 'boolean', describe: 'Do not use cache when building the image' })
    .option('target', { type: 'string', describe: 'Set the target build stage to build' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress the build output and print image ID on success' })
    .option('network', { type: 'string', describe: "The network RUN steps use: host (tsdocker's default), bridge, none, or a network name" })
    .example('tsdocker build -t hello:1 .', 'build ./Dockerfile and name the image')
    .example('tsdocker build --build-arg VERSION=2 --target test -f ci.Dockerfile .', 'one stage, with a build argument');
}


// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function handler(args: any): Promise<number> {
  const fs = require('node:fs') as typeof import('node:fs');
  const { ImageStore } = require('../image/store') as typeof import('../image/store');
  const { stateRoot } = require('../root') as typeof import('../root');
  const { build } = require('../build/builder') as typeof import('../build/builder');
  const context = String(args.context);
  if (!fs.statSync(context, { throwIfNoEntry: false })?.isDirectory()) {
    throw new TsdockerError(`unable to prepare context: path "${context}" not found or not a directory`);
  }
  const buildArgs = new Map<string, string>();
  for (const a of list(args.buildArg)) {
    const eq = a.indexOf('=');
    // Docker: "--build-arg KEY" takes KEY's value from the environment.
    if (eq < 0) {
      if (process.env[a] !== undefined) buildArgs.set(a, process.env[a]!);
    } else {
      buildArgs.set(a.slice(0, eq), a.slice(eq + 1));
    }
  }
  const quiet = Boolean(args.quiet);
  const out = quiet ? new (require('node:stream').PassThrough)() : process.stdout;
  const id = await build({
    context, file: args.file, tags: list(args.tag), buildArgs, noCache: Boolean(args.noCache),
    target: Array.isArray(args.target) ? args.target.at(-1) : args.target, out,
    network: Array.isArray(args.network) ? args.network.at(-1) : args.network,
  }, new ImageStore(), stateRoot());
  if (quiet) process.stdout.write(`${id}\n`);
  return 0;
}
