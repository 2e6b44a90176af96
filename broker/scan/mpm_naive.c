/* SPDX-License-Identifier: MIT */
/*
 * mpm_naive.c - the plain matcher: finds every anchor literal by direct
 * search. Slow but obviously correct, so it is both the fallback where
 * Hyperscan is unavailable and the oracle the tests compare Hyperscan
 * with. Streams keep the last (longest anchor - 1) bytes so an anchor split
 * across feeds is still seen. Also holds brk_scan_mpm_pick().
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/scan/mpm.h"
#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

struct naive_db {
	struct brk_scan_pat *pats;
	size_t n;
	size_t maxlit;
};

struct naive_stream {
	unsigned long long off;   /* absolute offset of tail[0] */
	size_t tlen;
	uint8_t tail[];           /* last maxlit-1 bytes */
};

static int naive_compile(const struct brk_scan_pat *pats, size_t n, void **out, char *err, size_t errlen)
{
	struct naive_db *db = calloc(1, sizeof(*db));
	size_t i;

	(void)err;
	(void)errlen;
	if (!db)
		return -ENOMEM;
	db->pats = calloc(n ? n : 1, sizeof(*db->pats));
	if (!db->pats) {
		free(db);
		return -ENOMEM;
	}
	memcpy(db->pats, pats, n * sizeof(*pats));
	db->n = n;
	for (i = 0; i < n; i++)
		if (pats[i].litlen > db->maxlit)
			db->maxlit = pats[i].litlen;
	*out = db;
	return 0;
}

static void naive_free(void *p)
{
	struct naive_db *db = p;

	if (db) {
		free(db->pats);
		free(db);
	}
}

static int naive_scratch_new(const void *db, void **s)
{
	(void)db;
	*s = NULL;
	return 0;
}

static void naive_scratch_free(void *s)
{
	(void)s;
}

static const uint8_t *find_ci(const uint8_t *h, size_t hl, const char *n, size_t nl)
{
	size_t i;

	uint8_t lo, up;

	if (nl == 0 || hl < nl)
		return NULL;
	/* the first byte in either case, then the rest: strncasecmp at every
	 * position made the many case-insensitive key names expensive */
	lo = (uint8_t)n[0];
	if (lo >= 'A' && lo <= 'Z')
		lo |= 0x20;
	up = lo >= 'a' && lo <= 'z' ? (uint8_t)(lo & ~0x20) : lo;
	for (i = 0; i + nl <= hl; i++)
		if ((h[i] == lo || h[i] == up) &&
		    strncasecmp((const char *)h + i + 1, n + 1, nl - 1) == 0)
			return h + i;
	return NULL;
}

/* Report anchors in p[0,len) that end after skip; base = offset of p[0]. */
static int scan_buf(const struct naive_db *db, const uint8_t *p, size_t len, size_t skip,
		    unsigned long long base, brk_scan_mpm_cb_fn *cb, void *ctx)
{
	size_t i;

	for (i = 0; i < db->n; i++) {
		const struct brk_scan_pat *pt = &db->pats[i];
		const uint8_t *q = p;

		for (;;) {
			size_t rest = len - (size_t)(q - p);
			const uint8_t *m = pt->nocase ? find_ci(q, rest, pt->lit, pt->litlen)
						      : memmem(q, rest, pt->lit, pt->litlen);
			size_t end;

			if (!m)
				break;
			end = (size_t)(m - p) + pt->litlen;
			if (end > skip && cb(pt->id, base + end, ctx))
				return 1;
			q = m + 1;
		}
	}
	return 0;
}

static int naive_block(const void *vdb, void *scratch, const uint8_t *p, size_t len,
		       brk_scan_mpm_cb_fn *cb, void *ctx)
{
	(void)scratch;
	scan_buf(vdb, p, len, 0, 0, cb, ctx);
	return 0;
}

static int naive_stream_open(const void *vdb, void **out)
{
	const struct naive_db *db = vdb;
	struct naive_stream *st = calloc(1, sizeof(*st) + db->maxlit + 1);

	if (!st)
		return -ENOMEM;
	*out = st;
	return 0;
}

static int naive_stream_scan(const void *vdb, void *vst, void *scratch, const uint8_t *p, size_t len,
			     brk_scan_mpm_cb_fn *cb, void *ctx)
{
	const struct naive_db *db = vdb;
	struct naive_stream *st = vst;
	size_t keep = db->maxlit ? db->maxlit - 1 : 0, tot = st->tlen + len;
	uint8_t *tmp;

	(void)scratch;
	tmp = malloc(tot ? tot : 1);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, st->tail, st->tlen);
	memcpy(tmp + st->tlen, p, len);
	scan_buf(db, tmp, tot, st->tlen, st->off, cb, ctx);
	if (tot > keep) {
		st->off += tot - keep;
		memcpy(st->tail, tmp + tot - keep, keep);
		st->tlen = keep;
	} else {
		memcpy(st->tail, tmp, tot);
		st->tlen = tot;
	}
	free(tmp);
	return 0;
}

static void naive_stream_close(void *st)
{
	free(st);
}

static size_t naive_db_size(const void *vdb)
{
	const struct naive_db *db = vdb;

	return sizeof(*db) + db->n * sizeof(*db->pats);
}

const struct brk_scan_mpm_ops brk_scan_mpm_naive = {
	.name = "fallback",
	.exact = 1,
	.compile = naive_compile,
	.free = naive_free,
	.scratch_new = naive_scratch_new,
	.scratch_free = naive_scratch_free,
	.block_scan = naive_block,
	.stream_open = naive_stream_open,
	.stream_scan = naive_stream_scan,
	.stream_close = naive_stream_close,
	.db_size = naive_db_size,
};

const struct brk_scan_mpm_ops *brk_scan_mpm_pick(int force_fallback)
{
#ifdef HAVE_HYPERSCAN
	if (!force_fallback && hs_valid_platform() == HS_SUCCESS)
		return &brk_scan_mpm_hs;
#endif
	(void)force_fallback;
	return &brk_scan_mpm_naive;
}
