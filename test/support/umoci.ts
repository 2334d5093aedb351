// Building a one-layer image with umoci(1), an independent OCI image tool: the fixtures built this
// way (busybox, debian) share no code with tsdocker's image handling.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './cache';

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A one-layer image made the way umoci(1) documents: init a layout, create an empty image, unpack
 * it to a runtime bundle, fill bundle/rootfs, repack the difference as a layer, set the config.
 */
export async function umociImage(layout: string, fill: (rootfs: string) => Promise<void>, config: string[]): Promise<void> {
  const bundle = `${layout}.bundle`;
  try {
    fs.rmSync(layout, { recursive: true, force: true });
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:latest`]);
    await run('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
    await fill(path.join(bundle, 'rootfs'));
    await run('umoci', ['repack', '--image', `${layout}:latest`, bundle]);
    await run('umoci', ['config', '--image', `${layout}:latest`, '--config.env', PATH_ENV, ...config]);
    await run('umoci', ['gc', '--layout', layout]);
  } finally {
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}
