/* tsdocker-sys.node: the few system calls Node's own fs lacks, for the Node side of tsdocker
 * (src/sys/libc.ts is its only user). A Node-API addon (node_api.h, ABI-stable across Node
 * versions), loaded in-process like any .node file: mount(2) and umount2(2) for the overlay root
 * filesystem and the network namespace pin, mknod(2) for device nodes and overlay whiteouts, and the
 * l*xattr(2) calls that must not follow symlinks (image layers, overlay's opaque directories),
 * bpf(2) to attach the device filter of a cgroup v2 (src/runtime/cgroups/devicefilter.ts),
 * _exit(2) for leaving without Node's teardown, and what starting the runtime helper takes without
 * node:child_process: pipe2(2), posix_spawn(3), waitpid(2), and reading a pipe on Node's own event
 * loop (src/runtime/helper.ts says why), and running a short program to its end (the network's
 * `ip` and CNI runs); isatty(3) and the terminal's size without node:tty; one rtnetlink(7)
 * request on a netlink socket, for a container's veth pair without running `ip`; and mmap(2) of
 * the CLI bundle and its V8 code cache, for src/cli/launch.ts.
 *
 * Nothing here changes namespaces or threads: that is tsdocker-runtime's job, in its own process.
 * Each call returns what the system call returned, or -errno; libc.ts turns -errno into an error
 * naming the call and the path. Before this addon, tsdocker called libc through the koffi FFI,
 * whose loading cost about 12 ms of every `tsdocker run` (README, dependencies). */
#define _GNU_SOURCE /* pipe2, POSIX_SPAWN_SETSID */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <limits.h>
#include <linux/netlink.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 5

struct args {
	size_t n;
	napi_value v[MAX_ARGS];
	char *s[MAX_ARGS]; /* string arguments, malloc'd; NULL for null or undefined */
};

static void free_args(struct args *a)
{
	for (size_t i = 0; i < MAX_ARGS; i++)
		free(a->s[i]);
}

/* Read the call's arguments; `strings` says which are strings (bit i for argument i). */
static int get_args(napi_env env, napi_callback_info info, struct args *a, unsigned strings)
{
	*a = (struct args){ .n = MAX_ARGS };
	if (napi_get_cb_info(env, info, &a->n, a->v, NULL, NULL) != napi_ok)
		return -1;
	for (size_t i = 0; i < a->n; i++) {
		if (!(strings & (1u << i)))
			continue;
		napi_valuetype t;
		napi_typeof(env, a->v[i], &t);
		if (t == napi_null || t == napi_undefined)
			continue;
		size_t len;
		if (napi_get_value_string_utf8(env, a->v[i], NULL, 0, &len) != napi_ok) {
			napi_throw_type_error(env, NULL, "expected a string");
			free_args(a);
			return -1;
		}
		a->s[i] = malloc(len + 1);
		if (!a->s[i]) {
			napi_throw_error(env, NULL, "out of memory");
			free_args(a);
			return -1;
		}
		napi_get_value_string_utf8(env, a->v[i], a->s[i], len + 1, &len);
	}
	return 0;
}

static uint32_t number(napi_env env, struct args *a, size_t i)
{
	uint32_t n = 0;
	if (i < a->n)
		napi_get_value_uint32(env, a->v[i], &n);
	return n;
}

/* The system call's result, or -errno when it failed. */
static napi_value result(napi_env env, long r)
{
	napi_value v;
	napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &v);
	return v;
}

/* mount(source, target, fstype, flags, data): mount(2); source, fstype and data may be null. */
static napi_value js_mount(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1 | 2 | 4 | 16) < 0)
		return NULL;
	napi_value v = result(env, mount(a.s[0], a.s[1], a.s[2], number(env, &a, 3), a.s[4]));
	free_args(&a);
	return v;
}

/* umount2(target, flags): umount2(2). */
static napi_value js_umount2(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	napi_value v = result(env, umount2(a.s[0], (int)number(env, &a, 1)));
	free_args(&a);
	return v;
}

/* mknod(path, mode, major, minor): mknod(2); mode holds the file type and permissions. */
static napi_value js_mknod(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	napi_value v = result(env, mknod(a.s[0], number(env, &a, 1), makedev(number(env, &a, 2), number(env, &a, 3))));
	free_args(&a);
	return v;
}

/* lsetxattr(path, name, buffer, flags): lsetxattr(2), on a symlink itself. */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1 | 2) < 0)
		return NULL;
	void *data = NULL;
	size_t size = 0;
	if (napi_get_buffer_info(env, a.v[2], &data, &size) != napi_ok) {
		free_args(&a);
		napi_throw_type_error(env, NULL, "expected a Buffer");
		return NULL;
	}
	napi_value v = result(env, lsetxattr(a.s[0], a.s[1], data, size, (int)number(env, &a, 3)));
	free_args(&a);
	return v;
}

/* lremovexattr(path, name): lremovexattr(2). */
static napi_value js_lremovexattr(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1 | 2) < 0)
		return NULL;
	napi_value v = result(env, lremovexattr(a.s[0], a.s[1]));
	free_args(&a);
	return v;
}

/* Ask for the size, then the value; again if it grew in between (ERANGE), as getfattr(1) does.
 * `name` NULL lists the names (llistxattr) instead of reading one value (lgetxattr). Returns a
 * Buffer, or -errno as a number. */
static napi_value read_xattr(napi_env env, const char *path, const char *name)
{
	for (;;) {
		ssize_t size = name ? lgetxattr(path, name, NULL, 0) : llistxattr(path, NULL, 0);
		if (size < 0)
			return result(env, -1);
		char *buf = malloc(size ? size : 1);
		if (!buf) {
			napi_throw_error(env, NULL, "out of memory");
			return NULL;
		}
		ssize_t got = name ? lgetxattr(path, name, buf, size) : llistxattr(path, buf, size);
		if (got < 0) {
			int e = errno;
			free(buf);
			if (e == ERANGE)
				continue;
			errno = e;
			return result(env, -1);
		}
		napi_value v;
		napi_create_buffer_copy(env, got, buf, NULL, &v);
		free(buf);
		return v;
	}
}

/* lgetxattr(path, name): the value as a Buffer, or -errno (-ENODATA when it is not set). */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1 | 2) < 0)
		return NULL;
	napi_value v = read_xattr(env, a.s[0], a.s[1]);
	free_args(&a);
	return v;
}

/* llistxattr(path): the names, each ended by a NUL, as a Buffer, or -errno. */
static napi_value js_llistxattr(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	napi_value v = read_xattr(env, a.s[0], NULL);
	free_args(&a);
	return v;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

/* The failure of attachDeviceFilter: { step, errno, log }, log only for a refused program. */
static napi_value bpf_failure(napi_env env, const char *step, int err, const char *log)
{
	napi_value o, v;
	napi_create_object(env, &o);
	napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &v);
	napi_set_named_property(env, o, "step", v);
	napi_create_int32(env, err, &v);
	napi_set_named_property(env, o, "errno", v);
	if (log && *log) {
		napi_create_string_utf8(env, log, NAPI_AUTO_LENGTH, &v);
		napi_set_named_property(env, o, "log", v);
	}
	return o;
}

