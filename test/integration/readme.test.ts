// Every command line shown in README.md (its indented code blocks) runs here as written, against
// a test registry standing in for Docker Hub. Lines that cannot run in a test are listed with the
// reason; a new command in the README fails this test until it runs or is listed.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { docEnv, indentedBlocks, ROOT_DIR, type DocEnv } from './docs-support';
import { skip } from './run-support';

const NOT_HERE: [RegExp, string][] = [
  [/^npm (install|test)\b/, 'the set-up and the test suite itself'],
  [/^vagrant /, 'needs VirtualBox (the Vagrantfile is checked by course-setup.test.ts)'],
  [/ -it /, 'needs a terminal (run-tty.test.ts covers -it)'],
  [/^npm run bench:/, 'benchmarks are run by hand, never as a timed test'],
];

/** The command lines of the README: indented blocks, minus JSON, comments stripped. */
function readmeCommands(): string[] {
  const md = fs.readFileSync(path.join(ROOT_DIR, 'README.md'), 'utf8');
  return indentedBlocks(md).flatMap((b) => b.split('\n'))
    .filter((l) => /^[a-z]/.test(l) && !/^reference /.test(l))
    .map((l) => l.replace(/\s+# .*$/, '').trim());
}

describe('README.md', { skip }, () => {
  let e: DocEnv;
  before(async () => { e = await docEnv(); });
  after(async () => { await e?.cleanup(); });

  test('every command shown runs, or says why it cannot here', async (t) => {
    const lines = readmeCommands();
    assert.ok(lines.some((l) => l.startsWith('tsdocker pull busybox')), lines.join('\n'));
    for (const line of lines) {
      const why = NOT_HERE.find(([re]) => re.test(line));
      if (why) {
        t.diagnostic(`not run: ${line} (${why[1]})`);
        continue;
      }
      const r = await e.sh(line);
      assert.equal(r.status, 0, `${line}\n${r.stdout}${r.stderr}`);
      if (line.startsWith('tsdocker images')) assert.match(r.stdout, /^busybox {3,}latest /m);
      if (line.includes('--trace run')) assert.match(r.stderr, /^\[trace\] exec: execve\("\/bin\/true"/m);
    }
  });
});
