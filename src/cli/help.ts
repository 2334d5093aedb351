// The --help screen, in the layout yargs drew before tsdocker had its own parser, so the screens
// stay as they were: usage, description, subcommands, positionals, options with their other
// names, type, choices and default, examples; wrapped to the terminal's width. Loaded only when
// --help is asked for, so a plain `tsdocker run` never pays for it.
import { optionsAt, type Argv, type Level, type Option } from './parser';

interface Row {
  left: string;
  text: string;
  /** "[string] [default: "bridge"]": right-aligned, after the text when it fits */
  extra?: string;
  /** long-only options are indented under "-x, " */
  indent?: number;
}

export function renderHelp(root: Argv, level: Level, width: number): string {
  const spec = level.spec;
  const here = ['tsdocker', ...level.path].join(' ');
  const out: string[] = [];
  if (level.path.length === 0) out.push('Usage: tsdocker [OPTIONS] COMMAND', '');
  else out.push(...wrap(['tsdocker', ...level.path.slice(0, -1), level.usage].join(' '), width), '', ...wrap(level.describe, width), '');

  if (spec.commands.length > 0) {
    section(out, 'Commands:', spec.commands.map((c) => ({
      left: `${here} ${c.usage}`, text: c.describe,
      extra: c.names.length > 1 ? `[aliases: ${c.names.slice(1).join(', ')}]` : undefined,
    })), width);
  } else {
    const described = spec.positionals.filter((p) => p.described);
    if (described.length > 0) {
      section(out, 'Positionals:', described.map((p) => ({
        left: p.name, text: p.describe ?? '',
        extra: tags([p.variadic ? 'array' : 'string', p.required && 'required', choices(p.choices), p.variadic && 'default: []']),
      })), width);
    }
  }

  const options = optionsAt(root, spec);
  const indent = options.some((o) => o.shorts.length > 0) ? '-x, '.length : 0;
  section(out, 'Options:', options.map((o) => ({
    left: switches(o), text: o.describe ?? '', indent: o.shorts.length === 0 ? indent : 0,
    extra: tags([o.type, choices(o.choices), o.default !== undefined && `default: ${JSON.stringify(o.default)}`]),
  })), width);

  if (spec.examples.length > 0) section(out, 'Examples:', spec.examples.map(([left, text]) => ({ left, text })), width);
  return out.join('\n').trimEnd();
}

/** "-t, --time, --timeout" */
function switches(o: Option): string {
  return [...o.shorts.map((s) => `-${s}`), ...o.longs.map((l) => `--${l}`)].join(', ');
}

function choices(values?: readonly string[]): string | undefined {
  return values && `choices: ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}

function tags(parts: Array<string | false | undefined>): string {
  return parts.filter(Boolean).map((p) => `[${p}]`).join(' ');
}

/** Two columns: the left one as wide as its widest entry (at most half the screen), the text
 *  wrapped beside it, and the extra right-aligned on the text's last line or below it. */
function section(out: string[], title: string, rows: Row[], width: number): void {
  const left = Math.min(Math.max(...rows.map((r) => r.left.length + (r.indent ?? 0))), Math.floor(width / 2));
  out.push(title);
  for (const r of rows) {
    const indent = r.indent ?? 0;
    const lefts = wrap(r.left, left - indent);
    const texts = wrap(r.text, width - left - 4);
    const lines: string[] = [];
    for (let i = 0; i < Math.max(lefts.length, texts.length); i++) {
      lines.push(`  ${' '.repeat(indent)}${(lefts[i] ?? '').padEnd(left - indent)}  ${texts[i] ?? ''}`.trimEnd());
    }
    for (const [i, extra] of (r.extra ? wrap(r.extra, width - 2) : []).entries()) {
      const last = lines[lines.length - 1];
      if (i === 0 && last.length + 1 + extra.length <= width) lines[lines.length - 1] = last.padEnd(width - extra.length) + extra;
      else lines.push(extra.padStart(width));
    }
    out.push(...lines);
  }
  out.push('');
}

/** Greedy word wrap; a word longer than the line is cut. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(' ')) {
    while (width > 0 && word.length > width) {
      if (line) lines.push(line);
      line = '';
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines;
}
