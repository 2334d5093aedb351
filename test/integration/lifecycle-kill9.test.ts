// ps and inspect stay true after kill -9 of the container's process, of its monitor, of the
// runtime helper, or of a tsdocker command mid-way; rm then cleans everything up.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setup, skip, tsdockerAsync, waitFor, type Env } from './run-support';
import { alive, containerDir, inspect, leftovers, made, monitorPid, runDetached, ts as tsIn, waitForStatus } from './lifecycle-support';

describe('kill -9', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });
  const ts = (args: string[]) => tsIn(e, args);

  test('of the container\'s process: Exited (137), recorded by the monitor, rootfs unmounted', async () => {
    const id = runDetached(e, ['--name', 'victim', e.image, 'sleep', '1000']);
    process.kill(inspect(e, 'victim').State.Pid, 'SIGKILL');
    await waitFor('the monitor to finish', () => monitorPid(id) === undefined);
    const c = inspect(e, 'victim');
    assert.equal(c.State.Status, 'exited');
    assert.equal(c.State.ExitCode, 137);
    assert.match(ts(['ps', '-a']).stdout, /Exited \(137\) .* victim\n/);
    assert.equal(fs.readdirSync(c.GraphDriver.Data.MergedDir).length, 0);
    assert.equal(ts(['rm', 'victim']).status, 0);
  });

  test('of the monitor: the helper kills the container; the next command shows it exited (255)', async () => {
    const id = runDetached(e, ['--name', 'orphan', e.image, 'sleep', '1000']);
    const pid = inspect(e, 'orphan').State.Pid;
    process.kill(monitorPid(id)!, 'SIGKILL');
    await waitFor('the container to die with its monitor', () => !alive(pid));
    const c = inspect(e, 'orphan');
    assert.equal(c.State.Status, 'exited');
    assert.equal(c.State.ExitCode, 255);
    assert.equal(c.State.Running, false);
    assert.doesNotMatch(ts(['ps']).stdout, /orphan/);
    // Reconciling unmounted the rootfs; start works again.
    assert.equal(fs.readdirSync(c.GraphDriver.Data.MergedDir).length, 0);
    assert.equal(ts(['start', 'orphan']).status, 0);
    await waitForStatus(e, 'orphan', /^running$/);
    assert.equal(ts(['rm', '-f', 'orphan']).status, 0);
    assert.ok(!fs.existsSync(containerDir(e, id)));
  });

  test('of the runtime helper ([0:monitor]): the container dies with it (137), the error is kept', async () => {
    const id = runDetached(e, ['--name', 'headless', e.image, 'sleep', '1000']);
    const helper = Number(fs.readFileSync(`/proc/${inspect(e, 'headless').State.Pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    assert.match(fs.readFileSync(`/proc/${helper}/cmdline`, 'utf8'), /tsdocker:\[0:monitor\]/);
    process.kill(helper, 'SIGKILL');
    await waitFor('the monitor to finish', () => monitorPid(id) === undefined);
    const c = inspect(e, 'headless');
    assert.equal(c.State.Status, 'exited');
    assert.equal(c.State.ExitCode, 137);
    assert.match(c.State.Error, /runtime helper exited/);
    assert.equal(ts(['rm', 'headless']).status, 0);
  });

  test('of run -d mid-way: the container is either running or created, and rm -f cleans it up', async () => {
    for (let i = 0; i < 3; i++) {
      const before = new Set(fs.existsSync(path.join(e.root, 'containers')) ? fs.readdirSync(path.join(e.root, 'containers')) : []);
      const run = tsdockerAsync(e, ['run', '-d', '--name', `half${i}`, e.image, 'sleep', '1000']);
      let id = '';
      await waitFor('its record', () => {
        id = fs.readdirSync(path.join(e.root, 'containers')).find((n) => !before.has(n) && /^[a-f0-9]{64}$/.test(n)) ?? '';
        return id !== '' && fs.existsSync(path.join(containerDir(e, id), 'state.json'));
      });
      made.add(id);
      run.kill('SIGKILL');
      await new Promise((resolve) => run.on('close', resolve));
      const c = inspect(e, `half${i}`);
      assert.match(c.State.Status, /^(created|running)$/);
      assert.equal(ts(['rm', '-f', `half${i}`]).status, 0);
      assert.ok(!fs.existsSync(containerDir(e, id)));
    }
  });

  test('of stop mid-way: the container keeps running and can be stopped again', async () => {
    runDetached(e, ['--name', 'stubborn', e.image, 'sleep', '1000']);
    const stop = tsdockerAsync(e, ['stop', '-t', '30', 'stubborn']);
    await waitFor('the stop mark', () => fs.existsSync(path.join(containerDir(e, inspect(e, 'stubborn').Id), 'manually-stopped')));
    stop.kill('SIGKILL');
    await new Promise((resolve) => stop.on('close', resolve));
    assert.equal(inspect(e, 'stubborn').State.Status, 'running');
    assert.equal(ts(['stop', '-t', '0', 'stubborn']).status, 0);
    assert.equal(inspect(e, 'stubborn').State.ExitCode, 137);
    assert.equal(ts(['rm', 'stubborn']).status, 0);
  });

  test('nothing of ours is left on the host', () => {
    assert.deepEqual(leftovers(e), []);
  });
});
