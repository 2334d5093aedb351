// How bin/tsdocker starts the CLI. A short command such as `tsdocker run --rm busybox true` spends
// much of its time in V8 compiling tsdocker's JavaScript, again on every run. So `npm install`
// also bundles the compiled modules into one file, dist/tsdocker.js (scripts/bundle.js), and this
// loader compiles that file with a V8 code cache (vm.Script cachedData, the same mechanism as
// Node 22's module.enableCompileCache): the bytecode of every function the earlier commands ran,
// so V8 skips parsing and compiling them. Measured: about 35 ms less per `run`.
//
// The cache, dist/tsdocker.v8cache, is written after a command that it did not cover yet (the
// list is in dist/tsdocker.v8cache.json), so it grows with the commands used; V8 rejects a cache
// made by another Node version or other V8 flags, and then it is made again. Without the bundle
// (TSDOCKER_NO_BUNDLE=1, a build without it, or one older than dist/src) the modules in dist/src
// are loaded one by one.
import * as fs from 'node:fs';
import { createRequire, wrap } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** What the CLI module (main.ts) exports to its launcher. */
interface Cli {
  main(argv: string[]): Promise<number>;
  exit(status: number): void;
  commandName(): string | undefined;
}

export function launch(argv: string[]): void {
  const dist = path.resolve(__dirname, '..', '..');
  const bundle = path.join(dist, 'tsdocker.js');
  if (process.env.TSDOCKER_NO_BUNDLE === '1' || !isCurrent(bundle, path.join(__dirname, 'main.js'))) {
    const cli = require('./main') as Cli;
    cli.main(argv).then(cli.exit);
    return;
  }
  const cacheFile = path.join(dist, 'tsdocker.v8cache');
  const cachedData = readOrUndefined(cacheFile);
  const script = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
  const mod = { exports: {} as Cli };
  // The bundle runs as a CommonJS module would: (exports, require, module, __filename, __dirname).
  script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dist);
  const cli = mod.exports;
  cli.main(argv).then((status) => {
    saveCache(script, cacheFile, cachedData === undefined || script.cachedDataRejected === true, cli.commandName());
    cli.exit(status);
  });
}

/** The bundle exists and was made after the last `tsc` (which rewrites every file of dist/src):
 *  a developer who ran `tsc` alone gets the modules just compiled, not an old bundle. */
function isCurrent(bundle: string, compiled: string): boolean {
  try {
    return fs.statSync(bundle).mtimeMs >= fs.statSync(compiled).mtimeMs;
  } catch {
    return false;
  }
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Write the cache when there was none (or V8 rejected it), or when this command is new to it.
 *  Each file appears by rename, so a tsdocker started meanwhile reads the old one or the new. */
function saveCache(script: vm.Script, file: string, fresh: boolean, command: string | undefined): void {
  const listFile = `${file}.json`;
  let covered: string[] = [];
  try {
    covered = fresh ? [] : (JSON.parse(fs.readFileSync(listFile, 'utf8')) as { commands: string[] }).commands;
  } catch {
    // no list yet
  }
  if (!fresh && (command === undefined || covered.includes(command))) return;
  try {
    replace(file, script.createCachedData());
    replace(listFile, JSON.stringify({ commands: command === undefined ? covered : [...covered, command] }) + '\n');
  } catch {
    // A read-only install runs without the cache: slower, not wrong.
  }
}

function replace(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
