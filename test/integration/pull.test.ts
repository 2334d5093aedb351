// `tsdocker pull` and the image commands against a real Distribution registry (Debian's
// docker-registry) holding images that skopeo and umoci built, never tsdocker.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { startRegistry, type TestRegistry } from '../support/registry';
import { pushFixture, type FixtureName } from '../support/fixtures';
import { cli, type Cli } from './pull-support';
import { hasPython, inTerminal } from '../support/terminal';

const skip = process.getuid?.() !== 0 ? 'needs root' : !fs.existsSync('/usr/bin/docker-registry') ? 'needs docker-registry' : false;

let reg: TestRegistry;
let c: Cli;
const pushed = new Map<string, string>();

/** Push a fixture once per file; returns "127.0.0.1:PORT/<name>:latest". */
async function image(name: FixtureName, opts: Parameters<typeof pushFixture>[3] = {}, repo: string = name): Promise<string> {
  const key = `${name} ${repo} ${JSON.stringify(opts)}`;
  if (!pushed.has(key)) pushed.set(key, await pushFixture(reg, name, `${repo}:latest`, opts));
  return pushed.get(key)!;
}

before(async () => {
  if (skip) return;
  reg = await startRegistry({ auth: 'none' });
  c = cli({ 'insecure-registries': [reg.host] });
});

after(async () => {
  c?.cleanup();
  await reg?.stop();
});

