// src/network/rtnetlink.ts: the bytes of the rtnetlink(7) messages, against values worked out by
// hand from the structures in linux/netlink.h, linux/rtnetlink.h, linux/if_link.h and
// linux/veth.h (not from the builder's code). Netlink is in the host's byte order; the expected
// bytes are little-endian (x86-64, arm64).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { deleteLinkMessage, vethPairMessage } from '../../src/network/rtnetlink';

const skip = os.endianness() !== 'LE' ? 'the expected bytes are little-endian' : false;

/** Hex with spaces and comments ("# ...") allowed, as bytes. */
function hex(text: string): Buffer {
  return Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');
}

const veth = {
  host: 'vethab12cd3',
  peer: 'eth0',
  peerMac: '02:42:ac:11:00:02',
  peerNetnsFd: 7,
  masterIndex: 5,
};

// Worked out by hand, offset by offset.
const VETH_PARTS: [string, number, Buffer][] = [
  ['nlmsghdr', 0, hex(`
    a0 00 00 00   # nlmsg_len 160: the whole message
    10 00         # nlmsg_type RTM_NEWLINK (16)
    05 06         # nlmsg_flags 0x605: REQUEST 0x1 | ACK 0x4 | EXCL 0x200 | CREATE 0x400
    2a 00 00 00   # nlmsg_seq 42
    00 00 00 00   # nlmsg_pid`)],
  ['ifinfomsg of the host end', 16, hex(`
    00 00 00 00   # family AF_UNSPEC, pad, type
    00 00 00 00   # ifi_index 0
    01 00 00 00   # ifi_flags IFF_UP
    01 00 00 00   # ifi_change IFF_UP`)],
  ['IFLA_IFNAME', 32, hex(`
    10 00 03 00   # rta_len 16 = 4 + 12, rta_type 3
    76 65 74 68 61 62 31 32 63 64 33 00   # "vethab12cd3\\0": 12 bytes, no padding`)],
  ['IFLA_MASTER', 48, hex(`
    08 00 0a 00   # rta_len 8, rta_type 10
    05 00 00 00   # ifindex 5`)],
  ['IFLA_NUM_TX_QUEUES', 56, hex(`
    08 00 1f 00   # rta_len 8, rta_type 31
    01 00 00 00   # one queue`)],
  ['IFLA_NUM_RX_QUEUES', 64, hex(`
    08 00 20 00   # rta_len 8, rta_type 32
    01 00 00 00   # one queue`)],
  ['IFLA_LINKINFO header', 72, hex(`
    58 00 12 00   # rta_len 88 (to the end: 160 - 72), rta_type 18`)],
  ['IFLA_INFO_KIND', 76, hex(`
    09 00 01 00   # rta_len 9 = 4 + "veth\\0" (the padding is not counted), rta_type 1
    76 65 74 68 00  00 00 00   # "veth\\0", 3 bytes of padding`)],
  ['IFLA_INFO_DATA header', 88, hex(`
    48 00 02 00   # rta_len 72 (160 - 88), rta_type 2`)],
  ['VETH_INFO_PEER header', 92, hex(`
    44 00 01 00   # rta_len 68 (160 - 92), rta_type 1`)],
  ['ifinfomsg of the peer', 96, hex(`
    00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00   # all zero: it stays down`)],
  ['peer IFLA_IFNAME', 112, hex(`
    09 00 03 00   # rta_len 9 = 4 + "eth0\\0", rta_type 3
    65 74 68 30 00  00 00 00   # "eth0\\0", 3 bytes of padding`)],
  ['peer IFLA_ADDRESS', 124, hex(`
    0a 00 01 00   # rta_len 10 = 4 + 6, rta_type 1
    02 42 ac 11 00 02  00 00   # the MAC, 2 bytes of padding`)],
  ['peer IFLA_NUM_TX_QUEUES', 136, hex(`
    08 00 1f 00   # rta_len 8, rta_type 31
    01 00 00 00`)],
  ['peer IFLA_NUM_RX_QUEUES', 144, hex(`
    08 00 20 00   # rta_len 8, rta_type 32
    01 00 00 00`)],
  ['peer IFLA_NET_NS_FD', 152, hex(`
    08 00 1c 00   # rta_len 8, rta_type 28
    07 00 00 00   # fd 7`)],
];

test('RTM_NEWLINK of a veth pair: every byte, part by part', { skip }, () => {
  const m = Buffer.from(vethPairMessage(veth, 42));
  assert.equal(m.length, 160);
  let end = 0;
  for (const [name, offset, expected] of VETH_PARTS) {
    assert.equal(offset, end, `${name} follows the part before it`);
    assert.equal(m.subarray(offset, offset + expected.length).toString('hex'), expected.toString('hex'), name);
    end = offset + expected.length;
  }
  assert.equal(end, m.length);
});

