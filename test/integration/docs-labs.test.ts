// docs/labs.md: every ```sh lab NAME block is run as written, in order, against a test registry
// standing in for Docker Hub, and what it prints is checked here, so the labs never rot.
// docs/how-a-container-is-made.md: its --trace lines are checked against a real run.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeBlocks, docEnv, ROOT_DIR, type DocEnv } from './docs-support';
import { skip } from './run-support';

type Result = { status: number; stdout: string; stderr: string };

const NAMESPACES_NEW = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts'];

/** What each lab must print. A lab in the markdown without a check here fails the test. */
const CHECKS: Record<string, (r: Result) => void> = {
  namespaces(r) {
    assert.equal(r.status, 0, r.stderr);
    const [host, inside] = r.stdout.split('---\n').map(nsMap);
    assert.match(r.stdout, /^my pid: 1$/m);
    for (const ns of NAMESPACES_NEW) assert.notEqual(inside[ns], host[ns], `${ns} differs`);
    for (const ns of ['user', 'time']) assert.equal(inside[ns], host[ns], `${ns} is shared`);
  },
  'memory-limit'(r) {
    assert.match(r.stdout, /^\[trace\] cgroup: write \/sys\/fs\/cgroup\/.*memory\.(limit_in_bytes|max) = 33554432$/m);
  },
  'memory-oom'(r) {
    assert.match(r.stdout, /^exit status: 137\nOOMKilled=true\nhog\n$/);
  },
  layers(r) {
    assert.equal(r.status, 0, r.stderr);
    const [lower, ...files] = r.stdout.trimEnd().split('\n');
    assert.match(lower, /\/image\/layers\/[a-f0-9]{64}\/diff$/);
    assert.ok(files.includes('bin') && files.includes('etc'), r.stdout);
  },
  'overlay-mount'(r) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^overlay \S+\/rootfs overlay rw$/m);
    // The image's init layer on top (busybox lacks /etc/hosts and the like), then its one layer.
    assert.match(r.stdout, /^lowerdir=layers\/[0-9a-f]{64}\/init:l\/[A-Z0-9]{26}$/m);
    assert.match(r.stdout, /^upperdir=\S+\/upper$/m);
    assert.match(r.stdout, /^workdir=\S+\/work$/m);
    assert.match(r.stdout, /^lab-overlay$/m);
  },
  whiteout(r) {
    assert.match(r.stderr, /ls: \/bin\/vi: No such file or directory/);
    assert.match(r.stdout, /^hello\n\S+\/upper\/bin\/vi: character special file 0,0\nlab-wh\n$/);
  },
  nsenter(r) {
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines.shift()!, /^[a-f0-9]{64}$/, 'run -d prints the id');
    assert.match(lines[0], /^host pid of the container's PID 1: \d+$/);
    assert.equal(lines[1], 'labhost');
    assert.match(r.stdout, /^\s+1 sleep 600$/m);
    assert.match(r.stdout, /^\s+\d+ ps -o pid,args$/m);
    assert.equal(lines.filter((l) => /^\s+\d+ /.test(l)).length, 2, 'only the container and ps');
    assert.match(r.stdout, /^lab-ns$/m);
  },
  exec(r) {
    assert.equal(r.status, 0, r.stderr);
    const caps = [...r.stdout.matchAll(/^CapEff:\s+([0-9a-f]+)$/gm)].map((m) => m[1]);
    assert.equal(caps.length, 2);
    assert.equal(caps[0], '00000000a80425fb', 'exec: the container\'s capabilities');
    assert.notEqual(caps[1], caps[0], 'nsenter: all of root\'s');
    assert.match(r.stdout, /^labhost$/m);
    assert.match(r.stdout, /^\s+1 sleep 600$/m);
  },
};

/** A documented trace line as a pattern: each <placeholder> stands for some text; "<controller>/"
 *  may be empty (cgroup v2 has one tree, v1 one per controller). */
function traceRegExp(line: string): RegExp {
  const parts = line.split(/(<controller>\/|<[^>]+>)/).map((p, i) => {
    if (i % 2 === 0) return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return p === '<controller>/' ? '(?:[^/ ]+/)?' : '.+?';
  });
  return new RegExp(`^${parts.join('')}$`, 'm');
}

function nsMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^(\w+):\[(\d+)\]$/gm)) out[m[1]] = m[2];
  return out;
}

const labsFile = path.join(ROOT_DIR, 'docs', 'labs.md');
const labs = codeBlocks(fs.readFileSync(labsFile, 'utf8')).filter((b) => b.info[0] === 'sh' && b.info[1] === 'lab');
const nsenterMissing = !['/usr/bin/nsenter', '/bin/nsenter'].some((f) => fs.existsSync(f));

describe('docs/labs.md', { skip }, () => {
  let e: DocEnv;
  before(async () => {
    e = await docEnv();
    const pulled = await e.sh('tsdocker pull -q busybox');
    assert.equal(pulled.status, 0, pulled.stderr);
  });
  after(async () => { await e?.cleanup(); });

  test('how-a-container-is-made.md: each trace line it shows, a real pull and run print', async () => {
    const doc = fs.readFileSync(path.join(ROOT_DIR, 'docs', 'how-a-container-is-made.md'), 'utf8');
    const blocks = codeBlocks(doc);
    const commands = blocks.find((b) => b.info[0] === 'sh')!.text;
    assert.match(commands, /^tsdocker --trace pull busybox\ntsdocker --trace run --rm busybox true\n$/);
    assert.equal((await e.sh('tsdocker rmi busybox')).status, 0);
    const r = await e.sh(commands);
    assert.equal(r.status, 0, r.stderr);
    const lines = blocks.filter((b) => b.info[0] === 'text' && b.info[1] === 'trace').flatMap((b) => b.text.trimEnd().split('\n'));
    assert.ok(lines.length > 20);
    for (const line of lines) assert.match(r.stderr, traceRegExp(line));
  });

  test('every lab has a check, and every check a lab', () => {
    assert.deepEqual(labs.map((l) => l.info[2]).sort(), Object.keys(CHECKS).sort());
  });

  for (const lab of labs) {
    const name = lab.info[2];
    const needs = /\bnsenter\b/.test(lab.text) && nsenterMissing ? 'needs nsenter (util-linux)' : false;
    test(`lab ${name}`, { skip: needs }, async (t) => {
      if (/tsdocker exec/.test(lab.text) && (await e.sh('tsdocker exec --help')).status !== 0) {
        t.skip('tsdocker exec is not there yet');
        return;
      }
      const r = await e.sh(lab.text);
      CHECKS[name]?.(r);
    });
  }
});
