import type { Argv } from './parser';
import { ImageStore } from '../image/store';
import { parseReference } from '../reference';
import { TsdockerError } from '../errors';

export const command = 'tag <source> <target>';
export const describe = 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE';

export function builder(y: Argv): Argv {
  return y
    .positional('source', { type: 'string', describe: 'SOURCE_IMAGE[:TAG] or image id' })
    .positional('target', { type: 'string', describe: 'TARGET_IMAGE[:TAG]' })
    .example('tsdocker tag busybox 127.0.0.1:5000/busybox:v1', 'name an image for a local registry');
}

export async function handler(args: { source: string; target: string }): Promise<number> {
  const store = new ImageStore();
  const img = store.resolve(args.source);
  if (!img) throw new TsdockerError(`no such image: ${args.source}`);
  const target = parseReference(args.target);
  if (target.digest) throw new TsdockerError(`refusing to create a tag with a digest reference: ${args.target}`);
  store.setRef(target, img.id);
  return 0;
}