#define MAX_OLD_PROGS 64

/* Load `count` instructions as a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to the cgroup
 * directory `dir`, in place of the device programs attached there before (so an update replaces
 * the rules rather than adding to them): list them, attach the new one, detach the old ones, as
 * runc does (ebpf_linux.go, LoadAttachCgroupDeviceFilter). The cgroup holds the program from then
 * on; it is freed when the cgroup is removed. Returns 0, or { step, errno[, log] }. */
static napi_value attach_device_filter(napi_env env, const char *dir, const struct bpf_insn *insns, size_t count)
{
	const char *step = "open";
	char *log = NULL;
	int err = 0, prog = -1;
	__u32 old[MAX_OLD_PROGS];
	__u32 nold = 0;
	union bpf_attr attr;

	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err = errno;
		goto out;
	}

	step = "BPF_PROG_QUERY";
	memset(&attr, 0, sizeof attr);
	attr.query.target_fd = dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uintptr_t)old;
	attr.query.prog_cnt = MAX_OLD_PROGS;
	if (bpf(BPF_PROG_QUERY, &attr) < 0) {
		err = errno;
		goto out;
	}
	nold = attr.query.prog_cnt;

	/* The license only matters for helpers that are GPL-only; this program calls none. */
	step = "BPF_PROG_LOAD";
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = count;
	attr.license = (uintptr_t) "MIT";
	prog = bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0) {
		/* Refused: load again with a buffer for the verifier's reasons, to show them. */
		err = errno;
		const size_t size = 64 * 1024;
		log = calloc(1, size);
		if (log) {
			attr.log_level = 1;
			attr.log_buf = (uintptr_t)log;
			attr.log_size = size;
			int again = bpf(BPF_PROG_LOAD, &attr);
			if (again >= 0)
				close(again);
		}
		goto out;
	}

	step = "BPF_PROG_ATTACH";
	memset(&attr, 0, sizeof attr);
	attr.target_fd = dirfd;
	attr.attach_bpf_fd = prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf(BPF_PROG_ATTACH, &attr) < 0) {
		err = errno;
		goto out;
	}

	step = "BPF_PROG_DETACH";
	for (__u32 i = 0; i < nold && i < MAX_OLD_PROGS; i++) {
		memset(&attr, 0, sizeof attr);
		attr.prog_id = old[i];
		int fd = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (fd < 0) {
			if (errno == ENOENT) /* gone already */
				continue;
			err = errno;
			goto out;
		}
		memset(&attr, 0, sizeof attr);
		attr.target_fd = dirfd;
		attr.attach_bpf_fd = fd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		int r = bpf(BPF_PROG_DETACH, &attr);
		if (r < 0)
			err = errno;
		close(fd);
		if (r < 0)
			goto out;
	}

out:
	if (prog >= 0)
		close(prog);
	if (dirfd >= 0)
		close(dirfd);
	napi_value v = err ? bpf_failure(env, step, err, log) : result(env, 0);
	free(log);
	return v;
}

/* attachDeviceFilter(cgroupDir, program): program is a Buffer of struct bpf_insn. */
static napi_value js_attach_device_filter(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	void *data = NULL;
	size_t size = 0;
	if (!a.s[0] || napi_get_buffer_info(env, a.v[1], &data, &size) != napi_ok || size == 0 ||
	    size % sizeof(struct bpf_insn) != 0) {
		free_args(&a);
		napi_throw_type_error(env, NULL, "expected a path and a Buffer of struct bpf_insn");
		return NULL;
	}
	napi_value v = attach_device_filter(env, a.s[0], data, size / sizeof(struct bpf_insn));
	free_args(&a);
	return v;
}

/* exit(status): _exit(2), at once: no exit handlers, no teardown of Node's VM (see exitNow in
 * src/sys/libc.ts for when that is safe). */
static napi_value js_exit(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 0) < 0)
		return NULL;
	_exit((int)number(env, &a, 0));
}

/* mapFile(path, text): the whole file mapped read-only (mmap(2), MAP_POPULATE), as a latin1 string
 * (text) or a Buffer, both external: V8 reads the file's pages where the page cache holds them.
 * For src/cli/launch.ts, which reads the CLI bundle (400 KB) and its V8 code cache (350 KB) at
 * every start. readFileSync copies each into fresh memory (the bundle twice: a Buffer, then a V8
 * string), and every fresh page is a page fault, about 13 us each in this project's VMs: mapped,
 * a `run` makes ~260 faults fewer and takes ~9 ms less (alternating runs; the mapping itself
 * costs ~0.1 ms). The mapping is never unmapped: V8 keeps a script's
 * source, and the process is short. The file must be replaced by rename(2), never rewritten in
 * place (scripts/bundle.js, launch.ts): a truncated mapping faults (SIGBUS) when read.
 * Returns -errno when the file cannot be mapped, or -ENOTSUP when this Node cannot take external
 * memory; the caller then reads the file as usual. */
typedef napi_status (*external_latin1_fn)(napi_env, char *, size_t, napi_finalize, void *, napi_value *, bool *);

static napi_value js_map_file(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	bool text = false;
	if (a.n >= 2)
		napi_get_value_bool(env, a.v[1], &text);
	int fd = a.s[0] ? open(a.s[0], O_RDONLY | O_CLOEXEC) : (errno = EINVAL, -1);
	free_args(&a);
	if (fd < 0)
		return result(env, -1);
	struct stat st;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0) {
		if (st.st_size > 0)
			p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		else
			errno = ENODATA;
	}
	close(fd);
	if (p == MAP_FAILED)
		return result(env, -1);
	/* node_api_create_external_string_latin1 is Node-API "experimental" in Node 20 (18.18 on):
	 * looked up at run time, so that the addon still loads on a Node without it. */
	static external_latin1_fn external_latin1;
	if (text && !external_latin1)
		external_latin1 = (external_latin1_fn)dlsym(RTLD_DEFAULT, "node_api_create_external_string_latin1");
	napi_value v;
	bool copied = false;
	napi_status status = napi_generic_failure;
	if (text && external_latin1)
		status = external_latin1(env, p, st.st_size, NULL, NULL, &v, &copied);
	else if (!text)
		status = napi_create_external_buffer(env, st.st_size, p, NULL, NULL, &v);
	if (status != napi_ok || copied)
		munmap(p, st.st_size);
	if (status != napi_ok) {
		errno = ENOTSUP;
		return result(env, -1);
	}
	return v;
}

/* Starting the runtime helper (src/runtime/helper.ts). Node's child_process costs every `tsdocker
 * run` about 16 ms: loading it (it brings node:net and the streams) and its spawn, which libuv
 * makes with fork(2), copying the page tables of Node's ~40 MB while the main thread waits. */

/* pipe(): pipe2(2) with O_CLOEXEC, so that no other program Node starts inherits either end:
 * [readFd, writeFd], or -errno. */
