// mount(8) option words -> the flags of mount(2) (linux/mount.h). What is not a flag ("mode=755",
// "size=64m", "newinstance") is passed to the filesystem as mount(2)'s data string.

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;

/** [flags set, flags cleared] for each word, as mount(8) documents them. */
const FLAGS: Record<string, [number, number]> = {
  ro: [MS_RDONLY, 0], rw: [0, MS_RDONLY],
  nosuid: [MS_NOSUID, 0], suid: [0, MS_NOSUID],
  nodev: [MS_NODEV, 0], dev: [0, MS_NODEV],
  noexec: [MS_NOEXEC, 0], exec: [0, MS_NOEXEC],
  sync: [MS_SYNCHRONOUS, 0], async: [0, MS_SYNCHRONOUS],
  dirsync: [MS_DIRSYNC, 0], remount: [MS_REMOUNT, 0],
  mand: [MS_MANDLOCK, 0], nomand: [0, MS_MANDLOCK],
  noatime: [MS_NOATIME, 0], atime: [0, MS_NOATIME],
  nodiratime: [MS_NODIRATIME, 0], diratime: [0, MS_NODIRATIME],
  relatime: [MS_RELATIME, 0], norelatime: [0, MS_RELATIME],
  strictatime: [MS_STRICTATIME, 0], nostrictatime: [0, MS_STRICTATIME],
  nosymfollow: [MS_NOSYMFOLLOW, 0], symfollow: [0, MS_NOSYMFOLLOW],
  bind: [MS_BIND, 0], rbind: [MS_BIND | MS_REC, 0],
  defaults: [0, 0],
};

/** Propagation words (mount_namespaces(7), "Shared subtrees"), applied by their own mount(2) call. */
const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE, rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED, rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE, rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE, runbindable: MS_UNBINDABLE | MS_REC,
};

export interface ParsedOptions {
  flags: number;
  propagation: number;
  data: string;
}

export function parseMountOptions(options: string[] = [], type?: string): ParsedOptions {
  let flags = type === 'bind' ? MS_BIND : 0;
  let propagation = 0;
  const data: string[] = [];
  for (const word of options) {
    const f = FLAGS[word];
    if (f) {
      flags = (flags | f[0]) & ~f[1];
    } else if (PROPAGATION[word] !== undefined) {
      propagation = PROPAGATION[word];
    } else {
      data.push(word);
    }
  }
  return { flags, propagation, data: data.join(',') };
}
