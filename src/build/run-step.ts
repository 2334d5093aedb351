// RUN: the command runs in a real tsdocker container made from the previous step's image, with the
// build's environment, working directory, user and shell; its upper dir becomes the step's layer
// (src/container/commit.ts), then the container is removed, on every path.
//
// The network is the host's unless `build --network` says otherwise, so `apt-get` reaches a mirror
// on 127.0.0.1 in tests and the host's network in class (`docker build` has network access by
// default too, through its bridge; the host's costs no veth per step).
import { TsdockerError } from '../errors';
import type { LayerTar } from '../image/diff';
import type { ImageRecord, ImageStore } from '../image/store';
import { containerLayer } from '../container/commit';
import { createContainer, removeContainer, startForeground } from '../container/lifecycle';
import { defaultRunOptions } from '../container/options';
import type { BuildImageConfig } from './metadata';

export interface RunStep {
  /** what execve(2) gets: the shell form already wrapped in SHELL */
  argv: string[];
  /** ARG values in scope (ENV wins over an ARG of the same name) */
  args: Map<string, string>;
  config: BuildImageConfig;
  /** the step's parent image: its config digest and layers */
  id: string;
  layers: string[];
  out: NodeJS.WritableStream;
  /** host (default), bridge, none, or a network name */
  network?: string;
}

/** Run the step; resolves with the container's changes, rejects on a non-zero exit. */
export async function runStep(step: RunStep, store: ImageStore, root: string): Promise<LayerTar> {
  if (step.layers.length === 0) throw new TsdockerError('RUN needs an image with files: this stage is FROM scratch with nothing copied in');
  const image: ImageRecord = {
    id: step.id, layers: step.layers, size: 0, repoTags: [], repoDigests: [],
    config: { ...step.config, config: { ...step.config.config, Entrypoint: null, Cmd: null } },
  };
  const opts = defaultRunOptions(step.id, step.argv);
  opts.entrypoint = ''; // the image's ENTRYPOINT does not wrap RUN commands
  const envNames = new Set((step.config.config.Env ?? []).map((e) => e.split('=', 1)[0]));
  opts.env = [...step.args].filter(([k]) => !envNames.has(k)).map(([k, v]) => `${k}=${v}`);
  opts.user = step.config.config.User || undefined;
  opts.workdir = step.config.config.WorkingDir || undefined;
  opts.network = step.network ?? 'host';
  const rec = createContainer(opts, image, store, root);
  try {
    step.out.write(` ---> Running in ${rec.Id.slice(0, 12)}\n`);
    const code = await startForeground(rec, root, step.out);
    if (code !== 0) {
      throw new TsdockerError(`the command '${step.argv.join(' ')}' returned a non-zero code: ${code}`, { exitCode: 1 });
    }
    return await containerLayer(rec, store, image, root);
  } finally {
    removeContainer(rec.Id, { force: true, volumes: true }, root);
    step.out.write(`Removing intermediate container ${rec.Id.slice(0, 12)}\n`);
  }
}
