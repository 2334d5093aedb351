// Networking, part 1: the default bridge network, --network none/host/container:NAME, published
// ports reached from the host with a real HTTP client, random ports, --dns/--add-host, --trace, and
// nothing left after rm or after kill -9. Traffic goes only to 127.0.0.1 and to the containers' own
// addresses on the bridge.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { setup, tsdockerSync, waitFor, type Env } from './run-support';
import { assertGone, assertPresent, fetchWhenUp, freePort, httpdScript, inspect, leased, linkExists, netTrace, runDetached, skip } from './network-support';

describe('network: bridge, none, host, container, ports', { skip, concurrency: false }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });

  const run = (args: string[]) => tsdockerSync(e, ['run', '--rm', ...args]);

  test('the default is the bridge: eth0 with an address, a default route via the gateway, lo up', () => {
    const r = run([e.image, 'sh', '-c', 'ip -4 -o addr show; ip route; cat /etc/hosts; hostname']);
    assert.equal(r.status, 0, r.stderr);
    const addr = /eth0\s+inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(r.stdout);
    assert.ok(addr, r.stdout);
    assert.match(r.stdout, /lo\s+inet 127\.0\.0\.1\/8/);
    assert.match(r.stdout, /^default via \d+\.\d+\.\d+\.1 dev eth0/m);
    const hostname = r.stdout.trim().split('\n').pop()!;
    assert.ok(r.stdout.includes(`\n${addr![1]}\t${hostname}\n`), 'own name at own address in /etc/hosts');
  });

  test('none: loopback only, up; host: the host\'s interfaces', () => {
    assert.equal(run(['--network', 'none', e.image, 'sh', '-c', 'ls /sys/class/net | tr "\\n" " "; ping -c1 -W2 127.0.0.1 >/dev/null && echo ok']).stdout, 'lo ok\n');
    const host = run(['--network', 'host', e.image, 'sh', '-c', 'ls /sys/class/net | wc -l']).stdout.trim();
    assert.equal(Number(host), fs.readdirSync('/sys/class/net').length);
  });

  test('container:NAME shares the other container\'s network namespace; -p with it is refused', () => {
    const id = runDetached(e, ['--name', 'base', e.image, 'sh', '-c', httpdScript('shared')]);
    const ip = inspect(e, id).NetworkSettings.IPAddress;
    const r = run(['--network', 'container:base', e.image, 'sh', '-c', 'ip -4 -o addr show eth0; wget -qO- http://127.0.0.1/']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
    assert.match(r.stdout, /shared\n$/);
    const bad = run(['--network', 'container:base', '-p', '80', e.image, 'true']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /conflicting options: port publishing and the container type network mode/);
    assert.match(run(['--network', 'container:nosuch', e.image, 'true']).stderr, /no such container: nosuch/);
    // base goes while another container is still in its namespace: its veth pair is deleted at
    // once (it would otherwise live on with the namespace), and the address is released.
    const joined = runDetached(e, ['--network', 'container:base', e.image, 'sleep', '300']);
    const t = netTrace(e, id);
    assert.equal(tsdockerSync(e, ['rm', '-f', 'base']).status, 0);
    assert.deepEqual(t.hostVeths.filter(linkExists), [], 'deleted, not left to the namespace');
    assert.equal(leased(ip), false);
    assert.equal(tsdockerSync(e, ['rm', '-f', joined]).status, 0);
  });

  test('-p 127.0.0.1:PORT:80 and -p 80: busybox httpd fetched from the host; port, ps; gone after rm', async () => {
    const fixed = await freePort();
    const id = runDetached(e, ['--name', 'web', '-p', `127.0.0.1:${fixed}:80`, '-p', '80', e.image, 'sh', '-c', httpdScript('hello-from-httpd')]);
    const t = netTrace(e, id);
    assertPresent(t);
    const lines = tsdockerSync(e, ['port', 'web']).stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines.includes(`80/tcp -> 127.0.0.1:${fixed}`), lines.join('|'));
    const random = Number(/^80\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(lines.join('\n'))?.[1]);
    assert.ok(random >= 1024 && random !== fixed, `random port ${random}`);
    for (const port of [fixed, random]) {
      assert.equal(await fetchWhenUp(`http://127.0.0.1:${port}/index.html`), 'hello-from-httpd\n', `port ${port}`);
    }
    const ps = JSON.parse(tsdockerSync(e, ['ps', '--format', 'json']).stdout.split('\n').find((l) => l.includes('"web"'))!);
    assert.equal(ps.Ports, `127.0.0.1:${fixed}->80/tcp, 0.0.0.0:${random}->80/tcp`);
    // Another container reaches it at its address, and through the published port on the host.
    const gw = inspect(e, id).NetworkSettings.Gateway;
    const other = run([e.image, 'sh', '-c', `wget -qO- http://${t.ips[0]}/; wget -qO- http://${gw}:${random}/`]);
    assert.equal(other.stdout, 'hello-from-httpd\nhello-from-httpd\n', other.stderr);
    // The same host port twice is refused.
    const clash = run(['-p', `127.0.0.1:${fixed}:80`, e.image, 'true']);
    assert.equal(clash.status, 125);
    assert.match(clash.stderr, /port is already allocated/);
    assert.equal(tsdockerSync(e, ['rm', '-f', 'web']).status, 0);
    assertGone(t);
  });

  test('a stopped container has no network; after kill -9 of everything the next command cleans up', async () => {
    const id = runDetached(e, ['--name', 'victim', '-p', '80', e.image, 'sleep', '300']);
    const t = netTrace(e, id);
    assertPresent(t);
    const state = JSON.parse(fs.readFileSync(`${e.root}/containers/${id}/state.json`, 'utf8'));
    process.kill(state.Monitor.Pid, 'SIGKILL');
    process.kill(state.State.Pid, 'SIGKILL');
    await waitFor('the container to die', () => !fs.existsSync(`/proc/${state.State.Pid}`) && !fs.existsSync(`/proc/${state.Monitor.Pid}`));
    assert.match(tsdockerSync(e, ['ps', '-a']).stdout, /Exited \(255\)/);
    assertGone(t);
    assert.equal(tsdockerSync(e, ['rm', 'victim']).status, 0);
  });

  test('--dns and --add-host (also host-gateway) in /etc/resolv.conf and /etc/hosts', () => {
    const r = run(['--dns', '10.0.0.53', '--add-host', 'db.local:10.1.2.3', '--add-host', 'me:host-gateway', e.image,
      'sh', '-c', 'cat /etc/resolv.conf /etc/hosts; ip route']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^nameserver 10\.0\.0\.53$/m);
    assert.doesNotMatch(r.stdout, /^nameserver (?!10\.0\.0\.53)/m);
    assert.match(r.stdout, /^10\.1\.2\.3\tdb\.local$/m);
    const gw = /^default via (\S+)/m.exec(r.stdout)![1];
    assert.ok(r.stdout.includes(`${gw}\tme\n`), r.stdout);
    assert.match(run(['--add-host', 'nope', e.image, 'true']).stderr, /invalid argument "nope" for "--add-host"/);
  });

  test('--trace shows the veth pair, the address, the route and the iptables rules', () => {
    const r = tsdockerSync(e, ['--trace', 'run', '--rm', '-p', '80', e.image, 'true']);
    assert.equal(r.status, 0, r.stderr);
    for (const step of [/ipam: lease \d+\.\d+\.\d+\.\d+ on tsdocker-bridge/,
      /network: rtnetlink RTM_NEWLINK veth\w+ type veth peer eth0 \(02:42:\S+, netns \S+\) master tsdocker0 up/,
      /network: write \/sys\/class\/net\/veth\w+\/brport\/hairpin_mode = 1/,
      /net: eth0: ioctl\(SIOCSIFADDR, \d+\.\d+\.\d+\.\d+\), ioctl\(SIOCSIFNETMASK, \/16\), ioctl\(SIOCSIFFLAGS, IFF_UP\)/,
      /net: ioctl\(SIOCADDRT, default via \d+\.\d+\.\d+\.1 dev eth0\)/,
      /cni: ADD \S+\/portmap/, /iptables: -A POSTROUTING -s \S+ ! -o \S+ .*-j MASQUERADE/, /iptables: .*-j DNAT/,
      /cni: DEL \S+\/portmap/, /network: veth\w+: goes with the container's namespace/, /ipam: release \d+\.\d+\.\d+\.\d+ on tsdocker-bridge/]) {
      assert.match(r.stderr, step);
    }
    assert.doesNotMatch(r.stderr, /cni: (ADD|DEL) \S+\/(bridge|host-local)/);
  });
});
