// A container's veth pair made with one system call rather than a run of `ip`: tsdocker speaks
// rtnetlink (rtnetlink(7)), the kernel's protocol for configuring the network, which is what
// `ip link` itself speaks. This file builds the messages; native/sys.c (rtnetlink, through
// src/sys/libc.ts) sends each one on a netlink socket (netlink(7)) and reads the kernel's answer.
//
// A message is bytes in the host's byte order (little-endian on x86-64 and arm64), each part
// starting on a 4-byte boundary, with zeros as padding:
//
//   struct nlmsghdr (16 bytes)   nlmsg_len   u32  the length of the whole message, this header too
//                                nlmsg_type  u16  what to do: RTM_NEWLINK, RTM_DELLINK
//                                nlmsg_flags u16  NLM_F_REQUEST, NLM_F_ACK, ...
//                                nlmsg_seq   u32  any number; the kernel's answer carries it back
//                                nlmsg_pid   u32  0: the kernel knows who sent it
//   struct ifinfomsg (16 bytes)  ifi_family u8 (AF_UNSPEC, 0), padding u8, ifi_type u16,
//                                ifi_index i32 (0: the device is named by IFLA_IFNAME instead),
//                                ifi_flags u32, ifi_change u32 (which of ifi_flags to change)
//   attributes, one after another, each a struct rtattr then its value:
//                                rta_len  u16  4 + the value's length (the padding not counted)
//                                rta_type u16  IFLA_IFNAME, IFLA_MASTER, ...
//                                the value, then zeros up to a multiple of 4
//
// An attribute can hold other attributes (it is "nested"): its value is theirs, one after another,
// and its rta_len counts them all, padding included. The builder writes the header first and fixes
// its length up once the attributes inside are written, as iproute2's addattr_nest_end does.
//
// The veth pair is ONE RTM_NEWLINK; it does what
//   ip link add vethab12cd3 up master tsdocker0 type veth peer name eth0 address 02:42:ac:11:00:02 netns <file>
// does (ip-link(8)):
//
//   nlmsghdr         RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
//   ifinfomsg        ifi_flags = ifi_change = IFF_UP          the host end is up at once
//   IFLA_IFNAME      "vethab12cd3\0"
//   IFLA_MASTER      u32: the bridge's ifindex                 plugged into the bridge
//   IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES   u32: 1 each (below)
//   IFLA_LINKINFO
//     IFLA_INFO_KIND   "veth\0"
//     IFLA_INFO_DATA   what only a veth has:
//       VETH_INFO_PEER   the other end: its own ifinfomsg (all zero), then its attributes:
//         IFLA_IFNAME      "eth0\0"
//         IFLA_ADDRESS     02 42 ac 11 00 02                   its MAC address, 6 bytes
//         IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES   u32: 1 each
//         IFLA_NET_NS_FD   u32: an open descriptor of the container's network namespace file,
//                          so the peer is born inside the container
//
// Why one queue each, as `ip link add ... numtxqueues 1 numrxqueues 1`: without them a veth gets a
// queue per CPU, and the kernel then cuts each end down to one queue in use (drivers/net/veth.c,
// veth_init_queues), which waits for an RCU grace period (synchronize_net) twice inside the
// request. The pair ends up the same, a little sooner.
//
// Deleting is an RTM_DELLINK naming the device (IFLA_IFNAME); deleting one end of a pair deletes
// both. The kernel answers a request that has NLM_F_ACK with one NLMSG_ERROR message: error 0
// when it is done, or -errno (EEXIST: the name is taken; ENODEV: no such device). NLM_F_CREATE
// and NLM_F_EXCL say "make a new device, and fail rather than change one that exists".
//
// The constants, with their values in the Linux headers:
//   linux/rtnetlink.h  RTM_NEWLINK = 16, RTM_DELLINK = 17
//   linux/netlink.h    NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400
//   linux/if_link.h    IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MASTER = 10, IFLA_LINKINFO = 18,
//                      IFLA_NET_NS_FD = 28, IFLA_NUM_TX_QUEUES = 31, IFLA_NUM_RX_QUEUES = 32;
//                      IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2
//   linux/veth.h       VETH_INFO_PEER = 1
//   linux/if.h         IFF_UP = 1
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsdockerError, errnoError, wrap } from '../errors';
import { O_WRONLY, readText, rtnetlink, writeText } from '../sys/libc';
import { trace } from '../trace';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MASTER = 10;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_FD = 28;
export const IFLA_NUM_TX_QUEUES = 31;
export const IFLA_NUM_RX_QUEUES = 32;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const VETH_INFO_PEER = 1;
export const IFF_UP = 0x1;