static napi_value js_pipe(napi_env env, napi_callback_info info)
{
	(void)info;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return result(env, -1);
	napi_value v, n;
	napi_create_array_with_length(env, 2, &v);
	for (uint32_t i = 0; i < 2; i++) {
		napi_create_int32(env, fds[i], &n);
		napi_set_element(env, v, i, n);
	}
	return v;
}

static void free_strings(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* A JavaScript array of strings as a NULL-terminated, malloc'd char *[] (argv, envp); NULL with a
 * TypeError thrown when it is not one. */
static char **string_array(napi_env env, napi_value array)
{
	bool is_array = false;
	uint32_t n = 0;
	if (napi_is_array(env, array, &is_array) != napi_ok || !is_array || napi_get_array_length(env, array, &n) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected an array of strings");
		return NULL;
	}
	char **v = calloc(n + 1, sizeof *v);
	if (!v) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		napi_value e;
		size_t len;
		if (napi_get_element(env, array, i, &e) != napi_ok || napi_get_value_string_utf8(env, e, NULL, 0, &len) != napi_ok) {
			free_strings(v);
			napi_throw_type_error(env, NULL, "expected an array of strings");
			return NULL;
		}
		if (!(v[i] = malloc(len + 1))) {
			free_strings(v);
			napi_throw_error(env, NULL, "out of memory");
			return NULL;
		}
		napi_get_value_string_utf8(env, e, v[i], len + 1, &len);
	}
	return v;
}

#define MAX_STDIO 16

/* posix_spawn(3) of `file`, whose descriptor i (i < n) is the parent's stdio[i]. glibc makes the
 * child with clone(CLONE_VM|CLONE_VFORK): it runs in the parent's memory until it calls execve, so
 * no page table is copied, and an execve failure comes back as posix_spawn's result. The child
 * starts clean, as libuv's uv_spawn makes it: every signal to its default action (Node ignores
 * SIGPIPE, and an ignored signal stays ignored across execve(2)), none blocked, and with
 * `new_session` a session of its own (setsid(2)). Returns the pid, or -1 with errno set. */
static pid_t spawn_child(const char *file, char *const argv[], char *const envp[], const int *stdio, int n,
			 bool new_session)
{
	int use[MAX_STDIO], moved[MAX_STDIO];
	pid_t pid = -1;
	int err = 0;
	for (int i = 0; i < n; i++)
		moved[i] = -1;
	/* The dup2 actions run in order, so a parent descriptor that is another's target (stdio[1] == 0,
	 * say) would be overwritten before its own turn: copy such descriptors above n first. */
	for (int i = 0; i < n && !err; i++) {
		use[i] = stdio[i];
		if (stdio[i] < n && stdio[i] != i) {
			use[i] = moved[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, n);
			if (use[i] < 0)
				err = errno;
		}
	}
	/* The child's stdin, stdout and stderr are blocking, as uv_spawn leaves them: a program does not
	 * expect EAGAIN there. O_NONBLOCK belongs to the open file, which Node's descriptor shares, so
	 * clearing it here has the effect of libuv's clearing it in the child (fcntl(2)). */
	for (int i = 0; i < n && i < 3 && !err; i++) {
		int fl = fcntl(use[i], F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK))
			fcntl(use[i], F_SETFL, fl & ~O_NONBLOCK);
	}
	if (!err) {
		posix_spawn_file_actions_t actions;
		posix_spawnattr_t attr;
		sigset_t all, none;
		/* Every signal, glibc's own two as well (32 and 33, for threads: signal(7)): sigfillset
		 * leaves them out, and posix_spawn sets the ones it is not told to reset to SIG_IGN in
		 * the child, which execve would keep. The set is the kernel's bit mask. */
		memset(&all, 0xff, sizeof all);
		sigemptyset(&none);
		posix_spawn_file_actions_init(&actions);
		posix_spawnattr_init(&attr);
		/* dup2 onto itself clears FD_CLOEXEC (glibc 2.29 and later, as POSIX now says). */
		for (int i = 0; i < n && !err; i++)
			err = posix_spawn_file_actions_adddup2(&actions, use[i], i);
		if (!err)
			err = posix_spawnattr_setsigdefault(&attr, &all);
		if (!err)
			err = posix_spawnattr_setsigmask(&attr, &none);
		if (!err)
			err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
							   (new_session ? POSIX_SPAWN_SETSID : 0));
		if (!err)
			err = posix_spawn(&pid, file, &actions, &attr, argv, envp);
		posix_spawnattr_destroy(&attr);
		posix_spawn_file_actions_destroy(&actions);
	}
	for (int i = 0; i < n; i++)
		if (moved[i] >= 0)
			close(moved[i]);
	if (err) {
		errno = err;
		return -1;
	}
	return pid;
}

/* What spawnStart takes, read and checked. */
struct spawn_request {
	char *file;
	char **argv, **envp;
	int stdio[MAX_STDIO];
	int n;
	bool new_session;
};

static void free_request(struct spawn_request *r)
{
	free(r->file);
	free_strings(r->argv);
	free_strings(r->envp);
}

/* 0, or -1 with a JavaScript exception pending. */
static int read_request(napi_env env, napi_callback_info info, struct spawn_request *r)
{
	struct args a;
	memset(r, 0, sizeof *r);
	if (get_args(env, info, &a, 1) < 0)
		return -1;
	uint32_t n = 0;
	bool is_array = false;
	int ok = -1;
	if (!a.s[0] || a.n < 5 || napi_is_array(env, a.v[3], &is_array) != napi_ok || !is_array ||
	    napi_get_array_length(env, a.v[3], &n) != napi_ok || n > MAX_STDIO ||
	    napi_get_value_bool(env, a.v[4], &r->new_session) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected spawn(file, argv, env, stdio, newSession)");
		goto out;
	}
	r->n = (int)n;
	for (uint32_t i = 0; i < n; i++) {
		napi_value e;
		if (napi_get_element(env, a.v[3], i, &e) != napi_ok || napi_get_value_int32(env, e, &r->stdio[i]) != napi_ok ||
		    r->stdio[i] < 0) {
			napi_throw_type_error(env, NULL, "expected a descriptor for each of the child's stdio");
			goto out;
		}
	}
	if (!(r->file = strdup(a.s[0])) || !(r->argv = string_array(env, a.v[1])) || !(r->envp = string_array(env, a.v[2])))
		goto out;
	ok = 0;
out:
	if (ok < 0)
		free_request(r);
	free_args(&a);
	return ok;
}

/*
 * spawnStart(file, argv, env, stdio, newSession): posix_spawn(3), on a thread of its own; env is a
 * list of "NAME=value", stdio the parent's descriptor for each of the child's 0..n-1 (a /dev/null
 * the caller opened for none). glibc's posix_spawn suspends the thread that calls it until the
 * child has called execve(2) (CLONE_VFORK), 1-1.5 ms here for the runtime helper; Node's thread
 * goes on meanwhile. spawnFinish(job) waits for that thread and returns the pid, or -errno (also
 * when execve failed, ENOENT for a missing file). The caller must leave the stdio descriptors
 * open until then: the child dup2(2)s them on the way to execve.
 */
