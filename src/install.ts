// Where tsdocker's own files are: the checkout or the installed package, holding package.json,
// native/ (the runtime helper and the addon) and dist/. Found by walking up from this code's own
// directory, because that directory differs between the compiled modules (dist/src/...) and the
// one-file bundle that bin/tsdocker loads (dist/tsdocker.js, see src/cli/launch.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';

let dir: string | undefined;

export function installDir(): string {
  if (dir) return dir;
  for (let d = __dirname; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'native'))) return (dir = d);
    if (d === path.dirname(d)) throw new Error(`tsdocker's install directory not found above ${__dirname}`);
  }
}
