// `tsdocker image ls|rm|inspect|prune|pull|tag`: Docker's management-command spelling of the
// image commands. Each subcommand reuses the top-level command's module.
import type { Argv } from './parser';
import type { CommandModule } from './command';

export const command = 'image <command>';
export const describe = 'Manage images (ls, rm, inspect, prune, pull, tag, push, save, load)';

/** Register a top-level command's module under a new name ("images" as "image ls"). */
function sub(y: Argv, file: string, name: string, aliases: string[] = []): Argv {
  const mod = require(`./${file}.js`) as CommandModule;
  const rest = mod.command.split(' ').slice(1).join(' ');
  const names = [name, ...aliases].map((n) => `${n}${rest ? ' ' + rest : ''}`);
  return y.command(names, mod.describe, mod.builder, async (args) => {
    process.exitCode = (await mod.handler(args)) ?? 0;
  });
}

export function builder(y: Argv): Argv {
  for (const [file, name, ...aliases] of [['images', 'ls', 'list'], ['rmi', 'rm', 'remove'],
    ['image-inspect', 'inspect'], ['image-prune', 'prune'], ['pull', 'pull'], ['tag', 'tag'],
    ['push', 'push'], ['save', 'save'], ['load', 'load']]) {
    y = sub(y, file, name, aliases);
  }
  return y
    .example('tsdocker image ls', 'the same as tsdocker images')
    .example('tsdocker image rm busybox', 'the same as tsdocker rmi busybox')
    .demandCommand(1, `"tsdocker image" requires a subcommand (ls, rm, inspect, prune, pull, tag, push, save, load); see 'tsdocker image --help'`);
}

export async function handler(): Promise<void> {
  // subcommands do the work
}
