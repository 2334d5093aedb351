// The shape every command file in src/cli/ exports. A command file holds only the flags, the usage
// text and examples; it calls the library to do the work and returns the process exit status.
import type { Argv } from 'yargs';

export interface CommandModule {
  command: string;
  aliases?: string[];
  describe: string;
  builder: (yargs: Argv) => Argv;
  /** Returns the exit status; undefined means 0. */
  handler: (args: any) => Promise<number | void>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Rewrites argv before parsing, for commands that pass the rest of the line to a program
   *  (`run IMAGE ls -la`: "-la" is ls's, not ours). */
  prepareArgv?: (argv: string[]) => string[];
}
