// Detached containers: run -d, the monitor, logs, wait, -d --rm, and 20 at once.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setup, skip, tsdockerAsync, waitFor, type Env } from './run-support';
import { alive, containerDir, inspect, leftovers, logEntries, made, monitorPid, runDetached, ts as tsIn } from './lifecycle-support';

describe('run -d', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });
  const ts = (args: string[], input?: string) => tsIn(e, args, input);

  test('prints the id and returns while the container runs on, under a monitor in its own session', () => {
    const started = Date.now();
    const id = runDetached(e, ['--name', 'bg', e.image, 'sleep', '1000']);
    assert.ok(Date.now() - started < 15_000);
    const c = inspect(e, 'bg');
    assert.equal(c.Id, id);
    assert.equal(c.State.Status, 'running');
    assert.match(fs.readFileSync(`/proc/${c.State.Pid}/cmdline`, 'utf8'), /^sleep\0/);
    const monitor = monitorPid(id)!;
    assert.ok(monitor, 'a process named tsdocker:[monitor] <id>');
    // setsid: its own session, so a closed terminal (SIGHUP to the session) does not reach it.
    const stat = fs.readFileSync(`/proc/${monitor}/stat`, 'utf8').slice(fs.readFileSync(`/proc/${monitor}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(stat[3]), monitor, 'session id is its own pid');
    assert.match(ts(['ps']).stdout, /Up .* bg\n/);
    assert.equal(ts(['rm', '-f', 'bg']).status, 0);
    assert.ok(!alive(monitor));
    assert.ok(!fs.existsSync(containerDir(e, id)));
  });

  test('logs: both streams apart, json-file on disk, -t, --tail, --since', async () => {
    const id = runDetached(e, ['--name', 'talk', e.image, 'sh', '-c', 'echo one; echo two >&2; echo three; printf four']);
    assert.equal(ts(['wait', 'talk']).stdout, '0\n');
    const logs = ts(['logs', 'talk']);
    assert.equal(logs.stdout, 'one\nthree\nfour');
    assert.equal(logs.stderr, 'two\n');
    const entries = logEntries(e, id);
    assert.deepEqual(entries.map((x) => [x.stream, x.log]).sort(),
      [['stderr', 'two\n'], ['stdout', 'four'], ['stdout', 'one\n'], ['stdout', 'three\n']]);
    for (const x of entries) assert.match(x.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    assert.equal(inspect(e, 'talk').LogPath, path.join(containerDir(e, id), `${id}-json.log`));
    assert.match(ts(['logs', '-t', 'talk']).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/);
    // stdout and stderr are two pipes: which line came last is the log file's order, not the script's.
    const tail = ts(['logs', '--tail', '1', 'talk']);
    const last = entries[entries.length - 1];
    assert.equal(last.stream === 'stdout' ? tail.stdout : tail.stderr, last.log);
    assert.equal(last.stream === 'stdout' ? tail.stderr : tail.stdout, '');
    assert.equal(ts(['logs', '--since', '1m', 'talk']).stdout, 'one\nthree\nfour');
    assert.equal(ts(['logs', '--since', '2099-01-01T00:00:00Z', 'talk']).stdout, '');
    assert.match(ts(['logs', '--tail', 'x', 'talk']).stderr, /invalid value for "tail"/);
    // A restart keeps the log and appends to it.
    assert.equal(ts(['start', 'talk']).stdout, 'talk\n');
    assert.equal(ts(['wait', 'talk']).stdout, '0\n');
    assert.equal(ts(['logs', 'talk']).stdout, 'one\nthree\nfourone\nthree\nfour');
    assert.equal(ts(['rm', 'talk']).status, 0);
  });

  test('logs -f follows until the container exits', async () => {
    // A container that writes, then waits for a file we create, then writes again.
    const dir = fs.mkdtempSync('/tmp/tsdocker-follow-');
    try {
      runDetached(e, ['--name', 'follow', '-v', `${dir}:/x`, e.image, 'sh', '-c',
        'echo first; while [ ! -e /x/go ]; do sleep 0.05; done; echo second; exit 3']);
      const f = tsdockerAsync(e, ['logs', '-f', 'follow']);
      let out = '';
      f.stdout!.on('data', (d) => { out += d; });
      const closed = new Promise<number>((resolve) => f.on('close', (c) => resolve(c ?? -1)));
      await waitFor('the first line', () => out === 'first\n');
      fs.writeFileSync(path.join(dir, 'go'), '');
      assert.equal(await closed, 0);
      assert.equal(out, 'first\nsecond\n');
      assert.equal(ts(['wait', 'follow']).stdout, '3\n');
    } finally {
      ts(['rm', '-f', 'follow']);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('wait prints the exit code; -d --rm removes the container when it exits', async () => {
    const id = runDetached(e, ['--rm', '--name', 'gone', e.image, 'sh', '-c', 'exit 4']);
    await waitFor('the --rm container to go', () => !fs.existsSync(containerDir(e, id)));
    assert.doesNotMatch(ts(['ps', '-a']).stdout, /gone/);
    runDetached(e, ['--name', 'seven', e.image, 'sh', '-c', 'sleep 0.2; exit 7']);
    assert.equal(ts(['wait', 'seven']).stdout, '7\n');
    assert.match(ts(['ps', '-a']).stdout, /Exited \(7\) .* seven\n/);
    const missing = ts(['wait', 'nosuch']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no such container: nosuch/);
    assert.equal(ts(['rm', 'seven']).status, 0);
  });

  test('a command that cannot start: run -d fails as run does, the container stays Created', () => {
    const r = ts(['run', '-d', '--name', 'bad', e.image, 'no-such-command']);
    assert.equal(r.status, 127);
    assert.match(r.stderr, /executable file not found/);
    assert.equal(r.stdout, '');
    const c = inspect(e, 'bad');
    assert.equal(c.State.Status, 'created');
    assert.match(c.State.Error, /no-such-command/);
    assert.equal(ts(['rm', 'bad']).status, 0);
    const gone = ts(['run', '-d', '--rm', '--name', 'bad2', e.image, 'no-such-command']);
    assert.equal(gone.status, 127);
    assert.doesNotMatch(ts(['ps', '-a']).stdout, /bad2/);
  });

  test('20 run -d at the same moment: all run, unique names and ids, ps lists each once', async () => {
    const runs = Array.from({ length: 20 }, () => tsdockerAsync(e, ['run', '-d', e.image, 'sleep', '1000']));
    const results = await Promise.all(runs.map((p) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
      let out = '';
      let err = '';
      p.stdout!.on('data', (d) => { out += d; });
      p.stderr!.on('data', (d) => { err += d; });
      p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    })));
    for (const r of results) assert.equal(r.code, 0, r.err);
    const ids = results.map((r) => r.out.trim());
    for (const id of ids) made.add(id);
    assert.equal(new Set(ids).size, 20);
    const ps = ts(['ps', '--format', 'json', '--no-trunc']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    for (const id of ids) assert.equal(ps.filter((c) => c.ID === id).length, 1, id);
    const names = ps.filter((c) => ids.includes(c.ID)).map((c) => c.Names);
    assert.equal(new Set(names).size, 20);
    for (const c of ps.filter((x) => ids.includes(x.ID))) assert.equal(c.State, 'running');
    const rm = ts(['rm', '-f', ...ids]);
    assert.equal(rm.status, 0, rm.stderr);
  });

  test('nothing of ours is left on the host', () => {
    // The tests above removed every container they made.
    assert.deepEqual(leftovers(e), []);
  });
});
