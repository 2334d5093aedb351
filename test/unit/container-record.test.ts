import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { containerDir, findId, listIds, readRecord, releaseName, reserveName, writeRecord } from '../../src/container/record';
import { processStartTime, reconcile, EXIT_UNKNOWN } from '../../src/container/state';
import { createConfig, defaultRunOptions } from '../../src/container/options';
import { ContainerRecord, ZERO_TIME } from '../../src/container/types';
import { createVolume, inspectVolume, listVolumes, removeVolume } from '../../src/container/volumes';
import { hostsFile, resolvConf } from '../../src/container/etcfiles';

function tempRoot(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-root-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function newRecord(root: string, id: string, name: string): ContainerRecord {
  const cfg = createConfig(defaultRunOptions('busybox', ['true']), { rootfs: { type: 'layers', diff_ids: [] } }, id, {});
  const rec: ContainerRecord = { Id: id, Name: name, Created: new Date().toISOString(), Image: 'sha256:' + '1'.repeat(64),
    Path: cfg.Path, Args: cfg.Args, Config: cfg.Config, HostConfig: cfg.HostConfig, Mounts: cfg.Mounts,
    State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME } };
  fs.mkdirSync(containerDir(id, root), { recursive: true });
  reserveName(name, id, root);
  writeRecord(rec, root);
  return rec;
}

const A = 'a'.repeat(64);
const B = 'ab' + 'c'.repeat(62);

test('records are written whole and found by id, name or unique prefix', (t) => {
  const root = tempRoot(t);
  newRecord(root, A, 'web');
  newRecord(root, B, 'db');
  assert.deepEqual(listIds(root).sort(), [A, B]);
  assert.equal(findId(A, root), A);
  assert.equal(findId('web', root), A);
  assert.equal(findId('/db', root), B);
  assert.equal(findId('ab', root), B);
  assert.throws(() => findId('a', root), /multiple containers found with provided prefix: a/);
  assert.throws(() => findId('nope', root), /no such container: nope/);
  // Only the final state.json remains: no temporary files.
  assert.deepEqual(fs.readdirSync(containerDir(A, root)), ['state.json']);
});

test('a name in use is refused; a removed container\'s name is reused', (t) => {
  const root = tempRoot(t);
  newRecord(root, A, 'web');
  assert.throws(() => reserveName('web', B, root), /the container name "\/web" is already in use by container "a{64}"/);
  fs.rmSync(containerDir(A, root), { recursive: true }); // as if tsdocker died during rm
  reserveName('web', B, root);
  releaseName('web', A, root); // not A's any more: kept
  assert.equal(fs.readlinkSync(path.join(root, 'containers/names/web')), B.slice(0, 12));
});

test('a name\'s link holds the short id, which fits in the inode; whole ids (an older store) read the same', (t) => {
  const root = tempRoot(t);
  const twin = A.slice(0, 12) + 'b'.repeat(52); // begins as A does
  newRecord(root, A, 'web');
  newRecord(root, twin, 'api');
  newRecord(root, B, 'db');
  assert.equal(fs.readlinkSync(path.join(root, 'containers/names/web')), 'a'.repeat(12));
  assert.equal(findId('web', root), A);
  assert.equal(findId('api', root), twin, 'two ids that begin alike: the record with the name');
  assert.throws(() => reserveName('api', B, root), /already in use by container "a{12}b{52}"/);
  fs.rmSync(path.join(root, 'containers/names/db'));
  fs.symlinkSync(B, path.join(root, 'containers/names/db'));
  assert.equal(findId('db', root), B);
  releaseName('db', B, root);
  assert.throws(() => findId('db', root), /no such container: db/);
});

test('a late writer never recreates a removed container', (t) => {
  const root = tempRoot(t);
  const rec = newRecord(root, A, 'web');
  fs.rmSync(containerDir(A, root), { recursive: true });
  assert.equal(writeRecord(rec, root), false);
  assert.ok(!fs.existsSync(containerDir(A, root)));
});

