// After `run --rm`, and after `rm`, nothing of the container remains: no mount, no cgroup, no
// process, no file. 50 runs in a row leave /proc/mounts and the cgroup tree as they were.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { background, hostSnapshot, setup, skip, tsdockerSync, type Env } from './run-support';

describe('cleanup', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  const containerFiles = () => {
    try {
      return fs.readdirSync(path.join(e.root, 'containers')).filter((n) => n !== 'names');
    } catch {
      return [];
    }
  };

  test('50 x run --rm leave mounts, cgroups and files as they were', async () => {
    // One run first, so that one-time state (the names dir) exists.
    assert.equal(tsdockerSync(e, ['run', '--rm', e.image, 'true']).status, 0);
    const before = hostSnapshot(e);
    // The snapshot must see what a running container adds, or comparing would prove nothing.
    const { exited } = await background(e, 'probe', ['--rm', '-m', '32m', e.image, 'sleep', '1000']);
    const during = hostSnapshot(e);
    // The overlay rootfs, and the pinned network namespace (src/network/netns.ts).
    assert.equal(during.mounts.length, before.mounts.length + 2);
    assert.ok(during.cgroups.length > before.cgroups.length);
    tsdockerSync(e, ['rm', '-f', 'probe']);
    await exited;
    for (let i = 0; i < 50; i++) {
      const flags = i % 2 === 0 ? ['-m', '32m', '--pids-limit', '100', '-v', '/anon', '--tmpfs', '/t'] : ['--init', '--cpus', '0.5'];
      const r = tsdockerSync(e, ['run', '--rm', ...flags, e.image, 'sh', '-c', 'echo $$ > /tmp/x; exit 3']);
      assert.equal(r.status, 3, r.stderr);
    }
    assert.deepEqual(hostSnapshot(e), before);
    assert.deepEqual(containerFiles(), []);
    assert.deepEqual(fs.readdirSync(path.join(e.root, 'containers', 'names')), []);
    // Anonymous volumes go with --rm containers.
    assert.equal(tsdockerSync(e, ['volume', 'ls', '-q']).stdout, '');
    // No temporary files left in the state root either.
    assert.deepEqual(fs.existsSync(path.join(e.root, 'tmp')) ? fs.readdirSync(path.join(e.root, 'tmp')) : [], []);
  });

  test('rm after an exited container removes its files and leaves mounts as they were', () => {
    const before = hostSnapshot(e);
    assert.equal(tsdockerSync(e, ['run', '--name', 'kept', e.image, 'true']).status, 0);
    assert.equal(containerFiles().length, 1);
    assert.equal(tsdockerSync(e, ['rm', 'kept']).status, 0);
    assert.deepEqual(containerFiles(), []);
    assert.deepEqual(hostSnapshot(e), before);
  });

  test('a failed start (command not found) leaves nothing with --rm, a Created record without', () => {
    const before = hostSnapshot(e);
    assert.equal(tsdockerSync(e, ['run', '--rm', e.image, 'nope']).status, 127);
    assert.deepEqual(containerFiles(), []);
    assert.equal(tsdockerSync(e, ['run', '--name', 'failed', e.image, 'nope']).status, 127);
    const c = JSON.parse(tsdockerSync(e, ['inspect', 'failed']).stdout)[0];
    assert.equal(c.State.Status, 'created');
    assert.equal(c.State.ExitCode, 127);
    assert.match(c.State.Error, /nope/);
    assert.equal(tsdockerSync(e, ['rm', 'failed']).status, 0);
    assert.deepEqual(hostSnapshot(e), before);
  });

  test('a bad flag creates nothing at all', () => {
    const r = tsdockerSync(e, ['run', '--rm', '-u', 'nobody-here', e.image, 'true']);
    assert.equal(r.status, 125);
    assert.deepEqual(containerFiles(), []);
    assert.deepEqual(fs.readdirSync(path.join(e.root, 'containers', 'names')), []);
  });
});
