// The Dockerfile parser (Dockerfile reference; moby/buildkit frontend/dockerfile/parser). It turns
// the text into instructions, each with the line it starts on, and checks what can be checked
// before anything runs, so a typo fails at once with the file and line:
//
//   Dockerfile:7: unknown instruction: RUNN
//
// Reading order, as Docker's:
//   1. parser directives (`# escape=\``, `# syntax=...`), only at the very top of the file;
//   2. comment lines (`#` first on the line) are dropped, also inside a continued instruction;
//   3. a line ending in the escape character continues on the next line;
//   4. the first word is the instruction (any case), then `--name=value` flags, then arguments:
//      a JSON array of strings is the exec form, anything else the shell form.
// Variables are NOT replaced here: their values depend on ENV and ARG steps (see words.ts).
import { TsdockerError } from '../errors';

export interface Instruction {
  /** first line of the instruction, 1-based */
  line: number;
  /** upper case: "RUN" */
  keyword: string;
  /** the arguments after the flags, continuations joined */
  args: string;
  /** --name=value flags before the arguments */
  flags: Map<string, string>;
  /** the exec (JSON array) form, when the arguments are one */
  json?: string[];
  /** the instruction as the user wrote it, on one line: shown in "Step 2/4 : RUN ..." */
  text: string;
}

export interface Dockerfile {
  /** for error messages: "Dockerfile" */
  name: string;
  escape: string;
  syntax?: string;
  instructions: Instruction[];
}

export interface Stage {
  /** `FROM image AS name` */
  name?: string;
  index: number;
  from: Instruction;
  steps: Instruction[];
}

const FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link', 'checksum'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

const KEYWORDS = ['FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'ENV', 'ARG', 'WORKDIR', 'LABEL', 'EXPOSE',
  'USER', 'VOLUME', 'SHELL', 'STOPSIGNAL', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER'];

/** Instructions whose arguments may be a JSON array. */
const JSON_FORMS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'VOLUME', 'COPY', 'ADD']);

export function parseDockerfile(text: string, name = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const df: Dockerfile = { name, escape: '\\', instructions: [] };
  let i = readDirectives(lines, df);

  while (i < lines.length) {
    const start = i;
    let line = lines[i++];
    if (isBlankOrComment(line)) continue;
    let joined = '';
    // A line ending in the escape character continues; comment and empty lines inside are skipped.
    while (endsWithEscape(line, df.escape)) {
      joined += line.replace(/\s+$/, '').slice(0, -1);
      line = '';
      while (i < lines.length) {
        const next = lines[i++];
        if (isBlankOrComment(next)) continue;
        line = next;
        break;
      }
    }
    joined += line;
    df.instructions.push(parseInstruction(joined.trim(), start + 1, df));
  }
  if (df.instructions.length === 0) throw new TsdockerError(`the Dockerfile (${name}) cannot be empty`);
  return df;
}

/** `# key=value` lines at the top; the first other line ends them (Dockerfile reference, "Parser directives"). */
function readDirectives(lines: string[], df: Dockerfile): number {
  const seen = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (key !== 'escape' && key !== 'syntax' && key !== 'check') break; // an ordinary comment
    if (seen.has(key)) throw fail(df, i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw fail(df, i + 1, `invalid escape token '${m[2]}' does not match ` + '` or \\');
      df.escape = m[2];
    } else if (key === 'syntax') {
      df.syntax = m[2];
    }
  }
  return i;
}

function isBlankOrComment(line: string): boolean {
  return /^\s*(#.*)?$/.test(line);
}

function endsWithEscape(line: string, escape: string): boolean {
  const t = line.replace(/\s+$/, '');
  return t.endsWith(escape) && !isBlankOrComment(line);
}

function parseInstruction(text: string, line: number, df: Dockerfile): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text)!;
  const keyword = m[1].toUpperCase();
  if (!KEYWORDS.includes(keyword)) throw fail(df, line, `unknown instruction: ${m[1]}`);
  let rest = m[2];
  const flags = new Map<string, string>();
  if (keyword !== 'RUN' || /^--/.test(rest)) {
    for (;;) {
      const f = /^--([a-zA-Z-]+)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      if (keyword === 'RUN') throw fail(df, line, `RUN --${f[1]} is not supported by tsdocker`);
      if (!(FLAGS[keyword] ?? []).includes(f[1])) throw fail(df, line, `unknown flag: --${f[1]}`);
      if (f[2] === undefined) throw fail(df, line, `missing a value on flag: --${f[1]}`);
      flags.set(f[1], f[2]);
      rest = rest.slice(f[0].length);
    }
  }
  const ins: Instruction = { line, keyword, args: rest.trim(), flags, text };
  if (JSON_FORMS.has(keyword)) ins.json = jsonForm(ins.args);
  check(ins, df);
  return ins;
}

