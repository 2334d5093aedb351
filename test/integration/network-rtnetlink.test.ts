// src/network/rtnetlink.ts on the real kernel: a veth pair made with one RTM_NEWLINK, checked with
// `ip` from the outside. The test makes its own bridge and network namespace (names with its pid)
// and removes them at the end; both stay down and nothing is given an address, so no packet is sent.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError } from '../../src/errors';
import { addVethPair, deleteLink } from '../../src/network/rtnetlink';
import { setTrace } from '../../src/trace';
import { ROOT_DIR, isRoot } from './runtime-support';

const skip = !isRoot ? 'needs root' : spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0 ? 'needs iproute2' :
  !fs.existsSync(path.join(ROOT_DIR, 'native', 'tsdocker-sys.node')) ? 'needs native/tsdocker-sys.node (make -C native)' : false;

const BRIDGE = `rtbr${process.pid}`;
const NS = `rtns${process.pid}`;
const NETNS = `/run/netns/${NS}`;
const HOST = `rtv${process.pid}`;
const HOST2 = `rtw${process.pid}`;
const MAC = '02:42:ac:11:00:63';

function ip(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `ip -j -d link show dev DEV` (in the namespace with `ns`), or undefined when there is no such device. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function link(dev: string, ns?: string): any {
  const r = spawnSync('ip', [...(ns ? ['-n', ns] : []), '-j', '-d', 'link', 'show', 'dev', dev], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout)[0] : undefined;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** What fn threw: it must throw a one-line TsdockerError. */
function thrown(fn: () => void): TsdockerError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TsdockerError, String(err));
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return err;
  }
  assert.fail('expected an error');
}

const pair = { host: HOST, peer: 'eth0', peerMac: MAC, netns: NETNS, bridge: BRIDGE };

test('rtnetlink: a veth pair on a bridge, its peer born in a namespace; duplicates and deletes', { skip }, async (t) => {
  ip(['link', 'add', BRIDGE, 'type', 'bridge']);
  try {
    ip(['netns', 'add', NS]);
    try {
      await t.test('one RTM_NEWLINK: host end up, on the bridge, hairpin on; peer in the namespace with its MAC', () => {
        const fds = openFds();
        const lines: string[] = [];
        const write = process.stderr.write;
        process.stderr.write = ((s: string) => { lines.push(s); return true; }) as typeof write;
        setTrace(true);
        try {
          addVethPair(pair);
        } finally {
          setTrace(false);
          delete process.env.TSDOCKER_TRACE;
          process.stderr.write = write;
        }
        assert.equal(openFds(), fds, 'the namespace file is closed again');
        assert.deepEqual(lines, [
          `[trace] network: rtnetlink RTM_NEWLINK ${HOST} type veth peer eth0 (${MAC}, netns ${NETNS}) master ${BRIDGE} up\n`,
          `[trace] network: write /sys/class/net/${HOST}/brport/hairpin_mode = 1\n`,
        ]);

        const host = link(HOST);
        assert.ok(host, `${HOST} on the host`);
        assert.equal(host.linkinfo.info_kind, 'veth');
        assert.equal(host.master, BRIDGE);
        assert.ok(host.flags.includes('UP'), `UP in ${host.flags}`);
        assert.equal(host.linkinfo.info_slave_data.hairpin, true);
        assert.equal(fs.readFileSync(`/sys/class/net/${HOST}/brport/hairpin_mode`, 'utf8').trim(), '1');

        const peer = link('eth0', NS);
        assert.ok(peer, `eth0 in ${NS}`);
        assert.equal(peer.linkinfo.info_kind, 'veth');
        assert.equal(peer.address, MAC);
        assert.ok(!peer.flags.includes('UP'), 'the peer is left down');
        assert.equal(peer.link_index, host.ifindex, 'the peer\'s other end is the host end');
        for (const end of [host, peer]) {
          assert.deepEqual([end.num_tx_queues, end.num_rx_queues], [1, 1], `${end.ifname}: one queue each way`);
        }
        const hostMacs = (JSON.parse(ip(['-j', 'link', 'show'])) as { address?: string }[]).map((l) => l.address);
        assert.ok(!hostMacs.includes(MAC), 'the peer is not in the host\'s namespace');
      });

      await t.test('a name that is taken fails with EEXIST and leaves the pair there as it was', () => {
        const again = thrown(() => addVethPair(pair));
        assert.match(again.message, new RegExp(`^rtnetlink create veth pair ${HOST}/eth0: EEXIST \\(file exists\\)$`));
        assert.equal(again.code, 'EEXIST');
        // A new host end but the peer's name taken in the namespace: the whole request fails, and
        // the new host end is not left behind.
        const peerTaken = thrown(() => addVethPair({ ...pair, host: HOST2 }));
        assert.match(peerTaken.message, /EEXIST/);
        assert.equal(link(HOST2), undefined, `${HOST2} not left behind`);
        assert.equal(link(HOST)?.master, BRIDGE);
        assert.equal(link('eth0', NS)?.address, MAC);
      });

      await t.test('deleteLink deletes both ends; a link already gone is not an error', () => {
        deleteLink(HOST);
        assert.equal(link(HOST), undefined, `${HOST} gone`);
        assert.equal(link('eth0', NS), undefined, 'eth0 gone from the namespace');
        deleteLink(HOST);
        deleteLink(HOST2);
      });

      await t.test('hairpin mode cannot be turned on: the pair is deleted again, and the error says why', () => {
        // In a mount namespace of its own (unshare(1) makes its mounts private), with /sys read-only
        // there only, the pair is made and then the sysfs write fails with EROFS.
        const module = path.join(ROOT_DIR, 'dist', 'src', 'network', 'rtnetlink.js');
        const script = `try { require(${JSON.stringify(module)}).addVethPair(JSON.parse(process.argv[1])) }
          catch (e) { process.stdout.write(e.message); process.exit(3) }`;
        const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -o remount,bind,ro /sys && exec "$0" -e "$1" "$2"',
          process.execPath, script, JSON.stringify(pair)], { encoding: 'utf8' });
        assert.equal(r.status, 3, r.stderr);
        assert.equal(r.stdout, `turn on hairpin mode of ${HOST}: write /sys/class/net/${HOST}/brport/hairpin_mode: EROFS (read-only file system)`);
        assert.equal(link(HOST), undefined, `${HOST} deleted`);
        assert.equal(link('eth0', NS), undefined, 'eth0 deleted with it');
      });

      await t.test('a master that is not a bridge, a missing bridge, a missing namespace: errors, nothing made', () => {
        const fds = openFds();
        assert.match(thrown(() => addVethPair({ ...pair, bridge: 'lo' })).message,
          new RegExp(`^rtnetlink create veth pair ${HOST}/eth0: EOPNOTSUPP`));
        assert.match(thrown(() => addVethPair({ ...pair, bridge: `${BRIDGE}x` })).message,
          new RegExp(`^bridge ${BRIDGE}x: .*ENOENT`));
        assert.match(thrown(() => addVethPair({ ...pair, netns: `${NETNS}-missing` })).message, /ENOENT/);
        assert.equal(link(HOST), undefined);
        assert.equal(link('eth0', NS), undefined);
        assert.equal(openFds(), fds, 'no descriptor left open');
      });
    } finally {
      spawnSync('ip', ['link', 'del', HOST], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'del', HOST2], { stdio: 'ignore' });
      spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    }
  } finally {
    spawnSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
  }
  assert.equal(link(BRIDGE), undefined, 'the test\'s bridge is gone');
  assert.ok(!fs.existsSync(NETNS), 'the test\'s namespace is gone');
});
