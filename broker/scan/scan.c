/* SPDX-License-Identifier: MIT */
/*
 * scan.c - the scanning engine (scan.h): compiles the detector registry
 * into one matcher database (the canaries and known secrets go to the
 * known-secret matcher, known.h), runs the decode graph over
 * buffers and streams, confirms every matcher event with the detector's
 * check, redacts, scopes and deduplicates findings.
 *
 * Callers: the broker (streams, buffers), scan_cli.c, the tests and fuzz
 * targets. Nothing here keeps global state; the engine is immutable after
 * brk_scan_engine_new().
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "common/log.h"
#include "broker/scan/codec.h"
#include "broker/scan/decode.h"
#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"
#include "broker/scan/known.h"
#include "broker/scan/mpm.h"
#include "broker/scan/mpm_cache.h"
#include "broker/scan/pat_trigger.h"
#include "broker/scan/scan.h"
#include "broker/scan/jar.h"
#include "broker/scan/split.h"
#include "broker/scan/textrun.h"

#define MAX_DEPTH 32             /* decode layers below the input */
#define MAX_NODES 128            /* layers per scan */
#define BUDGET_FIXED (16u << 20) /* decode work: fixed part ... */
#define BUDGET_PER_BYTE 4        /* ... plus this many bytes per input byte */
#define BUDGET_MAX (256u << 20)
#define RATIO_MAX 200            /* decompression expansion cap ... */
#define RATIO_FLOOR (1u << 20)   /* ... above this many output bytes */
#define STREAM_KEEP 8192         /* raw window kept between feeds (> every maxlen) */
#define STREAM_CTX 256           /* decode context before new bytes ... */
#define STREAM_RUN 4096          /* ... extended back over an encoded run */
#define STREAM_BATCH 16          /* decode at least every this many bytes */
#define STREAM_ESC_CTX 128       /* ... and before the run (decode.c CLUSTER_CTX) */
#define STREAM_PENDING 64
#define STREAM_SEEN 256
/* Ingress (inbound) streams: bounded memory, and a scan that cannot finish
 * is reported (partial), not refused. */
#define IN_MSG_MAX (1u << 20)    /* whole-message decoding: the first MiB */
#define IN_TEXT_KEEP (64u << 10) /* plain text: only the window context is kept */
/* Inbound beyond this many bytes of a stream: canaries and known secrets
 * only (scan.h, BRK_SCAN_IN_FULL). */
#define IN_FULL BRK_SCAN_IN_FULL
#define IN_BUDGET_FIXED (4u << 20)
#define IN_BUDGET_MAX (16u << 20)

struct pat_map {
	uint16_t det;                  /* detector index */
	uint8_t anchor;
};

struct extra_home {
	size_t det;
	char *dom;
};

struct brk_scan_engine {
	const struct brk_scan_mpm_ops *mpm;
	char sparse_off[160];          /* why the raw matcher passes nothing over, or "" */
	void *db;
	struct pat_map *map;
	size_t npat;                   /* detector patterns: ids [0, npat) */
	/* token prefixes under encodings (pat_trigger.h): ids [npat, npat +
	 * ntrig) of the same database, NULL with the plain matcher */
	struct brk_pat_trig *trig;
	size_t ntrig;
	uint16_t *maxlen;              /* per detector */
	char **canary;
	size_t *canary_len;
	size_t ncanary;
	struct extra_home *extra;
	size_t nextra;
	char **user_host;              /* generic detectors' homes (cfg->user_hosts) */
	size_t nuser_host;
	uint64_t seed;
	struct known_set *known;       /* brk_scan_engine_add_known(), or NULL */
	int known_auto;                /* known holds only the canaries (engine_new's) */
	struct brk_split *split;       /* per-host message streams (mutable, own lock) */
	struct brk_jar *jar;           /* cookie values hosts set (mutable, own lock) */
	uint64_t serial;               /* unique per engine: the thread scratch cache */
	struct lazy_setup *lazy;       /* cfg->lazy: what the first use builds, or NULL */
	/* raw_sparse(): a stream's matcher sees only text runs of text_min
	 * bytes or more (0: every byte), and u_tail bytes after the anchor of
	 * an expression whose match may hold binary bytes (u_pat, u_first) */
	size_t text_min, u_min, u_tail;
	uint16_t *u_pat;
	size_t nu_pat;
	uint8_t u_first[32];           /* first bytes of those anchors, both cases */
};

/* What a lazy engine (cfg->lazy) builds at its first use: the detector
 * database from these patterns, then the known-secret matcher of the set
 * brk_scan_engine_add_known() stored (e->known, its m still NULL). */
struct lazy_setup {
	pthread_mutex_t mu;
	atomic_int done;               /* 1 once rc is final */
	int rc;
	struct brk_scan_pat *pats;
	char **rx;
	size_t np;
	char *cache_dir;               /* cfg->cache_dir copied; NULL = default */
	int no_cache, background, add_canaries;
	int building;                  /* inside lazy_build(): add_known builds now */
};

/* What one scan call may spend, and what running out of it means. */
struct limits {
	size_t budget_fixed, budget_max;
	int ingress;                   /* pass with res->partial instead of refusing */
	uint64_t deadline_ns;          /* 0 = none; past it: -ETIMEDOUT */
};

struct pending {
	unsigned id;
	unsigned long long at;         /* absolute anchor offset */
};

struct brk_scan_stream {
	const struct brk_scan_engine *e;
	void *st, *scratch;
	uint8_t *win;                  /* raw window: win[0] is at offset base ... */
	size_t wlen, wcap;
	int win_in_msg;                /* ... or, while set, the window is msg's
					* last wlen bytes and win is stale (one
					* copy of each fed byte: win_p()) */
	int msg_valid;                 /* msg is the stream's last msg.len raw
					* bytes, in order (what win_in_msg needs) */
	unsigned long long base;
	long long *last;               /* per pattern: last anchor offset checked */
	struct pending pend[STREAM_PENDING];
	size_t npend;
	struct brk_scan_out msg;       /* bytes since the last flush (decode graph) */
	size_t full_at;                /* msg.len at the last full decode pass */
	size_t dec_at;                 /* msg.len at the last window decode */
	size_t magic_clean;            /* msg[0, magic_clean) holds no gzip/zstd
					* magic (a whole-message pass searched it):
					* the next pass searches from there */
	int need_full;                 /* NEED_* bits: whole-message passes are
					* needed (and which decoders they run) */
	uint64_t seen[STREAM_SEEN];    /* findings already reported */
	size_t nseen;
	int feeding;                   /* inside a feed (not a flush): windows are partial */
	int light;                     /* ingress light mode (scan.h) */
	int ingress;                   /* enum brk_scan_dir */
	unsigned deadline_ms;          /* per feed; 0 = none */
	unsigned long long fed;        /* bytes fed so far */
	size_t mark_len;               /* brk_scan_stream_mark_end(): msg.len then */
	int marked;                    /* ... for the next feed only */
	/* raw_sparse(), absolute offsets: the matcher stream holds the bytes
	 * [hs_base, hs_pos) (reset at hs_base); everything before hs_dec is
	 * decided (shown or passed over); bytes before hs_tail are shown */
	unsigned long long hs_base, hs_pos, hs_dec, hs_tail;
	int hs_any;
	unsigned long long run16_end;  /* where the last text run of 16 or more
					* bytes raw_sparse() saw ends: a window
					* starting after it holds no base64 or
					* hex run to decode (RUN16) */
};

/* A finding before deduplication and generic-overlap suppression. */
struct cand {
	size_t det;                    /* index or (size_t)-1 for a canary */
	size_t s, e;                   /* span in the scanned buffer */
	char red[DLP_REDACT_MAX];
	uint64_t key;                  /* detector + first bytes: stream dedup */
	int canary;
	unsigned pid;                  /* pattern whose check found it ... */
	size_t at;                     /* ... at this anchor (check_at only) */
	int has_pid;
	size_t known;                  /* known secret index + 1, or 0 */
	const char *xf;                /* its transform ("raw", "reversed"...) */
};

struct sctx {
	const struct brk_scan_engine *e;
	const uint8_t *buf;
	size_t len;
	unsigned long long base;
	int final;
	long long *last;
	struct brk_scan_stream *stream;    /* for pending checks, or NULL */
	void *scratch;                     /* free for commit()'s inner scans ... */
	int scratch_ok;                    /* ... when set (NULL is valid) */
	int inner;                         /* scanning a decoded credential */
	struct cand c[32];
	size_t nc;
};

/* ---- hashing --------------------------------------------------------- */

/* Seeded 64-bit hash, a word at a time (layer deduplication, stream
 * finding keys). Not cryptographic: the seed is random per engine. */
static uint64_t hash64(uint64_t seed, const void *vp, size_t n)
{
	const uint8_t *p = vp;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL), w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p + i, n - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct known_set;
static void known_set_free(struct known_set *ks);

/* ---- engine ---------------------------------------------------------- */

static void put_escaped(char *dst, size_t cap, size_t *o, const char *lit, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)lit[i];

		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
			if (*o + 1 < cap)
				dst[(*o)++] = (char)c;
		} else if (*o + 4 < cap) {
			/* not snprintf(): ~10 000 trigger literals at every start,
			 * it was 45 % of dlpjail's start instructions */
			dst[(*o)++] = '\\';
			dst[(*o)++] = 'x';
			dst[(*o)++] = hex[c >> 4];
			dst[(*o)++] = hex[c & 15];
		}
	}
	dst[*o < cap ? *o : cap - 1] = '\0';
}

static char *build_regex(const struct brk_scan_det *d, unsigned ai)
{
	size_t cap = 512 + 4 * strlen(d->anchors[ai]) + (d->regex ? strlen(d->regex) : 0), o = 0;
	char *r = malloc(cap);

	if (!r)
		return NULL;
	r[0] = '\0';
	if (d->pre_cls && d->pre_min)
		o += (size_t)snprintf(r + o, cap - o, "%s{%u}", brk_scan_cls_regex(d->pre_cls), d->pre_min);
	put_escaped(r, cap, &o, d->anchors[ai], strlen(d->anchors[ai]));
	if (d->regex)
		o += (size_t)snprintf(r + o, cap - o, "%s", d->regex);
	else if (d->check == brk_scan_check_kv) {
		if (d->pre_max)
			o += (size_t)snprintf(r + o, cap - o, "[A-Za-z0-9_\\-]{0,%u}", d->pre_max);
		if (d->flags & BRK_SCAN_DF_KEYED)  /* also <Key>value, {\"key\":\"value */
			o += (size_t)snprintf(r + o, cap - o, "\\\\?[\"']?[ \\t]*([:=]>?|>)[ \\t]*\\\\?[\"']?%s{%u}",
					      brk_scan_cls_regex(d->cls), d->min);
		else
			o += (size_t)snprintf(r + o, cap - o, "[\"']?[ \\t]*[:=]>?[ \\t]*[\"']?%s{%u}",
					      brk_scan_cls_regex(d->cls), d->min);
	}
	else if (d->cls && d->min)
		o += (size_t)snprintf(r + o, cap - o, "%s{%u}", brk_scan_cls_regex(d->cls), d->min);
	(void)o;
	return r;
}

static uint16_t det_maxlen(const struct brk_scan_det *d)
{
	size_t a = 0, k, m;

	if (d->maxlen)
		return d->maxlen;
	for (k = 0; k < BRK_SCAN_MAX_ANCHORS && d->anchors[k]; k++)
		if (strlen(d->anchors[k]) > a)
			a = strlen(d->anchors[k]);
	m = d->pre_max + a + d->max + (d->check == brk_scan_check_kv ? 8 : 0) + 1;
	return m > STREAM_KEEP / 2 ? STREAM_KEEP / 2 : (uint16_t)m;
}

static void lazy_free(struct lazy_setup *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; l->rx && i < l->np; i++)
		free(l->rx[i]);
	free(l->rx);
	free(l->pats);
	free(l->cache_dir);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void brk_scan_engine_free(struct brk_scan_engine *e)
{
	size_t i;

	if (!e)
		return;
	lazy_free(e->lazy);
	if (e->db)
		e->mpm->free(e->db);
	for (i = 0; i < e->ncanary; i++)
		free(e->canary[i]);
	for (i = 0; i < e->nextra; i++)
		free(e->extra[i].dom);
	for (i = 0; i < e->nuser_host; i++)
		free(e->user_host[i]);
	free(e->user_host);
	free(e->canary);
	free(e->canary_len);
	free(e->extra);
	free(e->map);
	free(e->maxlen);
	free(e->u_pat);
	brk_pat_trig_free(e->trig);
	known_set_free(e->known);
	brk_split_free(e->split);
	brk_jar_free(e->jar);
	free(e);
}

/* Self-test of a database loaded from the cache: each detector's own
 * positive samples must raise an event of one of its patterns. A forged
 * or stale database that misses any of them is refused (and rebuilt). */
struct selftest {
	const struct brk_scan_engine *e;
	size_t det;
	int hit;
};

static int selftest_event(unsigned id, unsigned long long to, void *vt)
{
	struct selftest *t = vt;

	(void)to;
	if (id < t->e->npat && t->e->map[id].det == t->det)
		t->hit = 1;
	return 0;
}

static int engine_selftest(const void *db, void *ve)
{
	const struct brk_scan_engine *e = ve;
	struct selftest t = { .e = e };
	void *scratch = NULL;
	size_t i, k;
	int rc = e->mpm->scratch_new(db, &scratch);

	for (i = 0; rc == 0 && i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		for (k = 0; rc == 0 && d->pos && d->pos[k]; k++) {
			t.det = i;
			t.hit = 0;
			rc = e->mpm->block_scan(db, scratch, (const uint8_t *)d->pos[k],
						strlen(d->pos[k]), selftest_event, &t);
			if (rc == 0 && !t.hit)
				rc = -EBADMSG;
		}
	}
	if (scratch)
		e->mpm->scratch_free(scratch);
	return rc;
}

