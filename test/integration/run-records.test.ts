// Container records: ps, inspect, rm, names, --rm, and what happens when tsdocker itself is killed.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { background as startBackground, setup, skip, tsdockerSync, waitFor, type Env } from './run-support';

describe('container records', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  const ts = (args: string[]) => tsdockerSync(e, args);
  const inspect = (name: string) => {
    const r = ts(['inspect', name]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout)[0];
  };
  const background = (name: string, args: string[]) => startBackground(e, name, args);

  test('ps, ps -a, -q, --format json, inspect of an exited container', () => {
    assert.equal(ts(['run', '--name', 'done', '-e', 'X=1', '-m', '64m', '--pids-limit', '50', '--cpus', '1.5', e.image, 'sh', '-c', 'exit 7']).status, 7);
    assert.doesNotMatch(ts(['ps']).stdout, /done/);
    const table = ts(['ps', '-a']).stdout.split('\n');
    assert.match(table[0], /^CONTAINER ID {3}IMAGE {3,}COMMAND {3,}CREATED {3,}STATUS {3,}PORTS {3,}NAMES$/);
    const row = table.find((l) => l.endsWith('done'))!;
    assert.match(row, /^[a-f0-9]{12} {3}\S+busybox:latest {3}"sh -c exit 7" {3,}(Less than a second|\d+ seconds?) ago {3}Exited \(7\) /);
    const j = ts(['ps', '-a', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((c) => c.Names === 'done');
    assert.equal(j.State, 'exited');
    // Docker's templates: one line per container, or a table of the chosen columns.
    assert.ok(ts(['ps', '-a', '--format', '{{.Names}}: {{.State}}']).stdout.split('\n').includes('done: exited'));
    const chosen = ts(['ps', '-a', '--format', 'table {{.Names}}\\t{{.Status}}']).stdout.split('\n');
    assert.match(chosen[0], /^NAMES {3,}STATUS$/);
    assert.ok(chosen.some((l) => /^done {3,}Exited \(7\) /.test(l)), chosen.join('\n'));
    assert.match(ts(['ps', '--format', '{{.Names | upper}}']).stderr, /^tsdocker: template: unsupported action \{\{\.Names \| upper\}\}/);
    const c = inspect('done');
    assert.equal(c.Name, '/done');
    assert.equal(c.State.Status, 'exited');
    assert.equal(c.State.ExitCode, 7);
    assert.equal(c.State.Running, false);
    assert.equal(c.Path, 'sh');
    assert.deepEqual(c.Args, ['-c', 'exit 7']);
    assert.ok(c.Config.Env.includes('X=1'));
    assert.equal(c.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(c.HostConfig.PidsLimit, 50);
    assert.equal(c.HostConfig.NanoCpus, 1.5e9);
    assert.equal(c.GraphDriver.Name, 'overlay2');
    assert.ok(fs.existsSync(c.GraphDriver.Data.UpperDir));
    assert.ok(ts(['ps', '-aq']).stdout.split('\n').includes(c.Id.slice(0, 12)));
    // The bundle a student can open, and the rootfs unmounted after exit.
    const dir = path.dirname(c.GraphDriver.Data.MergedDir);
    for (const f of ['config.json', 'state.json', 'hostname', 'hosts', 'resolv.conf', 'upper', 'work', 'rootfs']) {
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    }
    assert.equal(fs.readdirSync(c.GraphDriver.Data.MergedDir).length, 0);
    assert.equal(ts(['rm', 'done']).stdout, 'done\n');
    assert.ok(!fs.existsSync(dir));
    assert.match(ts(['inspect', 'done']).stderr, /no such object: done/);
  });

  test('names are unique; --rm removes the container and frees the name', () => {
    assert.equal(ts(['run', '--name', 'twin', e.image, 'true']).status, 0);
    const again = ts(['run', '--name', 'twin', e.image, 'true']);
    assert.equal(again.status, 125);
    assert.match(again.stderr, /the container name "\/twin" is already in use/);
    assert.equal(ts(['rm', 'twin']).status, 0);
    assert.equal(ts(['run', '--rm', '--name', 'twin', e.image, 'true']).status, 0);
    assert.equal(ts(['run', '--rm', '--name', 'twin', e.image, 'true']).status, 0);
    assert.doesNotMatch(ts(['ps', '-a']).stdout, /twin/);
  });

  test('a running container: Up in ps, rm refuses, rm -f kills it; run exits 137', async () => {
    const { exited } = await background('sleeper', [e.image, 'sleep', '1000']);
    const c = inspect('sleeper');
    assert.equal(c.State.Running, true);
    assert.ok(c.State.Pid > 0);
    assert.match(fs.readFileSync(`/proc/${c.State.Pid}/cmdline`, 'utf8'), /^sleep\0/);
    const refused = ts(['rm', 'sleeper']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /container is running/);
    assert.equal(ts(['rm', '-f', 'sleeper']).status, 0);
    assert.equal(await exited, 137);
    assert.ok(!fs.existsSync(`/proc/${c.State.Pid}/cmdline`) || !/^sleep/.test(fs.readFileSync(`/proc/${c.State.Pid}/cmdline`, 'utf8')));
    assert.doesNotMatch(ts(['ps', '-a']).stdout, /sleeper/);
  });

  test('killed by a signal from the host: 128+N', async () => {
    const { exited } = await background('victim', [e.image, 'sleep', '1000']);
    process.kill(inspect('victim').State.Pid, 'SIGKILL');
    assert.equal(await exited, 137);
    const c = inspect('victim');
    assert.equal(c.State.ExitCode, 137);
    assert.equal(c.State.Status, 'exited');
    assert.equal(ts(['rm', 'victim']).status, 0);
  });

  test('--init: a tiny init is pid 1; SIGTERM to tsdocker reaches the command, which ends with 143', async () => {
    const pids = ts(['run', '--rm', '--init', e.image, 'sh', '-c', 'echo $$; cat /proc/1/comm']);
    assert.equal(pids.status, 0, pids.stderr);
    const [self, init] = pids.stdout.trim().split('\n');
    assert.notEqual(self, '1');
    assert.notEqual(init, 'sh');
    const { child, exited } = await background('termed', ['--init', e.image, 'sleep', '1000']);
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    assert.equal(inspect('termed').State.ExitCode, 143);
    assert.equal(ts(['rm', 'termed']).status, 0);
  });

  test('tsdocker killed with -9: the next command reconciles the record and unmounts', async () => {
    const { child, exited } = await background('orphan', [e.image, 'sleep', '1000']);
    const c = inspect('orphan');
    child.kill('SIGKILL');
    await exited;
    // The runtime helper may take the container down with its monitor; if not, we do.
    try {
      process.kill(c.State.Pid, 'SIGKILL');
    } catch { /* already gone */ }
    await waitFor('the container to die', () => !fs.existsSync(`/proc/${c.State.Pid}/status`) ||
      /State:\s+Z/.test(fs.readFileSync(`/proc/${c.State.Pid}/status`, 'utf8')));
    const after = inspect('orphan');
    assert.equal(after.State.Status, 'exited');
    assert.equal(after.State.ExitCode, 255);
    assert.ok(!fs.readFileSync('/proc/self/mounts', 'utf8').includes(after.GraphDriver.Data.MergedDir));
    for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
      assert.ok(!fs.existsSync(path.join('/sys/fs/cgroup', hierarchy, 'tsdocker', c.Id)), `cgroup ${hierarchy} left`);
    }
    assert.equal(ts(['rm', 'orphan']).status, 0);
  });

  test('volume create, ls, inspect, rm; a volume in use is kept; rm -v removes anonymous volumes', () => {
    assert.equal(ts(['volume', 'create', 'shared']).stdout, 'shared\n');
    assert.equal(ts(['run', '--name', 'user', '-v', 'shared:/s', '-v', '/anon', e.image, 'true']).status, 0);
    const vols = ts(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean);
    assert.equal(vols.length, 2);
    const anon = vols.find((v) => v !== 'shared')!;
    assert.match(anon, /^[a-f0-9]{64}$/);
    const v = JSON.parse(ts(['volume', 'inspect', 'shared']).stdout)[0];
    assert.equal(v.Mountpoint, path.join(e.root, 'volumes', 'shared', '_data'));
    const busy = ts(['volume', 'rm', 'shared']);
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /volume is in use/);
    assert.equal(ts(['rm', '-v', 'user']).status, 0);
    assert.deepEqual(ts(['volume', 'ls', '-q']).stdout, 'shared\n');
    assert.equal(ts(['volume', 'rm', 'shared']).status, 0);
    assert.equal(ts(['volume', 'ls', '-q']).stdout, '');
  });
});
