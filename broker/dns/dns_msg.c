/* SPDX-License-Identifier: MIT */
/*
 * dns_msg.c - strict DNS query parser, query builder and answer walker
 * (see dns_msg.h). Queries are parsed by hand because libresolv's parser
 * follows compression pointers and tolerates sections a stub never sends;
 * responses come from the broker's own resolver and go through
 * ns_initparse()/ns_parserr(). Names are converted with ns_name_ntop() and
 * ns_name_pton() so escapes match what the rest of libc does.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/dns/dns_msg.h"

/* Header flag bits (RFC 1035 4.1.1). */
#define HDR_QR		0x8000u
#define HDR_OPCODE(f)	(((f) >> 11) & 0xfu)
#define HDR_TC		0x0200u
#define HDR_RD		0x0100u
#define HDR_RCODE(f)	((f) & 0xfu)

static uint16_t brk_dns_rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void brk_dns_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Reads an uncompressed name at p[*off] into q->wire_name. Pointers
 * (0xC0) and the obsolete extended label types (0x40, 0x80) are refused:
 * in a query the only name sits right after the header, so a pointer could
 * only point into the header or forward, and either is an attack.
 */
static int brk_dns_read_name(const uint8_t *p, size_t len, size_t *off,
			     struct brk_dns_query *q)
{
	size_t o = *off, w = 0;

	for (;;) {
		uint8_t l;

		if (o >= len)
			return -EPROTO;
		l = p[o];
		if (l & 0xc0u)
			return -EPROTO;
		if (w + 1u + l > BRK_DNS_WIRE_NAME_MAX)
			return -EPROTO;
		if (l == 0) {
			q->wire_name[w++] = 0;
			o++;
			break;
		}
		if (len - o - 1u < l)
			return -EPROTO;
		/* Leave room for the root label that must follow. */
		if (w + 1u + l + 1u > BRK_DNS_WIRE_NAME_MAX)
			return -EPROTO;
		memcpy(q->wire_name + w, p + o, 1u + l);
		w += 1u + l;
		o += 1u + l;
		q->nlabels++;
	}
	q->wire_name_len = w;
	*off = o;
	return 0;
}

/* The one additional record a query may carry: EDNS OPT (RFC 6891). */
static int brk_dns_read_opt(const uint8_t *p, size_t len, size_t *off,
			    struct brk_dns_query *q)
{
	size_t o = *off, end;
	uint16_t rdlen;

	/* Owner must be the root: a single zero byte. */
	if (len - o < 11 || p[o] != 0)
		return -EPROTO;
	o++;
	if (brk_dns_rd16(p + o) != BRK_DNS_T_OPT)
		return -EPROTO;
	q->edns_udp_size = brk_dns_rd16(p + o + 2);
	/* TTL field: extended rcode must be 0 in a query, version 0. */
	if (p[o + 4] != 0 || p[o + 5] != 0)
		return -EPROTO;
	rdlen = brk_dns_rd16(p + o + 8);
	o += 10;
	if (len - o < rdlen)
		return -EPROTO;
	end = o + rdlen;
	/* Options must tile the RDATA exactly: code, length, data. */
	while (o < end) {
		uint16_t olen;

		if (end - o < 4)
			return -EPROTO;
		olen = brk_dns_rd16(p + o + 2);
		o += 4;
		if (end - o < olen)
			return -EPROTO;
		o += olen;
	}
	q->edns = 1;
	q->edns_opt_len = rdlen;
	*off = o;
	return 0;
}

int brk_dns_query_parse(const uint8_t *p, size_t len, struct brk_dns_query *q)
{
	size_t off = BRK_DNS_HDR_LEN;
	uint16_t qd, an, ns, ar;
	int rc;

	if (!p || !q)
		return -EINVAL;
	if (len < BRK_DNS_HDR_LEN || len > BRK_DNS_MSG_MAX)
		return -EMSGSIZE;
	memset(q, 0, sizeof(*q));
	q->id = brk_dns_rd16(p);
	q->flags = brk_dns_rd16(p + 2);
	qd = brk_dns_rd16(p + 4);
	an = brk_dns_rd16(p + 6);
	ns = brk_dns_rd16(p + 8);
	ar = brk_dns_rd16(p + 10);

	if ((q->flags & HDR_QR) || HDR_OPCODE(q->flags) != 0 ||
	    (q->flags & HDR_TC) || HDR_RCODE(q->flags) != 0)
		return -EPROTO;
	/* One question; nothing in answer/authority; at most the OPT. */
	if (qd != 1 || an != 0 || ns != 0 || ar > 1)
		return -EPROTO;
	q->rd = !!(q->flags & HDR_RD);

	rc = brk_dns_read_name(p, len, &off, q);
	if (rc < 0)
		return rc;
	if (len - off < 4)
		return -EPROTO;
	q->qtype = brk_dns_rd16(p + off);
	q->qclass = brk_dns_rd16(p + off + 2);
	off += 4;
	if (q->qtype == 0 || q->qtype == BRK_DNS_T_OPT ||
	    q->qclass != BRK_DNS_C_IN)
		return -EPROTO;
	if (ar == 1) {
		rc = brk_dns_read_opt(p, len, &off, q);
		if (rc < 0)
			return rc;
	}
	/* Trailing bytes would travel to the resolver unseen. */
	if (off != len)
		return -EPROTO;
	q->msg_len = len;
	if (ns_name_ntop(q->wire_name, q->name, sizeof(q->name)) < 0)
		return -EPROTO;
	return 0;
}

