// The session's signal forwarding (src/runtime/session.ts), with real signals sent to a real Node
// process and a stand-in for the helper's pipes: while a session lasts, the signals go to its
// helper; after it, to the next session's; with no session under way, a signal does what it
// would without tsdocker (here SIGTERM's default action ends the process). The listeners stay
// between sessions, one per signal: removing them cost each run ~0.4 ms.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const SESSION = path.join(__dirname, '..', '..', 'src', 'runtime', 'session.js');

// Runs in a child process: two sessions one after the other, each ended by an EXIT message.
const SCRIPT = `
const { converse } = require(${JSON.stringify(SESSION)});
// EXIT (33) with code 0 and signal 0: two NUL-terminated fields.
const exitFrame = () => Buffer.from([33, 0, 0, 0, 4, 0, 0, 0, 0x30, 0, 0x30, 0]);
const got = [];
function session(name) {
  let onData;
  const helper = {
    kill: (sig) => got.push(name + ' ' + sig), read(data) { onData = data; }, write() {}, closeInput() {}, release() {},
  };
  const done = converse(helper, { onPid() {}, toError: (m) => new Error(m.message) });
  return { done, end: () => onData(exitFrame()) };
}
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const first = session('first');
  process.kill(process.pid, 'SIGINT');
  process.kill(process.pid, 'SIGUSR2');
  await wait(50);
  first.end();
  await first.done;
  const second = session('second');
  process.kill(process.pid, 'SIGTERM');
  await wait(50);
  second.end();
  await second.done;
  got.push('listeners ' + process.listenerCount('SIGINT'));
  process.stdout.write(JSON.stringify(got) + '\\n');
  process.kill(process.pid, 'SIGTERM');
  await wait(2000);
  process.stdout.write('still running\\n');
})();
`;

test('signals go to the session under way; between sessions, they do what they would without tsdocker', () => {
  const r = spawnSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, `${JSON.stringify(['first SIGINT', 'first SIGUSR2', 'second SIGTERM', 'listeners 1'])}\n`);
  assert.equal(r.signal, 'SIGTERM', 'with no session, SIGTERM ended the process');
});
