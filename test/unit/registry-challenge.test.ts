import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseChallenges, challengeScopes } from '../../src/registry/challenge';

test('a Docker Hub bearer challenge keeps the commas inside its scope', () => {
  const [c, ...rest] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",' +
    'scope="repository:samalba/my-app:pull,push"');
  assert.equal(rest.length, 0);
  assert.equal(c.scheme, 'bearer');
  assert.deepEqual(c.params, {
    realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push',
  });
  assert.deepEqual(challengeScopes(c), ['repository:samalba/my-app:pull,push']);
});

test('several challenges in one header, spaces around = and token values', () => {
  const cs = parseChallenges('Basic realm = "Registry Realm" , Bearer realm="https://a/t", error=invalid_token');
  assert.deepEqual(cs, [
    { scheme: 'basic', params: { realm: 'Registry Realm' } },
    { scheme: 'bearer', params: { realm: 'https://a/t', error: 'invalid_token' } },
  ]);
});

test('quoted strings keep escaped quotes and backslashes', () => {
  const [c] = parseChallenges('Basic realm="say \\"hi\\" \\\\ bye"');
  assert.equal(c.params.realm, 'say "hi" \\ bye');
});

test('parameter names are case-insensitive, values are not', () => {
  const [c] = parseChallenges('BEARER Realm="https://X/token",Scope="a b"');
  assert.equal(c.scheme, 'bearer');
  assert.equal(c.params.realm, 'https://X/token');
  assert.deepEqual(challengeScopes(c), ['a', 'b']);
});

test('a scheme alone, token68, empty and malformed headers', () => {
  assert.deepEqual(parseChallenges('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
  assert.deepEqual(parseChallenges('Negotiate abc123=='), [{ scheme: 'negotiate', params: { token68: 'abc123==' } }]);
  assert.deepEqual(parseChallenges(''), []);
  assert.deepEqual(parseChallenges(null), []);
  // An unterminated quote ends at the end of the header instead of throwing.
  assert.deepEqual(parseChallenges('Basic realm="open'), [{ scheme: 'basic', params: { realm: 'open' } }]);
});