static int engine_compile(struct brk_scan_engine *e, const struct brk_scan_config *cfg,
			  const struct brk_scan_pat *pats, size_t np, char *err, size_t errlen)
{
	struct brk_scan_mpm_cache_opts o = { .verify = engine_selftest, .arg = e };
	char dir[4096];

	if (!e->mpm->compile_cached)
		return e->mpm->compile(pats, np, &e->db, err, errlen);
	o.dir = cfg ? cfg->cache_dir : NULL;
	if (!o.dir)
		o.dir = brk_scan_cache_default_dir(dir, sizeof(dir)) == 0 ? dir : NULL;
	else if (!*o.dir)
		o.dir = NULL;
	o.background = cfg ? cfg->background : 0;
	return e->mpm->compile_cached(pats, np, &o, &e->db, err, errlen);
}

static atomic_ullong engine_serials;
static atomic_ulong engine_setups;

/*
 * The trigger literals (pat_trigger.h) after the detector patterns
 * pats[0, *np), which text_shape() has seen: a trigger needs no text run of
 * its own beyond its literal (utf-16/32 ones hold NULs), the raw stream may
 * pass over it; every decoded layer and whole buffer sees it. Just before
 * the compile, so a lazy engine builds them at its first use: ~10 000
 * literals and their regexes were two thirds of every dlpjail start. The
 * plain matcher searches each literal on its own (thousands: too slow), so
 * the fallback goes without them. 0 or -ENOMEM; *pats, *rx grown.
 */
static int add_triggers(struct brk_scan_engine *e, struct brk_scan_pat **pats, char ***rx,
			size_t *np)
{
	struct brk_scan_pat *p;
	char **r;
	size_t i, n = *np;

	if (e->mpm->exact || e->trig)
		return 0;
	if (brk_pat_trig_new(&e->trig) < 0)
		return -ENOMEM;
	e->ntrig = brk_pat_trig_count(e->trig);
	if (!(p = realloc(*pats, (n + e->ntrig) * sizeof(*p))))
		return -ENOMEM;
	*pats = p;
	if (!(r = realloc(*rx, (n + e->ntrig) * sizeof(*r))))
		return -ENOMEM;
	*rx = r;
	for (i = 0; i < e->ntrig; i++) {
		size_t ll, o = 0;
		const char *lit = brk_pat_trig_lit(e->trig, i, &ll);

		if (!(r[n] = malloc(4 * ll + 1)))
			break;
		put_escaped(r[n], 4 * ll + 1, &o, lit, ll);
		memset(&p[n], 0, sizeof(p[n]));
		p[n].lit = lit;
		p[n].litlen = ll;
		p[n].regex = r[n];
		p[n].id = (unsigned)n;
		n++;
	}
	*np = n;   /* what the caller frees, also on a failure */
	return i == e->ntrig ? 0 : -ENOMEM;
}

/* cfg->lazy: keep what engine_compile() needs for the first use. */
static int lazy_stash(struct brk_scan_engine *e, const struct brk_scan_config *cfg,
		      struct brk_scan_pat **pats, char ***rx, size_t np)
{
	struct lazy_setup *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->mu, NULL);
	l->no_cache = cfg->cache_dir && !cfg->cache_dir[0];
	if (cfg->cache_dir && cfg->cache_dir[0] && !(l->cache_dir = strdup(cfg->cache_dir))) {
		lazy_free(l);
		return -ENOMEM;
	}
	l->background = cfg->background;
	l->add_canaries = e->ncanary && !cfg->known_follows;
	l->pats = *pats;
	l->rx = *rx;
	l->np = np;
	*pats = NULL;
	*rx = NULL;
	e->lazy = l;
	return 0;
}

/*
 * What a stream's raw matcher may pass over (raw_sparse()): every match of
 * a confined expression (text bytes only, textrun.h) lies inside one text
 * run at least as long as its shortest match; an expression whose match
 * may hold binary bytes (the URIs' [^@/\s]) still starts with its class
 * prefix and anchor, text, so it needs a text run holding the anchor, and
 * then up to its maxlen of anything after it (u_tail). text_min = the
 * shortest of those runs, capped at 64 (the mask's history). An
 * expression outside textrun.c's subset, or a backend without a stream
 * reset, leaves text_min 0: every byte is matched, as before.
 */
static int text_shape(struct brk_scan_engine *e, const struct brk_scan_pat *pats, size_t np)
{
	size_t i, j, minw, l = 64, lu = 64, tail = 0;
	const char *why = NULL;
	int conf;

	e->text_min = 0;
	e->sparse_off[0] = 0;
	if (!e->mpm->stream_reset || !np)
		return 0;
	e->u_pat = calloc(np, sizeof(*e->u_pat));
	if (!e->u_pat)
		return -ENOMEM;
	for (i = 0; i < np; i++) {
		const struct brk_scan_pat *pt = &pats[i];

		if (brk_scan_rx_shape(pt->regex, &minw, &conf) < 0) {
			why = "expression syntax textrun.c does not know";
			goto off;
		}
		if (minw == 0) {
			why = "expression can match nothing";
			goto off;
		}
		if (conf) {
			l = minw < l ? minw : l;
			continue;
		}
		for (j = 0; j < pt->litlen && brk_scan_text_byte((uint8_t)pt->lit[j]); j++)
			;
		if (j < pt->litlen || pt->litlen == 0) {
			why = "unconfined expression with a binary or empty anchor";
			goto off;
		}
		lu = pt->litlen < lu ? pt->litlen : lu;
		tail = e->maxlen[e->map[pt->id].det] > tail ? e->maxlen[e->map[pt->id].det] : tail;
		e->u_pat[e->nu_pat++] = (uint16_t)i;
		for (j = 0; j < 2; j++) {
			uint8_t c = (uint8_t)pt->lit[0];

			if (j && pt->nocase && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
				c ^= 0x20;
			e->u_first[c >> 3] |= (uint8_t)(1u << (c & 7));
		}
	}
	e->text_min = l;
	e->u_min = lu < l ? lu : l;
	e->u_tail = tail;
	return 0;
off:
	/* loud: every byte is matched (correct, but the binary-upload speed
	 * of raw_sparse is gone); say which detector did it */
	snprintf(e->sparse_off, sizeof(e->sparse_off), "%s: %s",
		 brk_scan_detectors[e->map[pats[i].id].det].id, why);
	dlp_log(DLP_LOG_WARN, "scan: sparse raw matcher off (every byte matched): detector %s",
		e->sparse_off);
	return 0;
}

/* Why the raw matcher of e's streams matches every byte ("detector: why"),
 * or NULL when it passes over binary data; tests. */
const char *brk_scan_engine_sparse_off(const struct brk_scan_engine *e)
{
	return e && e->sparse_off[0] ? e->sparse_off : NULL;
}

/* The trigger literals in e's database (0 before a lazy engine's first use); tests. */
size_t brk_scan_engine_triggers(const struct brk_scan_engine *e)
{
	return e ? e->ntrig : 0;
}

/* The text_min the raw matcher of e's streams uses (0: every byte); tests. */
size_t brk_scan_engine_text_min(const struct brk_scan_engine *e)
{
	return e ? e->text_min : 0;
}

int brk_scan_engine_new(const struct brk_scan_config *cfg, struct brk_scan_engine **out)
{
	struct brk_scan_engine *e = calloc(1, sizeof(*e));
	struct brk_scan_pat *pats = NULL;
	char **rx = NULL;
	size_t nc = cfg ? cfg->ncanaries : 0, nx = cfg ? cfg->nextra_home : 0;
	size_t nu = cfg ? cfg->nuser_hosts : 0;
	size_t i, k, np = 0, maxpat;
	char err[160] = "";
	int rc = -ENOMEM;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->mpm = brk_scan_mpm_pick(cfg ? cfg->force_fallback : 0);
	e->serial = atomic_fetch_add(&engine_serials, 1) + 1;
	if (getrandom(&e->seed, sizeof(e->seed), 0) != sizeof(e->seed))
		e->seed = (uint64_t)(uintptr_t)e ^ 0x9e3779b97f4a7c15ULL;
	if (brk_jar_new(&e->jar) < 0)
		e->jar = NULL;  /* no jar: a site's own cookies are judged like any value */
	e->maxlen = calloc(brk_scan_ndetectors, sizeof(*e->maxlen));
	e->canary = calloc(nc + 1, sizeof(*e->canary));
	e->canary_len = calloc(nc + 1, sizeof(*e->canary_len));
	e->extra = calloc(nx + 1, sizeof(*e->extra));
	e->user_host = calloc(nu + 1, sizeof(*e->user_host));
	maxpat = brk_scan_ndetectors * BRK_SCAN_MAX_ANCHORS + nc;
	e->map = calloc(maxpat, sizeof(*e->map));
	pats = calloc(maxpat, sizeof(*pats));
	rx = calloc(maxpat, sizeof(*rx));
	if (!e->maxlen || !e->canary || !e->canary_len || !e->extra || !e->user_host ||
	    !e->map || !pats || !rx)
		goto out;
	rc = -EINVAL;
	for (i = 0; i < nc; i++) {
		size_t l = cfg->canaries[i] ? strlen(cfg->canaries[i]) : 0;

		if (l < 8 || l > 512)
			goto out;  /* too short to match without noise */
		e->canary[e->ncanary] = strdup(cfg->canaries[i]);
		if (!e->canary[e->ncanary]) {
			rc = -ENOMEM;
			goto out;
		}
		e->canary_len[e->ncanary++] = l;
	}
	for (i = 0; i < nx; i++) {
		const char *s = cfg->extra_home[i], *eq = s ? strchr(s, '=') : NULL;
		char id[64];
		const struct brk_scan_det *d;

		if (!eq || eq == s || (size_t)(eq - s) >= sizeof(id) || !eq[1])
			goto out;
		memcpy(id, s, (size_t)(eq - s));
		id[eq - s] = '\0';
		d = brk_scan_det_find(id);
		if (!d)
			goto out;
		e->extra[e->nextra].det = (size_t)(d - brk_scan_detectors);
		e->extra[e->nextra].dom = strdup(eq + 1);
		if (!e->extra[e->nextra++].dom) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < nu; i++) {
		if (!cfg->user_hosts[i] || !cfg->user_hosts[i][0] || cfg->user_hosts[i][0] == '*')
			goto out;  /* exact names only */
		e->user_host[e->nuser_host] = strdup(cfg->user_hosts[i]);
		if (!e->user_host[e->nuser_host++]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = -ENOMEM;
	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		e->maxlen[i] = det_maxlen(d);
		for (k = 0; k < BRK_SCAN_MAX_ANCHORS && d->anchors[k]; k++) {
			rx[np] = build_regex(d, (unsigned)k);
			if (!rx[np])
				goto out;
			pats[np].lit = d->anchors[k];
			pats[np].litlen = strlen(d->anchors[k]);
			pats[np].regex = rx[np];
			pats[np].nocase = !!(d->flags & BRK_SCAN_DF_NOCASE);
			pats[np].id = (unsigned)np;
			e->map[np].det = (uint16_t)i;
			e->map[np].anchor = (uint8_t)k;
			np++;
		}
	}
	/* The canaries are not detector patterns: the known-secret matcher
	 * finds them (raw and in its transforms, streams included), so the
	 * detector database holds no session value and needs no second,
	 * per-session compile (~0.7 ms of every start). */
	e->npat = np;
	if ((rc = text_shape(e, pats, np)) < 0)
		goto out;
	if (cfg && cfg->lazy) {
		rc = lazy_stash(e, cfg, &pats, &rx, np);
		if (rc < 0)
			goto out;
		np = 0;   /* the patterns are the lazy set-up's now */
		*out = e;
		e = NULL;
		goto out;
	}
	rc = add_triggers(e, &pats, &rx, &np);
	if (rc == 0)
		rc = engine_compile(e, cfg, pats, np, err, sizeof(err));
	if (rc < 0) {
		if (err[0])
			fprintf(stderr, "dlpjail scan: %s\n", err);
		goto out;
	}
	if (e->ncanary && !(cfg && cfg->known_follows)) {
		if ((rc = brk_scan_engine_add_known(e, NULL, 0)) < 0)
			goto out;
		/* inbound past IN_FULL is cut to the known-secret matcher only
		 * once a caller added the known secrets, as before */
		e->known_auto = 1;
	}
	*out = e;
	e = NULL;
	rc = 0;
out:
	if (rx)
		for (i = 0; i < np; i++)
			free(rx[i]);
	free(rx);
	free(pats);
	brk_scan_engine_free(e);
	return rc;
}

const char *brk_scan_engine_matcher(const struct brk_scan_engine *e)
{
	return e->mpm->name;
}

int brk_scan_engine_cached(const struct brk_scan_engine *e)
{
	return e->db && e->mpm->from_cache && e->mpm->from_cache(e->db);
}

int brk_scan_cache_prepare(char *dst, size_t cap)
{
	int rc = brk_scan_cache_default_dir(dst, cap);

	return rc < 0 ? rc : brk_scan_cache_mkdir(dst);
}

int brk_scan_engine_wait(const struct brk_scan_engine *e)
{
	return e && e->db && e->mpm->wait ? e->mpm->wait(e->db) : 0;
}

/* ---- findings -------------------------------------------------------- */

static int home_match(const struct brk_scan_engine *e, size_t det, const char *host)
{
	const struct brk_scan_det *d = &brk_scan_detectors[det];
	size_t i;

	if (!host || !*host)
		return 0;
	/* policy extras are explicit: they win over built-in exclusions */
	for (i = 0; i < e->nextra; i++)
		if (e->extra[i].det == det && brk_scan_host_match(host, e->extra[i].dom))
			return 1;
	/* "!pattern": tenant-controlled hosts under a home suffix (buckets) */
	for (i = 0; d->home && d->home[i]; i++)
		if (d->home[i][0] == '!' && brk_scan_host_match(host, d->home[i] + 1))
			return 0;
	for (i = 0; d->home && d->home[i]; i++)
		if (d->home[i][0] != '!' && brk_scan_host_match(host, d->home[i]))
			return 1;
	/* a generic credential (Basic password, bearer token) cannot say whose
	 * it is: it may go only to a server the user named exactly */
	if (d->flags & BRK_SCAN_DF_GENERIC)
		for (i = 0; i < e->nuser_host; i++)
			if (brk_scan_host_match(host, e->user_host[i]))
				return 1;
	return 0;
}

/* ---- known secrets --------------------------------------------------- */

struct known_ent {
	uint8_t *value;                /* kept for brk_scan_engine_copy_known() */
	size_t len;
	int key;
	char red[DLP_REDACT_MAX];      /* dlp_redact() of the value */
	char **home;
	size_t nhome;
	long det;                      /* recognizing detector, or -1 */
	int canary;
	int placeholder;               /* a secretless-jail placeholder (swap.h) */
	char *source;                  /* brk_scan_known.source, or NULL */
};

struct known_set {
	struct brk_known *m;
	struct known_ent *ent;
	size_t n;
};

#define KNOWN_KEY 0x6b6e6f776e5f6b79ULL

static struct brk_finding *result_add(struct brk_scan_result *res, const char *detector,
				      const char *red, const char *layers, int canary,
				      int in_scope, int action);
static int stream_seen(struct brk_scan_stream *s, uint64_t h);
static void set_err(struct brk_scan_result *res, const char *msg);

static void known_set_free(struct known_set *ks)
{
	size_t i, j;

	if (!ks)
		return;
	brk_known_free(ks->m);
	for (i = 0; i < ks->n; i++) {
		for (j = 0; j < ks->ent[i].nhome; j++)
			free(ks->ent[i].home[j]);
		free(ks->ent[i].home);
		free(ks->ent[i].source);
		if (ks->ent[i].value)
			explicit_bzero(ks->ent[i].value, ks->ent[i].len);
		free(ks->ent[i].value);
	}
	free(ks->ent);
	free(ks);
}

/* The finding's detector name of a known value. */
static const char *known_name(const struct known_ent *k)
{
	return k->canary ? "canary" : k->placeholder ? "placeholder" : "known-secret";
}

/* A known value's finding, with where the value came from (the event's source). */
static void known_report(struct brk_scan_result *res, const struct known_ent *k,
			 const char *layers, int scope)
{
	struct brk_finding *f = result_add(res, known_name(k), k->red, layers, k->canary, scope,
					   BRK_SCAN_BLOCK);

	if (f)
		f->source = k->canary ? "canary" : k->source;
}

static int known_home(const struct brk_scan_engine *e, const struct known_ent *k, const char *host)
{
	size_t i;

	if (!host || !*host || k->canary)
		return 0;
	for (i = 0; i < k->nhome; i++)   /* "!pattern": excluded (buckets) */
		if (k->home[i][0] == '!' && brk_scan_host_match(host, k->home[i] + 1))
			return 0;
	for (i = 0; i < k->nhome; i++)
		if (k->home[i][0] != '!' && brk_scan_host_match(host, k->home[i]))
			return 1;
	return k->det >= 0 && home_match(e, (size_t)k->det, host);
}

static int known_hit(void *vx, size_t which, size_t s, size_t e, const char *xf)
{
	struct sctx *x = vx;
	struct cand *c;
	uint64_t w[2];
	size_t i;

	for (i = 0; i < x->nc; i++)
		if (x->c[i].known == which + 1 && x->c[i].s == s && x->c[i].e == e)
			return 0;
	if (x->nc == sizeof(x->c) / sizeof(x->c[0]))
		return 1;
	c = &x->c[x->nc++];
	memset(c, 0, sizeof(*c));
	c->det = (size_t)-1;   /* specific: a generic finding over it gives way */
	c->s = s;
	c->e = e;
	c->known = which + 1;
	c->xf = xf;
	c->canary = x->e->known->ent[which].canary;
	/* the raw stream keys on the absolute offset: a resend is refused
	 * again; decoded layers (re-decoded with context) key on the value */
	w[0] = which;
	w[1] = x->stream && !x->final ? (uint64_t)(x->base + s) : 0;
	c->key = hash64(x->e->seed ^ KNOWN_KEY, w, sizeof(w));
	return 0;
}

/* Known secrets in x's buffer, in matches ending after from. */
static void known_layer(struct sctx *x, size_t from)
{
	if (x->e->known)
		brk_known_scan(x->e->known->m, x->buf, x->len, from, known_hit, x);
}

static void known_commit(struct sctx *x, const struct cand *c, const char *layers, const char *host,
			 struct brk_scan_result *res)
{
	const struct known_ent *k = &x->e->known->ent[c->known - 1];
	char path[64];
	int raw = strcmp(c->xf, "raw") == 0;

	int scope = known_home(x->e, k, host);

	snprintf(path, sizeof(path), "%s%s%s", layers, layers[0] && !raw ? ">" : "", raw ? "" : c->xf);
	/* Reported once per stream only when allowed: a blocked one is
	 * blocked again when resent (a retry after EACCES), even if only a
	 * re-decoded layer sees it; the cost is that writes right after a
	 * refused secret on the same connection may be refused too. */
	if (scope && x->stream && stream_seen(x->stream, c->key))
		return;
	known_report(res, k, path, scope);
}

static int known_ent_init(struct known_ent *k, const struct brk_scan_known *in)
{
	size_t i;

	k->det = -1;
	dlp_redact(in->value, in->len, k->red, sizeof(k->red));
	k->value = malloc(in->len ? in->len : 1);
	if (!k->value)
		return -ENOMEM;
	memcpy(k->value, in->value, in->len);
	k->len = in->len;
	k->key = in->key;
	k->placeholder = in->placeholder;
	if (in->source && !(k->source = strdup(in->source)))
		return -ENOMEM;
	if (in->detector) {
		const struct brk_scan_det *d = brk_scan_det_find(in->detector);

		if (!d)
			return -EINVAL;
		k->det = (long)(d - brk_scan_detectors);
	}
	k->home = calloc(in->nhome + 1, sizeof(*k->home));
	if (!k->home)
		return -ENOMEM;
	for (i = 0; i < in->nhome; i++) {
		if (!in->home[i] || !in->home[i][0])
			continue;
		k->home[k->nhome] = strdup(in->home[i]);
		if (!k->home[k->nhome++])
			return -ENOMEM;
	}
	return 0;
}

/* The first use of a lazy engine: its database, then its known secrets. */
static int lazy_build(struct brk_scan_engine *e)
{
	struct lazy_setup *l = e->lazy;
	struct brk_scan_config c = { .cache_dir = l->no_cache ? "" : l->cache_dir,
				     .background = l->background };
	struct brk_known_in *in = NULL;
	char err[160] = "";
	size_t i;
	int rc;

	l->building = 1;
	rc = add_triggers(e, &l->pats, &l->rx, &l->np);
	if (rc == 0)
		rc = engine_compile(e, &c, l->pats, l->np, err, sizeof(err));
	if (rc < 0) {
		if (err[0])
			fprintf(stderr, "dlpjail scan: %s\n", err);
		goto out;
	}
	if (!e->known && l->add_canaries) {
		rc = brk_scan_engine_add_known(e, NULL, 0);
		e->known_auto = rc == 0;
		goto out;
	}
	if (!e->known || e->known->m)
		goto out;
	rc = -ENOMEM;
	in = calloc(e->known->n + 1, sizeof(*in));
	if (!in)
		goto out;
	for (i = 0; i < e->known->n; i++) {
		in[i].v = e->known->ent[i].value;
		in[i].len = e->known->ent[i].len;
		in[i].key = e->known->ent[i].key;
	}
	rc = brk_known_new(in, e->known->n, &e->known->m);
out:
	free(in);
	atomic_fetch_add(&engine_setups, 1);
	dlp_log(DLP_LOG_DEBUG, "scan: engine set up at its first use (%s)",
		rc < 0 ? strerror(-rc) : "ready");
	return rc;
}

int brk_scan_engine_ready(const struct brk_scan_engine *ce)
{
	/* the engine is shared as const; its lazy part is set once, under mu */
	struct brk_scan_engine *e = (struct brk_scan_engine *)ce;
	struct lazy_setup *l = e ? e->lazy : NULL;
	int rc;

	if (!l)
		return 0;
	if (atomic_load_explicit(&l->done, memory_order_acquire))
		return l->rc;
	pthread_mutex_lock(&l->mu);
	if (!atomic_load_explicit(&l->done, memory_order_relaxed)) {
		l->rc = lazy_build(e);
		atomic_store_explicit(&l->done, 1, memory_order_release);
	}
	rc = l->rc;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

unsigned long brk_scan_engine_setups(void)
{
	return atomic_load(&engine_setups);
}

int brk_scan_engine_add_known(struct brk_scan_engine *e, const struct brk_scan_known *kn, size_t n)
{
	struct known_set *ks = calloc(1, sizeof(*ks));
	struct brk_known_in *in = NULL;
	size_t i, total = n + e->ncanary;
	int rc = -ENOMEM;

	if (!ks)
		return -ENOMEM;
	ks->ent = calloc(total + 1, sizeof(*ks->ent));
	in = calloc(total + 1, sizeof(*in));
	if (!ks->ent || !in || (!e->split && brk_split_new(&e->split) < 0))
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = known_ent_init(&ks->ent[ks->n], &kn[i])) < 0) {
			ks->n++;
			goto out;
		}
		in[ks->n].v = kn[i].value;
		in[ks->n].len = kn[i].len;
		in[ks->n++].key = kn[i].key;
	}
	for (i = 0; i < e->ncanary; i++) {
		struct brk_scan_known c = { .value = (const uint8_t *)e->canary[i],
					    .len = e->canary_len[i] };

		if ((rc = known_ent_init(&ks->ent[ks->n], &c)) < 0) {
			ks->n++;
			goto out;
		}
		ks->ent[ks->n].canary = 1;
		in[ks->n].v = c.value;
		in[ks->n++].len = c.len;
	}
	/* a lazy engine builds the matcher at its first use (lazy_build()) */
	if ((!e->lazy || e->lazy->building || atomic_load(&e->lazy->done)) &&
	    (rc = brk_known_new(in, ks->n, &ks->m)) < 0)
		goto out;
	known_set_free(e->known);
	e->known = ks;
	e->known_auto = 0;
	ks = NULL;
	rc = 0;
out:
	free(in);
	known_set_free(ks);
	return rc;
}

