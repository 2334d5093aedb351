// Small pieces every command file needs when reading what yargs parsed.

/** A repeated option is an array, a single one a string (yargs' duplicate-arguments-array). */
export function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** The last of a repeated option wins, as in Docker. */
export function last<T>(v: T | T[] | undefined): T | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * Docker stops reading its own flags at the first operand after the command (`run busybox ls -la`:
 * "-la" belongs to ls; `exec web ls -la` likewise). yargs cannot halt inside a command, so the
 * command's prepareArgv puts a "--" after that operand before yargs parses. `valueOptions` are the
 * options that take a value (so their value is not taken for the operand); `rewrite` may rename a
 * flag in place (run's Docker-style `-h NAME`).
 */
export function endOptionsAtOperand(argv: string[], command: string, valueOptions: Set<string>,
  rewrite?: (flag: string) => string): string[] {
  const out = [...argv];
  let i = out.indexOf(command);
  if (i === -1) return out;
  for (i++; i < out.length; i++) {
    const a = out[i];
    if (a === '--') return out;
    if (!a.startsWith('-') || a === '-') {
      if (out[i + 1] !== '--') out.splice(i + 1, 0, '--');
      return out;
    }
    if (rewrite && i + 1 < out.length) out[i] = rewrite(a);
    if (a.includes('=')) continue;
    const shortGroupEnd = /^-[a-zA-Z]+$/.test(a) ? `-${a.slice(-1)}` : a;
    if (valueOptions.has(out[i]) || valueOptions.has(shortGroupEnd)) i++;
  }
  return out;
}

/** The command line after the operand: yargs puts what follows "--" in `_`, after the command name. */
export function trailingCommand(args: { command?: unknown; _?: unknown }): string[] {
  return [...list(args.command), ...list(args._).slice(1)];
}
