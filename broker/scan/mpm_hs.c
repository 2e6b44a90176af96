/* SPDX-License-Identifier: MIT */
/*
 * mpm_hs.c - Hyperscan backend: one streaming database (connections: a
 * match may span any number of feeds, Hyperscan keeps the automaton state)
 * and one block database (whole buffers and decoded layers), compiled from
 * the same expressions. Scratch is cloned per stream or per scan call from
 * a prototype allocated at compile time, so the database is shared
 * read-only between threads.
 */
#include "config.h"

#ifdef HAVE_HYPERSCAN
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hs/hs.h>

#include "broker/scan/mpm.h"

struct hs_db {
	hs_database_t *stream;
	hs_database_t *block;
	hs_scratch_t *proto;   /* cloned, never used directly */
};

struct hs_ctx {
	brk_scan_mpm_cb_fn *cb;
	void *ctx;
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *c)
{
	struct hs_ctx *h = c;

	(void)from;
	(void)flags;
	return h->cb(id, to, h->ctx);
}

static void hs_db_free(void *p)
{
	struct hs_db *db = p;

	if (!db)
		return;
	hs_free_scratch(db->proto);
	hs_free_database(db->stream);
	hs_free_database(db->block);
	free(db);
}

/* One hs_compile_multi() call, run on its own thread for the block database. */
struct hs_job {
	const char *const *exprs;
	const unsigned *flags, *ids;
	unsigned n, mode;
	hs_database_t *db;
	hs_compile_error_t *ce;
	hs_error_t rc;
};

static void *hs_job_run(void *arg)
{
	struct hs_job *j = arg;

	j->rc = hs_compile_multi(j->exprs, j->flags, j->ids, j->n, j->mode, NULL, &j->db, &j->ce);
	return NULL;
}

static int hs_db_compile(const struct brk_scan_pat *pats, size_t n, void **out, char *err, size_t errlen)
{
	struct hs_db *db = calloc(1, sizeof(*db));
	const char **exprs = calloc(n ? n : 1, sizeof(*exprs));
	unsigned *flags = calloc(n ? n : 1, sizeof(*flags));
	unsigned *ids = calloc(n ? n : 1, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	struct hs_job st, bl;
	pthread_t t;
	bool threaded;
	size_t i;
	int rc = -ENOMEM;

	if (!db || !exprs || !flags || !ids)
		goto out;
	for (i = 0; i < n; i++) {
		exprs[i] = pats[i].regex;
		/* DOTALL: a match may cross line breaks; no SOM (not needed). */
		flags[i] = HS_FLAG_DOTALL | (pats[i].nocase ? HS_FLAG_CASELESS : 0);
		ids[i] = pats[i].id;
	}
	/*
	 * The two databases are independent: compile them at once. Each takes
	 * ~0.12 s, and every jailed command waits for both before it starts.
	 */
	st = (struct hs_job){ exprs, flags, ids, (unsigned)n, HS_MODE_STREAM, NULL, NULL, 0 };
	bl = st;
	bl.mode = HS_MODE_BLOCK;
	threaded = pthread_create(&t, NULL, hs_job_run, &bl) == 0;
	hs_job_run(&st);
	if (threaded) {
		pthread_join(t, NULL);
		/* the compile thread's malloc arena: give its free pages back */
		malloc_trim(0);
	} else {
		hs_job_run(&bl);
	}
	db->stream = st.db;
	db->block = bl.db;
	rc = -EIO;
	if (st.rc != HS_SUCCESS || bl.rc != HS_SUCCESS) {
		ce = st.rc != HS_SUCCESS ? st.ce : bl.ce;
		if (ce == st.ce && bl.ce)
			hs_free_compile_error(bl.ce);
		else if (ce == bl.ce && st.ce)
			hs_free_compile_error(st.ce);
		goto cerr;
	}
	if (hs_alloc_scratch(db->stream, &db->proto) != HS_SUCCESS ||
	    hs_alloc_scratch(db->block, &db->proto) != HS_SUCCESS)
		goto out;
	*out = db;
	db = NULL;
	rc = 0;
	goto out;
cerr:
	if (ce) {
		snprintf(err, errlen, "hyperscan: pattern %d: %s",
			 ce->expression, ce->message ? ce->message : "?");
		hs_free_compile_error(ce);
	}
out:
	hs_db_free(db);
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

static int hs_scratch_new(const void *vdb, void **out)
{
	const struct hs_db *db = vdb;
	hs_scratch_t *s = NULL;

	if (hs_clone_scratch(db->proto, &s) != HS_SUCCESS)
		return -ENOMEM;
	*out = s;
	return 0;
}

static void hs_scratch_del(void *s)
{
	hs_free_scratch(s);
}

static int hs_block(const void *vdb, void *scratch, const uint8_t *p, size_t len,
		    brk_scan_mpm_cb_fn *cb, void *ctx)
{
	const struct hs_db *db = vdb;
	struct hs_ctx h = { cb, ctx };
	hs_error_t e;

	while (len > 0) {
		/* hs_scan takes an unsigned int length */
		unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;

		e = hs_scan(db->block, (const char *)p, n, 0, scratch, on_match, &h);
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int hs_sopen(const void *vdb, void **out)
{
	const struct hs_db *db = vdb;
	hs_stream_t *st = NULL;

	if (hs_open_stream(db->stream, 0, &st) != HS_SUCCESS)
		return -ENOMEM;
	*out = st;
	return 0;
}

static int hs_sscan(const void *vdb, void *st, void *scratch, const uint8_t *p, size_t len,
		    brk_scan_mpm_cb_fn *cb, void *ctx)
{
	struct hs_ctx h = { cb, ctx };
	hs_error_t e;

	(void)vdb;
	while (len > 0) {
		unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;

		e = hs_scan_stream(st, (const char *)p, n, 0, scratch, on_match, &h);
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static void hs_sclose(void *st)
{
	if (st)
		hs_close_stream(st, NULL, NULL, NULL);
}

static size_t hs_size(const void *vdb)
{
	const struct hs_db *db = vdb;
	size_t a = 0, b = 0, c = 0, d = 0;

	hs_database_size(db->stream, &a);
	hs_database_size(db->block, &b);
	hs_scratch_size(db->proto, &c);
	hs_stream_size(db->stream, &d);
	return a + b + c + d;
}

const struct brk_scan_mpm_ops brk_scan_mpm_hs = {
	.name = "hyperscan",
	.exact = 0,
	.compile = hs_db_compile,
	.free = hs_db_free,
	.scratch_new = hs_scratch_new,
	.scratch_free = hs_scratch_del,
	.block_scan = hs_block,
	.stream_open = hs_sopen,
	.stream_scan = hs_sscan,
	.stream_close = hs_sclose,
	.db_size = hs_size,
};
#endif /* HAVE_HYPERSCAN */