int brk_scan_engine_copy_known(struct brk_scan_engine *dst, const struct brk_scan_engine *src)
{
	struct brk_scan_known *k;
	size_t i, n = 0;
	int rc;

	if (!src || !src->known)
		return dst->known ? 0 : brk_scan_engine_add_known(dst, NULL, 0);
	k = calloc(src->known->n + 1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (i = 0; i < src->known->n; i++) {
		const struct known_ent *e = &src->known->ent[i];

		if (e->canary)
			continue;   /* dst's own canaries join by themselves */
		k[n].value = e->value;
		k[n].len = e->len;
		k[n].home = (const char *const *)e->home;
		k[n].nhome = e->nhome;
		k[n].detector = e->det >= 0 ? brk_scan_detectors[e->det].id : NULL;
		k[n].placeholder = e->placeholder;
		k[n].source = e->source;
		k[n++].key = e->key;
	}
	rc = brk_scan_engine_add_known(dst, k, n);
	free(k);
	return rc;
}

const char *brk_scan_recognize(const uint8_t *v, size_t n)
{
	int i = brk_known_recognize(v, n);

	return i < 0 ? NULL : brk_scan_detectors[i].id;
}

const char *const *brk_scan_detector_homes(const char *id)
{
	const struct brk_scan_det *d = brk_scan_det_find(id);

	return d ? d->home : NULL;
}

struct split_ctx {
	const struct brk_scan_engine *e;
	const char *host;
	struct brk_scan_result *res;
	size_t first;                  /* first refused secret + 1 */
};

static int split_hit(void *vc, size_t which, size_t s, size_t e, const char *xf)
{
	struct split_ctx *c = vc;
	const struct known_ent *k = &c->e->known->ent[which];
	char path[64];
	int scope = known_home(c->e, k, c->host);

	(void)s;
	(void)e;
	snprintf(path, sizeof(path), "split%s%s", strcmp(xf, "raw") ? ">" : "",
		 strcmp(xf, "raw") ? xf : "");
	known_report(c->res, k, path, scope);
	if (!scope && !c->first)
		c->first = which + 1;
	return 0;
}

static int split_match(void *vc, const uint8_t *buf, size_t len, size_t from)
{
	struct split_ctx *c = vc;

	brk_known_scan(c->e->known->m, buf, len, from, split_hit, c);
	return (int)c->first;
}

void brk_scan_cookie_learn(const struct brk_scan_engine *e, const char *host, const uint8_t *v,
			   size_t n)
{
	if (e)
		brk_jar_learn(e->jar, host, v, n);
}

static int split_feed(const struct brk_scan_engine *e, const char *dest_host, const char *field,
		      const uint8_t *p, size_t len, struct brk_scan_result *res);

int brk_scan_split_feed(const struct brk_scan_engine *e, const char *dest_host,
			const uint8_t *p, size_t len, struct brk_scan_result *res)
{
	return split_feed(e, dest_host, NULL, p, len, res);
}

int brk_scan_split_feed_value(const struct brk_scan_engine *e, const char *dest_host,
			      const char *field, const uint8_t *p, size_t len,
			      struct brk_scan_result *res)
{
	return split_feed(e, dest_host, field, p, len, res);
}

static int split_feed(const struct brk_scan_engine *e, const char *dest_host, const char *field,
		      const uint8_t *p, size_t len, struct brk_scan_result *res)
{
	struct split_ctx c = { .e = e, .host = dest_host, .res = res };
	int rc;

	if (e && (rc = brk_scan_engine_ready(e)) < 0) {
		set_err(res, "the scanning engine could not be set up");
		res->blocked = 1;
		return rc;
	}
	if (!e || !e->known || !e->split)
		return 0;
	rc = field ? brk_split_feed_value(e->split, dest_host, field, p, len, split_match, &c)
		   : brk_split_feed(e->split, dest_host, p, len, split_match, &c);
	if (rc > 0 && !c.first && (size_t)rc <= e->known->n) {
		/* the host was caught before: refused, named by that secret */
		const struct known_ent *k = &e->known->ent[rc - 1];

		known_report(res, k, "split>after-refusal", 0);
	}
	if (rc < 0) {
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "out of memory for the message streams");
		res->blocked = 1;
		return rc;
	}
	return 0;
}

