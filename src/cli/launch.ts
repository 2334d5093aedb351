// How bin/tsdocker starts the CLI. A short command such as `tsdocker run --rm busybox true` spends
// much of its time in V8 compiling tsdocker's JavaScript, again on every run. So `npm install`
// also bundles the compiled modules into one file, dist/tsdocker.js (scripts/bundle.js), and this
// loader compiles that file with a V8 code cache (vm.Script cachedData, the same mechanism as
// Node 22's module.enableCompileCache): the bytecode of every function the earlier commands ran,
// so V8 skips parsing and compiling them. Measured: about 35 ms less per `run`.
//
// There is one cache per command (dist/v8cache/run.bin, images.bin, ...): V8 deserializes all of
// a cache before it runs anything, and one cache for every command used had grown to 700 KB,
// twice what `run` needs (about 5 ms more). Before compiling, the loader takes the command from
// argv (the first word that is neither an option nor --root's value; an alias has a cache of its
// own, and a wrong guess would only cost time); a line without one (--help, --version) has
// tsdocker.bin, without which V8 parsed the whole bundle first (~20 ms). A command's cache is
// written after its first successful run, and again when V8 rejects it (made by another Node
// version or with other V8 flags). It holds only the functions that run used: a cache made by a first `run -d` left out
// the foreground path, and every later `run --rm` compiled it again (8 ms here). So a successful
// command line whose options (flagSignature: "-d", "--rm -p") the cache has not seen yet writes
// it once more: V8 serializes every function this process has compiled, the cache's own included,
// so the cache grows to cover both; the signatures seen are kept beside it (run.seen). A process
// that took a path its command seldom takes (`run` pulling its image) adds nothing: every later
// run would deserialize what it compiled (code-cache.ts).
// Both files are mapped rather than read (the addon's mapFile, native/sys.c): V8 takes the bundle
// as an external string and the cache as an external Buffer over the page cache's own pages.
// readFileSync copied each into fresh memory, twice for the bundle (a Buffer, then a string), and
// every fresh page is a page fault, ~13 us each in this project's VMs: 9 ms less per `run`
// (measured, alternating runs). Without the addon, or on a Node that cannot take external memory,
// the files are read as before.
// Without the bundle (TSDOCKER_NO_BUNDLE=1, a build without it, or one older than dist/src) the
// modules in dist/src are loaded one by one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** What the CLI module (main.ts) exports to its launcher. */
interface Cli {
  main(argv: string[]): Promise<number>;
  exit(status: number): void;
  cacheable(): boolean;
}

/** `dist`: the build's directory. bin/tsdocker carries a copy of this module and names it
 *  (scripts/launcher.js); bin/tsdocker.js requires this file from dist/src/cli. */
export function launch(argv: string[], dist = path.resolve(__dirname, '..', '..')): void {
  const bundle = path.join(dist, 'tsdocker.js');
  const compiledMain = path.join(dist, 'src', 'cli', 'main.js');
  const addonFile = path.join(dist, '..', 'native', 'tsdocker-sys.node');
  const addon = loadAddon(addonFile);
  if (process.env.TSDOCKER_NO_BUNDLE === '1' || !isCurrent(bundle, compiledMain, addon.stat)) {
    const cli = require(compiledMain) as Cli;
    cli.main(argv).then(cli.exit);
    return;
  }
  const file = cacheFile(path.join(dist, 'v8cache'), commandWord(argv));
  const map = addon.mapFile;
  const cachedData = file === undefined ? undefined : readCache(file, map);
  // The file is ASCII and already wrapped (scripts/bundle.js): latin1 makes a one-byte string
  // without UTF-8 decoding, and nothing is concatenated to it.
  const source = map?.(bundle, true);
  const script = new vm.Script(typeof source === 'string' ? source : fs.readFileSync(bundle, 'latin1'),
    { filename: bundle, cachedData });
  const mod = { exports: {} as Cli };
  // The bundle runs as a CommonJS module would: (exports, require, module, __filename, __dirname).
  // It requires only Node's own modules, which this module's require serves (module.createRequire
  // would load node:module, ~0.4 ms), and the addon by its full path (src/sys/libc.ts): the one
  // loaded above.
  const bundleRequire = (id: string): unknown => (id === addonFile && addon.exports ? addon.exports : require(id));
  script.runInThisContext()(mod.exports, bundleRequire, mod, bundle, dist);
  const cli = mod.exports;
  cli.main(argv).then((status) => {
    // After a success only: a first `run` that failed early (no such image) would have compiled
    // little of what later runs need; nor after one that pulled its image (code-cache.ts).
    if (status === 0 && cli.cacheable() && file !== undefined) {
      const fresh = cachedData === undefined || script.cachedDataRejected === true;
      const seen = fresh ? [] : readSeen(file, map);
      const signature = flagSignature(argv);
      if (fresh || !seen.includes(signature)) saveCache(script, file, [...seen, signature]);
    }
    cli.exit(status);
  });
}

