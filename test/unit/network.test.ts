// The pure parts of networking: subnets, -p parsing, the PORTS column, /etc/hosts and resolv.conf.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { chooseSubnet, formatCidr, overlaps, parseCidr, routeConflict } from '../../src/network/ipam';
import { parsePublish, portBindings, portLines, portMap, portsColumn } from '../../src/network/ports';
import { PEERS_MARK, withPeers } from '../../src/network/hosts';
import { hostsFile, resolvConf } from '../../src/container/etcfiles';

test('CIDRs: parse, normalise, overlap', () => {
  assert.equal(formatCidr(parseCidr('172.17.3.4/16')), '172.17.0.0/16');
  assert.ok(overlaps(parseCidr('172.17.0.0/16'), parseCidr('172.17.5.0/24')));
  assert.ok(!overlaps(parseCidr('172.17.0.0/16'), parseCidr('172.18.0.0/16')));
  assert.throws(() => parseCidr('172.17.0.0'), /invalid subnet "172\.17\.0\.0"/);
  assert.throws(() => parseCidr('256.0.0.0/8'), /invalid subnet/);
});

test('subnets: the first of Docker\'s pools that collides with no route and no network', () => {
  const routes = [{ dst: '172.17.0.0/16', dev: 'docker0' }, { dst: '10.0.0.0/8', dev: 'eth0' }];
  assert.equal(formatCidr(chooseSubnet([], routes)), '172.18.0.0/16');
  assert.equal(formatCidr(chooseSubnet([parseCidr('172.18.0.0/16')], routes)), '172.19.0.0/16');
  assert.equal(formatCidr(chooseSubnet([], routes, parseCidr('172.30.0.0/16'))), '172.30.0.0/16');
  assert.equal(formatCidr(chooseSubnet([], [{ dst: '172.16.0.0/12', dev: 'vpn' }])), '192.168.0.0/20');
  assert.equal(routeConflict(parseCidr('10.1.0.0/16'), routes)?.dev, 'eth0');
  assert.equal(routeConflict(parseCidr('172.17.0.0/16'), routes, 'docker0'), undefined, 'its own bridge does not count');
});

test('-p: Docker\'s forms', () => {
  assert.deepEqual(parsePublish('80'), { key: '80/tcp', binding: { HostIp: '', HostPort: '' } });
  assert.deepEqual(parsePublish('8080:80'), { key: '80/tcp', binding: { HostIp: '', HostPort: '8080' } });
  assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), { key: '80/udp', binding: { HostIp: '127.0.0.1', HostPort: '8080' } });
  assert.deepEqual(parsePublish('127.0.0.1::80'), { key: '80/tcp', binding: { HostIp: '127.0.0.1', HostPort: '' } });
  assert.throws(() => parsePublish('80/sctp'), /invalid proto: sctp/);
  assert.throws(() => parsePublish('70000'), /invalid containerPort "70000"/);
  assert.throws(() => parsePublish('x:1:2'), /invalid IP address: x/);
  assert.throws(() => parsePublish('8000-8001:80-81'), /port ranges are not supported/);
  assert.deepEqual(portBindings(['8080:80'], true, ['80/tcp', '443']),
    { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '443/tcp': [{ HostIp: '', HostPort: '' }] });
});

test('PORTS column and `port` lines, as Docker prints them', () => {
  const ports = portMap([{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' },
    { hostPort: 32768, containerPort: 53, protocol: 'udp' }], ['443/tcp']);
  assert.equal(portsColumn(ports), '0.0.0.0:32768->53/udp, 127.0.0.1:8080->80/tcp, 443/tcp');
  assert.deepEqual(portLines(ports), ['53/udp -> 0.0.0.0:32768', '80/tcp -> 127.0.0.1:8080']);
  assert.deepEqual(portLines(ports, '80'), ['127.0.0.1:8080']);
});

test('/etc/hosts: --add-host, own address, and a peers section that is replaced, not appended', () => {
  const text = hostsFile('abc', 'bridge', undefined, { extraHosts: ['db:10.1.2.3', 'v6:fe80::1'], address: '172.18.0.2' });
  assert.match(text, /\nff02::2\tip6-allrouters\n10\.1\.2\.3\tdb\nfe80::1\tv6\n172\.18\.0\.2\tabc\n$/);
  const once = withPeers(text, [['172.18.0.3', 'web']]);
  assert.ok(once.endsWith(`${PEERS_MARK}\n172.18.0.3\tweb\n`));
  const twice = withPeers(once, [['172.18.0.4', 'db2']]);
  assert.equal(twice, text + `${PEERS_MARK}\n172.18.0.4\tdb2\n`);
  assert.equal(withPeers(twice, []), text);
});

test('resolv.conf: --dns replaces the nameservers and keeps search and options', () => {
  assert.equal(resolvConf('search lan\nnameserver 10.0.0.1\noptions ndots:2\n', 'bridge', ['1.1.1.1']),
    'search lan\noptions ndots:2\nnameserver 1.1.1.1\n');
  assert.equal(resolvConf('nameserver 127.0.0.53\n', 'bridge'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});