static void add_cand(struct sctx *x, size_t det, size_t s, size_t e, int canary)
{
	struct cand *c;
	size_t i;

	for (i = 0; i < x->nc; i++)
		if (x->c[i].det == det && x->c[i].s == s && x->c[i].e == e)
			return;
	if (x->nc == sizeof(x->c) / sizeof(x->c[0]))
		return;
	c = &x->c[x->nc++];
	c->det = det;
	c->s = s;
	c->e = e;
	c->canary = canary;
	c->known = 0;
	c->xf = NULL;   /* a slot reused after a commit may hold a trigger's */
	if (!canary)
		for (i = 0; i < x->e->ncanary; i++)
			if (x->e->canary_len[i] == e - s && memcmp(x->buf + s, x->e->canary[i], e - s) == 0)
				c->canary = 1;
	dlp_redact(x->buf + s, e - s, c->red, sizeof(c->red));
	/* A stream may report a variable-length secret early, then see it grow:
	 * key on its first bytes so it is reported once. */
	c->key = hash64(x->e->seed ^ det, x->buf + s, e - s < 12 ? e - s : 12);
}

/* The finding (an earlier one of the same detector and value), or NULL
 * when the array is full. */
static struct brk_finding *result_add(struct brk_scan_result *res, const char *detector,
				      const char *red, const char *layers, int canary,
				      int in_scope, int action)
{
	struct brk_finding *f;
	unsigned i;

	for (i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].detector, detector) == 0 &&
		    strcmp(res->findings[i].redacted, red) == 0)
			return &res->findings[i];
	if (!in_scope && action == BRK_SCAN_BLOCK)
		res->blocked = 1;
	if (res->nfindings == BRK_SCAN_MAX_FINDINGS) {
		res->ndropped++;
		return NULL;
	}
	f = &res->findings[res->nfindings++];
	f->detector = detector;
	snprintf(f->redacted, sizeof(f->redacted), "%s", red);
	snprintf(f->layers, sizeof(f->layers), "%s", layers);
	f->canary = canary;
	f->in_scope = in_scope;
	f->action = action;
	f->source = NULL;
	f->received = 0;        /* ingress_report_only() sets it */
	return f;
}

static int stream_seen(struct brk_scan_stream *s, uint64_t h)
{
	size_t i;

	for (i = 0; i < s->nseen; i++)
		if (s->seen[i] == h)
			return 1;
	if (s->nseen < STREAM_SEEN)
		s->seen[s->nseen++] = h;
	else
		s->seen[h % STREAM_SEEN] = h;
	return 0;
}

static int on_event(unsigned id, unsigned long long to, void *vx);
static void commit(struct sctx *x, const char *layers, const char *host,
		   struct brk_scan_result *res);

static int cand_specific(const struct cand *c)
{
	return c->canary || c->det == (size_t)-1 ||
	       !(brk_scan_detectors[c->det].flags & BRK_SCAN_DF_GENERIC);
}

/*
 * A Basic credential is base64(user:password): the generic finding covers
 * the encoded bytes, a token inside it is only visible decoded (and so is
 * one in a base64 bearer value). Scan the decoded credential; when it holds
 * specific findings (a GitHub token in git's "x-access-token:ghp_..."),
 * those decide, each by its own home domains, and are reported here; the
 * generic finding is dropped. Returns 1 when it decided, 0 when the
 * generic verdict applies.
 */
static int auth_inner(struct sctx *x, const struct cand *c, const char *layers,
		       const char *host, struct brk_scan_result *res)
{
	uint8_t dec[192];
	char path[64];
	struct sctx y;
	long long *last;
	size_t i, dn;
	int rc, found = 0;

	if (!x->scratch_ok || x->inner)
		return 0;
	dn = brk_scan_b64_small(x->buf + c->s, c->e - c->s, dec, sizeof(dec));
	last = malloc((x->e->npat ? x->e->npat : 1) * sizeof(*last));
	if (!last)
		return 0;  /* the generic verdict still applies: fail closed */
	for (i = 0; i < x->e->npat; i++)
		last[i] = -1;
	memset(&y, 0, sizeof(y));
	y.e = x->e;
	y.buf = dec;
	y.len = dn;
	y.final = 1;
	y.last = last;
	y.inner = 1;
	rc = x->e->mpm->block_scan(x->e->db, x->scratch, dec, dn, on_event, &y);
	for (i = 0; rc >= 0 && i < y.nc; i++)
		found |= cand_specific(&y.c[i]);
	if (found) {
		snprintf(path, sizeof(path), "%s%sbase64", layers, layers[0] ? ">" : "");
		y.stream = x->stream;
		commit(&y, path, host, res);
	}
	explicit_bzero(dec, sizeof(dec));
	free(last);
	return found;
}

/* Does v[0,n) have the value shape of key-name detector d? */
static int keyed_shape(const struct brk_scan_det *d, const uint8_t *v, size_t n)
{
	size_t i;

	if (n < d->min || n > d->max)
		return 0;
	for (i = 0; i < n; i++)
		if (!brk_scan_cls_has(d->cls, v[i]))
			return 0;
	return d->verify && d->verify(v, n, 0);
}

/* Could v[0,n) still grow into d's value shape? */
static int keyed_prefix(const struct brk_scan_det *d, const uint8_t *v, size_t n)
{
	size_t i;

	if (n >= d->max)
		return 0;
	for (i = 0; i < n; i++)
		if (!brk_scan_cls_has(d->cls, v[i]))
			return 0;
	return 1;
}

/*
 * A Bearer token or a Basic user/password that has no shape of its own but
 * the value shape of a key-name detector (a legacy npm or Heroku UUID, a
 * Twilio auth token) going to that detector's home is that credential at
 * home: npm sends "Bearer <uuid>" to its registry, Twilio clients send
 * "AC<sid>:<token>". Anywhere else the generic verdict stands.
 */
static void pend_add(struct brk_scan_stream *s, unsigned id, unsigned long long at);

/*
 * A Basic value judged by a detector of Basic values (npm's _auth). A
 * decoded layer may run the value into the next header ("cTk=\r\nAccept"
 * read as a quoted-printable soft break gives "cTkAccept"): the longest
 * whole-quantum prefix that is user:password decides.
 */
static int userpass_at_home(const struct brk_scan_det *d, const uint8_t *v, size_t n)
{
	size_t l;

	if (keyed_shape(d, v, n))
		return 1;
	for (l = n & ~(size_t)3; l >= d->min && l >= 8; l -= 4)
		if (keyed_shape(d, v, l))
			return 1;
	return 0;
}

static int keyed_home(struct sctx *x, const struct cand *c, int basic, const char *layers,
		      const char *host, struct brk_scan_result *res)
{
	uint8_t dec[192];
	const uint8_t *part[2];
	size_t plen[2], np = 0, i, k, dn;
	int found = 0;

	if (!host || !*host)
		return 0;
	if (basic) {
		const uint8_t *colon;

		dn = brk_scan_b64_small(x->buf + c->s, c->e - c->s, dec, sizeof(dec));
		colon = memchr(dec, ':', dn);
		if (!colon)
			goto out;
		part[0] = dec;
		plen[0] = (size_t)(colon - dec);
		part[1] = colon + 1;
		plen[1] = dn - plen[0] - 1;
		np = 2;
	} else {
		part[0] = x->buf + c->s;
		plen[0] = c->e - c->s;
		np = 1;
	}
	for (i = 0; i < brk_scan_ndetectors && !found; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		if (!(d->flags & BRK_SCAN_DF_KEYED) || (d->flags & BRK_SCAN_DF_GENERIC) || !d->verify ||
		    !home_match(x->e, i, host))
			continue;
		/* a stream that has only the start of a Bearer value so far:
		 * decide when the rest is there (bounded by the shape's max) */
		if (!basic && x->stream && x->stream->feeding && c->e == x->len &&
		    keyed_prefix(d, part[0], plen[0])) {
			if (!x->final && c->has_pid)
				pend_add(x->stream, c->pid, x->base + c->at);
			found = 1;
			break;
		}
		/* Basic: the password decides; a user name is no secret. A
		 * detector of a Basic value itself (npm's _auth: base64 of
		 * user:password) judges the whole value at its homes. */
		if (basic && d->verify == brk_scan_verify_userpass)
			found = userpass_at_home(d, x->buf + c->s, c->e - c->s);
		for (k = basic ? 1 : 0; k < np && !found; k++)
			found = keyed_shape(d, part[k], plen[k]);
		if (found && !(x->stream && stream_seen(x->stream, c->key)))
			result_add(res, d->id, c->red, layers, 0, 1, d->action);
	}
out:
	explicit_bzero(dec, sizeof(dec));
	return found;
}

static void pend_add(struct brk_scan_stream *s, unsigned id, unsigned long long at);

/*
 * A stream reports a generic value early, when it runs into the end of
 * what has arrived ("Bearer npm_8Hx" so far), and a decoded window ends
 * where the bytes so far end. If a specific detector could still complete
 * inside the value (npm-token needs its 36 characters), its verdict must
 * decide: the raw layer re-checks the generic value with the next bytes,
 * a decoded layer sees it again in the next window; the specific check
 * itself reports as early as its shape allows. Not at a flush.
 */
static int defer_generic(struct sctx *x, const struct cand *c)
{
	if (!x->stream || !x->stream->feeding || c->e != x->len)
		return 0;
	if (brk_scan_det_specific_at(x->buf, x->len, c->s, c->e, 0, BRK_SCAN_CHK_MORE) < 0)
		return 0;
	if (!x->final && c->has_pid)
		pend_add(x->stream, c->pid, x->base + c->at);
	return 1;
}

/*
 * A cookie-secret value whose cookie name is a keyed detector's key name
 * (heroku_api_key, twilio auth_token) and that detector's shape: that
 * detector owns it (its homes), in a stream too, where it may have been
 * reported a write earlier than the cookie's end was seen.
 */
static int cookie_keyed_owner(const struct sctx *x, const struct cand *c)
{
	size_t ne = c->s, ns, i, k;

	if (ne && x->buf[ne - 1] == '"')
		ne--;
	if (!ne || x->buf[ne - 1] != '=')
		return 0;
	ne--;
	for (ns = ne; ns > 0 && ne - ns < 64 && x->buf[ns - 1] != ' ' && x->buf[ns - 1] != ';' &&
	     x->buf[ns - 1] != ':'; ns--)
		;
	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];
		/* a value that runs into the end of what has arrived may still
		 * become that detector's: decide when the rest is there */
		int open = x->stream && x->stream->feeding && c->e == x->len;

		if (!(d->flags & BRK_SCAN_DF_KEYED) || (d->flags & BRK_SCAN_DF_GENERIC) ||
		    d->check != brk_scan_check_kv ||
		    !(keyed_shape(d, x->buf + c->s, c->e - c->s) ||
		      (open && keyed_prefix(d, x->buf + c->s, c->e - c->s))))
			continue;
		for (k = 0; k < BRK_SCAN_MAX_ANCHORS && d->anchors[k]; k++) {
			size_t al = strlen(d->anchors[k]), j;

			for (j = ns; j + al <= ne; j++)
				if (!strncasecmp((const char *)x->buf + j, d->anchors[k], al))
					return 1;
		}
	}
	return 0;
}

/*
 * Stacked text encodings (hex of base64, base64 of base64): nobody wraps
 * an ordinary configuration value twice, a script hiding one does. A
 * generic key=value secret found under two of them blocks (its homes stay
 * the hosts you allowed by name); under one it only warns.
 */
static int layered_twice(const char *layers)
{
	const char *p = layers;
	int n = 0;

	while (p && *p) {
		size_t l = strcspn(p, ">");

		n += (l == 6 && !strncmp(p, "base64", 6)) || (l == 3 && !strncmp(p, "hex", 3));
		p += l;
		if (*p == '>')
			p++;
	}
	return n >= 2;
}

/* Report the candidates. A generic finding that overlaps a specific one
 * (or, for Basic, holds one once decoded) gives way: the specific
 * detector's verdict, its home domains, decides. */
static void commit(struct sctx *x, const char *layers, const char *host,
		   struct brk_scan_result *res)
{
	size_t i, j;

	for (i = 0; i < x->nc; i++) {
		const struct cand *c = &x->c[i];
		const struct brk_scan_det *d = c->det == (size_t)-1 ? NULL : &brk_scan_detectors[c->det];
		const char *id = d ? d->id : "canary";
		int canary = c->canary, scope, action;

		if (c->known) {
			known_commit(x, c, layers, host, res);
			continue;
		}
		if (d && (d->flags & BRK_SCAN_DF_GENERIC) && !canary) {
			for (j = 0; j < x->nc; j++) {
				const struct cand *o = &x->c[j];

				if (j != i && cand_specific(o) && o->s < c->e && c->s < o->e)
					break;
			}
			if (j < x->nc)
				continue;
			if (defer_generic(x, c))
				continue;
			if (d->check == brk_scan_check_cookie && cookie_keyed_owner(x, c)) {
				if (x->stream && x->stream->feeding && c->e == x->len && !x->final &&
				    c->has_pid)
					pend_add(x->stream, c->pid, x->base + c->at);
				continue;
			}
			if (d->check == brk_scan_check_kv && brk_scan_session_cookie(x->buf, x->len, c->s))
				continue;

			if ((d->check == brk_scan_check_basic || d->check == brk_scan_check_bearer) &&
			    auth_inner(x, c, layers, host, res))
				continue;
			if ((d->check == brk_scan_check_basic || d->check == brk_scan_check_bearer) &&
			    keyed_home(x, c, d->check == brk_scan_check_basic, layers, host, res))
				continue;
		}
		scope = (d && !canary) ? home_match(x->e, c->det, host) : 0;
		/* a value the destination itself set as a cookie goes back to it */
		if (d && !canary && !scope && host)
			scope = brk_jar_has(x->e->jar, host, x->buf + c->s, c->e - c->s,
					    x->stream && !x->final && c->e == x->len);
		action = (d && !canary) ? d->action : BRK_SCAN_BLOCK;
		if (d && !canary && action == BRK_SCAN_WARN && (d->flags & BRK_SCAN_DF_GENERIC) &&
		    d->check == brk_scan_check_kv && layered_twice(layers))
			action = BRK_SCAN_BLOCK;
		if (x->stream && stream_seen(x->stream, c->key))
			continue;
		if (c->xf) {   /* a trigger's: the encoding it was under */
			char path[64];

			snprintf(path, sizeof(path), "%s%s%s", layers, layers[0] ? ">" : "", c->xf);
			result_add(res, id, c->red, path, canary, scope, action);
			continue;
		}
		result_add(res, id, c->red, layers, canary, scope, action);
	}
	x->nc = 0;
}

