// The image a `run` needs: found in the store, or pulled as Docker does with --pull
// (missing: only when absent, printing "Unable to find image 'x:latest' locally"; always; never).
import { TsdockerError } from '../errors';
import type { ImageRecord, ImageStore } from '../image/store';
import { familiarString, parseReference } from '../reference';

export type PullPolicy = 'missing' | 'always' | 'never';

/** The image and its store; `pulled` when it had to be pulled first. */
export async function findOrPullImage(name: string, opts: { pull: PullPolicy; platform?: string; store?: ImageStore }):
  Promise<{ store: ImageStore; image: ImageRecord; pulled: boolean }> {
  const { ImageStore } = require('../image/store') as typeof import('../image/store');
  const store = opts.store ?? new ImageStore();
  if (opts.pull !== 'always') {
    const found = store.resolve(name);
    if (found) return { store, image: found, pulled: false };
    if (opts.pull === 'never') throw new TsdockerError(`no such image: ${name}`);
  }
  let shown = name;
  try {
    shown = familiarString(parseReference(name));
  } catch (err) {
    // Not a reference (an id prefix that matched nothing): Docker says so the same way.
    throw new TsdockerError(`unable to find image '${name}' locally`, { cause: err });
  }
  if (opts.pull === 'missing') process.stderr.write(`Unable to find image '${shown}' locally\n`);
  const { pullImage } = require('../image/pull') as typeof import('../image/pull');
  // Pull progress goes to stderr: stdout belongs to the container.
  const image = await pullImage(name, { platform: opts.platform, out: process.stderr, store });
  return { store, image, pulled: true };
}
