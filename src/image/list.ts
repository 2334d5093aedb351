// What `images` and `image inspect` show about an image, in Docker's shapes.
import { ImageStore, ImageRecord, hexOf } from './store';
import { familiarName } from '../reference';
import { compareText, humanSize, shortId, timeAgo } from '../format';

export interface ImageRow {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedAt: string;
  CreatedSince: string;
  Size: string;
  VirtualSize: string;
  SharedSize: string;
  UniqueSize: string;
  Containers: string;
}

/** One row per tag (an untagged image gets one "<none>" row), newest first, as `docker images`. */
export function imageRows(store: ImageStore, filter?: string): ImageRow[] {
  const rows: ImageRow[] = [];
  const images = store.listImages().sort((a, b) => compareText(b.created ?? '', a.created ?? ''));
  for (const img of images) {
    const tags = img.repoTags.length ? img.repoTags : ['<none>:<none>'];
    for (const full of tags) {
      const colon = full.lastIndexOf(':');
      const repo = full === '<none>:<none>' ? '<none>' : familiarName(full.slice(0, colon));
      const tag = full === '<none>:<none>' ? '<none>' : full.slice(colon + 1);
      if (filter && !matches(filter, repo, tag)) continue;
      const digest = img.repoDigests.find((d) => d.startsWith(full.slice(0, colon) + '@'));
      rows.push({
        Repository: repo,
        Tag: tag,
        Digest: digest ? digest.slice(digest.indexOf('@') + 1) : '<none>',
        ID: shortId(img.id),
        CreatedAt: img.created ? formatTime(img.created) : '',
        CreatedSince: timeAgo(img.created),
        Size: humanSize(img.size),
        VirtualSize: humanSize(img.size),
        SharedSize: 'N/A',
        UniqueSize: 'N/A',
        Containers: 'N/A',
      });
    }
  }
  return rows;
}

/** "busybox" matches every busybox tag; "busybox:1" only that one. */
function matches(filter: string, repo: string, tag: string): boolean {
  const colon = filter.lastIndexOf(':');
  if (colon > filter.lastIndexOf('/')) return repo === familiarName(filter.slice(0, colon)) && tag === filter.slice(colon + 1);
  return repo === filter || repo === familiarName(filter);
}

/** Docker prints CreatedAt as "2024-05-01 10:00:00 +0000 UTC". */
function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC');
}

/** `docker image inspect` output for one image. */
export function inspectImage(store: ImageStore, img: ImageRecord): object {
  const dirs = store.layerDiffDirs(img);
  return {
    Id: img.id,
    RepoTags: img.repoTags.map((t) => familiarName(t.slice(0, t.lastIndexOf(':'))) + t.slice(t.lastIndexOf(':'))),
    RepoDigests: img.repoDigests.map((d) => familiarName(d.slice(0, d.indexOf('@'))) + d.slice(d.indexOf('@'))),
    Parent: img.parent ?? '',
    Comment: img.config.history?.at(-1)?.comment ?? '',
    Created: img.created ?? '',
    Author: img.config.author ?? '',
    Config: img.config.config ?? {},
    Architecture: img.config.architecture ?? '',
    Variant: img.config.variant,
    Os: img.config.os ?? '',
    Size: img.size,
    // The image's layers, top-most first, as overlayfs lower dirs (a container adds its own upper).
    GraphDriver: { Name: 'overlay', Data: { LowerDir: dirs.join(':') } },
    RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids },
    Metadata: { ManifestDigest: img.manifestDigest, Layers: img.layers.map(hexOf) },
  };
}
