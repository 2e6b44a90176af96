/* SPDX-License-Identifier: MIT */
/*
 * swap_h2.c - the border swap in HTTP/2 (swap_rl.h rl_h2_swap): outbound,
 * a credential header's placeholder inside an HPACK header block becomes
 * the real value; inbound, a real value in any response header becomes
 * its placeholder (the same machinery, following the server's encoder).
 * nghttp2's inflater follows the client's encoder (its dynamic table
 * holds what the client indexed: placeholders); each
 * representation is delimited here, decoded there; a credential header
 * (swap_h1.c rl_cred_header) whose value holds a bound placeholder gets
 * its value string encoded again (raw, or Huffman by nghttp2's deflater,
 * whichever is closer to the old length), in the same representation:
 * same index bits, same indexing choice. The decoded value keeps its
 * length (placeholder and real value have the same length), so the
 * dynamic-table sizes both ends compute stay equal; an indexed header the
 * client later refers to by index is, in the server's table, already the
 * real value it decoded from the swapped literal.
 *
 * The encoded length may differ by a few bytes: a HEADERS frame absorbs it
 * in its padding (PADDED set or widened, so frame and TLS record keep
 * their length), else the frame grows (the caller's room: the key path
 * reseals a longer record) or, with no room, the header goes unswapped
 * (it fails to authenticate; said in an event). A header block split over
 * calls (HEADERS in one record, CONTINUATION in the next) is decoded for
 * the table, not rewritten.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/relay/swap_rl.h"

#ifdef HAVE_NGHTTP2
#include <nghttp2/nghttp2.h>

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
#define H2_BLOCK_MAX (64u << 10)     /* a split header block kept for the table */
#define H2_FRAME_MAX 16384u          /* SETTINGS_MAX_FRAME_SIZE's floor */
#define H2_HEADERS 0x1
#define H2_CONTINUATION 0x9
#define H2_F_END_HEADERS 0x4
#define H2_F_PADDED 0x8
#define H2_F_PRIORITY 0x20

struct rl_h2 {
	size_t pre;                 /* preface bytes seen */
	uint8_t fh[9];
	unsigned nfh;               /* frame header bytes collected */
	uint32_t left;              /* payload bytes of the current frame to come */
	uint8_t type, flags;
	bool in;                    /* the server's blocks: real -> placeholder */
	bool cont;                  /* a header block waits for CONTINUATION */
	bool lost;                  /* out of step: nothing more is swapped */
	uint8_t *blk;               /* a split block's fragments, for the table */
	size_t nblk;
	size_t skip_pad;            /* padding at the end of the current frame */
	nghttp2_hd_inflater *infl;
	nghttp2_hd_deflater *defl;  /* table size 0: encodes strings only */
};

int rl_h2_new(struct rl_h2 **out, bool in)
{
	struct rl_h2 *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->in = in;
	h->pre = in ? H2_PREFACE_LEN : 0;       /* the server sends no preface */
	if (nghttp2_hd_inflate_new(&h->infl) || nghttp2_hd_deflate_new(&h->defl, 0)) {
		rl_h2_free(h);
		return -ENOMEM;
	}
	/* the peer's SETTINGS bound the client's table; ours follows it */
	nghttp2_hd_inflate_change_table_size(h->infl, 1u << 16);
	*out = h;
	return 0;
}

bool rl_h2_lost(const struct rl_h2 *h)
{
	return h && h->lost;
}

void rl_h2_free(struct rl_h2 *h)
{
	if (!h)
		return;
	if (h->infl)
		nghttp2_hd_inflate_del(h->infl);
	if (h->defl)
		nghttp2_hd_deflate_del(h->defl);
	if (h->blk)
		explicit_bzero(h->blk, h->nblk);
	free(h->blk);
	free(h);
}

/* An HPACK integer with an N-bit prefix at p[0..n): its value, *len its
 * bytes; -1 when cut or too large. */
