// Small pieces every command file needs when reading what the parser (parser.ts) produced.

/** A repeated string option is an array, a single one a string. */
export function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** The last of a repeated option wins, as in Docker. */
export function last<T>(v: T | T[] | undefined): T | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** The container's command line of `run IMAGE CMD...` and `exec CONTAINER CMD...`: every word after
 *  the operand, flags included, since Docker's own flags end there (Argv.flagsEndAtOperand). */
export function trailingCommand(args: { command?: unknown }): string[] {
  return list(args.command);
}
