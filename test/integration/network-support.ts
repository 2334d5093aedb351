// Shared by the network-*.test.ts files: what the kernel and tsdocker's files hold for one container,
// so a test can check that `rm` (or a reconcile after kill -9) left nothing of it behind.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import { skip as runSkip, tsdockerSync, type Env } from './run-support';

export const skip = runSkip || (!fs.existsSync('/usr/lib/cni/portmap') ? 'needs containernetworking-plugins' :
  spawnSync('iptables-save', [], { stdio: 'ignore' }).status !== 0 ? 'needs iptables' : false);

/** Address leases live here (host-wide, per boot: src/network/leases.ts). */
const IPAM_DIR = '/run/tsdocker/ipam';
const PORTS_DIR = '/run/tsdocker/ports';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function inspect(e: Env, name: string): any {
  const r = tsdockerSync(e, ['inspect', name]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

/** `run -d`, checked; returns the container id. */
export function runDetached(e: Env, args: string[]): string {
  const r = tsdockerSync(e, ['run', '-d', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** Everything the host holds for one running container's network. */
export interface NetTrace {
  id: string;
  ips: string[];
  hostVeths: string[];
  netns: string;
  ports: string[];
}

export function netTrace(e: Env, id: string): NetTrace {
  const rec = inspect(e, id);
  const ips = Object.values(rec.NetworkSettings.Networks).map((n: any) => n.IPAddress).filter(Boolean); // eslint-disable-line @typescript-eslint/no-explicit-any
  const epRoot = path.join(e.root, 'networks', 'endpoints');
  const hostVeths: string[] = [];
  for (const dir of fs.existsSync(epRoot) ? fs.readdirSync(epRoot) : []) {
    const file = path.join(epRoot, dir, `${id}.json`);
    if (!fs.existsSync(file)) continue;
    const ep = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const i of ep.Result.interfaces) if (!i.sandbox && i.name.startsWith('veth')) hostVeths.push(i.name);
  }
  const ports = Object.values(rec.NetworkSettings.Ports ?? {}).flatMap((l: any) => (l ?? []).map((b: any) => b.HostPort)); // eslint-disable-line @typescript-eslint/no-explicit-any
  return { id, ips, hostVeths, netns: rec.NetworkSettings.SandboxKey, ports };
}

/** iptables rules that name this container (the CNI plugins' comments carry its id). */
export function rulesFor(id: string): string[] {
  const out = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((l) => l.includes(id));
}

export function leased(ip: string): boolean {
  return fs.existsSync(IPAM_DIR) && fs.readdirSync(IPAM_DIR).some((n) => fs.existsSync(path.join(IPAM_DIR, n, ip)));
}

export function linkExists(dev: string): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', dev], { stdio: 'ignore' }).status === 0;
}

function mounted(file: string): boolean {
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === file);
}

/** What must be true while the container runs, so that the "gone" check means something. */
export function assertPresent(t: NetTrace): void {
  assert.ok(t.ips.length > 0 && t.ips.every(leased), `leases for ${t.ips}`);
  assert.ok(rulesFor(t.id).length > 0, 'iptables rules');
  assert.ok(t.hostVeths.length > 0 && t.hostVeths.every(linkExists), 'host veths');
  assert.ok(mounted(t.netns), 'pinned netns');
}

/** A veth pair whose namespace was released goes when the kernel has destroyed the namespace,
 *  in the background, some milliseconds later (src/network/endpoint.ts): wait up to 5 s. */
function vethsLeft(veths: string[]): string[] {
  const deadline = Date.now() + 5000;
  while (veths.some(linkExists) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  return veths.filter(linkExists);
}

export function assertGone(t: NetTrace): void {
  assert.deepEqual(rulesFor(t.id), [], 'iptables rules left');
  assert.deepEqual(t.ips.filter(leased), [], 'address leases left');
  assert.deepEqual(vethsLeft(t.hostVeths), [], 'host veths left');
  assert.equal(mounted(t.netns), false, 'netns still mounted');
  assert.equal(fs.existsSync(t.netns), false, 'netns file left');
  for (const p of t.ports) {
    for (const proto of ['tcp', 'udp']) assert.equal(fs.existsSync(path.join(PORTS_DIR, `${proto}-${p}`)), false, `claim of port ${p}`);
  }
}

/** A port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** busybox httpd serving one file, as the course's web-server examples do. */
export function httpdScript(text: string): string {
  return `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`;
}

/** GET with Node's fetch, retried until the server in the container listens (up to 10 s). */
export async function fetchWhenUp(url: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await (await fetch(url)).text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
