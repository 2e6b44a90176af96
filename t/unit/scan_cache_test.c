/* SPDX-License-Identifier: MIT */
/*
 * scan_cache_test.c - the compiled-database cache (broker/scan/mpm_cache.h)
 * and the engine on top of it: a cache hit finds exactly what a fresh
 * compile finds (detector samples, corpus, streams, canaries); corrupt,
 * foreign, forged and untrusted entries are ignored and rebuilt; canaries
 * never reach the cache file.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"
#include "broker/scan/mpm_cache.h"
#include "broker/scan/scan.h"
#include "t/unit/scan_testutil.h"

static const char GH[] = "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";

static char *tmpdir(void)
{
	char *d = strdup("/tmp/dlpjail-cache-t.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void rmtree(const char *d)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
}

static struct brk_scan_engine *engine_in(const char *dir, const char *const *can, size_t nc)
{
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.cache_dir = dir;
	cfg.canaries = can;
	cfg.ncanaries = nc;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	return e;
}

/* The one entry in dir (its path into dst); 0 if there is none. */
static int entry(const char *dir, char *dst, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "hs-", 3)) {
			snprintf(dst, cap, "%s/%s", dir, de->d_name);
			n++;
		}
	closedir(d);
	ck_assert_int_le(n, 1);
	return n;
}

static void key_of(const char *path, uint8_t key[BRK_SCAN_CACHE_KEYLEN])
{
	const char *h = strrchr(path, '/') + 4;
	size_t i;

	for (i = 0; i < BRK_SCAN_CACHE_KEYLEN; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
		key[i] = (uint8_t)v;
	}
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(p, 1, n, f), n);
	fclose(f);
	chmod(path, 0600);
}

static void same_result(const struct brk_scan_result *a, const struct brk_scan_result *b,
			const char *what)
{
	unsigned i;

	ck_assert_msg(a->nfindings == b->nfindings && a->blocked == b->blocked &&
		      a->refused == b->refused, "%s: %u/%d vs %u/%d", what,
		      a->nfindings, a->blocked, b->nfindings, b->blocked);
	for (i = 0; i < a->nfindings; i++) {
		ck_assert_str_eq(a->findings[i].detector, b->findings[i].detector);
		ck_assert_str_eq(a->findings[i].redacted, b->findings[i].redacted);
		ck_assert_str_eq(a->findings[i].layers, b->findings[i].layers);
		ck_assert_int_eq(a->findings[i].canary, b->findings[i].canary);
	}
}

/* Buffer and 1-byte stream scans of s agree between the two engines. */
static void agree(const struct brk_scan_engine *a, const struct brk_scan_engine *b,
		  const uint8_t *p, size_t n, const char *host, const char *what)
{
	struct brk_scan_result ra, rb;

	ck_assert_int_eq(brk_scan_buffer(a, p, n, host, &ra), 0);
	ck_assert_int_eq(brk_scan_buffer(b, p, n, host, &rb), 0);
	same_result(&ra, &rb, what);
	ck_assert_int_eq(brk_scan_match_raw(a, p, n, host, &ra), 0);
	ck_assert_int_eq(brk_scan_match_raw(b, p, n, host, &rb), 0);
	same_result(&ra, &rb, what);
	if (n > 4096)
		return;
	ck_assert_int_eq(tu_stream(a, p, n, 1, host, &ra), 0);
	ck_assert_int_eq(tu_stream(b, p, n, 1, host, &rb), 0);
	same_result(&ra, &rb, what);
}

static void agree_corpus(const struct brk_scan_engine *a, const struct brk_scan_engine *b,
			 const char *sub)
{
	char dir[1024], path[2048];
	DIR *d;
	struct dirent *de;
	size_t len;
	uint8_t *p;

	snprintf(dir, sizeof(dir), "%s/%s", SCAN_CORPUS_DIR, sub);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		p = slurp(path, &len);
		agree(a, b, p, len, NULL, de->d_name);
		free(p);
	}
	closedir(d);
}

