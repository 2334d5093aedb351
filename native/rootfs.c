/*
 * The container's root filesystem: mounts, device nodes, pivot_root, masked and read-only paths.
 * Everything here runs in the child, in its new mount namespace (mount_namespaces(7)), so no mount
 * made here is seen by the host, and all of them vanish when the last process of the container exits.
 *
 * Paths inside the rootfs come from the image, which may be hostile: a symlink /etc -> / must not make
 * us mount on the host's /etc. So every path inside the rootfs is opened with openat2(2)
 * RESOLVE_IN_ROOT (symlinks resolve as if the rootfs were /), and mount(2) is given the opened file as
 * /proc/self/fd/N, never the path again, which closes the race of CVE-2021-30465.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "runtime.h"
#include "util.h"

int open_in_root(int rootfd, const char *path, int flags, int mode)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* mkdir -p inside the root, the last component a directory or an empty file (the mountpoint for a
 * bind-mounted file such as /etc/hosts). Returns an O_PATH descriptor of the result. */
int make_in_root(int rootfd, const char *path, int as_file)
{
	char prefix[PATH_MAX] = "/";
	size_t len = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchrnul(p, '/');
		size_t n = end - p;
		if (n > NAME_MAX || len + n + 2 > sizeof prefix) {
			errno = ENAMETOOLONG;
			return -1;
		}
		int parent = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
		if (parent < 0)
			return -1;
		char name[NAME_MAX + 1];
		memcpy(name, p, n);
		name[n] = '\0';
		int last = end[strspn(end, "/")] == '\0';
		int r = (last && as_file) ? mknodat(parent, name, S_IFREG | 0644, 0)
					  : mkdirat(parent, name, 0755);
		int saved = errno;
		close(parent);
		if (r < 0 && saved != EEXIST) {
			errno = saved;
			return -1;
		}
		prefix[len++] = '/';
		memcpy(prefix + len, name, n + 1);
		len += n;
		p = end;
	}
	return open_in_root(rootfd, path, O_PATH, 0);
}

/* "ro,nosuid,nodev" for --trace, so a student sees what each mount asked the kernel for. */
static const char *flag_names(unsigned long flags)
{
	static const struct { unsigned long flag; const char *name; } names[] = {
		{ MS_RDONLY, "ro" }, { MS_NOSUID, "nosuid" }, { MS_NODEV, "nodev" }, { MS_NOEXEC, "noexec" },
		{ MS_SYNCHRONOUS, "sync" }, { MS_REMOUNT, "remount" }, { MS_DIRSYNC, "dirsync" },
		{ MS_NOATIME, "noatime" }, { MS_NODIRATIME, "nodiratime" }, { MS_BIND, "bind" },
		{ MS_REC, "rec" }, { MS_UNBINDABLE, "unbindable" }, { MS_PRIVATE, "private" },
		{ MS_SLAVE, "slave" }, { MS_SHARED, "shared" }, { MS_RELATIME, "relatime" },
		{ MS_STRICTATIME, "strictatime" },
	};
	static char buf[256];
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags & names[i].flag) {
			if (buf[0])
				strcat(buf, ",");
			strcat(buf, names[i].name);
		}
	return buf[0] ? buf : "none";
}

/* The flags statvfs(3) reports that a remount must repeat, or the kernel would drop them. */
static unsigned long kept_flags(const char *path)
{
	struct statvfs sv;
	unsigned long flags = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
	return flags;
}

