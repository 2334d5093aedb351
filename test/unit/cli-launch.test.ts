// bin/tsdocker loads the CLI as one bundle with a V8 code cache (src/cli/launch.ts): the cache is
// made after a command it does not cover yet, a cache V8 rejects is made again, and without the
// bundle the compiled modules run as they are. The CLI runs as a separate process, as typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TOP = path.join(__dirname, '..', '..', '..');
const BIN = path.join(TOP, 'bin', 'tsdocker');
const CACHE = path.join(TOP, 'dist', 'tsdocker.v8cache');
const VERSION = (JSON.parse(fs.readFileSync(path.join(TOP, 'package.json'), 'utf8')) as { version: string }).version;
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-launch-'));
process.on('exit', () => fs.rmSync(ROOT, { recursive: true, force: true }));

function tsdocker(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', env: { ...process.env, TSDOCKER_ROOT: ROOT, TSDOCKER_CONFIG: path.join(ROOT, 'none.json'), ...env },
  });
}

const covered = (): string[] => (JSON.parse(fs.readFileSync(`${CACHE}.json`, 'utf8')) as { commands: string[] }).commands;

test('the bundle and its cache: made after a new command, made again when V8 rejects it', { skip: !fs.existsSync(path.join(TOP, 'dist', 'tsdocker.js')) && 'no bundle' }, () => {
  fs.writeFileSync(CACHE, 'not a V8 code cache');
  const v = tsdocker(['--version']);
  assert.equal(v.stdout, `${VERSION}\n`, v.stderr);
  assert.notEqual(fs.readFileSync(CACHE, 'utf8'), 'not a V8 code cache');
  assert.deepEqual(covered(), ['']);
  const ps = tsdocker(['ps', '-a']);
  assert.equal(ps.status, 0, ps.stderr);
  assert.match(ps.stdout, /^CONTAINER ID/);
  assert.deepEqual(covered(), ['', 'ps']);
  assert.equal(tsdocker(['ps']).status, 0);
  assert.deepEqual(covered(), ['', 'ps'], 'a command the cache covers leaves it as it is');
});

test('TSDOCKER_NO_BUNDLE=1 runs the compiled modules one by one, with the same result', () => {
  const r = tsdocker(['ps', '-a'], { TSDOCKER_NO_BUNDLE: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, tsdocker(['ps', '-a']).stdout);
  assert.equal(tsdocker(['nosuch'], { TSDOCKER_NO_BUNDLE: '1' }).status, 125);
});

test('a bundle older than dist/src (tsc run alone) is not used: the modules just compiled are', { skip: !fs.existsSync(path.join(TOP, 'dist', 'tsdocker.js')) && 'no bundle' }, () => {
  const main = path.join(TOP, 'dist', 'src', 'cli', 'main.js');
  const before = fs.statSync(main);
  const listBefore = fs.readFileSync(`${CACHE}.json`, 'utf8');
  const future = new Date(Date.now() + 3600_000);
  fs.utimesSync(main, future, future);
  try {
    const r = tsdocker(['images', '-q']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(`${CACHE}.json`, 'utf8'), listBefore, 'the bundle and its cache were left alone');
  } finally {
    fs.utimesSync(main, before.atime, before.mtime);
  }
});