START_TEST(hit_equals_fresh)
{
	struct brk_scan_canary c[BRK_SCAN_CANARY_SHAPES];
	const char *vals[BRK_SCAN_CANARY_SHAPES];
	char *dir = tmpdir(), path[4096];
	struct brk_scan_engine *fresh, *miss, *hit;
	struct stat st;
	uint8_t *file;
	size_t i, k, len;

	fresh = engine_in("", NULL, 0);
	i = strcmp(brk_scan_engine_matcher(fresh), "hyperscan");
	brk_scan_engine_free(fresh);
	if (i)
		return;  /* the fallback matcher compiles nothing and caches nothing */
	ck_assert_int_eq(brk_scan_canary_generate(c, BRK_SCAN_CANARY_SHAPES, NULL, NULL),
			 BRK_SCAN_CANARY_SHAPES);
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++)
		vals[i] = c[i].value;
	fresh = engine_in("", vals, BRK_SCAN_CANARY_SHAPES);
	ck_assert_int_eq(brk_scan_engine_cached(fresh), 0);
	miss = engine_in(dir, vals, BRK_SCAN_CANARY_SHAPES);
	ck_assert_int_eq(brk_scan_engine_cached(miss), 0);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* a per-session secret never lands in the shared file */
	file = slurp(path, &len);
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++)
		ck_assert_ptr_null(memmem(file, len, c[i].value, strlen(c[i].value)));
	free(file);
	/* other canaries, same cache entry */
	ck_assert_int_eq(brk_scan_canary_generate(c, BRK_SCAN_CANARY_SHAPES, NULL, NULL),
			 BRK_SCAN_CANARY_SHAPES);
	brk_scan_engine_free(fresh);
	fresh = engine_in("", vals, BRK_SCAN_CANARY_SHAPES);
	hit = engine_in(dir, vals, BRK_SCAN_CANARY_SHAPES);
	ck_assert_int_eq(brk_scan_engine_cached(hit), 1);
	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		for (k = 0; d->pos && d->pos[k]; k++) {
			struct tu_buf b = { 0 }, x;

			agree(fresh, hit, (const uint8_t *)d->pos[k], strlen(d->pos[k]), NULL, d->id);
			agree(fresh, hit, (const uint8_t *)d->pos[k], strlen(d->pos[k]),
			      d->home ? d->home[0] : NULL, d->id);
			/* through a decode layer too */
			x = tu_b64(d->pos[k], strlen(d->pos[k]), 0, 1, 0);
			tu_cats(&b, "token=");
			tu_cat(&b, x.p, x.len);
			agree(fresh, hit, b.p, b.len, NULL, d->id);
			free(x.p);
			free(b.p);
		}
		for (k = 0; d->neg && d->neg[k]; k++)
			agree(fresh, hit, (const uint8_t *)d->neg[k], strlen(d->neg[k]), NULL, d->id);
	}
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++) {
		struct brk_scan_result r;

		agree(fresh, hit, (const uint8_t *)c[i].value, strlen(c[i].value), NULL, "canary");
		ck_assert_int_eq(brk_scan_buffer(hit, (const uint8_t *)c[i].value,
						 strlen(c[i].value), NULL, &r), 0);
		ck_assert(r.blocked && r.nfindings && r.findings[0].canary);
	}
	agree_corpus(fresh, hit, "pos");
	agree_corpus(fresh, hit, "benign");
	brk_scan_engine_free(fresh);
	brk_scan_engine_free(miss);
	brk_scan_engine_free(hit);
	rmtree(dir);
	free(dir);
}
END_TEST

/* A cache-built engine still finds a GitHub token. */
static void still_detects(const struct brk_scan_engine *e)
{
	struct brk_scan_result r;

	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)GH, strlen(GH), NULL, &r), 0);
	ck_assert(tu_has(&r, "github-pat") && r.blocked);
}

