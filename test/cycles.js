#!/usr/bin/env node
'use strict';
// Fails when src/ has a circular import (as google/zx checks in its test script): a cycle makes
// load order matter and hides which module depends on which. `import type` lines do not count
// (they vanish at compile time), nor do lazy require() calls inside functions.
const fs = require('node:fs');
const path = require('node:path');

const src = path.join(__dirname, '..', 'src');
const graph = new Map();

function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.ts')) graph.set(p, imports(p));
  }
}

function imports(file) {
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  const re = /^import\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'|^export\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm;
  for (let m; (m = re.exec(text));) {
    const base = path.resolve(path.dirname(file), m[1] ?? m[2]);
    const target = [base + '.ts', path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
    if (target) out.push(target);
  }
  return out;
}

walk(src);
const state = new Map(); // undefined: new, 1: on the stack, 2: done
const stack = [];
const cycles = [];
function visit(node) {
  state.set(node, 1);
  stack.push(node);
  for (const next of graph.get(node) ?? []) {
    if (state.get(next) === 1) cycles.push(stack.slice(stack.indexOf(next)).concat(next));
    else if (!state.get(next)) visit(next);
  }
  stack.pop();
  state.set(node, 2);
}
for (const node of graph.keys()) if (!state.get(node)) visit(node);

if (cycles.length) {
  for (const c of cycles) console.error('import cycle: ' + c.map((f) => path.relative(src, f)).join(' -> '));
  process.exit(1);
}
console.log(`no import cycles in ${graph.size} modules`);
