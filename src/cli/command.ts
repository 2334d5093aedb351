// The shape every command file in src/cli/ exports. A command file holds only the flags, the usage
// text and examples; it calls the library to do the work and returns the process exit status.
import type { Argv, Handler } from './parser';

export interface CommandModule {
  /** "run <image> [command..]": the name, then the positionals (see parser.ts) */
  command: string;
  aliases?: string[];
  describe: string;
  builder: (y: Argv) => Argv;
  /** Returns the exit status; undefined means 0. */
  handler: Handler;
}