/* The entry is ignored (engine compiled), then rewritten (next one hits). */
static void ignored_then_rebuilt(const char *dir)
{
	struct brk_scan_engine *e = engine_in(dir, NULL, 0);

	ck_assert_int_eq(brk_scan_engine_cached(e), 0);
	still_detects(e);
	brk_scan_engine_free(e);
	e = engine_in(dir, NULL, 0);
	ck_assert_int_eq(brk_scan_engine_cached(e), 1);
	still_detects(e);
	brk_scan_engine_free(e);
}

START_TEST(corrupt_ignored)
{
	char *dir = tmpdir(), path[4096];
	uint8_t key[BRK_SCAN_CACHE_KEYLEN], *blob;
	struct brk_scan_engine *e;
	uint8_t *p;
	size_t len, blen;

	e = engine_in(dir, NULL, 0);
	if (strcmp(brk_scan_engine_matcher(e), "hyperscan")) {
		brk_scan_engine_free(e);
		return;
	}
	brk_scan_engine_free(e);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	key_of(path, key);
	p = slurp(path, &len);
	/* one bit in the middle of the database: the digest catches it */
	p[len / 2] ^= 0x10;
	spit(path, p, len);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -EBADMSG);
	ignored_then_rebuilt(dir);
	/* one bit in the length field */
	p[len / 2] ^= 0x10;
	p[8 + BRK_SCAN_CACHE_KEYLEN] ^= 0x01;
	spit(path, p, len);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -EBADMSG);
	ignored_then_rebuilt(dir);
	p[8 + BRK_SCAN_CACHE_KEYLEN] ^= 0x01;
	/* the original bytes load again */
	spit(path, p, len);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), 0);
	free(blob);
	/* truncated */
	spit(path, p, len / 3);
	ignored_then_rebuilt(dir);
	/* empty, and garbage of the right size */
	spit(path, p, 0);
	ignored_then_rebuilt(dir);
	memset(p, 'A', len);
	spit(path, p, len);
	ignored_then_rebuilt(dir);
	free(p);
	rmtree(dir);
	free(dir);
}
END_TEST

/* The digest is skipped only for the very file it was checked on: its
 * stamp (written once the file is a second old) no longer matches after
 * a rewrite in place, of the same size, a second later or at once. */
START_TEST(stamp_only_same_file)
{
	char *dir = tmpdir(), path[4096], sp[4200];
	uint8_t key[BRK_SCAN_CACHE_KEYLEN], *p;
	struct brk_scan_cache_map m;
	struct brk_scan_engine *e;
	struct stat st;
	size_t len;

	e = engine_in(dir, NULL, 0);
	if (strcmp(brk_scan_engine_matcher(e), "hyperscan")) {
		brk_scan_engine_free(e);
		return;
	}
	brk_scan_engine_free(e);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	key_of(path, key);
	snprintf(sp, sizeof(sp), "%s/ok-%.64s", dir, strrchr(path, '/') + 4);
	/* a fresh file gets no stamp */
	ck_assert_int_eq(brk_scan_cache_map(dir, key, &m), 0);
	brk_scan_cache_unmap(&m);
	ck_assert_int_ne(stat(sp, &st), 0);
	usleep(1100 * 1000);
	ck_assert_int_eq(brk_scan_cache_map(dir, key, &m), 0);
	brk_scan_cache_unmap(&m);
	ck_assert_int_eq(stat(sp, &st), 0);
	ck_assert_int_eq(brk_scan_cache_map(dir, key, &m), 0);   /* by the stamp */
	brk_scan_cache_unmap(&m);
	/* one bit flipped in place: same inode, same size, the stamp stays */
	p = slurp(path, &len);
	p[len / 2] ^= 0x10;
	spit(path, p, len);
	ck_assert_int_eq(brk_scan_cache_map(dir, key, &m), -EBADMSG);
	usleep(1100 * 1000);
	ck_assert_int_eq(brk_scan_cache_map(dir, key, &m), -EBADMSG);
	/* the engine does not take it either */
	ignored_then_rebuilt(dir);
	free(p);
	rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(wrong_key_ignored)
{
	char *dir = tmpdir(), path[4096], other[4096];
	uint8_t key[BRK_SCAN_CACHE_KEYLEN], k2[BRK_SCAN_CACHE_KEYLEN], *blob, *b2;
	struct brk_scan_engine *e;
	size_t blen, b2len;

	e = engine_in(dir, NULL, 0);
	if (strcmp(brk_scan_engine_matcher(e), "hyperscan")) {
		brk_scan_engine_free(e);
		return;
	}
	brk_scan_engine_free(e);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	key_of(path, key);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), 0);
	/* another build's entry (other key, valid digest) under our name */
	memcpy(k2, key, sizeof(k2));
	k2[0] ^= 1;
	ck_assert_int_eq(brk_scan_cache_store(dir, k2, blob, blen), 0);
	ck_assert_int_eq(brk_scan_cache_path(dir, k2, other, sizeof(other)), 0);
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert_int_eq(brk_scan_cache_load(dir, k2, &b2, &b2len), -ENOENT);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &b2, &b2len), -EBADMSG);
	ck_assert_ptr_null(b2);
	free(blob);
	ignored_then_rebuilt(dir);
	rmtree(dir);
	free(dir);
}
END_TEST

