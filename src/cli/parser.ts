// tsdocker's command line, read by Docker's rules (cobra and pflag). This replaced yargs: loading
// yargs and building its parser took about 50 ms of every `tsdocker run`, and its rules are not
// Docker's (`-p8080:80`, `--bool false`, flags after the image name). The command files describe
// themselves with the few yargs calls they always used (positional, option, example, command,
// demandCommand); an Argv records them and parse() reads argv with the record. The help screen is
// drawn by help.ts, which is loaded only for --help.
//
// The rules, as in pflag:
//   --name value, --name=value, -n value, -nvalue, -n=value; -it is -i -t; -iu student ends in a
//   flag that takes the rest (or the next word) as its value; a boolean flag takes no next word
//   (--rm=false to turn one off: no --no-x negation, --no-trunc is a flag of its own); "--" ends
//   the flags; "-" alone is an operand. A repeated string flag gives an array, a repeated boolean
//   or number flag its last value. For `run IMAGE CMD...` and `exec CONTAINER CMD...` the flags end
//   at the first operand (cobra's SetInterspersed(false)): the rest is the container's command.
import { TsdockerError } from '../errors';

export type OptionType = 'string' | 'boolean' | 'number';

export interface OptionSpec {
  /** One letter is a shorthand (-i); a longer one another long name (--net). */
  alias?: string | string[];
  type: OptionType;
  describe?: string;
  default?: string | number | boolean;
  choices?: readonly string[];
}

export interface PositionalSpec {
  type?: 'string';
  describe?: string;
  /** yargs' spelling for a variadic positional; the command string ("[command..]") says it too */
  array?: boolean;
  choices?: readonly string[];
}

/** Receives the parsed args (camelCase keys); returns the exit status, undefined meaning 0. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (args: any) => Promise<number | void>;
export type Builder = (y: Argv) => Argv;

export interface Option extends OptionSpec {
  name: string;
  /** the key in the parsed args: "env-file" -> "envFile" */
  key: string;
  longs: string[];
  shorts: string[];
}

export interface Positional extends PositionalSpec {
  name: string;
  required: boolean;
  variadic: boolean;
  /** .positional() was called for it, so help lists it */
  described: boolean;
}

/** A command as its module exports it (src/cli/command.ts). */
export interface CommandDef {
  command: string;
  describe: string;
  builder: Builder;
  handler: Handler;
}

export interface Subcommand {
  /** its name, then its aliases */
  names: string[];
  /** the command string shown in the parent's list: "ls [repository]" */
  usage: string;
  describe: string;
  load: () => CommandDef;
}

/** The recorder a command's builder fills in, with yargs' method names. */
export class Argv {
  readonly positionals: Positional[];
  readonly options: Option[] = [];
  readonly examples: Array<[string, string]> = [];
  readonly commands: Subcommand[] = [];
  /** the error when a group is run without a subcommand */
  demand?: string;
  /** false: flags end at the first operand (run, exec) */
  interspersed = true;

  /** `command` is the command string, "run <image> [command..]": its words after the name are
   *  the positionals, <required> or [optional], ".." for the rest of the operands. */
  constructor(command = '') {
    this.positionals = command.split(' ').slice(1).filter(Boolean).map((w) => ({
      name: w.slice(1, -1).replace(/\.\.$/, ''),
      required: w.startsWith('<'),
      variadic: w.endsWith('..>') || w.endsWith('..]'),
      described: false,
    }));
  }

  positional(name: string, spec: PositionalSpec): this {
    const p = this.positionals.find((x) => x.name === name);
    if (!p) throw new Error(`positional ${name} is not in the command string`);
    Object.assign(p, spec, { described: true });
    return this;
  }

  option(name: string, spec: OptionSpec): this {
    // Plain loops and one object literal: this runs ~35 times, cold, before every `tsdocker run`.
    const longs = [name];
    const shorts: string[] = [];
    for (const a of spec.alias === undefined ? [] : typeof spec.alias === 'string' ? [spec.alias] : spec.alias) {
      (a.length === 1 ? shorts : longs).push(a);
    }
    this.options.push({ name, key: name.includes('-') ? camelCase(name) : name, longs, shorts, type: spec.type,
      describe: spec.describe, default: spec.default, choices: spec.choices });
    return this;
  }

