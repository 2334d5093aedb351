// src/sys/program.ts: short programs run to their end through the addon's runSync (posix_spawn),
// with spawnSync's answers: input, both outputs, exit status, signal, environment, PATH search,
// a program that is missing, and the timeout.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { findProgram, runProgram } from '../../src/sys/program';

test('input in, both outputs and the exit status out', () => {
  const r = runProgram('sh', ['-c', 'tr a-z A-Z; echo to-stderr >&2; exit 3'], { input: 'hello\n' });
  assert.equal(r.error, undefined);
  assert.deepEqual([r.status, r.signal, r.stdout, r.stderr], [3, null, 'HELLO\n', 'to-stderr\n']);
});

test('more output than a pipe holds, on both streams at once, while the input is still being written', () => {
  const big = 'x'.repeat(300_000);
  const r = runProgram('sh', ['-c', 'cat; head -c 200000 /dev/zero >&2'], { input: big });
  assert.equal(r.status, 0, r.stderr.slice(0, 100));
  assert.equal(r.stdout, big);
  assert.equal(r.stderr.length, 200_000);
});

test('the environment given, and only it; the program is found in that PATH', () => {
  const r = runProgram('sh', ['-c', 'echo "$ONLY:$HOME"'], { env: { PATH: '/usr/bin:/bin', ONLY: 'here' } });
  assert.equal(r.stdout, 'here:\n');
  assert.equal(findProgram('sh', '/nonexistent:/bin'), '/bin/sh');
  assert.equal(findProgram('/bin/sh', ''), '/bin/sh');
});

test('killed by a signal; killed after the timeout; a program that does not exist', () => {
  assert.equal(runProgram('sh', ['-c', 'kill -TERM $$']).signal, 'SIGTERM');
  const slow = runProgram('sleep', ['5'], { timeoutMs: 100 });
  assert.equal(slow.signal, 'SIGKILL');
  assert.match(slow.error?.message ?? '', /sleep: killed after 100 ms/);
  const missing = runProgram('no-such-program-tsdocker', []);
  assert.match(missing.error?.message ?? '', /no-such-program-tsdocker: not found in PATH/);
  assert.equal(missing.status, null);
});

test('stdin closed by the program early is not an error (EPIPE, not SIGPIPE)', () => {
  const r = runProgram('sh', ['-c', 'exec 0<&-; echo done'], { input: 'y'.repeat(1 << 20) });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'done\n');
});
