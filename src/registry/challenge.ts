// WWW-Authenticate parsing (RFC 7235 section 4.1, auth-param grammar in RFC 7230 3.2.6).
//
// A registry that wants credentials answers 401 with one or more challenges:
//   WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
//                     scope="repository:samalba/my-app:pull,push"
// Values may be quoted strings with backslash escapes, and a scope holds commas, so splitting on
// ',' is wrong; several challenges may share one header, and fetch joins repeated headers with
// ", ". This is the parser distribution's internal/client/auth/challenge/authchallenge.go uses,
// written as a small tokenizer.

export interface Challenge {
  /** lower case: "bearer", "basic" */
  scheme: string;
  /** parameter names in lower case: realm, service, scope, error */
  params: Record<string, string>;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[-._~+/0-9A-Za-z]/;

export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const s = header;
  let i = 0;
  const skipSpace = () => { while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++; };
  const skipSeparators = () => { while (i < s.length && /[ \t,]/.test(s[i])) i++; };
  const token = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i])) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    let out = '';
    i++; // opening quote
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i++];
    }
    i++; // closing quote (or end of a malformed header)
    return out;
  };
  /** Is there "name =" at position i? Then an auth-param follows, not a new challenge. */
  const paramAhead = (): boolean => {
    let j = i;
    while (j < s.length && TCHAR.test(s[j])) j++;
    if (j === i) return false;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    if (s[j] !== '=') return false;
    // "abc==" or "abc=" at the end of a challenge is token68 padding, not a parameter.
    j++;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    return j < s.length && s[j] !== '=' && s[j] !== ',';
  };

  const out: Challenge[] = [];
  skipSeparators();
  while (i < s.length) {
    const scheme = token();
    if (!scheme) { i++; skipSeparators(); continue; } // garbage: skip a character and resynchronise
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skipSpace();
    if (!paramAhead() && i < s.length && TOKEN68_CHAR.test(s[i])) {
      // token68 form ("Negotiate abc=="): kept whole, registries do not use it.
      const start = i;
      while (i < s.length && (TOKEN68_CHAR.test(s[i]) || s[i] === '=')) i++;
      challenge.params.token68 = s.slice(start, i);
    }
    for (;;) {
      skipSeparators();
      if (!paramAhead()) break;
      const name = token().toLowerCase();
      skipSpace();
      i++; // '='
      skipSpace();
      challenge.params[name] = s[i] === '"' ? quoted() : token();
    }
  }
  return out;
}

/** The scopes a bearer challenge asks for: the value is space separated (token.md). */
export function challengeScopes(c: Challenge): string[] {
  return (c.params.scope ?? '').split(' ').filter(Boolean);
}
