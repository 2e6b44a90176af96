/* SPDX-License-Identifier: MIT */
/*
 * tls_rec.c - TLS record headers, handshake message reassembly and the
 * ServerHello fields the key schedule needs (see tls_rec.h). Every length
 * is checked before it is used; nothing here allocates.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/relay/tls_rec.h"

/* SHA-256("HelloRetryRequest"), RFC 8446 4.1.3 */
static const uint8_t rl_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65,
	0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2,
	0xc8, 0xa8, 0x33, 0x9c,
};

long rl_tls_rec_len(const uint8_t *p, size_t n)
{
	size_t len;

	if (n >= 1 && (p[0] < RL_CT_CCS || p[0] > RL_CT_APPDATA))
		return -EPROTO;
	if (n >= 2 && p[1] != 3)
		return -EPROTO;
	if (n < RL_TLS_HDR)
		return 0;
	len = (size_t)p[3] << 8 | p[4];
	if (len == 0 || len > RL_TLS_FRAG_MAX)
		return -EPROTO;
	return n >= RL_TLS_HDR + len ? (long)(RL_TLS_HDR + len) : 0;
}

int rl_tls_hs_feed(struct rl_tls_hs *h, const uint8_t *p, size_t n, rl_tls_hs_fn *fn,
		   void *arg, bool *mid)
{
	size_t take;
	int rc;

	while (n) {
		if (h->nhdr < 4) {
			h->hdr[h->nhdr++] = *p++;
			n--;
			if (h->nhdr < 4)
				continue;
			h->type = h->hdr[0];
			h->need = (uint32_t)h->hdr[1] << 16 | (uint32_t)h->hdr[2] << 8 | h->hdr[3];
			h->got = 0;
			if (h->need > (1u << 20))
				return -EPROTO;     /* no handshake message is that large */
		}
		take = h->need - h->got < n ? h->need - h->got : n;
		if (h->got < RL_HS_KEEP)
			memcpy(h->body + h->got, p,
			       take < RL_HS_KEEP - h->got ? take : RL_HS_KEEP - h->got);
		h->got += (uint32_t)take;
		p += take;
		n -= take;
		if (h->got == h->need) {
			h->nhdr = 0;
			rc = fn(arg, h->type, h->body, h->need < RL_HS_KEEP ? h->need : RL_HS_KEEP,
				h->need);
			if (rc < 0)
				return rc;
		}
	}
	*mid = h->nhdr != 0;
	return 0;
}

int rl_tls_ext_begin(struct rl_tls_ext_it *it, const uint8_t *b, size_t len, bool client)
{
	size_t off = 34;

	memset(it, 0, sizeof(*it));
	it->b = b;
	/* version(2) random(32) session_id<0..32> (a ClientHello's is
	 * not held to 32 here: its names are read all the same), then a ClientHello's
	 * cipher_suites<2> compression_methods<1> or a ServerHello's
	 * cipher_suite(2) compression_method(1), then extensions<2> */
	if (off + 1 > len || (!client && b[off] > 32) || off + 1 + b[off] > len)
		return -EPROTO;
	it->nsid = b[off];
	it->sid = b + off + 1;
	off += 1 + it->nsid;
	if (client) {
		if (off + 2 > len)
			return -EPROTO;
		off += 2 + ((size_t)b[off] << 8 | b[off + 1]);
		if (off + 1 > len)
			return -EPROTO;
		off += 1 + b[off];
	} else {
		off += 3;
	}
	if (off > len)
		return -EPROTO;
	if (off == len) {   /* no extensions (a TLS 1.2 hello may have none) */
		it->off = it->end = len;
		return 0;
	}
	if (off + 2 > len)
		return -EPROTO;
	it->end = off + 2 + ((size_t)b[off] << 8 | b[off + 1]);
	it->off = off + 2;
	if (it->end > len) {   /* a body cut at RL_HS_KEEP: read what is there */
		it->end = len;
		it->cut = true;
	}
	return 0;
}

int rl_tls_ext_next(struct rl_tls_ext_it *it, unsigned *type, const uint8_t **data, size_t *l)
{
	const uint8_t *b = it->b;

	if (it->off + 4 > it->end)
		return 0;
	*type = (unsigned)b[it->off] << 8 | b[it->off + 1];
	*l = (size_t)b[it->off + 2] << 8 | b[it->off + 3];
	if (it->off + 4 + *l > it->end)
		return -EPROTO;
	*data = b + it->off + 4;
	it->off += 4 + *l;
	return 1;
}

int rl_tls_parse_server_hello(const uint8_t *b, size_t len, struct rl_tls_sh *out)
{
	struct rl_tls_ext_it it;
	const uint8_t *d;
	unsigned type;
	size_t l;
	int rc;

	memset(out, 0, sizeof(*out));
	if (rl_tls_ext_begin(&it, b, len, false) < 0 || it.cut)
		return -EPROTO;
	out->version = (uint16_t)(b[0] << 8 | b[1]);
	memcpy(out->random, b + 2, 32);
	out->hrr = !memcmp(out->random, rl_hrr_random, 32);
	out->suite = (uint16_t)(it.sid[it.nsid] << 8 | it.sid[it.nsid + 1]);
	while ((rc = rl_tls_ext_next(&it, &type, &d, &l)) > 0) {
		if (type == 0x002b) {       /* supported_versions: the selected one */
			if (l != 2)
				return -EPROTO;
			out->version = (uint16_t)(d[0] << 8 | d[1]);
		}
	}
	return rc;
}

void rl_tls_parse_sni(const uint8_t *b, size_t len, char *out, size_t cap)
{
	struct rl_tls_ext_it it;
	const uint8_t *d;
	unsigned type;
	size_t l, nl, i;

	out[0] = '\0';
	if (rl_tls_ext_begin(&it, b, len, true) < 0)
		return;
	while (rl_tls_ext_next(&it, &type, &d, &l) > 0) {
		if (type != 0)
			continue;
		/* server_name_list<2>: type(1) = host_name, name<2>; exactly one
		 * entry (RFC 6066 3). A server_name extension that is there but
		 * not one readable name gives "?" (no host name): its bytes leave
		 * with the hello, so the key path's name check must refuse it,
		 * never take it for a hello without a name (redteam-egress3). */
		nl = l >= 5 ? (size_t)d[3] << 8 | d[4] : 0;
		if (l < 5 || d[2] != 0 || nl == 0 || nl + 5 != l || nl >= cap ||
		    ((size_t)d[0] << 8 | d[1]) != l - 2) {
			snprintf(out, cap, "?");
			return;
		}
		for (i = 0; i < nl; i++)
			out[i] = d[5 + i] > 0x20 && d[5 + i] < 0x7f ? (char)d[5 + i] : '?';
		out[nl] = '\0';
		return;
	}
}