#ifdef HAVE_HYPERSCAN
/* A well-formed entry under the right key whose database is not ours
 * (what a process of the same user could write): the self-test fails, the
 * engine compiles and finds the token anyway, the entry is rewritten. */
START_TEST(forged_ignored)
{
	const char *expr[] = { "zzzz" };
	unsigned flags[] = { 0 }, ids[] = { 0 };
	hs_database_t *s = NULL, *b = NULL;
	hs_compile_error_t *ce = NULL;
	char *dir = tmpdir(), path[4096], *sb = NULL, *bb = NULL;
	uint8_t key[BRK_SCAN_CACHE_KEYLEN], *blob;
	size_t sl, bl, k;
	struct brk_scan_engine *e;

	e = engine_in(dir, NULL, 0);
	if (strcmp(brk_scan_engine_matcher(e), "hyperscan")) {
		brk_scan_engine_free(e);
		return;
	}
	brk_scan_engine_free(e);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	key_of(path, key);
	ck_assert_int_eq(hs_compile_multi(expr, flags, ids, 1, HS_MODE_STREAM, NULL, &s, &ce), HS_SUCCESS);
	ck_assert_int_eq(hs_compile_multi(expr, flags, ids, 1, HS_MODE_BLOCK, NULL, &b, &ce), HS_SUCCESS);
	ck_assert_int_eq(hs_serialize_database(s, &sb, &sl), HS_SUCCESS);
	ck_assert_int_eq(hs_serialize_database(b, &bb, &bl), HS_SUCCESS);
	blob = malloc(8 + sl + bl);
	for (k = 0; k < 8; k++)
		blob[k] = (uint8_t)((uint64_t)sl >> (8 * k));
	memcpy(blob + 8, sb, sl);
	memcpy(blob + 8 + sl, bb, bl);
	ck_assert_int_eq(brk_scan_cache_store(dir, key, blob, 8 + sl + bl), 0);
	ignored_then_rebuilt(dir);
	free(blob);
	free(sb);
	free(bb);
	hs_free_database(s);
	hs_free_database(b);
	rmtree(dir);
	free(dir);
}
END_TEST
#endif