static long h2_int(const uint8_t *p, size_t n, unsigned bits, size_t *len)
{
	unsigned long v, mask = (1u << bits) - 1, m = 0;
	size_t i;

	if (!n)
		return -1;
	v = p[0] & mask;
	if (v < mask) {
		*len = 1;
		return (long)v;
	}
	for (i = 1; i < n && i < 6; i++) {
		v += (unsigned long)(p[i] & 0x7f) << m;
		m += 7;
		if (!(p[i] & 0x80)) {
			*len = i + 1;
			return v < (1ul << 28) ? (long)v : -1;
		}
	}
	return -1;
}

static size_t h2_put_int(uint8_t *o, uint8_t first, unsigned bits, size_t v)
{
	size_t mask = (1u << bits) - 1, n = 1;

	if (v < mask) {
		o[0] = (uint8_t)(first | v);
		return 1;
	}
	o[0] = (uint8_t)(first | mask);
	for (v -= mask; v >= 128; v >>= 7)
		o[n++] = (uint8_t)(0x80 | (v & 0x7f));
	o[n++] = (uint8_t)v;
	return n;
}

/* A string literal at p[0..n): its total length, -1 when cut. */
static long h2_str(const uint8_t *p, size_t n)
{
	size_t il;
	long l = h2_int(p, n, 7, &il);

	return l < 0 || il + (size_t)l > n ? -1 : (long)(il + (size_t)l);
}

/*
 * One representation at p[0..n): its length, and where its value string
 * starts (*vs, 0: none: indexed, table size update). -1: malformed or cut.
 */
static long h2_rep(const uint8_t *p, size_t n, size_t *vs)
{
	size_t il, o;
	long idx, l;
	unsigned bits;

	*vs = 0;
	if (!n)
		return -1;
	if (p[0] & 0x80)
		return h2_int(p, n, 7, &il) < 0 ? -1 : (long)il;
	if ((p[0] & 0xe0) == 0x20)
		return h2_int(p, n, 5, &il) < 0 ? -1 : (long)il;
	bits = p[0] & 0x40 ? 6 : 4;
	if ((idx = h2_int(p, n, bits, &il)) < 0)
		return -1;
	o = il;
	if (idx == 0) {
		if ((l = h2_str(p + o, n - o)) < 0)
			return -1;
		o += (size_t)l;
	}
	*vs = o;
	if ((l = h2_str(p + o, n - o)) < 0)
		return -1;
	return (long)(o + (size_t)l);
}

/* v[0..vl) as an HPACK string into o: raw (huff 0) or nghttp2's choice
 * (Huffman where shorter). Its length, 0 on failure. */
static size_t h2_enc(struct rl_h2 *h, const uint8_t *v, size_t vl, bool huff, uint8_t *o,
		     size_t cap)
{
	uint8_t tmp[3 * RL_SWAP_VMAX + 64];
	nghttp2_nv nv = { (uint8_t *)"x", (uint8_t *)v, 1, vl, NGHTTP2_NV_FLAG_NO_INDEX };
	size_t vs = 0, n;
	long r, l;

	if (!huff) {
		if (vl + 6 > cap)
			return 0;
		n = h2_put_int(o, 0, 7, vl);
		memcpy(o + n, v, vl);
		return n + vl;
	}
	r = (long)nghttp2_hd_deflate_hd(h->defl, tmp, sizeof(tmp), &nv, 1);
	/* a table size update may come first; then never-indexed, new name */
	while (r > 0 && (tmp[vs] & 0xe0) == 0x20 && (l = h2_rep(tmp + vs, (size_t)r - vs, &n)) > 0)
		vs += (size_t)l;
	if (r <= 0 || h2_rep(tmp + vs, (size_t)r - vs, &n) != r - (long)vs ||
	    (size_t)r - vs - n > cap) {
		explicit_bzero(tmp, sizeof(tmp));
		return 0;
	}
	memcpy(o, tmp + vs + n, (size_t)r - vs - n);
	n = (size_t)r - vs - n;
	explicit_bzero(tmp, sizeof(tmp));
	return n;
}

/* Feed one whole representation (final: the end of the block, n 0) to
 * the inflater; *nv the header it emitted (valid until the next call).
 * 1 emitted, 0 not, -1 out of step. */
