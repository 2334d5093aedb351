// Shared by the run-*.test.ts files: a real registry on 127.0.0.1 serving the busybox fixture,
// pulled once into a fresh tsdocker root, and a way to run the tsdocker CLI as a separate process
// against that root, as a student would.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pushFixture, type FixtureName } from '../support/fixtures';
import { startRegistry, type TestRegistry } from '../support/registry';

export const ROOT_DIR = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT_DIR, 'bin', 'tsdocker');
const HELPER = path.join(ROOT_DIR, 'native', 'tsdocker-runtime');

export const isRoot = process.getuid?.() === 0;
export const skip = !isRoot ? 'needs root' : !fs.existsSync('/bin/busybox') ? 'needs busybox-static' :
  !fs.existsSync('/usr/bin/docker-registry') ? 'needs docker-registry' :
  !fs.existsSync(HELPER) ? 'needs native/tsdocker-runtime (make -C native)' : false;

export interface Env {
  root: string;
  image: string;
  /** the extra fixtures asked for, by fixture name: "127.0.0.1:PORT/<name>:latest" */
  images: Record<string, string>;
  env: NodeJS.ProcessEnv;
  registry: TestRegistry;
  /** tsdocker cgroups that existed before this setup (another root's, still being removed): not ours */
  foreignCgroups: Set<string>;
  cleanup(): Promise<void>;
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** A registry with busybox (and `extra` fixtures), and a tsdocker root that has pulled them. */
export async function setup(extra: FixtureName[] = []): Promise<Env> {
  const registry = await startRegistry({ auth: 'none' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-run-'));
  try {
    const image = await pushFixture(registry, 'busybox', 'busybox:latest');
    const images: Record<string, string> = {};
    for (const name of extra) images[name] = await pushFixture(registry, name, `${name}:latest`);
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ 'insecure-registries': [registry.host] }));
    const root = path.join(dir, 'root');
    const env: NodeJS.ProcessEnv = { ...process.env, TSDOCKER_ROOT: root, TSDOCKER_CONFIG: config,
      DOCKER_CONFIG: path.join(dir, 'docker') };
    delete env.TSDOCKER_TRACE;
    const e: Env = {
      root, image, images, env, registry, foreignCgroups: new Set(containerCgroups()),
      async cleanup() {
        // Whatever a failed test left running or mounted goes first, then the files.
        tsdockerSync(e, ['rm', '-f', '-v', ...listAll(e)]);
        spawnSync('umount', ['-R', '-l', root], { stdio: 'ignore' });
        fs.rmSync(dir, { recursive: true, force: true });
        await registry.stop();
      },
    };
    for (const ref of [image, ...Object.values(images)]) {
      const pulled = tsdockerSync(e, ['pull', '-q', ref]);
      if (pulled.status !== 0) throw new Error(`pull ${ref}: ${pulled.stderr}`);
    }
    return e;
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    await registry.stop();
    throw err;
  }
}

function listAll(e: Env): string[] {
  return tsdockerSync(e, ['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
}

function command(args: string[]): string[] {
  return [BIN, ...args];
}

export function tsdockerSync(e: Env, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Result {
  const r = spawnSync(process.execPath, command(args), {
    env: { ...e.env, ...opts.env }, input: opts.input ?? '', encoding: 'utf8', timeout: 120_000,
  });
  return { status: r.status ?? 128 + 9, stdout: r.stdout, stderr: r.stderr };
}

/** The same, asynchronously, for tests that act while the container runs. */
export function tsdockerAsync(e: Env, args: string[]) {
  return spawn(process.execPath, command(args), { env: e.env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Start `run --name NAME ...` in the background and wait until ps shows it Up. */
export async function background(e: Env, name: string, args: string[]) {
  const child = tsdockerAsync(e, ['run', '--name', name, ...args]);
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 137)));
  let done = false;
  void exited.then(() => { done = true; });
  await waitFor(`${name} to run`, () => {
    if (done) throw new Error(`run ${name} exited early: ${stderr}`);
    const ps = tsdockerSync(e, ['ps', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return /^Up /.test(ps.find((c) => c.Names === name)?.Status ?? '');
  });
  return { child, exited };
}

/** Wait for a condition the kernel reports (not a fixed sleep): polls every 20 ms, up to `ms`. */
export async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The host's mounts under the test's root and the containers' cgroups (tsdocker/<64-hex id>),
 *  to compare before and after. Other tests may run beside these on the same host, so their
 *  mounts and cgroups (other roots, the runtime tests' rt-* cgroups) are left out. */
export function hostSnapshot(e: Env): { mounts: string[]; cgroups: string[]; parents: string[] } {
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .filter((l) => l.includes(e.root)).sort();
  // The tsdocker/ parents too: the last container cgroup takes its parent with it.
  const { cgroupParents } = require(path.join(ROOT_DIR, 'test', 'host-leaks.js')) as { cgroupParents(): string[] };
  return { mounts, cgroups: containerCgroups().filter((c) => !e.foreignCgroups.has(c)), parents: cgroupParents().sort() };
}

/** Every container cgroup (tsdocker/<64 hex>) in every hierarchy. */
function containerCgroups(): string[] {
  const cgroups: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of names) {
      if (!d.isDirectory()) continue;
      const p = path.join(dir, d.name);
      if (/\/tsdocker\/[a-f0-9]{64}$/.test(p)) cgroups.push(p);
      if (depth < 3) walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return cgroups.sort();
}
