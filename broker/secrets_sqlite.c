/* SPDX-License-Identifier: MIT */
/*
 * secrets_sqlite.c - the rows of a SQLite database file read by the
 * credential collectors (secrets_int.h): gcloud's credentials.db and
 * access_tokens.db, Firefox's cookies.sqlite, Chrome's Cookies. Not SQLite's library: the file image is read as the
 * format documents it (https://www.sqlite.org/fileformat2.html): the
 * table b-tree leaf pages (every one, or those under one root page), each
 * cell's record payload joined across its overflow pages, each column's
 * bytes handed to a callback. A damaged page, cell or chain is skipped;
 * the pages looked at, the chains followed and the bytes joined are
 * bounded by the image's size, so a hostile file stays linear.
 *
 * A write-ahead log (the -wal file beside the database: where a running
 * Firefox commits first) overlays the file's pages: the last frame of a
 * page in the log's current generation (its salts) stands for that page.
 * Frames are taken without their checksums: a torn last frame can give a
 * damaged page, skipped like any other. A rollback journal (-journal) is
 * read after the file: the pages it keeps are old versions of the file's.
 * Index b-tree pages are read too: a WITHOUT ROWID table's rows are there.
 *
 * Only secrets_cloud.c calls it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/secrets_int.h"

struct sq {
	const uint8_t *b;
	size_t len, psz, usable, npages;
	const uint8_t **wal;              /* page no - 1 -> its last WAL frame */
	uint8_t *pay;                     /* a cell's payload, joined */
	size_t paycap;
	size_t budget;                    /* payload bytes left to join */
	sqlite_row_fn *fn;
	void *arg;
	uint8_t *seen;                    /* the tree's pages (a journal's to read) */
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A SQLite varint at p (not past e): its length, 0 if cut. */
static size_t varint(const uint8_t *p, const uint8_t *e, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < 9 && p + i < e; i++) {
		if (i == 8) {
			*v = x << 8 | p[i];
			return 9;
		}
		x = x << 7 | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

static const uint8_t *page(const struct sq *q, uint64_t no)
{
	if (!no || no > q->npages)
		return NULL;
	if (q->wal && q->wal[no - 1])
		return q->wal[no - 1];
	return no * q->psz <= q->len ? q->b + (no - 1) * q->psz : NULL;
}

/* The log's frames over the file's pages: q->wal and q->npages (the log
 * may add pages). A log of another page size or none: nothing. */
static void wal_map(struct sq *q, const uint8_t *w, size_t wl)
{
	size_t off, fsz = 24 + q->psz;
	uint64_t maxno = q->npages;

	if (!w || wl < 32 || (be32(w) & ~1u) != 0x377f0682 || be32(w + 8) != q->psz)
		return;
	for (off = 32; off + fsz <= wl; off += fsz)
		if (!memcmp(w + off + 8, w + 16, 8) && be32(w + off) > maxno)
			maxno = be32(w + off);
	if (maxno > wl / q->psz + q->npages)
		return;   /* not a real log */
	q->wal = calloc((size_t)maxno, sizeof(*q->wal));
	if (!q->wal)
		return;
	q->npages = (size_t)maxno;
	for (off = 32; off + fsz <= wl; off += fsz) {
		uint32_t no = be32(w + off);

		if (no && !memcmp(w + off + 8, w + 16, 8))
			q->wal[no - 1] = w + off + 24;
	}
}

/* The b-tree header of page no (after the file header on page 1). */
static const uint8_t *bt_header(const struct sq *q, uint64_t no)
{
	const uint8_t *p = page(q, no);

	return p ? p + (no == 1 ? 100 : 0) : NULL;
}

/* A record (the payload of a table row): each column to the callback. */
static void record(struct sq *q, int64_t rowid, const uint8_t *p, size_t n)
{
	struct sqlite_row r = { .rowid = rowid };
	const uint8_t *e = p + n, *h, *body;
	uint64_t hs, t;
	size_t k;

	if (!(k = varint(p, e, &hs)) || hs > n || hs < k)
		return;
	h = p + k;
	body = p + hs;
	while (h < p + hs && r.ncol < SQLITE_COLS) {
		static const uint8_t isz[] = { 0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0 };
		size_t sz;

		if (!(k = varint(h, p + hs, &t)))
			return;
		h += k;
		sz = t >= 12 ? (size_t)((t - 12) / 2) : isz[t];
		if (t >= 12 && (t - 12) / 2 > (uint64_t)(e - body))
			return;
		if (sz > (size_t)(e - body))
			return;
		r.v[r.ncol] = body;
		r.n[r.ncol] = sz;
		r.type[r.ncol] = t >= 13 && t & 1 ? SQLITE_TEXT : t >= 12 ? SQLITE_BLOB :
				 t ? SQLITE_NUM : SQLITE_NULL;
		r.ncol++;
		body += sz;
	}
	q->fn(&r, q->arg);
}

/* A cell's payload of plen bytes at p (the page ends at e), at most x of
 * them on the page (the rest on overflow pages), joined into q->pay.
 * 0, or -1: empty, damaged, a chain that breaks or loops, over budget. */
static int payload(struct sq *q, const uint8_t *p, const uint8_t *e, uint64_t plen, size_t x)
{
	size_t local, got, chain = 0;
	uint64_t ov;

	if (plen <= x) {
		local = (size_t)plen;
	} else {
		size_t m = (q->usable - 12) * 32 / 255 - 23;
		uint64_t kk = m + (plen - m) % (q->usable - 4);

		local = kk <= x ? (size_t)kk : m;
	}
	if (plen == 0 || local > (size_t)(e - p) || plen > q->len || plen > q->budget)
		return -1;   /* an empty payload holds no record (and no buffer yet) */
	if (plen > q->paycap) {
		uint8_t *n = malloc((size_t)plen);

		if (!n)
			return -1;
		if (q->pay) {
			explicit_bzero(q->pay, q->paycap);
			free(q->pay);
		}
		q->pay = n;
		q->paycap = (size_t)plen;
	}
	q->budget -= (size_t)plen;
	memcpy(q->pay, p, local);
	got = local;
	if (got < plen) {
		if ((size_t)(e - p) < local + 4)
			return -1;
		ov = be32(p + local);
		while (got < plen) {
			const uint8_t *o = page(q, ov);
			size_t take = q->usable - 4;

			if (!o || ++chain > q->npages)
				return -1;
			if (take > plen - got)
				take = (size_t)(plen - got);
			memcpy(q->pay + got, o + 4, take);
			got += take;
			ov = be32(o);
		}
	}
	return 0;
}

/* The cell at off of b-tree page pg of type t: a table leaf's (0x0d: a
 * row), an index leaf's or interior page's (0x0a, 0x02: the key, which
 * for a WITHOUT ROWID table is the row, its PRIMARY KEY columns first). */
static void cell(struct sq *q, const uint8_t *pg, size_t off, uint8_t t)
{
	const uint8_t *p = pg + off, *e = pg + q->usable;
	uint64_t plen, rowid = 0;
	size_t k, x = t == 0x0d ? q->usable - 35 : (q->usable - 12) * 64 / 255 - 23;

	if (off >= q->usable || (t == 0x02 && (p += 4) >= e) || !(k = varint(p, e, &plen)))
		return;
	p += k;
	if (t == 0x0d) {
		if (!(k = varint(p, e, &rowid)))
			return;
		p += k;
	}
	if (payload(q, p, e, plen, x) == 0)
		record(q, (int64_t)rowid, q->pay, (size_t)plen);
}

/* The cells of page image pg (page 1: its b-tree header after the file's)
 * if it is a table leaf, or (index) an index page. */
static void cells(struct sq *q, const uint8_t *pg, int first, int index)
{
	const uint8_t *hd = pg + (first ? 100 : 0);
	size_t h = hd[0] == 0x02 ? 12 : 8;
	unsigned i, nc;

	if (!(hd[0] == 0x0d || (index && (hd[0] == 0x0a || hd[0] == 0x02))) ||
	    (size_t)(hd - pg) + h > q->usable)
		return;
	nc = be16(hd + 3);
	for (i = 0; i < nc && (size_t)(hd - pg) + h + 2 * i + 2 <= q->usable; i++)
		cell(q, pg, be16(hd + h + 2 * i), hd[0]);
}

static void mark(struct sq *q, uint64_t no)
{
	if (q->seen && no && no <= q->npages)
		q->seen[(no - 1) / 8] |= (uint8_t)(1u << ((no - 1) % 8));
}

/* The b-tree under page no: table (0x05) or index (0x02) interior pages
 * down to their leaves (0x0d, 0x0a). */
static void tree(struct sq *q, uint64_t no, unsigned depth, size_t *visits)
{
	const uint8_t *hd = bt_header(q, no), *pg = page(q, no);
	unsigned i, nc;

	if (!hd || depth > 20 || ++*visits > q->npages)
		return;
	mark(q, no);
	if (hd[0] == 0x0d || hd[0] == 0x0a || hd[0] == 0x02)
		cells(q, pg, no == 1, 1);
	if ((hd[0] != 0x05 && hd[0] != 0x02) || (size_t)(hd - pg) + 12 > q->usable)
		return;
	nc = be16(hd + 3);
	for (i = 0; i < nc && (size_t)(hd - pg) + 12 + 2 * i + 2 <= q->usable; i++) {
		unsigned off = be16(hd + 12 + 2 * i);

		if (off + 4 <= q->usable)
			tree(q, be32(pg + off), depth + 1, visits);
	}
	tree(q, be32(hd + 8), depth + 1, visits);
}

/* A rollback journal (the -journal file: the pages a transaction is
 * changing, as they were before it; after a crash, or in PERSIST and
 * TRUNCATE modes, what the database no longer shows): its records (page
 * number, page image, checksum) after a header of one sector. A header
 * zeroed on commit (PERSIST) keeps its records: read at sector 512. The
 * pages of the tree walked (seen) or (NULL) all of them, as leaves. */
static void journal(struct sq *q, const uint8_t *j, size_t jl)
{
	static const uint8_t magic[8] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };
	size_t off = 512, rec = 4 + q->psz + 4;
	static const uint8_t zero[28];

	if (!j || jl < 28)
		return;
	if (!memcmp(j, magic, 8)) {
		uint32_t sect = be32(j + 20);

		if (be32(j + 24) != q->psz || sect < 512 || (sect & (sect - 1)) || sect > 65536)
			return;
		off = sect;
	} else if (memcmp(j, zero, 28)) {
		return;
	}
	for (; off + rec <= jl; off += rec) {
		uint32_t no = be32(j + off);

		if (no && (!q->seen || (no <= q->npages &&
					q->seen[(no - 1) / 8] & (1u << ((no - 1) % 8)))))
			cells(q, j + off + 4, no == 1, 1);
	}
}

