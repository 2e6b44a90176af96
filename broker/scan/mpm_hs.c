/* SPDX-License-Identifier: MIT */
/*
 * mpm_hs.c - Hyperscan backend: one streaming database (connections: a
 * match may span any number of feeds, Hyperscan keeps the automaton state)
 * and one block database (whole buffers and decoded layers), compiled from
 * the same expressions. Scratch is cloned per stream or per scan call from
 * a prototype allocated at compile time, so the database is shared
 * read-only between threads.
 *
 * The detector patterns are the same in every session: their two databases
 * are serialized into the per-user cache (mpm_cache.h), keyed by the
 * Hyperscan version, the platform and the expressions, and deserialized by
 * the next session instead of compiled (~300 ms -> a few ms). Per-session
 * literals (canaries, pat.session) go into a second, small pair of
 * databases compiled each time, so the big pair never holds a secret and is
 * reusable; every scan runs both.
 */
#include "config.h"

#ifdef HAVE_HYPERSCAN
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <hs/hs.h>
#ifdef HAVE_HS_RUNTIME
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <dlfcn.h>
#define DLP_HS_COMPILER_NAME DLP_HS_COMPILER
#else
#define DLP_HS_COMPILER_NAME "libhs"
#endif

#include "broker/scan/mpm.h"
#include "broker/scan/mpm_cache.h"
#include "common/log.h"

#define CACHE_FORMAT "dlpjail-hs-cache 1"

/* A compile running in the background (cache miss, opts->background):
 * it owns copies of the patterns. */
struct hs_bg {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct brk_scan_pat *pats;
	size_t n;
	char *dir;             /* cache directory, or NULL */
	uint8_t key[BRK_SCAN_CACHE_KEYLEN];
};

struct hs_db {
	hs_database_t *stream, *block;     /* detector patterns: cacheable */
	size_t stream_map, block_map;      /* > 0: mapped by db_map(), not malloc'd */
	hs_database_t *sstream, *sblock;   /* session literals, or NULL */
	hs_scratch_t *proto;   /* cloned, never used directly; fits all four */
	int cached;            /* stream/block came from the cache */
	/* Background compile: until ready, only the fields above the proto
	 * that the caller's thread set (sstream, sblock, cached) may be read;
	 * hs_ready() waits. ready is 1 from the start without one. */
	struct hs_bg *bg;
	atomic_int ready;
	int status;            /* the compile's result, once ready */
};

