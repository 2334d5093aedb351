// attach and start -a: through a real pseudo-terminal (Python's pty module plays the user's
// terminal), Docker's detach keys Ctrl-P Ctrl-Q, and stdin/stdout/stderr without a terminal.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ROOT_DIR, setup, skip as baseSkip, type Env } from './run-support';
import { hasPython, inTerminal } from '../support/terminal';
import { inspect, leftovers, runDetached, ts as tsIn, waitForStatus } from './lifecycle-support';

const skip = baseSkip || (hasPython ? false : 'needs python3');


describe('attach', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });
  const ts = (args: string[], input?: string) => tsIn(e, args, input);

  /** tsdocker on a terminal, following [pattern, text to type] steps. */
  const tsdockerInTerminal = (steps: [string, string][], args: string[]) =>
    inTerminal([process.execPath, path.join(ROOT_DIR, 'bin', 'tsdocker'), ...args],
      { env: e.env, steps: steps.map(([when, type]) => ({ when, type })) });

  test('to a -dit shell: type, see the answer, detach with Ctrl-P Ctrl-Q, attach again, exit', async () => {
    runDetached(e, ['-it', '--name', 'shell', e.image, 'sh']);
    const first = tsdockerInTerminal([['', 'echo sum=$((40+2))\n'], ['sum=42', '\x10\x11']], ['attach', 'shell']);
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /sum=42/);
    assert.equal(inspect(e, 'shell').State.Status, 'running');
    // The shell's own terminal is /dev/pts/0 inside; what it printed while nobody was attached is logged.
    const second = tsdockerInTerminal([['', 'tty; exit 5\n']], ['attach', 'shell']);
    assert.equal(second.code, 5, second.output);
    assert.match(second.output, /\/dev\/pts\/0/);
    await waitForStatus(e, 'shell', /^exited$/);
    assert.equal(inspect(e, 'shell').State.ExitCode, 5);
    assert.match(ts(['logs', 'shell']).stdout, /sum=42/);
    const stopped = ts(['attach', 'shell']);
    assert.equal(stopped.status, 125);
    assert.match(stopped.stderr, /you cannot attach to a stopped container, start it first/);
  });

  test('start -ai: attached before it starts, the terminal is the container\'s, exit code passed on', () => {
    const r = tsdockerInTerminal([['', 'echo again; exit 3\n']], ['start', '-ai', 'shell']);
    assert.equal(r.code, 3, r.output);
    assert.match(r.output, /again/);
    assert.equal(ts(['rm', 'shell']).status, 0);
  });

  test('without a terminal: start -a keeps stdout and stderr apart; start -ai passes stdin', () => {
    const id = runDetached(e, ['--name', 'apart', e.image, 'sh', '-c', 'echo out; echo err >&2; exit 6']);
    assert.equal(ts(['wait', 'apart']).stdout, '6\n');
    const r = ts(['start', '-a', 'apart']);
    assert.equal(r.status, 6);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(ts(['rm', id]).status, 0);
    // Made by `run -i` (not -d): its stdin closes when ours does (StdinOnce), so cat ends.
    assert.equal(ts(['run', '-i', '--name', 'cat', e.image, 'cat']).status, 0);
    const fed = ts(['start', '-ai', 'cat'], 'fed through stdin\n');
    assert.equal(fed.stdout, 'fed through stdin\n');
    assert.equal(ts(['rm', '-f', 'cat']).status, 0);
  });

  test('nothing of ours is left on the host', () => {
    assert.deepEqual(leftovers(e), []);
  });
});
