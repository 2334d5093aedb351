// The addon's way of starting a program without node:child_process (native/sys.c, src/sys/libc.ts):
// pipe, posix_spawn, waitpid, and reading a pipe on the event loop. The runtime helper is started
// this way (src/runtime/helper.ts); here a shell stands in for it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { TsdockerError } from '../../src/errors';
import { finishSpawn, pipe, readStart, readStop, spawn, startSpawn, waitpid, type WaitStatus } from '../../src/sys/libc';

const SH = '/bin/sh';

/** Run `script` in sh with stdout and stderr on one pipe; its output and how it ended. */
function sh(script: string, opts: { newSession?: boolean; env?: string[] } = {}): Promise<{ out: string; status: WaitStatus; pid: number }> {
  const [r, w] = pipe();
  const nul = fs.openSync('/dev/null', 'r');
  let pid: number;
  try {
    pid = spawn(SH, ['sh', '-c', script], opts.env ?? ['PATH=/usr/bin:/bin'], [nul, w, w], opts);
  } finally {
    fs.closeSync(w);
    fs.closeSync(nul);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    readStart(r, (c) => chunks.push(c), (err) => {
      fs.closeSync(r);
      if (err) return reject(err);
      resolve({ out: Buffer.concat(chunks).toString(), status: waitpid(pid)!, pid });
    });
  });
}

test('spawn a program with a pipe, read what it writes until it exits, reap its status', async () => {
  const r = await sh('echo out; echo err >&2; echo "$GREETING"; exit 3', { env: ['GREETING=hello'] });
  assert.equal(r.out, 'out\nerr\nhello\n');
  assert.deepEqual(r.status, { code: 3, signal: null });
  // Reaped: there is no such child any more.
  assert.throws(() => waitpid(r.pid), (e: TsdockerError) => e.code === 'ECHILD');
});

test('a child killed by a signal: its number, and no exit code', async () => {
  const r = await sh('kill -TERM $$');
  assert.deepEqual(r.status, { code: null, signal: 15 });
});

test('a missing program is an ENOENT from spawn itself, naming the call and the file', () => {
  assert.throws(() => spawn('/no/such/program', ['x'], [], [0, 1, 2]), (e: TsdockerError) =>
    e instanceof TsdockerError && e.code === 'ENOENT' && /^posix_spawn \/no\/such\/program: ENOENT/.test(e.message));
});

test('spawn on a thread of the addon (startSpawn): the pid from finishSpawn; a failure is thrown there', () => {
  const [r, w] = pipe();
  const job = startSpawn(SH, ['sh', '-c', 'echo threaded; exit 4'], [], [0, w, 2]);
  // The child gets its descriptors from the spawn: w stays open until finishSpawn.
  const pid = finishSpawn(job, SH);
  fs.closeSync(w);
  const buf = Buffer.alloc(64);
  assert.equal(buf.toString('utf8', 0, fs.readSync(r, buf)), 'threaded\n');
  fs.closeSync(r);
  assert.deepEqual(waitpid(pid), { code: 4, signal: null });
  const failed = startSpawn('/no/such/program', ['x'], [], [0, 1, 2]);
  assert.throws(() => finishSpawn(failed, '/no/such/program'), (e: TsdockerError) =>
    e instanceof TsdockerError && e.code === 'ENOENT' && /^posix_spawn \/no\/such\/program: ENOENT/.test(e.message));
});

test('the child starts clean: no signal ignored or blocked, though Node ignores SIGPIPE', async () => {
  // This process ignores SIGPIPE (Node does, at start) and SIG_IGN survives execve(2), unless
  // the spawn resets it; glibc's own signals 32 and 33 must not come out ignored either.
  const own = fs.readFileSync('/proc/self/status', 'utf8');
  assert.notEqual(BigInt('0x' + /^SigIgn:\s*([0-9a-f]+)/m.exec(own)![1]) & (1n << 12n), 0n, 'Node ignores SIGPIPE');
  // The shell's own status, read by the shell itself (a builtin, no child).
  const r = await sh('while read k v; do case $k in SigIgn:|SigBlk:) echo "$k $v";; esac; done < /proc/$$/status; trap');
  assert.equal(r.out, 'SigBlk: 0000000000000000\nSigIgn: 0000000000000000\n');
  assert.deepEqual(r.status, { code: 0, signal: null });
});

test('newSession: the child leads a session of its own', async () => {
  // /proc/<pid>/stat, after "(comm) ": state ppid pgrp session ...
  const session = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  const script = 'read s < /proc/$$/stat; echo "$s"';
  const own = await sh(script, { newSession: true });
  assert.equal(session(own.out), own.pid);
  const inherited = await sh(script);
  assert.equal(session(inherited.out), session(fs.readFileSync('/proc/self/stat', 'utf8')));
});

test('each child fd is the parent fd given for it, even when that is another child fd number', () => {
  // stdio [null, 2, 1]: the child's stdout is our stderr and its stderr our stdout. dup2 in order
  // would make our 2 the child's 1 before our 1 was copied to the child's 2. (The test runner gives
  // each test file a stdout and a stderr of its own.)
  const link = (pid: number | 'self', fd: number) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  const nul = fs.openSync('/dev/null', 'r');
  const pid = spawn('/bin/sleep', ['sleep', '30'], [], [nul, 2, 1]);
  fs.closeSync(nul);
  try {
    // posix_spawn returns once the child has exec'd: its descriptors are final.
    assert.deepEqual([link(pid, 0), link(pid, 1), link(pid, 2)], ['/dev/null', link('self', 2), link('self', 1)]);
    assert.throws(() => link(pid, 3), /ENOENT/);
  } finally {
    process.kill(pid, 'SIGKILL');
    waitpid(pid);
  }
});

test('waitpid with noHang: undefined while the child runs; readStop lets go of a pipe still open', async () => {
  const [r, w] = pipe();
  const pid = spawn('/bin/sleep', ['sleep', '30'], [], [0, w, 2]);
  fs.closeSync(w);
  let ended = false;
  readStart(r, () => {}, () => { ended = true; });
  assert.equal(waitpid(pid, true), undefined);
  assert.equal(readStop(r), true);
  assert.equal(readStop(r), false);
  fs.closeSync(r);
  process.kill(pid, 'SIGKILL');
  assert.deepEqual(waitpid(pid), { code: null, signal: 9 });
  // Stopped, the reader neither calls back nor keeps the event loop alive (else this test hangs).
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ended, false);
});

test('a reader that ends lets its descriptor number be read again at once, from its own callback', async () => {
  // The runtime closes fd 4 when the helper's messages end, and the next helper (a restart) may
  // get the same number. The first reader must be wholly gone from epoll by then.
  const echo = (text: string) => {
    const [r, w] = pipe();
    const pid = spawn(SH, ['sh', '-c', `echo ${text}`], [], [0, w, 2]);
    fs.closeSync(w);
    return { r, pid };
  };
  const first = echo('one');
  const second = await new Promise<{ r: number; text: string }>((resolve) => {
    readStart(first.r, () => {}, () => {
      fs.closeSync(first.r);
      waitpid(first.pid);
      const again = echo('two');
      let text = '';
      readStart(again.r, (c) => { text += c; }, () => {
        fs.closeSync(again.r);
        waitpid(again.pid);
        resolve({ r: again.r, text });
      });
    });
  });
  assert.equal(second.r, first.r);
  assert.equal(second.text, 'two\n');
});

test('waitpid refuses pid 0 and -1, which would reap any child of ours', () => {
  assert.throws(() => waitpid(0), TypeError);
  assert.throws(() => waitpid(-1), TypeError);
});
