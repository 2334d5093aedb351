#!/usr/bin/env node
'use strict';
// The tsdocker command. `npm install` copies this file to bin/tsdocker with the full path of the
// node that built it on the first line instead of /usr/bin/env (scripts/launcher.js says why);
// this one runs anywhere a `node` is on PATH: `node bin/tsdocker.js ...`.
// The compiled CLI lives in dist/ (built by `npm install`): src/cli/launch.ts loads it, src/cli/main.ts runs it.
let launch;
try {
  launch = require('../dist/src/cli/launch.js').launch;
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]src[\\/]cli[\\/]launch/.test(err.message)) {
    process.stderr.write('tsdocker: not built yet; run `npm install` in the checkout first\n');
    process.exit(125);
  }
  throw err;
}
launch(process.argv.slice(2));
