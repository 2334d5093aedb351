/* Reading and writing protocol messages (see protocol.h for the framing). */
#ifndef TSDOCKER_MESSAGE_H
#define TSDOCKER_MESSAGE_H
#include <stdint.h>

struct message {
	uint32_t type;
	int nfields;
	char **fields; /* point into buf */
	char *buf;
	int fd;        /* a descriptor passed with SCM_RIGHTS, or -1 */
};

/* 0 on success, 1 on end of file, -1 with errno set on error. */
int read_message(int fd, struct message *m);
void free_message(struct message *m);
/* Fields are strings; the list ends with NULL. Returns 0 or -1 with errno. */
int write_message(int fd, uint32_t type, const char *const *fields);
int write_message_fd(int fd, uint32_t type, const char *const *fields, int passfd);
/* Write all of buf, waiting if the descriptor is non-blocking (Node may have made it so). */
int write_all(int fd, const void *buf, size_t len);

#endif