static int h2_inflate(struct rl_h2 *h, const uint8_t *p, size_t n, bool final, nghttp2_nv *nv)
{
	int flags, got = 0, i;
	ssize_t r;

	for (i = 0; i < 8; i++) {
		flags = 0;
		r = nghttp2_hd_inflate_hd2(h->infl, nv, &flags, (uint8_t *)p, n, final);
		if (r < 0)
			return -1;
		p += r;
		n -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			got = 1;
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->infl);
			return got;
		}
		if (!n && !final)
			return got;     /* the representation is in */
		if (!n && !r && !(flags & NGHTTP2_HD_INFLATE_EMIT))
			return -1;
	}
	return -1;
}

/* A decoded header: the bound placeholders in a credential header's value
 * swapped into out (same length). >0 swapped, 0 none; *left: a bound
 * placeholder in some other header. */
static int h2_value(const struct rl_h2 *h, const struct brk_swaps *sw,
		    const struct rl_swap_bind *b, const nghttp2_nv *nv, uint8_t *out, int *left)
{
	struct rl_swap_bad bad;
	uint8_t m[RL_SWAP_VMAX * 3];
	int r;

	if (nv->valuelen < 8 || nv->valuelen > sizeof(m))
		return 0;
	memcpy(out, nv->value, nv->valuelen);
	if (h->in)              /* any response header: the jail reads them all */
		return rl_swap_in(sw, out, nv->valuelen);
	if (b && b->n && nv->namelen == 15 && !memcmp(nv->name, "accept-encoding", 15))
		return (int)rl_swap_accept_enc(out, nv->valuelen);     /* see swap_rl.h */
	memset(m, rl_cred_header((const char *)nv->name, nv->namelen) ? RL_SWAP_HERE
	       : RL_SWAP_LEAVE, nv->valuelen);
	r = rl_swap_out(sw, b, out, nv->valuelen, m, &bad);
	if (bad.left >= 0 && *left < 0)
		*left = bad.left;
	return r > 0 ? r : 0;   /* a placeholder of another home: the engine's */
}

/* A value string str[0..n) and the decoded value: a raw one must be the
 * same bytes; a Huffman one at least no longer than 8/5 of its octets. */
static bool h2_raw_agrees(const uint8_t *str, size_t n, const nghttp2_nv *nv)
{
	size_t il;
	long l = h2_int(str, n, 7, &il);

	if (l < 0 || il + (size_t)l != n)
		return false;
	if (str[0] & 0x80)
		return nv->valuelen <= (size_t)l * 8 / 5;
	return nv->valuelen == (size_t)l && !memcmp(nv->value, str + il, (size_t)l);
}

/*
 * A whole header block in frag[0..fl) (the HEADERS frame's fragment): fed
 * to the inflater representation by representation; the new fragment
 * with swapped values goes to o (cap), its length in *ol. Returns swaps.
 */
static int h2_block(struct rl_h2 *h, const struct brk_swaps *sw, const struct rl_swap_bind *b,
		    const uint8_t *frag, size_t fl, uint8_t *o, size_t cap, size_t *ol, int *left)
{
	uint8_t val[RL_SWAP_VMAX * 3], enc[2][RL_SWAP_VMAX * 3 + 16];
	size_t off = 0, vs, el[2], sl, pick;
	nghttp2_nv nv;
	long rl;
	int count = 0, g;

	*ol = 0;
	while (off < fl) {
		if ((rl = h2_rep(frag + off, fl - off, &vs)) <= 0)
			return -1;
		g = h2_inflate(h, frag + off, (size_t)rl, false, &nv);
		/* nghttp2 and this parser must agree on every boundary: one
		 * header per indexed or literal representation, a raw value the
		 * very bytes (else the rewrite could land on another header) */
		if (g < 0 || g != (vs || (frag[off] & 0x80)) ||
		    (vs && !h2_raw_agrees(frag + off + vs, (size_t)rl - vs, &nv)))
			return -1;
		sl = (size_t)rl - vs;
		if (g > 0 && vs && h2_value(h, sw, b, &nv, val, left) > 0 &&
		    (el[0] = h2_enc(h, val, nv.valuelen, false, enc[0], sizeof(enc[0]))) &&
		    (el[1] = h2_enc(h, val, nv.valuelen, true, enc[1], sizeof(enc[1])))) {
			/* the old length if one has it, else the shorter (nghttp2's
			 * Huffman choice: padding absorbs a shorter one) */
			pick = el[0] == sl ? 0 : 1;
			if (*ol + vs + el[pick] > cap)
				return -1;
			memcpy(o + *ol, frag + off, vs);
			memcpy(o + *ol + vs, enc[pick], el[pick]);
			*ol += vs + el[pick];
			count++;
			explicit_bzero(val, sizeof(val));
			explicit_bzero(enc, sizeof(enc));
		} else {
			if (*ol + (size_t)rl > cap)
				return -1;
			memcpy(o + *ol, frag + off, (size_t)rl);
			*ol += (size_t)rl;
		}
		off += (size_t)rl;
	}
	if (h2_inflate(h, NULL, 0, true, &nv) < 0)
		return -1;
	return count;
}

