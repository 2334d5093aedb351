import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { linuxResources, parseResources, parseSize } from '../../src/container/resources';

test('Docker size syntax: bytes and binary multiples', () => {
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize('512b'), 512);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.equal(parseSize('32m'), 32 * 1024 * 1024);
  assert.equal(parseSize('32M'), 32 * 1024 * 1024);
  assert.equal(parseSize('1g'), 1024 ** 3);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('2 mb'), 2 * 1024 * 1024);
  for (const bad of ['', 'm', '-1m', '1x', '1.2.3m', '32mm']) assert.throws(() => parseSize(bad), /invalid size/);
});

test('memory and swap as Docker sets them', () => {
  assert.deepEqual(parseResources({}), { memory: 0, memorySwap: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: 0 });
  assert.equal(parseResources({ memory: '32m' }).memorySwap, 64 * 1024 * 1024);
  assert.equal(parseResources({ memory: '32m', memorySwap: '-1' }).memorySwap, -1);
  assert.equal(parseResources({ memory: '32m', memorySwap: '32m' }).memorySwap, 32 * 1024 * 1024);
  assert.throws(() => parseResources({ memory: '4m' }), /minimum memory limit allowed is 6MB/);
  assert.throws(() => parseResources({ memorySwap: '1g' }), /always set the memory limit/);
  assert.throws(() => parseResources({ memory: '64m', memorySwap: '32m' }), /larger than memory limit/);
});

test('--cpus becomes a CFS quota over a 100 ms period', () => {
  const r = parseResources({ cpus: '0.5', cpuShares: 512, pidsLimit: 20 });
  assert.equal(r.nanoCpus, 500_000_000);
  assert.deepEqual(linuxResources(r), { cpu: { shares: 512, quota: 50_000, period: 100_000 }, pids: { limit: 20 } });
  assert.deepEqual(linuxResources(parseResources({ cpus: '1.5' })).cpu, { quota: 150_000, period: 100_000 });
  for (const bad of ['0', '-1', 'abc', '1e3']) assert.throws(() => parseResources({ cpus: bad }), /--cpus/);
});

test('no limits means an empty resources object; -1 pids means unlimited', () => {
  assert.deepEqual(linuxResources(parseResources({ pidsLimit: -1 })), {});
  assert.deepEqual(linuxResources(parseResources({ memory: '1g' })).memory, { limit: 1024 ** 3, swap: 2 * 1024 ** 3 });
});
