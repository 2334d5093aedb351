// Bundle the compiled CLI (dist/src, from tsc) into one file, dist/tsdocker.js, which bin/tsdocker
// loads with a V8 code cache (src/cli/launch.ts says why). Run by `npm install` after tsc.
'use strict';
const path = require('node:path');
const root = path.join(__dirname, '..');
require('esbuild').buildSync({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile: path.join(root, 'dist', 'tsdocker.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The addon is loaded at run time from native/ (src/install.ts), never bundled.
  external: ['*.node'],
  logLevel: 'warning',
});
