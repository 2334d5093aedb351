// -t through a real pseudo-terminal: Python's pty module plays the user's terminal, runs the
// runtime inside it, and can resize it. Needs root and python3.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MAIN, hostState, makeBundle, newId, removeBundle, skip as baseSkip } from './runtime-support';
import { hasPython, inTerminal } from '../support/terminal';

const skip = baseSkip || (hasPython ? false : 'needs python3');


let initial = '';
before(() => { if (!skip) initial = hostState(); });
after(() => { if (!skip) assert.equal(hostState(), initial, 'mounts or cgroups left behind'); });

/** The runtime alone on a terminal of `size`; `resize` is applied once the container prints "ready". */
function runtimeInTerminal(args: string[], size: [number, number], resize?: [number, number]) {
  const bundle = makeBundle(args, (s) => { s.process.terminal = true; });
  try {
    return inTerminal([process.execPath, MAIN, '-i', '--id', newId(), bundle],
      { size, steps: resize ? [{ when: 'ready', resize }] : [], timeoutMs: 30_000 });
  } finally {
    removeBundle(bundle);
  }
}

test('-t gives the container its own pty, /dev/pts/0, with the user\'s window size', { skip }, () => {
  const r = runtimeInTerminal(['sh', '-c', 'tty; stty size; test -t 0 && test -t 2 && echo both; ls /dev/pts'], [33, 101]);
  assert.equal(r.code, 0, r.output);
  const lines = r.output.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['/dev/pts/0', '33 101', 'both'], r.output);
  assert.match(lines[3], /^0\s+ptmx$/, r.output);
});

test('a resize of the user\'s terminal reaches the container as SIGWINCH', { skip }, () => {
  const r = runtimeInTerminal(['probe', 'winch'], [24, 80], [50, 132]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /ready\n50 132\n/);
});

test('the exit status comes through the terminal too', { skip }, () => {
  assert.equal(runtimeInTerminal(['sh', '-c', 'exit 7'], [24, 80]).code, 7);
});
