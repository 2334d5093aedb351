// Bundle the compiled CLI (dist/src, from tsc) into one file, dist/tsdocker.js, which bin/tsdocker
// loads with a V8 code cache (src/cli/launch.ts says why). Run by `npm install` after tsc.
'use strict';
const path = require('node:path');
const root = path.join(__dirname, '..');
const fs = require('node:fs');
// The code caches belong to the bundle they were made from, and V8 checks only the source's length
// before it trusts one: a new bundle starts with none.
fs.rmSync(path.join(root, 'dist', 'v8cache'), { recursive: true, force: true });
require('esbuild').buildSync({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile: path.join(root, 'dist', 'tsdocker.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The addon is loaded at run time from native/ (src/install.ts), never bundled.
  external: ['*.node'],
  // Minified, the bundle is 450 KB instead of 840 KB, and every command reads it whole: about 5 ms
  // less here. Read src/ (or dist/src) instead; TSDOCKER_NO_BUNDLE=1 runs dist/src, whose stack
  // traces name the functions and lines of the source.
  minify: true,
  logLevel: 'warning',
});