  example(command: string, text: string): this {
    this.examples.push([command, text]);
    return this;
  }

  /** A subcommand (`image ls`): names are command strings, "ls [repository]", then its aliases. */
  command(names: string | string[], describe: string, builder: Builder, handler: Handler): this {
    const all = Array.isArray(names) ? names : [names];
    return this.lazyCommand(all.map((n) => n.split(' ')[0]), describe, () => ({ command: all[0], describe, builder, handler }),
      all[0]);
  }

  /** A subcommand whose module is loaded only when it is named: main's table of commands. */
  lazyCommand(names: string[], describe: string, load: () => CommandDef, usage = names[0]): this {
    this.commands.push({ names, usage, describe, load });
    return this;
  }

  /** yargs' name; only the message is used (a group needs exactly one subcommand). */
  demandCommand(_min: number, message: string): this {
    this.demand = message;
    return this;
  }

  /** Flags end at the first operand: `run busybox ls -la` gives -la to ls. */
  flagsEndAtOperand(): this {
    this.interspersed = false;
    return this;
  }
}

/** One level of the command line: the root, `image`, `image ls`. */
export interface Level {
  /** the command names typed to reach it: ["image", "ls"] */
  path: string[];
  /** its command string: "ls [repository]" */
  usage: string;
  describe: string;
  spec: Argv;
  handler?: Handler;
}

export interface Parsed {
  level: Level;
  /** option and positional values by camelCase key, and `_`: the command path */
  args: Record<string, unknown>;
  help: boolean;
  version: boolean;
}

const HELP: Option = { name: 'help', key: 'help', longs: ['help'], shorts: ['h'], type: 'boolean', describe: 'Show help' };
const VERSION: Option = { name: 'version', key: 'version', longs: ['version'], shorts: [], type: 'boolean', describe: 'Show version number' };

/** The flags known at a level, in the order help lists them: the root's (global), --version,
 *  --help, the command's own. -h is help unless the command has its own -h (run's --hostname). */
export function optionsAt(root: Argv, spec: Argv): Option[] {
  const own = spec === root ? [] : spec.options;
  const help = own.some((o) => o.shorts.includes('h')) ? { ...HELP, shorts: [] } : HELP;
  return [...root.options, VERSION, help, ...own];
}

/** pflag's boolean spellings (Go's strconv.ParseBool). */
const BOOLEANS: Record<string, boolean> = {
  1: true, t: true, T: true, true: true, TRUE: true, True: true,
  0: false, f: false, F: false, false: false, FALSE: false, False: false,
};