int brk_dns_query_parse_tcp(const uint8_t *p, size_t len,
			    struct brk_dns_query *q, size_t *consumed)
{
	size_t mlen;
	int rc;

	if (!p || !q || !consumed)
		return -EINVAL;
	*consumed = 0;
	if (len < 2)
		return -EAGAIN;
	mlen = brk_dns_rd16(p);
	if (mlen < BRK_DNS_HDR_LEN)
		return -EMSGSIZE;
	if (len - 2 < mlen)
		return -EAGAIN;
	rc = brk_dns_query_parse(p + 2, mlen, q);
	if (rc < 0)
		return rc;
	*consumed = 2 + mlen;
	return 0;
}

int brk_dns_query_build(uint16_t id, const char *name, uint16_t qtype, int rd,
			uint16_t edns_udp_size, uint8_t *out, size_t cap,
			size_t *outlen)
{
	uint8_t wire[NS_MAXCDNAME];
	size_t wlen = 0, need;

	if (!name || !out || !outlen || qtype == 0)
		return -EINVAL;
	*outlen = 0;
	if (ns_name_pton(name, wire, sizeof(wire)) < 0)
		return -EINVAL;
	while (wire[wlen] != 0)
		wlen += 1u + wire[wlen];
	wlen++;
	need = BRK_DNS_HDR_LEN + wlen + 4 + (edns_udp_size ? 11 : 0);
	if (cap < need)
		return -EMSGSIZE;
	memset(out, 0, BRK_DNS_HDR_LEN);
	brk_dns_wr16(out, id);
	brk_dns_wr16(out + 2, rd ? HDR_RD : 0);
	brk_dns_wr16(out + 4, 1);
	brk_dns_wr16(out + 10, edns_udp_size ? 1 : 0);
	memcpy(out + BRK_DNS_HDR_LEN, wire, wlen);
	brk_dns_wr16(out + BRK_DNS_HDR_LEN + wlen, qtype);
	brk_dns_wr16(out + BRK_DNS_HDR_LEN + wlen + 2, BRK_DNS_C_IN);
	if (edns_udp_size) {
		uint8_t *o = out + BRK_DNS_HDR_LEN + wlen + 4;

		o[0] = 0;				/* root owner */
		brk_dns_wr16(o + 1, BRK_DNS_T_OPT);
		brk_dns_wr16(o + 3, edns_udp_size);
		memset(o + 5, 0, 4);			/* ext rcode, ver, flags */
		brk_dns_wr16(o + 9, 0);			/* no options */
	}
	*outlen = need;
	return 0;
}

/* Decodes A/AAAA/CNAME/TXT rdata into a->u; -EPROTO when malformed. */
static int brk_dns_decode_rdata(ns_msg *h, struct brk_dns_answer *a)
{
	size_t o = 0;
	int n;

	switch (a->type) {
	case BRK_DNS_T_A:
		if (a->rdlen != 4)
			return -EPROTO;
		memcpy(a->u.a, a->rdata, 4);
		return 0;
	case BRK_DNS_T_AAAA:
		if (a->rdlen != 16)
			return -EPROTO;
		memcpy(a->u.aaaa, a->rdata, 16);
		return 0;
	case BRK_DNS_T_CNAME:
		/* Compression allowed here (RFC 1035 4.1.4); must stay
		 * inside rdata for its own part. */
		n = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h),
				       a->rdata, a->u.cname,
				       sizeof(a->u.cname));
		if (n < 0 || (size_t)n != a->rdlen)
			return -EPROTO;
		return 0;
	case BRK_DNS_T_TXT:
		a->u.txt.len = 0;
		a->u.txt.nstrings = 0;
		if (a->rdlen == 0)
			return -EPROTO;
		while (o < a->rdlen) {
			uint8_t l = a->rdata[o++];

			if ((size_t)(a->rdlen - o) < l)
				return -EPROTO;
			memcpy(a->u.txt.data + a->u.txt.len, a->rdata + o, l);
			a->u.txt.len += l;
			a->u.txt.nstrings++;
			o += l;
		}
		return 0;
	default:
		return 0;
	}
}