static void mount_entry(int rootfd, struct mount_entry *m)
{
	int bind = (m->flags & MS_BIND) != 0;
	int as_file = 0;
	if (bind) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			fail("stat bind source %s", m->source);
		as_file = !S_ISDIR(st.st_mode);
	}
	int fd = make_in_root(rootfd, m->destination, as_file);
	if (fd < 0)
		fail("create mountpoint %s", m->destination);
	if (bind) {
		unsigned long rest = m->flags & ~(MS_BIND | MS_REC);
		trace("mount", "bind %s on %s (%s)", m->source, m->destination,
		      m->flags & MS_REC ? "rbind" : "bind");
		if (mount(m->source, fd_path(fd), NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
			fail("bind mount %s on %s", m->source, m->destination);
		if (rest) {
			/* A bind mount ignores ro, nosuid, ... until a remount (mount(2), "MS_BIND"). The
			 * descriptor still names the directory under the new mount, so open it again. */
			close(fd);
			fd = open_in_root(rootfd, m->destination, O_PATH, 0);
			trace("mount", "remount %s (%s)", m->destination, flag_names(rest));
			if (fd < 0 || mount(NULL, fd_path(fd), NULL, MS_REMOUNT | MS_BIND | rest, NULL) < 0)
				fail("remount %s %s", m->destination, flag_names(rest));
		}
	} else {
		trace("mount", "%s on %s type %s (%s%s%s)", m->source, m->destination, m->fstype,
		      flag_names(m->flags), m->data[0] ? "," : "", m->data);
		if (mount(m->source, fd_path(fd), m->fstype, m->flags, m->data) < 0)
			fail("mount %s on %s", m->fstype, m->destination);
	}
	if (m->propagation) {
		close(fd);
		fd = open_in_root(rootfd, m->destination, O_PATH, 0);
		trace("mount", "make %s %s", m->destination, flag_names(m->propagation));
		if (fd < 0 || mount(NULL, fd_path(fd), NULL, m->propagation, NULL) < 0)
			fail("set propagation of %s", m->destination);
	}
	close(fd);
}

/* The runtime-spec's default devices (config-linux.md "Default Devices"), made fresh in the tmpfs
 * /dev so that no host device is ever visible; mode 0666 as runc makes them. */
static void make_devices(int rootfd)
{
	static const struct { const char *name; unsigned major, minor; } devices[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	/* runc setupDevSymlinks; ptmx points into the container's own devpts instance. */
	static const struct { const char *name, *target; } links[] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
	};
	int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
	if (dev < 0)
		fail("open /dev");
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
		trace("mknod", "/dev/%s c %u:%u mode 0666", devices[i].name, devices[i].major, devices[i].minor);
		if (mknodat(dev, devices[i].name, S_IFCHR | 0666,
			    makedev(devices[i].major, devices[i].minor)) < 0)
			fail("mknod /dev/%s", devices[i].name);
	}
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		trace("symlink", "/dev/%s -> %s", links[i].name, links[i].target);
		if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
			fail("symlink /dev/%s", links[i].name);
	}
	close(dev);
}

static int has_dev_tmpfs(struct config *c)
{
	for (int i = 0; i < c->nmounts; i++)
		if (strcmp(c->mounts[i].destination, "/dev") == 0 && strcmp(c->mounts[i].fstype, "tmpfs") == 0)
			return 1;
	return 0;
}

/* Whether path is dir or below it. */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

/* A cgroup filesystem shows the cgroup namespace of whoever mounts it, so it waits until the
 * child is in its cgroup and has made that namespace (child.c); so does any mount below it. */
static int waits_for_cgroup(struct config *c, int i)
{
	for (int j = 0; j <= i; j++) {
		struct mount_entry *m = &c->mounts[j];
		if (strncmp(m->fstype, "cgroup", 6) == 0 && under(c->mounts[i].destination, m->destination))
			return 1;
	}
	return 0;
}

/* Before pivot_root: propagation, the rootfs as a mount of its own, every spec mount but the
 * cgroup filesystem (mount_cgroup_filesystems), /dev, cwd. */
void prepare_rootfs(struct config *c)
{
	/* The new mount namespace starts as a copy whose mounts may still be shared with the host;
	 * make them private so nothing we mount leaks out, and nothing the host mounts leaks in. */
	trace("mount", "make / rprivate");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("make / rprivate");
	/* pivot_root(2) needs new_root to be a mount point: bind the rootfs onto itself. */
	trace("mount", "bind %s on itself (rbind)", c->rootfs);
	if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail("bind mount rootfs %s", c->rootfs);
	int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fail("open rootfs %s", c->rootfs);
	for (int i = 0; i < c->nmounts; i++)
		if (!waits_for_cgroup(c, i))
			mount_entry(rootfd, &c->mounts[i]);
	if (has_dev_tmpfs(c))
		make_devices(rootfd);
	/* Docker creates a missing working directory instead of failing (moby SetupWorkingDirectory). */
	int cwd = make_in_root(rootfd, c->cwd, 0);
	if (cwd < 0)
		fail("create working directory %s", c->cwd);
	close(cwd);
	close(rootfd);
}

