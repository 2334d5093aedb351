// The build cache, with the classic builder's rule: a step is reused when the image it starts from,
// the instruction (with the ARG and ENV values it sees) and, for COPY and ADD, the content of its
// files are all unchanged. So changing one file reruns its COPY and every step after it, and a
// rebuild with nothing changed runs nothing.
//
//   <root>/image/build-cache/<sha256 of the key>   {"id": ..., "layers": [...], ...}
//
// An entry points at a config blob and layers in the store. They may have gone since (`rmi` of the
// image that used them): such an entry is a miss.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { readJson, writeFileAtomic } from '../fsutil';
import type { BaseImage } from '../image/commit';
import type { ImageStore } from '../image/store';

export interface CacheEntry extends BaseImage {
  /** the step's image: its config blob's digest */
  id: string;
}

export interface CacheKey {
  parent: string;
  instruction: string;
  vars: Map<string, string>;
  /** hashSources() of COPY/ADD, or a download's digest */
  content?: string;
}

export class BuildCache {
  constructor(private readonly store: ImageStore) {}

  private file(key: CacheKey): string {
    const text = JSON.stringify([key.parent, key.instruction, [...key.vars].sort(), key.content ?? '']);
    return path.join(this.store.root, 'build-cache', crypto.createHash('sha256').update(text).digest('hex'));
  }

  lookup(key: CacheKey): CacheEntry | undefined {
    const entry = readJson<CacheEntry>(this.file(key));
    if (!entry || !this.store.getBlob(entry.id)) return undefined;
    if (!entry.layers.every((l) => this.store.getLayer(l))) return undefined;
    return entry;
  }

  record(key: CacheKey, entry: CacheEntry): void {
    writeFileAtomic(this.file(key), JSON.stringify(entry) + '\n', this.store.stateRoot);
  }
}
