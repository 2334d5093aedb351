// "did you mean ...?" for a mistyped command or flag (parser.ts loads this only to report one):
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
