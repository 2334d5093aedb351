// Benchmark: `tsdocker run --rm busybox true` against `podman run --rm` (same image, same
// registry) and against a bare `node -e 0`, alternating; medians and ratios.
//   node dist/bench/run.js [runs]
// Targets (issue 3): at most 0.6x podman's time, and at most 40 ms above `node -e 0`.
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startRegistry } from '../test/support/registry';
import { pushFixture } from '../test/support/fixtures';
import { TSDOCKER, median, report, setUpPodman, tempDir, timed } from './common';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  setUpPodman();
  const reg = await startRegistry({ auth: 'none' });
  const root = tempDir('root');
  const proot = tempDir('podman');
  const podman = ['podman', '--root', `${proot}/root`, '--runroot', `${proot}/run`, '--storage-driver', 'overlay'];
  try {
    await pushFixture(reg, 'busybox', 'busybox:latest');
    const image = `${reg.host}/busybox:latest`;
    fs.writeFileSync(`${root}/config.json`, JSON.stringify({ 'insecure-registries': [reg.host] }));
    const env = { ...process.env, TSDOCKER_CONFIG: `${root}/config.json` };
    timed([TSDOCKER, '--root', root, 'pull', '-q', image], env);
    timed([...podman, 'pull', '-q', '--tls-verify=false', image]);

    const ours: number[] = [];
    const theirs: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(timed([TSDOCKER, '--root', root, 'run', '--rm', image, 'true'], env).ms);
      theirs.push(timed([...podman, 'run', '--rm', '--network', 'none', image, 'true']).ms);
      bare.push(timed([process.execPath, '-e', '0']).ms);
    }
    const [t, p, n] = [median(ours), median(theirs), median(bare)];
    report([
      ['runs', String(runs)],
      ['tsdocker run --rm true', `${t.toFixed(0)} ms`],
      ['podman run --rm true', `${p.toFixed(0)} ms`],
      ['node -e 0', `${n.toFixed(0)} ms`],
      ['ratio tsdocker/podman', (t / p).toFixed(2)],
      ['tsdocker - node', `${(t - n).toFixed(0)} ms`],
    ]);
  } finally {
    spawnSync(podman[0], [...podman.slice(1), 'rm', '-af']);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(proot, { recursive: true, force: true });
    await reg.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
