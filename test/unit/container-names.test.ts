import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomName, uniqueRandomName, validateName } from '../../src/container/names';

test('random names look like Docker\'s', () => {
  for (let i = 0; i < 200; i++) {
    const n = randomName();
    assert.match(n, /^[a-z]+_[a-z]+$/);
    assert.notEqual(n, 'boring_wozniak');
  }
  assert.match(randomName(1), /^[a-z]+_[a-z]+\d$/);
});

test('a random name avoids taken ones', () => {
  const taken = new Set<string>();
  for (let i = 0; i < 500; i++) taken.add(uniqueRandomName(taken));
  assert.equal(taken.size, 500);
});

test('--name follows Docker\'s allowed characters', () => {
  assert.equal(validateName('web-1.a_b'), 'web-1.a_b');
  assert.equal(validateName('/web'), 'web');
  for (const bad of ['', 'a', '-web', 'we b', 'wé', 'a/b']) assert.throws(() => validateName(bad), /invalid container name/);
});