START_TEST(untrusted_ignored)
{
	char *dir = tmpdir(), path[4096], sub[4200], lnk[4300];
	uint8_t key[BRK_SCAN_CACHE_KEYLEN], *blob;
	struct brk_scan_engine *e;
	size_t blen;

	e = engine_in(dir, NULL, 0);
	if (strcmp(brk_scan_engine_matcher(e), "hyperscan")) {
		brk_scan_engine_free(e);
		return;
	}
	brk_scan_engine_free(e);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	key_of(path, key);
	/* the directory is created 0700 */
	snprintf(sub, sizeof(sub), "%s/a/b/dlpjail", dir);
	e = engine_in(sub, NULL, 0);
	brk_scan_engine_free(e);
	{
		struct stat st;

		ck_assert_int_eq(stat(sub, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0700);
	}
	/* a file others may write */
	ck_assert_int_eq(chmod(path, 0622), 0);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -EPERM);
	e = engine_in(dir, NULL, 0);
	ck_assert_int_eq(brk_scan_engine_cached(e), 0);
	still_detects(e);
	brk_scan_engine_free(e);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), 0);
	free(blob);
	/* a directory others may write: neither read nor written */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -EPERM);
	ck_assert_int_eq(brk_scan_cache_store(dir, key, (const uint8_t *)"x", 1), -EPERM);
	e = engine_in(dir, NULL, 0);
	ck_assert_int_eq(brk_scan_engine_cached(e), 0);
	brk_scan_engine_free(e);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	/* a symlink to a valid entry */
	snprintf(lnk, sizeof(lnk), "%s.real", path);
	ck_assert_int_eq(rename(path, lnk), 0);
	ck_assert_int_eq(symlink(lnk, path), 0);
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -EPERM);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rename(lnk, path), 0);
	/* someone else's file (root only: chown) */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -EPERM);
		ck_assert_int_eq(chown(path, 0, 0), 0);
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -EPERM);
		ck_assert_int_eq(chown(dir, 0, 0), 0);
	}
	/* a cache directory that cannot exist: the engine works without it */
	snprintf(sub, sizeof(sub), "%s/dlpjail", path);
	e = engine_in(sub, NULL, 0);
	ck_assert_int_eq(brk_scan_engine_cached(e), 0);
	still_detects(e);
	brk_scan_engine_free(e);
	/* a missing entry */
	key[1] ^= 1;
	ck_assert_int_eq(brk_scan_cache_load(dir, key, &blob, &blen), -ENOENT);
	rmtree(dir);
	free(dir);
}
END_TEST

struct bg_arg {
	const struct brk_scan_engine *e;
	int found;
};

static void *bg_scan(void *vp)
{
	struct bg_arg *a = vp;
	struct brk_scan_result r;

	if (brk_scan_buffer(a->e, (const uint8_t *)GH, strlen(GH), NULL, &r) == 0)
		a->found = tu_has(&r, "github-pat") && r.blocked;
	return NULL;
}

/* cfg.lazy: nothing is loaded, compiled or cached until the first scan;
 * the known secrets and canaries added before it are found after it;
 * threads racing for the set-up all get the ready engine, set up once. */
START_TEST(lazy_setup)
{
	static const char kv[] = "Zr8u1kQ3pLm5Nx7Vb9Cd2Fg4Hj6Kl8Mn0Pq";
	static const char can[] = "AKIAIOSFODNN7CANARYQ";
	const char *cans[] = { can };
	char *dir = tmpdir(), path[4096];
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;
	struct brk_scan_known k = { .value = (const uint8_t *)kv, .len = sizeof(kv) - 1 };
	struct brk_scan_result r;
	struct bg_arg a[4];
	pthread_t t[4];
	unsigned long before = brk_scan_engine_setups();
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.cache_dir = dir;
	cfg.background = 1;
	cfg.known_follows = 1;
	cfg.lazy = 1;
	cfg.canaries = cans;
	cfg.ncanaries = 1;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	ck_assert_int_eq(brk_scan_engine_add_known(e, &k, 1), 0);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 0);
	ck_assert_int_eq(brk_scan_engine_cached(e), 0);
	ck_assert_uint_eq(brk_scan_engine_setups(), before);
	for (i = 0; i < 4; i++) {
		a[i].e = e;
		a[i].found = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, bg_scan, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(a[i].found, "thread %zu", i);
	}
	ck_assert_uint_eq(brk_scan_engine_setups(), before + 1);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)kv, sizeof(kv) - 1, "x.test", &r), 0);
	ck_assert(r.blocked);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)can, sizeof(can) - 1, "x.test", &r), 0);
	ck_assert(r.blocked && r.nfindings && r.findings[0].canary);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)"hello", 5, "x.test", &r), 0);
	ck_assert(!r.blocked);
	ck_assert_int_eq(brk_scan_engine_wait(e), 0);
	if (!strcmp(brk_scan_engine_matcher(e), "hyperscan"))
		ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	ck_assert_uint_eq(brk_scan_engine_setups(), before + 1);
	brk_scan_engine_free(e);
	/* one never used: freed without a set-up */
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	ck_assert_int_eq(brk_scan_engine_add_known(e, &k, 1), 0);
	brk_scan_engine_free(e);
	ck_assert_uint_eq(brk_scan_engine_setups(), before + 1);
	rmtree(dir);
	free(dir);
}
END_TEST

