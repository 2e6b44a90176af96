/* SPDX-License-Identifier: MIT */
/*
 * resolvers.c - exercises the libc resolver entry points a shim must cover,
 * for t/e2e/110-dns.sh: res_query, res_search, res_nquery, getaddrinfo_a
 * (both GAI_WAIT and GAI_NOWAIT with a signal), gethostbyname2_r.
 *   resolvers MODE NAME   prints "ok <answers>" or "fail <reason>"
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t notified;

static void on_sig(int sig)
{
	(void)sig;
	notified = 1;
}

static int gai_a(const char *name, int nowait)
{
	struct gaicb cb = { .ar_name = name }, *list[1] = { &cb };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	char ip[INET6_ADDRSTRLEN];
	int rc, i;

	signal(SIGUSR1, on_sig);
	rc = getaddrinfo_a(nowait ? GAI_NOWAIT : GAI_WAIT, list, 1, nowait ? &sev : NULL);
	if (rc) {
		printf("fail getaddrinfo_a %s\n", gai_strerror(rc));
		return 1;
	}
	for (i = 0; nowait && !notified && i < 500; i++)
		usleep(10000);
	if (nowait && !notified) {
		printf("fail no notification\n");
		return 1;
	}
	rc = gai_error(&cb);
	if (rc) {
		printf("fail %s\n", rc == EAI_FAIL ? "EAI_FAIL" : gai_strerror(rc));
		return 1;
	}
	inet_ntop(cb.ar_result->ai_family, cb.ar_result->ai_family == AF_INET
		  ? (void *)&((struct sockaddr_in *)cb.ar_result->ai_addr)->sin_addr
		  : (void *)&((struct sockaddr_in6 *)cb.ar_result->ai_addr)->sin6_addr,
		  ip, sizeof(ip));
	printf("ok %s\n", ip);
	freeaddrinfo(cb.ar_result);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char ans[4096];
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: resolvers res_query|res_search|res_nquery|gai_a|gai_a_nowait|ghbn2r NAME\n");
		return 2;
	}
	if (!strcmp(argv[1], "gai_a"))
		return gai_a(argv[2], 0);
	if (!strcmp(argv[1], "gai_a_nowait"))
		return gai_a(argv[2], 1);
	if (!strcmp(argv[1], "ghbn2r")) {
		struct hostent he, *res = NULL;
		char buf[1024], ip[INET_ADDRSTRLEN];
		int herr = 0;

		n = gethostbyname2_r(argv[2], AF_INET, &he, buf, sizeof(buf), &res, &herr);
		if (n || !res) {
			printf("fail h_errno=%d\n", herr);
			return 1;
		}
		printf("ok %s\n", inet_ntop(AF_INET, res->h_addr_list[0], ip, sizeof(ip)));
		return 0;
	}
	if (!strcmp(argv[1], "res_query"))
		n = res_query(argv[2], ns_c_in, ns_t_a, ans, sizeof(ans));
	else if (!strcmp(argv[1], "res_search"))
		n = res_search(argv[2], ns_c_in, ns_t_txt, ans, sizeof(ans));
	else if (!strcmp(argv[1], "res_nquery")) {
		struct __res_state st;

		memset(&st, 0, sizeof(st));
		res_ninit(&st);
		n = res_nquery(&st, argv[2], ns_c_in, ns_t_a, ans, sizeof(ans));
		res_nclose(&st);
	} else {
		return 2;
	}
	if (n < 0) {
		printf("fail h_errno=%d\n", h_errno);
		return 1;
	}
	{
		ns_msg msg;

		if (ns_initparse(ans, n, &msg) < 0) {
			printf("fail unparsable answer\n");
			return 1;
		}
		printf("ok %d\n", ns_msg_count(msg, ns_s_an));
	}
	return 0;
}
