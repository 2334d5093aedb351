import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCgroup, detectMode, loadCgroup } from '../../src/runtime/cgroups';
import { CGROUP2_SUPER_MAGIC, TMPFS_MAGIC, modeFromTypes } from '../../src/runtime/cgroups/detect';

const EXT4_MAGIC = 0xef53;

test('the statfs magic of /sys/fs/cgroup and of its unified/ decides the mode', () => {
  assert.equal(modeFromTypes(CGROUP2_SUPER_MAGIC, undefined), 'unified');
  assert.equal(modeFromTypes(TMPFS_MAGIC, CGROUP2_SUPER_MAGIC), 'hybrid');
  assert.equal(modeFromTypes(TMPFS_MAGIC, undefined), 'legacy');
  assert.equal(modeFromTypes(TMPFS_MAGIC, TMPFS_MAGIC), 'legacy');
  assert.throws(() => modeFromTypes(EXT4_MAGIC, undefined, '/x'), /\/x is neither cgroup2 nor a tmpfs .*0xef53/);
});

test('detectMode on this host gives one of the three modes', { skip: !fs.existsSync('/sys/fs/cgroup') }, () => {
  assert.ok(['unified', 'hybrid', 'legacy'].includes(detectMode()));
});

test('detectMode on a missing root is a clear error', () => {
  assert.throws(() => detectMode('/nonexistent/cgroup'), /cgroups: \/nonexistent\/cgroup does not exist/);
});

test('hybrid: a needed controller bound to v2 is refused, others on v2 are fine', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-cgh-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const c of ['memory', 'devices']) fs.mkdirSync(path.join(root, c));
  fs.mkdirSync(path.join(root, 'unified'));
  fs.writeFileSync(path.join(root, 'unified', 'cgroup.controllers'), 'memory pids\n');
  assert.throws(() => createCgroup('h1', { pids: { limit: 5 } }, { root, mode: 'hybrid' }),
    /hybrid mode with the pids controller on the v2 hierarchy .* are not supported/);
  fs.writeFileSync(path.join(root, 'unified', 'cgroup.controllers'), 'hugetlb\n');
  // passes the hybrid check; then fails on the fake tree's missing devices files, which shows it got to v1
  assert.throws(() => createCgroup('h1', undefined, { root, mode: 'hybrid' }), /devices\.deny: ENOENT/);
  assert.equal(fs.existsSync(path.join(root, 'devices', 'tsdocker', 'h1')), false);
  assert.equal(fs.existsSync(path.join(root, 'unified', 'tsdocker', 'h1')), false);
});

test('hybrid: the container joins the v2 tree too, with no limits and no device program there', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-cgh-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'devices', 'tsdocker', 'h2'), { recursive: true });
  fs.writeFileSync(path.join(root, 'devices', 'tsdocker', 'h2', 'devices.deny'), '');
  fs.writeFileSync(path.join(root, 'devices', 'tsdocker', 'h2', 'devices.allow'), '');
  fs.mkdirSync(path.join(root, 'unified'));
  fs.writeFileSync(path.join(root, 'unified', 'cgroup.controllers'), '');
  const attached: string[] = [];
  const cg = createCgroup('h2', undefined, { root, mode: 'hybrid', attachDeviceFilter: (dir) => { attached.push(dir); } });
  assert.deepEqual(cg.paths, [path.join(root, 'devices', 'tsdocker', 'h2'), path.join(root, 'unified', 'tsdocker', 'h2')]);
  assert.deepEqual(attached, []);
  // legacy mode has no unified/ to join
  assert.deepEqual(loadCgroup('h2', { root, mode: 'legacy' })?.paths, [path.join(root, 'devices', 'tsdocker', 'h2')]);
});
