// images/: each example is built (busybox for busybox-based ones, the Debian fixture standing in
// for ubuntu:20.04) and the commands of its README are run as written, with the base given as a
// build argument and the web port moved to a free one.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { codeBlocks, docEnv, ROOT_DIR, type DocEnv } from './docs-support';
import { skip } from './run-support';

type Result = { status: number; stdout: string; stderr: string };

interface Example {
  base: 'busybox' | 'debian';
  check(r: Result): void;
}

const EXAMPLES: Record<string, Example> = {
  hello: { base: 'busybox', check(r) {
    assert.match(r.stdout, /^Hello from tsdocker!$/m);
    assert.match(r.stdout, /^This message shows that your installation appears to be working correctly\.$/m);
  } },
  web: { base: 'busybox', check(r) {
    assert.match(r.stdout, /<h1>Hello from a container<\/h1>/);
    assert.match(r.stdout, /^web$/m);
  } },
  cowsay: { base: 'debian', check(r) {
    assert.match(r.stdout, /^ {8}\\ {3}\^__\^$/m, 'the cow');
    assert.match(r.stdout, /Hello from a container/);
  } },
  multistage: { base: 'debian', check(r) {
    assert.match(r.stdout, /^hello from a static binary: pid 1 on demo$/m);
    assert.match(r.stdout, /^multistage {3,}latest /m);
  } },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

describe('images/', { skip }, () => {
  let e: DocEnv;
  let noBuild: string | false = false;
  let noDebian: string | false = false;
  before(async () => {
    e = await docEnv(['busybox']);
    if ((await e.sh('tsdocker build --help')).status !== 0) noBuild = 'tsdocker build does not exist yet';
    try {
      const { pushFixture } = await import('../support/fixtures');
      if (!noBuild) await pushFixture(e.registry, 'debian', 'library/debian:latest');
    } catch (err) {
      noDebian = `no Debian fixture: ${(err as Error).message}`;
    }
  });
  after(async () => { await e?.cleanup(); });

  test('every example has a Dockerfile with ARG BASE, a README, and a check here', () => {
    const dirs = fs.readdirSync(path.join(ROOT_DIR, 'images')).filter((d) => fs.statSync(path.join(ROOT_DIR, 'images', d)).isDirectory());
    assert.deepEqual(dirs.sort(), Object.keys(EXAMPLES).sort());
    for (const d of dirs) {
      assert.match(fs.readFileSync(path.join(ROOT_DIR, 'images', d, 'Dockerfile'), 'utf8'), /^ARG BASE=\S+$/m);
      assert.ok(readmeCommands(d).length > 0, `${d}/README.md has a sh image block`);
    }
  });

  for (const [name, ex] of Object.entries(EXAMPLES)) {
    test(`images/${name}: build and run as its README says`, async (t) => {
      const why = noBuild || (ex.base === 'debian' && noDebian);
      if (why) {
        t.skip(why);
        return;
      }
      const port = await freePort();
      // set -e: the first command that fails is the one reported.
      const script = 'set -e\n' + readmeCommands(name)
        .replace(/^tsdocker build /gm, `tsdocker build --build-arg BASE=${ex.base} `)
        .replace(/\b8080\b/g, String(port));
      const r = await e.sh(script, { cwd: ROOT_DIR, timeoutMs: 900_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      ex.check(r);
    });
  }
});

function readmeCommands(name: string): string {
  const md = fs.readFileSync(path.join(ROOT_DIR, 'images', name, 'README.md'), 'utf8');
  return codeBlocks(md).filter((b) => b.info[0] === 'sh' && b.info[1] === 'image').map((b) => b.text).join('');
}