struct spawn_job {
	struct spawn_request r;
	pthread_t thread;
	bool joined;
	pid_t pid;
	int err;
};

static void *spawn_thread(void *arg)
{
	struct spawn_job *j = arg;
	j->pid = spawn_child(j->r.file, j->r.argv, j->r.envp, j->r.stdio, j->r.n, j->r.new_session);
	j->err = j->pid < 0 ? errno : 0;
	return NULL;
}

static void spawn_join(struct spawn_job *j)
{
	if (!j->joined)
		pthread_join(j->thread, NULL);
	j->joined = true;
}

/* A job whose JavaScript object was collected: its thread is joined before its memory goes. */
static void spawn_free(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	struct spawn_job *j = data;
	spawn_join(j);
	free_request(&j->r);
	free(j);
}

static napi_value js_spawn_start(napi_env env, napi_callback_info info)
{
	struct spawn_job *j = calloc(1, sizeof *j);
	if (!j)
		return result(env, -1);
	if (read_request(env, info, &j->r) < 0) {
		free(j);
		return NULL;
	}
	int err = pthread_create(&j->thread, NULL, spawn_thread, j);
	if (err) {
		free_request(&j->r);
		free(j);
		errno = err;
		return result(env, -1);
	}
	napi_value v;
	if (napi_create_external(env, j, spawn_free, NULL, &v) != napi_ok) {
		spawn_join(j);
		free_request(&j->r);
		free(j);
		return NULL;
	}
	return v;
}

static napi_value js_spawn_finish(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	void *data = NULL;
	napi_valuetype type = napi_undefined;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
	    napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
	    napi_get_value_external(env, argv[0], &data) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected spawnFinish(job)");
		return NULL;
	}
	struct spawn_job *j = data;
	spawn_join(j);
	errno = j->err;
	return result(env, j->pid);
}

/* { code, signal } from a waitpid(2) status: the exit status and null, or null and the number of
 * the signal that killed it. */
static napi_value exit_status(napi_env env, int status)
{
	napi_value o, code, signal;
	napi_create_object(env, &o);
	if (WIFSIGNALED(status)) {
		napi_get_null(env, &code);
		napi_create_int32(env, WTERMSIG(status), &signal);
	} else {
		napi_create_int32(env, WEXITSTATUS(status), &code);
		napi_get_null(env, &signal);
	}
	napi_set_named_property(env, o, "code", code);
	napi_set_named_property(env, o, "signal", signal);
	return o;
}

/* The most runSync keeps of each of a program's two outputs; more fails with ENOBUFS, as
 * spawnSync's maxBuffer does. The tools it runs print a few lines. */
#define RUN_OUTPUT_MAX (16u << 20)

struct output {
	char *data;
	size_t len, cap;
	int fd; /* -1 once at end of file */
};

/* Read what `fd` has; 0 at end of file (or error), 1 for more to come, -1 past RUN_OUTPUT_MAX. */
static int take_output(struct output *o)
{
	if (o->len == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4096;
		char *more = cap <= RUN_OUTPUT_MAX ? realloc(o->data, cap) : NULL;
		if (!more)
			return -1;
		o->data = more;
		o->cap = cap;
	}
	ssize_t n = read(o->fd, o->data + o->len, o->cap - o->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	o->len += (size_t)n;
	return 1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Run `file` to its end: `input` on its stdin, its stdout and stderr collected, killed (SIGKILL)
 * after timeout_ms unless that is 0. Fills *status as waitpid(2) does; returns 0, or -1 with errno
 * set when it could not start (or printed more than RUN_OUTPUT_MAX). */
static int run_to_end(const char *file, char *const argv[], char *const envp[], const char *input, size_t input_len,
		      uint32_t timeout_ms, struct output *out, struct output *err, int *status, bool *timed_out)
{
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, e[2] = { -1, -1 };
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
		int saved = errno;
		close_fd(&in[0]), close_fd(&in[1]), close_fd(&o[0]), close_fd(&o[1]);
		errno = saved;
		return -1;
	}
	const int stdio[3] = { in[0], o[1], e[1] };
	pid_t pid = spawn_child(file, argv, envp, stdio, 3, false);
	int saved = errno;
	close_fd(&in[0]), close_fd(&o[1]), close_fd(&e[1]);
	out->fd = o[0], err->fd = e[0];
	if (pid < 0) {
		close_fd(&in[1]), close_fd(&out->fd), close_fd(&err->fd);
		errno = saved;
		return -1;
	}
	/* Non-blocking ends, so that a program that fills one pipe while we write the other cannot
	 * stall us both: poll(2) says which end is ready. */
	int fds[3] = { in[1], out->fd, err->fd };
	for (int i = 0; i < 3; i++)
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	size_t written = 0;
	if (input_len == 0)
		close_fd(&in[1]);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	bool too_much = false;
	*timed_out = false;
	while (out->fd >= 0 || err->fd >= 0) {
		struct pollfd p[3] = { { in[1], POLLOUT, 0 }, { out->fd, POLLIN, 0 }, { err->fd, POLLIN, 0 } };
		int wait = -1;
		if (timeout_ms && !*timed_out) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
			wait = spent >= (long)timeout_ms ? 0 : (int)(timeout_ms - spent);
		}
		int ready = poll(p, 3, wait);
		if (ready < 0 && errno != EINTR)
			break;
		if (ready == 0) {
			kill(pid, SIGKILL);
			*timed_out = true;
			continue;
		}
		if (p[0].revents) {
			ssize_t n = write(in[1], input + written, input_len - written);
			if (n > 0)
				written += (size_t)n;
			/* All of it given, or the program closed its stdin (EPIPE: Node ignores SIGPIPE). */
			if (written == input_len || (n < 0 && errno != EAGAIN && errno != EINTR))
				close_fd(&in[1]);
		}
		for (int i = 1; i < 3; i++) {
			struct output *x = i == 1 ? out : err;
			if (!p[i].revents)
				continue;
			int r = take_output(x);
			if (r <= 0)
				close_fd(&x->fd);
			if (r < 0 && !too_much) {
				too_much = true;
				kill(pid, SIGKILL);
			}
		}
	}
	close_fd(&in[1]), close_fd(&out->fd), close_fd(&err->fd);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (too_much) {
		errno = ENOBUFS;
		return -1;
	}
	return 0;
}

/* runSync(file, argv, env, input, timeoutMs): run a short program to its end, as Node's
 * spawnSync does: { code, signal, stdout, stderr, timedOut } with the outputs as Buffers, or
 * -errno when it could not start. For the `ip`, `nsenter`, `iptables` and CNI plugin runs of a
 * container's network (src/network): spawnSync forks all of Node (about 8 ms each here) and
 * loads node:child_process first. `input` is a Buffer or null; `file` a path (no PATH search). */
