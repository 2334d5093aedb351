// bin/tsdocker loads the CLI as one bundle with a V8 code cache per command (src/cli/launch.ts): a
// command's cache is made after a command line it does not cover yet, a cache V8 rejects is made
// again, and without the bundle the compiled modules run as they are. The CLI runs as a separate
// process, as typed.
import { test } from 'node:test';
import { commandWord, flagSignature } from '../../src/cli/launch';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TOP = path.join(__dirname, '..', '..', '..');
const BIN = path.join(TOP, 'bin', 'tsdocker');
const CACHES = path.join(TOP, 'dist', 'v8cache');
const VERSION = (JSON.parse(fs.readFileSync(path.join(TOP, 'package.json'), 'utf8')) as { version: string }).version;
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-launch-'));
process.on('exit', () => fs.rmSync(ROOT, { recursive: true, force: true }));

function tsdocker(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', env: { ...process.env, TSDOCKER_ROOT: ROOT, TSDOCKER_CONFIG: path.join(ROOT, 'none.json'), ...env },
  });
}

test('the command word, read before the bundle is compiled', () => {
  assert.equal(commandWord(['--root', '/x', '--trace', 'run', '--rm', 'busybox']), 'run');
  assert.equal(commandWord(['--root=/x', 'image', 'ls']), 'image');
  assert.equal(commandWord(['--version']), '');
});

test('the flag signature: the options after the command word, sorted, without their values', () => {
  assert.equal(flagSignature(['--root', '/x', 'run', '--rm', '-p', '80', 'busybox', 'true']), '--rm -p');
  assert.equal(flagSignature(['run', '-d', '--name=web', 'busybox']), '--name -d');
  assert.equal(flagSignature(['ps']), '');
  assert.equal(flagSignature(['run', '--rm', 'busybox', 'sh', '-c', 'x', '--rm']), '--rm -c');
});

test('a cache per command: made after its first run, made again when V8 rejects it', { skip: !fs.existsSync(path.join(TOP, 'dist', 'tsdocker.js')) && 'no bundle' }, () => {
  const ps = path.join(CACHES, 'ps.bin');
  fs.mkdirSync(CACHES, { recursive: true });
  fs.writeFileSync(ps, 'not a V8 code cache');
  const r = tsdocker(['ps', '-a']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^CONTAINER ID/);
  assert.notEqual(fs.readFileSync(ps, 'utf8'), 'not a V8 code cache');
  assert.equal(fs.readFileSync(path.join(CACHES, 'ps.seen'), 'utf8'), '-a\n');
  const before = fs.statSync(ps).mtimeMs;
  assert.equal(tsdocker(['ps', '-a']).status, 0);
  assert.equal(fs.statSync(ps).mtimeMs, before, 'a cache V8 accepted, made by these options, is left as it is');
  // Other options may run other code: the cache is written once more, covering both.
  assert.equal(tsdocker(['ps', '-q']).status, 0);
  assert.equal(fs.readFileSync(path.join(CACHES, 'ps.seen'), 'utf8'), '-a\n-q\n');
  const after = fs.statSync(ps).mtimeMs;
  assert.equal(tsdocker(['ps', '-q']).status, 0);
  assert.equal(fs.statSync(ps).mtimeMs, after);
  const volume = path.join(CACHES, 'volume.bin');
  fs.rmSync(volume, { force: true });
  assert.equal(tsdocker(['--root', ROOT, 'volume', 'ls']).status, 0);
  assert.ok(fs.statSync(volume).size > 0, 'made on the first run, named by the command word');
  const global = path.join(CACHES, 'tsdocker.bin');
  fs.rmSync(global, { force: true });
  assert.equal(tsdocker(['--version']).stdout, `${VERSION}\n`);
  assert.ok(fs.statSync(global).size > 0, 'a line without a command (--version, --help) has a cache too');
  assert.equal(fs.readFileSync(path.join(CACHES, 'tsdocker.seen'), 'utf8'), '--version\n');
  assert.equal(tsdocker(['--help']).status, 0);
  assert.equal(fs.readFileSync(path.join(CACHES, 'tsdocker.seen'), 'utf8'), '--version\n--help\n');
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
  const cache = path.join(CACHES, 'images.bin');
  fs.rmSync(cache, { force: true });
  const future = new Date(Date.now() + 3600_000);
  fs.utimesSync(main, future, future);
  try {
    const r = tsdocker(['images', '-q']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!fs.existsSync(cache), 'the bundle was not used, so no cache was made for it');
  } finally {
    fs.utimesSync(main, before.atime, before.mtime);
  }
});

test('without the addon (not built yet, or an older one), the bundle and its cache are read instead of mapped', { skip: !fs.existsSync(path.join(TOP, 'dist', 'tsdocker.js')) && 'no bundle' }, () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-nomap-'));
  try {
    for (const part of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(TOP, part), path.join(copy, part), { recursive: true });
    fs.mkdirSync(path.join(copy, 'native'));
    const run = () => spawnSync(process.execPath, [path.join(copy, 'bin', 'tsdocker'), 'volume', 'ls', '-q'], {
      encoding: 'utf8', env: { ...process.env, TSDOCKER_ROOT: ROOT },
    });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    assert.ok(fs.statSync(path.join(copy, 'dist', 'v8cache', 'volume.bin')).size > 0);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('bin/tsdocker, written by npm install: the full path of node on its first line, and the compiled launch.ts in it', { skip: !fs.existsSync(BIN) && 'not built' }, () => {
  const [line, ...rest] = fs.readFileSync(BIN, 'utf8').split('\n');
  const source = fs.readFileSync(path.join(TOP, 'bin', 'tsdocker.js'), 'utf8').split('\n');
  assert.equal(source[0], '#!/usr/bin/env node');
  assert.equal(line, `#!${process.execPath}`, 'no /usr/bin/env (scripts/launcher.js)');
  // Not a require of dist/src/cli/launch.js, as bin/tsdocker.js makes: its text, which the module
  // loader then need not find and read (scripts/launcher.js).
  const launch = fs.readFileSync(path.join(TOP, 'dist', 'src', 'cli', 'launch.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  assert.ok(rest.join('\n').includes(launch), 'bin/tsdocker holds dist/src/cli/launch.js');
  assert.doesNotMatch(rest.join('\n'), /require\('\.\.\/dist\/src\/cli\/launch\.js'\)/);
  assert.ok(fs.statSync(BIN).mode & 0o111, 'executable');
  // Run as typed, through its interpreter line, and as bin/tsdocker.js through env.
  const env = { ...process.env, TSDOCKER_ROOT: ROOT };
  assert.equal(spawnSync(BIN, ['--version'], { encoding: 'utf8', env }).stdout, `${VERSION}\n`);
  assert.equal(spawnSync(path.join(TOP, 'bin', 'tsdocker.js'), ['--version'], { encoding: 'utf8', env }).stdout, `${VERSION}\n`);
});
