/* SPDX-License-Identifier: MIT */
/*
 * dns_msg.h - DNS wire format (RFC 1035) for the broker: a strict parser for
 * the queries a jailed program sends itself (UDP payload, or TCP with its
 * 2-byte length prefix), a query builder, and an answer walker over a
 * resolver's response (A, AAAA, CNAME, TXT; others reported raw).
 *
 * The query parser is the one that sees hostile bytes first. It accepts only
 * what a stub resolver sends: QR=0, opcode QUERY, exactly one question, no
 * answer or authority records, at most one additional record and that an
 * EDNS OPT with the root owner, no compression pointers anywhere, no
 * trailing bytes. Anything else is -EPROTO, so the caller fails closed.
 * Data an attacker may smuggle besides the name (EDNS options) is reported
 * in the parse result; re-encode with brk_dns_query_build() rather than
 * forwarding the original bytes.
 *
 * No state, no heap: callable from any thread. Response parsing uses
 * libresolv's ns_initparse()/ns_parserr().
 */
#ifndef DLP_BROKER_DNS_DNS_MSG_H
#define DLP_BROKER_DNS_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define BRK_DNS_HDR_LEN		12
/* Wire name incl. length bytes and the root label (RFC 1035 3.1). */
#define BRK_DNS_WIRE_NAME_MAX	255
/* Presentation form: 255 wire bytes escape to at most 4 characters each
 * ("\DDD") plus dots, NUL included. Same as NS_MAXDNAME. */
#define BRK_DNS_NAME_TEXT_MAX	1025
/* Largest message the TCP length prefix can describe. */
#define BRK_DNS_MSG_MAX		65535

/* Well-known QTYPEs the DNS module reasons about. */
#define BRK_DNS_T_A		1
#define BRK_DNS_T_NS		2
#define BRK_DNS_T_CNAME		5
#define BRK_DNS_T_NULL		10
#define BRK_DNS_T_PTR		12
#define BRK_DNS_T_MX		15
#define BRK_DNS_T_TXT		16
#define BRK_DNS_T_AAAA		28
#define BRK_DNS_T_SRV		33
#define BRK_DNS_T_OPT		41
#define BRK_DNS_T_HTTPS		65
#define BRK_DNS_T_IXFR		251
#define BRK_DNS_T_AXFR		252
#define BRK_DNS_T_ANY		255
#define BRK_DNS_C_IN		1

struct brk_dns_query {
	uint16_t id;
	uint16_t flags;		/* header bits 16..31 as on the wire */
	uint16_t qtype;
	uint16_t qclass;
	unsigned nlabels;
	int rd;			/* recursion desired */
	int edns;		/* an OPT record was present */
	uint16_t edns_udp_size;
	uint16_t edns_opt_len;	/* bytes of EDNS options (cookies, padding,
				 * ECS, ... or smuggled data) */
	size_t msg_len;		/* DNS message bytes, prefix excluded */
	size_t wire_name_len;	/* bytes in wire_name, root label included */
	uint8_t wire_name[BRK_DNS_WIRE_NAME_MAX];
	char name[BRK_DNS_NAME_TEXT_MAX];	/* presentation, no final dot
						 * ("." for the root) */
};

/*
 * Parses one query message p[0..len) (a UDP payload) into q.
 * Returns 0, -EINVAL on NULL arguments, -EMSGSIZE if len is too short for a
 * header or over BRK_DNS_MSG_MAX, -EPROTO for anything a stub resolver would
 * not send (see above).
 */
int brk_dns_query_parse(const uint8_t *p, size_t len, struct brk_dns_query *q);

/*
 * Parses one length-prefixed query from a TCP stream buffer. On success
 * *consumed is 2 + the message length (further pipelined queries may
 * follow). -EAGAIN: the buffer does not yet hold the whole message. Other
 * returns as brk_dns_query_parse().
 */
int brk_dns_query_parse_tcp(const uint8_t *p, size_t len,
			    struct brk_dns_query *q, size_t *consumed);

/*
 * "localhost" and names below ".localhost" (RFC 6761 6.3; any case, a final
 * dot allowed): answered locally with 127.0.0.1 / ::1, never sent to a
 * name server.
 */
int brk_dns_is_localhost(const char *name);

/*
 * The local answer to query q (parsed as pq from q[0..qend), qend = end of
 * its question): A 127.0.0.1, AAAA ::1, ANY both, other types no data;
 * authoritative, TTL 0, no EDNS. Returns the response length written to
 * r (cap >= qend + 64), or 0 when cap is too small.
 */
size_t brk_dns_localhost_answer(const uint8_t *q, size_t qend, uint16_t qtype,
				uint8_t *r, size_t cap);

/*
 * Encodes a standard query (one question, class IN, RD set if rd, with an
 * EDNS OPT advertising edns_udp_size if that is non-zero) for name in
 * presentation form into out[0..cap). *outlen gets the size.
 * Returns 0, -EINVAL (NULL or malformed name), -EMSGSIZE (cap too small).
 */
int brk_dns_query_build(uint16_t id, const char *name, uint16_t qtype, int rd,
			uint16_t edns_udp_size, uint8_t *out, size_t cap,
			size_t *outlen);

/* One resource record from a response's answer section. */
struct brk_dns_answer {
	char owner[BRK_DNS_NAME_TEXT_MAX];
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	const uint8_t *rdata;	/* into the message; valid during the call */
	uint16_t rdlen;
	union {
		uint8_t a[4];				/* type A */
		uint8_t aaaa[16];			/* type AAAA */
		char cname[BRK_DNS_NAME_TEXT_MAX];	/* type CNAME */
		struct {				/* type TXT */
			uint8_t data[BRK_DNS_MSG_MAX];
			size_t len;		/* strings concatenated */
			unsigned nstrings;
		} txt;
	} u;
};

/* Summary of a response. */
struct brk_dns_response_info {
	uint16_t id;
	int rcode;
	int truncated;		/* TC bit */
	uint16_t qtype;		/* of the echoed question, 0 if none */
	char qname[BRK_DNS_NAME_TEXT_MAX];
	unsigned ancount;
	unsigned answers;	/* records handed to the callback */
};

/* Called per answer record; non-zero stops the walk and is returned. */
typedef int (*brk_dns_answer_fn)(const struct brk_dns_answer *a, void *ctx);

/*
 * Walks the answer section of response p[0..len). fn may be NULL (info
 * only). A, AAAA, CNAME and TXT records are validated (rdlen 4 / 16, a
 * well-formed name, well-formed character-strings) and decoded into u; a
 * malformed one fails the whole walk. Other types are passed with rdata only.
 * The answer struct is large (it holds a TXT buffer): it is heap-allocated
 * per call. Returns 0, the callback's non-zero value, -EINVAL, -ENOMEM,
 * -EPROTO (malformed, or not a response).
 */
int brk_dns_response_parse(const uint8_t *p, size_t len, brk_dns_answer_fn fn,
			   void *ctx, struct brk_dns_response_info *info);

#endif /* DLP_BROKER_DNS_DNS_MSG_H */
