/* SPDX-License-Identifier: MIT */
/*
 * mpm.h - multi-pattern matcher backends for the scanning engine.
 *
 * One ops struct per backend: mpm_hs.c (Hyperscan, streaming and block
 * databases) and mpm_naive.c (plain literal search: the fallback where
 * Hyperscan is missing or the CPU unsupported, and the test oracle).
 * Only scan.c calls these. A compiled database is read-only and shared;
 * scratch and stream state belong to one thread at a time.
 *
 * Events: cb(id, to) where to is the absolute end offset of a match. The
 * Hyperscan backend matches the full shape expression; the naive backend
 * reports where each anchor literal ends (ops->exact = 1). scan.c locates
 * the anchor and runs the detector check either way.
 */
#ifndef DLP_BROKER_SCAN_MPM_H
#define DLP_BROKER_SCAN_MPM_H

#include <stddef.h>
#include <stdint.h>

struct brk_scan_pat {
	const char *lit;      /* anchor literal (what the naive backend finds) */
	size_t litlen;
	const char *regex;    /* Hyperscan expression (superset of the check) */
	int nocase;
	unsigned id;          /* reported back in events */
	int session;          /* per-session literal (a canary): never part of
			       * a cached database, so that one is reusable */
};

/* Return nonzero to stop the scan. */
typedef int brk_scan_mpm_cb_fn(unsigned id, unsigned long long to, void *ctx);

/* Checks a database loaded from the cache: 0 to accept it. */
typedef int brk_scan_mpm_verify_fn(const void *db, void *arg);

struct brk_scan_mpm_cache_opts {
	const char *dir;                /* cache directory, NULL: no cache */
	brk_scan_mpm_verify_fn *verify; /* NULL: accept what loads */
	void *arg;
	int background;                 /* compile a cache miss in a thread */
};

struct brk_scan_mpm_ops {
	const char *name;
	int exact;            /* events end exactly at an anchor */
	int (*compile)(const struct brk_scan_pat *pats, size_t n, void **db, char *err, size_t errlen);
	void (*free)(void *db);
	int (*scratch_new)(const void *db, void **scratch);
	void (*scratch_free)(void *scratch);
	int (*block_scan)(const void *db, void *scratch, const uint8_t *p, size_t len,
			  brk_scan_mpm_cb_fn *cb, void *ctx);
	int (*stream_open)(const void *db, void **st);
	int (*stream_scan)(const void *db, void *st, void *scratch, const uint8_t *p, size_t len,
			   brk_scan_mpm_cb_fn *cb, void *ctx);
	void (*stream_close)(void *st);
	/* Optional: back to a fresh stream (offsets from 0 again), no events
	 * for the bytes before. scan.c uses it to pass over binary stretches
	 * no pattern can match in (scan.c raw_sparse). */
	int (*stream_reset)(void *st);
	size_t (*db_size)(const void *db);
	/* Optional (NULL: use compile). Like compile, but the patterns with
	 * session == 0 come from / go to the cache (mpm_cache.h) in o->dir
	 * when it is non-NULL. A database loaded from the cache is accepted
	 * only if o->verify(db, o->arg) returns 0 (verify may be NULL);
	 * otherwise, and on any cache problem, it is compiled and the entry
	 * rewritten. With o->background, that compile runs in a thread: the
	 * call returns at once and scratch_new (every scan starts with it)
	 * waits for the compile and fails with its error. */
	int (*compile_cached)(const struct brk_scan_pat *pats, size_t n,
			      const struct brk_scan_mpm_cache_opts *o,
			      void **db, char *err, size_t errlen);
	/* Optional: 1 if db's shared part was loaded from the cache. */
	int (*from_cache)(const void *db);
	/* Optional: wait for a background compile; 0 or its negative errno. */
	int (*wait)(const void *db);
};

extern const struct brk_scan_mpm_ops brk_scan_mpm_naive;
#ifdef HAVE_HYPERSCAN
extern const struct brk_scan_mpm_ops brk_scan_mpm_hs;
#endif

/* The backend to use: Hyperscan if compiled in, wanted and the CPU is
 * supported (hs_valid_platform), else the naive one. */
const struct brk_scan_mpm_ops *brk_scan_mpm_pick(int force_fallback);

#endif /* DLP_BROKER_SCAN_MPM_H */
