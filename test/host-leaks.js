'use strict';
// What the test suite must not leave on the host: everything tsdocker makes for a container goes
// with it (issue 3, "Cleanup"), so after the whole suite the host holds no tsdocker mount, veth
// pair, tsdocker or runtime-helper process, no cgroup below a tsdocker/ parent, and no tsdocker/
// parent, that it did not hold before (the last container cgroup takes its parent with it,
// docs/cgroups.md). test/run.js takes a snapshot before the suite and compares after it.
const fs = require('node:fs');
const path = require('node:path');

const CGROUP_ROOT = '/sys/fs/cgroup';

function lines(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function dirs(dir) {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/** The tsdocker/ parents: <root>/tsdocker (v2) and <root>/<hierarchy>/tsdocker (v1, hybrid). */
function cgroupParents() {
  return [path.join(CGROUP_ROOT, 'tsdocker'), ...dirs(CGROUP_ROOT).map((h) => path.join(h, 'tsdocker'))]
    .filter((p) => fs.existsSync(p));
}

/** Processes of tsdocker: the CLI (node running bin/tsdocker) and the runtime helper's stages. */
function processes() {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const comm = lines(`/proc/${pid}/comm`)[0] ?? '';
    const cmdline = (() => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { return ''; } })();
    if (/^tsd:|^tsdocker-runtim/.test(comm) || /\/bin\/tsdocker( |$)/.test(cmdline)) out.push(`${pid} ${comm}: ${cmdline}`);
  }
  return out;
}

function snapshot() {
  return {
    mounts: lines('/proc/self/mounts').filter((l) => l.includes('tsdocker')),
    veths: fs.existsSync('/sys/class/net') ? fs.readdirSync('/sys/class/net').filter((n) => n.startsWith('veth')) : [],
    parents: cgroupParents(),
    cgroups: cgroupParents().flatMap((p) => dirs(p)),
    processes: processes(),
  };
}

/** What is new since `before`, once given up to two seconds to go (a monitor recording an exit). */
function leaks(before) {
  const isNew = (list, old) => list.filter((x) => !old.includes(x));
  let now;
  for (let i = 0; i < 20; i++) {
    now = snapshot();
    const found = {
      mounts: isNew(now.mounts, before.mounts),
      veths: isNew(now.veths, before.veths),
      cgroups: isNew(now.cgroups, before.cgroups),
      'cgroup parents': isNew(now.parents, before.parents),
      processes: isNew(now.processes, before.processes),
    };
    if (Object.values(found).every((l) => l.length === 0)) return undefined;
    if (i === 19) return found;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  return undefined;
}

module.exports = { snapshot, leaks, cgroupParents };