struct hs_st {
	hs_stream_t *a, *b;    /* on stream, sstream */
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

#ifdef HAVE_HS_RUNTIME
/*
 * The broker links Hyperscan's runtime library only: it deserializes, scans
 * and frees databases, and pulls in no C++ runtime (libhs and libstdc++
 * cost ~8 M instructions of relocations and their page faults at every
 * start). The compiler, libhs, is loaded here at the first compile (a
 * cache miss, or a test); its databases are the runtime's format (same
 * package, same version). Globals: hsc, written once under hsc_once.
 */
typedef hs_error_t hsc_compile_multi_fn(const char *const *, const unsigned *, const unsigned *,
					unsigned, unsigned, const hs_platform_info_t *,
					hs_database_t **, hs_compile_error_t **);
typedef hs_error_t hsc_free_error_fn(hs_compile_error_t *);
typedef hs_error_t hsc_platform_fn(hs_platform_info_t *);

static struct {
	hsc_compile_multi_fn *compile_multi;
	hsc_free_error_fn *free_error;
	hsc_platform_fn *platform;
} hsc;
static pthread_once_t hsc_once = PTHREAD_ONCE_INIT;

static void hsc_load(void)
{
	void *h = dlopen(DLP_HS_COMPILER, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		dlp_log(DLP_LOG_ERR, "scan: cannot load the Hyperscan compiler: %s", dlerror());
		return;
	}
	*(void **)&hsc.free_error = dlsym(h, "hs_free_compile_error");
	*(void **)&hsc.platform = dlsym(h, "hs_populate_platform");
	*(void **)&hsc.compile_multi = dlsym(h, "hs_compile_multi");
	if (!hsc.free_error || !hsc.platform)
		hsc.compile_multi = NULL;
}

static int hsc_ready(void)
{
	pthread_once(&hsc_once, hsc_load);
	return hsc.compile_multi != NULL;
}
#define HSC(fn) (hsc.fn)
#else
static int hsc_ready(void)
{
	return 1;
}
#define HSC_compile_multi hs_compile_multi
#define HSC(fn) HSC_##fn
#define HSC_free_error hs_free_compile_error
#endif

/*
 * What the database is compiled for, for the cache key. With the runtime
 * alone (x86: Hyperscan's only architecture) the CPU's identification and
 * feature words stand in for hs_populate_platform(), which is the
 * compiler's: without it, a start would load the compiler after all. A
 * database from another machine that the CPU cannot run is refused by
 * hs_deserialize_database() anyway.
 */
static int hs_platform_key(uint32_t w[8])
{
	memset(w, 0, 8 * sizeof(uint32_t));
#if defined(HAVE_HS_RUNTIME) && (defined(__x86_64__) || defined(__i386__))
	{
		unsigned a, b, c, d, lo = 0, hi = 0;

		if (!__get_cpuid(1, &a, &b, &c, &d))
			return -EIO;
		w[0] = a;   /* family, model, stepping (not ebx: the APIC id) */
		w[1] = c;
		w[2] = d;
		if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
			w[3] = b;
			w[4] = c;
			w[5] = d;
		}
		if (w[1] & (1u << 27)) {   /* OSXSAVE: which vector state the OS keeps */
			__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
			w[6] = lo;
			w[7] = hi;
		}
	}
	return 0;
#else
	{
		hs_platform_info_t plat;

		memset(&plat, 0, sizeof(plat));
#ifdef HAVE_HS_RUNTIME
		if (!hsc_ready() || hsc.platform(&plat) != HS_SUCCESS)
			return -EIO;
#else
		if (hs_populate_platform(&plat) != HS_SUCCESS)
			return -EIO;
#endif
		memcpy(w, &plat, sizeof(plat) < 8 * sizeof(uint32_t) ? sizeof(plat) : 8 * sizeof(uint32_t));
	}
	return 0;
#endif
}

/* The detector pair, however it was allocated; both NULL after. */
static void db_pair_free(struct hs_db *db)
{
	if (db->stream_map)
		munmap(db->stream, db->stream_map);
	else
		hs_free_database(db->stream);
	if (db->block_map)
		munmap(db->block, db->block_map);
	else
		hs_free_database(db->block);
	db->stream = db->block = NULL;
	db->stream_map = db->block_map = 0;
}

/*
 * A serialized database deserialized into its own mapping: MAP_POPULATE
 * faults its pages in with the mmap() (the ~1 MB pair cost ~550 page
 * faults, one trap each, when hs_deserialize_database() copied it into
 * fresh malloc'd memory), and it is read-only after (Hyperscan never
 * writes a database while scanning). *size: the mapping's, for munmap().
 */
static hs_database_t *db_map(const char *bytes, size_t len, size_t *size)
{
	size_t need = 0;
	void *m;

	*size = 0;
	if (hs_serialized_database_size(bytes, len, &need) != HS_SUCCESS || need == 0)
		return NULL;
	m = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		 -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (hs_deserialize_database_at(bytes, len, m) != HS_SUCCESS) {
		munmap(m, need);
		return NULL;
	}
	(void)mprotect(m, need, PROT_READ);
	*size = need;
	return m;
}

static void hs_db_free(void *p)
{
	struct hs_db *db = p;

	if (!db)
		return;
	if (db->bg) {
		size_t i;

		/* a compile in flight finishes (and writes the cache) first */
		pthread_join(db->bg->thr, NULL);
		pthread_mutex_destroy(&db->bg->mu);
		pthread_cond_destroy(&db->bg->cv);
		for (i = 0; i < db->bg->n; i++)
			free((char *)db->bg->pats[i].regex);
		free(db->bg->pats);
		free(db->bg->dir);
		free(db->bg);
	}
	hs_free_scratch(db->proto);
	db_pair_free(db);
	hs_free_database(db->sstream);
	hs_free_database(db->sblock);
	free(db);
}

static unsigned pat_flags(const struct brk_scan_pat *p)
{
	/* DOTALL: a match may cross line breaks; no SOM (not needed). */
	return HS_FLAG_DOTALL | (p->nocase ? HS_FLAG_CASELESS : 0);
}

