/* SPDX-License-Identifier: MIT */
/*
 * dnsproxy.h - the DNS server the jail's /etc/resolv.conf names (see
 * mountns.h), so every resolver in the jail, static ones with their own DNS
 * client included, asks through the broker and is judged.
 *
 * Listens on UDP and TCP port 53 of a free loopback address 127.53.x.y.
 * Each query is checked by brk_dns_query_parse() (malformed: FORMERR, or
 * dropped when not even a header), then judged by ops->judge(); refused
 * queries get REFUSED (rcode 5) with the same id and question and never
 * leave; allowed ones are forwarded unchanged to the host's name servers
 * (read once with res_ninit() at start): UDP with per-server timeout and
 * retries, TCP for TCP queries. A truncated (TC) UDP answer is returned to
 * the client as it is, so the client retries over TCP, which we forward
 * over TCP. Answers are returned unchanged; when no server answers, the
 * client gets SERVFAIL. Everything is bounded: message sizes, UDP queries in
 * flight, concurrent TCP clients, queries per TCP connection, timeouts.
 *
 * Only the launcher starts it. Threads: one poll loop, plus one detached
 * worker per query in flight or TCP client, so judge() is called from
 * several threads at once and must be thread-safe.
 */
#ifndef DLP_BROKER_DNSPROXY_H
#define DLP_BROKER_DNSPROXY_H

#include <stddef.h>
#include <stdint.h>

struct brk_dnsproxy;

struct brk_dnsproxy_ops {
	/*
	 * Judges one query (the DNS message, no TCP length prefix, already
	 * parsed strictly). Returns 0 to forward it, a positive errno to
	 * answer REFUSED; why (NUL-terminated, may be left empty) is for
	 * the caller's own logging. Thread-safe; must not block for long.
	 */
	int (*judge)(void *ctx, const uint8_t *query, size_t len, char *why, size_t whylen);
};

/* Bounds (also what the tests rely on). */
#define BRK_DNSPROXY_UDP_INFLIGHT	64	/* more UDP queries are dropped */
#define BRK_DNSPROXY_TCP_CLIENTS	16	/* more connections are closed */
#define BRK_DNSPROXY_TCP_QUERIES	64	/* per connection */
#define BRK_DNSPROXY_TCP_IDLE_MS	10000
#define BRK_DNSPROXY_UPSTREAM_MAX	3

/*
 * Starts the proxy. ops->judge is required; ctx is passed to it. On
 * success *out owns the proxy and addr_text holds its address ("127.53.x.y",
 * for "nameserver 127.53.x.y" in the jail's resolv.conf).
 * Returns 0; -EINVAL; -ENOMEM; -EACCES (port 53 needs root or
 * CAP_NET_BIND_SERVICE, or net.ipv4.ip_unprivileged_port_start <= 53);
 * -EOPNOTSUPP (no upstream name server in /etc/resolv.conf, or no free
 * 127.53.x.y address); other negative errnos from socket/thread creation.
 * why says which.
 */
int brk_dnsproxy_start(const struct brk_dnsproxy_ops *ops, void *ctx,
		       struct brk_dnsproxy **out, char *addr_text, size_t addr_cap,
		       char *why, size_t whylen);

/*
 * Stops serving, cuts TCP clients, waits for queries in flight (bounded by
 * the upstream timeouts) and frees the proxy. NULL is fine.
 */
void brk_dnsproxy_stop(struct brk_dnsproxy *px);

#endif /* DLP_BROKER_DNSPROXY_H */
