// How many bytes a directory tree holds, counted as Docker counts a container's writable layer
// and a volume (daemon/graphdriver "directory.Size"): the st_size of every file, a hard-linked
// file once, symlinks not followed, and nothing on another file system (a mount inside the tree
// belongs to someone else). See lstat(2).
import * as fs from 'node:fs';
import * as path from 'node:path';

export function dirSize(dir: string): number {
  let top: fs.Stats;
  try {
    top = fs.lstatSync(dir);
  } catch {
    return 0;
  }
  const seen = new Set<string>();
  let total = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      return; // removed while we looked, or unreadable: count what we can
    }
    for (const name of names) {
      const p = path.join(d, name);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue;
      }
      if (st.dev !== top.dev) continue;
      if (st.isDirectory()) walk(p);
      else if (st.nlink > 1) {
        const key = `${st.ino}`;
        if (!seen.has(key)) total += st.size;
        seen.add(key);
      } else total += st.size;
    }
  };
  if (top.isDirectory()) walk(dir);
  return total;
}