/* Compile the patterns whose .session is session into a stream and a
 * block database (both left NULL when there are none). */
static int compile_pair(const struct brk_scan_pat *pats, size_t n, int session,
			hs_database_t **stream, hs_database_t **block, char *err, size_t errlen)
{
	const char **exprs = calloc(n ? n : 1, sizeof(*exprs));
	unsigned *flags = calloc(n ? n : 1, sizeof(*flags));
	unsigned *ids = calloc(n ? n : 1, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	size_t i, m = 0;
	int rc = -ENOMEM;

	if (!exprs || !flags || !ids)
		goto out;
	for (i = 0; i < n; i++) {
		if (!!pats[i].session != session)
			continue;
		exprs[m] = pats[i].regex;
		flags[m] = pat_flags(&pats[i]);
		ids[m++] = pats[i].id;
	}
	rc = 0;
	if (m == 0)
		goto out;  /* nothing of this kind: no database */
	rc = -EIO;
	if (!hsc_ready()) {
		snprintf(err, errlen, "hyperscan: the compiler (%s) cannot be loaded", DLP_HS_COMPILER_NAME);
		goto out;
	}
	if (HSC(compile_multi)(exprs, flags, ids, (unsigned)m, HS_MODE_STREAM, NULL, stream, &ce) != HS_SUCCESS ||
	    HSC(compile_multi)(exprs, flags, ids, (unsigned)m, HS_MODE_BLOCK, NULL, block, &ce) != HS_SUCCESS) {
		if (ce) {
			snprintf(err, errlen, "hyperscan: pattern %d: %s",
				 ce->expression, ce->message ? ce->message : "?");
			HSC(free_error)(ce);
		}
		goto out;
	}
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

static int put(uint8_t **b, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = *cap ? *cap : 4096;
		uint8_t *nb;

		while (nc < *len + n)
			nc *= 2;
		nb = realloc(*b, nc);
		if (!nb)
			return -ENOMEM;
		*b = nb;
		*cap = nc;
	}
	memcpy(*b + *len, p, n);
	*len += n;
	return 0;
}

/* What the cached pair depends on: cache format, Hyperscan version, the
 * platform it compiles for, and every non-session pattern (id, flags,
 * expression). */
static int cache_key(const struct brk_scan_pat *pats, size_t n, uint8_t key[BRK_SCAN_CACHE_KEYLEN])
{
	uint32_t plat[8];
	const char *ver = hs_version();
	uint8_t *b = NULL;
	size_t len = 0, cap = 0, i;
	const void *parts[4];
	size_t lens[4];
	int rc = 0;

	if (hs_platform_key(plat) < 0)
		return -EIO;
	for (i = 0; i < n && rc == 0; i++) {
		uint32_t w[3] = { pats[i].id, pat_flags(&pats[i]), (uint32_t)strlen(pats[i].regex) };

		if (pats[i].session)
			continue;
		rc = put(&b, &len, &cap, w, sizeof(w));
		if (rc == 0)
			rc = put(&b, &len, &cap, pats[i].regex, w[2]);
	}
	if (rc == 0) {
		parts[0] = CACHE_FORMAT;
		lens[0] = sizeof(CACHE_FORMAT);
		parts[1] = ver;
		lens[1] = strlen(ver);
		parts[2] = plat;
		lens[2] = sizeof(plat);
		parts[3] = b ? (const void *)b : "";
		lens[3] = len;
		brk_scan_cache_key(key, parts, lens, 4);
	}
	free(b);
	return rc;
}

/* blob = u64 stream length | stream bytes | block bytes */
static int cache_load(const char *dir, const uint8_t *key, struct hs_db *db)
{
	struct brk_scan_cache_map m;
	const uint8_t *blob;
	size_t len;
	uint64_t sl = 0;
	int rc = brk_scan_cache_map(dir, key, &m), k;

	if (rc < 0) {
		if (rc != -ENOENT)
			dlp_log(DLP_LOG_DEBUG, "scan: matcher cache in %s ignored: %s", dir,
				strerror(-rc));
		return rc;
	}
	blob = m.blob;
	len = m.len;
	rc = -EBADMSG;
	for (k = 0; k < 8 && len >= 8; k++)
		sl |= (uint64_t)blob[k] << (8 * k);
	if (len < 8 || sl > len - 8 ||
	    !(db->stream = db_map((const char *)blob + 8, (size_t)sl, &db->stream_map)) ||
	    !(db->block = db_map((const char *)blob + 8 + sl, len - 8 - (size_t)sl,
				 &db->block_map))) {
		dlp_log(DLP_LOG_DEBUG, "scan: matcher cache in %s does not deserialize: ignored", dir);
		db_pair_free(db);
		goto out;
	}
	db->cached = 1;
	rc = 0;
out:
	brk_scan_cache_unmap(&m);
	return rc;
}

static void cache_store(const char *dir, const uint8_t *key, const struct hs_db *db)
{
	char *s = NULL, *b = NULL;
	size_t sl = 0, bl = 0, len = 0, cap = 0;
	uint8_t *blob = NULL, l8[8];
	int k, rc = -ENOMEM;

	if (hs_serialize_database(db->stream, &s, &sl) != HS_SUCCESS ||
	    hs_serialize_database(db->block, &b, &bl) != HS_SUCCESS)
		goto out;
	for (k = 0; k < 8; k++)
		l8[k] = (uint8_t)((uint64_t)sl >> (8 * k));
	if (put(&blob, &len, &cap, l8, 8) < 0 || put(&blob, &len, &cap, s, sl) < 0 ||
	    put(&blob, &len, &cap, b, bl) < 0)
		goto out;
	rc = brk_scan_cache_store(dir, key, blob, len);
out:
	if (rc < 0)
		dlp_log(DLP_LOG_DEBUG, "scan: matcher cache not written to %s: %s", dir,
			strerror(-rc));
	free(s);   /* hs_serialize_database uses the default allocator */
	free(b);
	free(blob);
}

/* Scratch fitting every database db has; -ENOMEM, -EIO (none). */
static int alloc_proto(struct hs_db *db, char *err, size_t errlen)
{
	hs_database_t *all[4] = { db->stream, db->block, db->sstream, db->sblock };
	size_t i;

	for (i = 0; i < 4; i++)
		if (all[i] && hs_alloc_scratch(all[i], &db->proto) != HS_SUCCESS)
			return -ENOMEM;
	if (!db->proto) {
		snprintf(err, errlen, "hyperscan: no patterns");
		return -EIO;
	}
	return 0;
}

/* Wait for a background compile; its status (0 or negative errno). */
static int hs_ready(const void *vdb)
{
	const struct hs_db *db = vdb;

	if (atomic_load_explicit(&db->ready, memory_order_acquire))
		return db->status;
	pthread_mutex_lock(&db->bg->mu);
	while (!atomic_load_explicit(&db->ready, memory_order_acquire))
		pthread_cond_wait(&db->bg->cv, &db->bg->mu);
	pthread_mutex_unlock(&db->bg->mu);
	return db->status;
}

static void *bg_main(void *arg)
{
	struct hs_db *db = arg;
	struct hs_bg *bg = db->bg;
	char err[160] = "";
	int rc = compile_pair(bg->pats, bg->n, 0, &db->stream, &db->block, err, sizeof(err));

	if (rc == 0) {
		dlp_log(DLP_LOG_DEBUG, "scan: detector database compiled in the background%s%s",
			bg->dir ? ", cached in " : "", bg->dir ? bg->dir : "");
		if (bg->dir && db->stream)
			cache_store(bg->dir, bg->key, db);
		rc = alloc_proto(db, err, sizeof(err));
	}
	if (rc < 0)
		dlp_log(DLP_LOG_ERR, "scan: %s", err[0] ? err : strerror(-rc));
	pthread_mutex_lock(&bg->mu);
	db->status = rc;
	atomic_store_explicit(&db->ready, 1, memory_order_release);
	pthread_cond_broadcast(&bg->cv);
	pthread_mutex_unlock(&bg->mu);
	return NULL;
}

/* Hand the detector patterns' compile to a thread; the copies it needs. */
static int bg_start(struct hs_db *db, const struct brk_scan_pat *pats, size_t n,
		    const char *dir, const uint8_t *key)
{
	struct hs_bg *bg = calloc(1, sizeof(*bg));
	size_t i;
	int rc = -ENOMEM;

	if (!bg)
		return -ENOMEM;
	bg->pats = calloc(n ? n : 1, sizeof(*bg->pats));
	bg->dir = dir ? strdup(dir) : NULL;
	if (!bg->pats || (dir && !bg->dir))
		goto fail;
	for (i = 0; i < n; i++) {
		if (pats[i].session)
			continue;
		bg->pats[bg->n] = pats[i];
		bg->pats[bg->n].lit = NULL;   /* not used by Hyperscan */
		bg->pats[bg->n].regex = strdup(pats[i].regex);
		if (!bg->pats[bg->n].regex)
			goto fail;
		bg->n++;
	}
	if (key)
		memcpy(bg->key, key, sizeof(bg->key));
	pthread_mutex_init(&bg->mu, NULL);
	pthread_cond_init(&bg->cv, NULL);
	db->bg = bg;
	atomic_store(&db->ready, 0);
	rc = -pthread_create(&bg->thr, NULL, bg_main, db);
	if (rc == 0)
		return 0;
	db->bg = NULL;
	atomic_store(&db->ready, 1);
	pthread_mutex_destroy(&bg->mu);
	pthread_cond_destroy(&bg->cv);
fail:
	for (i = 0; i < bg->n; i++)
		free((char *)bg->pats[i].regex);
	free(bg->pats);
	free(bg->dir);
	free(bg);
	return rc;
}

static int hs_db_compile_cached(const struct brk_scan_pat *pats, size_t n,
				const struct brk_scan_mpm_cache_opts *o,
				void **out, char *err, size_t errlen)
{
	struct hs_db *db = calloc(1, sizeof(*db));
	const char *dir = o ? o->dir : NULL;
	uint8_t key[BRK_SCAN_CACHE_KEYLEN];
	int rc = -ENOMEM, keyed = 0;

	if (!db)
		goto out;
	atomic_init(&db->ready, 1);
	rc = compile_pair(pats, n, 1, &db->sstream, &db->sblock, err, errlen);
	if (rc < 0)
		goto out;
	if (dir && cache_key(pats, n, key) == 0) {
		keyed = 1;
		if (cache_load(dir, key, db) == 0) {
			rc = alloc_proto(db, err, errlen);
			if (rc == 0 && (!o->verify || o->verify(db, o->arg) == 0)) {
				dlp_log(DLP_LOG_DEBUG, "scan: detector database loaded from the "
					"cache in %s", dir);
				goto done;
			}
			/* loaded but wrong: never trusted, rebuilt and rewritten */
			dlp_log(DLP_LOG_WARN, "scan: the matcher cache in %s failed its self-test; "
				"recompiling", dir);
			hs_free_scratch(db->proto);
			db_pair_free(db);
			db->proto = NULL;
			db->cached = 0;
		}
	}
	/* ~300 ms: off the caller's path if it asked; scans wait for it */
	if (o && o->background && bg_start(db, pats, n, keyed ? dir : NULL, keyed ? key : NULL) == 0)
		goto done;
	rc = compile_pair(pats, n, 0, &db->stream, &db->block, err, errlen);
	if (rc < 0)
		goto out;
	dlp_log(DLP_LOG_DEBUG, "scan: detector database compiled%s%s", keyed ? ", cached in " : "",
		keyed ? dir : "");
	if (keyed && db->stream)
		cache_store(dir, key, db);
	rc = alloc_proto(db, err, errlen);
	if (rc < 0)
		goto out;
done:
	*out = db;
	db = NULL;
	rc = 0;
out:
	hs_db_free(db);
	return rc;
}

static int hs_db_compile(const struct brk_scan_pat *pats, size_t n, void **out, char *err, size_t errlen)
{
	return hs_db_compile_cached(pats, n, NULL, out, err, errlen);
}

static int hs_from_cache(const void *vdb)
{
	return ((const struct hs_db *)vdb)->cached;
}

static int hs_scratch_new(const void *vdb, void **out)
{
	const struct hs_db *db = vdb;
	hs_scratch_t *s = NULL;
	int rc = hs_ready(db);

	if (rc < 0)
		return rc;
	if (hs_clone_scratch(db->proto, &s) != HS_SUCCESS)
		return -ENOMEM;
	*out = s;
	return 0;
}

static void hs_scratch_del(void *s)
{
	hs_free_scratch(s);
}

/* One database, in chunks (hs_scan takes an unsigned int length).
 * 1 if the callback stopped the scan, 0, or -EIO. */
static int block_one(const hs_database_t *d, hs_scratch_t *scratch, const uint8_t *p, size_t len,
		     struct hs_ctx *h)
{
	hs_error_t e;

	while (d && len > 0) {
		unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;

		e = hs_scan(d, (const char *)p, n, 0, scratch, on_match, h);
		if (e == HS_SCAN_TERMINATED)
			return 1;
		if (e != HS_SUCCESS)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int hs_block(const void *vdb, void *scratch, const uint8_t *p, size_t len,
		    brk_scan_mpm_cb_fn *cb, void *ctx)
{
	const struct hs_db *db = vdb;
	struct hs_ctx h = { cb, ctx };
	int rc = hs_ready(db);

	if (rc == 0)
		rc = block_one(db->block, scratch, p, len, &h);

	if (rc == 0)
		rc = block_one(db->sblock, scratch, p, len, &h);
	return rc < 0 ? rc : 0;
}

static int hs_sopen(const void *vdb, void **out)
{
	const struct hs_db *db = vdb;
	struct hs_st *st;

	if (hs_ready(db) < 0)
		return -EIO;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if ((db->stream && hs_open_stream(db->stream, 0, &st->a) != HS_SUCCESS) ||
	    (db->sstream && hs_open_stream(db->sstream, 0, &st->b) != HS_SUCCESS)) {
		if (st->a)
			hs_close_stream(st->a, NULL, NULL, NULL);
		free(st);
		return -ENOMEM;
	}
	*out = st;
	return 0;
}

static int stream_one(hs_stream_t *st, hs_scratch_t *scratch, const uint8_t *p, size_t len,
		      struct hs_ctx *h)
{
	hs_error_t e;

	while (st && len > 0) {
		unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;

		e = hs_scan_stream(st, (const char *)p, n, 0, scratch, on_match, h);
		if (e == HS_SCAN_TERMINATED)
			return 1;
		if (e != HS_SUCCESS)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int hs_sscan(const void *vdb, void *vst, void *scratch, const uint8_t *p, size_t len,
		    brk_scan_mpm_cb_fn *cb, void *ctx)
{
	struct hs_st *st = vst;
	struct hs_ctx h = { cb, ctx };
	int rc;

	(void)vdb;
	/* both always see every byte: their automata must stay in step */
	rc = stream_one(st->a, scratch, p, len, &h);
	if (rc >= 0) {
		int r2 = stream_one(st->b, scratch, p, len, &h);

		rc = r2 < 0 ? r2 : rc;
	}
	return rc < 0 ? rc : 0;
}

static int hs_sreset(void *vst)
{
	struct hs_st *st = vst;

	if ((st->a && hs_reset_stream(st->a, 0, NULL, NULL, NULL) != HS_SUCCESS) ||
	    (st->b && hs_reset_stream(st->b, 0, NULL, NULL, NULL) != HS_SUCCESS))
		return -EIO;
	return 0;
}

static void hs_sclose(void *vst)
{
	struct hs_st *st = vst;

	if (!st)
		return;
	if (st->a)
		hs_close_stream(st->a, NULL, NULL, NULL);
	if (st->b)
		hs_close_stream(st->b, NULL, NULL, NULL);
	free(st);
}

static size_t db_bytes(const hs_database_t *d, int stream)
{
	size_t a = 0, b = 0;

	if (!d)
		return 0;
	hs_database_size(d, &a);
	if (stream)
		hs_stream_size(d, &b);
	return a + b;
}

static size_t hs_size(const void *vdb)
{
	const struct hs_db *db = vdb;
	size_t c = 0;

	if (hs_ready(db) < 0)
		return 0;
	hs_scratch_size(db->proto, &c);
	return db_bytes(db->stream, 1) + db_bytes(db->block, 0) + db_bytes(db->sstream, 1) +
	       db_bytes(db->sblock, 0) + c;
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
	.stream_reset = hs_sreset,
	.db_size = hs_size,
	.compile_cached = hs_db_compile_cached,
	.from_cache = hs_from_cache,
	.wait = hs_ready,
};
#endif /* HAVE_HYPERSCAN */
