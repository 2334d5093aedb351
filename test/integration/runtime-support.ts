// Shared by the runtime-*.test.ts files: a bundle made from busybox-static and native/probe, with
// Docker's default spec, and a way to run it through src/runtime/main.ts as a separate process.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RuntimeSpec } from '../../src/runtime/spec';

export const ROOT_DIR = path.join(__dirname, '..', '..', '..');
export const MAIN = path.join(ROOT_DIR, 'dist', 'src', 'runtime', 'main.js');
export const PROBE = path.join(ROOT_DIR, 'native', 'probe');
const BUSYBOX = '/bin/busybox';

export const isRoot = process.getuid?.() === 0;
export const skip = !isRoot ? 'needs root' : !fs.existsSync(BUSYBOX) ? 'needs busybox-static' :
  !fs.existsSync(PROBE) ? 'needs native/probe (make -C native)' : false;

/** Docker's default capability set (moby caps/defaults.go). */
export const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
/** The same set as /proc/self/status prints it. */
export const DOCKER_CAPS_HEX = '00000000a80425fb';

export function dockerSpec(args: string[]): RuntimeSpec {
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: DOCKER_CAPS, effective: DOCKER_CAPS, permitted: DOCKER_CAPS, inheritable: [], ambient: [] },
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'box',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
    ],
    linux: {
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].map((type) => ({ type })),
      maskedPaths: ['/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys',
        '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
        '/sys/firmware', '/sys/devices/virtual/powercap'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

let counter = 0;

/** A unique container id (it names the cgroup tsdocker/<id>). */
export function newId(): string {
  return `rt-${process.pid}-${++counter}`;
}

/** A bundle directory: rootfs with busybox, its applets and /bin/probe, plus config.json. */
export function makeBundle(args: string[], edit?: (spec: RuntimeSpec) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-runtime-'));
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
  fs.copyFileSync(PROBE, path.join(rootfs, 'bin', 'probe'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  fs.chmodSync(path.join(rootfs, 'bin', 'probe'), 0o755);
  const applets = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const a of applets) {
    if (a !== 'busybox') fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  }
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  const spec = dockerSpec(args);
  edit?.(spec);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}

export function removeBundle(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the bundle with src/runtime/main.ts in its own process, stdio as pipes. */
export function runMain(bundle: string, flags: string[] = [], input?: string, opts: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...flags, '--id', newId(), bundle],
      { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** Host mounts of our bundles and our tsdocker cgroups, to check that a test left the host as it
 *  found it. Only our own: other tests may mount and unmount at the same time on a shared host. */
export function hostState(): string {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => l.includes('tsdocker-runtime-')).sort().join('\n');
  const cgroups = ['memory', 'pids', 'cpu', 'unified'].map((c) => {
    const d = path.join('/sys/fs/cgroup', c, 'tsdocker');
    return fs.existsSync(d) ? fs.readdirSync(d).filter((n) => n.startsWith(`rt-${process.pid}-`)).join(',') : '';
  }).join(';');
  return `${mounts}\n${cgroups}`;
}
