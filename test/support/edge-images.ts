// Hand-made images for the edge cases of the checklists (CHECKLISTS.md parts A and B). Each builder
// writes one OCI layout tagged `latest`. Images meant to be *run* sit on the busybox fixture's layer,
// so a test can look at the result from inside the container; hostile images have no base, because
// they must never get as far as running.
import { Compression, CAP_NET_RAW, TarEntry, fileCapability, tarLayer } from './layers';
import {
  Descriptor, Format, ImageSpec, LayerSource, MEDIA, Platform, addImage, addIndex, initLayout, tagLayout,
  writeBlob,
} from './oci-layout';

export interface EdgeContext {
  /** the busybox fixture's layers, to build on */
  busybox: LayerSource[];
}

type Builder = (dir: string, ctx: EdgeContext) => void;

function image(spec: (ctx: EdgeContext) => ImageSpec): Builder {
  return (dir, ctx) => {
    initLayout(dir);
    tagLayout(dir, 'latest', addImage(dir, spec(ctx)));
  };
}

const layer = (entries: TarEntry[], compression: Compression = 'gzip'): LayerSource =>
  ({ tar: tarLayer(entries), compression });

/** One layer per hostile tar, no base: extraction must fail or clamp, and the host stay unchanged. */
const hostile = (...layers: TarEntry[][]): Builder => image(() => ({ layers: layers.map((l) => layer(l)) }));

const SAME_TREE: TarEntry[] = [
  { name: 'same/' },
  { name: 'same/hello.txt', content: 'the same tree in every compression\n' },
  { name: 'same/bin/', mode: 0o755 },
  { name: 'same/bin/tool', content: '#!/bin/sh\necho tool\n', mode: 0o755 },
  { name: 'same/link', type: 'symlink', linkname: 'hello.txt' },
];

/** A small per-architecture image whose /arch file says which index entry was chosen. */
function archImage(dir: string, ctx: EdgeContext, format: Format, platform: Platform): Descriptor {
  const label = platform.variant ? `${platform.architecture}/${platform.variant}` : platform.architecture;
  const base = platform.architecture === 'amd64' ? ctx.busybox : [];
  return addImage(dir, {
    format, platform,
    layers: [...base, layer([{ name: 'arch', content: label + '\n' }])],
    config: { Cmd: ['cat', '/arch'] },
  });
}

/** amd64, arm64 (no variant), arm64/v8, arm/v7 and a buildx-style attestation entry, in that order. */
function multiArch(format: Format): Builder {
  return (dir, ctx) => {
    initLayout(dir);
    const platforms: Platform[] = [
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
      { architecture: 'arm64', os: 'linux', variant: 'v8' },
      { architecture: 'arm', os: 'linux', variant: 'v7' },
    ];
    const entries = platforms.map((p) => archImage(dir, ctx, format, p));
    // An attestation manifest as docker buildx pushes it: an OCI manifest whose one "layer" is an
    // in-toto statement, listed with platform unknown/unknown and a reference annotation.
    const statement = writeBlob(dir, Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1' })),
      MEDIA.inToto);
    const emptyConfig = writeBlob(dir, Buffer.from('{}'), MEDIA.ociConfig);
    const attestation = writeBlob(dir, Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MEDIA.ociManifest, config: emptyConfig, layers: [statement],
    })), MEDIA.ociManifest);
    entries.push({ ...attestation, platform: { architecture: 'unknown', os: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest',
        'vnd.docker.reference.digest': entries[0].digest } });
    tagLayout(dir, 'latest', addIndex(dir, format, entries));
  };
}

