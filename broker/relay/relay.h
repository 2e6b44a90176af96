/* SPDX-License-Identifier: MIT */
/*
 * relay.h - the egress relay: every TCP connection of the jailed tree is
 * connected to the relay (by the seccomp supervisor, see
 * broker/seccomp/seccomp.h relay_attach), which owns the pair (jail side,
 * upstream) and forwards bytes only after the scanning engine saw them.
 * Path of the bytes: relay.c (sockets) -> relay_scan.c (protocol parts,
 * engine, verdict, events). Design: broker/relay/README.md.
 *
 * Caller: the launcher. Every function returns 0 or a negative errno.
 */
#ifndef DLP_BROKER_RELAY_RELAY_H
#define DLP_BROKER_RELAY_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct brk_ctx;
struct brk_relay;

/* Listen on 127.0.0.1 (and ::1 where lo has it) and start nthreads
 * (1..8) relay threads serving ctx (policy, engine, event log). */
int brk_relay_start(struct brk_ctx *ctx, unsigned nthreads, struct brk_relay **out);
/* The command is gone: let the pairs forward what their jail side wrote
 * before it closed (scanned as ever), up to ms; what is still sending then
 * is reset by brk_relay_stop(), each with an event (rule relay-drain).
 * NULL is a no-op. */
#define BRK_RELAY_DRAIN_MS 500
void brk_relay_drain(struct brk_relay *r, unsigned ms);
/* Stop the threads, close every open pair (reset unless its egress is all
 * out: a drain's leftovers are reset), free. NULL is a no-op. */
void brk_relay_stop(struct brk_relay *r);

/* Where a jail socket of this family (AF_INET, AF_INET6) is connected. */
int brk_relay_addr(struct brk_relay *r, int family, struct sockaddr_storage *ss, socklen_t *len);

/*
 * The upstream ufd (connected to dst, ownership passes, also on error)
 * for the jail socket whose local address is jail_local, in process pid.
 * Matched with the connection the relay accepts from that address.
 */
int brk_relay_attach(struct brk_relay *r, const struct sockaddr_storage *jail_local,
		     socklen_t jlen, int ufd, pid_t pid, const struct sockaddr *dst,
		     socklen_t dlen);

/*
 * A pair the supervisor connected itself (broker/seccomp/sc_hold.c): jfd
 * is the relay's end of the jail socket whose local address is
 * jail_local, ufd the upstream (both owned from here on, also on error).
 * exe: of pid, NULL to read it here.
 */
int brk_relay_adopt(struct brk_relay *r, const struct sockaddr_storage *jail_local,
		    socklen_t jlen, int jfd, int ufd, pid_t pid, const char *exe,
		    const struct sockaddr *dst, socklen_t dlen);

/*
 * The CA path (relay_mitm.c): TLS no hook reports is terminated with
 * leaves of ca (not owned; must outlive the relay) and connected upstream
 * verifying against upstream_ca (a PEM file; NULL: the host's default
 * trust store). Without it such TLS is refused. Call before the command
 * runs. 0 or negative errno with err filled.
 */
struct brk_tls_ca;
int brk_relay_set_ca(struct brk_relay *r, struct brk_tls_ca *ca, const char *upstream_ca,
		     char *err, size_t errlen);

/* Counters, for tests and the bench. */
struct brk_relay_stats {
	unsigned long pairs;         /* attached and relayed */
	unsigned long resets;        /* reset for a finding or refusal */
	unsigned long long up_bytes; /* jail -> upstream, forwarded */
	unsigned long long down_bytes;
};
void brk_relay_stats(struct brk_relay *r, struct brk_relay_stats *st);

#endif /* DLP_BROKER_RELAY_RELAY_H */
