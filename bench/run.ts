// Benchmark: `tsdocker run --rm busybox true` against `podman run --rm` (same image, same
// registry) and against a bare `node -e 0`, alternating; medians and ratios.
//   node dist/bench/run.js [runs]
// Targets (issue 3): at most 0.6x podman's time, and at most 40 ms above `node -e 0`.
// For scale it also times runc alone on a plain bundle: the runtime step by itself.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startRegistry } from '../test/support/registry';
import { pushFixture } from '../test/support/fixtures';
import { TSDOCKER, median, report, podmanIn, setUpPodman, tempDir, timed, verdict } from './common';

/** A bundle for runc alone: the pulled busybox layer copied as a read-only rootfs and `runc spec`'s
 *  defaults (new namespaces, network with lo only), running `true`. No image store, no overlay. */
function runcBundle(root: string): string {
  const dir = tempDir('runc');
  const layers = path.join(root, 'image', 'layers');
  const layer = fs.readdirSync(layers).find((l) => fs.existsSync(path.join(layers, l, 'diff')));
  if (!layer) throw new Error(`no layer in ${layers}`);
  spawnSync('cp', ['-a', path.join(layers, layer, 'diff'), path.join(dir, 'rootfs')]);
  if (spawnSync('runc', ['spec'], { cwd: dir }).status !== 0) throw new Error('runc spec failed');
  const file = path.join(dir, 'config.json');
  const conf = JSON.parse(fs.readFileSync(file, 'utf8'));
  conf.process.terminal = false;
  conf.process.args = ['true'];
  conf.root.readonly = true;
  fs.writeFileSync(file, JSON.stringify(conf));
  return dir;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  setUpPodman();
  const reg = await startRegistry({ auth: 'none' });
  const root = tempDir('root');
  const proot = tempDir('podman');
  let bundle = '';
  const podman = podmanIn(proot);
  try {
    await pushFixture(reg, 'busybox', 'busybox:latest');
    const image = `${reg.host}/busybox:latest`;
    fs.writeFileSync(`${root}/config.json`, JSON.stringify({ 'insecure-registries': [reg.host] }));
    const env = { ...process.env, TSDOCKER_CONFIG: `${root}/config.json` };
    timed([TSDOCKER, '--root', root, 'pull', '-q', image], env);
    timed([...podman, 'pull', '-q', '--tls-verify=false', image]);
    bundle = runcBundle(root);

    // Both with their default network (a bridge, set up by CNI plugins for both) and with none.
    const modes: Array<[string, string[]]> = [['default network', []], ['--network none', ['--network', 'none']]];
    const rows: Array<[string, string]> = [['runs', String(runs)]];
    const bare: number[] = [];
    const runc: number[] = [];
    // NODE_EXTRA_CA_CERTS makes every Node process parse Node's own and the file's certificates as
    // it starts (about 58 ms on the machine this was written on): node -e 0 and tsdocker alike.
    // Shown so that numbers from machines with and without it can be compared.
    const withoutCa = process.env.NODE_EXTRA_CA_CERTS ? { ...process.env, NODE_EXTRA_CA_CERTS: '' } : undefined;
    const bareWithoutCa: number[] = [];
    for (const [label, flags] of modes) {
      const ours: number[] = [];
      const theirs: number[] = [];
      // Each round's own difference: this machine's speed drifts between rounds (node -e 0 from 66
      // to 95 ms within minutes), and the median of the differences follows it where the
      // difference of two medians does not. node -e 0 runs right before tsdocker, so that both
      // follow the same command (podman leaves work running for a moment after it returns).
      const overNode: number[] = [];
      for (let i = 0; i < runs; i++) {
        const node = timed([process.execPath, '-e', '0']).ms;
        bare.push(node);
        ours.push(timed([TSDOCKER, '--root', root, 'run', '--rm', ...flags, image, 'true'], env).ms);
        overNode.push(ours[i] - node);
        theirs.push(timed([...podman, 'run', '--rm', ...flags, image, 'true']).ms);
        if (withoutCa) bareWithoutCa.push(timed([process.execPath, '-e', '0'], withoutCa).ms);
        runc.push(timed(['runc', 'run', '--bundle', bundle, `tsdocker-bench-${process.pid}-${label.length}-${i}`]).ms);
      }
      const [t, p, over] = [median(ours), median(theirs), median(overNode)];
      rows.push([`tsdocker run --rm true (${label})`, `${t.toFixed(0)} ms`],
        [`podman run --rm true (${label})`, `${p.toFixed(0)} ms`],
        [`ratio tsdocker/podman (${label})`, `${(t / p).toFixed(2)}${verdict(t / p <= 0.6, 'at most 0.60')}`],
        [`tsdocker - node -e 0 (${label}; median of each round's difference)`,
          `${over.toFixed(1)} ms${verdict(over <= 40, 'at most 40 ms')}`]);
    }
    rows.push(['node -e 0', `${median(bare).toFixed(0)} ms`]);
    if (withoutCa) rows.push(['node -e 0 with NODE_EXTRA_CA_CERTS unset (it is set here)', `${median(bareWithoutCa).toFixed(0)} ms`]);
    rows.push(['runc run, a plain bundle (no image, no overlay)', `${median(runc).toFixed(0)} ms`]);
    report(rows);
  } finally {
    spawnSync(podman[0], [...podman.slice(1), 'rm', '-af']);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(proot, { recursive: true, force: true });
    if (bundle) fs.rmSync(bundle, { recursive: true, force: true });
    await reg.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
