// attach and start -a: through a real pseudo-terminal (Python's pty module plays the user's
// terminal), Docker's detach keys Ctrl-P Ctrl-Q, and stdin/stdout/stderr without a terminal.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT_DIR, setup, skip as baseSkip, type Env } from './run-support';
import { inspect, leftovers, runDetached, ts as tsIn, waitForStatus } from './lifecycle-support';

const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
const skip = baseSkip || (hasPython ? false : 'needs python3');

// argv: steps (JSON [[wait-for-regex, text-to-type], ...]) command...; each text is typed once the
// terminal has shown the regex (after the previous step); prints what it showed, exits as the command.
const TERMINAL = `
import fcntl, json, os, pty, re, select, struct, sys, termios
steps, argv = json.loads(sys.argv[1]), sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    os.execvp(argv[0], argv)
out, seen = b'', 0
def step():
    global seen
    while steps and re.search(steps[0][0].encode(), out[seen:]):
        m = re.search(steps[0][0].encode(), out[seen:])
        seen += m.end()
        os.write(fd, steps.pop(0)[1].encode())
step()
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    step()
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;

describe('attach', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });
  const ts = (args: string[], input?: string) => tsIn(e, args, input);

  function inTerminal(steps: [string, string][], args: string[]) {
    const r = spawnSync('python3', ['-c', TERMINAL, JSON.stringify(steps),
      process.execPath, path.join(ROOT_DIR, 'bin', 'tsdocker'), ...args], { encoding: 'utf8', env: e.env, timeout: 60_000 });
    return { code: r.status, output: (r.stdout + r.stderr).replace(/\r+\n/g, '\n') };
  }

  test('to a -dit shell: type, see the answer, detach with Ctrl-P Ctrl-Q, attach again, exit', async () => {
    runDetached(e, ['-it', '--name', 'shell', e.image, 'sh']);
    const first = inTerminal([['', 'echo sum=$((40+2))\n'], ['sum=42', '\x10\x11']], ['attach', 'shell']);
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /sum=42/);
    assert.equal(inspect(e, 'shell').State.Status, 'running');
    // The shell's own terminal is /dev/pts/0 inside; what it printed while nobody was attached is logged.
    const second = inTerminal([['', 'tty; exit 5\n']], ['attach', 'shell']);
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
    const r = inTerminal([['', 'echo again; exit 3\n']], ['start', '-ai', 'shell']);
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
