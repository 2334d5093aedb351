// Docker's detach keys: Ctrl-P Ctrl-Q typed during `attach` (or `start -a -i`) leaves the container
// running and ends the command. The keys are watched in the input stream; bytes that could begin the
// sequence are held back until it is clear whether they do (moby pkg/term escapeProxy).
import { TsdockerError } from '../errors';

/** "ctrl-p,ctrl-q" (Docker's --detach-keys syntax: ctrl-<a-z, @, [, \, ], ^, _> or one character). */
export function parseDetachKeys(spec: string): number[] {
  return spec.split(',').map((key) => {
    const ctrl = /^ctrl-(.)$/i.exec(key);
    if (ctrl) {
      const c = ctrl[1].toLowerCase();
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      const special = '@[\\]^_'.indexOf(c);
      if (special !== -1) return special === 0 ? 0 : 26 + special;
    } else if (key.length === 1) {
      return key.charCodeAt(0);
    }
    throw new TsdockerError(`invalid detach keys (${spec}): unknown key ${key}`);
  });
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

export class DetachScanner {
  private matched = 0;

  constructor(private readonly keys: number[]) {}

  /** The bytes to pass on now, and whether the whole sequence has been typed. */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // Not the sequence after all: what was held back goes on, then this byte (which may start it again).
      out.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
