// The build context: the directory `build` was given, minus what .dockerignore excludes, and
// COPY's rules for taking files out of it (Dockerfile reference, "COPY" and ".dockerignore file";
// moby/patternmatcher for the patterns, Go's filepath.Match plus "**" for any number of directories).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError, wrap } from '../errors';

interface Pattern {
  re: RegExp;
  /** "!pattern": an exception, which brings a path back */
  exclusion: boolean;
}

/** .dockerignore: the last pattern that matches a path (or one of its parent directories) decides. */
export class Ignore {
  private constructor(private readonly patterns: Pattern[]) {}

  static none(): Ignore {
    return new Ignore([]);
  }

  static load(contextDir: string): Ignore {
    let text: string;
    try {
      text = fs.readFileSync(path.join(contextDir, '.dockerignore'), 'utf8');
    } catch {
      return Ignore.none();
    }
    const patterns: Pattern[] = [];
    for (let line of text.split(/\r?\n/)) {
      line = line.trim();
      if (line === '' || line.startsWith('#')) continue;
      const exclusion = line.startsWith('!');
      if (exclusion) line = line.slice(1).trim();
      const clean = path.posix.normalize(line).replace(/^\/+|\/+$/g, '');
      if (clean === '' || clean === '.') continue;
      patterns.push({ re: globRegExp(clean), exclusion });
    }
    return new Ignore(patterns);
  }

  /** `rel`: clean, relative to the context ("src/a.c"). */
  ignores(rel: string): boolean {
    let ignored = false;
    const parts = rel.split('/');
    for (const p of this.patterns) {
      for (let n = parts.length; n >= 1; n--) {
        if (p.re.test(parts.slice(0, n).join('/'))) {
          ignored = !p.exclusion;
          break;
        }
      }
    }
    return ignored;
  }
}

/** Go filepath.Match syntax (*, ?, [a-z], [^a]) plus "**" for any number of path segments. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new TsdockerError(`bad pattern ${JSON.stringify(glob)}: missing ]`);
      re += '[' + glob.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\') + ']';
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) {
      re += '\\' + glob[++i];
    } else {
      re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

export function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

export interface Source {
  /** the context (or stage filesystem) it comes from */
  root: string;
  /** path inside the source root, clean, relative ("" = the root itself) */
  rel: string;
  host: string;
  st: fs.Stats;
}

/**
 * The files a COPY source names in `root` (the context, or another stage's filesystem). A source
 * cannot leave the root; a wildcard may match several; nothing matching is an error, as in Docker.
 */
export function resolveSources(root: string, src: string, ignore: Ignore): Source[] {
  const rel = path.posix.normalize('/' + src).slice(1).replace(/\/+$/, '');
  if (path.posix.normalize(src).startsWith('../')) throw new TsdockerError(`forbidden path outside the build context: ${src}`);
  if (!hasWildcard(rel)) {
    const host = path.join(root, rel);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(host); // a source that is a symlink is followed, inside the root
      if (!path.resolve(fs.realpathSync(host)).startsWith(path.resolve(fs.realpathSync(root)))) st = undefined;
    } catch { /* missing */ }
    if (!st || (rel !== '' && ignore.ignores(rel))) {
      throw new TsdockerError(`file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`);
    }
    return [{ root, rel, host, st }];
  }
  const re = globRegExp(rel);
  const found: Source[] = [];
  walk(root, '', ignore, (r, host, st) => {
    if (re.test(r)) found.push({ root, rel: r, host, st });
    return true;
  });
  if (found.length === 0) throw new TsdockerError(`no source files were specified: ${src} matches nothing in the build context`);
  return found;
}

/** Depth-first in name order; `visit` returns false to skip a directory's contents. */
function walk(root: string, rel: string, ignore: Ignore, visit: (rel: string, host: string, st: fs.Stats) => boolean): void {
  const dir = path.join(root, rel);
  for (const name of fs.readdirSync(dir).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    if (ignore.ignores(r)) continue;
    const host = path.join(root, r);
    const st = fs.lstatSync(host);
    if (visit(r, host, st) && st.isDirectory()) walk(root, r, ignore, visit);
  }
}

/**
 * What the build cache compares for COPY and ADD: every file's path, type, mode and content (not
 * its times: Docker's cache ignores mtime, so a `touch` alone does not rebuild).
 */
export function hashSources(sources: Source[], ignore: Ignore): string {
  const h = crypto.createHash('sha256');
  const add = (rel: string, host: string, st: fs.Stats) => {
    h.update(`${rel}\0${st.mode.toString(8)}\0${st.uid}:${st.gid}\0`);
    if (st.isFile()) h.update(fs.readFileSync(host));
    else if (st.isSymbolicLink()) h.update(fs.readlinkSync(host));
    h.update('\0');
  };
  for (const s of sources) {
    add(s.rel, s.host, s.st);
    if (s.st.isDirectory()) walk(s.root, s.rel, ignore, (r, host, st) => { add(r, host, st); return true; });
  }
  return 'sha256:' + h.digest('hex');
}

export interface CopyOwner {
  uid: number;
  gid: number;
  /** --chmod, else the source's own mode */
  mode?: number;
}

/**
 * Copy one source to `destHost` (a path inside the new filesystem that must not be a directory
 * already for a file): a directory's CONTENTS are copied, never the directory itself, as Docker does.
 */
export function copySource(src: Source, destHost: string, owner: CopyOwner, ignore: Ignore): void {
  try {
    if (src.st.isDirectory()) {
      mkdirOwned(destHost, owner);
      // Walked from the root, so .dockerignore patterns see context paths ("dir/secret").
      walk(src.root, src.rel, ignore, (r, host, st) => {
        copyEntry(host, st, path.join(destHost, src.rel === '' ? r : r.slice(src.rel.length + 1)), owner);
        return true;
      });
    } else {
      copyEntry(src.host, src.st, destHost, owner);
    }
  } catch (err) {
    throw wrap(err, `copy ${src.rel || '.'}`);
  }
}

function mkdirOwned(host: string, owner: CopyOwner): void {
  if (fs.lstatSync(host, { throwIfNoEntry: false })?.isDirectory()) return;
  fs.rmSync(host, { force: true });
  fs.mkdirSync(host, { mode: 0o755 });
  fs.lchownSync(host, owner.uid, owner.gid);
}

function copyEntry(host: string, st: fs.Stats, dest: string, owner: CopyOwner): void {
  const old = fs.lstatSync(dest, { throwIfNoEntry: false });
  if (st.isDirectory()) {
    if (!old?.isDirectory()) {
      if (old) fs.rmSync(dest, { recursive: true });
      fs.mkdirSync(dest);
    }
  } else {
    // Whatever is there is replaced, never written through (it may be a symlink out of the root).
    if (old) fs.rmSync(dest, { recursive: true });
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(host), dest);
    else if (st.isFile()) fs.copyFileSync(host, dest, fs.constants.COPYFILE_EXCL);
    else return; // devices, fifos and sockets are not copied from a build context
  }
  fs.lchownSync(dest, owner.uid, owner.gid);
  if (!st.isSymbolicLink()) fs.chmodSync(dest, owner.mode ?? st.mode & 0o7777);
  fs.lutimesSync(dest, st.atime, st.mtime);
}
