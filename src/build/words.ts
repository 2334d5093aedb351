// Variable substitution and word splitting in Dockerfile arguments, as Docker's shell lexer does it
// (moby/buildkit frontend/dockerfile/shell/lex.go; Dockerfile reference, "Environment replacement"):
//
//   $V  ${V}            the value, or "" when V is not set
//   ${V:-word}          word when V is unset or empty, else V      ${V-word}: only when unset
//   ${V:+word}          word when V is set and not empty, else ""  ${V+word}: when set at all
//   ${V:?msg}           an error when V is unset or empty          ${V?msg}:  only when unset
//
// Inside '...' nothing is replaced; inside "..." variables are; the escape character (\ or `, see
// the `escape` directive) makes the next character literal. Quotes are removed from the result.
import { TsdockerError } from '../errors';

export type Vars = Map<string, string>;

interface LexOptions {
  escape: string;
}

/** One word, with variables replaced and quotes removed (WORKDIR, USER, STOPSIGNAL, ...). */
export function processWord(text: string, vars: Vars, escape = '\\'): string {
  return new Lexer(text, vars, { escape }).words(false).join('');
}

/** Words separated by unquoted white space, each substituted (COPY, EXPOSE, VOLUME, ARG, ...). */
export function processWords(text: string, vars: Vars, escape = '\\'): string[] {
  return new Lexer(text, vars, { escape }).words(true);
}

/** Words separated by unquoted white space, WITHOUT substitution or quote removal, for ENV and
 *  LABEL, whose key=value pairs are split first and substituted one by one (parseNameVal). */
export function splitRaw(text: string, escape = '\\'): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === escape && quote !== "'" && i + 1 < text.length) {
      cur += c + text[++i];
      has = true;
    } else if (quote) {
      if (c === quote) quote = '';
      cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new TsdockerError(`unmatched ${quote} in ${JSON.stringify(text)}`);
  if (has) out.push(cur);
  return out;
}

class Lexer {
  private i = 0;

  constructor(private readonly s: string, private readonly vars: Vars, private readonly o: LexOptions) {}

  words(split: boolean): string[] {
    const out: string[] = [];
    let cur = '';
    let has = false;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (split && /\s/.test(c)) {
        this.i++;
        if (has) out.push(cur);
        cur = '';
        has = false;
        continue;
      }
      has = true;
      if (c === this.o.escape) {
        this.i++;
        if (this.i < this.s.length) cur += this.s[this.i++];
        else cur += c;
      } else if (c === "'") {
        cur += this.single();
      } else if (c === '"') {
        cur += this.double();
      } else if (c === '$') {
        const value = this.dollar();
        if (!split) {
          cur += value;
          continue;
        }
        // An unquoted variable's value is split into words too, as a shell does ("$FILES").
        const parts = value.split(/\s+/);
        cur += parts[0];
        for (const p of parts.slice(1)) {
          if (cur !== '') out.push(cur);
          cur = p;
        }
        has = cur !== '' || parts.length === 1;
      } else {
        cur += c;
        this.i++;
      }
    }
    if (has || !split) out.push(cur);
    return out;
  }

  private single(): string {
    const end = this.s.indexOf("'", this.i + 1);
    if (end < 0) throw new TsdockerError(`unexpected end of statement while looking for matching single-quote in ${JSON.stringify(this.s)}`);
    const text = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return text;
  }

  private double(): string {
    let out = '';
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === this.o.escape && this.i + 1 < this.s.length && '"$'.concat(this.o.escape).includes(this.s[this.i + 1])) {
        out += this.s[this.i + 1];
        this.i += 2;
      } else if (c === '$') {
        out += this.dollar();
      } else {
        out += c;
        this.i++;
      }
    }
    throw new TsdockerError(`unexpected end of statement while looking for matching double-quote in ${JSON.stringify(this.s)}`);
  }

  private dollar(): string {
    this.i++; // the $
    const rest = this.s.slice(this.i);
    const plain = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (plain) {
      this.i += plain[0].length;
      return this.vars.get(plain[0]) ?? '';
    }
    if (rest[0] !== '{') return '$';
    const m = /^\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])|(\}))/.exec(rest);
    if (!m) throw new TsdockerError(`bad substitution in ${JSON.stringify(this.s)}`);
    const name = m[1];
    this.i += m[0].length;
    const value = this.vars.get(name);
    if (m[3]) return value ?? '';
    const op = m[2];
    const word = this.until('}');
    const set = value !== undefined && (op.startsWith(':') ? value !== '' : true);
    switch (op.replace(':', '')) {
      case '-': return set ? value! : word;
      case '+': return set ? word : '';
      default:
        if (!set) throw new TsdockerError(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
    }
  }

  /** The word of ${V:-word} up to the closing brace, itself substituted. */
  private until(close: string): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === close) {
        this.i++;
        return out;
      }
      if (c === this.o.escape && this.i + 1 < this.s.length) {
        out += this.s[this.i + 1];
        this.i += 2;
      } else if (c === '$') {
        out += this.dollar();
      } else if (c === "'") {
        out += this.single();
      } else if (c === '"') {
        out += this.double();
      } else {
        out += c;
        this.i++;
      }
    }
    throw new TsdockerError(`missing '}' in ${JSON.stringify(this.s)}`);
  }
}
