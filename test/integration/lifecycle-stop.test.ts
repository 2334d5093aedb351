// stop (grace period), kill, start (same upper dir), restart, and --restart policies.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { setup, skip, tsdockerAsync, waitFor, type Env } from './run-support';
import { alive, inspect, leftovers, monitorPid, runDetached, ts as tsIn, waitForStatus } from './lifecycle-support';

describe('stop, kill, start, restart, --restart', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });
  const ts = (args: string[]) => tsIn(e, args);

  test('stop: a container that traps SIGTERM exits 0 at once; one that ignores it is killed after -t', () => {
    runDetached(e, ['--name', 'trapper', e.image, 'sh', '-c', 'trap "echo bye; exit 0" TERM; sleep 1000 & wait']);
    runDetached(e, ['--name', 'deaf', e.image, 'sleep', '1000']);
    let t = Date.now();
    assert.equal(ts(['stop', 'trapper']).stdout, 'trapper\n');
    assert.ok(Date.now() - t < 8000, 'well before the 10 s grace period');
    const trapper = inspect(e, 'trapper');
    assert.equal(trapper.State.Status, 'exited');
    assert.equal(trapper.State.ExitCode, 0);
    assert.equal(ts(['logs', 'trapper']).stdout, 'bye\n');
    // PID 1 without a handler: the kernel drops SIGTERM (pid_namespaces(7)); SIGKILL after 2 s.
    t = Date.now();
    assert.equal(ts(['stop', '-t', '2', 'deaf']).stdout, 'deaf\n');
    const took = Date.now() - t;
    assert.ok(took >= 2000 && took < 9000, `took ${took} ms`);
    assert.equal(inspect(e, 'deaf').State.ExitCode, 137);
    // Stopping a stopped container is fine, as in Docker.
    assert.equal(ts(['stop', 'deaf']).status, 0);
    assert.match(ts(['stop', 'nosuch']).stderr, /no such container: nosuch/);
  });

  test('kill: SIGKILL by default, -s by name or number; a stopped container is refused', () => {
    runDetached(e, ['--name', 'target', e.image, 'sh', '-c', 'trap "exit 42" USR1; sleep 1000 & wait']);
    assert.equal(ts(['kill', '-s', 'USR1', 'target']).stdout, 'target\n');
    assert.equal(ts(['wait', 'target']).stdout, '42\n');
    assert.equal(ts(['start', 'target']).status, 0);
    assert.equal(ts(['kill', 'target']).status, 0);
    assert.equal(ts(['wait', 'target']).stdout, '137\n');
    const refused = ts(['kill', 'target']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /cannot kill container: target: container [a-f0-9]{64} is not running/);
    assert.match(ts(['kill', '-s', 'NOPE', 'target']).stderr, /invalid signal: NOPE/);
  });

  test('start runs it again on the same upper dir; restart; ps and inspect follow', async () => {
    runDetached(e, ['--name', 'keeper', e.image, 'sh', '-c', 'echo run >> /count; sleep 1000']);
    await waitFor('the first run to write', () => fs.existsSync(`${inspect(e, 'keeper').GraphDriver.Data.UpperDir}/count`));
    const first = inspect(e, 'keeper');
    assert.equal(ts(['stop', '-t', '0', 'keeper']).status, 0);
    // Stopped: the rootfs is unmounted, the upper dir (the container's writes) stays.
    assert.equal(fs.readdirSync(first.GraphDriver.Data.MergedDir).length, 0);
    assert.equal(fs.readFileSync(`${first.GraphDriver.Data.UpperDir}/count`, 'utf8'), 'run\n');
    assert.equal(ts(['start', 'keeper']).stdout, 'keeper\n');
    await waitFor('the second run to write', () => fs.readFileSync(`${first.GraphDriver.Data.UpperDir}/count`, 'utf8') === 'run\nrun\n');
    const second = inspect(e, 'keeper');
    assert.equal(second.State.Status, 'running');
    assert.notEqual(second.State.Pid, first.State.Pid);
    assert.equal(ts(['restart', '-t', '0', 'keeper']).stdout, 'keeper\n');
    await waitFor('the third run to write', () => fs.readFileSync(`${first.GraphDriver.Data.UpperDir}/count`, 'utf8') === 'run\nrun\nrun\n');
    assert.match(ts(['ps']).stdout, /Up .* keeper\n/);
    // Starting a running container does nothing.
    const third = inspect(e, 'keeper').State.Pid;
    assert.equal(ts(['start', 'keeper']).status, 0);
    assert.equal(inspect(e, 'keeper').State.Pid, third);
    assert.equal(ts(['rm', '-f', 'keeper']).status, 0);
  });

  test('--restart on-failure:2 runs it three times; no restart after exit 0', async () => {
    runDetached(e, ['--name', 'flaky', '--restart', 'on-failure:2', e.image, 'sh', '-c', 'echo try; exit 3']);
    await waitFor('the retries to end', () => {
      const c = inspect(e, 'flaky');
      return c.State.Status === 'exited' && c.RestartCount === 2 && monitorPid(c.Id) === undefined;
    }, 30_000);
    const c = inspect(e, 'flaky');
    assert.equal(c.State.ExitCode, 3);
    assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    assert.equal(ts(['logs', 'flaky']).stdout, 'try\ntry\ntry\n');
    runDetached(e, ['--name', 'fine', '--restart', 'on-failure', e.image, 'true']);
    assert.equal(ts(['wait', 'fine']).stdout, '0\n');
    await waitForStatus(e, 'fine', /^exited$/);
    assert.equal(inspect(e, 'fine').RestartCount, 0);
    assert.match(ts(['run', '-d', '--restart', 'sometimes', e.image, 'true']).stderr, /invalid restart policy/);
    assert.match(ts(['run', '-d', '--rm', '--restart', 'always', e.image, 'true']).stderr, /conflicting options/);
  });

  test('--restart always: brought back after it exits or is killed inside; not after stop or rm -f', async () => {
    const id = runDetached(e, ['--name', 'phoenix', '--restart', 'always', e.image, 'sh', '-c', 'sleep 1000']);
    const pid1 = inspect(e, 'phoenix').State.Pid;
    process.kill(pid1, 'SIGKILL'); // not through tsdocker: the policy applies
    await waitFor('it to run again', () => {
      const c = inspect(e, 'phoenix');
      return c.State.Status === 'running' && c.State.Pid !== pid1;
    }, 20_000);
    assert.equal(inspect(e, 'phoenix').RestartCount, 1);
    assert.equal(ts(['stop', '-t', '0', 'phoenix']).status, 0);
    await waitFor('its monitor to end', () => monitorPid(id) === undefined);
    assert.equal(inspect(e, 'phoenix').State.Status, 'exited');
    // start clears the "stopped by the user" mark: the policy holds again.
    assert.equal(ts(['start', 'phoenix']).status, 0);
    const monitor = monitorPid(id)!;
    assert.equal(ts(['rm', '-f', 'phoenix']).status, 0);
    assert.ok(!alive(monitor));
    assert.doesNotMatch(ts(['ps', '-a']).stdout, /phoenix/);
  });

  test('a container in its restart delay shows Restarting and can be stopped', async () => {
    runDetached(e, ['--name', 'looper', '--restart', 'always', e.image, 'sh', '-c', 'exit 1']);
    await waitFor('a restart delay long enough to see', () => (inspect(e, 'looper').RestartCount ?? 0) >= 4, 30_000);
    await waitForStatus(e, 'looper', /^restarting$/);
    assert.match(ts(['ps']).stdout, /Restarting \(1\) .* looper\n/);
    assert.equal(inspect(e, 'looper').State.Restarting, true);
    const w = tsdockerAsync(e, ['stop', 'looper']);
    assert.equal(await new Promise((resolve) => w.on('close', resolve)), 0);
    await waitForStatus(e, 'looper', /^exited$/);
    assert.equal(ts(['rm', 'looper']).status, 0);
  });

  test('nothing of ours is left on the host', () => {
    ts(['rm', '-f', 'trapper', 'deaf', 'target', 'flaky', 'fine']);
    assert.deepEqual(leftovers(e), []);
  });
});
