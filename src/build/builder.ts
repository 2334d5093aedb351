// `build`: a Dockerfile, step by step, into an image, in the classic builder's way (moby
// builder/dockerfile): every step starts from the previous step's image and makes a new one, which
// the build cache (cache.ts) remembers, so an unchanged step is not run again.
//
//   Step 2/4 : RUN echo hi              the instruction
//    ---> Running in 0123456789ab       RUN: a real container (run-step.ts), its output streamed
//   hi
//   Removing intermediate container 0123456789ab
//    ---> 89abcdef0123                  the step's image id
//   Successfully built 89abcdef0123
//   Successfully tagged hello:latest
//
// A failed build tags nothing and records no image; the steps that did succeed stay in the cache
// (as Docker keeps them), nothing half-made stays anywhere.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isoTime } from '../clock';
import { TsdockerError, wrap } from '../errors';
import { sweepTemp, tempPath } from '../fsutil';
import { addLayer, layerDescriptors, writeImage, type BaseImage } from '../image/commit';
import type { LayerTar } from '../image/diff';
import type { HistoryEntry } from '../image/image-config';
import { hostPlatform } from '../registry/platform';
import type { ImageStore } from '../image/store';
import { familiarString, parseReference, type Reference } from '../reference';
import { BuildCache, type CacheKey } from './cache';
import { hashSources, Ignore, resolveSources, type Source } from './context';
import { copyStep, download, mountImage } from './copy-step';
import { fail, parseDockerfile, parseTrigger, splitStages, type Dockerfile, type Instruction, type Stage } from './dockerfile';
import { applyMetadata, DEFAULT_SHELL, METADATA, type BuildImageConfig } from './metadata';
import { runStep } from './run-step';
import { processWord, processWords } from './words';

export interface BuildOptions {
  context: string;
  /** -f; default <context>/Dockerfile */
  file?: string;
  tags: string[];
  buildArgs: Map<string, string>;
  noCache: boolean;
  target?: string;
  out: NodeJS.WritableStream;
  /** --network for RUN steps; default host */
  network?: string;
}

/** Where a stage is after some steps. */
interface State {
  /** the current image's id, undefined for FROM scratch before any step */
  id?: string;
  parent?: string;
  config: BuildImageConfig;
  base: BaseImage;
  /** ARGs declared in this stage, with their values */
  args: Map<string, string>;
  cmdSet: boolean;
}

export async function build(opts: BuildOptions, store: ImageStore, root: string): Promise<string> {
  sweepTemp(store.stateRoot);
  const tags = opts.tags.map((t) => normaliseTag(t));
  const file = opts.file ? path.resolve(opts.file) : path.join(opts.context, 'Dockerfile');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw wrap(err, 'read the Dockerfile');
  }
  const df = parseDockerfile(text, path.basename(file));
  const { globalArgs, stages } = splitStages(df);
  let last = stages.length - 1;
  if (opts.target !== undefined) {
    last = stages.findIndex((s) => s.name === opts.target!.toLowerCase());
    if (last < 0) throw new TsdockerError(`target stage "${opts.target}" could not be found`);
  }
  const b = new Builder(df, opts, store, root, Ignore.load(opts.context));
  b.total = stages.slice(0, last + 1).reduce((n, s) => n + 1 + s.steps.length, 0);
  const globals = b.globalArgs(globalArgs);
  const done: State[] = [];
  for (const stage of stages.slice(0, last + 1)) done.push(await b.stage(stage, globals, done, stages));

  const final = done[last];
  const config = final.id ? final.config : b.finishConfig(final);
  const { id } = writeImage(store, config, final.base, { record: true, parent: final.parent });
  opts.out.write(`Successfully built ${id.slice(7, 19)}\n`);
  for (const ref of tags) {
    store.setRef(ref, id);
    opts.out.write(`Successfully tagged ${familiarString(ref)}\n`);
  }
  return id;
}

function normaliseTag(t: string): Reference {
  const ref = parseReference(t);
  if (ref.digest) throw new TsdockerError(`invalid tag ${t}: a digest cannot be a tag`);
  return ref;
}

class Builder {
  total = 0;
  private n = 0;
  private readonly cache: BuildCache;

  constructor(private readonly df: Dockerfile, private readonly o: BuildOptions, private readonly store: ImageStore,
    private readonly root: string, private readonly ignore: Ignore) {
    this.cache = new BuildCache(store);
  }

  /** ARGs before the first FROM: usable in FROM lines, and by name in a stage's own ARG. */
  globalArgs(list: Instruction[]): Map<string, string> {
    const vars = new Map<string, string>();
    for (const ins of list) for (const [k, v] of this.argValues(ins, vars)) vars.set(k, v);
    return vars;
  }