/* ---- matching ---------------------------------------------------------- */

static const uint8_t *find_anchor(const uint8_t *h, size_t hl, const char *a, size_t al, int nocase)
{
	size_t i;

	if (!nocase)
		return memmem(h, hl, a, al);
	for (i = 0; i + al <= hl; i++)
		if (strncasecmp((const char *)h + i, a, al) == 0)
			return h + i;
	return NULL;
}

static void pend_add(struct brk_scan_stream *s, unsigned id, unsigned long long at)
{
	size_t i;

	for (i = 0; i < s->npend; i++)
		if (s->pend[i].id == id && s->pend[i].at == at)
			return;
	if (s->npend == STREAM_PENDING) {
		/* drop the oldest: it is the closest to being impossible */
		memmove(s->pend, s->pend + 1, (STREAM_PENDING - 1) * sizeof(s->pend[0]));
		s->npend--;
	}
	s->pend[s->npend].id = id;
	s->pend[s->npend++].at = at;
}

/* A detector finding in bytes a trigger decoded, v[s, e): the span it
 * stands for is the encoded one in x's buffer (h->s, h->e), so that a
 * generic finding over those bytes gives way to it; the name, redaction
 * and key are the decoded token's, as if it had been seen raw. */
static void trig_cand(struct sctx *x, const struct brk_pat_trig_hit *h, const uint8_t *v,
		      size_t s, size_t e)
{
	struct cand *c;
	size_t i;

	for (i = 0; i < x->nc; i++)
		if (x->c[i].det == h->det && x->c[i].s == h->s && !x->c[i].known)
			return;
	if (x->nc == sizeof(x->c) / sizeof(x->c[0]))
		return;
	c = &x->c[x->nc++];
	memset(c, 0, sizeof(*c));
	c->det = h->det;
	c->s = h->s;
	c->e = h->e > h->s ? h->e : h->s + 1;
	c->xf = h->scheme;
	for (i = 0; i < x->e->ncanary; i++)
		if (x->e->canary_len[i] == e - s && memcmp(v + s, x->e->canary[i], e - s) == 0)
			c->canary = 1;
	dlp_redact(v + s, e - s, c->red, sizeof(c->red));
	c->key = hash64(x->e->seed ^ h->det, v + s, e - s < 12 ? e - s : 12);
}

/*
 * Trigger id's literal ends at rel (pat_trigger.h): decode from it, and
 * let the detector's own check judge the decoded bytes. A stream whose
 * bytes so far end inside the encoded token checks again with the next
 * ones (pending, like a shape that needs more). 1 if settled.
 */
static int trig_check(struct sctx *x, unsigned id, size_t rel)
{
	const struct brk_scan_det *d;
	brk_scan_check_fn *fn;
	struct brk_pat_trig_hit h;
	uint8_t dec[512];
	size_t dn = 0, s = 0, e = 0;
	int r;

	r = brk_pat_trig_decode(x->e->trig, id - x->e->npat, x->buf, x->len, rel, x->final, dec,
				sizeof(dec), &dn, &h);
	if (r == 2 && x->stream)
		pend_add(x->stream, id, x->base + rel);
	if (r != 1)
		return r != 2;
	d = &brk_scan_detectors[h.det];
	fn = d->check ? d->check : brk_scan_check_shape;
	r = fn(d, dec, dn, 0, h.anchor, !h.more, &s, &e);
	if (r == BRK_SCAN_CHK_NO && !h.more) {
		/* a character-wise decoder reads on into what delimits the
		 * encoded token (rot47 of a JSON string's closing quote is a
		 * letter): the longest token the shape allows decides, when
		 * at most 3 characters follow it */
		size_t al = strlen(d->anchors[h.anchor]), l = dn - 1;

		if (l > al + d->max)
			l = al + d->max;
		/* a delimiter or two, not a longer run the token is part of */
		if (dn > al + d->max + 3)
			l = 0;
		for (; r == BRK_SCAN_CHK_NO && l >= al + d->min && l > al; l--)
			r = fn(d, dec, l, 0, h.anchor, 1, &s, &e);
	}
	if (r == BRK_SCAN_CHK_YES)
		trig_cand(x, &h, dec, s, e);
	else if (h.more && x->stream)   /* the last character may still change */
		pend_add(x->stream, id, x->base + rel);
	explicit_bzero(dec, sizeof(dec));
	return r == BRK_SCAN_CHK_YES || !h.more;
}

/* Run the check for pattern id with its anchor at rel (a trigger: its
 * literal ending at rel); 1 if settled. */
static int check_at(struct sctx *x, unsigned id, size_t rel)
{
	const struct pat_map *m;
	const struct brk_scan_det *d;
	brk_scan_check_fn *fn;
	size_t s = 0, e = 0;
	int r;

	if (id >= x->e->npat)
		return trig_check(x, id, rel);
	m = &x->e->map[id];
	d = &brk_scan_detectors[m->det];
	fn = d->check ? d->check : brk_scan_check_shape;
	r = fn(d, x->buf, x->len, rel, m->anchor, x->final, &s, &e);

	if (r == BRK_SCAN_CHK_YES) {
		size_t before = x->nc;

		add_cand(x, m->det, s, e, 0);
		if (x->nc > before) {
			x->c[before].pid = id;
			x->c[before].at = rel;
			x->c[before].has_pid = 1;
		}
	}
	else if (r == BRK_SCAN_CHK_MORE && x->stream)
		pend_add(x->stream, id, x->base + rel);
	return r != BRK_SCAN_CHK_MORE;
}

static int on_event(unsigned id, unsigned long long to, void *vx)
{
	struct sctx *x = vx;
	const struct pat_map *m;
	const struct brk_scan_det *d;
	const char *a;
	size_t al, rel, lo, hi;
	int nocase;

	if (to < x->base)
		return 0;
	if (id >= x->e->npat) {
		if (id - x->e->npat < x->e->ntrig && to - x->base <= x->len)
			trig_check(x, id, (size_t)(to - x->base));
		return 0;
	}
	rel = (size_t)(to - x->base);
	if (rel > x->len)
		return 0;
	m = &x->e->map[id];
	d = &brk_scan_detectors[m->det];
	a = d->anchors[m->anchor];
	al = strlen(a);
	nocase = !!(d->flags & BRK_SCAN_DF_NOCASE);
	if (rel < al)
		return 0;
	if (x->e->mpm->exact) {
		check_at(x, id, rel - al);
		return 0;
	}
	/* Hyperscan matched the whole shape ending at rel: find its anchor(s) */
	hi = rel - al;
	lo = rel > x->e->maxlen[m->det] ? rel - x->e->maxlen[m->det] : 0;
	if (x->last[id] >= 0 && (unsigned long long)x->last[id] >= x->base &&
	    (size_t)((unsigned long long)x->last[id] - x->base) + 1 > lo)
		lo = (size_t)((unsigned long long)x->last[id] - x->base) + 1;
	while (lo <= hi) {
		const uint8_t *f = find_anchor(x->buf + lo, hi + al - lo, a, al, nocase);

		if (!f)
			break;
		check_at(x, id, (size_t)(f - x->buf));
		lo = (size_t)(f - x->buf) + 1;
	}
	x->last[id] = (long long)(x->base + hi);
	return 0;
}

/* Block-scan one layer and report its findings. */
static int scan_layer(const struct brk_scan_engine *e, void *scratch, long long *last,
		      const uint8_t *p, size_t len, const char *layers, const char *host,
		      struct brk_scan_stream *stream, struct brk_scan_result *res)
{
	struct sctx x;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	x.e = e;
	x.buf = p;
	x.len = len;
	x.final = 1;
	x.last = last;
	x.stream = NULL;
	for (i = 0; i < e->npat; i++)
		last[i] = -1;
	rc = e->mpm->block_scan(e->db, scratch, p, len, on_event, &x);
	known_layer(&x, 0);
	x.stream = stream;  /* only for cross-feed deduplication */
	x.scratch = scratch;
	x.scratch_ok = 1;
	commit(&x, layers, host, res);
	return rc;
}

/* ---- the decode graph ------------------------------------------------ */

struct node {
	const uint8_t *p;
	size_t len;
	struct brk_scan_out own;       /* storage when the node was decoded */
	unsigned depth;
	uint32_t once;                 /* the .once decoders above it (a bit per index) */
	char path[64];
};

/* dst = parent ">" name, truncated to fit (distinct buffers). */
static void path_join(char *dst, size_t cap, const char *parent, const char *name)
{
	size_t o = 0, i;

	for (i = 0; parent[i] && o + 1 < cap; i++)
		dst[o++] = parent[i];
	if (o && o + 1 < cap)
		dst[o++] = '>';
	for (i = 0; name[i] && o + 1 < cap; i++)
		dst[o++] = name[i];
	dst[o] = '\0';
}