static napi_value js_run_sync(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	napi_value v = NULL;
	char **argv = NULL, **envp = NULL;
	void *input = NULL;
	size_t input_len = 0;
	uint32_t timeout_ms = number(env, &a, 4);
	bool is_buffer = false;
	if (!a.s[0] || a.n < 5 || (napi_is_buffer(env, a.v[3], &is_buffer) == napi_ok && is_buffer &&
				   napi_get_buffer_info(env, a.v[3], &input, &input_len) != napi_ok)) {
		napi_throw_type_error(env, NULL, "expected runSync(file, argv, env, input, timeoutMs)");
		goto out;
	}
	if (!(argv = string_array(env, a.v[1])) || !(envp = string_array(env, a.v[2])))
		goto out;
	struct output o = { .fd = -1 }, e = { .fd = -1 };
	int status = 0;
	bool timed_out = false;
	if (run_to_end(a.s[0], argv, envp, input, input_len, timeout_ms, &o, &e, &status, &timed_out) < 0) {
		v = result(env, -1);
	} else {
		napi_value stdout_buf, stderr_buf, timed;
		v = exit_status(env, status);
		napi_create_buffer_copy(env, o.len, o.data ? o.data : "", NULL, &stdout_buf);
		napi_create_buffer_copy(env, e.len, e.data ? e.data : "", NULL, &stderr_buf);
		napi_get_boolean(env, timed_out, &timed);
		napi_set_named_property(env, v, "stdout", stdout_buf);
		napi_set_named_property(env, v, "stderr", stderr_buf);
		napi_set_named_property(env, v, "timedOut", timed);
	}
	free(o.data);
	free(e.data);
out:
	free_strings(argv);
	free_strings(envp);
	free_args(&a);
	return v;
}

/* waitpid(pid, noHang): waitpid(2) for that one child (never -1 or 0: any child, or a group).
 * { code, signal } once it has ended: its exit status and null, or null and the signal that killed
 * it; 0 with noHang while it runs; or -errno. */
static napi_value js_waitpid(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 0) < 0)
		return NULL;
	int32_t pid = 0;
	bool nohang = false;
	if (a.n < 1 || napi_get_value_int32(env, a.v[0], &pid) != napi_ok || pid <= 0 ||
	    (a.n > 1 && napi_get_value_bool(env, a.v[1], &nohang) != napi_ok)) {
		napi_throw_type_error(env, NULL, "expected waitpid(pid > 0, noHang)");
		return NULL;
	}
	int status = 0;
	pid_t r;
	do
		r = waitpid(pid, &status, nohang ? WNOHANG : 0);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return result(env, r);
	return exit_status(env, status);
}

/* Reading a pipe on Node's own event loop: a libuv poll handle (uv_poll_start, epoll(7)) on the
 * descriptor, and a read(2) in its callback, on the main thread. This is how net.Socket reads a
 * pipe, without loading node:net and the streams; and unlike fs.read on libuv's threadpool it keeps
 * no thread blocked in read(2) for the life of a container, and it can stop at any time (exec -d
 * lets the helper run on alone). */
struct reader {
	uv_poll_t poll;
	napi_env env;
	napi_ref callback;
	napi_async_context context;
	int fd;
	bool polling;         /* until stop_polling */
	bool in_callback;     /* JavaScript is running its callback */
	bool release_pending; /* readStop was called from the callback */
	struct reader *next;
};

static struct reader *readers;

static void free_reader(uv_handle_t *handle)
{
	free(handle->data);
}

static void cleanup_reader(void *arg);

/* Stop and close the poll handle, at once. Closing it takes the descriptor out of epoll(7) by its
 * number, so it must happen while the number is still this pipe's: before the callback that may
 * close it, and before the caller of readStop closes it (a number reused by a new reader would
 * lose its events). libuv frees nothing until its close callback, which runs later in the loop. */
static void stop_polling(struct reader *r)
{
	if (!r->polling)
		return;
	r->polling = false;
	for (struct reader **p = &readers; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	napi_remove_env_cleanup_hook(r->env, cleanup_reader, r);
	uv_close((uv_handle_t *)&r->poll, free_reader); /* stops it too */
}

/* Let go of the JavaScript callback and its async context (not while it runs). */
static void release(struct reader *r)
{
	napi_delete_reference(r->env, r->callback);
	napi_async_destroy(r->env, r->context);
}

/* Node is tearing its environment down with the reader still on. */
static void cleanup_reader(void *arg)
{
	stop_polling(arg);
	release(arg);
}

/* Readable (or hung up: libuv reports that as readable too, and read(2) returns 0). The callback
 * gets a Buffer, null at end of file, or -errno; before those two the reader has stopped. It is
 * called as any callback from libuv is (napi_make_callback): promises resolved there settle when
 * it returns, and what it throws is an uncaught exception. */
static void on_readable(uv_poll_t *poll, int status, int events)
{
	(void)events;
	struct reader *r = poll->data;
	napi_env env = r->env;
	char buf[65536];
	ssize_t n = status; /* libuv's errors are -errno */
	if (status == 0) {
		do
			n = read(r->fd, buf, sizeof buf);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			n = -errno;
	}
	if (n <= 0)
		stop_polling(r);
	napi_handle_scope scope;
	napi_open_handle_scope(env, &scope);
	napi_value callback, recv, arg, ignored;
	napi_get_reference_value(env, r->callback, &callback);
	napi_get_global(env, &recv); /* napi_make_callback wants an object */
	if (n > 0)
		napi_create_buffer_copy(env, n, buf, NULL, &arg);
	else if (n == 0)
		napi_get_null(env, &arg);
	else
		napi_create_int32(env, (int32_t)n, &arg);
	r->in_callback = true;
	if (napi_make_callback(env, r->context, recv, callback, 1, &arg, &ignored) == napi_pending_exception) {
		napi_value err;
		napi_get_and_clear_last_exception(env, &err);
		napi_fatal_exception(env, err);
	}
	r->in_callback = false;
	napi_close_handle_scope(env, scope);
	if (n <= 0 || r->release_pending)
		release(r);
}

/* readStart(fd, callback): call callback with what can be read from fd, until end of file; libuv
 * makes the descriptor non-blocking (O_NONBLOCK is the open file's: give the other process its own
 * end, as a pipe does). Returns 0 or -errno. Stop it, and only then close fd, with readStop. */
static napi_value js_read_start(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 0) < 0)
		return NULL;
	int32_t fd = -1;
	napi_valuetype t = napi_undefined;
	if (a.n >= 2)
		napi_typeof(env, a.v[1], &t);
	if (t != napi_function || napi_get_value_int32(env, a.v[0], &fd) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected readStart(fd, callback)");
		return NULL;
	}
	struct uv_loop_s *loop;
	struct reader *r = calloc(1, sizeof *r);
	if (!r) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	int err;
	if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
		free(r);
		napi_throw_error(env, NULL, "no event loop");
		return NULL;
	}
	if ((err = uv_poll_init(loop, &r->poll, fd)) < 0) {
		free(r);
		errno = -err;
		return result(env, -1);
	}
	r->poll.data = r;
	r->env = env;
	r->fd = fd;
	r->polling = true;
	napi_value resource, name;
	napi_create_object(env, &resource);
	napi_create_string_utf8(env, "tsdocker:read", NAPI_AUTO_LENGTH, &name);
	napi_async_init(env, resource, name, &r->context);
	napi_create_reference(env, a.v[1], 1, &r->callback);
	napi_add_env_cleanup_hook(env, cleanup_reader, r);
	r->next = readers;
	readers = r;
	if ((err = uv_poll_start(&r->poll, UV_READABLE, on_readable)) < 0) {
		stop_polling(r);
		release(r);
		errno = -err;
		return result(env, -1);
	}
	return result(env, 0);
}