int brk_dns_response_parse(const uint8_t *p, size_t len, brk_dns_answer_fn fn,
			   void *ctx, struct brk_dns_response_info *info)
{
	struct brk_dns_response_info local;
	struct brk_dns_answer *a = NULL;
	ns_msg h;
	ns_rr rr;
	unsigned i;
	int rc = 0;

	if (!p)
		return -EINVAL;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (len < BRK_DNS_HDR_LEN || len > BRK_DNS_MSG_MAX)
		return -EPROTO;
	if (ns_initparse(p, (int)len, &h) < 0)
		return -EPROTO;
	if (!ns_msg_getflag(h, ns_f_qr))
		return -EPROTO;
	info->id = ns_msg_id(h);
	info->rcode = ns_msg_getflag(h, ns_f_rcode);
	info->truncated = ns_msg_getflag(h, ns_f_tc);
	info->ancount = ns_msg_count(h, ns_s_an);
	if (ns_msg_count(h, ns_s_qd) > 0) {
		if (ns_parserr(&h, ns_s_qd, 0, &rr) < 0)
			return -EPROTO;
		info->qtype = ns_rr_type(rr);
		memcpy(info->qname, rr.name, sizeof(info->qname));
		info->qname[sizeof(info->qname) - 1] = '\0';
	}
	a = malloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (i = 0; i < info->ancount; i++) {
		if (ns_parserr(&h, ns_s_an, (int)i, &rr) < 0) {
			rc = -EPROTO;
			goto out;
		}
		memset(a, 0, offsetof(struct brk_dns_answer, u));
		memcpy(a->owner, rr.name, sizeof(a->owner));
		a->owner[sizeof(a->owner) - 1] = '\0';
		a->type = ns_rr_type(rr);
		a->rclass = ns_rr_class(rr);
		a->ttl = ns_rr_ttl(rr);
		a->rdata = ns_rr_rdata(rr);
		a->rdlen = ns_rr_rdlen(rr);
		rc = brk_dns_decode_rdata(&h, a);
		if (rc < 0)
			goto out;
		info->answers++;
		if (fn) {
			rc = fn(a, ctx);
			if (rc)
				goto out;
		}
	}
	rc = 0;
out:
	free(a);
	return rc;
}

int brk_dns_is_localhost(const char *name)
{
	size_t l;

	if (!name)
		return 0;
	l = strlen(name);
	if (l && name[l - 1] == '.')
		l--;
	if (l == 9 && !strncasecmp(name, "localhost", 9))
		return 1;
	return l > 10 && !strncasecmp(name + l - 10, ".localhost", 10);
}

/* One answer record for the question at offset 12 (a compression pointer). */
static size_t brk_dns_put_rr(uint8_t *r, size_t o, uint16_t type, const uint8_t *rd, size_t n)
{
	r[o++] = 0xc0;
	r[o++] = BRK_DNS_HDR_LEN;
	r[o++] = (uint8_t)(type >> 8);
	r[o++] = (uint8_t)type;
	r[o++] = 0;
	r[o++] = 1;	/* IN */
	memset(r + o, 0, 4);	/* TTL 0: nothing to cache */
	o += 4;
	r[o++] = 0;
	r[o++] = (uint8_t)n;
	memcpy(r + o, rd, n);
	return o + n;
}

size_t brk_dns_localhost_answer(const uint8_t *q, size_t qend, uint16_t qtype,
				uint8_t *r, size_t cap)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 };
	static const uint8_t v6[16] = { [15] = 1 };
	size_t o;
	unsigned an = 0;

	if (!q || !r || qend < BRK_DNS_HDR_LEN || cap < qend + 64)
		return 0;
	memcpy(r, q, qend);
	r[2] = (uint8_t)((q[2] & 0x79) | 0x84);	/* QR, AA; opcode and RD kept */
	r[3] = 0x80;				/* RA, NOERROR */
	memset(r + 4, 0, 8);
	r[5] = 1;
	o = qend;
	if (qtype == BRK_DNS_T_A || qtype == BRK_DNS_T_ANY) {
		o = brk_dns_put_rr(r, o, BRK_DNS_T_A, v4, sizeof(v4));
		an++;
	}
	if (qtype == BRK_DNS_T_AAAA || qtype == BRK_DNS_T_ANY) {
		o = brk_dns_put_rr(r, o, BRK_DNS_T_AAAA, v6, sizeof(v6));
		an++;
	}
	r[7] = (uint8_t)an;
	return o;
}
