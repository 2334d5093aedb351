import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseConfig } from '../../src/config';

test('daemon.json keys are read', () => {
  const c = parseConfig('{"registry-mirrors": ["http://127.0.0.1:5000/"], "insecure-registries": ["127.0.0.1:5000"]}');
  assert.deepEqual(c, { registryMirrors: ['http://127.0.0.1:5000'], insecureRegistries: ['127.0.0.1:5000'] });
});

test('an empty object means defaults', () => {
  assert.deepEqual(parseConfig('{}'), { registryMirrors: [], insecureRegistries: [] });
});

test('malformed files are one clear error', () => {
  assert.throws(() => parseConfig('{', '/etc/x.json'), /malformed config \/etc\/x.json/);
  assert.throws(() => parseConfig('[]'), /expected a JSON object/);
  assert.throws(() => parseConfig('{"registry-mirrors": "http://x"}'), /"registry-mirrors" must be a list of strings/);
});
