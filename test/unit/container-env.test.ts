import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandEnvFlag, mergeEnv, parseEnvFile, processEnv, readEnvFile, userEnv } from '../../src/container/env';

test('-e KEY takes the value from tsdocker\'s environment, or stays bare', () => {
  assert.equal(expandEnvFlag('A=1', {}), 'A=1');
  assert.equal(expandEnvFlag('A', { A: 'x' }), 'A=x');
  assert.equal(expandEnvFlag('A', {}), 'A');
  assert.equal(expandEnvFlag('A=', {}), 'A=');
  assert.throws(() => expandEnvFlag('=x', {}), /invalid environment variable/);
});

test('env files: comments, blank lines, literal values, host lookups', () => {
  const text = '\uFEFF# comment\n\nA=1\n  B=two words \nC="quoted"\nHOSTVAR\nMISSING\n';
  assert.deepEqual(parseEnvFile(text, 'f', { HOSTVAR: 'h' }), ['A=1', 'B=two words ', 'C="quoted"', 'HOSTVAR=h']);
  assert.throws(() => parseEnvFile('=x\n', 'f', {}), /f:1: no variable name/);
  assert.throws(() => parseEnvFile('A B=1\n', 'f', {}), /f:1: variable 'A B' contains whitespaces/);
});

test('image Env is overridden by key; files come before -e', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-env-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'env');
  fs.writeFileSync(file, 'A=file\nB=file\n');
  const user = userEnv(['B=flag', 'PATH'], [file], {});
  assert.deepEqual(user, ['A=file', 'B=file', 'B=flag', 'PATH']);
  // A bare PATH (unset on the host) removes the image's PATH, as Docker does.
  assert.deepEqual(mergeEnv(['PATH=/usr/bin', 'A=image', 'Z=1'], user), ['A=file', 'Z=1', 'B=flag']);
});

test('env files are bounded and must exist', (t) => {
  assert.throws(() => readEnvFile('/nonexistent/env'), /open env file \/nonexistent\/env: ENOENT/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-env-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(1024 * 1024 + 10, 'A'));
  assert.throws(() => readEnvFile(path.join(dir, 'big')), /larger than 1 MiB/);
  assert.throws(() => readEnvFile('/dev/zero'), /larger than 1 MiB/);
});

test('process env: PATH and HOSTNAME defaults, TERM with a tty, HOME from passwd', () => {
  assert.deepEqual(processEnv(['A=1'], { hostname: 'abc', tty: true, home: '/root' }),
    ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=abc', 'TERM=xterm', 'A=1', 'HOME=/root']);
  assert.deepEqual(processEnv(['PATH=/x', 'HOME=/h', 'HOSTNAME=mine'], { hostname: 'abc', tty: false, home: '/root' }),
    ['PATH=/x', 'HOSTNAME=mine', 'HOME=/h']);
});
