// `commit`: a container's added, changed and deleted files become a layer of a new image that runs
// at once, shows in `images`, and keeps deleted files deleted. Checked from inside new containers.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as crypto from 'node:crypto';
import { setup, skip, tsdockerSync, hostSnapshot, type Env } from './run-support';

describe('commit', { skip }, () => {
  let e: Env;
  before(async () => { e = await setup(); });
  after(async () => { await e?.cleanup(); });
  const ts = (args: string[]) => tsdockerSync(e, args);
  const ok = (args: string[]) => {
    const r = ts(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  test('added, changed and deleted files; the image runs and shows in images', () => {
    const before = hostSnapshot(e);
    ok(['run', '--name', 'c1', e.image, 'sh', '-c',
      'echo new > /added; echo changed > /etc/motd; rm /bin/vi; mkdir -p /data/sub; echo x > /data/sub/f; ' +
      'rm -rf /home; mkdir /home; echo only > /home/only; ln /added /added-link; ln -s /added /added-sym']);
    const out = ok(['commit', '-m', 'my change', '-a', 'Student <s@example.org>', 'c1', 'mine:v1']);
    assert.match(out, /^sha256:[a-f0-9]{64}\n$/);
    const id = out.trim();

    const seen = ok(['run', '--rm', 'mine:v1', 'sh', '-c',
      'cat /added /etc/motd /data/sub/f; test -e /bin/vi && echo vi-present; ls -a /home; ls /home/student 2>&1; ' +
      'cat /added-link; readlink /added-sym; stat -c %h /added']);
    assert.equal(seen, 'new\nchanged\nx\n.\n..\nonly\nls: /home/student: No such file or directory\nnew\n/added\n2\n');

    const images = ok(['images', '--format', 'json']).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const row = images.find((i) => i.Repository === 'mine' && i.Tag === 'v1');
    assert.ok(row, 'mine:v1 in images');
    assert.equal(row.ID, id.slice(7, 19));

    const [img] = JSON.parse(ok(['image', 'inspect', 'mine:v1']));
    assert.equal(img.Id, id);
    assert.equal(img.Author, 'Student <s@example.org>');
    assert.equal(img.Comment, 'my change');
    const [base] = JSON.parse(ok(['image', 'inspect', e.image]));
    assert.equal(img.Parent, base.Id);
    assert.deepEqual(img.RootFS.Layers.slice(0, -1), base.RootFS.Layers);
    assert.equal(img.RootFS.Layers.length, base.RootFS.Layers.length + 1);

    // The blobs push/save need: config, an OCI manifest naming every layer, the new layer gzipped.
    const blobs = path.join(e.root, 'image', 'blobs', 'sha256');
    const manifest = JSON.parse(fs.readFileSync(path.join(blobs, img.Metadata.ManifestDigest.slice(7)), 'utf8'));
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.config.digest, id);
    assert.equal(manifest.layers.length, img.RootFS.Layers.length);
    const top = manifest.layers.at(-1);
    const gz = fs.readFileSync(path.join(blobs, top.digest.slice(7)));
    assert.equal(gz.length, top.size);
    assert.equal('sha256:' + crypto.createHash('sha256').update(gz).digest('hex'), top.digest);
    const tarBytes = zlib.gunzipSync(gz);
    assert.equal('sha256:' + crypto.createHash('sha256').update(tarBytes).digest('hex'), img.RootFS.Layers.at(-1));
    const names = tarNames(tarBytes);
    assert.ok(names.includes('bin/.wh.vi'), names.join(' '));
    assert.ok(names.includes('home/.wh..wh..opq'), names.join(' '));
    // The runtime's empty mount points are not part of the image.
    for (const n of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) assert.ok(!names.includes(n), n);

    ok(['rm', 'c1']);
    ok(['rmi', 'mine:v1']);
    assert.deepEqual(hostSnapshot(e), before);
  });

  test('-c changes the config; no name gives an untagged image; errors are one line', () => {
    ok(['run', '--name', 'c2', e.image, 'true']);
    const id = ok(['commit', '-c', 'CMD ["echo", "from-cmd"]', '-c', 'ENV GREETING=hi THERE="a b"', '-c', 'WORKDIR /srv',
      '-c', 'EXPOSE 8080', '-c', 'LABEL course=os', '-c', 'USER student', 'c2']).trim();
    assert.equal(ok(['run', '--rm', id]), 'from-cmd\n');
    assert.equal(ok(['run', '--rm', id, 'sh', '-c', 'echo $GREETING $THERE; pwd; id -u']), 'hi a b\n/srv\n1000\n');
    const [img] = JSON.parse(ok(['image', 'inspect', id]));
    assert.deepEqual(img.Config.ExposedPorts, { '8080/tcp': {} });
    assert.equal(img.Config.Labels.course, 'os');
    assert.deepEqual(img.RepoTags, []);

    const bad = ts(['commit', '-c', 'RUN true', 'c2']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /^tsdocker: commit --change: RUN is not supported/);
    const missing = ts(['commit', 'no-such-container']);
    assert.equal(missing.status, 125);
    assert.match(missing.stderr, /no such container: no-such-container/);
    ok(['rm', 'c2']);
    ok(['rmi', id]);
  });
});

/** Entry names of an uncompressed tar (ustar; PAX long names are not used in this test). */
function tarNames(buf: Buffer): string[] {
  const names: string[] = [];
  for (let off = 0; off + 512 <= buf.length;) {
    const name = buf.subarray(off, off + 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') break;
    const prefix = buf.subarray(off + 345, off + 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(buf.subarray(off + 124, off + 136).toString('utf8').trim() || '0', 8);
    names.push((prefix ? prefix + '/' : '') + name.replace(/\/$/, ''));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}
