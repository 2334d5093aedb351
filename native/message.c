/* Protocol framing: u32 type, u32 length, then NUL-terminated strings (protocol.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "message.h"
#include "protocol.h"

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Node's fd 3 is a pipe, and a run's configuration is over a hundred records: read through this
 * buffer, the whole configuration is one read(2), not two per record. Everything Node sends on it
 * (the configuration, then GO, INTERFACE and NETWORK) is read with read_message before the
 * monitor's relay loop starts, and after that Node only closes it: so the loop's poll(2) of fd 3
 * never has bytes waiting here that it cannot see. */
static struct {
	int fd; /* the pipe being buffered, or -1 */
	size_t off, len;
	char data[16384];
} in = { .fd = -1 };

static ssize_t read_pipe(int fd, char *p, size_t len)
{
	if (in.fd != fd) {
		in.fd = fd;
		in.off = in.len = 0;
	}
	if (in.off == in.len) {
		ssize_t n = read(fd, in.data, sizeof in.data);
		if (n <= 0)
			return n;
		in.off = 0;
		in.len = (size_t)n;
	}
	size_t n = in.len - in.off < len ? in.len - in.off : len;
	memcpy(p, in.data + in.off, n);
	in.off += n;
	return (ssize_t)n;
}

/* recvmsg, not read, on a socket: a plain read() would silently close a passed descriptor. A pipe
 * (ENOTSOCK, then remembered) is read through the buffer above. */
static int read_full(int fd, void *buf, size_t len, int *passfd)
{
	char *p = buf;
	while (len > 0) {
		char control[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = p, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control, .msg_controllen = sizeof control };
		int from_socket = in.fd != fd;
		ssize_t n = from_socket ? recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) : read_pipe(fd, p, len);
		if (n < 0 && errno == ENOTSOCK) {
			from_socket = 0;
			n = read_pipe(fd, p, len);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return p == (char *)buf ? 1 : (errno = EPROTO, -1);
		if (n > 0 && from_socket && mh.msg_controllen > 0) {
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			if (c && c->cmsg_type == SCM_RIGHTS && passfd)
				memcpy(passfd, CMSG_DATA(c), sizeof(int));
		}
		p += n;
		len -= n;
	}
	return 0;
}

int read_message(int fd, struct message *m)
{
	uint32_t header[2];
	memset(m, 0, sizeof *m);
	m->fd = -1;
	int r = read_full(fd, header, sizeof header, &m->fd);
	if (r != 0)
		return r;
	if (header[1] > MAX_MESSAGE) {
		errno = EMSGSIZE;
		return -1;
	}
	m->type = header[0];
	m->buf = malloc(header[1] + 1);
	if (!m->buf)
		return -1;
	if (header[1] > 0 && read_full(fd, m->buf, header[1], &m->fd) != 0) {
		if (errno == 0)
			errno = EPROTO;
		return -1;
	}
	m->buf[header[1]] = '\0';
	for (uint32_t i = 0; i < header[1]; i++)
		if (m->buf[i] == '\0')
			m->nfields++;
	m->fields = calloc(m->nfields + 1, sizeof(char *));
	char *p = m->buf;
	for (int i = 0; i < m->nfields; i++) {
		m->fields[i] = p;
		p += strlen(p) + 1;
	}
	return 0;
}

void free_message(struct message *m)
{
	free(m->fields);
	free(m->buf);
	m->fields = NULL;
	m->buf = NULL;
}

int write_message_fd(int fd, uint32_t type, const char *const *fields, int passfd)
{
	size_t len = 0;
	for (const char *const *f = fields; f && *f; f++)
		len += strlen(*f) + 1;
	char *buf = malloc(8 + len);
	if (!buf)
		return -1;
	uint32_t header[2] = { type, (uint32_t)len };
	memcpy(buf, header, 8);
	char *p = buf + 8;
	for (const char *const *f = fields; f && *f; f++) {
		size_t n = strlen(*f) + 1;
		memcpy(p, *f, n);
		p += n;
	}
	int r;
	if (passfd < 0) {
		r = write_all(fd, buf, 8 + len);
	} else {
		char control[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { .iov_base = buf, .iov_len = 8 + len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control, .msg_controllen = sizeof control };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
		r = sendmsg(fd, &mh, 0) == (ssize_t)(8 + len) ? 0 : -1;
	}
	free(buf);
	return r;
}

int write_message(int fd, uint32_t type, const char *const *fields)
{
	return write_message_fd(fd, type, fields, -1);
}
