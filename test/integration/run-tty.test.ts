// `run -it` through a real pseudo-terminal: Python's pty module plays the user's terminal (with a
// window size set before tsdocker starts), types a line into the container's shell, and reports
// what the terminal showed and the exit status. Needs root and python3.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT_DIR, setup, skip as baseSkip, type Env } from './run-support';

const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
const skip = baseSkip || (hasPython ? false : 'needs python3');

// argv: rows cols input command...; the input is typed once the terminal shows "$ " or "# ".
const TERMINAL = `
import fcntl, os, pty, select, struct, sys, termios
rows, cols, typed, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(argv[0], argv)
out = b''
sent = not typed
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
    if not sent and (b'# ' in out or b'$ ' in out):
        os.write(fd, typed.encode())
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;

describe('run -it', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  function inTerminal(args: string[], typed = '', size: [number, number] = [33, 101]) {
    const r = spawnSync('python3', ['-c', TERMINAL, String(size[0]), String(size[1]), typed,
      process.execPath, path.join(ROOT_DIR, 'bin', 'tsdocker'), ...args], { encoding: 'utf8', env: e.env, timeout: 60_000 });
    return { code: r.status, output: r.stdout + r.stderr };
  }

  test('-t: a terminal of the user\'s size inside, TERM=xterm', () => {
    const r = inTerminal(['run', '--rm', '-t', e.image, 'sh', '-c', 'tty; stty size; echo $TERM']);
    assert.equal(r.code, 0, r.output);
    // Both terminals (the container's and Python's) turn \n into \r\n (ONLCR).
    assert.equal(r.output.replace(/\r+\n/g, '\n'), '/dev/pts/0\n33 101\nxterm\n');
  });

  test('-it: an interactive shell reads what is typed and exits with its status', () => {
    const r = inTerminal(['run', '--rm', '-it', e.image, 'sh'], 'echo in-$((6*7)); exit 5\n');
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
