/* Prints its pid (1: the first process of the container's PID namespace) and host name. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char host[256] = "";

	gethostname(host, sizeof host - 1);
	printf("hello from a static binary: pid %d on %s\n", (int)getpid(), host);
	return 0;
}