static void set_err(struct brk_scan_result *res, const char *msg)
{
	if (!res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", msg);
}

/*
 * Scan p[0,len) and every layer decodable from it. skip_root: the caller
 * already matched the raw bytes (streams).
 */
static void cut_short(const struct limits *lim, struct brk_scan_result *res, const char *why)
{
	if (lim->ingress)
		res->partial = 1;
	else
		res->refused = 1;
	set_err(res, why);
}

/* graph_scan's skip_root: the root was matched raw already (stream); the
 * root's local decoders (escapes, bounded context) ran in the stream's
 * windows, which reach back STREAM_CTX, over an encoded run, and
 * STREAM_ESC_CTX more (a whole-message pass of a binary or compressed
 * message need not run them on the root again). */
#define GRAPH_SKIP_ROOT 1
#define GRAPH_SKIP_LOCAL 2
/* ... and the run decoders (base64, hex): the windows decoded every run
 * they reach back over (STREAM_RUN); a longer one sets NEED_RUN, and then
 * the whole-message passes decode runs too (full_flags()). */
#define GRAPH_SKIP_RUNS 4
/* ... the root is text that needs_full() passed (no control byte, no zstd
 * magic): no gzip or zstd member can start in it, none is looked for */
#define GRAPH_NO_MAGIC 8
/* ... the root is a window that starts inside the message, at whatever
 * byte the context reached back to: no undeclared brotli or raw deflate
 * trial at its first byte (they are tried at the message's start, by the
 * whole-message passes and the first window, at a body's start and at
 * every piece of a decoded layer) */
#define GRAPH_MID_START 16

/* brk_scan_stream.need_full */
#define NEED_BODY 1     /* framing, compression magic or binary bytes */
#define NEED_RUN 2      /* an encoded run longer than a window reaches */

static int graph_scan(const struct brk_scan_engine *e, void *scratch, const uint8_t *p, size_t len,
		      int skip_root, const char *host, struct brk_scan_stream *stream,
		      const struct limits *lim, struct brk_scan_result *res)
{
	/* not zeroed (17 KB a call): each node is set up as it is added */
	struct node *nodes = malloc(MAX_NODES * sizeof(*nodes));
	uint64_t seen[MAX_NODES];
	long long *last = calloc(e->npat ? e->npat : 1, sizeof(*last));
	/* the base64 decoder's runs, for the hex decoder after it (decode.h) */
	struct brk_scan_runs runs = { .r = malloc(BRK_SCAN_RUNS_MAX * sizeof(*runs.r)) };
	size_t nn = 1, qi, k, budget;
	int root_hashed = 0;
	int rc = 0;

	if (!nodes || !last) {
		rc = -ENOMEM;
		goto out;
	}
	budget = len > (lim->budget_max - lim->budget_fixed) / BUDGET_PER_BYTE ? lim->budget_max
		 : lim->budget_fixed + BUDGET_PER_BYTE * len;
	memset(&nodes[0], 0, sizeof(nodes[0]));
	nodes[0].p = p;
	nodes[0].len = len;
	/* the root's hash only when a layer as long as it appears (below) */
	seen[0] = 0;
	for (qi = 0; qi < nn; qi++) {
		struct node *n = &nodes[qi];

		if (!(qi == 0 && (skip_root & GRAPH_SKIP_ROOT))) {
			rc = scan_layer(e, scratch, last, n->p, n->len, n->path, host, stream, res);
			if (rc < 0)
				goto out;
		}
		if (n->depth >= MAX_DEPTH)
			continue;
		runs.n = 0;
		runs.done = 0;
		for (k = 0; k < brk_scan_ndecoders && nn < MAX_NODES; k++) {
			struct node *c = &nodes[nn];
			struct brk_scan_dec_env env;
			uint64_t h;
			size_t j;
			int r;

			if (n->once >> k & 1)
				continue;       /* composes with its own layer above */
			if (qi == 0 && (skip_root & GRAPH_SKIP_LOCAL) && brk_scan_decoders[k].local)
				continue;       /* the stream's windows decoded these */
			if (qi == 0 && (skip_root & GRAPH_SKIP_RUNS) && brk_scan_decoders[k].run)
				continue;       /* ... and these, every run they reach */

			if ((rc = brk_scan_deadline_check(lim->deadline_ns)) < 0)
				goto out;
			memset(&env, 0, sizeof(env));
			env.deadline_ns = lim->deadline_ns;
			env.max_ratio = RATIO_MAX;
			env.ratio_floor = RATIO_FLOOR;
			env.pieces = n->own.pieces;
			env.npieces = n->own.npieces;
			env.no_magic = qi == 0 && (skip_root & GRAPH_NO_MAGIC);
			/* a whole-message pass: the magic search goes on where the
			 * last one found none (scan.c magic_clean) */
			env.magic_from = qi == 0 && (skip_root & GRAPH_SKIP_LOCAL) && stream &&
					 stream->magic_clean <= len ? stream->magic_clean : 0;
			env.magic_first = env.magic_from;
			env.mid_start = qi == 0 && (skip_root & GRAPH_MID_START);
			env.runs = &runs;
			brk_scan_out_init(&c->own, budget);
			r = brk_scan_decoders[k].fn(n->p, n->len, &c->own, &env);
			if (qi == 0 && (skip_root & GRAPH_SKIP_LOCAL) && stream && r >= 0 &&
			    brk_scan_decoders[k].fn == brk_scan_dec_decompress)
				stream->magic_clean = env.magic_first;
			if (env.note[0] && !res->note[0])
				snprintf(res->note, sizeof(res->note), "%s", env.note);
			if (env.refused)
				cut_short(lim, res, env.err);
			if (r == -EMSGSIZE && !env.refused)
				cut_short(lim, res, "decode budget exhausted: payload not fully scanned");
			if (r == -ENOMEM || r == -ETIMEDOUT) {
				brk_scan_out_free(&c->own);
				rc = r;
				goto out;
			}
			if ((r <= 0 && !(r == -EMSGSIZE && c->own.len)) || c->own.len == 0) {
				brk_scan_out_free(&c->own);
				continue;
			}
			h = hash64(e->seed, c->own.p, c->own.len);
			if (c->own.len == len && !root_hashed) {
				seen[0] = hash64(e->seed, p, len);
				root_hashed = 1;
			}
			for (j = 0; j < nn && (seen[j] != h || (j == 0 && !root_hashed)); j++)
				;
			if (j < nn) {
				brk_scan_out_free(&c->own);
				continue;
			}
			budget -= c->own.len < budget ? c->own.len : budget;
			seen[nn] = h;
			c->p = c->own.p;
			c->len = c->own.len;
			c->depth = n->depth + 1;
			c->once = n->once | (uint32_t)brk_scan_decoders[k].once << k;
			path_join(c->path, sizeof(c->path), n->path,
				  env.layer ? env.layer : brk_scan_decoders[k].name);
			nn++;
			if (budget == 0)
				break;
		}
		if (budget == 0 && qi + 1 < nn) {
			/* scan what was decoded, decode no further */
			for (qi = qi + 1; qi < nn; qi++) {
				rc = scan_layer(e, scratch, last, nodes[qi].p, nodes[qi].len, nodes[qi].path,
						host, stream, res);
				if (rc < 0)
					goto out;
			}
			break;
		}
	}
out:
	if (nodes)
		for (qi = 0; qi < nn; qi++)
			brk_scan_out_free(&nodes[qi].own);
	free(nodes);
	free(last);
	free(runs.r);
	return rc;
}

static void result_reset(struct brk_scan_result *res)
{
	brk_scan_result_clear(res);     /* not the whole 1.9 KB (scan.h) */
}

static void result_finish(struct brk_scan_result *res)
{
	if (res->refused)
		res->blocked = 1;
}

static void limits_for(int ingress, unsigned deadline_ms, struct limits *lim)
{
	lim->ingress = ingress;
	lim->budget_fixed = ingress ? IN_BUDGET_FIXED : BUDGET_FIXED;
	lim->budget_max = ingress ? IN_BUDGET_MAX : BUDGET_MAX;
	lim->deadline_ns = deadline_ms ? brk_scan_now_ns() + (uint64_t)deadline_ms * 1000000u : 0;
}

static const char *err_text(int rc)
{
	switch (rc) {
	case -ENOMEM: return "out of memory";
	case -ETIMEDOUT: return "scan deadline exceeded: payload not fully scanned";
	default: return "matcher failure";
	}
}

/*
 * Received data: every finding is reported, none blocks (the bytes came
 * in; a cloned repository holding your own token must still clone). What
 * blocks inbound is a refusal only, and ingress never refuses either.
 */
static void ingress_report_only(struct brk_scan_result *res)
{
	unsigned i;

	for (i = 0; i < res->nfindings; i++)
		res->findings[i].received = 1;
	res->blocked = res->refused;
}

/* A call that failed: egress is refused (fail closed); an ingress call
 * that only ran out of time keeps its raw findings and is partial. */
static int call_failed(int ingress, int rc, struct brk_scan_result *res)
{
	set_err(res, err_text(rc));
	if (ingress && rc == -ETIMEDOUT) {
		res->partial = 1;
		result_finish(res);
	} else {
		res->refused = 1;
		res->blocked = 1;
	}
	return rc;
}

int brk_scan_buffer(const struct brk_scan_engine *e, const uint8_t *p, size_t len,
		    const char *dest_host, struct brk_scan_result *res)
{
	return brk_scan_buffer_dir(e, BRK_SCAN_EGRESS, p, len, dest_host, res);
}

/*
 * One matcher scratch per thread for brk_scan_buffer_dir(), kept for the
 * engine it was made for (by serial: an address can be reused): cloning
 * one costs more than scanning a short header, and HTTP/2 requests scan
 * each header on its own. Freed at thread exit or when another engine
 * comes; a nested call (busy) clones its own.
 */
struct tl_scratch {
	unsigned long long serial;
	void *scratch;
	void (*scratch_free)(void *scratch);
	int busy;
};

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static int tl_key_ok;

static void tl_drop(void *v)
{
	struct tl_scratch *t = v;

	if (t && t->scratch)
		t->scratch_free(t->scratch);
	free(t);
}

static void tl_init(void)
{
	tl_key_ok = pthread_key_create(&tl_key, tl_drop) == 0;
}

/* The thread's scratch for e (*cached: give it back with scratch_put). */
static int scratch_get(const struct brk_scan_engine *e, void **scratch, struct tl_scratch **cached)
{
	struct tl_scratch *t = NULL;

	*cached = NULL;
	(void)pthread_once(&tl_once, tl_init);
	if (tl_key_ok && !(t = pthread_getspecific(tl_key)) && (t = calloc(1, sizeof(*t))) &&
	    pthread_setspecific(tl_key, t) != 0) {
		free(t);
		t = NULL;
	}
	if (!t || t->busy)
		return e->mpm->scratch_new(e->db, scratch);
	if (t->serial != e->serial || !t->scratch) {
		if (t->scratch)
			t->scratch_free(t->scratch);
		t->scratch = NULL;
		if (e->mpm->scratch_new(e->db, &t->scratch) < 0)
			return e->mpm->scratch_new(e->db, scratch);
		t->serial = e->serial;
		t->scratch_free = e->mpm->scratch_free;
	}
	t->busy = 1;
	*scratch = t->scratch;
	*cached = t;
	return 0;
}

static void scratch_put(const struct brk_scan_engine *e, void *scratch, struct tl_scratch *cached)
{
	if (cached)
		cached->busy = 0;
	else
		e->mpm->scratch_free(scratch);
}

int brk_scan_buffer_dir(const struct brk_scan_engine *e, int dir, const uint8_t *p, size_t len,
			const char *dest_host, struct brk_scan_result *res)
{
	struct tl_scratch *cached;
	void *scratch = NULL;
	struct limits lim;
	int rc;

	result_reset(res);
	if (!e || (!p && len))
		return -EINVAL;
	if ((rc = brk_scan_engine_ready(e)) < 0) {
		call_failed(dir == BRK_SCAN_INGRESS, rc, res);  /* egress: fail closed */
		if (dir == BRK_SCAN_INGRESS)
			ingress_report_only(res);
		return rc;
	}
	rc = scratch_get(e, &scratch, &cached);
	if (rc < 0) {
		set_err(res, "out of memory for matcher scratch");
		return rc;
	}
	limits_for(dir == BRK_SCAN_INGRESS, BRK_SCAN_DEADLINE_MS, &lim);
	rc = graph_scan(e, scratch, p ? p : (const uint8_t *)"", len, 0, dest_host, NULL, &lim, res);
	scratch_put(e, scratch, cached);
	if (rc < 0)
		call_failed(lim.ingress, rc, res);  /* egress: fail closed */
	else
		result_finish(res);
	if (lim.ingress)
		ingress_report_only(res);
	return rc < 0 ? rc : 0;
}

int brk_scan_match_raw(const struct brk_scan_engine *e, const uint8_t *p, size_t len,
		       const char *dest_host, struct brk_scan_result *res)
{
	long long *last;
	void *scratch = NULL;
	int rc;

	result_reset(res);
	if (!e || (!p && len))
		return -EINVAL;
	if ((rc = brk_scan_engine_ready(e)) < 0) {
		set_err(res, "the scanning engine could not be set up");
		res->blocked = 1;
		return rc;
	}
	last = calloc(e->npat ? e->npat : 1, sizeof(*last));
	if (!last || (rc = e->mpm->scratch_new(e->db, &scratch)) < 0) {
		free(last);
		set_err(res, "out of memory");
		return -ENOMEM;
	}
	rc = scan_layer(e, scratch, last, p ? p : (const uint8_t *)"", len, "", dest_host, NULL, res);
	e->mpm->scratch_free(scratch);
	free(last);
	if (rc < 0) {
		set_err(res, "matcher failure");
		res->blocked = 1;
		return rc;
	}
	result_finish(res);
	return 0;
}

/* ---- streams ------------------------------------------------------------ */

int brk_scan_stream_open(const struct brk_scan_engine *e, struct brk_scan_stream **out)
{
	return brk_scan_stream_open_dir(e, BRK_SCAN_EGRESS, out);
}

void brk_scan_stream_set_deadline(struct brk_scan_stream *s, unsigned ms)
{
	s->deadline_ms = ms;
}

void brk_scan_stream_set_light(struct brk_scan_stream *s, int on)
{
	s->light = on && s->ingress;
}

int brk_scan_stream_open_dir(const struct brk_scan_engine *e, int dir,
			     struct brk_scan_stream **out)
{
	struct brk_scan_stream *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if ((rc = brk_scan_engine_ready(e)) < 0) {
		free(s);
		return rc;
	}
	s->e = e;
	s->last = malloc((e->npat ? e->npat : 1) * sizeof(*s->last));
	if (!s->last)
		goto err;
	memset(s->last, 0xff, (e->npat ? e->npat : 1) * sizeof(*s->last));
	s->ingress = dir == BRK_SCAN_INGRESS;
	s->deadline_ms = BRK_SCAN_DEADLINE_MS;
	brk_scan_out_init(&s->msg, s->ingress ? IN_MSG_MAX : BRK_SCAN_STREAM_MSG_MAX);
	s->msg_valid = 1;     /* empty: the last 0 bytes */
	if ((rc = e->mpm->scratch_new(e->db, &s->scratch)) < 0 ||
	    (rc = e->mpm->stream_open(e->db, &s->st)) < 0)
		goto err;
	*out = s;
	return 0;
err:
	brk_scan_stream_close(s);
	return rc;
}

/*
 * The bytes fed so far end a message (the HTTP glue: an HTTP/1.1 message
 * complete at the end of the last feed). The next feed's window decodes
 * from the new bytes on, reaching back only over an encoded run (base64,
 * hex, escapes: b64ish bytes) that touches the boundary and the escape
 * context before it, not STREAM_CTX bytes of the message before: on a
 * keep-alive connection of small messages that context was the previous
 * message, decoded a second time. Raw matching is streaming and unaffected.
 */
void brk_scan_stream_mark_end(struct brk_scan_stream *s)
{
	if (s) {
		s->mark_len = s->msg.len;
		s->marked = 1;
	}
}

int brk_scan_stream_reset(struct brk_scan_stream *s)
{
	const struct brk_scan_engine *e = s->e;
	int rc;

	/* a new matcher stream; the scratch, the buffers and the settings stay */
	if (s->st)
		e->mpm->stream_close(s->st);
	s->st = NULL;
	if ((rc = e->mpm->stream_open(e->db, &s->st)) < 0)
		return rc;
	memset(s->last, 0xff, (e->npat ? e->npat : 1) * sizeof(*s->last));
	if (s->win && !s->win_in_msg)
		explicit_bzero(s->win, s->wlen);
	s->win_in_msg = 0;
	s->wlen = 0;
	s->base = 0;
	s->npend = 0;
	brk_scan_out_reset(&s->msg);
	s->msg_valid = 1;
	s->magic_clean = 0;
	s->full_at = s->dec_at = 0;
	s->need_full = 0;
	s->nseen = 0;
	s->feeding = 0;
	s->fed = 0;
	s->marked = 0;
	s->hs_base = s->hs_pos = s->hs_dec = s->hs_tail = s->run16_end = 0;
	s->hs_any = 0;
	return 0;
}

void brk_scan_stream_close(struct brk_scan_stream *s)
{
	if (!s)
		return;
	if (s->st)
		s->e->mpm->stream_close(s->st);
	if (s->scratch)
		s->e->mpm->scratch_free(s->scratch);
	brk_scan_out_free(&s->msg);
	free(s->win);
	free(s->last);
	free(s);
}

/* The raw window's first byte (offset s->base). */
static inline const uint8_t *win_p(const struct brk_scan_stream *s)
{
	return s->win_in_msg ? s->msg.p + s->msg.len - s->wlen : s->win;
}

static int win_reserve(struct brk_scan_stream *s, size_t need)
{
	if (need > s->wcap) {
		size_t nc = s->wcap ? s->wcap : 16384;
		uint8_t *np;

		while (nc < need)
			nc *= 2;
		np = realloc(s->win, nc);
		if (!np)
			return -ENOMEM;
		s->win = np;
		s->wcap = nc;
	}
	return 0;
}

/* The window back into its own buffer (at most STREAM_KEEP bytes between
 * feeds), before msg changes in a way that would lose it. */
static int win_detach(struct brk_scan_stream *s)
{
	int rc;

	if (!s->win_in_msg)
		return 0;
	if ((rc = win_reserve(s, s->wlen)) < 0)
		return rc;
	memcpy(s->win, win_p(s), s->wlen);
	s->win_in_msg = 0;
	return 0;
}

/*
 * The fed bytes into the raw window. When they go to the message buffer
 * anyway and the window is that buffer's tail (*in_msg = 1), they are put
 * there now, once, and the window is read from it: no second copy. Else
 * the window keeps its own copy.
 */
static int win_append(struct brk_scan_stream *s, const uint8_t *p, size_t len, int fast,
		      int *in_msg)
{
	int rc;

	*in_msg = 0;
	if (len > ((size_t)1 << 40) - s->wlen)
		return -EMSGSIZE;  /* never: frames are small; keeps the doubling finite */
	if (fast && s->msg_valid && s->wlen <= s->msg.len && len <= s->msg.max - s->msg.len) {
		/* msg's last wlen bytes are the window (msg_valid) */
		if ((rc = brk_scan_out_put(&s->msg, p, len)) < 0)
			return rc;
		s->win_in_msg = 1;
		s->wlen += len;
		*in_msg = 1;
		return 0;
	}
	if ((rc = win_detach(s)) < 0 || (rc = win_reserve(s, s->wlen + len)) < 0)
		return rc;
	memcpy(s->win + s->wlen, p, len);
	s->wlen += len;
	return 0;
}

static int b64ish(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '+' || c == '/' || c == '-' || c == '_' || c == '%' || c == '\\' ||
	       c == '&' || c == '#' || c == ';' || c == '=';
}

/* The marks that end at p[j] (':' or '/'): "ncoding:", "NCODING:",
 * "multipart/". */
static inline int mark_at(const uint8_t *p, size_t j)
{
	if (p[j] == ':')
		return j >= 7 && (p[j - 1] | 0x20) == 'g' &&
		       (!memcmp(p + j - 7, "ncoding", 7) || !memcmp(p + j - 7, "NCODING", 7));
	return p[j] == '/' && j >= 9 && p[j - 1] == 't' && !memcmp(p + j - 9, "multipart", 9);
}

/* A control byte other than \t..\r, or DEL. */
static inline int binary_byte(uint8_t c)
{
	return c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f;
}

/* Does this text need whole-message decoding (windows are not enough)?
 * HTTP framing that changes the body ("ncoding:", "NCODING:",
 * "multipart/"), compression magic (gzip's starts with a control byte;
 * zstd's holds a high one), binary bytes (undeclared brotli or raw
 * deflate can only be tried whole). One pass: 16 bytes at a time, only
 * the bytes that may end a mark or be binary are looked at one by one. */
#ifdef __x86_64__
/* needs_full()'s SSE2 loop 32 bytes a step (AVX2): from i = 1 while 32
 * remain; 1 when a byte needs it, else 0 with *at where it stopped and
 * *high set when a byte had its top bit. */
__attribute__((target("avx2"))) static int needs_full_avx2(const uint8_t *p, size_t n, size_t *at,
							   int *high)
{
	const __m256i bias = _mm256_set1_epi8((char)0x80), c20 = _mm256_set1_epi8((char)(0x20 ^ 0x80));
	const __m256i colon = _mm256_set1_epi8(':'), sp = _mm256_set1_epi8(0x20), g = _mm256_set1_epi8('g');
	const __m256i slash = _mm256_set1_epi8('/'), t = _mm256_set1_epi8('t'), del = _mm256_set1_epi8(0x7f);
	__m256i hi = _mm256_setzero_si256();
	size_t i, j;

	for (i = 1; i + 32 <= n; i += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(p + i - 1));
		__m256i lo = _mm256_cmpgt_epi8(c20, _mm256_xor_si256(x, bias));
		__m256i mg = _mm256_and_si256(_mm256_cmpeq_epi8(x, colon),
					      _mm256_cmpeq_epi8(_mm256_or_si256(y, sp), g));
		__m256i mt = _mm256_and_si256(_mm256_cmpeq_epi8(x, slash), _mm256_cmpeq_epi8(y, t));
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
			_mm256_or_si256(lo, _mm256_cmpeq_epi8(x, del)), _mm256_or_si256(mg, mt)));

		hi = _mm256_or_si256(hi, x);
		while (m) {
			j = i + (unsigned)__builtin_ctz(m);
			m &= m - 1;
			if (binary_byte(p[j]) || mark_at(p, j))
				return 1;
		}
	}
	*high |= _mm256_movemask_epi8(hi) != 0;
	*at = i;
	return 0;
}
#endif