test('reconcile: a running record whose pid is gone becomes Exited; a live one is left alone', async (t) => {
  const root = tempRoot(t);
  const rec = newRecord(root, A, 'web');
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid!;
  rec.State = { ...rec.State, Status: 'running', Running: true, Pid: pid, PidStartTime: processStartTime(pid),
    StartedAt: new Date().toISOString() };
  writeRecord(rec, root);
  const calls: string[] = [];
  const hooks = { unmount: () => calls.push('unmount'), removeCgroup: () => calls.push('cgroup'), remove: () => calls.push('remove') };

  assert.equal(reconcile(readRecord(A, root)!, hooks, root)!.State.Status, 'running');
  assert.deepEqual(calls, []);

  // A monitor that is alive owns the record, even once the pid is gone.
  const withMonitor = { ...readRecord(A, root)!, Monitor: { Pid: process.pid, StartTime: processStartTime(process.pid) } };
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(reconcile(withMonitor, hooks, root)!.State.Status, 'running');

  const after = reconcile(readRecord(A, root)!, hooks, root)!;
  assert.equal(after.State.Status, 'exited');
  assert.equal(after.State.ExitCode, EXIT_UNKNOWN);
  assert.equal(readRecord(A, root)!.State.Status, 'exited');
  assert.deepEqual(calls, ['cgroup']);
});

test('reconcile: a pid reused by another process is not the container', (t) => {
  const root = tempRoot(t);
  const rec = newRecord(root, A, 'web');
  rec.State = { ...rec.State, Status: 'running', Running: true, Pid: process.pid, PidStartTime: 1 };
  const out = reconcile(rec, { unmount() {}, removeCgroup() {}, remove() {} }, root)!;
  assert.equal(out.State.Status, 'exited');
});

test('reconcile: a --rm container without its monitor is removed', (t) => {
  const root = tempRoot(t);
  const rec = newRecord(root, A, 'web');
  rec.HostConfig.AutoRemove = true;
  rec.Monitor = { Pid: 2 ** 22 + 1, StartTime: 1 }; // no such process
  let removed = false;
  assert.equal(reconcile(rec, { unmount() {}, removeCgroup() {}, remove() { removed = true; } }, root), undefined);
  assert.ok(removed);
});

test('volumes: create is idempotent, ls, inspect, rm refused while used', (t) => {
  const root = tempRoot(t);
  const v = createVolume('data', {}, root);
  assert.equal(v.Mountpoint, path.join(root, 'volumes/data/_data'));
  fs.writeFileSync(path.join(v.Mountpoint, 'x'), 'kept');
  assert.equal(createVolume('data', {}, root).CreatedAt, v.CreatedAt);
  assert.ok(fs.existsSync(path.join(v.Mountpoint, 'x')));
  createVolume('anon1', { anonymous: true }, root);
  assert.deepEqual(listVolumes(root).map((x) => x.Name), ['anon1', 'data']);
  assert.deepEqual(inspectVolume('anon1', root)!.Labels, { 'com.docker.volume.anonymous': '' });
  assert.throws(() => removeVolume('data', [A], root), /volume is in use - \[a{64}\]/);
  removeVolume('data', [], root);
  assert.equal(inspectVolume('data', root), undefined);
  assert.throws(() => removeVolume('data', [], root), /no such volume/);
  assert.throws(() => createVolume('../x', {}, root), /invalid volume name/);
});

test('/etc/hosts and /etc/resolv.conf for a private network namespace', () => {
  assert.match(hostsFile('abc', 'default'), /^127\.0\.0\.1\tlocalhost\n/);
  assert.match(hostsFile('abc', 'default'), /\n127\.0\.1\.1\tabc\n$/);
  assert.equal(hostsFile('abc', 'host', 'HOST FILE\n'), 'HOST FILE\n');
  assert.equal(resolvConf('search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.1\n', 'default'), 'search lan\nnameserver 10.0.0.1\n');
  assert.equal(resolvConf('nameserver 127.0.0.53\noptions edns0\n', 'default'), 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(resolvConf('nameserver ::1\n', 'none'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(resolvConf('nameserver 127.0.0.53\n', 'host'), 'nameserver 127.0.0.53\n');
});
