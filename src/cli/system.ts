// `tsdocker system df|prune|info`: Docker's management command for the whole installation.
import type { Argv } from './parser';
import type { CommandModule } from './command';

export const command = 'system <command>';
export const describe = 'Manage tsdocker (df, prune, info)';

export function builder(y: Argv): Argv {
  for (const file of ['system-df', 'system-prune', 'info']) {
    const mod = require(`./${file}.js`) as CommandModule;
    y = y.command(mod.command, mod.describe, mod.builder, async (args) => {
      process.exitCode = (await mod.handler(args)) ?? 0;
    });
  }
  return y
    .example('tsdocker system df', 'disk used by images, containers, volumes')
    .example('tsdocker system prune -f', 'remove stopped containers and dangling images')
    .demandCommand(1, `"tsdocker system" requires a subcommand (df, prune, info); see 'tsdocker system --help'`);
}

export async function handler(): Promise<void> {
  // subcommands do the work
}
