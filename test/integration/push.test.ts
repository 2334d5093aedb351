// push to a real registry (open, htpasswd, token), then read back with tools that are not tsdocker:
// skopeo sees the same manifest digest the image was pulled by (the layers' bytes are sent as they
// were received), and a tsdocker with an empty root pulls it and runs it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { pushFixture, skopeo, skopeoCreds } from '../support/fixtures';
import { startRegistry, type TestRegistry } from '../support/registry';
import { cli, type Cli } from './pull-support';

const skip = process.getuid?.() !== 0 ? 'needs root' : !fs.existsSync('/usr/bin/docker-registry') ? 'needs docker-registry' : false;
const WH_LS = '.:\na\nfile2\n\na:\nb\n\na/b/c:\nfoo\n';

async function manifestDigest(reg: TestRegistry, ref: string): Promise<string> {
  const { stdout } = await skopeo(['inspect', '--tls-verify=false', ...skopeoCreds(reg), '--format', '{{.Digest}}', `docker://${ref}`]);
  return stdout.trim();
}

async function ok(c: Cli, args: string[], input?: string): Promise<string> {
  const r = await c.runAsync(args, input);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Pull `ref` into an empty root and list /wh inside a container. */
async function pullBackAndRun(reg: TestRegistry, ref: string, login: boolean): Promise<void> {
  const fresh = cli({ 'insecure-registries': [reg.host] });
  try {
    if (login) await ok(fresh, ['login', '-u', reg.username!, '--password-stdin', reg.host], reg.password + '\n');
    await ok(fresh, ['pull', '-q', ref]);
    assert.equal(await ok(fresh, ['run', '--rm', ref, 'sh', '-c', 'cd /wh && ls -A . a a/b/c']), WH_LS);
  } finally {
    fresh.cleanup();
  }
}

test('push to an open registry: uploaded, then "Layer already exists", then "Mounted from"', { skip }, async (t) => {
  const source = await startRegistry({ auth: 'none' });
  const target = await startRegistry({ auth: 'none' });
  const c = cli({ 'insecure-registries': [source.host, target.host] });
  t.after(async () => { c.cleanup(); await source.stop(); await target.stop(); });
  const ref = await pushFixture(source, 'whiteouts', 'whiteouts:latest');
  await ok(c, ['pull', '-q', ref]);
  const pushed = `${target.host}/course/wh:v1`;
  await ok(c, ['tag', ref, pushed]);

  const first = await ok(c, ['push', pushed]);
  assert.match(first, new RegExp(`^The push refers to repository \\[${target.host}/course/wh\\]\n`));
  assert.match(first, /: Preparing\n/);
  assert.equal((first.match(/: Pushed\n/g) ?? []).length, 3, first);
  const digest = await manifestDigest(source, ref);
  assert.ok(first.endsWith(`v1: digest: ${digest} size: ${(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout.length}\n`), first);
  assert.equal(await manifestDigest(target, pushed), digest, 'the registry has the manifest the image was pulled by');

  const again = await ok(c, ['push', pushed]);
  assert.equal((again.match(/: Layer already exists\n/g) ?? []).length, 3, again);

  const other = `${target.host}/other/wh:v2`;
  await ok(c, ['tag', ref, other]);
  const mounted = await ok(c, ['push', other]);
  assert.equal((mounted.match(/: Mounted from course\/wh\n/g) ?? []).length, 3, mounted);

  await pullBackAndRun(target, other, false);
  const inspect = JSON.parse(await ok(c, ['image', 'inspect', ref]))[0];
  assert.ok(inspect.RepoDigests.includes(`${target.host}/course/wh@${digest}`), 'push records repo@digest, as Docker does');
});

for (const auth of ['htpasswd', 'token'] as const) {
  test(`push with ${auth} auth: refused before login, pushed after, pulled back by skopeo and tsdocker`, { skip }, async (t) => {
    const source = await startRegistry({ auth: 'none' });
    const target = await startRegistry({ auth });
    const c = cli({ 'insecure-registries': [source.host, target.host] });
    t.after(async () => { c.cleanup(); await source.stop(); await target.stop(); });
    const ref = await pushFixture(source, 'whiteouts', 'whiteouts:latest');
    await ok(c, ['pull', '-q', ref]);
    const pushed = `${target.host}/private/wh:latest`;
    await ok(c, ['tag', ref, pushed]);

    const refused = await c.runAsync(['push', pushed]);
    assert.equal(refused.status, 125, refused.stdout);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /^tsdocker: push (config|layer) sha256:[a-f0-9]{64}: not found or unauthorized: /);

    await ok(c, ['login', '-u', target.username!, '--password-stdin', target.host], target.password + '\n');
    const out = await ok(c, ['push', '-q', pushed]);
    assert.match(out, /^latest: digest: sha256:[a-f0-9]{64} size: \d+\n$/);
    assert.equal(await manifestDigest(target, pushed), await manifestDigest(source, ref));
    if (auth === 'token') {
      assert.ok(target.tokenServer!.requests.some((r) => r.scopes.some((s) => s === 'repository:private/wh:pull,push')),
        JSON.stringify(target.tokenServer!.requests));
    }
    await pullBackAndRun(target, pushed, true);
  });
}

test('push of an image that is not there, or by digest, is one line and exit 125', { skip }, async (t) => {
  const reg = await startRegistry({ auth: 'none' });
  const c = cli({ 'insecure-registries': [reg.host] });
  t.after(async () => { c.cleanup(); await reg.stop(); });
  const missing = await c.runAsync(['push', `${reg.host}/nothing`]);
  assert.equal(missing.status, 125);
  assert.equal(missing.stderr, `tsdocker: An image does not exist locally with the tag: ${reg.host}/nothing:latest\n`);
  const byDigest = await c.runAsync(['push', `${reg.host}/x@sha256:${'a'.repeat(64)}`]);
  assert.equal(byDigest.status, 125);
  assert.match(byDigest.stderr, /^tsdocker: cannot push a digest reference/);
});
