// Write bin/tsdocker, the command that package.json's "bin" names: bin/tsdocker.js with the full
// path of this node on its first line (#!/usr/bin/node) instead of #!/usr/bin/env node. Run by
// `npm install` after the bundle.
//
// Why: the kernel runs a script's interpreter line as it is (execve(2), "Interpreter scripts").
// With /usr/bin/env, every command first starts env, a program of its own with the C library to
// load, which then tries each PATH directory for node: 2 to 3 ms of each `tsdocker run` on the
// machine the benchmark ran on (bench/run.ts), about a twentieth of what tsdocker itself takes.
// pip writes its commands' interpreter lines the same way, for the same reason.
// The price: the command keeps using this node. After installing another Node (or removing this
// one: "bad interpreter"), run `npm install` again; `node bin/tsdocker.js` works with any node.
//
// bin/tsdocker also carries the compiled src/cli/launch.ts itself, instead of requiring it as
// bin/tsdocker.js does: loading a second file through Node's module loader (resolving, stat,
// realpath, reading, wrapping) cost 0.5-1 ms of every command (paired runs). So after a change to
// launch.ts, bin/tsdocker is current once `npm run build` (or `npm install`) has run again.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const bin = path.join(__dirname, '..', 'bin');
const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli', 'launch.js');
let body;
if (fs.existsSync(compiled)) {
  const launch = fs.readFileSync(compiled, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  body = `'use strict';
// Written by scripts/launcher.js: dist/src/cli/launch.js (src/cli/launch.ts) as a function, then
// called with the build's directory. bin/tsdocker.js is the same command for any node.
(function (exports) {
${launch}})(module.exports);
module.exports.launch(process.argv.slice(2), require('node:path').join(__dirname, '..', 'dist'));
`;
} else {
  const source = fs.readFileSync(path.join(bin, 'tsdocker.js'), 'utf8');
  body = source.slice(source.indexOf('\n') + 1);
}
// A path with white space cannot be an interpreter line (the kernel splits at the first blank),
// and the line must fit in the kernel's 256 bytes: then env it is.
const usable = !/\s/.test(process.execPath) && process.execPath.length < 200;
const interpreter = usable ? process.execPath : '/usr/bin/env node';
const target = path.join(bin, 'tsdocker');
// Written beside and renamed over the old one: a tsdocker running meanwhile keeps its file.
const tmp = `${target}.${process.pid}`;
fs.writeFileSync(tmp, `#!${interpreter}\n${body}`, { mode: 0o755 });
fs.renameSync(tmp, target);