export function parse(argv: readonly string[], root: Argv): Parsed {
  let level: Level = { path: [], usage: '', describe: '', spec: root };
  let options = optionsAt(root, root);
  const args: Record<string, unknown> = {};
  const operands: string[] = [];
  let flagsEnded = false;
  const where = () => ['tsdocker', ...level.path].join(' ');
  const fail = (message: string) => new TsdockerError(`${message}; see '${where()} --help'`);

  const set = (opt: Option, raw: string, typed: string) => {
    if (opt.type === 'string') {
      if (opt.choices && !opt.choices.includes(raw)) {
        throw fail(`invalid argument "${raw}" for "${typed}" flag: must be one of ${opt.choices.join(', ')}`);
      }
      const prev = args[opt.key];
      args[opt.key] = prev === undefined ? raw : [...(Array.isArray(prev) ? prev : [prev]), raw];
      return;
    }
    const value = opt.type === 'boolean' ? BOOLEANS[raw] : raw.trim() === '' ? NaN : Number(raw);
    if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) {
      throw fail(`invalid argument "${raw}" for "${typed}" flag: not a ${opt.type === 'boolean' ? 'boolean (true or false)' : 'number'}`);
    }
    args[opt.key] = value;
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (flagsEnded || a === '-' || !a.startsWith('-')) {
      if (level.spec.commands.length > 0) {
        level = enter(level, a);
        options = optionsAt(root, level.spec);
      } else {
        operands.push(a);
        if (!level.spec.interspersed) flagsEnded = true;
      }
    } else if (a === '--') {
      flagsEnded = true;
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (name === '' || name.startsWith('-')) throw fail(`bad flag syntax: ${a}`);
      const opt = options.find((o) => o.longs.includes(name));
      if (!opt) throw unknownFlag(name, options, where());
      if (eq >= 0) set(opt, a.slice(eq + 1), `--${name}`);
      else if (opt.type === 'boolean') set(opt, 'true', `--${name}`);
      else if (i + 1 < argv.length) set(opt, argv[++i], `--${name}`);
      else throw fail(`flag needs an argument: --${name}`);
    } else {
      // A group of shorthands: each a boolean, until one that takes a value takes the rest.
      for (let rest = a.slice(1); rest.length > 0;) {
        const c = rest[0];
        const opt = options.find((o) => o.shorts.includes(c));
        if (!opt) throw fail(`unknown shorthand flag: '${c}' in -${rest}`);
        const typed = `-${c}, --${opt.name}`;
        if (rest.length > 2 && rest[1] === '=') {
          set(opt, rest.slice(2), typed);
          rest = '';
        } else if (opt.type === 'boolean') {
          set(opt, 'true', typed);
          rest = rest.slice(1);
        } else if (rest.length > 1) {
          set(opt, rest.slice(1), typed);
          rest = '';
        } else if (i + 1 < argv.length) {
          set(opt, argv[++i], typed);
          rest = '';
        } else {
          throw fail(`flag needs an argument: '${c}' in -${rest}`);
        }
      }
    }
  }

  const help = args.help === true;
  const version = args.version === true;
  delete args.help;
  delete args.version;
  args._ = level.path;
  if (help || version) return { level, args, help, version };
  if (level.spec.commands.length > 0) throw new TsdockerError(level.spec.demand ?? `a command is required; see '${where()} --help'`);

  const positionals = level.spec.positionals;
  const required = positionals.filter((p) => p.required).length;
  if (operands.length < required) {
    throw fail(`"${where()}" requires at least ${required} argument${required === 1 ? '' : 's'}`);
  }
  let next = 0;
  for (const p of positionals) {
    if (p.variadic) {
      args[camelCase(p.name)] = operands.slice(next);
      next = operands.length;
    } else if (next < operands.length) {
      const value = operands[next++];
      if (p.choices && !p.choices.includes(value)) throw unknownCommand(level, value, p.choices);
      args[camelCase(p.name)] = value;
    }
  }
  if (next < operands.length) throw fail(`unexpected argument: ${operands[next]}`);
  for (const o of options) if (o.default !== undefined && args[o.key] === undefined) args[o.key] = o.default;
  return { level, args, help, version };
}

/** Go one level down, to the subcommand named `word` of a group (or of the root). */
function enter(level: Level, word: string): Level {
  const sub = level.spec.commands.find((c) => c.names.includes(word));
  if (!sub) throw unknownCommand(level, word, level.spec.commands.flatMap((c) => c.names));
  const def = sub.load();
  const spec = new Argv(def.command);
  return { path: [...level.path, sub.names[0]], usage: def.command, describe: def.describe, spec: def.builder(spec),
    handler: def.handler };
}

/** "unknown command: image lss (did you mean image ls?)"; the suggestion code is loaded only here. */
function unknownCommand(level: Level, word: string, names: readonly string[]): TsdockerError {
  const { closest } = require('./suggest') as typeof import('./suggest');
  const prefix = level.path.map((p) => `${p} `).join('');
  const guess = closest(word, [...names]);
  return new TsdockerError(`unknown command: ${prefix}${word}` +
    (guess ? ` (did you mean ${prefix}${guess}?)` : `; see '${['tsdocker', ...level.path].join(' ')} --help'`));
}

function unknownFlag(name: string, options: Option[], where: string): TsdockerError {
  const { closest } = require('./suggest') as typeof import('./suggest');
  const guess = closest(name, options.flatMap((o) => o.longs));
  return new TsdockerError(`unknown flag: --${name}` + (guess ? ` (did you mean --${guess}?)` : `; see '${where} --help'`));
}

/** "env-file" -> "envFile", the key handlers read (yargs' camel-case expansion). */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