/* A split block (fragments over several calls): decoded for the table
 * only; a bound placeholder in it goes on unswapped. */
static int h2_block_table(struct rl_h2 *h, const struct brk_swaps *sw,
			  const struct rl_swap_bind *b, int *left)
{
	uint8_t *o = malloc(h->nblk + 1);
	size_t ol;
	int r;

	if (!o)
		return -1;
	/* a swap into o would be thrown away: count it as left */
	r = h2_block(h, sw, b, h->blk, h->nblk, o, h->nblk + 1, &ol, left);
	if (r > 0 && *left < 0)
		*left = -2;
	explicit_bzero(o, h->nblk + 1);
	free(o);
	explicit_bzero(h->blk, h->nblk);
	h->nblk = 0;
	return r < 0 ? -1 : 0;
}

static int h2_keep(struct rl_h2 *h, const uint8_t *p, size_t n)
{
	uint8_t *nb;

	if (h->nblk + n > H2_BLOCK_MAX)
		return -1;
	if (!(nb = realloc(h->blk, h->nblk + n + 1)))
		return -1;
	h->blk = nb;
	memcpy(h->blk + h->nblk, p, n);
	h->nblk += n;
	return 0;
}

/*
 * A complete HEADERS frame with END_HEADERS at f (9 + len bytes, inside
 * the caller's buffer, whose end is *end and room *room): rewritten in
 * place. Returns swaps (0: none or not possible), -1 out of step.
 */
static int h2_headers(struct rl_h2 *h, const struct brk_swaps *sw, const struct rl_swap_bind *b,
		      uint8_t *f, size_t len, uint8_t **end, size_t *room, int *left)
{
	uint8_t *pl = f + 9, *nf;
	size_t pad = 0, pri = f[4] & H2_F_PRIORITY ? 5 : 0, hd, fl, ol, nl;
	long d;
	int r;

	hd = (f[4] & H2_F_PADDED ? 1 : 0) + pri;
	if (f[4] & H2_F_PADDED)
		pad = len ? pl[0] : 0;
	if (hd + pad > len)
		return -1;
	fl = len - hd - pad;
	if (!(nf = malloc(fl + 4096)))
		return -1;
	r = h2_block(h, sw, b, pl + hd, fl, nf, fl + 4096, &ol, left);
	if (r <= 0)
		goto out;
	d = (long)ol - (long)fl;
	if (d <= 0 && (f[4] & H2_F_PADDED) && pad + (size_t)-d <= 255) {
		pad += (size_t)-d;                      /* wider padding: same length */
		nl = len;
	} else if (d < 0 && !(f[4] & H2_F_PADDED) && (size_t)-d - 1 <= 255) {
		f[4] |= H2_F_PADDED;                    /* padding now: same length */
		memmove(pl + 1, pl, pri);
		hd++;
		pad = (size_t)-d - 1;
		nl = len;
	} else if (d > 0 && (f[4] & H2_F_PADDED) && pad >= (size_t)d) {
		pad -= (size_t)d;                       /* narrower padding */
		nl = len;
	} else if (d == 0) {
		nl = len;
	} else if (d > 0 && (size_t)d <= *room && len + (size_t)d <= H2_FRAME_MAX) {
		nl = len + (size_t)d;                   /* the frame grows */
		memmove(f + 9 + nl, f + 9 + len, (size_t)(*end - (f + 9 + len)));
		*end += d;
		*room -= (size_t)d;
	} else {
		r = 0;                                  /* no room: left unswapped */
		if (*left < 0)
			*left = -2;
		goto out;
	}
	if (f[4] & H2_F_PADDED)
		pl[0] = (uint8_t)pad;
	memcpy(pl + hd, nf, ol);
	memset(pl + hd + ol, 0, pad);
	f[0] = (uint8_t)(nl >> 16);
	f[1] = (uint8_t)(nl >> 8);
	f[2] = (uint8_t)nl;
out:
	explicit_bzero(nf, fl + 4096);
	free(nf);
	return r;
}

