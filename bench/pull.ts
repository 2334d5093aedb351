// Benchmark: pull the Debian fixture image into an empty store with tsdocker and with podman,
// same registry, same machine, alternating runs; print the wall-time ratio and tsdocker's peak RSS.
//   node dist/bench/pull.js [runs]      (root; builds the Debian fixture with debootstrap once)
// Target (issue 2): tsdocker no slower than podman, under 150 MB peak.
import * as fs from 'node:fs';
import { startRegistry } from '../test/support/registry';
import { pushFixture } from '../test/support/fixtures';
import { TSDOCKER, median, report, podmanIn, setUpPodman, tempDir, timed, verdict } from './common';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  setUpPodman();
  const reg = await startRegistry({ auth: 'none' });
  try {
    await pushFixture(reg, 'debian', 'debian:bookworm');
    const image = `${reg.host}/debian:bookworm`;
    const config = tempDir('config');
    fs.writeFileSync(`${config}/config.json`, JSON.stringify({ 'insecure-registries': [reg.host] }));
    const ours: number[] = [];
    const theirs: number[] = [];
    let peak = 0;
    for (let i = 0; i < runs; i++) {
      const root = tempDir('root');
      const t = timed([TSDOCKER, '--root', root, 'pull', '-q', image],
        { ...process.env, TSDOCKER_CONFIG: `${config}/config.json` });
      ours.push(t.ms);
      peak = Math.max(peak, t.maxRssKb);
      fs.rmSync(root, { recursive: true, force: true });

      const proot = tempDir('podman');
      theirs.push(timed([...podmanIn(proot), 'pull', '-q', '--tls-verify=false', image]).ms);
      fs.rmSync(proot, { recursive: true, force: true });
    }
    report([
      ['runs', String(runs)],
      ['tsdocker pull median', `${median(ours).toFixed(0)} ms`],
      ['podman pull median', `${median(theirs).toFixed(0)} ms`],
      ['ratio tsdocker/podman', `${(median(ours) / median(theirs)).toFixed(2)}${verdict(median(ours) <= median(theirs), 'at most 1.00')}`],
      ['tsdocker peak RSS', `${(peak / 1024).toFixed(1)} MB${verdict(peak / 1024 < 150, 'under 150 MB')}`],
    ]);
    fs.rmSync(config, { recursive: true, force: true });
  } finally {
    await reg.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
