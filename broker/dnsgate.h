/* SPDX-License-Identifier: MIT */
/*
 * dnsgate.h - every DNS question a jailed process asks goes through here:
 * names from the shim's resolver hooks and raw DNS queries the process
 * sends itself to port 53. A name must pass the host policy and the DNS
 * exfiltration checks (broker/dns/); allowed A/AAAA names are resolved by
 * the broker itself so the addresses it hands out or approves are its own
 * answers, never ones a process could forge. Also: which addresses are the
 * system's name servers, and which destinations are DNS-over-TLS/HTTPS
 * endpoints that would hide queries from all of this.
 */
#ifndef DLP_BROKER_DNSGATE_H
#define DLP_BROKER_DNSGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/addr.h"
#include "broker/policy.h"

struct brk_ctx;
struct brk_dnsgate;

/* Session DNS state from the policy's "dns KEY VALUE" lines; err on bad ones. */
int brk_dnsgate_new(struct brk_ctx *ctx, struct brk_dnsgate **out, char *err, size_t errlen);
void brk_dnsgate_free(struct brk_dnsgate *g);

/*
 * Judge one query name of type qtype for process pid/exe: host policy,
 * then exfiltration checks; writes the event. Returns BRK_ALLOW/BRK_DENY as
 * enforced (monitor mode allows). On a deny, reason is the shim's stderr
 * line after "blocked ": "name lookup of SHOWN: why" (via "getaddrinfo")
 * or "DNS query for SHOWN: why", SHOWN in the display form above.
 */
int brk_dnsgate_judge(struct brk_ctx *ctx, pid_t pid, const char *exe, const char *name,
		      uint16_t qtype, const char *via, char *reason, size_t rlen);

/*
 * Raw DNS bytes a process sends to port 53 (UDP datagram, or TCP stream
 * bytes with 2-byte length prefixes; tcp_buf carries a partial message
 * between calls). Every complete query is judged; bytes that are not a
 * stub resolver's query are refused. Returns BRK_ALLOW/BRK_DENY.
 */
struct dlp_buf;
int brk_dnsgate_raw(struct brk_ctx *ctx, pid_t pid, const char *exe, const uint8_t *p,
		    size_t len, bool tcp, struct dlp_buf *tcp_buf, char *reason, size_t rlen);

/* The session's DNS proxy (the jail's resolv.conf names it): a name server
 * whose queries the proxy itself judges. */
void brk_dnsgate_set_proxy(struct brk_dnsgate *g, const struct brk_addr *a);
bool brk_dnsgate_is_proxy(const struct brk_dnsgate *g, const struct brk_addr *a);
bool brk_dnsgate_has_proxy(const struct brk_dnsgate *g);

/*
 * How a name no rule approved is shown (events, summary, the shim's line).
 * Ordinary: lower-case LDH, at most 100 bytes, 8 labels of 40, no
 * high-entropy label, no letter/digit-switching or hex run in the labels
 * joined, nothing decoding to text or a credential, and no finding of the
 * scanner (canaries, detectors) on the name as typed or with the label
 * separators undone. brk_dnsgate_show_name() copies an ordinary name and
 * returns true, else writes the redacted form and returns false.
 * brk_dnsgate_judge() adds the session's DNS checks (budgets, reassembly).
 */
bool brk_dnsgate_name_shape_ok(const char *name);
bool brk_dnsgate_name_ordinary(struct brk_ctx *ctx, const char *name);
bool brk_dnsgate_show_name(struct brk_ctx *ctx, const char *name, char *dst, size_t cap);

/*
 * The redacted form: the subdomain part only through dlp_redact(), the
 * last two labels in clear when they look like a plain domain
 * ("<abcd•••••1234 (len=40)>.evil.example"), else the whole name redacted.
 */
void brk_dnsgate_redact_name(const char *host, char *dst, size_t cap);

/* Is a one of the name servers in /etc/resolv.conf (read at start), or the proxy? */
bool brk_dnsgate_is_nameserver(const struct brk_dnsgate *g, const struct brk_addr *a);

/*
 * DNS over TLS (port 853) or a well-known DNS-over-HTTPS endpoint: these
 * carry queries past every check above, so they are refused unless the
 * policy allows the address explicitly. Returns true and fills d if refused.
 */
bool brk_dnsgate_encrypted_dns(const struct brk_policy *p, const struct brk_addr *a, int port,
			       struct brk_decision *d);

#endif /* DLP_BROKER_DNSGATE_H */
