import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { checkMagic, compressionOf, decompressor, ZstdBlockSplitter } from '../../src/image/decompress';
import { DigestStream, digestAlgorithm } from '../../src/image/digest';

function zstd(data: Buffer, ...args: string[]): Buffer {
  const result = spawnSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr?.toString());
  return result.stdout;
}

/** Run data through the stages for a media type; returns what came out. */
async function decode(data: Buffer, mediaType: string, chunk = 1000): Promise<Buffer> {
  const kind = compressionOf(mediaType);
  const out: Buffer[] = [];
  const pieces = [];
  for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk));
  const stage = decompressor(kind);
  await pipeline([Readable.from(pieces), checkMagic(kind, mediaType), ...(stage ? [stage] : []),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const b of source) out.push(b);
    }] as unknown as NodeJS.ReadWriteStream[]);
  return Buffer.concat(out);
}

const DATA = Buffer.concat([crypto.randomBytes(200_000), Buffer.alloc(1_000_000), Buffer.from('end')]);

test('media types choose the decompressor', () => {
  assert.equal(compressionOf('application/vnd.oci.image.layer.v1.tar'), 'none');
  assert.equal(compressionOf('application/vnd.oci.image.layer.v1.tar+gzip'), 'gzip');
  assert.equal(compressionOf('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
  assert.equal(compressionOf('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'), 'gzip');
  assert.equal(compressionOf('application/vnd.oci.image.layer.nondistributable.v1.tar+zstd'), 'zstd');
  assert.throws(() => compressionOf('application/octet-stream'), /unsupported layer media type application\/octet-stream/);
});

test('gzip, zstd and plain round-trip, in any chunking', async () => {
  for (const chunk of [7, 1000, 1 << 20]) { // 7 bytes: every header split across chunks
    assert.ok((await decode(zlib.gzipSync(DATA), 'application/vnd.oci.image.layer.v1.tar+gzip', chunk)).equals(DATA));
    assert.ok((await decode(zstd(DATA), 'application/vnd.oci.image.layer.v1.tar+zstd', chunk)).equals(DATA));
    assert.ok((await decode(DATA, 'application/vnd.oci.image.layer.v1.tar', chunk)).equals(DATA));
  }
});

test('zstd: several frames, no checksum, and skippable frames', async () => {
  const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18]), Buffer.from([5, 0, 0, 0]), Buffer.from('hello')]);
  const a = zstd(DATA.subarray(0, 500_000), '--no-check');
  const b = zstd(DATA.subarray(500_000), '-19');
  const joined = Buffer.concat([a, skippable, b]);
  assert.ok((await decode(joined, 'application/vnd.oci.image.layer.v1.tar+zstd', 333)).equals(DATA));
});

test('zstd pieces end at block ends, so one push decodes at most one block', () => {
  const data = zstd(Buffer.alloc(10 << 20)); // 80 RLE blocks of 128 KiB in a few hundred bytes
  const pieces = [...new ZstdBlockSplitter().split(data)];
  assert.ok(pieces.length >= 80, `${pieces.length} pieces`);
  assert.ok(Buffer.concat(pieces).equals(data));
});

test('magic numbers must agree with the media type', async () => {
  await assert.rejects(decode(zlib.gzipSync(DATA), 'application/vnd.oci.image.layer.v1.tar+zstd'), /layer data is gzip but its media type is/);
  await assert.rejects(decode(zstd(DATA), 'application/vnd.oci.image.layer.v1.tar'), /layer data is zstd but/);
  await assert.rejects(decode(DATA, 'application/vnd.docker.image.rootfs.diff.tar.gzip'), /layer data is not compressed but/);
  assert.equal((await decode(Buffer.alloc(0), 'application/vnd.oci.image.layer.v1.tar')).length, 0);
});

test('digests', async () => {
  const tap = new DigestStream();
  await pipeline(Readable.from([Buffer.from('abc')]), tap, async function* (s: AsyncIterable<Buffer>) {
    for await (const _chunk of s) { /* drain */ }
  });
  assert.equal(tap.digest(), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(tap.bytes, 3);
  assert.equal(digestAlgorithm('sha512:' + 'a'.repeat(128)), 'sha512');
  assert.throws(() => digestAlgorithm('sha256:ABC'), /malformed digest/);
  assert.throws(() => digestAlgorithm('md5:' + 'a'.repeat(32)), /malformed digest/);
});

