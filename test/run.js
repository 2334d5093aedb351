#!/usr/bin/env node
'use strict';
// Runs the test suite with Node's own test runner on the compiled tests in dist/test/.
//   node test/run.js              unit, then integration (integration needs root)
//   node test/run.js unit         only unit tests
//   node test/run.js integration  only integration tests
//   node test/run.js <file.ts>... just those files
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const tiers = args.length === 0 ? ['unit', 'integration'] : args.filter((a) => a === 'unit' || a === 'integration');
const explicit = args.filter((a) => a !== 'unit' && a !== 'integration')
  .map((f) => path.join(root, 'dist', f.replace(/\.ts$/, '.js')));

function testFiles(tier) {
  const dir = path.join(root, 'dist', 'test', tier);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(dir, f));
}

let files = explicit;
for (const tier of tiers) files = files.concat(testFiles(tier));
if (files.length === 0) {
  console.error('test/run.js: no test files found (did `tsc` run?)');
  process.exit(1);
}
// Integration tests share the host kernel (mounts, cgroups, a registry); run files one at a time.
// As root, what the suite leaves on the host is checked too (host-leaks.js).
const hostChecked = process.getuid?.() === 0 && files.some((f) => f.includes(`${path.sep}integration${path.sep}`));
const { snapshot, leaks } = require('./host-leaks');
const before = hostChecked ? snapshot() : undefined;
const result = spawnSync(process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root });
let status = result.status ?? 1;
if (before) {
  const left = leaks(before);
  if (left) {
    console.error('test/run.js: the tests left on the host what tsdocker should have removed:');
    for (const [kind, list] of Object.entries(left)) for (const item of list) console.error(`  ${kind}: ${item}`);
    status = 1;
  }
}
process.exit(status);