/*
 * A lazy engine builds the trigger literals at its first use, not when it
 * is made (they were two thirds of every dlpjail start), and then holds the
 * same database as an eager one: the eager engine's cache entry serves it
 * (same patterns, same order: same key), and a token under an encoding
 * only a trigger finds (rot47) is found.
 */
START_TEST(lazy_triggers)
{
	const struct brk_scan_det *gh = brk_scan_det_find("github-pat");
	char *dir = tmpdir(), rot[128];
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;
	struct brk_scan_result r;
	size_t i, n = strlen(gh->pos[0]), ntrig;

	ck_assert_uint_lt(n, sizeof(rot));
	for (i = 0; i < n; i++)
		rot[i] = (char)(33 + ((unsigned char)gh->pos[0][i] - 33 + 47) % 94);
	rot[n] = '\0';
	memset(&cfg, 0, sizeof(cfg));
	cfg.cache_dir = dir;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	if (strcmp(brk_scan_engine_matcher(e), "hyperscan") != 0) {
		brk_scan_engine_free(e);
		rmtree(dir);
		free(dir);
		return;   /* the plain matcher goes without triggers */
	}
	ntrig = brk_scan_engine_triggers(e);
	ck_assert_uint_gt(ntrig, 1000);
	ck_assert_int_eq(brk_scan_engine_wait(e), 0);
	brk_scan_engine_free(e);

	cfg.lazy = 1;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	ck_assert_uint_eq(brk_scan_engine_triggers(e), 0);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)rot, n, "evil.example", &r), 0);
	ck_assert_msg(tu_has(&r, "github-pat") && r.blocked, "rot47 token not blocked");
	ck_assert_uint_eq(brk_scan_engine_triggers(e), ntrig);
	ck_assert_int_eq(brk_scan_engine_cached(e), 1);
	brk_scan_engine_free(e);
	rmtree(dir);
	free(dir);
}
END_TEST

/* cfg.background: a miss returns at once; scans from several threads wait
 * for the compile and find what a synchronous engine finds; the entry is
 * written; freeing an engine whose compile is in flight is safe. */
START_TEST(background_compile)
{
	char *dir = tmpdir(), path[4096];
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL, *sync;
	struct bg_arg a[4];
	pthread_t t[4];
	size_t i;

	sync = engine_in("", NULL, 0);
	if (strcmp(brk_scan_engine_matcher(sync), "hyperscan")) {
		brk_scan_engine_free(sync);
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.cache_dir = dir;
	cfg.background = 1;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	ck_assert_int_eq(brk_scan_engine_cached(e), 0);
	for (i = 0; i < 4; i++) {
		a[i].e = e;
		a[i].found = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, bg_scan, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(a[i].found, "thread %zu", i);
	}
	ck_assert_int_eq(brk_scan_engine_wait(e), 0);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];
		size_t k;

		for (k = 0; d->pos && d->pos[k]; k++)
			agree(sync, e, (const uint8_t *)d->pos[k], strlen(d->pos[k]), NULL, d->id);
	}
	brk_scan_engine_free(e);
	/* a hit is synchronous; then a miss freed while compiling */
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	ck_assert_int_eq(brk_scan_engine_cached(e), 1);
	brk_scan_engine_free(e);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	brk_scan_engine_free(e);
	ck_assert_int_eq(entry(dir, path, sizeof(path)), 1);
	brk_scan_engine_free(sync);
	rmtree(dir);
	free(dir);
}
END_TEST

