/* relay_writer.c - writes a file on a TCP socket in ways the shim never
 * sees: stdio (fdopen + fputs: glibc's internal write skips the PLT), a
 * raw `syscall` instruction, and the same one byte per instruction.
 * Built by t/e2e/300-relay-channels.sh. usage: fputs|asm|asmsplit PORT FILE */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static long raw_write(int fd, const void *p, size_t n)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_write), "D"((long)fd), "S"(p), "d"(n)
			 : "rcx", "r11", "memory");
	return r;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[4096], reply[64];
	FILE *in, *out;
	size_t len, i;
	ssize_t n;
	int fd;

	if (argc != 4)
		return 2;
	a.sin_port = htons((unsigned short)atoi(argv[2]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("connect");
		return 1;
	}
	in = fopen(argv[3], "r");
	if (!in)
		return 1;
	len = fread(buf, 1, sizeof(buf), in);
	if (!strcmp(argv[1], "fputs")) {
		out = fdopen(dup(fd), "w");
		buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
		if (!out || fputs(buf, out) < 0 || fflush(out) != 0) {
			perror("fputs");
			return 1;
		}
	} else if (!strcmp(argv[1], "asm")) {
		if (raw_write(fd, buf, len) != (long)len) {
			printf("error write\n");
			return 1;
		}
	} else {
		for (i = 0; i < len; i++)
			if (raw_write(fd, buf + i, 1) != 1) {
				printf("error write at %zu\n", i);
				return 1;
			}
	}
	n = read(fd, reply, sizeof(reply) - 1);
	printf("%s\n", n > 0 ? "reply ok" : "no reply");
	return 0;
}