int rl_h2_swap(struct rl_h2 *h, const struct brk_swaps *sw, const struct rl_swap_bind *b,
	       uint8_t *p, size_t *n, size_t room, int *left)
{
	uint8_t *q = p, *end = p + *n;
	size_t k, len;
	int count = 0, r;

	*left = -1;
	if (h->lost)
		return 0;
	for (; h->pre < H2_PREFACE_LEN && q < end; h->pre++, q++)
		if (*q != (uint8_t)H2_PREFACE[h->pre])
			goto lost;
	while (q < end) {
		if (h->left == 0 && h->nfh == 0 && end - q >= 9) {
			len = (size_t)q[0] << 16 | (size_t)q[1] << 8 | q[2];
			/* the common case: a whole HEADERS frame in this piece */
			if (q[3] == H2_HEADERS && (q[4] & H2_F_END_HEADERS) && !h->cont &&
			    (size_t)(end - q) >= 9 + len) {
				r = h2_headers(h, sw, b, q, len, &end, &room, left);
				if (r < 0)
					goto lost;
				count += r;
				q += 9 + ((size_t)q[0] << 16 | (size_t)q[1] << 8 | q[2]);
				continue;
			}
		}
		if (h->nfh < 9) {                       /* a frame header, byte by byte */
			h->fh[h->nfh++] = *q++;
			if (h->nfh < 9)
				continue;
			h->left = (uint32_t)h->fh[0] << 16 | (uint32_t)h->fh[1] << 8 | h->fh[2];
			h->type = h->fh[3];
			h->flags = h->fh[4];
			h->skip_pad = 0;
			if (h->cont != (h->type == H2_CONTINUATION))
				goto lost;      /* a block interrupted, or a stray CONTINUATION */
			if (h->type == H2_HEADERS)
				h->cont = true;
			if (h->type == H2_HEADERS && (h->flags & (H2_F_PADDED | H2_F_PRIORITY)))
				goto lost;      /* a split padded frame: not followed */
		} else {                                /* its payload */
			k = (size_t)(end - q) < h->left ? (size_t)(end - q) : h->left;
			if (h->cont && h2_keep(h, q, k) < 0)
				goto lost;
			q += k;
			h->left -= (uint32_t)k;
		}
		if (h->nfh == 9 && h->left == 0) {      /* the frame ended */
			h->nfh = 0;
			if (h->cont && (h->flags & H2_F_END_HEADERS)) {
				h->cont = false;
				if (h2_block_table(h, sw, b, left) < 0)
					goto lost;
			}
		}
	}
	*n = (size_t)(end - p);
	/* inbound, a real value left in place (a split block, no room): the
	 * jail would read it */
	return h->in && *left == -2 ? -EACCES : count;
lost:
	h->lost = true;         /* the table is out of step: no more swaps */
	*n = (size_t)(end - p);
	return count;
}

#else /* !HAVE_NGHTTP2 */

struct rl_h2 {
	int unused;
};

int rl_h2_new(struct rl_h2 **out, bool in)
{
	(void)in;
	*out = NULL;
	return -EOPNOTSUPP;
}

bool rl_h2_lost(const struct rl_h2 *h)
{
	(void)h;
	return false;
}

void rl_h2_free(struct rl_h2 *h)
{
	(void)h;
}

int rl_h2_swap(struct rl_h2 *h, const struct brk_swaps *sw, const struct rl_swap_bind *b,
	       uint8_t *p, size_t *n, size_t room, int *left)
{
	(void)h, (void)sw, (void)b, (void)p, (void)n, (void)room;
	*left = -1;
	return 0;
}

#endif