test('pull, images, and a second pull that finds the image up to date', { skip }, async () => {
  const ref = await image('busybox');
  const first = c.run(['pull', ref]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^latest: Pulling from busybox$/m);
  assert.match(first.stdout, /^[0-9a-f]{12}: Pull complete$/m);
  assert.match(first.stdout, /^Digest: sha256:[0-9a-f]{64}$/m);
  assert.match(first.stdout, new RegExp(`^Status: Downloaded newer image for ${ref}$`, 'm'));
  assert.equal(first.stdout.trim().split('\n').pop(), ref);

  const table = c.run(['images']).stdout.split('\n');
  assert.match(table[0], /^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$/);
  assert.match(table[1], new RegExp(`^${ref.replace(':latest', '')}\\s+latest\\s+[0-9a-f]{12}\\s+.+ ago\\s+[0-9.]+[kM]B$`));

  const json = c.run(['images', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(json.length, 1);
  assert.equal(json[0].Tag, 'latest');
  const ids = c.run(['image', 'ls', '-q']).stdout.trim();
  assert.equal(ids, json[0].ID);
  assert.equal(c.run(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).stdout, `${ref} ${ids}\n`);

  const again = c.run(['pull', ref]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /: Already exists$/m);
  assert.match(again.stdout, /^Status: Image is up to date for /m);

  const [inspect] = JSON.parse(c.run(['image', 'inspect', ref]).stdout);
  assert.match(inspect.Id, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(inspect.RepoTags, [ref]);
  assert.equal(inspect.RootFS.Layers.length, 1);
  assert.equal(inspect.Architecture, 'amd64');
  assert.equal(c.run(['inspect', '-f', '{{.Id}}', ref]).stdout.trim(), inspect.Id);
});

test('on a terminal, each layer has one line redrawn in place, with a progress bar', { skip: skip || (hasPython ? false : 'needs python3') }, async () => {
  const fresh = cli({ 'insecure-registries': [reg.host] });
  try {
    const ref = await image('compression-mixed', {}, 'tty-progress');
    const r = inTerminal([process.execPath, path.join(__dirname, '..', '..', '..', 'bin', 'tsdocker'), 'pull', ref],
      { env: fresh.env, size: [24, 120] });
    assert.equal(r.code, 0, r.output);
    // Redrawing: cursor up over the layer lines, then each line cleared and written again.
    assert.match(r.output, /\x1b\[\d+A/);
    assert.match(r.output, /\x1b\[2K[0-9a-f]{12}: Downloading \[=*>? *\] +[0-9.]+[kMG]?B\/[0-9.]+[kMG]?B/);
    assert.equal((r.output.match(/\x1b\[2K[0-9a-f]{12}: Pull complete/g) ?? []).length >= 3, true, r.output);
  } finally {
    fresh.cleanup();
  }
});

test('Docker media types, and gzip, zstd and plain tar layers in one image', { skip }, async () => {
  for (const name of ['docker-types', 'compression-mixed'] as const) {
    const r = c.run(['pull', '-q', await image(name)]);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
  const zstd = c.run(['pull', '-q', await image('busybox', { compress: 'zstd' }, 'busybox-zstd')]);
  assert.equal(zstd.status, 0, zstd.stderr);
  const out = c.run(['run', '--rm', await image('compression-mixed'), 'cat', '/plain.txt', '/gzip.txt', '/zstd.txt']);
  assert.equal(out.stdout, 'plain\ngzip\nzstd\n', out.stderr);
});

test('multi-platform indexes: the host platform, --platform, never the attestation', { skip }, async () => {
  for (const name of ['multiarch-oci', 'multiarch-docker', 'multiarch-nested'] as const) {
    const ref = await image(name);
    const r = c.run(['pull', '-q', ref]);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.equal(c.run(['image', 'inspect', '-f', '{{.Architecture}}', ref]).stdout.trim(), 'amd64', name);
  }
  const arm = c.run(['pull', '-q', '--platform', 'linux/arm64', await image('multiarch-oci')]);
  assert.equal(arm.status, 0, arm.stderr);
  assert.equal(c.run(['image', 'inspect', '-f', '{{.Architecture}}', await image('multiarch-oci')]).stdout.trim(), 'arm64');
  const none = c.run(['pull', '--platform', 'linux/s390x', await image('multiarch-oci')]);
  assert.equal(none.status, 125);
  assert.match(none.stderr, /s390x/);
});

test('whiteouts and opaque directories across layers show as deletions in the container', { skip }, async () => {
  const ref = await image('whiteouts');
  assert.equal(c.run(['pull', '-q', ref]).status, 0);
  const r = c.run(['run', '--rm', ref, 'sh', '-c', 'cd /wh && ls -A . a a/b/c']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '.:\na\nfile2\n\na:\nb\n\na/b/c:\nfoo\n');
});

test('hardlinks within and across layers, and symlinks', { skip }, async () => {
  const ref = await image('links');
  assert.equal(c.run(['pull', '-q', ref]).status, 0);
  const r = c.run(['run', '--rm', ref, 'sh', '-c',
    'cd /links && cat hard-same hard-cross sym-rel sym-abs hard-implied && readlink dangling && stat -c %h target']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'hello from target\n'.repeat(4) + 'in an implied dir\n/does/not/exist\n2\n');
});

test('130 layers mount in one overlay through short links', { skip }, async () => {
  const ref = await image('layers-130');
  const pulled = c.run(['pull', '-q', ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  const r = c.run(['run', '--rm', ref, 'sh', '-c', 'ls /layers | wc -l; cat /layers/130']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.replace(/ +/g, ''), '129\n130\n');
});

test('a layer whose tar does not match its diff_id fails and leaves the store as it was', { skip }, async () => {
  const ref = await image('bad-diff-id');
  const before = c.snapshot();
  const r = c.run(['pull', ref]);
  assert.equal(r.status, 125);
  assert.match(r.stderr, /^tsdocker: .*diff_id mismatch/m);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.deepEqual(c.snapshot(), before);
});

test('hostile layers never write outside their layer directory', { skip }, async () => {
  const passwd = fs.readFileSync('/etc/passwd');
  const names: FixtureName[] = ['hostile-dotdot', 'hostile-absolute', 'hostile-symlink-dir', 'hostile-symlink-later',
    'hostile-symlink-chmod', 'hostile-hardlink', 'hostile-hardlink-symlink', 'hostile-same-path',
    'bad-whiteout-empty', 'bad-whiteout-dot', 'bad-whiteout-dotdot', 'bad-whiteout-escape'];
  const rootMode = fs.statSync('/').mode;
  const shadowMode = fs.statSync('/etc/shadow').mode;
  for (const name of names) {
    const before = c.snapshot();
    const r = c.run(['pull', '-q', await image(name)]);
    if (r.status !== 0) {
      assert.equal(r.status, 125, `${name}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: ${r.stderr}`);
      assert.deepEqual(c.snapshot(), before, `${name} left something in the store`);
    }
    assert.ok(!fs.existsSync('/tmp/tsdocker-pwn'), `${name} wrote /tmp/tsdocker-pwn`);
    assert.ok(!fs.existsSync('/tsdocker-abs'), `${name} wrote /tsdocker-abs`);
    assert.deepEqual(fs.readFileSync('/etc/passwd'), passwd, `${name} changed /etc/passwd`);
    assert.equal(fs.statSync('/').mode, rootMode, `${name} changed the mode of /`);
    assert.equal(fs.statSync('/etc/shadow').mode, shadowMode, `${name} changed the mode of /etc/shadow`);
  }
});

test('unknown images, bad references and a registry that is down are one clear line, exit 125', { skip }, async () => {
  const nope = c.run(['pull', `${reg.host}/nope`]);
  assert.equal(nope.status, 125);
  assert.match(nope.stderr, new RegExp(`^tsdocker: .*not found or unauthorized: ${reg.host}/nope:latest`));
  const bad = c.run(['pull', 'Bad/Name']);
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /^tsdocker: invalid reference format/);
  const port = await freePort();
  const down = cli({ 'insecure-registries': [`127.0.0.1:${port}`] });
  try {
    const r = down.run(['pull', `127.0.0.1:${port}/busybox`]);
    assert.equal(r.status, 125);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, /ECONNREFUSED|refused/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  } finally {
    down.cleanup();
  }
});

/** A port nothing listens on: bound once by us, then closed. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test('two pulls of one image at the same time both succeed, with one copy of each layer', { skip }, async () => {
  const ref = await image('compression-mixed', {}, 'concurrent');
  const fresh = cli({ 'insecure-registries': [reg.host] });
  try {
    const results = await Promise.all([0, 1].map(() => new Promise<number>((resolve) => {
      const p = fresh.spawn(['pull', '-q', ref]);
      p.on('exit', (code) => resolve(code ?? -1));
    })));
    assert.deepEqual(results, [0, 0]);
    const layers = fs.readdirSync(path.join(fresh.root, 'image', 'layers'));
    assert.equal(layers.length, 4);
    assert.equal(fs.readdirSync(path.join(fresh.root, 'image', 'l')).length, 4);
    assert.equal(fresh.run(['run', '--rm', ref, 'cat', '/zstd.txt']).stdout, 'zstd\n');
  } finally {
    fresh.cleanup();
  }
});

test('kill -9 during a pull leaves a store that the next pull completes', { skip }, async () => {
  const ref = await image('layers-130', {}, 'killed');
  const fresh = cli({ 'insecure-registries': [reg.host] });
  try {
    const p = fresh.spawn(['pull', ref]);
    // Kill it once it has unpacked a few layers: the first progress lines are on stdout.
    await new Promise<void>((resolve) => {
      let text = '';
      p.stdout!.on('data', (d) => {
        text += d;
        if ((text.match(/Pull complete/g) ?? []).length >= 5) resolve();
      });
      p.on('exit', () => resolve());
    });
    p.kill('SIGKILL');
    await new Promise((r) => p.on('exit', r));
    assert.deepEqual(fresh.run(['images', '-q']).stdout, '', 'a killed pull must not show an image');
    const again = fresh.run(['pull', '-q', ref]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(fs.readdirSync(path.join(fresh.root, 'tmp')), [], 'the killed pull\'s work was swept');
    assert.equal(fresh.run(['run', '--rm', ref, 'cat', '/layers/77']).stdout, '77\n');
  } finally {
    fresh.cleanup();
  }
});

test('tag, rmi and image prune: layers go with the last image that uses them', { skip }, async () => {
  const fresh = cli({ 'insecure-registries': [reg.host] });
  try {
    const ref = await image('busybox');
    assert.equal(fresh.run(['pull', '-q', ref]).status, 0);
    assert.equal(fresh.run(['tag', ref, 'student/box:v1']).status, 0);
    const rows = fresh.run(['images', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => `${r.Repository}:${r.Tag}`).sort(), [ref, 'student/box:v1'].sort());
    assert.equal(new Set(rows.map((r) => r.ID)).size, 1);

    const byId = fresh.run(['rmi', rows[0].ID]);
    assert.equal(byId.status, 1);
    assert.match(byId.stderr, /must be forced\) - image is referenced in multiple repositories/);

    const untag = fresh.run(['rmi', 'student/box:v1']);
    assert.equal(untag.stdout, 'Untagged: student/box:v1\n');
    const del = fresh.run(['rmi', ref]);
    assert.equal(del.status, 0, del.stderr);
    assert.match(del.stdout, new RegExp(`^Untagged: ${ref}\nUntagged: .*@sha256:[0-9a-f]{64}\nDeleted: sha256:[0-9a-f]{64}\nDeleted: sha256:[0-9a-f]{64}\n$`));
    assert.deepEqual(fs.readdirSync(path.join(fresh.root, 'image', 'layers')), []);
    assert.deepEqual(fs.readdirSync(path.join(fresh.root, 'image', 'l')), []);

    assert.equal(fresh.run(['pull', '-q', ref]).status, 0);
    assert.equal(fresh.run(['rmi', 'nope']).stderr, 'tsdocker: no such image: nope\n');
    const prune = fresh.run(['image', 'prune', '-a', '-f']);
    assert.equal(prune.status, 0, prune.stderr);
    assert.match(prune.stdout, /^Deleted Images:\nuntagged: /);
    assert.match(prune.stdout, /Total reclaimed space: [0-9.]+[kM]B\n$/);
    assert.equal(fresh.run(['images', '-q']).stdout, '');
  } finally {
    fresh.cleanup();
  }
});

test('rmi refuses an image a container uses, unless forced', { skip }, async () => {
  const fresh = cli({ 'insecure-registries': [reg.host] });
  try {
    const ref = await image('busybox');
    assert.equal(fresh.run(['pull', '-q', ref]).status, 0);
    assert.equal(fresh.run(['run', '--name', 'user', ref, 'true']).status, 0);
    const r = fresh.run(['rmi', ref]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /conflict: unable to remove repository reference .* \(must force\) - container [0-9a-f]{12} is using/);
    assert.equal(fresh.run(['rmi', '-f', ref]).status, 0);
    assert.equal(fresh.run(['rm', 'user']).status, 0);
  } finally {
    fresh.run(['rm', '-f', 'user']);
    fresh.cleanup();
  }
});
