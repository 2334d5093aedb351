// The addon's mapFile (native/sys.c), with which src/cli/launch.ts reads the CLI bundle and its V8
// code cache: a file mapped read-only, as an external latin1 string or an external Buffer, with
// the content readFileSync would give; -errno when it cannot be mapped.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

const ADDON = path.join(__dirname, '..', '..', '..', 'native', 'tsdocker-sys.node');
const { mapFile } = require(ADDON) as { mapFile(file: string, text: boolean): string | Buffer | number };
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-mapfile-'));
process.on('exit', () => fs.rmSync(DIR, { recursive: true, force: true }));

test('a text file as a string, any file as a Buffer, both with the bytes on disk', () => {
  const text = path.join(DIR, 'script.js');
  // Larger than a page, and every latin1 code unit: what the bundle check lets through and more.
  const bytes = Buffer.alloc(300_000, 0);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % 256;
  fs.writeFileSync(text, bytes);
  const s = mapFile(text, true);
  assert.equal(typeof s, 'string');
  assert.equal(s, bytes.toString('latin1'));
  const b = mapFile(text, false);
  assert.ok(Buffer.isBuffer(b));
  assert.ok(b.equals(bytes));
});

test('V8 compiles a mapped source and accepts a mapped code cache', () => {
  const file = path.join(DIR, 'answer.js');
  fs.writeFileSync(file, '(function () { return [1, 2, 3].map((x) => x * 14).pop(); })');
  const first = new vm.Script(mapFile(file, true) as string, { filename: file });
  assert.equal(first.runInThisContext()(), 42);
  const cache = path.join(DIR, 'answer.bin');
  fs.writeFileSync(cache, first.createCachedData());
  const again = new vm.Script(mapFile(file, true) as string, { filename: file, cachedData: mapFile(cache, false) as Buffer });
  assert.equal(again.cachedDataRejected, false);
  assert.equal(again.runInThisContext()(), 42);
});

test('a renamed-over file leaves the old mapping whole (how the bundle and caches are replaced)', () => {
  const file = path.join(DIR, 'replaced.js');
  fs.writeFileSync(file, 'old '.repeat(5000));
  const old = mapFile(file, true) as string;
  fs.writeFileSync(`${file}.new`, 'new');
  fs.renameSync(`${file}.new`, file);
  assert.equal(old.length, 20000);
  assert.ok(old.startsWith('old old'));
  assert.equal(mapFile(file, true), 'new');
});

test('a missing or empty file is -errno, for the caller to read the usual way or do without', () => {
  assert.equal(mapFile(path.join(DIR, 'nosuch'), false), -2); // ENOENT
  const empty = path.join(DIR, 'empty');
  fs.writeFileSync(empty, '');
  assert.equal(mapFile(empty, true), -61); // ENODATA: mmap(2) cannot map nothing
});
