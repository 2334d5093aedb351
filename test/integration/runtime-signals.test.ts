// Signals and PID 1: what reaches the container, and who reaps its orphans. Needs root.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { MAIN, hostState, makeBundle, newId, removeBundle, runMain, skip } from './runtime-support';
import { INIT_ANNOTATION } from '../../src/runtime/spec';

let initial = '';
before(() => { if (!skip) initial = hostState(); });
after(() => { if (!skip) assert.equal(hostState(), initial, 'mounts or cgroups left behind'); });

/** Start the bundle, wait until the container prints "ready", send `sig` to the Node side. */
function signalWhenReady(bundle: string, sig: NodeJS.Signals): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--id', newId(), bundle], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('ready\n')) {
        sent = true;
        child.kill(sig);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

test('SIGTERM sent to tsdocker reaches the container\'s process', { skip }, async () => {
  const bundle = makeBundle(['probe', 'signal']);
  try {
    const r = await signalWhenReady(bundle, 'SIGTERM');
    assert.equal(r.stdout, 'ready\ngot signal 15\n');
    assert.equal(r.code, 0);
  } finally {
    removeBundle(bundle);
  }
});

test('SIGINT (Ctrl-C without -t) reaches the container\'s process', { skip }, async () => {
  const bundle = makeBundle(['probe', 'signal']);
  try {
    const r = await signalWhenReady(bundle, 'SIGINT');
    assert.equal(r.stdout, 'ready\ngot signal 2\n');
  } finally {
    removeBundle(bundle);
  }
});

test('--init: SIGTERM reaches a command that never expected to be PID 1', { skip }, async () => {
  // sh as PID 1 has no SIGTERM handler, so the kernel would drop the signal; as PID 2 it dies of it.
  const bundle = makeBundle(['sh', '-c', 'echo ready; while :; do sleep 1; done'],
    (s) => { s.annotations = { [INIT_ANNOTATION]: 'true' }; });
  try {
    const r = await signalWhenReady(bundle, 'SIGTERM');
    assert.equal(r.code, 128 + 15);
  } finally {
    removeBundle(bundle);
  }
});

test('--init reaps orphaned zombies; without it they stay', { skip }, async () => {
  for (const [init, expected] of [[true, 'reaped\n'], [false, 'zombie\n']] as const) {
    const bundle = makeBundle(['probe', 'orphans'], (s) => {
      if (init) s.annotations = { [INIT_ANNOTATION]: 'true' };
    });
    try {
      const r = await runMain(bundle);
      assert.equal(r.stdout, expected, `init=${init}: ${r.stderr}`);
    } finally {
      removeBundle(bundle);
    }
  }
});

test('--init runs the command as PID 2 under tsdocker:[1:init]', { skip }, async () => {
  const bundle = makeBundle(['sh', '-c', 'cat /proc/1/cmdline; echo; echo $$'],
    (s) => { s.annotations = { [INIT_ANNOTATION]: 'true' }; });
  try {
    const r = await runMain(bundle);
    assert.equal(r.stdout.replace(/\0/g, ''), 'tsdocker:[1:init]\n2\n');
  } finally {
    removeBundle(bundle);
  }
});

test('--init\'s PID 1 runs from a sealed copy, not the host\'s helper file (CVE-2019-5736)', { skip }, async () => {
  const bundle = makeBundle(['readlink', '/proc/1/exe'], (s) => { s.annotations = { [INIT_ANNOTATION]: 'true' }; });
  try {
    const r = await runMain(bundle);
    assert.equal(r.stdout, '/memfd:tsdocker-runtime (deleted)\n');
  } finally {
    removeBundle(bundle);
  }
});