static int needs_full(const uint8_t *p, size_t n)
{
	size_t i = 0, j;
	int high = 0;

#ifdef __SSE2__
	/* p[0] alone: the loop reads each block's byte before it */
	if (n == 0)
		return 0;
	if (binary_byte(p[0]))
		return 1;
	high = p[0] & 0x80;
	i = 1;
#ifdef __x86_64__
	if (brk_scan_avx2() && needs_full_avx2(p, n, &i, &high))
		return 1;
#endif
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + i - 1));
		/* unsigned x < 0x20, via the signed compare of x ^ 0x80 */
		__m128i lo = _mm_cmplt_epi8(_mm_xor_si128(x, _mm_set1_epi8((char)0x80)),
					    _mm_set1_epi8((char)(0x20 ^ 0x80)));
		/* a mark's last two bytes: "g:" / "G:" (ncoding:) and "t/" (multipart/);
		 * JSON's every ':' and a URL's every '/' are not looked at */
		__m128i g = _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(':')),
					  _mm_cmpeq_epi8(_mm_or_si128(y, _mm_set1_epi8(0x20)),
							 _mm_set1_epi8('g')));
		__m128i t = _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')),
					  _mm_cmpeq_epi8(y, _mm_set1_epi8('t')));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(lo, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))), _mm_or_si128(g, t)));

		high |= _mm_movemask_epi8(x);
		while (m) {
			j = i + (unsigned)__builtin_ctz(m);
			m &= m - 1;
			if (binary_byte(p[j]) || mark_at(p, j))
				return 1;
		}
	}
#endif
	for (; i < n; i++) {
		high |= p[i] & 0x80;
		if (binary_byte(p[i]) || ((p[i] == ':' || p[i] == '/') && mark_at(p, i)))
			return 1;
	}
	return high && memmem(p, n, "\x28\xb5\x2f\xfd", 4) != NULL;
}

/*
 * Length of the text at p[0,n): ASCII printable, \t..\r, and well-formed
 * UTF-8 sequences (which a text body may carry; random binary bytes form
 * one rarely, so binary data yields only short runs). A sequence cut by
 * the end of the feed counts as text.
 */
static size_t text_run(const uint8_t *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0, k, need;

	while (i < n) {
		uint8_t c = p[i];

		if (i + 8 <= n) {
			/* 8 printable ASCII bytes at once (no high bit, none < 0x20,
			 * no 0x7f): the common case of a text body */
			uint64_t w, d;

			memcpy(&w, p + i, 8);
			d = w ^ (0x7f * ones);
			if (!(w & highs) && !((w - 0x20 * ones) & ~w & highs) &&
			    !((d - ones) & ~d & highs)) {
				i += 8;
				continue;
			}
		}
		if (c < 0x80) {
			if (c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f)
				break;
			i++;
			continue;
		}
		need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
		       : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		if (!need)
			break;
		for (k = 1; k <= need && i + k < n && (p[i + k] & 0xc0) == 0x80; k++)
			;
		if (k <= need && i + k < n)
			break;  /* not a continuation byte */
		i += k;         /* complete, or cut by the end of the feed */
	}
	return i;
}

/* ASCII text (printable, \t..\r): where the skip over binary data looks
 * for the next run. The run itself is measured by text_run(), UTF-8 and
 * all; encoded credentials are ASCII, so a probe need not stop on UTF-8. */
static inline int ascii_text(uint8_t c)
{
	return c >= 0x20 ? c < 0x7f : c >= 0x09 && c <= 0x0d;
}

/* Light mode: decode s->msg from the context before dec_at to its end. */
static int light_decode(struct brk_scan_stream *s, const char *host, const struct limits *lim,
			struct brk_scan_result *res)
{
	size_t ctx = s->dec_at > STREAM_CTX ? s->dec_at - STREAM_CTX : 0, i;

	for (i = 0; ctx > 0 && i < STREAM_RUN && b64ish(s->msg.p[ctx - 1]); i++)
		ctx--;
	s->dec_at = s->msg.len;
	return graph_scan(s->e, s->scratch, s->msg.p + ctx, s->msg.len - ctx, 1, host, s, lim, res);
}

/*
 * Light mode (scan.h): the decode graph over the text-like runs of the new
 * bytes, in windows reaching back over the encoded run they continue. A
 * binary byte ends a run: what came before it is decoded at once and not
 * kept; runs inside binary data shorter than LIGHT_MIN_RUN carry nothing
 * a decoder could turn into a credential and are skipped. The message
 * buffer holds only the context of the last run, never a whole message.
 */
#define LIGHT_MIN_RUN 16
static int light_windows(struct brk_scan_stream *s, const uint8_t *p, size_t len,
			 const char *host, const struct limits *lim, struct brk_scan_result *res)
{
	size_t keep = STREAM_CTX + STREAM_RUN + STREAM_BATCH, pos = 0, end, at;
	int rc = 0;

	s->need_full = 0;
	s->full_at = 0;
	while (pos < len && rc == 0) {
		if (pos > 0) {
			/* in binary data (p[pos - 1] is binary): a run worth decoding
			 * covers p[pos + LIGHT_MIN_RUN - 1]; jump until one may */
			while (pos + LIGHT_MIN_RUN <= len && !ascii_text(p[pos + LIGHT_MIN_RUN - 1]))
				pos += LIGHT_MIN_RUN;
			if (pos + LIGHT_MIN_RUN <= len) {
				size_t j = pos + LIGHT_MIN_RUN - 1;

				while (j > pos && ascii_text(p[j - 1]))
					j--;
				pos = j;
			}
		}
		end = pos + text_run(p + pos, len - pos);
		if (end < len && pos > 0 && end - pos < LIGHT_MIN_RUN) {
			pos = end + 1;  /* a short run between binary bytes */
			continue;
		}
		/* a long run goes in pieces: the buffer never holds more than
		 * the context plus IN_TEXT_KEEP (a decoded body part can be MBs) */
		for (at = pos; rc == 0;) {
			size_t n = end - at > IN_TEXT_KEEP ? IN_TEXT_KEEP : end - at;

			if (s->msg.len + n > IN_TEXT_KEEP && s->msg.len > keep) {
				size_t drop = s->msg.len - keep;

				memmove(s->msg.p, s->msg.p + drop, keep);
				s->magic_clean = 0;
				s->msg.len = keep;
				s->dec_at = s->dec_at > drop ? s->dec_at - drop : 0;
			}
			if (n && (rc = brk_scan_out_put(&s->msg, p + at, n)) < 0)
				break;
			if (s->dec_at > s->msg.len)
				s->dec_at = s->msg.len;
			at += n;
			if (at >= end)
				break;
			rc = light_decode(s, host, lim, res);
		}
		if (rc < 0)
			break;
		/* a run still growing at the end is decoded every STREAM_BATCH bytes */
		if (s->msg.len > s->dec_at && (end < len || s->msg.len - s->dec_at >= STREAM_BATCH ||
					       !b64ish(p[len - 1])))
			rc = light_decode(s, host, lim, res);
		if (end < len) {
			brk_scan_out_reset(&s->msg);
			s->magic_clean = 0;
			s->dec_at = 0;
			res->partial = 1;
			set_err(res, "binary inbound data: matched raw only, not decoded");
		}
		pos = end + 1;
	}
	return rc;
}

/* What a whole-message pass of s runs on the root (the raw match, the
 * escape decoders and, unless a run too long for them was seen, the run
 * decoders were the windows' work): for a binary upload, the structure
 * and compression decoders only. Ingress keeps the run decoders (its
 * windows do not flag long runs). */
static int full_flags(const struct brk_scan_stream *s)
{
	return GRAPH_SKIP_ROOT | GRAPH_SKIP_LOCAL |
	       (!s->ingress && !(s->need_full & NEED_RUN) ? GRAPH_SKIP_RUNS : 0);
}

/* Ingress plain text needs no whole-message passes: keep only the context
 * a window decode reaches back over (memory stays bounded per stream). */
static void stream_trim_text(struct brk_scan_stream *s)
{
	size_t keep = STREAM_CTX + STREAM_RUN + STREAM_BATCH, drop;

	if (!s->ingress || s->need_full || s->msg.len <= IN_TEXT_KEEP || s->dec_at < keep)
		return;
	drop = s->dec_at - keep;
	if (s->win_in_msg && s->msg.len - drop < s->wlen && win_detach(s) < 0)
		return;   /* no memory for the window's own copy: msg stays whole */
	memmove(s->msg.p, s->msg.p + drop, s->msg.len - drop);
	s->magic_clean = 0;
	s->msg.len -= drop;
	s->dec_at -= drop;
	s->full_at = 0;
}

/* ---- the raw matcher over binary bytes ---------------------------------- */

#define RUN16 16        /* decode.c MIN_RUN: the shortest base64/hex run decoded */
#define LONG_RUN 512    /* a text run this long: the rest of the feed is shown */
size_t brk_scan_sparse_small = 512;  /* scan.h: a feed this short is shown whole */

struct off_ctx {
	struct sctx *x;
	unsigned long long add;        /* the matcher stream's byte 0, absolute */
};

static int on_event_off(unsigned id, unsigned long long to, void *v)
{
	struct off_ctx *o = v;

	return on_event(id, to + o->add, o->x);
}

/*
 * The first text run of at least l bytes (1 <= l <= 64) that reaches into
 * q[lo, hi), as [*a, *b) with *a >= lo (a run that began before lo began
 * in bytes already shown: raw_sparse's invariant); 0 if there is none.
 */
static int next_island(const uint8_t *q, size_t lo, size_t hi, size_t l, size_t *a, size_t *b)
{
	size_t i = brk_scan_text_window(q, lo >= l - 1 ? lo - (l - 1) : 0, hi, l);

	if (i >= hi)
		return 0;
	if (i < lo)
		i = lo;     /* the window holds lo: the run lo is in */
	while (i > lo && brk_scan_text_byte(q[i - 1]))
		i--;
	*a = i;
	/* a run of LONG_RUN goes to the feed's end: text is shown whole, as
	 * before this shortcut, without finding where each run ends (showing
	 * more than needed is only slower) */
	*b = brk_scan_text_end(q, i, hi - i > LONG_RUN ? i + LONG_RUN : hi);
	if (*b == i + LONG_RUN)
		*b = hi;
	return 1;
}

/* Show q[from, to) (absolute) to the matcher, resetting it first when the
 * bytes before were passed over. */
static int sparse_show(struct brk_scan_stream *s, struct sctx *x, unsigned long long from,
		       unsigned long long to)
{
	const struct brk_scan_engine *e = s->e;
	struct off_ctx o = { x, 0 };
	int rc;

	if (to <= from)
		return 0;
	if (s->hs_any && s->hs_pos != from) {
		if ((rc = e->mpm->stream_reset(s->st)) < 0)
			return rc;
		s->hs_base = from;
	} else if (!s->hs_any) {
		s->hs_base = from;      /* a fresh stream counts from its first byte */
	}
	s->hs_any = 1;
	o.add = s->hs_base;
	rc = e->mpm->stream_scan(e->db, s->st, s->scratch, win_p(s) + (from - s->base),
				 (size_t)(to - from), on_event_off, &o);
	s->hs_pos = to;
	return rc;
}

