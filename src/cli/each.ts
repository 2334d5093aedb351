// Commands that take several containers (stop, kill, start, restart, wait) work through them in
// order as Docker does: each success prints its line, each failure is one error line on stderr,
// and the exit status is 1 if any failed.
import { reportError } from './main';

export async function eachContainer(names: string[], fn: (name: string) => Promise<string>): Promise<number> {
  let status = 0;
  for (const name of names) {
    try {
      process.stdout.write(`${await fn(String(name))}\n`);
    } catch (err) {
      reportError(err);
      status = 1;
    }
  }
  return status;
}
