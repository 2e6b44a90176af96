/* SPDX-License-Identifier: MIT */
/*
 * addr.h - IP addresses and CIDR blocks as the policy sees them.
 *
 * Every address is canonicalised before any rule looks at it, so one
 * destination cannot hide behind another spelling of itself:
 *   ::ffff:a.b.c.d (IPv4-mapped), ::a.b.c.d (IPv4-compatible, deprecated),
 *   64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052) and
 *   2002:AABB:CCDD::/48 (6to4, RFC 3056) all become the IPv4 address;
 *   0.0.0.0 becomes 127.0.0.1 and :: becomes ::1 (Linux connects both to
 *   loopback). Loopback is one place: brk_addr_aliases() adds ::1 for
 *   127.0.0.0/8 and 127.0.0.1 for ::1 so a rule on either covers both.
 */
#ifndef DLP_BROKER_ADDR_H
#define DLP_BROKER_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BRK_ADDR_STRLEN 48

struct brk_addr {
	uint8_t v;        /* 4 or 6 */
	uint8_t b[16];    /* network order; IPv4 uses b[0..3] */
};

struct brk_cidr {
	struct brk_addr net;
	uint8_t plen;     /* prefix length, 0..32 or 0..128 */
};

/* From a sockaddr_in/in6; fills port (host order) if non-NULL. -EINVAL otherwise. */
int brk_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
			   struct brk_addr *out, uint16_t *port);
/* From AF_INET/AF_INET6 and raw bytes (4 or 16). */
int brk_addr_from_bytes(int family, const uint8_t *bytes, struct brk_addr *out);
/* Parse a literal ("10.0.0.1", "fe80::1", "[::1]"); -EINVAL otherwise. */
int brk_addr_parse(const char *s, struct brk_addr *out);
/* The canonical form described above. in and out may alias. */
void brk_addr_canon(const struct brk_addr *in, struct brk_addr *out);
/*
 * The canonical address plus its loopback twin when it is loopback.
 * Writes 1 or 2 addresses into out[2]; returns the count.
 */
int brk_addr_aliases(const struct brk_addr *in, struct brk_addr out[2]);
bool brk_addr_is_loopback(const struct brk_addr *a);
/* Text form ("127.0.0.1", "::1") of the address as given. */
void brk_addr_format(const struct brk_addr *a, char *dst, size_t cap);

/* "10.0.0.0/8", "fd00::/8", or a bare address (full-length prefix). Host bits must be 0. */
int brk_cidr_parse(const char *s, struct brk_cidr *out);
/* Is a (already canonical) inside c? Families must match. */
bool brk_cidr_contains(const struct brk_cidr *c, const struct brk_addr *a);
void brk_cidr_format(const struct brk_cidr *c, char *dst, size_t cap);

#endif /* DLP_BROKER_ADDR_H */
