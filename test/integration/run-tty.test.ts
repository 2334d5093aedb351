// `run -it` through a real pseudo-terminal: Python's pty module plays the user's terminal (with a
// window size set before tsdocker starts), types a line into the container's shell, and reports
// what the terminal showed and the exit status. Needs root and python3.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT_DIR, setup, skip as baseSkip, type Env } from './run-support';
import { hasPython, inTerminal } from '../support/terminal';

const skip = baseSkip || (hasPython ? false : 'needs python3');


describe('run -it', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  /** tsdocker on a 33x101 terminal; `typed` is typed once the shell shows its prompt. */
  const tsdockerInTerminal = (args: string[], typed = '') =>
    inTerminal([process.execPath, path.join(ROOT_DIR, 'bin', 'tsdocker'), ...args],
      { size: [33, 101], env: e.env, steps: typed ? [{ when: '[#$] ', type: typed }] : [] });

  test('-t: a terminal of the user\'s size inside, TERM=xterm', () => {
    const r = tsdockerInTerminal(['run', '--rm', '-t', e.image, 'sh', '-c', 'tty; stty size; echo $TERM']);
    assert.equal(r.code, 0, r.output);
    // Both terminals (the container's and Python's) turn \n into \r\n (ONLCR).
    assert.equal(r.output.replace(/\r+\n/g, '\n'), '/dev/pts/0\n33 101\nxterm\n');
  });

  test('-it: an interactive shell reads what is typed and exits with its status', () => {
    const r = tsdockerInTerminal(['run', '--rm', '-it', e.image, 'sh'], 'echo in-$((6*7)); exit 5\n');
    assert.equal(r.code, 5, r.output);
    assert.match(r.output, /in-42/);
  });

  test('-it with stdin not a terminal is refused, like Docker', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT_DIR, 'bin', 'tsdocker'), 'run', '--rm', '-it', e.image, 'true'],
      { encoding: 'utf8', env: e.env, input: '' });
    assert.equal(r.status, 125);
    assert.equal(r.stderr, 'tsdocker: the input device is not a TTY\n');
  });
});
