// Bundle the compiled CLI (dist/src, from tsc) into one file, dist/tsdocker.js, which bin/tsdocker
// loads with a V8 code cache (src/cli/launch.ts says why). Run by `npm install` after tsc.
'use strict';
const path = require('node:path');
const root = path.join(__dirname, '..');
const fs = require('node:fs');
// The code caches belong to the bundle they were made from, and V8 checks only the source's length
// before it trusts one: a new bundle starts with none.
fs.rmSync(path.join(root, 'dist', 'v8cache'), { recursive: true, force: true });
const outfile = path.join(root, 'dist', 'tsdocker.js');
const built = require('esbuild').buildSync({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile,
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
  write: false,
});
const code = built.outputFiles[0].text;
// ASCII only: the loader reads the file as latin1, which gives V8 a one-byte string at once. One
// non-ASCII character would make it all two-byte (twice the memory, a slower decode); esbuild
// escapes those in strings, not in regular expressions.
const nonAscii = /[^\x00-\x7f]/.exec(code);
if (nonAscii) {
  const at = code.slice(Math.max(0, nonAscii.index - 40), nonAscii.index + 10);
  throw new Error(`bundle: non-ASCII character ${JSON.stringify(nonAscii[0])} in "...${at}...": write it as \\u${nonAscii[0].charCodeAt(0).toString(16).padStart(4, '0')} in the source`);
}
// Wrapped as Node wraps a CommonJS module (module.wrap), so that the loader compiles the file as
// it is: concatenating the wrapper at run time copied the whole source once more.
// Written beside and renamed over the old bundle, never rewritten in place: a running tsdocker has
// the old one mapped (launch.ts), and V8 reads it again whenever it compiles a function lazily.
const tmp = `${outfile}.${process.pid}`;
fs.writeFileSync(tmp, `(function (exports, require, module, __filename, __dirname) { ${code}\n});`);
fs.renameSync(tmp, outfile);