export const EDGE_IMAGES: Record<string, Builder> = {
  // B1: `.wh.file1` hides a lower file; `a/.wh..wh..opq` written *after* a/b/c/foo in the same tar
  // hides only the lower children of a/, never a/b/c/foo.
  whiteouts: image((ctx) => ({ layers: [...ctx.busybox,
    layer([
      { name: 'wh/' }, { name: 'wh/file1', content: 'lower file1\n' }, { name: 'wh/file2', content: 'kept\n' },
      { name: 'wh/a/' }, { name: 'wh/a/lower-only', content: 'hidden by the opaque dir\n' },
      { name: 'wh/dir/' }, { name: 'wh/dir/inner', content: 'hidden with its dir\n' },
    ]),
    layer([
      { name: 'wh/' }, { name: 'wh/.wh.file1' }, { name: 'wh/.wh.dir' },
      { name: 'wh/a/' }, { name: 'wh/a/b/' }, { name: 'wh/a/b/c/' },
      { name: 'wh/a/b/c/foo', content: 'upper foo\n' }, { name: 'wh/a/.wh..wh..opq' },
    ]),
  ] })),

  // B2: symlinks (relative, absolute, dangling), hardlinks in one layer and across layers.
  links: image((ctx) => ({ layers: [...ctx.busybox,
    layer([
      { name: 'links/' }, { name: 'links/target', content: 'hello from target\n' },
      { name: 'links/hard-same', type: 'hardlink', linkname: 'links/target' },
      { name: 'links/sym-rel', type: 'symlink', linkname: 'target' },
      { name: 'links/sym-abs', type: 'symlink', linkname: '/links/target' },
      { name: 'links/dangling', type: 'symlink', linkname: '/does/not/exist' },
      // No entries for links/implied/ and links/implied/sub/: their parents are only implied.
      { name: 'links/implied/sub/file', content: 'in an implied dir\n' },
      { name: 'links/hard-implied', type: 'hardlink', linkname: 'links/implied/sub/file' },
    ]),
    layer([{ name: 'links/' }, { name: 'links/hard-cross', type: 'hardlink', linkname: 'links/target' }]),
  ] })),

  // B3: device nodes the container must not be able to use, and a FIFO.
  devices: image((ctx) => ({ layers: [...ctx.busybox, layer([
    { name: 'evil_mem', type: 'char', devmajor: 1, devminor: 1, mode: 0o666 },
    { name: 'evil_sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o666 },
    { name: 'fifo', type: 'fifo', mode: 0o644 },
  ])] })),

  // B3: setuid/setgid bits and ownership survive extraction (chmod after lchown).
  setuid: image((ctx) => ({ layers: [...ctx.busybox, layer([
    { name: 'suid/' },
    { name: 'suid/setuid-file', content: '#!/bin/sh\nid\n', mode: 0o4755 },
    { name: 'suid/setgid-file', content: '#!/bin/sh\nid\n', mode: 0o2755, gid: 1000 },
    { name: 'suid/owned-by-student', content: 'mine\n', mode: 0o600, uid: 1000, gid: 1000 },
    { name: 'suid/sticky/', mode: 0o1777 },
  ])] })),

  // B1/B3: a file capability to keep, and overlay xattrs in the tar that must be dropped: if
  // trusted.overlay.opaque reached the disk, wh-free/dir/keep from the lower layer would vanish.
  xattrs: image((ctx) => ({ layers: [...ctx.busybox,
    layer([{ name: 'xattr/' }, { name: 'xattr/dir/' }, { name: 'xattr/dir/keep', content: 'still here\n' }]),
    layer([
      { name: 'xattr/' },
      { name: 'xattr/dir/', xattrs: { 'trusted.overlay.opaque': 'y', 'trusted.overlay.redirect': '/etc' } },
      { name: 'xattr/user-dir/', xattrs: { 'user.overlay.opaque': 'y' } },
      { name: 'xattr/cap-file', content: 'pretend ping\n', mode: 0o755,
        xattrs: { 'security.capability': fileCapability([CAP_NET_RAW]) } },
      { name: 'xattr/user-attr', content: 'with a user xattr\n', xattrs: { 'user.tsdocker.test': 'hello' } },
    ]),
  ] })),

  // B4: more layers than moby allows (125) and than fit in one page of lowerdir= paths.
  'layers-130': image((ctx) => ({ layers: [...ctx.busybox,
    ...Array.from({ length: 129 }, (_, i) => layer([{ name: 'layers/' }, { name: `layers/${i + 2}`, content: `${i + 2}\n` }]))],
  })),

  // A8: one tree as tar, tar+gzip and tar+zstd; all three must unpack to the same files.
  'compression-none': image(() => ({ layers: [layer(SAME_TREE, 'none')] })),
  'compression-gzip': image(() => ({ layers: [layer(SAME_TREE, 'gzip')] })),
  'compression-zstd': image(() => ({ layers: [layer(SAME_TREE, 'zstd')] })),
  // One image whose three layers use the three compressions, on top of busybox.
  'compression-mixed': image((ctx) => ({ layers: [...ctx.busybox,
    layer([{ name: 'plain.txt', content: 'plain\n' }], 'none'),
    layer([{ name: 'gzip.txt', content: 'gzip\n' }], 'gzip'),
    layer([{ name: 'zstd.txt', content: 'zstd\n' }], 'zstd'),
  ] })),

  // A3: the busybox layer under Docker schema2 media types (manifest, config, layer).
  'docker-types': image((ctx) => ({ format: 'docker', layers: ctx.busybox, config: { Cmd: ['sh'],
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] } })),

  // A4: platform selection.
  'multiarch-oci': multiArch('oci'),
  'multiarch-docker': multiArch('docker'),
  // An index whose first entry is another index (holding the amd64 image), then arm64.
  'multiarch-nested': (dir, ctx) => {
    initLayout(dir);
    const inner = addIndex(dir, 'oci', [archImage(dir, ctx, 'oci', { architecture: 'amd64', os: 'linux' })]);
    const arm64 = archImage(dir, ctx, 'oci', { architecture: 'arm64', os: 'linux' });
    tagLayout(dir, 'latest', addIndex(dir, 'oci', [inner, arm64]));
  },

  // A3: the tar of the second layer does not match its rootfs.diff_ids entry.
  'bad-diff-id': image((ctx) => ({ layers: [...ctx.busybox,
    { tar: tarLayer([{ name: 'diff-id.txt', content: 'the config lies about me\n' }]), diffId: `sha256:${'0'.repeat(64)}` }],
  })),

  // A3: a manifest whose config has a media type no runtime knows (an OCI artifact, not an image).
  'unknown-config': (dir) => {
    initLayout(dir);
    const config = writeBlob(dir, Buffer.from('{"not":"an image config"}'), 'application/vnd.example.unknown.config.v1+json');
    const blob = writeBlob(dir, Buffer.from('artifact payload\n'), 'application/octet-stream');
    tagLayout(dir, 'latest', writeBlob(dir, Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [blob],
    })), MEDIA.ociManifest));
  },

  // A6: foreign layers whose URL is the cloud metadata address: never fetched, never sent
  // credentials. The blob is in the layout (for serveLayoutBlobs) but not pushed.
  'foreign-docker': image((ctx) => ({ format: 'docker', layers: [...ctx.busybox,
    { tar: tarLayer([{ name: 'foreign.txt', content: 'foreign\n' }]), urls: ['http://169.254.169.254/latest/layer.tar.gz'] }],
  })),
  'foreign-oci': image((ctx) => ({ layers: [...ctx.busybox,
    { tar: tarLayer([{ name: 'foreign.txt', content: 'foreign\n' }]), urls: ['http://169.254.169.254/latest/layer.tar.gz'] }],
  })),

  // B2: hostile names and links.
  'hostile-dotdot': hostile([{ name: '../../../../tmp/tsdocker-pwn', content: 'escaped\n' }]),
  'hostile-absolute': hostile([{ name: '/etc/passwd', content: 'root::0:0::/:/bin/sh\n' },
    { name: '/tsdocker-abs', content: 'absolute\n' }]),
  'hostile-symlink-dir': hostile([{ name: 'etc', type: 'symlink', linkname: '/etc' },
    { name: 'etc/passwd', content: 'root::0:0::/:/bin/sh\n' }]),
  'hostile-symlink-later': hostile(
    [{ name: 'x', type: 'symlink', linkname: '/etc/passwd' }, { name: 'd', type: 'symlink', linkname: '/tmp' }],
    [{ name: 'x', content: 'overwrote through a symlink\n' }, { name: 'd/tsdocker-pwn', content: 'escaped\n' }]),
  'hostile-symlink-chmod': hostile([{ name: 'x', type: 'symlink', linkname: '/' },
    { name: 'x/', type: 'dir', mode: 0o777 }]),
  'hostile-hardlink': hostile([{ name: 'h', type: 'hardlink', linkname: '../../etc/passwd' }]),
  'hostile-hardlink-symlink': hostile([{ name: 'lnk', type: 'symlink', linkname: '/etc/shadow' },
    { name: 'h', type: 'hardlink', linkname: 'lnk', mode: 0o777 }]),
  'hostile-same-path': hostile([{ name: 'p', content: 'first\n' },
    { name: 'p', type: 'symlink', linkname: '/etc/passwd' }]),
  'bad-whiteout-empty': hostile([{ name: 'a/' }, { name: 'a/.wh.' }]),
  'bad-whiteout-dot': hostile([{ name: 'a/' }, { name: 'a/.wh..' }]),
  'bad-whiteout-dotdot': hostile([{ name: 'a/' }, { name: 'a/.wh...' }]),
  'bad-whiteout-escape': hostile([{ name: 'a/' }, { name: 'a/.wh.../../etc' }]),
};

export type EdgeImageName = keyof typeof EDGE_IMAGES;
