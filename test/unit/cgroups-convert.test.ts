import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpusToQuota, sharesToWeight, swapToV2 } from '../../src/runtime/cgroups';
import { pidsMax } from '../../src/runtime/cgroups/convert';
import { formatDeviceRule } from '../../src/runtime/cgroups/devices';

test('--cpus N is N * 100000 us per 100000 us period', () => {
  assert.deepEqual(cpusToQuota(0.5), { quota: 50000, period: 100000 });
  assert.deepEqual(cpusToQuota(2), { quota: 200000, period: 100000 });
  assert.deepEqual(cpusToQuota(1.001), { quota: 100100, period: 100000 });
  assert.throws(() => cpusToQuota(0), /invalid --cpus 0/);
});

test('cpu.shares to cpu.weight: the ends and the default line up (runc\'s formula)', () => {
  assert.equal(sharesToWeight(0), 0);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 100);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(1 << 20), 10000);
  // monotonic in between
  let last = 0;
  for (let s = 2; s <= 262144; s *= 2) {
    const w = sharesToWeight(s);
    assert.ok(w >= last, `${s} -> ${w}`);
    last = w;
  }
});

test('OCI memory+swap to v2 swap alone', () => {
  assert.equal(swapToV2(undefined, undefined), undefined);
  assert.equal(swapToV2(undefined, 1000), undefined);
  assert.equal(swapToV2(undefined, -1), -1, 'unlimited memory means unlimited swap');
  assert.equal(swapToV2(-1, 1000), -1);
  assert.equal(swapToV2(3000, 1000), 2000);
  assert.equal(swapToV2(1000, 1000), 0, 'memory+swap equal to memory: no swap');
  assert.throws(() => swapToV2(500, 1000), /memory\+swap \(500\) is smaller than memory \(1000\)/);
  assert.throws(() => swapToV2(500, undefined), /needs a memory limit/);
});

test('pids.max values', () => {
  assert.equal(pidsMax(20), '20');
  assert.equal(pidsMax(0), '1');
  assert.equal(pidsMax(-1), 'max');
});

test('device rules in devices.allow syntax', () => {
  assert.equal(formatDeviceRule({ allow: false }), 'a');
  assert.equal(formatDeviceRule({ allow: true, type: 'c', major: 136, access: 'rwm' }), 'c 136:* rwm');
  assert.equal(formatDeviceRule({ allow: true, type: 'b', minor: 0, access: 'm' }), 'b *:0 m');
  assert.throws(() => formatDeviceRule({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwx' }), /invalid device access "rwx"/);
});