/** Walk attributes from `start` to `end` (an independent reader, as the kernel's nla_for_each_attr). */
function walk(m: Buffer, start: number, end: number, visit: (type: number, at: number, len: number) => void): void {
  let at = start;
  while (at < end) {
    assert.equal(at % 4, 0, `attribute at ${at} is 4-byte aligned`);
    const len = m.readUInt16LE(at);
    assert.ok(len >= 4 && at + len <= end, `attribute at ${at}: rta_len ${len} fits in its parent (ends at ${end})`);
    visit(m.readUInt16LE(at + 2), at, len);
    at += (len + 3) & ~3;
  }
  assert.equal(at, end, 'the attributes fill their parent exactly');
}

test('RTM_NEWLINK: the nesting reads back as LINKINFO > INFO_DATA > PEER > ifinfomsg + attributes', { skip }, () => {
  const m = Buffer.from(vethPairMessage({ ...veth, host: 'veth1', peer: 'eth12', peerMac: 'AA:bb:cc:dd:ee:0F', peerNetnsFd: 1000, masterIndex: 70000 }, 0xfffffffe));
  assert.equal(m.readUInt32LE(0), m.length, 'nlmsg_len');
  assert.equal(m.length % 4, 0);
  assert.equal(m.readUInt32LE(8), 0xfffffffe, 'nlmsg_seq');
  const seen: string[] = [];
  walk(m, 32, m.length, (type, at, len) => {
    seen.push(`top ${type}`);
    if (type === 3) assert.equal(m.toString('latin1', at + 4, at + len), 'veth1\0');
    if (type === 10) assert.equal(m.readUInt32LE(at + 4), 70000);
    if (type !== 18) return;
    walk(m, at + 4, at + len, (t2, at2, len2) => {
      seen.push(`linkinfo ${t2}`);
      if (t2 === 1) assert.equal(m.toString('latin1', at2 + 4, at2 + len2), 'veth\0');
      if (t2 !== 2) return;
      walk(m, at2 + 4, at2 + len2, (t3, at3, len3) => {
        seen.push(`data ${t3}`);
        assert.equal(m.subarray(at3 + 4, at3 + 20).toString('hex'), '00'.repeat(16), 'the peer\'s ifinfomsg');
        walk(m, at3 + 20, at3 + len3, (t4, at4, len4) => {
          seen.push(`peer ${t4}`);
          if (t4 === 3) assert.equal(m.toString('latin1', at4 + 4, at4 + len4), 'eth12\0');
          if (t4 === 1) assert.equal(m.subarray(at4 + 4, at4 + len4).toString('hex'), 'aabbccddee0f');
          if (t4 === 28) assert.equal(m.readUInt32LE(at4 + 4), 1000);
        });
      });
    });
  });
  assert.deepEqual(seen, ['top 3', 'top 10', 'top 31', 'top 32', 'top 18', 'linkinfo 1', 'linkinfo 2', 'data 1', 'peer 3', 'peer 1', 'peer 31', 'peer 32', 'peer 28']);
});

test('RTM_DELLINK: header, zero ifinfomsg, IFLA_IFNAME; nlmsg_len counts the last padding', { skip }, () => {
  const m = Buffer.from(deleteLinkMessage('veth0', 7));
  assert.equal(m.toString('hex'), hex(`
    2c 00 00 00   # nlmsg_len 44 = 16 + 16 + 12
    11 00         # RTM_DELLINK (17)
    05 00         # REQUEST | ACK
    07 00 00 00   # seq 7
    00 00 00 00   # pid
    00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00   # ifinfomsg: by name, not index
    0a 00 03 00   # rta_len 10 = 4 + "veth0\\0", IFLA_IFNAME
    76 65 74 68 30 00  00 00   # "veth0\\0", 2 bytes of padding`).toString('hex'));
  // A 15-byte name (the longest) with its NUL fills 16 bytes: no padding.
  const long = Buffer.from(deleteLinkMessage('abcdefghijklmno', 1));
  assert.equal(long.length, 16 + 16 + 4 + 16);
  assert.equal(long.readUInt16LE(32), 20);
});

test('names and MAC addresses the kernel would refuse are refused here, with the reason', () => {
  assert.throws(() => deleteLinkMessage('abcdefghijklmnop', 1), /invalid network device name "abcdefghijklmnop" \(1 to 15 bytes/);
  assert.throws(() => deleteLinkMessage('', 1), /invalid network device name ""/);
  assert.throws(() => deleteLinkMessage('a/b', 1), /invalid network device name/);
  assert.throws(() => deleteLinkMessage('..', 1), /invalid network device name/);
  assert.throws(() => vethPairMessage({ ...veth, peer: 'eth 0' }, 1), /invalid network device name "eth 0"/);
  assert.throws(() => vethPairMessage({ ...veth, peerMac: '02:42:ac:11:00' }, 1), /invalid MAC address "02:42:ac:11:00"/);
  assert.throws(() => vethPairMessage({ ...veth, peerMac: '02:42:ac:11:00:0g' }, 1), /invalid MAC address/);
});