int sec_sqlite_walk(const struct sqlite_img *im, uint32_t root, sqlite_row_fn *fn, void *arg)
{
	const uint8_t *b = im->b;
	size_t len = im->len, visits = 0;
	struct sq q = { .b = b, .len = len, .fn = fn, .arg = arg };
	uint64_t i;

	if (len < 100 || memcmp(b, "SQLite format 3", 16))
		return -1;
	q.psz = be16(b + 16) == 1 ? 65536 : be16(b + 16);
	if (q.psz < 512 || (q.psz & (q.psz - 1)) || b[20] > q.psz - 480)
		return -1;
	q.usable = q.psz - b[20];
	q.npages = len / q.psz;
	wal_map(&q, im->wal, im->wal_len);
	q.budget = 2 * (len + im->wal_len + im->jrnl_len) + 65536;
	if (root && im->jrnl)
		q.seen = calloc(q.npages / 8 + 1, 1);   /* NULL: the journal is not read */
	if (root)
		tree(&q, root, 0, &visits);
	else
		for (i = 1; i <= q.npages; i++)
			if (page(&q, i))
				cells(&q, page(&q, i), i == 1, 1);
	if (!root || q.seen)
		journal(&q, im->jrnl, im->jrnl_len);
	free(q.seen);
	if (q.pay) {
		explicit_bzero(q.pay, q.paycap);
		free(q.pay);
	}
	free(q.wal);
	return 0;
}
