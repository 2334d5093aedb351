// -u / USER: "name", "uid", "name:group", "uid:gid", resolved against the container's OWN
// /etc/passwd and /etc/group, read as bounded data. Never through NSS (getpwnam would load the
// image's libnss_*.so into tsdocker: CVE-2019-14271) and never following a symlink out of the
// rootfs (CVE-2024-9676). Rules from runc/moby `user.GetExecUser`: a number need not exist in
// passwd; a name must; supplementary groups are those listing the user, unless a group was given.
import { TsdockerError } from '../errors';
import { readFileInRoot } from './rootpath';

/** passwd and group files of real systems are kilobytes; 4 MiB is generous and bounded. */
const MAX_DB_FILE = 4 * 1024 * 1024;
const MAX_ID = 2 ** 31 - 1;

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length < 4 || f[0] === '' || line.trim().startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!isId(f[2]) || !isId(f[3])) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length < 3 || f[0] === '' || line.trim().startsWith('#') || !isId(f[2])) continue;
    out.push({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

function isId(s: string): boolean {
  return /^\d+$/.test(s) && Number(s) <= MAX_ID;
}

/** Resolve `spec` ("" means root) from the passwd and group text (undefined = file absent). */
export function resolveUserFrom(spec: string, passwd: string | undefined, group: string | undefined): ResolvedUser {
  const [userPart, groupPart] = splitSpec(spec);
  const users = passwd === undefined ? [] : parsePasswd(passwd);
  const result: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  let matchedName: string | undefined;

  const numericUser = /^\d+$/.test(userPart);
  if (numericUser && Number(userPart) > MAX_ID) throw new TsdockerError(`uid ${userPart} is out of range`);
  const entry = users.find((u) => u.name === userPart || (numericUser && u.uid === Number(userPart)));
  if (entry) {
    result.uid = entry.uid;
    result.gid = entry.gid;
    result.home = entry.home || '/';
    matchedName = entry.name;
  } else if (numericUser) {
    result.uid = Number(userPart);
  } else {
    throw new TsdockerError(`unable to find user ${userPart}: no matching entries in passwd file`);
  }

  const groups = group === undefined ? [] : parseGroup(group);
  if (groupPart !== undefined) {
    const numericGroup = /^\d+$/.test(groupPart);
    if (numericGroup && Number(groupPart) > MAX_ID) throw new TsdockerError(`gid ${groupPart} is out of range`);
    const g = groups.find((x) => x.name === groupPart || (numericGroup && x.gid === Number(groupPart)));
    if (g) result.gid = g.gid;
    else if (numericGroup) result.gid = Number(groupPart);
    else throw new TsdockerError(`unable to find group ${groupPart}: no matching entries in group file`);
  } else if (matchedName !== undefined) {
    const name = matchedName;
    result.additionalGids = [...new Set(groups.filter((g) => g.members.includes(name)).map((g) => g.gid))];
  }
  return result;
}

function splitSpec(spec: string): [string, string | undefined] {
  if (spec === '') return ['0', undefined];
  const colon = spec.indexOf(':');
  const user = colon === -1 ? spec : spec.slice(0, colon);
  const group = colon === -1 ? undefined : spec.slice(colon + 1);
  if (user === '' || group === '') throw new TsdockerError(`invalid user: "${spec}"`);
  return [user, group];
}

/** Resolve -u against the files inside `rootfs` (the mounted overlay, before the container runs). */
export function resolveUser(rootfs: string, spec: string): ResolvedUser {
  const passwd = readFileInRoot(rootfs, '/etc/passwd', MAX_DB_FILE);
  const group = readFileInRoot(rootfs, '/etc/group', MAX_DB_FILE);
  return resolveUserFrom(spec, passwd, group);
}
