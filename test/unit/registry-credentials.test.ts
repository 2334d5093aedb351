import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { credentialKey, readCredential, registryDomain, removeCredential, saveCredential }
  from '../../src/registry/credentials';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-creds-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'config.json');

test('Docker Hub is stored under its v1 URL, other registries under host:port', () => {
  for (const hub of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) {
    assert.equal(credentialKey(hub), 'https://index.docker.io/v1/');
  }
  assert.equal(credentialKey('127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(credentialKey('https://My.Reg:5000/v2/'), 'my.reg:5000');
});

test('SERVER arguments of login and logout', () => {
  assert.equal(registryDomain(undefined), 'docker.io');
  assert.equal(registryDomain('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(registryDomain('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(registryDomain('[::1]:5000'), '[::1]:5000');
  assert.throws(() => registryDomain('a b'), /invalid registry "a b"/);
});

test('save, read and remove keep the rest of the file and use mode 0600', () => {
  fs.writeFileSync(file, JSON.stringify({ auths: { 'https://127.0.0.1:5000/v2/': { auth: 'eDp5' } },
    credHelpers: { 'x.io': 'pass' }, psFormat: 'table' }));
  assert.deepEqual(readCredential('127.0.0.1:5000', file), { username: 'x', password: 'y' });
  saveCredential('127.0.0.1:5000', { username: 'student', password: 'p:w' }, file);
  saveCredential('docker.io', { username: 'hub', password: 'secret' }, file);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(json.auths).sort(), ['127.0.0.1:5000', 'https://index.docker.io/v1/']);
  assert.equal(json.auths['127.0.0.1:5000'].auth, Buffer.from('student:p:w').toString('base64'));
  assert.equal(json.psFormat, 'table');
  assert.deepEqual(json.credHelpers, { 'x.io': 'pass' });
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readCredential('127.0.0.1:5000', file), { username: 'student', password: 'p:w' });
  assert.deepEqual(readCredential('index.docker.io', file), { username: 'hub', password: 'secret' });
  assert.equal(removeCredential('docker.io', file), true);
  assert.equal(removeCredential('docker.io', file), false);
  assert.equal(readCredential('docker.io', file), undefined);
  assert.deepEqual(fs.readdirSync(dir), ['config.json'], 'no temporary file left');
});

test('a missing file means no credentials; a malformed one is an error naming it', () => {
  assert.equal(readCredential('x', path.join(dir, 'absent.json')), undefined);
  fs.writeFileSync(file, '{');
  assert.throws(() => readCredential('x', file), new RegExp(`malformed ${file}`));
  fs.writeFileSync(file, JSON.stringify({ auths: { x: { auth: Buffer.from('nocolon').toString('base64') } } }));
  assert.throws(() => readCredential('x', file), /auth is not base64 of user:password/);
});
