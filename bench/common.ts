// Shared pieces of the benchmark scripts: a real registry with a fixture image, podman set up to
// run on this machine, and timing of alternating runs. Benchmarks print ratios measured in one run
// beside a peer; they are never timed tests.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TSDOCKER = path.resolve(__dirname, '..', '..', 'bin', 'tsdocker');

export interface Timed { ms: number; maxRssKb: number }

/** Run a command under /usr/bin/time: wall time and peak resident memory of the process tree's largest. */
export function timed(cmd: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...cmd], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr}`);
  const maxRssKb = Number(r.stderr.trim().split('\n').pop());
  return { ms, maxRssKb };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * podman needs two settings to run on this machine (hybrid cgroups, low default ulimits):
 * runc instead of crun, and explicit ulimits. Written only if the file does not exist yet.
 */
export function setUpPodman(): void {
  if (spawnSync('podman', ['--version']).status !== 0) {
    throw new Error('podman is not installed: apt-get install -y podman runc');
  }
  const conf = '/etc/containers/containers.conf';
  if (!fs.existsSync(conf)) {
    fs.mkdirSync(path.dirname(conf), { recursive: true });
    fs.writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n\n' +
      '[engine]\nruntime = "runc"\n');
  }
}

/** podman with a store of its own under `dir`, so a benchmark never touches the host's images. */
export function podmanIn(dir: string): string[] {
  return ['podman', '--root', `${dir}/root`, '--runroot', `${dir}/run`, '--storage-driver', 'overlay'];
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', `tsdocker-bench-${label}-`));
}

/** Printed after a measurement: the target for it, and whether this run met it. */
export function verdict(met: boolean, target: string): string {
  return `   (target: ${target}; ${met ? 'met' : 'NOT met'})`;
}

export function report(rows: Array<[string, string]>): void {
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}
