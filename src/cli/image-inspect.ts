import type { Argv } from './parser';
import { ImageStore } from '../image/store';
import { inspectImage } from '../image/list';
import { printInspect } from './inspect-format';
import { TsdockerError } from '../errors';

export const command = 'image-inspect <images..>';
export const describe = 'Display detailed information on one or more images';

export function builder(y: Argv): Argv {
  return y
    .positional('images', { type: 'string', array: true })
    .option('format', { alias: 'f', type: 'string', describe: "Format with a template: '{{.Id}}', '{{json .Config}}'" })
    .example('tsdocker image inspect busybox', 'the image as JSON: config, layers, overlay lower dirs')
    .example("tsdocker image inspect -f '{{.GraphDriver.Data.LowerDir}}' busybox", 'where its layers are on disk');
}

export async function handler(args: { images: string[]; format?: string }): Promise<number> {
  const store = new ImageStore();
  const found: object[] = [];
  const missing: string[] = [];
  for (const name of args.images) {
    const img = store.resolve(name);
    if (img) found.push(inspectImage(store, img));
    else missing.push(name);
  }
  printInspect(found, args.format);
  if (missing.length) throw new TsdockerError(`no such image: ${missing.join(', ')}`);
  return 0;
}