const ENOENT = 2; // asm-generic/errno-base.h
const ENODEV = 19;
const IFNAMSIZ = 16; // linux/if.h: a name and its NUL

// The byte order of this machine's integers (os.endianness() without loading node:os, ~0.5 ms).
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One netlink message, written into a Uint8Array that grows as needed, through a DataView: Buffer's
 *  writeUInt32LE and the like are JavaScript that V8 compiles on their first call, in every
 *  process (docs/runtime.md); DataView's are V8's own. */
class MessageWriter {
  private buf = new Uint8Array(256); // zero-filled: the padding is already there
  private view = new DataView(this.buf.buffer);
  private len = 0;

  /** struct nlmsghdr; its nlmsg_len is filled in by finish(). */
  constructor(type: number, flags: number, seq: number) {
    this.u32(0); // nlmsg_len
    this.u16(type);
    this.u16(flags);
    this.u32(seq);
    this.u32(0); // nlmsg_pid
  }

  /** struct ifinfomsg: the device the message is about. */
  ifinfomsg(flags = 0, change = 0): void {
    this.u8(0); // ifi_family: AF_UNSPEC
    this.u8(0); // padding
    this.u16(0); // ifi_type
    this.u32(0); // ifi_index: 0, the name says which device
    this.u32(flags); // ifi_flags
    this.u32(change); // ifi_change
  }

  /** An attribute: struct rtattr, then the value, then padding to a multiple of 4. */
  attr(type: number, value: Uint8Array): void {
    this.u16(4 + value.length); // rta_len: header and value, not the padding
    this.u16(type);
    this.bytes(value);
    this.pad();
  }

  /** A string attribute, ended by a NUL as iproute2 sends IFLA_IFNAME. */
  attrString(type: number, s: string): void {
    this.attr(type, utf8(s + '\0'));
  }

