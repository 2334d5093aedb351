import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseReference, canonicalString, familiarString, apiHost } from '../../src/reference';

const HEX = 'a'.repeat(64);

test('Docker Hub names get docker.io, library/ and latest', () => {
  const r = parseReference('ubuntu');
  assert.deepEqual(r, { domain: 'docker.io', path: 'library/ubuntu', tag: 'latest' });
  assert.equal(canonicalString(r), 'docker.io/library/ubuntu:latest');
  assert.equal(apiHost(r.domain), 'registry-1.docker.io');
  assert.equal(familiarString(r), 'ubuntu:latest');
});

test('user repositories on Docker Hub get no library/', () => {
  assert.deepEqual(parseReference('foo/bar:1.0'), { domain: 'docker.io', path: 'foo/bar', tag: '1.0' });
  assert.equal(familiarString(parseReference('foo/bar')), 'foo/bar:latest');
});

test('index.docker.io is docker.io', () => {
  assert.deepEqual(parseReference('index.docker.io/ubuntu:20.04'),
    { domain: 'docker.io', path: 'library/ubuntu', tag: '20.04' });
});

test('a first component with a dot, a colon, uppercase or localhost is a host', () => {
  assert.deepEqual(parseReference('localhost:5000/x'), { domain: 'localhost:5000', path: 'x', tag: 'latest' });
  assert.deepEqual(parseReference('localhost/x'), { domain: 'localhost', path: 'x', tag: 'latest' });
  assert.deepEqual(parseReference('Example/x'), { domain: 'Example', path: 'x', tag: 'latest' });
  assert.deepEqual(parseReference('my.reg/a/b:v2'), { domain: 'my.reg', path: 'a/b', tag: 'v2' });
  assert.deepEqual(parseReference('127.0.0.1:5000/busybox:1'), { domain: '127.0.0.1:5000', path: 'busybox', tag: '1' });
  assert.equal(apiHost('my.reg'), 'my.reg');
  assert.equal(familiarString(parseReference('localhost:5000/x')), 'localhost:5000/x:latest');
});

test('a digest wins over a tag', () => {
  const r = parseReference(`a:tag@sha256:${HEX}`);
  assert.deepEqual(r, { domain: 'docker.io', path: 'library/a', digest: `sha256:${HEX}` });
  assert.equal(canonicalString(r), `docker.io/library/a@sha256:${HEX}`);
});

test('bad references are rejected with a message naming the input', () => {
  for (const bad of ['', 'Ubuntu', 'docker.io/Library/x', 'x:', 'x:-bad', `x@sha256:${'a'.repeat(10)}`,
    HEX, 'a//b', 'a/', '-a', 'x:' + 't'.repeat(129), 'my.reg/' + 'a'.repeat(260)]) {
    assert.throws(() => parseReference(bad), (err: Error) => {
      assert.match(err.message, /^invalid reference format/);
      return true;
    }, bad);
  }
});

test('path components allow Docker separators', () => {
  assert.equal(parseReference('a_b/c__d/e-f/g.h--i').path, 'a_b/c__d/e-f/g.h--i');
  assert.throws(() => parseReference('a___b'));
});
