// Pulling with credentials (Basic auth, and token auth as Docker Hub does it), through a registry
// mirror for Docker Hub names, and into a full disk. The token server runs in this process, so the
// CLI is always run asynchronously here.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startRegistry } from '../support/registry';
import { pushFixture } from '../support/fixtures';
import { cli } from './pull-support';

const skip = process.getuid?.() !== 0 ? 'needs root' : !fs.existsSync('/usr/bin/docker-registry') ? 'needs docker-registry' : false;

test('Basic auth: refused without credentials, pulled after login', { skip }, async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd' });
  const c = cli({ 'insecure-registries': [reg.host] });
  t.after(async () => { c.cleanup(); await reg.stop(); });
  const ref = await pushFixture(reg, 'busybox', 'busybox:latest');

  const refused = await c.runAsync(['pull', ref]);
  assert.equal(refused.status, 125);
  assert.match(refused.stderr, new RegExp(`^tsdocker: .*${reg.host}`));
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);

  const login = await c.runAsync(['login', '-u', reg.username!, '--password-stdin', reg.host], reg.password + '\n');
  assert.equal(login.status, 0, login.stderr);
  const pulled = await c.runAsync(['pull', '-q', ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(pulled.stdout, `${ref}\n`);
});

test('token auth: anonymous pulls of public repositories, credentials for private ones', { skip }, async (t) => {
  const reg = await startRegistry({ auth: 'token' });
  const c = cli({ 'insecure-registries': [reg.host] });
  t.after(async () => { c.cleanup(); await reg.stop(); });
  const pub = await pushFixture(reg, 'busybox', 'public/busybox:latest');
  const priv = await pushFixture(reg, 'busybox', 'private/busybox:latest');

  const anonymous = await c.runAsync(['pull', '-q', pub]);
  assert.equal(anonymous.status, 0, anonymous.stderr);
  const denied = await c.runAsync(['pull', priv]);
  assert.equal(denied.status, 125);
  assert.match(denied.stderr, new RegExp(`not found or unauthorized: ${priv}`));

  assert.equal((await c.runAsync(['login', '-u', reg.username!, '--password-stdin', reg.host], reg.password + '\n')).status, 0);
  const allowed = await c.runAsync(['pull', '-q', priv]);
  assert.equal(allowed.status, 0, allowed.stderr);
  const granted = reg.tokenServer!.requests.filter((r) => r.account === reg.username);
  assert.ok(granted.length >= 1, 'the token server saw the logged-in user');
});

test('Docker Hub names go to the configured mirror: `pull busybox` is docker.io/library/busybox', { skip }, async (t) => {
  const reg = await startRegistry({ auth: 'none' });
  const c = cli({ 'registry-mirrors': [reg.url], 'insecure-registries': [reg.host] });
  t.after(async () => { c.run(['rm', '-f', 'mirrored']); c.cleanup(); await reg.stop(); });
  await pushFixture(reg, 'busybox', 'library/busybox:latest');

  const r = c.run(['pull', 'busybox']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Using default tag: latest\nlatest: Pulling from library\/busybox\n/);
  assert.equal(r.stdout.trim().split('\n').pop(), 'docker.io/library/busybox:latest');
  const rows = c.run(['images', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((row) => `${row.Repository}:${row.Tag}`), ['busybox:latest']);
  assert.equal(c.run(['run', '--rm', 'busybox', 'echo', 'hi']).stdout, 'hi\n');
});

test('a full disk fails the pull with one line and leaves the store as it was', { skip }, async (t) => {
  const reg = await startRegistry({ auth: 'none' });
  const c = cli({ 'insecure-registries': [reg.host] });
  // The store lives on a 1 MiB tmpfs: busybox (about 2 MB unpacked) cannot fit.
  fs.mkdirSync(c.root);
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tsdocker-test-full', c.root]).status, 0);
  t.after(async () => {
    spawnSync('umount', ['-l', c.root]);
    c.cleanup();
    await reg.stop();
  });
  const ref = await pushFixture(reg, 'busybox', 'busybox:latest');
  const before = c.snapshot();
  const r = c.run(['pull', ref]);
  assert.equal(r.status, 125);
  assert.match(r.stderr, /^tsdocker: .*ENOSPC \(no space left on device\)/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.deepEqual(c.snapshot(), before);
  assert.deepEqual(fs.readdirSync(path.join(c.root, 'tmp')), [], 'the failed pull removed its work');
});