/* readStop(fd): stop the reader of fd, which is not closed: close it after this. 0, or -EBADF when
 * there is none (it ended, or never began). */
static napi_value js_read_stop(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 0) < 0)
		return NULL;
	int32_t fd = -1;
	if (a.n < 1 || napi_get_value_int32(env, a.v[0], &fd) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected readStop(fd)");
		return NULL;
	}
	for (struct reader *r = readers; r; r = r->next)
		if (r->fd == fd) {
			stop_polling(r);
			if (r->in_callback)
				r->release_pending = true;
			else
				release(r);
			return result(env, 0);
		}
	errno = EBADF;
	return result(env, -1);
}

/* Small files read and written whole, with plain system calls. Node's fs does the same in 20 to
 * 60 us per file in a short-lived process, much of it its JavaScript running cold (argument checks,
 * flags, a Buffer, a string); a `run` reads and writes some 50 such files (cgroup files, /proc, its
 * own records), and C does each in ~7 us (measured, src/sys/libc.ts readText). */

/* readFile(path, max, flags): the content of the regular file `path` as a UTF-8 string, or
 * -errno: -EFBIG past `max` bytes, -EINVAL for anything but a regular file (a fifo, a device).
 * `flags` are added to O_RDONLY (O_NOFOLLOW, O_NONBLOCK: src/container/rootpath.ts). */
static napi_value js_read_file(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	size_t max = number(env, &a, 1);
	int fd = a.s[0] ? open(a.s[0], O_RDONLY | O_CLOEXEC | (int)number(env, &a, 2)) : (errno = EINVAL, -1);
	free_args(&a);
	if (fd < 0)
		return result(env, -1);
	struct stat st;
	int not_regular = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
	if (not_regular) {
		close(fd);
		errno = not_regular;
		return result(env, -1);
	}
	/* Files in /proc and /sys say size 0 and are read until end of file: grow as needed. */
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int err = buf ? 0 : ENOMEM;
	while (!err) {
		if (len == cap) {
			char *more = cap > max ? NULL : realloc(buf, cap * 2);
			if (!more) {
				err = cap > max ? EFBIG : ENOMEM;
				break;
			}
			buf = more;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		else if (n == 0)
			break;
		else
			len += n;
	}
	close(fd);
	if (!err && len > max)
		err = EFBIG;
	napi_value v;
	if (err) {
		free(buf);
		errno = err;
		return result(env, -1);
	}
	napi_create_string_utf8(env, buf, len, &v);
	free(buf);
	return v;
}

/* writeFile(path, text, flags, mode, resize): open(2) with `flags` (and O_CLOEXEC), write the
 * whole of `text` as UTF-8, close; 0 or -errno. Without O_CREAT in `flags` a missing file is
 * ENOENT, as cgroupfs needs (writeCgroupFile). With `resize`, the file is cut to the text's length
 * after the write (ftruncate(2)): a file rewritten in place without O_TRUNC, which on ext4 makes
 * the close start writing the file out (auto_da_alloc, ext4(5)). */
static napi_value js_write_file(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1 | 2) < 0)
		return NULL;
	const char *text = a.s[1] ? a.s[1] : "";
	int fd = a.s[0] ? open(a.s[0], (int)number(env, &a, 2) | O_CLOEXEC, (mode_t)number(env, &a, 3)) : (errno = EINVAL, -1);
	int err = fd < 0 ? errno : 0;
	for (size_t off = 0, len = strlen(text); !err && off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno != EINTR)
			err = errno;
		else if (n > 0)
			off += n;
	}
	bool resize = false;
	if (a.n >= 5)
		napi_get_value_bool(env, a.v[4], &resize);
	if (!err && resize && ftruncate(fd, (off_t)strlen(text)) < 0)
		err = errno;
	if (fd >= 0 && close(fd) < 0 && !err)
		err = errno;
	free_args(&a);
	errno = err;
	return result(env, err ? -1 : 0);
}

/* The directory `path` is in, as path.dirname gives it: the name with its last component (and
 * any trailing slashes) cut, "." for a bare name. Not "path/..": the path may be a file (a pinned
 * namespace), and ".." would follow a symbolic link. */
static void parent_dir(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s", path);
	size_t n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	char *slash = strrchr(out, '/');
	if (slash == out)
		out[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(out, size, ".");
}

/* otherDevice(path): 1 when `path` is on another device than its parent directory (the root of
 * a mount of another filesystem: an overlay, a namespace pinned by a bind mount), 0 when not, or
 * -errno. Two stat(2) calls; Node's statSync makes a Stats object with four Dates for each. */
static napi_value js_other_device(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	char parent[PATH_MAX];
	parent_dir(a.s[0] ? a.s[0] : "", parent, sizeof parent);
	struct stat st, up;
	long r = !a.s[0] ? (errno = EINVAL, -1) : stat(a.s[0], &st) < 0 || stat(parent, &up) < 0 ? -1 : st.st_dev != up.st_dev;
	free_args(&a);
	return result(env, r);
}

/* findNamespaceUser(kind, identity): a pid whose /proc/<pid>/ns/<kind> link reads `identity`
 * ("net:[4026532281]"), or 0 when no process is in that namespace (src/network/netns.ts). */
static napi_value js_find_namespace_user(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1 | 2) < 0)
		return NULL;
	long found = 0;
	DIR *proc = a.s[0] && a.s[1] ? opendir("/proc") : (errno = EINVAL, NULL);
	if (!proc) {
		free_args(&a);
		return result(env, -1);
	}
	struct dirent *e;
	char link[PATH_MAX], target[256];
	while (!found && (e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue; /* processes only */
		snprintf(link, sizeof link, "/proc/%s/ns/%s", e->d_name, a.s[0]);
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n < 0)
			continue; /* it exited meanwhile, or it is not ours to look at */
		target[n] = '\0';
		if (!strcmp(target, a.s[1]))
			found = strtol(e->d_name, NULL, 10);
	}
	closedir(proc);
	free_args(&a);
	return result(env, found);
}

/* mkdir(path, mode), rmdir(path), unlink(path): the system calls, 0 or -errno. */
static napi_value js_mkdir(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	napi_value v = result(env, a.s[0] ? mkdir(a.s[0], (mode_t)number(env, &a, 1)) : (errno = EINVAL, -1));
	free_args(&a);
	return v;
}

