#!/usr/bin/env node
// Stand-in for src/cli/main.ts in the run-*.test.ts files until main.ts lists run, ps, rm and
// volume: the same global options and error reporting, with run's argv passed through
// prepareArgv. run-support.ts uses bin/tsdocker instead as soon as main.ts knows `run`.
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import { main, reportError } from '../../src/cli/main';
import { setRoot } from '../../src/root';
import { setTrace } from '../../src/trace';
import { TsdockerError } from '../../src/errors';
import type { CommandModule } from '../../src/cli/command';

const OURS: Record<string, string> = { run: 'run', ps: 'ps', rm: 'rm', volume: 'volume' };

async function launch(argv: string[]): Promise<number> {
  const word = argv.find((a, i) => !a.startsWith('-') && argv[i - 1] !== '--root');
  if (!word || !OURS[word]) return main(argv);
  const mod = require(`../../src/cli/${OURS[word]}`) as CommandModule & { prepareArgv?: (a: string[]) => string[] };
  const args = mod.prepareArgv ? mod.prepareArgv(argv) : argv;
  let status = 0;
  const parser: Argv = yargs(args)
    .option('root', { type: 'string', global: true })
    .option('trace', { type: 'boolean', global: true })
    .middleware((a) => {
      setRoot(a.root as string | undefined);
      if (a.trace) setTrace(true);
    })
    .strictCommands().strictOptions().exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new TsdockerError(msg);
    })
    .command({ ...mod, handler: async (a) => { status = (await mod.handler(a)) ?? 0; } });
  try {
    await parser.parseAsync();
  } catch (err) {
    return reportError(err);
  }
  return status;
}

launch(process.argv.slice(2)).then((status) => { process.exitCode = status; });
