import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createConfig, defaultRunOptions, RunOptions } from '../../src/container/options';
import { buildSpec, INIT_ANNOTATION } from '../../src/container/spec';
import { DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from '../../src/container/defaults';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { capabilitySet, ownBoundingSet } from '../../src/container/caps';
import type { ImageConfig } from '../../src/image/store';
import { validateSpec } from '../../src/runtime';
import type { ResolvedUser } from '../../src/container/user';

const ID = 'a'.repeat(12) + 'b'.repeat(52);
const IMAGE: ImageConfig = {
  rootfs: { type: 'layers', diff_ids: [] },
  config: { Env: ['PATH=/usr/bin:/bin', 'LANG=C'], Cmd: ['sh'], WorkingDir: '/srv', Volumes: { '/data': {} } },
};
const ROOT_USER: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/root' };
const ETC = { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' };

function spec(opts: Partial<RunOptions>, args: string[] = [], user = ROOT_USER) {
  const o = { ...defaultRunOptions('busybox', args), ...opts };
  const cfg = createConfig(o, IMAGE, ID, {}, 'hosty');
  cfg.Mounts.forEach((m) => { if (!m.Source) m.Source = `/vol/${m.Name}`; });
  const s = buildSpec({ id: ID, path: cfg.Path, args: cfg.Args, config: cfg.Config, hostConfig: cfg.HostConfig,
    mounts: cfg.Mounts, user, etcFiles: ETC, rootfs: 'rootfs' });
  return { cfg, s };
}

test('defaults: Docker\'s capabilities, masked and read-only paths, namespaces, devices', () => {
  const { s } = spec({});
  validateSpec(s);
  assert.deepEqual(s.process.args, ['sh']);
  assert.equal(s.process.cwd, '/srv');
  assert.equal(s.hostname, ID.slice(0, 12));
  assert.deepEqual(new Set(s.process.capabilities!.bounding), new Set(DEFAULT_CAPABILITIES));
  assert.deepEqual(s.process.capabilities!.effective, s.process.capabilities!.bounding);
  assert.deepEqual(s.process.capabilities!.inheritable, []);
  assert.equal(s.process.noNewPrivileges, false);
  assert.equal(s.linux!.seccomp!.defaultAction, 'SCMP_ACT_ALLOW'); // Docker's default filter (seccomp.ts)
  assert.ok(s.linux!.seccomp!.syscalls!.some((r) => r.names.includes('mount')));
  assert.deepEqual(s.linux!.maskedPaths, MASKED_PATHS);
  assert.deepEqual(s.linux!.readonlyPaths, READONLY_PATHS);
  assert.deepEqual(s.linux!.namespaces!.map((n) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  assert.equal(s.linux!.cgroupsPath, `/tsdocker/${ID}`);
  assert.deepEqual(s.linux!.resources!.devices![0], { allow: false, access: 'rwm' });
  assert.equal(s.linux!.sysctl!['net.ipv4.ip_unprivileged_port_start'], '0');
  assert.equal(s.root.readonly, false);
  assert.equal(s.annotations, undefined);
  for (const bad of ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_NET_ADMIN', 'CAP_SYS_MODULE']) {
    assert.ok(!s.process.capabilities!.bounding!.includes(bad), bad);
  }
});

test('mounts: /proc, /dev, /dev/pts, /sys, /dev/shm, /dev/mqueue, the /etc files, then volumes', () => {
  const { s } = spec({});
  const dests = s.mounts!.map((m) => m.destination);
  for (const d of ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm',
    '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/data']) assert.ok(dests.includes(d), d);
  assert.deepEqual(s.mounts!.find((m) => m.destination === '/sys')!.options, ['nosuid', 'noexec', 'nodev', 'ro']);
  assert.deepEqual(s.mounts!.find((m) => m.destination === '/etc/hosts'),
    { destination: '/etc/hosts', type: 'bind', source: '/c/hosts', options: ['rbind', 'rprivate', 'rw'] });
  // The image's VOLUME /data became an anonymous volume.
  const data = s.mounts!.find((m) => m.destination === '/data')!;
  assert.equal(data.type, 'bind');
  assert.match(data.source!, /^\/vol\/[a-f0-9]{64}$/);
});

test('user mounts are ordered parents first and replace a default on the same path', () => {
  const { s } = spec({ volumes: ['/h/b:/a/b:ro', '/h/a:/a', 'vol:/dev/shm'], tmpfs: ['/run:size=1m,exec'] });
  const user = s.mounts!.slice(-5);
  assert.deepEqual(user.map((m) => m.destination), ['/a', '/run', '/data', '/a/b', '/dev/shm']);
  assert.deepEqual(user[3].options, ['rbind', 'ro', 'rprivate']);
  assert.deepEqual(user[1], { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m', 'exec'] });
  assert.equal(s.mounts!.filter((m) => m.destination === '/dev/shm').length, 1);
});

test('process: args, env, user and terminal', () => {
  const { s, cfg } = spec({ tty: true, env: ['LANG=fr', 'X=1'], workdir: '/w', entrypoint: '/bin/echo' }, ['hi'],
    { uid: 1000, gid: 1000, additionalGids: [10], home: '/home/app' });
  assert.deepEqual(s.process.args, ['/bin/echo', 'hi']);
  assert.deepEqual(cfg.Config.Env, ['PATH=/usr/bin:/bin', 'LANG=fr', 'X=1']);
  assert.deepEqual(s.process.env, ['PATH=/usr/bin:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'TERM=xterm', 'LANG=fr', 'X=1', 'HOME=/home/app']);
  assert.deepEqual(s.process.user, { uid: 1000, gid: 1000, additionalGids: [10] });
  assert.equal(s.process.terminal, true);
  assert.equal(s.process.cwd, '/w');
});

test('resources, init, read-only, no-new-privileges, hostname', () => {
  const { s, cfg } = spec({ memory: '32m', cpus: '0.5', pidsLimit: 20, cpuShares: 512, init: true, readOnly: true,
    securityOpt: ['no-new-privileges'], hostname: 'box' });
  assert.deepEqual(s.linux!.resources!.memory, { limit: 32 * 1024 * 1024, swap: 64 * 1024 * 1024 });
  assert.deepEqual(s.linux!.resources!.cpu, { shares: 512, quota: 50000, period: 100000 });
  assert.deepEqual(s.linux!.resources!.pids, { limit: 20 });
  assert.equal(s.annotations![INIT_ANNOTATION], 'true');
  assert.equal(s.root.readonly, true);
  assert.deepEqual(s.mounts!.find((m) => m.destination === '/etc/hostname')!.options, ['rbind', 'rprivate', 'ro']);
  assert.equal(s.process.noNewPrivileges, true);
  assert.equal(s.hostname, 'box');
  assert.equal(cfg.HostConfig.Memory, 32 * 1024 * 1024);
  assert.equal(cfg.HostConfig.NanoCpus, 500_000_000);
});

test('--network host: no network namespace, the host\'s name, no netns sysctls', () => {
  const { s } = spec({ network: 'host' });
  assert.ok(!s.linux!.namespaces!.some((n) => n.type === 'network'));
  assert.equal(s.hostname, 'hosty');
  assert.equal(s.linux!.sysctl, undefined);
  assert.throws(() => spec({ network: 'no/such' }), /network no\/such not found/);
});

test('--privileged: every capability, nothing masked, /sys writable, all devices', () => {
  const { s } = spec({ privileged: true });
  assert.equal(s.process.capabilities!.bounding!.length, 41);
  assert.deepEqual(s.linux!.maskedPaths, []);
  assert.deepEqual(s.linux!.readonlyPaths, []);
  assert.ok(s.mounts!.find((m) => m.destination === '/sys')!.options!.includes('rw'));
  assert.deepEqual(s.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  assert.equal(s.linux!.seccomp, undefined);
});

test('--cap-add SYS_ADMIN lifts the filter\'s mount entry; seccomp=unconfined removes the filter', () => {
  assert.ok(!spec({ capAdd: ['SYS_ADMIN'] }).s.linux!.seccomp!.syscalls!.some((r) => r.names.includes('mount')));
  const { cfg, s } = spec({ securityOpt: ['seccomp=unconfined'] });
  assert.equal(s.linux!.seccomp, undefined);
  assert.deepEqual(cfg.HostConfig.SecurityOpt, ['seccomp=unconfined']);
});

test('--cap-add and --cap-drop, Docker\'s rules', () => {
  assert.deepEqual(capabilitySet({ capAdd: ['sys_admin'], capDrop: ['CAP_NET_RAW', 'mknod'], privileged: false }).length, 13);
  assert.deepEqual(capabilitySet({ capAdd: ['NET_ADMIN'], capDrop: ['ALL'], privileged: false }), ['CAP_NET_ADMIN']);
  assert.equal(capabilitySet({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'], privileged: false }).length, 40);
  assert.throws(() => capabilitySet({ capAdd: ['FLY'], capDrop: [], privileged: false }), /unknown capability: "FLY"/);
});

test('--privileged and --cap-add ALL mean the capabilities tsdocker holds itself', () => {
  const available = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN'];
  assert.deepEqual(capabilitySet({ capAdd: [], capDrop: [], privileged: true, available }), ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN']);
  assert.deepEqual(capabilitySet({ capAdd: ['ALL'], capDrop: ['KILL'], privileged: false, available }), ['CAP_CHOWN', 'CAP_SYS_ADMIN']);
});

test('the bounding set is read from /proc/<pid>/status', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-caps-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'status'), 'Name:\tx\nCapBnd:\t00000000a80425fb\n');
  assert.deepEqual(new Set(ownBoundingSet(path.join(dir, 'status'))), new Set(DEFAULT_CAPABILITIES));
  assert.equal(ownBoundingSet(path.join(dir, 'missing')), undefined);
});

test('bad flags are refused before anything is made', () => {
  assert.throws(() => spec({ workdir: 'rel' }), /needs to be an absolute path/);
  assert.throws(() => spec({ securityOpt: ['apparmor=unconfined'] }), /invalid --security-opt/);
  assert.throws(() => spec({ securityOpt: ['seccomp=/no/such/profile.json'] }), /opening seccomp profile \(\/no\/such\/profile.json\) failed/);
  assert.throws(() => spec({ volumes: ['rel/dir:/x'] }), /invalid characters for a local volume name/);
  assert.throws(() => spec({ volumes: ['/a:/x', '/b:/x'] }), /duplicate mount point: \/x/);
  assert.throws(() => spec({ volumes: ['/a:/'] }), /destination can't be '\/'/);
  assert.throws(() => spec({ volumes: ['/a:/x:bogus'] }), /invalid mode: bogus/);
  assert.throws(() => spec({ hostname: 'bad_name!' }), /invalid hostname/);
  assert.throws(() => spec({ capDrop: ['nope'] }), /unknown capability/);
});