static napi_value js_rmdir(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	napi_value v = result(env, a.s[0] ? rmdir(a.s[0]) : (errno = EINVAL, -1));
	free_args(&a);
	return v;
}

static napi_value js_unlink(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	napi_value v = result(env, a.s[0] ? unlink(a.s[0]) : (errno = EINVAL, -1));
	free_args(&a);
	return v;
}

/* stat(path, follow): [mode, inode, mtime in ms] from stat(2), or lstat(2) when `follow` is false;
 * or -errno. The three fields the run path asks for (a file's type, a namespace's identity, which
 * build is newer), without the Stats object Node's statSync makes. */
static napi_value js_stat(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	bool follow = true;
	if (a.n >= 2)
		napi_get_value_bool(env, a.v[1], &follow);
	struct stat st;
	int r = !a.s[0] ? (errno = EINVAL, -1) : follow ? stat(a.s[0], &st) : lstat(a.s[0], &st);
	free_args(&a);
	if (r < 0)
		return result(env, -1);
	napi_value out, mode, ino, mtime;
	napi_create_array_with_length(env, 3, &out);
	napi_create_uint32(env, st.st_mode, &mode);
	napi_create_double(env, (double)st.st_ino, &ino);
	napi_create_double(env, st.st_mtim.tv_sec * 1e3 + st.st_mtim.tv_nsec / 1e6, &mtime);
	napi_set_element(env, out, 0, mode);
	napi_set_element(env, out, 1, ino);
	napi_set_element(env, out, 2, mtime);
	return out;
}

/* statfs(path): the file system's type (f_type, statfs(2): CGROUP2_SUPER_MAGIC, TMPFS_MAGIC, ...),
 * or -errno. */
static napi_value js_statfs(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	struct statfs sf;
	int r = a.s[0] ? statfs(a.s[0], &sf) : (errno = EINVAL, -1);
	free_args(&a);
	if (r < 0)
		return result(env, -1);
	napi_value v;
	napi_create_double(env, (double)(unsigned long)sf.f_type, &v);
	return v;
}

/* readDir(path, withTypes): the names in a directory but "." and "..", in the order the file system
 * gives them (readdir(3)); with `withTypes`, each followed by its type from d_type: "d", "l", "f"
 * (regular) or "?" (another, or a file system that does not say). -errno when it cannot be read. */
static napi_value js_read_dir(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	bool types = false;
	if (a.n >= 2)
		napi_get_value_bool(env, a.v[1], &types);
	DIR *d = a.s[0] ? opendir(a.s[0]) : (errno = EINVAL, NULL);
	free_args(&a);
	if (!d)
		return result(env, -1);
	napi_value out;
	napi_create_array(env, &out);
	uint32_t i = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		napi_value name;
		napi_create_string_utf8(env, e->d_name, NAPI_AUTO_LENGTH, &name);
		napi_set_element(env, out, i++, name);
		if (types) {
			const char *t = e->d_type == DT_DIR ? "d" : e->d_type == DT_LNK ? "l" : e->d_type == DT_REG ? "f" : "?";
			napi_value type;
			napi_create_string_latin1(env, t, 1, &type);
			napi_set_element(env, out, i++, type);
		}
	}
	closedir(d);
	return out;
}

/* readlink(path): the target of a symbolic link (readlink(2)), or -errno. */
static napi_value js_readlink(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	char target[PATH_MAX];
	ssize_t n = a.s[0] ? readlink(a.s[0], target, sizeof target) : (errno = EINVAL, -1);
	free_args(&a);
	if (n < 0 || n == sizeof target)
		return result(env, n < 0 ? -1 : (errno = ENAMETOOLONG, -1));
	napi_value v;
	napi_create_string_utf8(env, target, (size_t)n, &v);
	return v;
}

/* A system call on two paths, its two string arguments: 0 or -errno. */
static napi_value two_paths(napi_env env, napi_callback_info info, int (*call)(const char *, const char *))
{
	struct args a;
	if (get_args(env, info, &a, 1 | 2) < 0)
		return NULL;
	napi_value v = result(env, a.s[0] && a.s[1] ? call(a.s[0], a.s[1]) : (errno = EINVAL, -1));
	free_args(&a);
	return v;
}

/* symlink(target, path), rename(from, to): symlink(2), rename(2). */
static napi_value js_symlink(napi_env env, napi_callback_info info)
{
	return two_paths(env, info, symlink);
}

static napi_value js_rename(napi_env env, napi_callback_info info)
{
	return two_paths(env, info, rename);
}

/* write(fd, buffer): write(2) of the whole Buffer, retried after a short write or EINTR; the bytes
 * written, or -errno (EAGAIN on a full non-blocking pipe after some were written: the count). */
static napi_value js_write(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	int32_t fd = -1;
	void *data = NULL;
	size_t len = 0;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
	    napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected write(fd, buffer)");
		return NULL;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return result(env, done > 0 ? (long)done : -1);
		done += (size_t)n;
	}
	return result(env, (long)done);
}

/* rm -rf, never through a mount point: a directory that is the root of a mount (statx(2)
 * STATX_ATTR_MOUNT_ROOT) or on another device than its parent is not entered, and the removal
 * stops with EBUSY (what is mounted there is not ours to delete). `failed` gets the path of the
 * first failure. 0, or an errno. */
static int remove_entry(int parent_fd, const char *name, const char *path, dev_t dev, char *failed, size_t size)
{
	if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	int err = errno;
	if (err != EISDIR) /* unlink(2) of a directory: EISDIR on Linux */
		goto fail;
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT)
			return 0;
		goto fail;
	}
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0 ||
	    ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) ||
	    makedev(stx.stx_dev_major, stx.stx_dev_minor) != dev) {
		close(fd);
		err = EBUSY;
		goto fail;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		err = errno;
		close(fd);
		goto fail;
	}
	err = 0;
	struct dirent *e;
	char child[PATH_MAX];
	while (!err && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof child, "%s/%s", path, e->d_name);
		err = remove_entry(dirfd(d), e->d_name, child, dev, failed, size);
	}
	closedir(d);
	if (err)
		return err; /* `failed` names the entry below */
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	err = errno;
fail:
	snprintf(failed, size, "%s", path);
	return err;
}

/* removeTree(path): rm -rf of `path` (a file, or a directory and all below it), which must not
 * be a mount point or hold one; 0, or [-errno, the path that failed]. fs.rmSync lists each
 * directory only after rmdir(2) refused it, an exception each time; src/fsutil.ts removeAll. */
