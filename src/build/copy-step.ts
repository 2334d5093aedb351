// COPY and ADD: files from the context (or from another stage with --from) into the image.
// The step's filesystem is mounted as a container's would be (overlayfs: the image's layers under
// a fresh upper dir), the files are copied into the merged view, and the upper dir becomes the
// layer, so parent directories, overwrites and symlinks behave exactly as in a container.
//
// Docker's rules (Dockerfile reference, "COPY"): a directory source copies its contents; the
// destination is a directory when it ends in "/" or there are several sources; a relative
// destination is relative to WORKDIR; new files belong to root unless --chown. ADD also extracts a
// local tar archive (plain or gzip) and downloads a URL (mode 0600).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { TsdockerError, wrap } from '../errors';
import { tempPath } from '../fsutil';
import { LayerWriter } from '../image/apply';
import { diffLayer, type LayerTar } from '../image/diff';
import { mountOverlay, unmount } from '../image/overlay';
import type { ImageStore } from '../image/store';
import { mkdirInRoot, readFileInRoot, resolveInRoot } from '../container/rootpath';
import { resolveUserFrom } from '../container/user';
import { trace } from '../trace';
import { copySource, type CopyOwner, Ignore, type Source } from './context';

/** A writable (or, for --from, only read) view of an image's files under <root>/tmp. */
export interface Rootfs {
  merged: string;
  upper: string;
  release(): void;
}

export function mountImage(store: ImageStore, layers: string[]): Rootfs {
  const dir = tempPath('build-rootfs', store.stateRoot);
  const upper = path.join(dir, 'upper');
  fs.mkdirSync(upper, { recursive: true, mode: 0o755 });
  if (layers.length === 0) {
    // FROM scratch: nothing below, so the upper dir is the whole filesystem.
    return { merged: upper, upper, release: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const merged = path.join(dir, 'merged');
  mountOverlay({ store, image: { layers }, upper, work: path.join(dir, 'work'), target: merged });
  return {
    merged, upper,
    release: () => {
      unmount(merged);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CopyStep {
  sources: Source[];
  /** the destination as written, made absolute against WORKDIR */
  dest: string;
  chown?: string;
  chmod?: string;
  /** ADD: extract local archives */
  extract: boolean;
  ignore: Ignore;
}

/** Copy into a fresh upper over `layers` and return it as a layer tar. */
export async function copyStep(step: CopyStep, store: ImageStore, layers: string[]): Promise<LayerTar> {
  const fsys = mountImage(store, layers);
  try {
    const owner = ownerOf(step, fsys.merged);
    const intoDir = step.dest.endsWith('/') || step.sources.length > 1 ||
      fs.statSync(resolveInRoot(fsys.merged, step.dest), { throwIfNoEntry: false })?.isDirectory() === true;
    for (const src of step.sources) {
      if (step.extract && src.st.isFile() && await isArchive(src.host)) {
        await extract(src.host, mkdirInRoot(fsys.merged, step.dest));
      } else if (src.st.isDirectory() || intoDir) {
        const dir = mkdirInRoot(fsys.merged, step.dest, owner.uid, owner.gid);
        copySource(src, src.st.isDirectory() ? dir : path.join(dir, path.basename(src.host)), owner, step.ignore);
      } else {
        const parent = mkdirInRoot(fsys.merged, path.posix.dirname(step.dest));
        copySource(src, path.join(parent, path.posix.basename(step.dest)), owner, step.ignore);
      }
    }
    return await diffLayer(fsys.upper, tempPath('layer.tar.gz', store.stateRoot));
  } finally {
    fsys.release();
  }
}

/** --chown=user:group by name (the image's /etc/passwd and /etc/group) or number. */
function ownerOf(step: CopyStep, rootfs: string): CopyOwner {
  let mode: number | undefined;
  if (step.chmod !== undefined) {
    if (!/^[0-7]{3,4}$/.test(step.chmod)) throw new TsdockerError(`invalid --chmod=${step.chmod}: only octal modes are supported`);
    mode = parseInt(step.chmod, 8);
  }
  if (!step.chown) return { uid: 0, gid: 0, mode };
  const read = (f: string) => readFileInRoot(rootfs, f, 1 << 20);
  const u = resolveUserFrom(step.chown, read('/etc/passwd'), read('/etc/group'));
  return { uid: u.uid, gid: u.gid, mode };
}

async function isArchive(file: string): Promise<boolean> {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, 512, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return n >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    fs.closeSync(fd);
  }
}

/** ADD of a local archive: its entries under `dest`, with their owners, as Docker's ADD does. */
async function extract(file: string, dest: string): Promise<void> {
  const gz = fs.readFileSync(file, { flag: 'r' }).subarray(0, 2);
  const ex = tar.extract();
  const writer = new LayerWriter(dest, []);
  const stages = [fs.createReadStream(file), ...(gz[0] === 0x1f && gz[1] === 0x8b ? [zlib.createGunzip()] : []), ex];
  const feeding = pipeline(stages as unknown as NodeJS.ReadWriteStream[]);
  try {
    for await (const entry of ex) await writer.apply(entry);
    await feeding;
  } catch (err) {
    ex.destroy();
    await feeding.catch(() => undefined);
    throw wrap(err, `ADD ${path.basename(file)}`);
  }
  writer.finish();
  trace('build', `extracted ${file} into ${dest}`);
}

/** ADD <url>: downloaded with fetch into `dir`; returns the file as a source (mode 0600, mtime from
 *  Last-Modified, as Docker's). */
export async function download(url: string, dir: string): Promise<Source> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw wrap(err, `ADD ${url}`);
  }
  if (!res.ok) throw new TsdockerError(`ADD ${url}: HTTP ${res.status} ${res.statusText}`);
  const name = path.posix.basename(new URL(res.url || url).pathname) || 'download';
  const host = path.join(dir, name);
  fs.writeFileSync(host, Buffer.from(await res.arrayBuffer()), { mode: 0o600 });
  fs.chmodSync(host, 0o600);
  const modified = Date.parse(res.headers.get('last-modified') ?? '');
  if (!Number.isNaN(modified)) fs.utimesSync(host, modified / 1000, modified / 1000);
  return { root: dir, rel: name, host, st: fs.statSync(host) };
}
