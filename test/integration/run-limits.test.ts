// Resource limits through `run`: the engine writes linux.resources, the runtime the cgroup files.
// Each test asks the kernel (the cgroup files, the exit status) whether the limit held.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { background, setup, skip, tsdockerSync, type Env } from './run-support';

describe('resource limits', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  const run = (flags: string[], script: string) =>
    tsdockerSync(e, ['run', ...flags, e.image, 'sh', '-c', script]);

  test('memory: allocating past -m 32m ends with 137 and OOMKilled', () => {
    // --memory-swap equal to --memory: no swap to escape into. The shell grows a string until killed.
    const r = run(['--name', 'hog', '-m', '32m', '--memory-swap', '32m'],
      'x=a; while true; do x="$x$x"; done');
    assert.equal(r.status, 137, r.stderr);
    const c = JSON.parse(tsdockerSync(e, ['inspect', 'hog']).stdout)[0];
    assert.equal(c.State.OOMKilled, true);
    assert.equal(c.State.ExitCode, 137);
    assert.equal(tsdockerSync(e, ['rm', 'hog']).status, 0);
  });

  test('pids: a fork loop is refused at --pids-limit', () => {
    // Each successful fork prints a line; the shell stops at the first fork the kernel refuses.
    const r = run(['--rm', '--pids-limit', '10'], 'while :; do sleep 5 & echo forked; done');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /can't fork/);
    const forks = r.stdout.split('\n').filter(Boolean).length;
    assert.ok(forks > 0 && forks < 10, `${forks} forks`);
  });

  test('cpu: --cpus 0.5 and --cpu-shares become the cgroup\'s quota, period and shares', async () => {
    const { exited } = await background(e, 'quota', ['--cpus', '0.5', '--cpu-shares', '512', e.image, 'sleep', '1000']);
    const id = JSON.parse(tsdockerSync(e, ['inspect', 'quota']).stdout)[0].Id;
    const v1 = ['cpu,cpuacct', 'cpu'].map((h) => path.join('/sys/fs/cgroup', h, 'tsdocker', id)).find((d) => fs.existsSync(d));
    try {
      if (v1) {
        const read = (f: string) => fs.readFileSync(path.join(v1, f), 'utf8').trim();
        assert.deepEqual([read('cpu.cfs_quota_us'), read('cpu.cfs_period_us'), read('cpu.shares')], ['50000', '100000', '512']);
      } else {
        const dir = path.join('/sys/fs/cgroup/tsdocker', id);
        assert.equal(fs.readFileSync(path.join(dir, 'cpu.max'), 'utf8').trim(), '50000 100000');
      }
    } finally {
      tsdockerSync(e, ['rm', '-f', 'quota']);
      await exited;
    }
  });

  test('cpu: a busy loop under --cpus 0.5 uses about half a core', () => {
    // The container measures its own CPU time over 2 s of wall time (/proc/self/stat utime+stime,
    // clock ticks of 10 ms), so the test needs no clock of the host.
    const r = run(['--rm', '--cpus', '0.5'],
      'busy() { while :; do :; done; }; busy & pid=$!; ' +
      'sleep 2; set -- $(cut -d" " -f14,15 /proc/$pid/stat); kill $pid; echo $(( $1 + $2 ))');
    assert.equal(r.status, 0, r.stderr);
    const ticks = Number(r.stdout.trim());
    // 2 s at half a core is 100 ticks; allow for start-up and scheduler granularity.
    // The upper bound is the limit; the lower one only says the loop ran (a busy CI host slows it).
    assert.ok(ticks > 40 && ticks < 130, `used ${ticks} ticks of 100 expected`);
  });
});
