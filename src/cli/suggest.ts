// "did you mean ...?" for a mistyped command or flag. yargs' own recommendCommands() replaces the
// error with its suggestion, so tsdocker rewrites yargs' failure messages itself, into Docker's
// words ("unknown flag: --rmm") plus the nearest known name:
//   tsdocker: unknown command: rnu (did you mean run?)
//   tsdocker: unknown flag: --rmm (did you mean --rm?)

/** The candidate nearest to `word` (edit distance with transpositions, at most 2), or undefined. */
export function closest(word: string, candidates: string[]): string | undefined {
  // cobra's rule first: a prefix of exactly one name ("insp" -> inspect).
  const prefixed = candidates.filter((c) => c.startsWith(word));
  if (word.length >= 3 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  // A short word is close to everything: "ab" is 2 edits from any 2-letter name.
  return bestDistance <= Math.min(2, Math.floor(word.length / 2)) ? best : undefined;
}

/** Optimal string alignment distance: Levenshtein, with a swap of two neighbours as one edit. */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** What the failing parser knew: its commands (with aliases) and its long option names. */
export interface ParserContext {
  commands: string[];
  options: string[];
  /** "tsdocker ps", for the pointer to --help */
  path: string;
}

/** The third argument yargs passes to .fail(): its usage object (yargs/build/lib/usage.js). */
interface YargsUsage {
  getCommands(): [string, string, boolean, string[], boolean][];
  getDescriptions(): Record<string, unknown>;
}

export function contextOf(usage: unknown, path: string): ParserContext {
  const u = usage as Partial<YargsUsage> | undefined;
  const commands = (u?.getCommands?.() ?? []).flatMap(([cmd, , , aliases]) => [cmd, ...(aliases ?? [])])
    .map((c) => c.split(' ')[0]);
  return { commands, options: Object.keys(u?.getDescriptions?.() ?? {}), path };
}

/**
 * Turn a yargs failure message into tsdocker's line, or return it unchanged. `argv` is the
 * command line, to tell a mistyped flag (--alll) from a stray word (ps foo); `group` is the
 * command named on it (`image`), whose mistyped subcommand yargs reports as a missing one.
 */
export function explainFailure(msg: string, ctx: ParserContext, argv: string[], group?: string): string {
  const help = `see '${ctx.path} --help'`;
  const cmd = /^Unknown commands?: ([^,]*)/.exec(msg);
  if (cmd && group && ctx.commands.length === 0) return `unexpected argument: ${cmd[1]}; ${help}`;
  if (cmd) return unknownCommand(cmd[1], cmd[1], ctx.commands, help);
  if (/^Not enough non-option arguments/.test(msg)) {
    // `run --rmm busybox`: yargs took "busybox" as the value of the unknown flag.
    const end = argv.indexOf('--') < 0 ? argv.length : argv.indexOf('--');
    const flag = argv.slice(0, end).map((a) => /^--([^=]+)/.exec(a)?.[1]).find((f) => f && !ctx.options.includes(f));
    if (flag) return explainFailure(`Unknown argument: ${flag}`, ctx, argv);
    const need = /need at least (\d+)/.exec(msg)?.[1];
    if (need) return `"${ctx.path}" requires at least ${need} argument${need === '1' ? '' : 's'}; ${help}`;
  }
  if (group && ctx.commands.length > 0) {
    const next = argv.slice(argv.indexOf(group) + 1).find((a) => !a.startsWith('-'));
    if (next !== undefined && !ctx.commands.includes(next)) {
      return unknownCommand(`${group} ${next}`, next, ctx.commands, help, `${group} `);
    }
  }
  const choice = /^Invalid values:\s+Argument: \w+, Given: "(.*)", Choices: (.*)$/s.exec(msg);
  if (choice) {
    const choices = choice[2].split(', ').map((c) => c.replace(/^"|"$/g, ''));
    return unknownCommand(`${group ? group + ' ' : ''}${choice[1]}`, choice[1], choices, help, group ? `${group} ` : '');
  }
  const args = /^Unknown arguments?: (.*)$/.exec(msg);
  if (!args) return msg;
  const typed = (w: string) => argv.some((a) => a === `--${w}` || a.startsWith(`--${w}=`));
  // yargs lists both spellings of a dashed name ("no-trunx, noTrunx"): keep the one typed.
  const word = args[1].split(', ').filter((w) => !/[A-Z]/.test(w) || typed(w))[0];
  if (typed(word)) {
    const guess = closest(word, ctx.options);
    return `unknown flag: --${word}` + (guess ? ` (did you mean --${guess}?)` : `; ${help}`);
  }
  if (word.length === 1 && argv.some((a) => /^-[^-]/.test(a) && a.includes(word))) {
    return `unknown shorthand flag: '${word}' in -${word}; ${help}`;
  }
  return `unexpected argument: ${word}; ${help}`;
}

function unknownCommand(shown: string, word: string, commands: string[], help: string, prefix = ''): string {
  const guess = closest(word, commands);
  return `unknown command: ${shown}` + (guess ? ` (did you mean ${prefix}${guess}?)` : `; ${help}`);
}
