import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkOutboundUrl, classifyHost } from '../../src/registry/address';
import { endpointsFor, isInsecureRegistry } from '../../src/registry/endpoints';
import { redact, retryAfterSeconds } from '../../src/registry/http';

test('addresses are classified', () => {
  assert.equal(classifyHost('auth.docker.io'), 'public');
  assert.equal(classifyHost('8.8.8.8'), 'public');
  assert.equal(classifyHost('127.0.0.1'), 'loopback');
  assert.equal(classifyHost('127.0.0.2'), 'loopback');
  assert.equal(classifyHost('[::1]'), 'loopback');
  assert.equal(classifyHost('localhost'), 'loopback');
  assert.equal(classifyHost('10.1.2.3'), 'private');
  assert.equal(classifyHost('192.168.0.1'), 'private');
  assert.equal(classifyHost('[fd00::1]'), 'private');
  assert.equal(classifyHost('169.254.169.254'), 'forbidden');
  assert.equal(classifyHost('[::ffff:169.254.169.254]'), 'forbidden');
  assert.equal(classifyHost('0.0.0.0'), 'forbidden');
  assert.equal(classifyHost('[fe80::1]'), 'forbidden');
});

test('realms: https only for secure registries; loopback and private only for local or insecure ones', () => {
  const publicReg = { insecure: false, loopback: false };
  const localReg = { insecure: true, loopback: true };
  assert.doesNotThrow(() => checkOutboundUrl(new URL('https://auth.docker.io/token'), publicReg, 'token realm'));
  assert.throws(() => checkOutboundUrl(new URL('http://auth.docker.io/token'), publicReg, 'token realm'),
    /refusing token realm http:\/\/auth.docker.io\/token: only https/);
  assert.throws(() => checkOutboundUrl(new URL('https://127.0.0.1/token'), publicReg, 'token realm'), /loopback address/);
  assert.throws(() => checkOutboundUrl(new URL('https://10.0.0.1/token'), publicReg, 'token realm'), /private address/);
  // The WHATWG URL parser turns odd IPv4 spellings into dotted quads first.
  assert.throws(() => checkOutboundUrl(new URL('https://2852039166/'), publicReg, 'token realm'), /link-local/);
  assert.doesNotThrow(() => checkOutboundUrl(new URL('http://127.0.0.1:9/token'), localReg, 'token realm'));
  assert.throws(() => checkOutboundUrl(new URL('http://169.254.169.254/'), localReg, 'token realm'), /link-local/);
});

test('endpoints: mirrors first for Docker Hub only; http only for insecure registries', () => {
  const config = { registryMirrors: ['http://127.0.0.1:5000', 'https://mirror.example'], insecureRegistries: ['my.reg:5000', '10.0.0.0/8'] };
  assert.deepEqual(endpointsFor('docker.io', config).map((e) => e.url),
    ['http://127.0.0.1:5000', 'https://mirror.example', 'https://registry-1.docker.io']);
  assert.deepEqual(endpointsFor('quay.io', config).map((e) => e.url), ['https://quay.io']);
  assert.deepEqual(endpointsFor('my.reg:5000', config).map((e) => e.url), ['http://my.reg:5000']);
  assert.equal(endpointsFor('127.0.0.1:5000', config)[0].url, 'https://127.0.0.1:5000', 'loopback is not insecure unless listed');
  assert.ok(isInsecureRegistry('10.2.3.4:5000', config));
  assert.ok(!isInsecureRegistry('11.2.3.4:5000', config));
  assert.throws(() => endpointsFor('docker.io', { registryMirrors: ['mirror.example'], insecureRegistries: [] }),
    /invalid registry mirror "mirror.example"/);
});

test('query strings are redacted; Retry-After is seconds or a date', () => {
  assert.equal(redact('https://cdn.example/blob?X-Amz-Signature=abc'), 'https://cdn.example/blob?<redacted>');
  assert.equal(redact('https://r.example/v2/'), 'https://r.example/v2/');
  assert.equal(retryAfterSeconds('7'), 7);
  assert.equal(retryAfterSeconds(null), undefined);
  assert.equal(retryAfterSeconds(new Date(Date.now() - 5000).toUTCString()), 0);
  assert.equal(retryAfterSeconds('soon'), undefined);
});
