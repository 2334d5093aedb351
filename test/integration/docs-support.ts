// Running the commands shown in the docs exactly as a student types them: `tsdocker` on PATH,
// `busybox` meaning Docker Hub's busybox. Docker Hub is out of reach here, so a registry on
// 127.0.0.1 holds the busybox fixture as library/busybox and the engine config names it as the
// Docker Hub mirror ("registry-mirrors"), the set-up the README gives for a classroom offline.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pushFixture, type FixtureName } from '../support/fixtures';
import { startRegistry, type TestRegistry } from '../support/registry';

export const ROOT_DIR = path.join(__dirname, '..', '..', '..');

export interface DocEnv {
  dir: string;
  root: string;
  registry: TestRegistry;
  env: NodeJS.ProcessEnv;
  /** Run a script with bash (no -e: a lab may show a command failing), stdout and stderr apart. */
  sh(script: string, opts?: { cwd?: string; timeoutMs?: number }): Promise<{ status: number; stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}

/** Fixtures to publish as Docker Hub official images (library/NAME:latest on the mirror). */
export async function docEnv(hub: (FixtureName | 'debian')[] = ['busybox']): Promise<DocEnv> {
  const registry = await startRegistry({ auth: 'none' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-docs-'));
  try {
    for (const name of hub) await pushFixture(registry, name, `library/${name}:latest`);
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    // `tsdocker` as `npm install -g` would put it on PATH, running this checkout's build.
    fs.writeFileSync(path.join(bin, 'tsdocker'),
      `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT_DIR, 'bin', 'tsdocker')}" "$@"\n`, { mode: 0o755 });
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ 'registry-mirrors': [`http://${registry.host}`] }));
    const root = path.join(dir, 'root');
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, TSDOCKER_ROOT: root,
      TSDOCKER_CONFIG: config, DOCKER_CONFIG: path.join(dir, 'docker'), HOME: dir };
    delete env.TSDOCKER_TRACE;
    const e: DocEnv = {
      dir, root, registry, env,
      sh: (script, opts = {}) => runShell(script, env, opts.cwd ?? dir, opts.timeoutMs ?? 180_000),
      async cleanup() {
        await runShell('tsdocker rm -f -v $(tsdocker ps -aq) >/dev/null 2>&1', env, dir, 60_000);
        await runShell(`umount -R -l ${root} 2>/dev/null`, env, dir, 60_000);
        fs.rmSync(dir, { recursive: true, force: true });
        await registry.stop();
      },
    };
    return e;
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    await registry.stop();
    throw err;
  }
}

function runShell(script: string, env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-c', script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
    });
  });
}

export interface CodeBlock {
  /** the words after ``` ("sh lab memory" -> ["sh", "lab", "memory"]) */
  info: string[];
  text: string;
}

/** The fenced code blocks of a markdown file, with their info strings (CommonMark "info string"). */
export function codeBlocks(markdown: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```\s*$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    out.push({ info: m[1].trim().split(/\s+/).filter(Boolean), text: m[2] });
  }
  return out;
}

/** The indented (4-space) code blocks of a markdown file, such as the README's command lines. */
export function indentedBlocks(markdown: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let inFence = false;
  let prevBlank = true;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    if (!inFence && line.startsWith('    ') && (prevBlank || current.length)) current.push(line.slice(4));
    else if (line.trim() !== '' || !current.length) {
      if (current.length) out.push(current.join('\n'));
      current = [];
    }
    prevBlank = line.trim() === '';
  }
  if (current.length) out.push(current.join('\n'));
  return out.map((b) => b.replace(/\n+$/, ''));
}
