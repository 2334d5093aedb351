// A stack of undo steps, so that every error path cleans up exactly what was done before it, in
// reverse order (mounts before the directories they are mounted on), as crun and runc do on a
// failed create. Each step that fails is reported with --trace and does not stop the others.
import { trace } from '../trace';

export class Undo {
  private steps: { what: string; fn: () => void }[] = [];

  push(what: string, fn: () => void): void {
    this.steps.push({ what, fn });
  }

  /** Run every step, newest first, and forget them. */
  run(): void {
    while (this.steps.length > 0) {
      const { what, fn } = this.steps.pop()!;
      try {
        trace('cleanup', what);
        fn();
      } catch (err) {
        trace('cleanup', `${what} failed: ${(err as Error).message}`);
      }
    }
  }

  /** The work succeeded: keep everything. */
  clear(): void {
    this.steps = [];
  }
}