static napi_value js_remove_tree(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 1) < 0)
		return NULL;
	char failed[PATH_MAX] = "";
	int err = 0;
	struct stat up;
	if (!a.s[0]) {
		err = EINVAL;
	} else {
		/* The device the tree must stay on: its parent directory's. */
		char parent[PATH_MAX];
		parent_dir(a.s[0], parent, sizeof parent);
		if (stat(parent, &up) < 0)
			err = errno == ENOENT ? 0 : errno;
		else
			err = remove_entry(AT_FDCWD, a.s[0], a.s[0], up.st_dev, failed, sizeof failed);
	}
	free_args(&a);
	if (!err)
		return result(env, 0);
	napi_value out, code, where;
	napi_create_array_with_length(env, 2, &out);
	napi_create_int32(env, -err, &code);
	napi_create_string_utf8(env, failed, NAPI_AUTO_LENGTH, &where);
	napi_set_element(env, out, 0, code);
	napi_set_element(env, out, 1, where);
	return out;
}

/* getrandom(buffer): fill the Buffer from the kernel's generator (getrandom(2), which blocks only
 * until the generator is first seeded at boot); its length, or -errno. One call instead of an open,
 * a read and a close of /dev/urandom (src/random.ts). */
static napi_value js_getrandom(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value arg;
	void *data = NULL;
	size_t size = 0;
	if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || napi_get_buffer_info(env, arg, &data, &size) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected a Buffer or Uint8Array");
		return NULL;
	}
	for (size_t got = 0; got < size;) {
		ssize_t n = syscall(SYS_getrandom, (char *)data + got, size - got, 0);
		if (n < 0 && errno != EINTR)
			return result(env, -1);
		if (n > 0)
			got += n;
	}
	return result(env, (long)size);
}

/* isatty(fd): isatty(3), 1 or 0. node:tty's isatty would load node:net with it (src/cli/main.ts). */
static napi_value js_isatty(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 0) < 0)
		return NULL;
	int32_t fd = -1;
	if (a.n >= 1)
		napi_get_value_int32(env, a.v[0], &fd);
	return result(env, isatty(fd));
}

/* windowSize(fd): { rows, columns } of the terminal fd, ioctl(2) TIOCGWINSZ (tty_ioctl(4)), or -errno. */
static napi_value js_window_size(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 0) < 0)
		return NULL;
	int32_t fd = -1;
	if (a.n >= 1)
		napi_get_value_int32(env, a.v[0], &fd);
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return result(env, -1);
	napi_value o, rows, columns;
	napi_create_object(env, &o);
	napi_create_uint32(env, ws.ws_row, &rows);
	napi_create_uint32(env, ws.ws_col, &columns);
	napi_set_named_property(env, o, "rows", rows);
	napi_set_named_property(env, o, "columns", columns);
	return o;
}

/* Send one rtnetlink(7) request to the kernel and wait for its answer: 0, or -1 with errno set to
 * the kernel's error (NLMSG_ERROR's, e.g. EEXIST) or to that of socket(2), sendto(2) or recv(2).
 * The request asks for an ack (NLM_F_ACK), so the kernel always answers, with one NLMSG_ERROR
 * whose error is 0 for done (netlink(7)). A socket of our own for each request: nothing else
 * arrives on it, and the kernel handles the request inside sendto, so the answer is already
 * queued when recv asks for it. */
static int route_request(const void *request, size_t len, uint32_t seq)
{
	/* NETLINK_CAP_ACK: the kernel's answer to a failed request carries only the request's header
	 * rather than a copy of all of it, so this buffer holds any answer. Older kernels (before 4.3)
	 * refuse the option and copy: the requests here are a few hundred bytes. */
	union {
		struct nlmsghdr h;
		char b[4096];
	} reply;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK }; /* nl_pid 0: the kernel */
	int one = 1, err = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	if (sendto(fd, request, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		err = errno;
		goto out;
	}
	ssize_t n;
	do
		n = recv(fd, &reply, sizeof reply, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = errno;
		goto out;
	}
	/* The answer to our request: same sequence number, an NLMSG_ERROR, long enough to hold it. */
	struct nlmsghdr *h = &reply.h;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		err = EPROTO;
		goto out;
	}
	int error = ((struct nlmsgerr *)NLMSG_DATA(h))->error; /* 0, or -errno */
	err = error <= 0 ? -error : EPROTO;
out:
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

/* rtnetlink(request): send `request`, a Buffer holding one netlink message made with
 * NLM_F_REQUEST | NLM_F_ACK (src/network/rtnetlink.ts builds them), on a NETLINK_ROUTE socket;
 * 0 when the kernel acked it, or -errno. */
static napi_value js_rtnetlink(napi_env env, napi_callback_info info)
{
	struct args a;
	if (get_args(env, info, &a, 0) < 0)
		return NULL;
	void *data = NULL;
	size_t size = 0;
	struct nlmsghdr h;
	bool ok = a.n >= 1 && napi_get_buffer_info(env, a.v[0], &data, &size) == napi_ok && size >= sizeof h;
	if (ok) {
		memcpy(&h, data, sizeof h); /* a Buffer's bytes need not be 4-byte aligned */
		/* Without NLM_F_ACK a request that succeeds gets no answer: recv would wait forever. */
		ok = h.nlmsg_len == size && (h.nlmsg_flags & NLM_F_ACK);
	}
	if (!ok) {
		napi_throw_type_error(env, NULL, "expected a Buffer holding one netlink message with NLM_F_ACK");
		return NULL;
	}
	return result(env, route_request(data, size, h.nlmsg_seq));
}

NAPI_MODULE_INIT()
{
	static const struct {
		const char *name;
		napi_callback fn;
	} calls[] = {
		{ "mount", js_mount },         { "umount2", js_umount2 },
		{ "mknod", js_mknod },         { "lsetxattr", js_lsetxattr },
		{ "lgetxattr", js_lgetxattr }, { "llistxattr", js_llistxattr },
		{ "lremovexattr", js_lremovexattr }, { "exit", js_exit },
		{ "attachDeviceFilter", js_attach_device_filter },
		{ "pipe", js_pipe },
		{ "spawnStart", js_spawn_start }, { "spawnFinish", js_spawn_finish },
		{ "waitpid", js_waitpid },     { "readStart", js_read_start },
		{ "readStop", js_read_stop },   { "isatty", js_isatty },
		{ "windowSize", js_window_size }, { "runSync", js_run_sync },
		{ "rtnetlink", js_rtnetlink },   { "mapFile", js_map_file },
		{ "readFile", js_read_file },   { "writeFile", js_write_file },
		{ "findNamespaceUser", js_find_namespace_user }, { "otherDevice", js_other_device },
		{ "mkdir", js_mkdir },         { "rmdir", js_rmdir },
		{ "stat", js_stat },           { "statfs", js_statfs },
		{ "readDir", js_read_dir },    { "readlink", js_readlink },
		{ "symlink", js_symlink },     { "rename", js_rename },
		{ "write", js_write },
		{ "unlink", js_unlink },       { "removeTree", js_remove_tree },
		{ "getrandom", js_getrandom },
	};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		napi_value f;
		napi_create_function(env, calls[i].name, NAPI_AUTO_LENGTH, calls[i].fn, NULL, &f);
		napi_set_named_property(env, exports, calls[i].name, f);
	}
	return exports;
}