/** The command that argv names, as main.ts will read it: the first word that is not an option
 *  (--root takes the next word as its value unless written --root=DIR). */
export function commandWord(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return '';
}

/** The options a command line uses, sorted ("--rm -d"): a rough sign of which of the command's code
 *  it runs. Words of the container's own command count too (`sh -c`); that only costs a write.
 *  Plain string tests rather than a regular expression, a Set and callbacks: this runs once, after
 *  the command, as cold code outside the code cache, and that way cost ~0.3 ms more. */
export function flagSignature(argv: string[]): string {
  const flags: string[] = [];
  for (const word of argv.slice(argv.indexOf(commandWord(argv)) + 1)) {
    const name = word.split('=')[0];
    // "-d" or "--rm": a dash or two, then a letter ("-" alone, "--" and "-1" are no options)
    const first = name.startsWith('--') ? name[2] : name.startsWith('-') ? name[1] : undefined;
    if (first !== undefined && isLetter(first) && !flags.includes(name)) flags.push(name);
  }
  return flags.sort().join(' ');
}

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** <dir>/<command>.bin, or <dir>/tsdocker.bin for a line without a command; a word that cannot be
 *  a command's name has no cache. */
function cacheFile(dir: string, command: string): string | undefined {
  if (command === '') return path.join(dir, 'tsdocker.bin');
  // A lowercase word of letters, digits and dashes, at most 32 long, that starts with a letter.
  let plain = command.length <= 32 && command[0] >= 'a' && command[0] <= 'z';
  for (const c of command) plain &&= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-';
  return plain ? path.join(dir, `${command}.bin`) : undefined;
}

/** The bundle exists and was made after the last `tsc` (which rewrites every file of dist/src):
 *  a developer who ran `tsc` alone gets the modules just compiled, not an old bundle. */
function isCurrent(bundle: string, compiled: string, stat: StatFile | undefined): boolean {
  const mtime = (file: string): number => {
    const r = stat?.(file, true);
    if (r === undefined) return fs.statSync(file).mtimeMs;
    if (typeof r === 'number') throw new Error(`stat ${file}: errno ${-r}`);
    return r[2];
  };
  try {
    return mtime(bundle) >= mtime(compiled);
  } catch {
    return false;
  }
}

/** The addon's mapFile(path, text): the file as an external latin1 string or Buffer, or -errno. */
type MapFile = (file: string, text: boolean) => string | Buffer | number;
/** The addon's stat(path, follow): [mode, inode, mtime in ms], or -errno. */
type StatFile = (file: string, follow: boolean) => [number, number, number] | number;

/** native/tsdocker-sys.node, and its mapFile and stat, each undefined when the addon is missing
 *  or older: Node's own fs does then. Loaded with process.dlopen, as require() does in the end:
 *  require's module resolution before it (stat, realpath, its cache) took ~1 ms of cold JavaScript.
 *  The bundle gets these exports when it requires the file (src/sys/libc.ts). */
function loadAddon(file: string): { exports?: object; mapFile?: MapFile; stat?: StatFile } {
  try {
    const m = { exports: {} as { mapFile?: MapFile; stat?: StatFile } };
    process.dlopen(m, file);
    const { mapFile, stat } = m.exports;
    return { exports: m.exports, mapFile: typeof mapFile === 'function' ? mapFile : undefined,
      stat: typeof stat === 'function' ? stat : undefined };
  } catch {
    return {};
  }
}

const ENOENT = 2;

/** The cache, mapped when it can be; undefined when there is none yet. */
function readCache(file: string, map: MapFile | undefined): Buffer | undefined {
  const mapped = map?.(file, false);
  if (Buffer.isBuffer(mapped)) return mapped;
  if (mapped === -ENOENT) return undefined;
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The flag signatures the cache beside <command>.seen has covered, one per line; mapped, as the
 *  cache is (one call to the addon), or read when it cannot be. */
function readSeen(file: string, map: MapFile | undefined): string[] {
  const mapped = map?.(seenFile(file), true);
  if (typeof mapped === 'string') return mapped.split('\n').slice(0, -1);
  try {
    return fs.readFileSync(seenFile(file), 'utf8').split('\n').slice(0, -1);
  } catch {
    return [];
  }
}

function seenFile(cache: string): string {
  return `${cache.slice(0, -'.bin'.length)}.seen`;
}

/** Each file appears by rename, so a tsdocker started meanwhile reads the old one or the new. */
function saveCache(script: vm.Script, file: string, seen: string[]): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    replace(file, script.createCachedData());
    replace(seenFile(file), seen.map((s) => `${s}\n`).join(''));
  } catch {
    // A read-only install runs without the cache: slower, not wrong.
  }
}

function replace(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
