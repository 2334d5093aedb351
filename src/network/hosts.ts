// Name resolution between containers. Docker runs a DNS server inside every container on a
// user-defined network (at 127.0.0.11); tsdocker keeps it simpler and visible: each container's
// /etc/hosts ends with a section listing the other containers on its user-defined networks, by
// name, rewritten whenever a container joins or leaves one of them. The file is rewritten in place
// (same inode), because the container sees it through a bind mount of that inode. As in Docker,
// the default `bridge` network gives no names, only addresses.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateRoot } from '../root';
import { trace } from '../trace';
import { listEndpoints, type Endpoint } from './endpoint';
import { withLock } from './lock';
import { isUserDefined, listNetworks, networksDir } from './networks';

export const PEERS_MARK = '# other containers on the same networks (tsdocker keeps this list up to date)';

/** The file's own part (everything before the peers section) plus a fresh peers section. */
export function withPeers(text: string, peers: [string, string][]): string {
  const at = text.indexOf(PEERS_MARK);
  const head = (at === -1 ? text : text.slice(0, at)).replace(/\n*$/, '\n');
  if (peers.length === 0) return head;
  return head + PEERS_MARK + '\n' + peers.map(([ip, name]) => `${ip}\t${name}\n`).join('');
}

/** For each container on a user-defined network: the other containers it can reach, by name. */
function peersByContainer(root: string): Map<string, [string, string][]> {
  const eps: Endpoint[] = listNetworks(root).filter(isUserDefined).flatMap((n) => listEndpoints(n.Id, root));
  const out = new Map<string, [string, string][]>();
  for (const me of eps) {
    const list = out.get(me.ContainerID) ?? [];
    for (const other of eps) {
      if (other.NetworkID !== me.NetworkID || other.ContainerID === me.ContainerID) continue;
      if (list.some(([, name]) => name === other.ContainerName)) continue;
      list.push([other.IPv4Address.split('/')[0], other.ContainerName]);
    }
    out.set(me.ContainerID, list);
  }
  return out;
}

/** Rewrite the peers section of the hosts file of every container of this root that is on a
 *  user-defined network, and of `also` (a container that just left all of them). One lock for the
 *  root, so two containers joining at once cannot each write a list without the other. */
export function refreshHosts(hostsPath: (id: string) => string, also: string[] = [], root = stateRoot()): void {
  withLock(path.join(networksDir(root), 'hosts.lock'), () => {
    const peers = peersByContainer(root);
    for (const id of also) if (!peers.has(id)) peers.set(id, []);
    for (const [id, list] of peers) {
      const file = hostsPath(id);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // removed meanwhile
      }
      const next = withPeers(text, list);
      if (next === text) continue;
      trace('hosts', `${file}: ${list.map(([ip, n]) => `${n}=${ip}`).join(' ') || 'no peers'}`);
      fs.writeFileSync(file, next);
    }
  });
}
