/* SPDX-License-Identifier: MIT */
/*
 * dnsproxy_driver.c - test driver for broker/dnsproxy: starts the proxy
 * with a judge that refuses every name containing "blocked", writes the
 * proxy's address to ADDRFILE and serves until SIGTERM/SIGINT. Verdicts go
 * to stderr, one line each. Only t/e2e/140-dnsproxy.sh runs it.
 *
 * exit: 0 after a clean stop; 3 start said -EACCES/-EOPNOTSUPP; 4 other.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "broker/dns/dns_msg.h"
#include "broker/dnsproxy.h"

static int judge(void *ctx, const uint8_t *q, size_t len, char *why, size_t whylen)
{
	struct brk_dns_query pq;
	int refuse;

	(void)ctx;
	if (brk_dns_query_parse(q, len, &pq) < 0) {
		snprintf(why, whylen, "unparsable");
		return EPROTO;
	}
	refuse = strstr(pq.name, "blocked") != NULL;
	fprintf(stderr, "judge %s %s\n", pq.name, refuse ? "refuse" : "allow");
	return refuse ? EACCES : 0;
}

static const struct brk_dnsproxy_ops ops = { .judge = judge };

int main(int argc, char **argv)
{
	struct brk_dnsproxy *px = NULL;
	char addr[64], why[256];
	sigset_t set;
	FILE *f;
	int rc, sig;

	if (argc != 2) {
		fprintf(stderr, "usage: dnsproxy_driver ADDRFILE\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* before the threads start */
	rc = brk_dnsproxy_start(&ops, NULL, &px, addr, sizeof(addr), why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "dnsproxy_driver: %s (%s)\n", why, strerror(-rc));
		return rc == -EACCES || rc == -EOPNOTSUPP ? 3 : 4;
	}
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%s\n", addr) < 0 || fclose(f) != 0) {
		brk_dnsproxy_stop(px);
		return 4;
	}
	sigwait(&set, &sig);
	brk_dnsproxy_stop(px);
	fprintf(stderr, "dnsproxy_driver: stopped\n");
	return 0;
}