/* An anchor of an unconfined expression in the text run q[a, b): show
 * u_tail bytes after it (a run of 32 or more: after the run's end, without
 * looking for one). */
static int sparse_tail(struct brk_scan_stream *s, size_t a, size_t b, size_t lo)
{
	const struct brk_scan_engine *e = s->e;
	const uint8_t *q = win_p(s);
	/* a run that goes on from the last feed: an anchor it began */
	size_t i, k, from = a == lo && a > 32 ? a - 32 : a;
	unsigned long long t;
	int any = 0;

	if (!e->nu_pat)
		return 0;
	if (b - a >= 32) {
		/* text, not an island in binary: the tail costs nothing there */
		t = s->base + b + e->u_tail;
		s->hs_tail = t > s->hs_tail ? t : s->hs_tail;
		return 1;
	}
	for (i = from; i < b; i++) {
		if (!(e->u_first[q[i] >> 3] & (1u << (q[i] & 7))))
			continue;
		for (k = 0; k < e->nu_pat; k++) {
			const struct brk_scan_det *d = &brk_scan_detectors[e->map[e->u_pat[k]].det];
			const char *an = d->anchors[e->map[e->u_pat[k]].anchor];
			size_t al = strlen(an);

			if (i + al > b || i + al <= a)
				continue;
			if ((d->flags & BRK_SCAN_DF_NOCASE) ? !strncasecmp((const char *)q + i, an, al)
			    : !memcmp(q + i, an, al)) {
				t = s->base + i + al + e->u_tail;
				s->hs_tail = t > s->hs_tail ? t : s->hs_tail;
				any = 1;
			}
		}
	}
	return any;
}

/*
 * The raw match of a feed (the new bytes are the window's last len) when
 * e->text_min is set: the matcher sees the text runs of text_min bytes or
 * more, whole (from their first byte, which may be in an earlier feed:
 * the window keeps it) and the tails sparse_tail() asks for; it passes
 * over the rest, binary bytes and short runs between them, which no
 * detector expression can match in. A short run that reaches the end of
 * the feed is held back until the next feed shows where it ends.
 */
static int raw_sparse(struct brk_scan_stream *s, struct sctx *x, size_t len)
{
	const struct brk_scan_engine *e = s->e;
	const uint8_t *q = win_p(s);
	unsigned long long end = s->base + s->wlen, i = s->hs_dec;
	size_t a, b, lo, hi = s->wlen;
	int rc = 0;

	if (i < s->base)
		i = s->base;   /* never: held back runs are shorter than the window */
	if (len < brk_scan_sparse_small) {
		/* a request's head, an h2 frame: shown whole (its frame headers
		 * cut it into runs whose searches and matcher calls cost more) */
		rc = sparse_show(s, x, i, end);
		s->run16_end = end;     /* not measured: the run decoders run */
		s->hs_dec = end;
		return rc < 0 ? rc : 0;
	}
	while (i < end && rc >= 0) {
		if (i < s->hs_tail) {
			unsigned long long j = s->hs_tail < end ? s->hs_tail : end;

			rc = sparse_show(s, x, i, j);
			s->run16_end = j > s->run16_end ? j : s->run16_end;  /* not measured */
			i = j;
			continue;
		}
		lo = (size_t)(i - s->base);
		if (!next_island(q, lo, hi, e->u_min, &a, &b)) {
			/* none: hold back a short run that reaches the end */
			for (a = hi; a > lo && brk_scan_text_byte(q[a - 1]); a--)
				;
			i = s->base + a;
			break;
		}
		if (b - a >= RUN16 || (a == lo && lo && brk_scan_text_byte(q[lo - 1])))
			s->run16_end = s->base + b;
		/* runs of u_min..text_min - 1 bytes matter only with an anchor;
		 * one going on from bytes shown, or to the feed's end, is shown */
		if ((b - a >= e->text_min || b == hi || (a == lo && lo && brk_scan_text_byte(q[lo - 1]))) |
		    sparse_tail(s, a, b, lo))
			rc = sparse_show(s, x, s->base + a, s->base + b);
		i = s->base + b;
	}
	s->hs_dec = i;
	return rc < 0 ? rc : 0;
}

int brk_scan_stream_feed(struct brk_scan_stream *s, const uint8_t *p, size_t len,
			 const char *dest_host, struct brk_scan_result *res)
{
	const struct brk_scan_engine *e;
	struct limits lim;
	struct sctx x;
	size_t i, before, ctx;
	unsigned long long fed0;
	int rc = 0, known_only, at_mark, runs, in_msg = 0, pre_valid;

	result_reset(res);
	if (!s || (!p && len))
		return -EINVAL;
	e = s->e;
	limits_for(s->ingress, s->deadline_ms, &lim);
	fed0 = s->fed;
	s->fed += len;
	if (len == 0) {
		/* flush: the message is complete; settle what waited for bytes */
		if ((rc = win_detach(s)) < 0)   /* the window outlives the message */
			goto done;
		memset(&x, 0, sizeof(x));
		x.e = e;
		x.buf = s->win;
		x.len = s->wlen;
		x.base = s->base;
		x.final = 1;
		x.last = s->last;
		x.stream = s;
		x.scratch = s->scratch;
		x.scratch_ok = 1;
		for (i = 0; i < s->npend; i++)
			if (s->pend[i].at >= s->base)
				check_at(&x, s->pend[i].id, (size_t)(s->pend[i].at - s->base));
		s->npend = 0;
		commit(&x, "", dest_host, res);
		/* ... decode the whole message (or, for plain text, the part
		 * no window covered yet), then start a new one */
		ctx = 0;
		if (!s->need_full) {
			ctx = s->dec_at > STREAM_CTX ? s->dec_at - STREAM_CTX : 0;
			for (i = 0; ctx > 0 && i < STREAM_RUN && b64ish(s->msg.p[ctx - 1]); i++)
				ctx--;
		}
		if (ctx < s->msg.len || s->msg.len == 0)
			rc = graph_scan(e, s->scratch, s->msg.p ? s->msg.p + ctx : (const uint8_t *)"",
					s->msg.len - ctx, 1, dest_host, s, &lim, res);
		brk_scan_out_reset(&s->msg);
		s->msg_valid = 1;
		s->magic_clean = 0;
		s->full_at = 0;
		s->dec_at = 0;
		s->need_full = 0;
		goto done;
	}
	/* a message ended with the last feed (brk_scan_stream_mark_end): the
	 * window starts at the new bytes, if msg is as the mark left it */
	at_mark = s->marked && s->mark_len == s->msg.len && s->dec_at == s->msg.len;
	s->marked = 0;
	/* inbound past IN_FULL: only what a received finding can mean (scan.h) */
	known_only = s->ingress && fed0 >= IN_FULL && ((e->known && !e->known_auto) || !e->ncanary);
	/* 1. raw bytes, streaming: no split can hide a credential */
	s->feeding = 1;
	pre_valid = s->msg_valid;  /* msg was the raw stream's tail before p */
	if ((rc = win_append(s, p, len, !known_only && !s->light, &in_msg)) < 0) {
		s->msg_valid = 0;
		goto done;
	}
	s->msg_valid = in_msg;     /* ... and is now only if p went in whole */
	memset(&x, 0, sizeof(x));
	x.e = e;
	x.buf = win_p(s);
	x.len = s->wlen;
	x.base = s->base;
	x.final = 0;
	x.last = s->last;
	x.stream = s;
	if (s->npend) {
		/* candidates that needed more bytes: check again (re-added if still MORE) */
		struct pending pd[STREAM_PENDING];
		size_t np = s->npend;

		memcpy(pd, s->pend, np * sizeof(pd[0]));
		s->npend = 0;
		for (i = 0; i < np; i++)
			if (pd[i].at >= s->base)
				check_at(&x, pd[i].id, (size_t)(pd[i].at - s->base));
	}
	if (!known_only && e->text_min)
		rc = raw_sparse(s, &x, len);
	else if (!known_only)
		rc = e->mpm->stream_scan(e->db, s->st, s->scratch, p, len, on_event, &x);
	x.scratch = s->scratch;
	x.scratch_ok = 1;
	known_layer(&x, x.len - len);
	commit(&x, "", dest_host, res);
	if (rc < 0)
		goto done;
	if (known_only) {
		/* no detector table, no decode graph: nothing is kept to decode */
		brk_scan_out_reset(&s->msg);
		s->msg_valid = 1;
		s->magic_clean = 0;
		s->dec_at = s->full_at = 0;
		s->need_full = 0;
		res->partial = 1;
		set_err(res, "inbound past its first 64 KiB: matched for canaries and "
			"known secrets only");
		goto trim;
	}
	/* 2. decode graph over the new bytes plus context */
	if (s->light) {
		rc = light_windows(s, p, len, dest_host, &lim, res);
		goto trim;
	}
	before = s->msg.len - (in_msg ? len : 0);   /* in_msg: p is in msg already */
	if (before + len > s->msg.max && !s->need_full) {
		/* plain text too big to keep: the windows decoded all of it
		 * (a run longer than they reach sets need_full below); keep what
		 * the next window reaches back over */
		size_t keep = STREAM_CTX + STREAM_RUN + STREAM_BATCH, drop;

		keep = keep < before ? keep : before;
		drop = before - keep;
		memmove(s->msg.p, s->msg.p + drop, keep);
		s->magic_clean = 0;
		s->msg.len = keep;
		s->dec_at = s->dec_at > drop ? s->dec_at - drop : 0;
		s->full_at = 0;
		before = keep;
	}
	if (before + len > s->msg.max) {
		/* message too big to keep: decode what we have (unless the last
		 * whole pass just did), keep the tail */
		size_t keep = STREAM_CTX * 4 < before ? STREAM_CTX * 4 : before;

		if (s->full_at != s->msg.len)
			rc = graph_scan(e, s->scratch, s->msg.p, s->msg.len, full_flags(s), dest_host,
					s, &lim, res);
		if (rc < 0)
			goto done;
		if (s->need_full && s->ingress)  /* egress: as before, windows go on */
			cut_short(&lim, res, "message larger than the whole-message decode "
				       "window: the rest is matched raw and in windows only");
		memmove(s->msg.p, s->msg.p + before - keep, keep);
		s->magic_clean = 0;
		s->msg.len = keep;
		s->full_at = keep;
		s->dec_at = 0;
		before = keep;
	}
	if (len > s->msg.max - before) {
		/* one huge feed: decode it on its own */
		rc = graph_scan(e, s->scratch, p, len, 1, dest_host, s, &lim, res);
		brk_scan_out_reset(&s->msg);
		s->msg_valid = 1;
		s->magic_clean = 0;
		goto trim;
	}
	if (!in_msg && (rc = brk_scan_out_put(&s->msg, p, len)) < 0)
		goto done;
	s->msg_valid = pre_valid;  /* the trims above keep a tail: still the stream's */
	if (!s->need_full)
		s->need_full = needs_full(s->msg.p + (before > 16 ? before - 16 : 0),
					  s->msg.len - (before > 16 ? before - 16 : 0)) ? NEED_BODY : 0;
	/* Decoded layers: while an encoded run is still growing (last byte is
	 * part of it) decode only every STREAM_BATCH bytes; a run is decoded
	 * as soon as a delimiter ends it. */
	if (s->dec_at > before)
		s->dec_at = before;
	if (s->msg.len - s->dec_at < STREAM_BATCH && b64ish(p[len - 1]))
		goto full;
	ctx = s->dec_at > STREAM_CTX ? s->dec_at - STREAM_CTX : 0;
	if (at_mark && before == s->dec_at && ctx < before)
		ctx = before;   /* a new message: no plain context before it */
	for (i = 0; ctx > 0 && i < STREAM_RUN && b64ish(s->msg.p[ctx - 1]); i++)
		ctx--;  /* start at a token boundary so encoded runs stay aligned */
	if (i == STREAM_RUN && !s->ingress && ctx > 0 && b64ish(s->msg.p[ctx - 1]))
		s->need_full |= NEED_RUN;   /* a run longer than a window reaches: whole passes */
	if (i > 0)  /* and the escape and key before that run (GRAPH_SKIP_LOCAL) */
		ctx = ctx > STREAM_ESC_CTX ? ctx - STREAM_ESC_CTX : 0;
	s->dec_at = s->msg.len;
	/* no text run of RUN16 bytes reaches into the window (raw_sparse saw
	 * every byte of it): the run decoders have nothing to decode there */
	runs = e->text_min && s->run16_end <= s->fed - (s->msg.len - ctx) ? GRAPH_SKIP_RUNS : 0;
	rc = graph_scan(e, s->scratch, s->msg.p + ctx, s->msg.len - ctx,
			GRAPH_SKIP_ROOT | (s->need_full ? 0 : GRAPH_NO_MAGIC) | runs |
			(ctx > 0 ? GRAPH_MID_START : 0), dest_host, s, &lim, res);
	if (rc < 0)
		goto done;
full:
	if (s->need_full && s->msg.len >= 2 * s->full_at && s->msg.len > STREAM_RUN) {
		/* the message doubled: one pass over all of it (compressed
		 * bodies, long encodings); geometric, so linear overall */
		rc = graph_scan(e, s->scratch, s->msg.p, s->msg.len, full_flags(s), dest_host, s,
				&lim, res);
		s->full_at = s->msg.len;
		if (rc < 0)
			goto done;
	}
	stream_trim_text(s);
trim:
	if (s->wlen > STREAM_KEEP) {
		size_t drop = s->wlen - STREAM_KEEP;

		if (!s->win_in_msg)     /* in msg: the window is its last wlen bytes */
			memmove(s->win, s->win + drop, STREAM_KEEP);
		s->wlen = STREAM_KEEP;
		s->base += drop;
	}
done:
	s->feeding = 0;
	if (rc < 0)
		call_failed(s->ingress, rc, res);
	else
		result_finish(res);
	if (s->ingress)
		ingress_report_only(res);
	if (res->partial)
		res->scanned = fed0;
	return rc;
}
