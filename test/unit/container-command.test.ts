import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { processArgs, resolveCommand } from '../../src/container/command';

const image = { imageEntrypoint: ['/entry.sh'], imageCmd: ['serve', '--port', '80'] };

test('ENTRYPOINT then CMD when nothing is given', () => {
  const r = resolveCommand({ ...image, args: [] });
  assert.deepEqual(r, { entrypoint: ['/entry.sh'], cmd: ['serve', '--port', '80'] });
  assert.deepEqual(processArgs(r), { path: '/entry.sh', args: ['serve', '--port', '80'] });
});

test('run args replace CMD and keep ENTRYPOINT', () => {
  assert.deepEqual(processArgs(resolveCommand({ ...image, args: ['debug'] })), { path: '/entry.sh', args: ['debug'] });
});

test('without ENTRYPOINT the args are the command', () => {
  const r = resolveCommand({ imageCmd: ['sh'], args: ['ls', '-la'] });
  assert.deepEqual(processArgs(r), { path: 'ls', args: ['-la'] });
  assert.deepEqual(processArgs(resolveCommand({ imageCmd: ['sh'], imageEntrypoint: null, args: [] })), { path: 'sh', args: [] });
});

test('--entrypoint replaces ENTRYPOINT and drops the image CMD', () => {
  assert.deepEqual(processArgs(resolveCommand({ ...image, args: [], entrypoint: '/bin/sh' })), { path: '/bin/sh', args: [] });
  assert.deepEqual(processArgs(resolveCommand({ ...image, args: ['-c', 'id'], entrypoint: '/bin/sh' })),
    { path: '/bin/sh', args: ['-c', 'id'] });
});

test('--entrypoint "" clears it: the args alone are the command', () => {
  const r = resolveCommand({ ...image, args: ['ls'], entrypoint: '' });
  assert.deepEqual(r, { entrypoint: null, cmd: ['ls'] });
  assert.throws(() => processArgs(resolveCommand({ ...image, args: [], entrypoint: '' })), /no command specified/);
});

test('an image with neither ENTRYPOINT nor CMD needs a command', () => {
  assert.throws(() => processArgs(resolveCommand({ imageEntrypoint: [], imageCmd: [], args: [] })), /no command specified/);
});
