// fsutil's removeTree: the tree leaves its place at once (rename) and is then deleted whole.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeTree } from '../../src/fsutil';

test('removeTree deletes nested dirs, files and symlinks, never what a symlink points to', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-fsutil-'));
  try {
    const outside = path.join(root, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'keep'), 'x');
    const tree = path.join(root, 'tree');
    fs.mkdirSync(path.join(tree, 'a', 'b', 'c'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'a', 'b', 'c', 'f'), 'data');
    fs.writeFileSync(path.join(tree, 'top'), '');
    fs.symlinkSync(outside, path.join(tree, 'a', 'link-to-dir'));
    fs.symlinkSync('/nonexistent', path.join(tree, 'dangling'));
    fs.mkdirSync(path.join(tree, 'empty'));
    removeTree(tree, root);
    assert.equal(fs.existsSync(tree), false);
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
    assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'x');
    removeTree(tree, root); // already gone: nothing to do
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