  private argValues(ins: Instruction, scope: Map<string, string>, globals = new Map<string, string>()): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const word of processWords(ins.args, scope, this.df.escape)) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word : word.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw fail(this.df, ins.line, `invalid ARG name: ${name}`);
      const value = this.o.buildArgs.get(name) ?? (eq < 0 ? globals.get(name) : word.slice(eq + 1));
      if (value !== undefined) out.push([name, value]);
    }
    return out;
  }

  async stage(stage: Stage, globals: Map<string, string>, done: State[], all: Stage[]): Promise<State> {
    let st = await this.from(stage, globals, done, all);
    const triggers = st.config.config.OnBuild ?? [];
    if (triggers.length > 0) {
      this.o.out.write(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      st.config.config.OnBuild = null;
      for (const t of triggers) st = await this.step(st, parseTrigger(t, this.df, stage.from.line), globals, done, all);
    }
    for (const ins of stage.steps) {
      this.say(ins);
      st = await this.step(st, ins, globals, done, all);
    }
    return st;
  }

  private say(ins: Instruction): void {
    this.o.out.write(`Step ${++this.n}/${this.total} : ${ins.text}\n`);
  }

  private async from(stage: Stage, globals: Map<string, string>, done: State[], all: Stage[]): Promise<State> {
    this.say(stage.from);
    const name = processWord(stage.from.args.split(/\s+/)[0], globals, this.df.escape);
    const fresh = (config: BuildImageConfig, base: BaseImage, id?: string): State =>
      ({ id, config: JSON.parse(JSON.stringify(config)) as BuildImageConfig, base, args: new Map(), cmdSet: false });
    const earlier = all.findIndex((s) => s.name === name.toLowerCase() && s.index < stage.index);
    let st: State;
    if (earlier >= 0) {
      const prev = done[earlier];
      st = { ...fresh(prev.config, prev.base, prev.id), parent: prev.parent };
    } else if (name.toLowerCase() === 'scratch') {
      const platform = hostPlatform();
      st = fresh({ architecture: platform.architecture, os: platform.os, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
        { layers: [], diffIds: [], descriptors: [] });
    } else {
      const { findOrPullImage } = require('../container/image') as typeof import('../container/image');
      const { image } = await findOrPullImage(name, { pull: 'missing', store: this.store });
      st = fresh({ ...image.config, config: image.config.config ?? {} } as BuildImageConfig,
        { layers: image.layers, diffIds: image.config.rootfs.diff_ids, descriptors: layerDescriptors(this.store, image) }, image.id);
    }
    this.o.out.write(` ---> ${st.id ? st.id.slice(7, 19) : ''}\n`);
    return st;
  }

  /** ENV values and this stage's ARGs, for substitution (ENV wins). */
  private vars(st: State): Map<string, string> {
    const vars = new Map(st.args);
    for (const e of st.config.config.Env ?? []) {
      const eq = e.indexOf('=');
      if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
    }
    return vars;
  }

  private async step(st: State, ins: Instruction, globals: Map<string, string>, done: State[], all: Stage[]): Promise<State> {
    try {
      return await this.runStep(st, ins, globals, done, all);
    } catch (err) {
      const e = wrap(err, `Step ${this.n}/${this.total} : ${ins.text}`);
      throw new TsdockerError(`${this.df.name}:${ins.line}: ${e.message}`, { exitCode: e.exitCode, cause: err });
    }
  }

  private async runStep(st: State, ins: Instruction, globals: Map<string, string>, done: State[], all: Stage[]): Promise<State> {
    if (ins.keyword === 'ARG') {
      const args = new Map(st.args);
      for (const [k, v] of this.argValues(ins, this.vars(st), globals)) args.set(k, v);
      for (const w of processWords(ins.args, this.vars(st), this.df.escape)) {
        const name = w.split('=', 1)[0];
        if (!args.has(name)) args.set(name, '');
      }
      this.o.out.write(` ---> ${st.id ? st.id.slice(7, 19) : ''}\n`);
      return { ...st, args };
    }
    const vars = this.vars(st);
    const key: CacheKey = { parent: st.id ?? 'scratch', instruction: ins.text, vars };
    let work: () => Promise<LayerTar | undefined>;
    let createdBy: string;
    const config = JSON.parse(JSON.stringify(st.config)) as BuildImageConfig;
    let cmdSet = st.cmdSet;
    let release = () => {};

    if (METADATA.has(ins.keyword)) {
      const ctx = { vars, escape: this.df.escape, cmdSet };
      applyMetadata(config, ins, ctx);
      cmdSet = ctx.cmdSet ?? cmdSet;
      createdBy = `/bin/sh -c #(nop)  ${ins.text}`;
      work = async () => undefined;
    } else if (ins.keyword === 'RUN') {
      const argv = ins.json ?? [...(config.config.Shell ?? DEFAULT_SHELL), ins.args];
      createdBy = ins.json ? ins.args : argv.join(' ');
      work = () => runStep({ argv, args: st.args, config, id: st.id!, layers: st.base.layers, out: this.o.out, network: this.o.network }, this.store, this.root);
      if (!st.id) throw new TsdockerError('RUN needs an image with files: this stage is FROM scratch with nothing copied in');
    } else {
      const r = await this.copyPlan(st, ins, vars, done, all);
      key.content = r.content;
      createdBy = `/bin/sh -c #(nop) ${ins.keyword} ${r.content} in ${r.dest}`;
      work = r.work;
      release = r.release;
    }
    try {
      return await this.finishStep(st, key, work, createdBy, config, cmdSet);
    } finally {
      release();
    }
  }

  /** A cache hit, or the step's work, then its image. */
  private async finishStep(st: State, key: CacheKey, work: () => Promise<LayerTar | undefined>, createdBy: string,
    config: BuildImageConfig, cmdSet: boolean): Promise<State> {
    const hit = this.o.noCache ? undefined : this.cache.lookup(key);
    if (hit) {
      this.o.out.write(' ---> Using cache\n');
      this.o.out.write(` ---> ${hit.id.slice(7, 19)}\n`);
      const blob = this.store.getBlob(hit.id)!;
      return { ...st, id: hit.id, parent: st.id, config: JSON.parse(blob.toString()) as BuildImageConfig,
        base: { layers: hit.layers, diffIds: hit.diffIds, descriptors: hit.descriptors }, cmdSet };
    }

    const layer = await work();
    const base = layer ? await addLayer(this.store, st.base, layer) : st.base;
    const entry: HistoryEntry = { created: isoTime(), created_by: createdBy, ...(layer ? {} : { empty_layer: true }) };
    config.created = entry.created;
    config.rootfs = { type: 'layers', diff_ids: base.diffIds };
    config.history = [...(config.history ?? []), entry];
    const { id } = writeImage(this.store, config, base, { record: false });
    this.cache.record(key, { id, ...base });
    this.o.out.write(` ---> ${id.slice(7, 19)}\n`);
    return { ...st, id, parent: st.id, config, base, cmdSet };
  }

  /** COPY/ADD: the sources, their content hash for the cache, and the work to do on a miss. */
  private async copyPlan(st: State, ins: Instruction, vars: Map<string, string>, done: State[], all: Stage[]) {
    const words = ins.json ?? processWords(ins.args, vars, this.df.escape);
    const srcs = words.slice(0, -1);
    let dest = words[words.length - 1];
    if (!dest.startsWith('/')) dest = path.posix.join(st.config.config.WorkingDir || '/', dest) + (dest.endsWith('/') ? '/' : '');
    const chown = ins.flags.get('chown') !== undefined ? processWord(ins.flags.get('chown')!, vars, this.df.escape) : undefined;
    const chmod = ins.flags.get('chmod');
    const from = ins.flags.get('from');
    const cleanup: Array<() => void> = [];
    const sources: Source[] = [];
    let ignore = this.ignore;
    try {
      if (from !== undefined) {
        const fromLayers = await this.fromLayers(processWord(from, vars, this.df.escape), done, all);
        const fsys = mountImage(this.store, fromLayers);
        cleanup.push(() => fsys.release());
        ignore = Ignore.none();
        for (const s of srcs) sources.push(...resolveSources(fsys.merged, s, ignore));
      } else {
        for (const s of srcs) {
          if (ins.keyword === 'ADD' && /^https?:\/\//.test(s)) {
            const dir = tempPath('build-download', this.store.stateRoot);
            fs.mkdirSync(dir);
            cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
            sources.push(await download(s, dir));
          } else {
            sources.push(...resolveSources(this.o.context, s, ignore));
          }
        }
      }
      const content = hashSources(sources, ignore);
      const layers = st.base.layers;
      const release = () => { for (const c of cleanup.splice(0).reverse()) c(); };
      const work = () => copyStep({ sources, dest, chown, chmod, extract: ins.keyword === 'ADD', ignore }, this.store, layers);
      return { content, dest, work, release };
    } catch (err) {
      for (const c of cleanup.reverse()) c();
      throw err;
    }
  }

  /** --from=NAME|INDEX|IMAGE: the layers of an earlier stage, or of an image. */
  private async fromLayers(from: string, done: State[], all: Stage[]): Promise<string[]> {
    const byIndex = /^\d+$/.test(from) ? Number(from) : -1;
    const i = byIndex >= 0 ? byIndex : all.findIndex((s) => s.name === from.toLowerCase());
    if (i >= 0) {
      if (i >= done.length) throw new TsdockerError(`COPY --from=${from}: stage ${from} is not built before this one`);
      return done[i].base.layers;
    }
    const { findOrPullImage } = require('../container/image') as typeof import('../container/image');
    const { image } = await findOrPullImage(from, { pull: 'missing', store: this.store });
    return image.layers;
  }

  /** A final stage that never got an id (FROM scratch and nothing else) still needs a config. */
  finishConfig(st: State): BuildImageConfig {
    return { ...st.config, created: isoTime() };
  }
}
