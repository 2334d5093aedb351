// Address leases (src/network/leases.ts) in a directory of the test's own, and the MAC address
// Docker derives from an address (veth.ts). The veth pair itself is tested against the kernel in
// test/integration/network-*.test.ts.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCidr } from '../../src/network/ipam';
import { leaseAddress, releaseAddress } from '../../src/network/leases';
import { macFor } from '../../src/network/veth';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-leases-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A file standing for a pinned namespace: a lease whose namespace file is gone is stale. */
function owner(name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '');
  return file;
}

test('leases: in order after the gateway, never the network or broadcast address, never twice', () => {
  const subnet = parseCidr('10.9.0.0/29'); // .1 gateway, .2-.6 usable, .7 broadcast
  const a = owner('a');
  const got = [1, 2, 3, 4, 5].map(() => leaseAddress(dir, 'n1', subnet, '10.9.0.1', a, 'eth0'));
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  assert.equal(fs.readFileSync(path.join(dir, 'ipam', 'n1', '10.9.0.4'), 'utf8'), `${a}\neth0\n`);
  assert.throws(() => leaseAddress(dir, 'n1', subnet, '10.9.0.1', a, 'eth0'), /no free address left in 10\.9\.0\.0\/29 \(network n1\)/);
});

test('leases: a released address is given out again only after the others (rotation)', () => {
  const subnet = parseCidr('10.8.0.0/29');
  const a = owner('b');
  for (let i = 0; i < 3; i++) leaseAddress(dir, 'n2', subnet, '10.8.0.1', a, 'eth0'); // .2 .3 .4
  releaseAddress(dir, 'n2', '10.8.0.3', a);
  assert.equal(leaseAddress(dir, 'n2', subnet, '10.8.0.1', a, 'eth0'), '10.8.0.5');
  assert.equal(leaseAddress(dir, 'n2', subnet, '10.8.0.1', a, 'eth0'), '10.8.0.6');
  assert.equal(leaseAddress(dir, 'n2', subnet, '10.8.0.1', a, 'eth0'), '10.8.0.3', 'wraps around to the freed one');
});

test('leases: released only by their owner; a lease whose namespace is gone is taken back', () => {
  const subnet = parseCidr('10.7.0.0/30'); // one usable address: .2
  const first = owner('c');
  const second = owner('d');
  assert.equal(leaseAddress(dir, 'n3', subnet, '10.7.0.1', first, 'eth0'), '10.7.0.2');
  releaseAddress(dir, 'n3', '10.7.0.2', second);
  assert.ok(fs.existsSync(path.join(dir, 'ipam', 'n3', '10.7.0.2')), 'another container cannot release it');
  assert.throws(() => leaseAddress(dir, 'n3', subnet, '10.7.0.1', second, 'eth0'), /no free address/);
  fs.rmSync(first); // its tsdocker was killed and the namespace unpinned
  assert.equal(leaseAddress(dir, 'n3', subnet, '10.7.0.1', second, 'eth0'), '10.7.0.2');
});

test('MAC address: 02:42 and the IPv4 address, as Docker makes it', () => {
  assert.equal(macFor('172.17.0.2'), '02:42:ac:11:00:02');
  assert.equal(macFor('192.168.16.255'), '02:42:c0:a8:10:ff');
});
