// Shared by the pull-*.test.ts files: a tsdocker root and config in a temp dir, and the CLI run
// as a separate process against them, as a student would run it.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'tsdocker');

export interface Cli {
  dir: string;
  root: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], input?: string): { status: number; stdout: string; stderr: string };
  /** The same without blocking this process: needed when a server in this process must answer. */
  runAsync(args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }>;
  spawn(args: string[]): ReturnType<typeof spawn>;
  /** every file under the store with its size: "the store exactly as it was" is equality of this */
  snapshot(): string[];
  cleanup(): void;
}

export function cli(config: object): Cli {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-pull-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const root = path.join(dir, 'root');
  const env: NodeJS.ProcessEnv = { ...process.env, TSDOCKER_ROOT: root, TSDOCKER_CONFIG: path.join(dir, 'config.json'),
    DOCKER_CONFIG: path.join(dir, 'docker') };
  delete env.TSDOCKER_TRACE;
  return {
    dir, root, env,
    run(args, input = '') {
      const r = spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8', timeout: 300_000 });
      return { status: r.status ?? 128 + 9, stdout: r.stdout, stderr: r.stderr };
    },
    runAsync(args, input = '') {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => { stdout += d; });
        child.stderr.on('data', (d) => { stderr += d; });
        child.on('close', (code, signal) => resolve({ status: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr }));
        child.stdin.on('error', () => undefined); // EPIPE: a tsdocker that did not read it and ended
        child.stdin.end(input);
      });
    },
    spawn(args) {
      return spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    snapshot() {
      const out: string[] = [];
      const walk = (d: string) => {
        let entries: fs.Dirent[];
        try {
          entries = fs.readdirSync(d, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const p = path.join(d, e.name);
          // tmp/ is scratch space; only what a later command can see counts.
          if (p === path.join(root, 'tmp')) continue;
          out.push(`${path.relative(root, p)} ${e.isFile() ? fs.statSync(p).size : e.isDirectory() ? 'dir' : 'other'}`);
          if (e.isDirectory()) walk(p);
        }
      };
      walk(root);
      return out.sort();
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
