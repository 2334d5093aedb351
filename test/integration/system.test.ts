// info, system df, system prune: against a real root with a pulled image, containers that wrote
// files, and volumes.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { background, setup, skip, tsdockerSync, waitFor, type Env } from './run-support';

describe('info and system', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  const ts = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => tsdockerSync(e, args, opts);
  const df = () => Object.fromEntries(ts(['system', 'df', '--format', 'json']).stdout.split('\n').filter(Boolean)
    .map((l) => JSON.parse(l)).map((r) => [r.Type, r]));

  test('info reports kernel, cgroups, overlayfs, namespaces and the store', () => {
    const j = JSON.parse(ts(['info', '--format', 'json']).stdout);
    assert.equal(j.DockerRootDir, e.root);
    assert.equal(j.Images, 1);
    assert.equal(j.OverlayAvailable, fs.readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n'));
    assert.ok(['1', '2'].includes(j.CgroupVersion));
    assert.ok(j.CgroupControllers.includes('memory'));
    for (const ns of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts']) assert.ok(j.Namespaces.includes(ns), ns);
    assert.equal(j.KernelVersion, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    assert.ok(j.RootDirUsage.Images > 0);
    assert.deepEqual(j.InsecureRegistries, [e.registry.host]);

    const text = ts(['info']);
    assert.equal(text.status, 0);
    assert.match(text.stdout, new RegExp(`^Docker Root Dir: ${e.root}$`, 'm'));
    assert.match(text.stdout, /^Cgroup Version: [12]/m);
    assert.match(text.stdout, /^Storage Driver: overlay$/m);
    assert.match(text.stdout, new RegExp(`^Insecure Registries:\n  ${e.registry.host.replace(/\./g, '\\.')}$`, 'm'));
    assert.equal(ts(['info', '-f', '{{.DockerRootDir}}']).stdout, `${e.root}\n`);
    assert.equal(ts(['system', 'info', '-f', '{{.Images}}']).stdout, '1\n');
  });

  test('info names each problem with its fix: a malformed config file', () => {
    const bad = path.join(path.dirname(e.root), 'bad-config.json');
    fs.writeFileSync(bad, '{ "registry-mirrors": ');
    const r = ts(['info'], { env: { TSDOCKER_CONFIG: bad } });
    assert.equal(r.status, 0);
    assert.match(r.stderr, new RegExp(`^WARNING: malformed config ${bad}: .*\n {9}fix: correct the JSON in ${bad}`, 'm'));
  });

  test('system df counts images, containers and volumes; prune removes what is unused', async () => {
    assert.equal(ts(['volume', 'create', 'named']).status, 0);
    assert.equal(ts(['run', '--name', 'writer', e.image, 'dd', 'if=/dev/zero', 'of=/big', 'bs=1000', 'count=300']).status, 0);
    assert.equal(ts(['run', '--name', 'anon', '-v', '/data', e.image, 'sh', '-c', 'echo hello > /data/x']).status, 0);
    const run = await background(e, 'alive', [e.image, 'sleep', '300']);

    let u = df();
    assert.deepEqual([u.Images.TotalCount, u.Images.Active], ['1', '1']);
    assert.match(u.Images.Reclaimable, /^0B \(0%\)$/);
    assert.deepEqual([u.Containers.TotalCount, u.Containers.Active], ['3', '1']);
    assert.match(u.Containers.Size, /^300(\.\d+)?kB$/);
    assert.match(u.Containers.Reclaimable, /^300(\.\d+)?kB \(100%\)$/);
    assert.deepEqual([u['Local Volumes'].TotalCount, u['Local Volumes'].Active], ['2', '1']);
    assert.equal(u['Local Volumes'].Size, '6B');
    assert.match(u['Local Volumes'].Reclaimable, /^0B \(0%\)$/);
    const table = ts(['system', 'df']).stdout.split('\n');
    assert.match(table[0], /^TYPE {12}TOTAL {3}ACTIVE {3}SIZE {3,}RECLAIMABLE$/);
    assert.deepEqual(table.slice(1, 5).map((l) => l.split(/ {3,}/)[0]), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);

    // Asked, and answered no: nothing goes.
    const no = ts(['system', 'prune', '--volumes'], { input: 'n\n' });
    assert.match(no.stdout, /^WARNING! This will remove:\n {2}- all stopped containers\n {2}- all anonymous volumes not used by at least one container\n {2}- all dangling images\n\nAre you sure/);
    assert.equal(df().Containers.TotalCount, '3');

    const yes = ts(['system', 'prune', '-f', '--volumes']);
    assert.equal(yes.status, 0, yes.stderr);
    assert.match(yes.stdout, /^Deleted Containers:\n[a-f0-9]{64}\n[a-f0-9]{64}\n\nDeleted Volumes:\n[a-f0-9]{64}\n\nTotal reclaimed space: 300kB\n$/);
    assert.equal(ts(['ps', '-aq']).stdout.trim().split('\n').length, 1, 'the running container stays');
    assert.equal(ts(['volume', 'ls', '-q']).stdout, 'named\n', 'a named volume stays');
    u = df();
    assert.deepEqual([u.Containers.TotalCount, u['Local Volumes'].TotalCount, u.Images.TotalCount], ['1', '1', '1']);

    assert.equal(ts(['rm', '-f', 'alive']).status, 0);
    await run.exited;
    // -a: now no container uses busybox, so it goes, and with it every layer.
    const all = ts(['system', 'prune', '-a', '-f']);
    assert.match(all.stdout, /^Deleted Images:\nuntagged: .*busybox:latest\n(untagged: .*\n)*deleted: sha256:[a-f0-9]{64}\n/);
    assert.match(all.stdout, /Total reclaimed space: [1-9][\d.]*[kM]B\n$/);
    assert.equal(ts(['images', '-q']).stdout, '');
    await waitFor('layers to be gone', () => fs.readdirSync(path.join(e.root, 'image', 'layers')).length === 0);
    assert.equal(ts(['volume', 'rm', 'named']).status, 0);
    const empty = ts(['system', 'prune', '-f']);
    assert.equal(empty.stdout, 'Total reclaimed space: 0B\n');
    // The tsdocker/ cgroups outlive the last container (docs/cgroups.md); prune takes the empty ones.
    const parents = ['', ...fs.readdirSync('/sys/fs/cgroup')].map((c) => path.join('/sys/fs/cgroup', c, 'tsdocker'))
      .filter((p) => fs.existsSync(p));
    const emptyParents = parents.filter((p) => !fs.readdirSync(p, { withFileTypes: true }).some((d) => d.isDirectory()));
    assert.deepEqual(emptyParents, [], 'no empty tsdocker/ cgroup is left after prune');
  });
});
