// Networking, part 2: user-defined networks. create/ls/inspect/rm, subnet collisions, containers
// reaching each other by address and by name, connect/disconnect of a running container, 20
// containers started at once with unique addresses, and a bridge lost (as after a reboot) made
// again on next use. Traffic goes only to the containers' own addresses on the test's bridges.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setup, tsdockerAsync, tsdockerSync, type Env } from './run-support';
import { assertGone, httpdScript, inspect, leased, linkExists, netTrace, runDetached, skip } from './network-support';

describe('network: user-defined networks', { skip, concurrency: false }, () => {
  let e: Env;
  const nets: string[] = [];
  before(async () => { e = await setup(); });
  after(async () => {
    if (!e) return;
    const all = tsdockerSync(e, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (all.length > 0) tsdockerSync(e, ['rm', '-f', ...all]);
    for (const n of nets) tsdockerSync(e, ['network', 'rm', n]);
    await e.cleanup();
  });

  const td = (args: string[]) => tsdockerSync(e, args);
  function createNet(name: string, extra: string[] = []): { id: string; bridge: string; subnet: string } {
    const r = td(['network', 'create', ...extra, name]);
    assert.equal(r.status, 0, r.stderr);
    nets.push(name);
    const id = r.stdout.trim();
    const info = JSON.parse(td(['network', 'inspect', name]).stdout)[0];
    return { id, bridge: `br-${id.slice(0, 12)}`, subnet: info.IPAM.Config[0].Subnet };
  }

  test('create, ls, inspect, rm; the bridge exists exactly as long as the network', () => {
    const n = createNet('nt-basic');
    assert.ok(linkExists(n.bridge));
    assert.match(n.subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    const ls = td(['network', 'ls']).stdout;
    assert.match(ls, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/m);
    for (const name of ['bridge', 'host', 'none', 'nt-basic']) assert.match(ls, new RegExp(`\\s${name}\\s`));
    assert.match(td(['network', 'create', 'nt-basic']).stderr, /network with name nt-basic already exists/);
    assert.match(td(['network', 'rm', 'bridge']).stderr, /bridge is a pre-defined network and cannot be removed/);
    assert.equal(td(['network', 'rm', 'nt-basic']).status, 0);
    nets.splice(nets.indexOf('nt-basic'), 1);
    assert.equal(linkExists(n.bridge), false);
    assert.match(td(['network', 'inspect', 'nt-basic']).stderr, /network nt-basic not found/);
    assert.match(td(['run', '--rm', '--network', 'nt-basic', e.image, 'true']).stderr, /network nt-basic not found/);
  });

  test('a subnet that collides with a host route or another network is refused, clearly', () => {
    const routes = JSON.parse(spawnSync('ip', ['-j', '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' }).stdout) as { dst: string; dev: string }[];
    const hostRoute = routes.find((r) => r.dst !== 'default' && r.dst.includes('/'));
    if (hostRoute) {
      const r = td(['network', 'create', '--subnet', hostRoute.dst, 'nt-clash']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, new RegExp(`overlaps the host route ${hostRoute.dst.replace(/\./g, '\\.')} \\(dev ${hostRoute.dev}\\)`));
    }
    const a = createNet('nt-a');
    const r = td(['network', 'create', '--subnet', a.subnet, 'nt-b']);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /overlaps/);
    assert.match(td(['network', 'create', '--subnet', '300.1.0.0/16', 'nt-c']).stderr, /invalid subnet "300\.1\.0\.0\/16"/);
  });

  test('containers on a user network reach each other by address and by name; rm takes one off the others\' /etc/hosts', async () => {
    createNet('nt-app');
    const srv = runDetached(e, ['--name', 'srv', '--network', 'nt-app', e.image, 'sh', '-c', httpdScript('from-srv')]);
    const ip = inspect(e, srv).NetworkSettings.Networks['nt-app'].IPAddress;
    const r = td(['run', '--rm', '--network', 'nt-app', '--name', 'client', e.image, 'sh', '-c',
      `for i in $(seq 50); do wget -qO- http://srv/ 2>/dev/null && break; sleep 0.1; done; wget -qO- http://${ip}/; grep -w srv /etc/hosts`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `from-srv\nfrom-srv\n${ip}\tsrv\n`);
    // Both ways: srv's own /etc/hosts lists a container that joins later.
    const peer = runDetached(e, ['--name', 'peer', '--network', 'nt-app', e.image, 'sleep', '300']);
    const peerIp = inspect(e, peer).NetworkSettings.Networks['nt-app'].IPAddress;
    const hosts = () => td(['exec', 'srv', 'cat', '/etc/hosts']).stdout;
    assert.ok(hosts().includes(`${peerIp}\tpeer\n`), hosts());
    assert.equal(td(['rm', '-f', 'peer']).status, 0);
    assert.ok(!hosts().includes('\tpeer\n'), hosts());
    // The default bridge gives no names (as in Docker).
    assert.notEqual(td(['run', '--rm', e.image, 'ping', '-c1', '-W1', 'srv']).status, 0);
    assert.equal(td(['rm', '-f', 'srv']).status, 0);
  });

  test('network connect and disconnect a running container; rm of a network in use is refused', () => {
    createNet('nt-one');
    createNet('nt-two');
    const id = runDetached(e, ['--name', 'multi', '--network', 'nt-one', e.image, 'sleep', '300']);
    runDetached(e, ['--name', 'other', '--network', 'nt-two', e.image, 'sleep', '300']);
    assert.equal(td(['network', 'connect', 'nt-two', 'multi']).status, 0);
    const nets2 = inspect(e, id).NetworkSettings.Networks;
    assert.deepEqual(Object.keys(nets2).sort(), ['nt-one', 'nt-two']);
    const addrs = td(['exec', 'multi', 'ip', '-4', '-o', 'addr']).stdout;
    assert.match(addrs, new RegExp(`eth1\\s+inet ${nets2['nt-two'].IPAddress.replace(/\./g, '\\.')}/`));
    assert.equal(td(['exec', 'multi', 'ping', '-c1', '-W2', 'other']).status, 0, 'by name over the new network');
    assert.match(td(['network', 'connect', 'nt-two', 'multi']).stderr, /already exists in network nt-two/);
    const rmInUse = td(['network', 'rm', 'nt-two']);
    assert.equal(rmInUse.status, 1);
    assert.match(rmInUse.stderr, /has active endpoints/);
    const before = netTrace(e, id);
    assert.equal(td(['network', 'disconnect', 'nt-two', 'multi']).status, 0);
    assert.doesNotMatch(td(['exec', 'multi', 'ip', '-o', 'link']).stdout, /eth1/);
    assert.equal(leased(nets2['nt-two'].IPAddress), false);
    assert.equal(td(['rm', '-f', 'multi', 'other']).status, 0);
    assertGone({ ...before, ips: [...before.ips, nets2['nt-two'].IPAddress] });
  });

  test('20 containers started at once get 20 different addresses, all released on rm', async () => {
    createNet('nt-many');
    const started = await Promise.all(Array.from({ length: 20 }, (_, i) => new Promise<string>((resolve, reject) => {
      const c = tsdockerAsync(e, ['run', '-d', '--name', `many${i}`, '--network', 'nt-many', e.image, 'sleep', '300']);
      let out = '';
      let err = '';
      c.stdout!.on('data', (d) => { out += d; });
      c.stderr!.on('data', (d) => { err += d; });
      c.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`many${i}: ${err}`))));
    })));
    const ips = started.map((id) => inspect(e, id).NetworkSettings.Networks['nt-many'].IPAddress);
    assert.equal(new Set(ips).size, 20, ips.join(' '));
    assert.ok(ips.every(leased));
    assert.equal(td(['rm', '-f', ...started]).status, 0);
    assert.deepEqual(ips.filter(leased), []);
  });

  test('a bridge that is gone (as after a reboot) is made again on next use', () => {
    const n = createNet('nt-reboot');
    spawnSync('ip', ['link', 'del', 'dev', n.bridge]);
    assert.equal(linkExists(n.bridge), false);
    const r = td(['run', '--rm', '--network', 'nt-reboot', e.image, 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(linkExists(n.bridge));
    assert.match(r.stdout, new RegExp(`inet ${n.subnet.split('.').slice(0, 2).join('\\.')}\\.`));
  });
});
