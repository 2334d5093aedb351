// Benchmark: a 6-step Dockerfile built by `tsdocker build` and by `podman build` (same image, same
// registry, same context): a cold build (empty cache), then a cached rebuild, alternating; medians.
//   node dist/bench/build.js [runs]
// Target (issue 5): the cached rebuild under 0.5x podman's time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startRegistry } from '../test/support/registry';
import { pushFixture } from '../test/support/fixtures';
import { TSDOCKER, median, report, podmanIn, setUpPodman, tempDir, timed, verdict } from './common';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  setUpPodman();
  const reg = await startRegistry({ auth: 'none' });
  const root = tempDir('root');
  const proot = tempDir('podman');
  const ctx = tempDir('context');
  const podman = podmanIn(proot);
  try {
    await pushFixture(reg, 'busybox', 'busybox:latest');
    const image = `${reg.host}/busybox:latest`;
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), [
      `FROM ${image}`,
      'ENV GREETING=hello',
      'WORKDIR /app',
      'COPY . /app/',
      'RUN echo "$GREETING" > /app/built && ls /app > /app/list',
      'CMD ["cat", "/app/built"]',
    ].join('\n') + '\n');
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(ctx, `file${i}.txt`), `file ${i}\n`.repeat(100));
    fs.writeFileSync(`${root}/config.json`, JSON.stringify({ 'insecure-registries': [reg.host] }));
    const env = { ...process.env, TSDOCKER_CONFIG: `${root}/config.json` };
    timed([TSDOCKER, '--root', root, 'pull', '-q', image], env);
    timed([...podman, 'pull', '-q', '--tls-verify=false', image]);

    const cold = { ours: [] as number[], theirs: [] as number[] };
    const warm = { ours: [] as number[], theirs: [] as number[] };
    for (let i = 0; i < runs; i++) {
      cold.ours.push(timed([TSDOCKER, '--root', root, 'build', '--no-cache', '-t', 'bench:1', ctx], env).ms);
      cold.theirs.push(timed([...podman, 'build', '--no-cache', '--network', 'host', '-q', '-t', 'bench:1', ctx]).ms);
      warm.ours.push(timed([TSDOCKER, '--root', root, 'build', '-t', 'bench:1', ctx], env).ms);
      warm.theirs.push(timed([...podman, 'build', '--network', 'host', '-q', '-t', 'bench:1', ctx]).ms);
    }
    const [co, ct, wo, wt] = [median(cold.ours), median(cold.theirs), median(warm.ours), median(warm.theirs)];
    report([
      ['runs', String(runs)],
      ['tsdocker build, cold', `${co.toFixed(0)} ms`],
      ['podman build, cold', `${ct.toFixed(0)} ms`],
      ['ratio cold', (co / ct).toFixed(2)],
      ['tsdocker build, cached', `${wo.toFixed(0)} ms`],
      ['podman build, cached', `${wt.toFixed(0)} ms`],
      ['ratio cached', `${(wo / wt).toFixed(2)}${verdict(wo / wt < 0.5, 'under 0.50')}`],
    ]);
  } finally {
    spawnSync(podman[0], [...podman.slice(1), 'rm', '-af']);
    spawnSync('umount', ['-R', '-l', root], { stdio: 'ignore' });
    for (const d of [root, proot, ctx]) fs.rmSync(d, { recursive: true, force: true });
    await reg.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
