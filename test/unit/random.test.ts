// random.ts: ids and names from the kernel's /dev/urandom instead of node:crypto (start-up time).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomBytes, randomHex, randomInt } from '../../src/random';

test('randomHex gives 2n lowercase hex digits, different each time', () => {
  const a = randomHex(32);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, randomHex(32));
  assert.equal(randomBytes(1000).length, 1000);
});

test('randomInt stays in [0, max) and reaches every value', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = randomInt(10);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 10, String(v));
    seen.add(v);
  }
  assert.equal(seen.size, 10);
  assert.equal(randomInt(1), 0);
});
