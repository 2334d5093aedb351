// -t through a real pseudo-terminal: Python's pty module plays the user's terminal, runs the
// runtime inside it, and can resize it. Needs root and python3.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MAIN, hostState, makeBundle, newId, removeBundle, skip as baseSkip } from './runtime-support';

const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
const skip = baseSkip || (hasPython ? false : 'needs python3');

// argv: rows cols resize-to ("" for none) command...; prints everything the terminal showed, exits
// with the command's status. The size is set in the child before exec, so it is there from the start.
const TERMINAL = `
import fcntl, os, pty, select, struct, sys, termios
rows, cols, resize, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(argv[0], argv)
out = b''
resized = False
while True:
    r, _, _ = select.select([fd], [], [], 20)
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if resize and not resized and b'ready' in out:
        r2, c2 = map(int, resize.split('x'))
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r2, c2, 0, 0))
        resized = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;

let initial = '';
before(() => { if (!skip) initial = hostState(); });
after(() => { if (!skip) assert.equal(hostState(), initial, 'mounts or cgroups left behind'); });

function inTerminal(args: string[], size: [number, number], resize = ''): { code: number | null; output: string } {
  const bundle = makeBundle(args, (s) => { s.process.terminal = true; });
  try {
    const r = spawnSync('python3', ['-c', TERMINAL, String(size[0]), String(size[1]), resize,
      process.execPath, MAIN, '-i', '--id', newId(), bundle], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, output: r.stdout + r.stderr };
  } finally {
    removeBundle(bundle);
  }
}

test('-t gives the container its own pty, /dev/pts/0, with the user\'s window size', { skip }, () => {
  const r = inTerminal(['sh', '-c', 'tty; stty size; test -t 0 && test -t 2 && echo both; ls /dev/pts'], [33, 101]);
  assert.equal(r.code, 0, r.output);
  // The container's pty turns \n into \r\n (ONLCR), as any terminal does.
  const lines = r.output.split('\r\n');
  assert.deepEqual(lines.slice(0, 3), ['/dev/pts/0', '33 101', 'both'], r.output);
  assert.match(lines[3], /^0\s+ptmx$/, r.output);
});

test('a resize of the user\'s terminal reaches the container as SIGWINCH', { skip }, () => {
  const r = inTerminal(['probe', 'winch'], [24, 80], '50x132');
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /ready\r\n50 132\r\n/);
});

test('the exit status comes through the terminal too', { skip }, () => {
  assert.equal(inTerminal(['sh', '-c', 'exit 7'], [24, 80]).code, 7);
});