  attrU32(type: number, n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, littleEndian);
    this.attr(type, b);
  }

  /** Start a nested attribute: its header, with the length left at 0 until nestEnd. */
  nestStart(type: number): number {
    const start = this.len;
    this.u16(0); // rta_len, fixed up by nestEnd
    this.u16(type);
    return start;
  }

  /** The nested attribute that began at `start` holds everything written since. */
  nestEnd(start: number): void {
    this.view.setUint16(start, this.len - start, littleEndian);
  }

  /** The message, its nlmsg_len filled in. */
  finish(): Uint8Array {
    this.view.setUint32(0, this.len, littleEndian);
    return this.buf.slice(0, this.len);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  private u8(n: number): void {
    this.room(1);
    this.buf[this.len] = n;
    this.len += 1;
  }

  private u16(n: number): void {
    this.room(2);
    this.view.setUint16(this.len, n, littleEndian);
    this.len += 2;
  }

  private u32(n: number): void {
    this.room(4);
    this.view.setUint32(this.len, n, littleEndian);
    this.len += 4;
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Skip to the next multiple of 4 (the bytes skipped are zeros). */
  private pad(): void {
    const aligned = (this.len + 3) & ~3;
    this.room(aligned - this.len);
    this.len = aligned;
  }
}

/** A string's UTF-8 bytes: device names are ASCII, one byte a character; anything else goes
 *  through Buffer. */
function utf8(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) return Buffer.from(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A device name the kernel accepts (dev_valid_name): 1-15 bytes, not . or .., no /, : or space. */
function checkName(name: string): void {
  const bytes = utf8(name).length;
  if (bytes === 0 || bytes >= IFNAMSIZ || name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new TsdockerError(`invalid network device name "${name}" (1 to ${IFNAMSIZ - 1} bytes, no "/", ":" or spaces)`);
  }
}

/** "02:42:ac:11:00:02" as its 6 bytes. */
function macBytes(mac: string): Uint8Array {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new TsdockerError(`invalid MAC address "${mac}"`);
  return Uint8Array.from(mac.split(':'), (h) => parseInt(h, 16));
}

export interface VethPairMessage {
  /** the host end's name */
  host: string;
  /** the container end's name (eth0, ...) */
  peer: string;
  /** the container end's MAC address, "02:42:ac:11:00:02" */
  peerMac: string;
  /** an open descriptor of the container's network namespace file */
  peerNetnsFd: number;
  /** the ifindex of the bridge the host end is plugged into */
  masterIndex: number;
}

/** The RTM_NEWLINK that makes the veth pair: the layout is in the comment at the top. */
export function vethPairMessage(o: VethPairMessage, seq: number): Uint8Array {
  checkName(o.host);
  checkName(o.peer);
  const m = new MessageWriter(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
  m.ifinfomsg(IFF_UP, IFF_UP);
  m.attrString(IFLA_IFNAME, o.host);
  m.attrU32(IFLA_MASTER, o.masterIndex);
  m.attrU32(IFLA_NUM_TX_QUEUES, 1);
  m.attrU32(IFLA_NUM_RX_QUEUES, 1);
  const linkinfo = m.nestStart(IFLA_LINKINFO);
  m.attrString(IFLA_INFO_KIND, 'veth');
  const data = m.nestStart(IFLA_INFO_DATA);
  const peer = m.nestStart(VETH_INFO_PEER);
  m.ifinfomsg(); // the container end stays down: the container brings it up with its address
  m.attrString(IFLA_IFNAME, o.peer);
  m.attr(IFLA_ADDRESS, macBytes(o.peerMac));
  m.attrU32(IFLA_NUM_TX_QUEUES, 1);
  m.attrU32(IFLA_NUM_RX_QUEUES, 1);
  m.attrU32(IFLA_NET_NS_FD, o.peerNetnsFd);
  m.nestEnd(peer);
  m.nestEnd(data);
  m.nestEnd(linkinfo);
  return m.finish();
}

/** The RTM_DELLINK that deletes the device `name` (both ends, for a veth). */
export function deleteLinkMessage(name: string, seq: number): Uint8Array {
  checkName(name);
  const m = new MessageWriter(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
  m.ifinfomsg();
  m.attrString(IFLA_IFNAME, name);
  return m.finish();
}

// Each request goes on a socket of its own, so any number would do; counting makes them easy to
// tell apart in a capture (`ip link add nlmon0 type nlmon` and tcpdump -i nlmon0).
let lastSeq = 0;
function nextSeq(): number {
  lastSeq = (lastSeq + 1) >>> 0;
  return lastSeq;
}

export interface VethPair {
  host: string;
  peer: string;
  peerMac: string;
  /** the container's pinned network namespace file */
  netns: string;
  /** the bridge device the host end is plugged into */
  bridge: string;
}

/**
 * Make the veth pair with one RTM_NEWLINK: the host end up and on the bridge, the peer inside the
 * container's namespace with its MAC address. Then hairpin mode on the host end's bridge port
 * (sysfs-class-net(5)), so that a container can reach itself through a port published on the
 * host; if that fails, the pair is deleted again.
 */
export function addVethPair(o: VethPair): void {
  checkName(o.bridge); // it names a path in sysfs
  const ifindex = path.join('/sys/class/net', o.bridge, 'ifindex');
  let masterIndex: number;
  try {
    const text = readText(ifindex);
    if (text === undefined) throw errnoError('open', ENOENT, ifindex);
    masterIndex = Number(text);
  } catch (err) {
    throw wrap(err, `bridge ${o.bridge}`);
  }
  let fd: number;
  try {
    fd = fs.openSync(o.netns, 'r');
  } catch (err) {
    throw wrap(err, 'network namespace');
  }
  try {
    trace('network', `rtnetlink RTM_NEWLINK ${o.host} type veth peer ${o.peer} (${o.peerMac}, netns ${o.netns}) master ${o.bridge} up`);
    const request = vethPairMessage({ host: o.host, peer: o.peer, peerMac: o.peerMac, peerNetnsFd: fd, masterIndex }, nextSeq());
    rtnetlink(request, `create veth pair ${o.host}/${o.peer}`);
  } finally {
    fs.closeSync(fd);
  }

  const hairpin = path.join('/sys/class/net', o.host, 'brport', 'hairpin_mode');
  trace('network', `write ${hairpin} = 1`);
  try {
    // No O_CREAT: sysfs has the file once the device is a bridge port; nothing is to be created.
    writeText(hairpin, '1', O_WRONLY);
  } catch (err) {
    let undone = '';
    try {
      deleteLink(o.host);
    } catch (delErr) {
      undone = `; deleting ${o.host} failed too: ${delErr instanceof Error ? delErr.message : String(delErr)}`;
    }
    const e = wrap(err, `turn on hairpin mode of ${o.host}`);
    throw undone ? new TsdockerError(e.message + undone, { code: e.code, errno: e.errno, path: e.path, cause: err }) : e;
  }
}

/** Delete the device `name` (for a veth, both ends); one that is already gone (ENODEV) is fine. */
export function deleteLink(name: string): void {
  trace('network', `rtnetlink RTM_DELLINK ${name}`);
  try {
    rtnetlink(deleteLinkMessage(name, nextSeq()), `delete ${name}`);
  } catch (err) {
    if (err instanceof TsdockerError && err.errno === ENODEV) return;
    throw err;
  }
}