/* Still before pivot_root, once in the cgroup namespace: the mounts prepare_rootfs left, in order. */
void mount_cgroup_filesystems(struct config *c)
{
	int rootfd = -1;
	for (int i = 0; i < c->nmounts; i++) {
		if (!waits_for_cgroup(c, i))
			continue;
		if (rootfd < 0 && (rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			fail("open rootfs %s", c->rootfs);
		mount_entry(rootfd, &c->mounts[i]);
	}
	if (rootfd >= 0)
		close(rootfd);
}

/* pivot_root(".", "."), as runc does: the old root ends up mounted on top of the new one, where we
 * detach it. Unlike chroot(2), nothing of the host stays reachable (pivot_root(2), NOTES). */
void pivot_into(const char *rootfs)
{
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		fail("open / and %s for pivot_root", rootfs);
	if (fchdir(newroot) < 0)
		fail("chdir %s", rootfs);
	trace("pivot_root", "pivot_root(\".\", \".\") in %s", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail("pivot_root %s", rootfs);
	if (fchdir(oldroot) < 0)
		fail("chdir to the old root");
	/* Slave, so unmounting the old root cannot propagate to the host's mounts. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail("make the old root rslave");
	trace("mount", "umount2 old root (MNT_DETACH)");
	if (umount2(".", MNT_DETACH) < 0)
		fail("unmount the old root");
	if (chdir("/") < 0)
		fail("chdir /");
	close(oldroot);
	close(newroot);
}

/* runc readonlyPath: bind the path onto itself, then remount it read-only keeping its other flags. */
static void readonly_path(int rootfd, const char *path)
{
	int fd = open_in_root(rootfd, path, O_PATH, 0);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		fail("open read-only path %s", path);
	if (mount(fd_path(fd), fd_path(fd), NULL, MS_BIND | MS_REC, NULL) < 0)
		fail("bind mount read-only path %s", path);
	close(fd);
	fd = open_in_root(rootfd, path, O_PATH, 0);
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(fd_path(fd));
	trace("mount", "remount %s (%s)", path, flag_names(flags));
	if (mount(NULL, fd_path(fd), NULL, flags, NULL) < 0)
		fail("remount %s read-only", path);
	close(fd);
}

/* runc maskPaths: /dev/null over a file, an empty read-only tmpfs over a directory. /dev/null must
 * really be the null device, or a hostile image could make us bind something else (CVE-2025-31133). */
static void mask_path(int rootfd, const char *path)
{
	int fd = open_in_root(rootfd, path, O_PATH, 0);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		fail("open masked path %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		fail("stat masked path %s", path);
	if (S_ISDIR(st.st_mode)) {
		trace("mount", "tmpfs on %s (ro) to mask it", path);
		if (mount("tmpfs", fd_path(fd), "tmpfs", MS_RDONLY, NULL) < 0)
			fail("mask %s", path);
	} else {
		int null = open_in_root(rootfd, "/dev/null", O_PATH, 0);
		struct stat ns;
		if (null < 0 || fstat(null, &ns) < 0)
			fail("open /dev/null to mask %s", path);
		if (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
			errno = EPERM;
			fail("mask %s: /dev/null is not the null device", path);
		}
		trace("mount", "bind /dev/null on %s to mask it", path);
		if (mount(fd_path(null), fd_path(fd), NULL, MS_BIND, NULL) < 0)
			fail("mask %s", path);
		close(null);
	}
	close(fd);
}

/* After pivot_root, with /proc and /sys in place: read-only and masked paths, then a read-only /. */
void finish_rootfs(struct config *c)
{
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fail("open /");
	for (int i = 0; i < c->nreadonly; i++)
		readonly_path(rootfd, c->readonly[i]);
	for (int i = 0; i < c->nmasked; i++)
		mask_path(rootfd, c->masked[i]);
	if (c->root_readonly) {
		unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags("/");
		trace("mount", "remount / (%s)", flag_names(flags));
		if (mount(NULL, "/", NULL, flags, NULL) < 0)
			fail("remount / read-only");
	}
	close(rootfd);
}