/* Other builds' entries are bounded: the 8 newest stay, stale temporary
 * files go, files that are not entries are left alone. */
START_TEST(prune_old_entries)
{
	char *dir = tmpdir(), path[4096];
	uint8_t key[BRK_SCAN_CACHE_KEYLEN];
	struct timespec ts[2];
	struct stat st;
	size_t i;
	int kept = 0;

	for (i = 0; i < 12; i++) {
		memset(key, (int)i + 1, sizeof(key));
		ck_assert_int_eq(brk_scan_cache_store(dir, key, (const uint8_t *)"x", 1), 0);
		ck_assert_int_eq(brk_scan_cache_path(dir, key, path, sizeof(path)), 0);
		ts[0].tv_sec = ts[1].tv_sec = 1000000 + (time_t)i * 1000;  /* i = 11 newest */
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	}
	snprintf(path, sizeof(path), "%s/.hs-deadbeef.tmp", dir);
	spit(path, (const uint8_t *)"y", 1);
	ts[0].tv_sec = ts[1].tv_sec = 1000;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	snprintf(path, sizeof(path), "%s/README", dir);
	spit(path, (const uint8_t *)"z", 1);
	memset(key, 0xee, sizeof(key));
	ck_assert_int_eq(brk_scan_cache_store(dir, key, (const uint8_t *)"x", 1), 0);
	for (i = 0; i < 12; i++) {
		memset(key, (int)i + 1, sizeof(key));
		ck_assert_int_eq(brk_scan_cache_path(dir, key, path, sizeof(path)), 0);
		if (stat(path, &st) == 0) {
			kept++;
			ck_assert_msg(i >= 5, "entry %zu (old) kept", i);
		}
	}
	ck_assert_int_eq(kept, 7);  /* + the new one = 8 */
	memset(key, 0xee, sizeof(key));
	ck_assert_int_eq(brk_scan_cache_path(dir, key, path, sizeof(path)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/.hs-deadbeef.tmp", dir);
	ck_assert_int_ne(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/README", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(default_dir)
{
	char d[256], *ox = getenv("XDG_CACHE_HOME"), *oh = getenv("HOME");

	ox = ox ? strdup(ox) : NULL;
	oh = oh ? strdup(oh) : NULL;
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	ck_assert_int_eq(brk_scan_cache_default_dir(d, sizeof(d)), 0);
	ck_assert_str_eq(d, "/x/cache/dlpjail");
	setenv("XDG_CACHE_HOME", "relative", 1);  /* invalid per XDG: ignored */
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(brk_scan_cache_default_dir(d, sizeof(d)), 0);
	ck_assert_str_eq(d, "/home/u/.cache/dlpjail");
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	ck_assert_int_eq(brk_scan_cache_default_dir(d, sizeof(d)), -ENOENT);
	ck_assert_int_eq(brk_scan_cache_default_dir(d, 4), -ENOENT);
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(brk_scan_cache_default_dir(d, 8), -ENAMETOOLONG);
	if (ox)
		setenv("XDG_CACHE_HOME", ox, 1);
	if (oh)
		setenv("HOME", oh, 1);
	else
		unsetenv("HOME");
	free(ox);
	free(oh);
}
END_TEST

Suite *scan_cache_suite(void)
{
	Suite *s = suite_create("scan_cache");
	TCase *tc = tcase_create("cache");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hit_equals_fresh);
	tcase_add_test(tc, corrupt_ignored);
	tcase_add_test(tc, stamp_only_same_file);
	tcase_add_test(tc, wrong_key_ignored);
#ifdef HAVE_HYPERSCAN
	tcase_add_test(tc, forged_ignored);
#endif
	tcase_add_test(tc, untrusted_ignored);
	tcase_add_test(tc, background_compile);
	tcase_add_test(tc, lazy_setup);
	tcase_add_test(tc, lazy_triggers);
	tcase_add_test(tc, prune_old_entries);
	tcase_add_test(tc, default_dir);
	suite_add_tcase(s, tc);
	return s;
}
