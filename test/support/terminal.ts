// A real pseudo-terminal for tests of -t, -it, exec -t and attach: Python's pty module plays the
// user's terminal. It starts `argv` on a new pty of the given size and follows a script of steps:
// each waits until its pattern (a regular expression) appears in what the terminal showed since
// the previous step, then types its text or resizes the terminal. It returns everything shown and
// the command's exit status. Needs python3 (Debian's, or any with the pty module).
import { spawnSync } from 'node:child_process';

export const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;

/** Wait for `when`, then type `type` or set the window size to `resize` ([rows, cols]). */
export interface TerminalStep {
  when: string;
  type?: string;
  resize?: [number, number];
}

const DRIVER = `
import fcntl, json, os, pty, re, select, struct, sys, termios
rows, cols, steps, argv = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(argv[0], argv)
out, seen = b'', 0
def step():
    global seen
    while steps:
        m = re.search(steps[0]['when'].encode(), out[seen:])
        if not m:
            return
        seen += m.end()
        s = steps.pop(0)
        if 'resize' in s:
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', s['resize'][0], s['resize'][1], 0, 0))
        if 'type' in s:
            os.write(fd, s['type'].encode())
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

export interface TerminalOptions {
  size?: [number, number];
  steps?: TerminalStep[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Run argv on a pseudo-terminal; `output` is what the terminal showed, with \r\n made \n. */
export function inTerminal(argv: string[], opts: TerminalOptions = {}): { code: number | null; output: string } {
  const [rows, cols] = opts.size ?? [24, 80];
  const r = spawnSync('python3', ['-c', DRIVER, String(rows), String(cols), JSON.stringify(opts.steps ?? []), ...argv],
    { encoding: 'utf8', env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000 });
  return { code: r.status, output: (r.stdout + r.stderr).replace(/\r+\n/g, '\n') };
}