/** The exec form: a JSON array of strings, else undefined (the shell form). */
function jsonForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(args) as unknown;
    if (Array.isArray(v) && v.every((w) => typeof w === 'string')) return v as string[];
  } catch { /* not JSON: Docker runs it with the shell, as written */ }
  return undefined;
}

/** What the Dockerfile reference requires of each instruction's arguments. */
function check(ins: Instruction, df: Dockerfile): void {
  const err = (msg: string) => fail(df, ins.line, msg);
  const words = ins.args.split(/\s+/).filter(Boolean);
  switch (ins.keyword) {
    case 'FROM':
      if (!(words.length === 1 || (words.length === 3 && words[1].toLowerCase() === 'as'))) {
        throw err('FROM requires either one or three arguments');
      }
      if (words.length === 3 && !/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(words[2])) throw err(`invalid name for build stage: "${words[2]}"`);
      break;
    case 'COPY':
    case 'ADD':
      if ((ins.json ?? words).length < 2) throw err(`${ins.keyword} requires at least two arguments`);
      break;
    case 'ENV':
    case 'LABEL':
    case 'ARG':
    case 'WORKDIR':
    case 'USER':
    case 'EXPOSE':
    case 'VOLUME':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
    case 'RUN':
    case 'ONBUILD':
    case 'HEALTHCHECK':
      if (words.length === 0) throw err(`${ins.keyword} requires at least one argument`);
      if (ins.keyword === 'STOPSIGNAL' && words.length !== 1) throw err('STOPSIGNAL requires exactly one argument');
      if (ins.keyword === 'ENV' && words[0].startsWith('=')) throw err('ENV names can not be blank');
      if (ins.keyword === 'ONBUILD') checkOnbuild(ins, df);
      if (ins.keyword === 'HEALTHCHECK') {
        const kind = words[0].toUpperCase();
        if (kind !== 'CMD' && kind !== 'NONE') throw err('HEALTHCHECK requires CMD or NONE');
        if (kind === 'NONE' && words.length > 1) throw err('HEALTHCHECK NONE takes no arguments');
      }
      break;
    case 'SHELL':
      if (!ins.json || ins.json.length === 0) throw err('SHELL requires the arguments to be in JSON form');
      break;
    default:
      break;
  }
}

function checkOnbuild(ins: Instruction, df: Dockerfile): void {
  const inner = parseInstruction(ins.args, ins.line, df);
  if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(inner.keyword)) {
    throw fail(df, ins.line, `${inner.keyword} isn't allowed as an ONBUILD trigger`);
  }
}

/** Parse one ONBUILD trigger of a base image (stored in its config as text). */
export function parseTrigger(text: string, df: Dockerfile, line: number): Instruction {
  return parseInstruction(text, line, df);
}

/** ARGs before the first FROM, and the stages in order. */
export function splitStages(df: Dockerfile): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of df.instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/);
      const name = words.length === 3 ? words[2].toLowerCase() : undefined;
      if (name && stages.some((s) => s.name === name)) throw fail(df, ins.line, `duplicate stage name "${name}"`);
      stages.push({ name, index: stages.length, from: ins, steps: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw fail(df, ins.line, `${ins.keyword} before the first FROM: no build stage in current context`);
      globalArgs.push(ins);
    } else {
      stages[stages.length - 1].steps.push(ins);
    }
  }
  if (stages.length === 0) throw new TsdockerError(`${df.name}: no FROM instruction`);
  return { globalArgs, stages };
}

export function fail(df: Pick<Dockerfile, 'name'>, line: number, message: string): TsdockerError {
  return new TsdockerError(`${df.name}:${line}: ${message}`);
}
