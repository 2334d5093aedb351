/* tsdocker-sys.node: the few system calls Node's own fs lacks, for the Node side of tsdocker
 * (src/sys/libc.ts is its only user). A Node-API addon (node_api.h, ABI-stable across Node
 * versions), loaded in-process like any .node file: mount(2) and umount2(2) for the overlay root
 * filesystem and the network namespace pin, mknod(2) for device nodes and overlay whiteouts, and the
 * l*xattr(2) calls that must not follow symlinks (image layers, overlay's opaque directories),
 * bpf(2) to attach the device filter of a cgroup v2 (src/runtime/cgroups/devicefilter.ts), and
 * _exit(2) for leaving without Node's teardown.
 *
 * Nothing here changes namespaces or threads: that is tsdocker-runtime's job, in its own process.
 * Each call returns what the system call returned, or -errno; libc.ts turns -errno into an error
 * naming the call and the path. Before this addon, tsdocker called libc through the koffi FFI,
 * whose loading cost about 12 ms of every `tsdocker run` (README, dependencies). */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
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
	};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		napi_value f;
		napi_create_function(env, calls[i].name, NAPI_AUTO_LENGTH, calls[i].fn, NULL, &f);
		napi_set_named_property(env, exports, calls[i].name, f);
	}
	return exports;
}
