/* SPDX-License-Identifier: MIT */
/*
 * scan_engine_test.c - engine behaviour through scan.h: home-domain scope
 * and policy extras, canary generation and matching, redaction, streams,
 * threads, and the `dlpjail scan` exit codes.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"
#include "broker/scan/scan.h"
#include "t/unit/scan_testutil.h"

static const char GH[] = "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";
static const char NPM[] = "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";

static void scan_to(const struct brk_scan_engine *e, const char *s, const char *host,
		    struct brk_scan_result *r)
{
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)s, strlen(s), host, r), 0);
}

START_TEST(scope_home_domains)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct brk_scan_result r;
	char buf[256];

	snprintf(buf, sizeof(buf), "GET /pkg HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", NPM);
	scan_to(e, buf, "registry.npmjs.org", &r);
	ck_assert(tu_has(&r, "npm-token"));
	ck_assert_int_eq(r.blocked, 0);  /* the generic bearer finding is covered */
	scan_to(e, buf, "REGISTRY.NPMJS.ORG.", &r);
	ck_assert_int_eq(r.blocked, 0);
	scan_to(e, buf, "registry.npmjs.org.evil.example", &r);
	ck_assert_int_eq(r.blocked, 1);
	scan_to(e, buf, NULL, &r);
	ck_assert_int_eq(r.blocked, 1);
	scan_to(e, GH, "api.github.com", &r);
	ck_assert_int_eq(r.blocked, 0);
	ck_assert_int_eq(r.findings[0].in_scope, 1);
	scan_to(e, GH, "gist.githubusercontent.com", &r);
	ck_assert_int_eq(r.blocked, 1);
	scan_to(e, GH, "registry.npmjs.org", &r);   /* wrong home */
	ck_assert_int_eq(r.blocked, 1);
	/* a home suffix that tenants can register under is not a home */
	scan_to(e, "AIzaSyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU1v", "maps.googleapis.com", &r);
	ck_assert(tu_has(&r, "gcp-api-key"));
	ck_assert_int_eq(r.blocked, 0);
	scan_to(e, "AIzaSyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU1v", "storage.googleapis.com", &r);
	ck_assert_int_eq(r.blocked, 1);
	scan_to(e, "AKIAQWERTYUIOPASDF23", "sts.amazonaws.com", &r);
	ck_assert_int_eq(r.blocked, 0);
	scan_to(e, "AKIAQWERTYUIOPASDF23", "attacker-bucket.s3.amazonaws.com", &r);
	ck_assert_int_eq(r.blocked, 1);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(extra_homes)
{
	const char *homes[] = { "gitlab-pat=gitlab.example.com", "npm-token=*.corp.example" };
	const char *bad[] = { "no-such-detector=x.example" };
	const char *bad2[] = { "gitlab-pat" };
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;
	struct brk_scan_result r;
	char buf[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.extra_home = homes;
	cfg.nextra_home = 2;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	snprintf(buf, sizeof(buf), "PRIVATE-TOKEN: glpat-%s", "Ab3dEf6hIj9kLm2nOp5q");
	scan_to(e, buf, "gitlab.example.com", &r);
	ck_assert(tu_has(&r, "gitlab-pat"));
	ck_assert_int_eq(r.blocked, 0);
	scan_to(e, buf, "gitlab.com", &r);         /* built-in home still there */
	ck_assert_int_eq(r.blocked, 0);
	scan_to(e, buf, "gitlab.evil.example", &r);
	ck_assert_int_eq(r.blocked, 1);
	scan_to(e, NPM, "npm.corp.example", &r);
	ck_assert_int_eq(r.blocked, 0);
	scan_to(e, NPM, "corp.example", &r);       /* *.x is subdomains only */
	ck_assert_int_eq(r.blocked, 1);
	brk_scan_engine_free(e);
	cfg.extra_home = bad;
	cfg.nextra_home = 1;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), -EINVAL);
	cfg.extra_home = bad2;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), -EINVAL);
}
END_TEST

START_TEST(canaries_realistic)
{
	struct brk_scan_canary c[BRK_SCAN_CANARY_SHAPES * 2];
	const uint8_t seed[32] = { 1, 2, 3 };
	struct brk_scan_engine *plain = tu_engine(0, NULL, 0);
	size_t i, j, n = BRK_SCAN_CANARY_SHAPES * 2;
	int prefix_shared = 1;

	ck_assert_int_eq(brk_scan_canary_generate(c, n, seed, NULL), (int)n);
	for (i = 0; i < n; i++) {
		struct brk_scan_result r;
		char buf[400];

		ck_assert_ptr_nonnull(c[i].detector);
		ck_assert_ptr_nonnull(brk_scan_det_find(c[i].detector));
		ck_assert(strlen(c[i].name) >= 6);
		if (i && strncmp(c[i].name, c[0].name, 3) != 0)
			prefix_shared = 0;
		/* each value passes its own detector (as an env assignment) */
		snprintf(buf, sizeof(buf), "%s=%s\n", c[i].name, c[i].value);
		scan_to(plain, buf, NULL, &r);
		ck_assert_msg(tu_has(&r, c[i].detector), "canary %s does not look like %s",
			      c[i].name, c[i].detector);
		if (strcmp(c[i].detector, "aws-access-key-id") == 0)
			ck_assert_uint_eq(strspn(c[i].value + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 16);
		if (!strncmp(c[i].value, "ghp_", 4) || !strncmp(c[i].value, "npm_", 4))
			ck_assert(brk_scan_verify_crc32_b62((const uint8_t *)c[i].value, 40, 4));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(c[i].value, c[j].value);
	}
	ck_assert_msg(!prefix_shared, "canary names share a prefix");
	/* unseeded: random */
	ck_assert_int_eq(brk_scan_canary_generate(c, 2, NULL, NULL), 2);
	ck_assert_int_eq(brk_scan_canary_generate(c, 0, NULL, NULL), -EINVAL);
	brk_scan_engine_free(plain);
}
END_TEST

START_TEST(canary_matching)
{
	struct brk_scan_canary c[BRK_SCAN_CANARY_SHAPES];
	const char *vals[BRK_SCAN_CANARY_SHAPES];
	struct brk_scan_engine *e, *f;
	struct brk_scan_result r;
	struct tu_buf b = { 0 }, v;
	char rc[160];
	size_t i, npm = 0;

	ck_assert_int_eq(brk_scan_canary_generate(c, BRK_SCAN_CANARY_SHAPES, NULL, NULL), BRK_SCAN_CANARY_SHAPES);
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++) {
		vals[i] = c[i].value;
		if (!strcmp(c[i].detector, "npm-token"))
			npm = i;
	}
	e = tu_engine(0, vals, BRK_SCAN_CANARY_SHAPES);
	f = tu_engine(1, vals, BRK_SCAN_CANARY_SHAPES);
	/* the AWS secret has no prefix: only the canary can catch it bare */
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++) {
		scan_to(e, c[i].value, NULL, &r);
		ck_assert_msg(r.blocked && r.nfindings && r.findings[0].canary, "canary %zu", i);
		scan_to(f, c[i].value, NULL, &r);
		ck_assert(r.blocked && r.findings[0].canary);
	}
	/* even to its home domain a canary is blocked */
	scan_to(e, c[npm].value, "registry.npmjs.org", &r);
	ck_assert_int_eq(r.blocked, 1);
	/* hex in a query string, streamed one byte per write */
	tu_cats(&b, "GET /?d=");
	v = tu_hex(c[3].value, strlen(c[3].value), 0);
	tu_cat(&b, v.p, v.len);
	tu_cats(&b, " HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(tu_stream(e, b.p, b.len, 1, NULL, &r), 0);
	ck_assert(r.blocked);
	ck_assert_int_eq(tu_stream(e, c[3].value, strlen(c[3].value), 1, NULL, &r), 0);
	ck_assert(r.blocked && r.findings[0].canary);
	ck_assert_int_gt(brk_scan_canary_npmrc(&c[npm], rc, sizeof(rc)), 0);
	free(v.p);
	free(b.p);
	brk_scan_engine_free(e);
	brk_scan_engine_free(f);
}
END_TEST

START_TEST(redaction)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct brk_scan_result r;
	char want[DLP_REDACT_MAX];

	scan_to(e, GH, NULL, &r);
	ck_assert_uint_eq(r.nfindings, 1);
	dlp_redact((const uint8_t *)GH, strlen(GH), want, sizeof(want));
	ck_assert_str_eq(r.findings[0].redacted, want);
	ck_assert_ptr_null(strstr(r.findings[0].redacted, GH + 4));
	ck_assert(strncmp(r.findings[0].redacted, "ghp_\xe2\x80\xa2", 7) == 0);
	ck_assert_ptr_nonnull(strstr(r.findings[0].redacted, "(len=40)"));
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(stream_splits)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct brk_scan_result r;
	struct tu_buf b = { 0 };
	size_t chunk, i;

	/* the token far into a long stream, every chunk size 1..17 */
	for (i = 0; i < 3000; i++)
		tu_cats(&b, "lorem ipsum dolor ");
	tu_cats(&b, GH);
	tu_cats(&b, "\n");
	for (chunk = 1; chunk <= 17; chunk++) {
		ck_assert_int_eq(tu_stream(e, b.p, b.len, chunk, NULL, &r), 0);
		ck_assert_msg(tu_has(&r, "github-pat"), "chunk %zu", chunk);
		ck_assert_uint_eq(r.nfindings, 1);  /* reported once */
	}
	free(b.p);
	brk_scan_engine_free(e);
}
END_TEST

/* Feed p in chunk-byte writes, never flushed: what the relay forwards
 * before the connection ends. 1 if detector id was found. */
static int feed_unflushed(const struct brk_scan_engine *e, const uint8_t *p, size_t n,
			  size_t chunk, const char *id)
{
	struct brk_scan_stream *s = NULL;
	struct brk_scan_result r;
	size_t off, k;
	int found = 0;

	ck_assert_int_eq(brk_scan_stream_open(e, &s), 0);
	for (off = 0; off < n; off += k) {
		k = n - off < chunk ? n - off : chunk;
		ck_assert_int_eq(brk_scan_stream_feed(s, p + off, k, NULL, &r), 0);
		found |= tu_has(&r, id);
	}
	brk_scan_stream_close(s);
	return found;
}

START_TEST(stream_long_run)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	struct tu_buf plain = { 0 }, b = { 0 }, enc;
	size_t i, pre;

	/* a token deep inside one base64 run longer than a decode window
	 * reaches back over (4 KiB), at every alignment of the run: the
	 * windows start inside the run, so only a pass over the whole
	 * message decodes it in step (egress, no flush: the passes as the
	 * message doubles, not the 4 MiB limit) */
	for (i = 0; i < 600; i++)
		tu_cats(&plain, "lorem ipsum dolor ");
	tu_cats(&plain, GH);
	for (i = 0; i < 150; i++)
		tu_cats(&plain, " sit amet");
	enc = tu_b64(plain.p, plain.len, 0, 1, 0);
	for (pre = 0; pre < 4; pre++) {
		b.len = 0;
		tu_cats(&b, "{\"d\":\"");
		for (i = 0; i < pre; i++)
			tu_cats(&b, " ");
		tu_cat(&b, enc.p, enc.len);
		tu_cats(&b, "\"}");
		for (i = 0; i < 1000; i++)   /* what follows, before any flush */
			tu_cats(&b, " {\"ok\": true, \"n\": 12}\n");
		ck_assert_msg(feed_unflushed(e, b.p, b.len, 1024, "github-pat"), "pre %zu", pre);
	}
	/* plain text past the 4 MiB message limit: windows go on */
	b.len = 0;
	tu_fill(&b, "{\"name\": \"package-1\", \"ok\": true},\n", 5u << 20);
	free(enc.p);
	enc = tu_b64(GH, strlen(GH), 0, 1, 0);
	tu_cats(&b, "{\"t\": \"");
	tu_cat(&b, enc.p, enc.len);
	tu_cats(&b, "\"}\n");
	ck_assert(feed_unflushed(e, b.p, b.len, 65536, "github-pat"));
	free(plain.p);
	free(b.p);
	free(enc.p);
	brk_scan_engine_free(e);
}
END_TEST

/* Filler of n bytes in chunk-byte feeds, then tok split after k bytes
 * across two feeds (a flush between them with flush), then text. 1 if
 * detector id was found in any result. */
static int feed_split_token(const struct brk_scan_engine *e, int dir, size_t n, size_t chunk,
			    const char *tok, size_t k, int flush, const char *id)
{
	struct brk_scan_stream *s = NULL;
	struct brk_scan_result r;
	struct tu_buf f = { 0 }, a = { 0 }, b = { 0 };
	size_t off, c;
	int found = 0;

	tu_fill(&f, "{\"name\": \"package-1\", \"ok\": true},\n", n);
	tu_cats(&a, " t=");
	tu_cat(&a, tok, k);
	tu_cats(&b, tok + k);
	tu_cats(&b, " ok                              \n");
	ck_assert_int_eq(brk_scan_stream_open_dir(e, dir, &s), 0);
	for (off = 0; off < f.len; off += c) {
		c = f.len - off < chunk ? f.len - off : chunk;
		ck_assert_int_eq(brk_scan_stream_feed(s, f.p + off, c, NULL, &r), 0);
		found |= tu_has(&r, id);
	}
	ck_assert_int_eq(brk_scan_stream_feed(s, a.p, a.len, NULL, &r), 0);
	found |= tu_has(&r, id);
	if (flush) {
		ck_assert_int_eq(brk_scan_stream_feed(s, NULL, 0, NULL, &r), 0);
		found |= tu_has(&r, id);
	}
	ck_assert_int_eq(brk_scan_stream_feed(s, b.p, b.len, NULL, &r), 0);
	found |= tu_has(&r, id);
	ck_assert_int_eq(brk_scan_stream_feed(s, NULL, 0, NULL, &r), 0);
	found |= tu_has(&r, id);
	brk_scan_stream_close(s);
	free(f.p);
	free(a.p);
	free(b.p);
	return found;
}

START_TEST(stream_window_in_msg)
{
	static const char *const can[] = { "dlpcanary-7f3a9c2e1b" };
	struct brk_scan_engine *e = tu_engine(0, NULL, 0), *ec = tu_engine(0, can, 1);
	/* the next feed after "A" goes past the 4 MiB message limit */
	size_t at_limit = BRK_SCAN_STREAM_MSG_MAX - 3 - 40 - 10;
	static const size_t ks[] = { 1, 4, 21, 39 };
	char bad[sizeof(GH)];
	size_t i, j;

	/* A raw token whose first part is in the window from the feed before,
	 * its match (and check) in the next feed: the window read from the
	 * message buffer's tail, and copied out of it first where msg loses
	 * it: a flush, the 4 MiB trim, ingress text trims */
	memcpy(bad, GH, sizeof(GH));
	bad[30] = '.';   /* close negative: the shape breaks 10 bytes early */
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		size_t k = ks[i];

		for (j = 0; j < 2; j++) {
			size_t chunk = j ? 1000 : 65536;

			ck_assert_msg(feed_split_token(e, BRK_SCAN_EGRESS, 100000, chunk, GH, k, 0, "github-pat"),
				      "egress k %zu chunk %zu", k, chunk);
			ck_assert_msg(feed_split_token(e, BRK_SCAN_EGRESS, 100000, chunk, GH, k, 1, "github-pat"),
				      "egress flush k %zu chunk %zu", k, chunk);
			ck_assert_msg(feed_split_token(ec, BRK_SCAN_INGRESS, 200000, chunk, GH, k, 0, "github-pat"),
				      "ingress k %zu chunk %zu", k, chunk);
			ck_assert_msg(!feed_split_token(e, BRK_SCAN_EGRESS, 100000, chunk, bad, k, 1, "github-pat"),
				      "close negative k %zu chunk %zu", k, chunk);
		}
		ck_assert_msg(feed_split_token(e, BRK_SCAN_EGRESS, at_limit, 65536, GH, k, 0, "github-pat"),
			      "4 MiB k %zu", k);
	}
	brk_scan_engine_free(e);
	brk_scan_engine_free(ec);
}
END_TEST

struct thr {
	const struct brk_scan_engine *e;
	int ok;
};

static void *worker(void *v)
{
	struct thr *t = v;
	struct brk_scan_result r;
	int i;

	t->ok = 1;
	for (i = 0; i < 200; i++) {
		if (brk_scan_buffer(t->e, (const uint8_t *)GH, strlen(GH), NULL, &r) < 0 || !tu_has(&r, "github-pat"))
			t->ok = 0;
	}
	return NULL;
}

START_TEST(threads_share_engine)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	pthread_t th[4];
	struct thr t[4];
	int i;

	for (i = 0; i < 4; i++) {
		t[i].e = e;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &t[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert(t[i].ok);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(cli_exit_codes)
{
	char pos[] = "/tmp/scan-test-pos-XXXXXX", neg[] = "/tmp/scan-test-neg-XXXXXX";
	int fd;
	char *a1[] = { "scan", "--json", "--dest", "api.github.com", pos, NULL };
	char *a2[] = { "scan", neg, NULL };
	char *a3[] = { "scan", "/nonexistent/file", NULL };
	char *a4[] = { "scan", "--bogus", NULL };
	char *a5[] = { "scan", "--chunk", "1", "--fallback", pos, NULL };
	char *a6[] = { "scan", "--json", "--dest", "example.com", pos, NULL };

	fd = mkstemp(pos);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, GH, strlen(GH)), (ssize_t)strlen(GH));
	close(fd);
	fd = mkstemp(neg);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello\n", 6), 6);
	close(fd);
	/* the exit status follows the verdict: a token at its home is shown,
	 * allowed, exit 0; the same token elsewhere would be blocked, 1 */
	ck_assert_int_eq(brk_scan_main(5, a1), 0);
	ck_assert_int_eq(brk_scan_main(5, a6), 1);
	ck_assert_int_eq(brk_scan_main(2, a2), 0);
	ck_assert_int_eq(brk_scan_main(2, a3), 2);
	ck_assert_int_eq(brk_scan_main(2, a4), 2);
	ck_assert_int_eq(brk_scan_main(5, a5), 1);
	unlink(pos);
	unlink(neg);
}
END_TEST

/* Received data: every finding is reported as received, none blocks. */
START_TEST(ingress_reports_only)
{
	static const char *const can[] = { "dlpcanary-ingress-9Zr4" };
	struct brk_scan_engine *e = tu_engine(0, can, 1);
	struct brk_scan_stream *s = NULL;
	struct brk_scan_result r;
	const char *msg = "HTTP/1.1 200 OK\r\n\r\nfixture ghp_abcdefghijklmnopqrstuvwxyz0123456789 "
			  "and dlpcanary-ingress-9Zr4 in a file\n";
	unsigned i;

	ck_assert_int_eq(brk_scan_buffer_dir(e, BRK_SCAN_INGRESS, (const uint8_t *)msg, strlen(msg),
					     "evil.example", &r), 0);
	ck_assert(tu_has(&r, "canary"));
	ck_assert(!r.blocked);
	for (i = 0; i < r.nfindings; i++)
		ck_assert(r.findings[i].received);
	ck_assert_int_eq(brk_scan_stream_open_dir(e, BRK_SCAN_INGRESS, &s), 0);
	ck_assert_int_eq(brk_scan_stream_feed(s, (const uint8_t *)msg, strlen(msg), "evil.example",
					      &r), 0);
	ck_assert(r.nfindings && !r.blocked && r.findings[0].received);
	brk_scan_stream_close(s);
	/* the same bytes outbound block, and are not marked received */
	ck_assert_int_eq(brk_scan_buffer_dir(e, BRK_SCAN_EGRESS, (const uint8_t *)msg, strlen(msg),
					     "evil.example", &r), 0);
	ck_assert(r.blocked && !r.findings[0].received);
	brk_scan_engine_free(e);
}
END_TEST

/* Encode v by scheme k (the trigger schemes of pat_trigger.c, built here
 * independently): the body a script hiding a token would send. */
static struct tu_buf trig_encode(int k, const char *v)
{
	struct tu_buf b = { 0 };
	size_t i, n = strlen(v);
	char t[16];

	for (i = 0; i < n; i++) {
		unsigned c = (unsigned char)v[i];

		switch (k) {
		case 0: t[0] = (char)(33 + (c - 33 + 47) % 94); t[1] = 0; break;     /* rot47 */
		case 1: snprintf(t, sizeof(t), "%%u%04X", c); break;                   /* percent-u */
		case 2: snprintf(t, sizeof(t), "\\%x ", c); break;                     /* css */
		case 3: snprintf(t, sizeof(t), "%s%o", i ? " " : "", c); break;        /* octal-list */
		case 4: snprintf(t, sizeof(t), "%s%c", i && i % 4 == 0 ? "-" : "", c); break; /* separated */
		default: snprintf(t, sizeof(t), "%s%u", i ? ", " : "", c); break;      /* decimal-list */
		}
		tu_cats(&b, t);
	}
	return b;
}

static const char *const trig_names[] = { "rot47", "percent-u", "css", "octal-list", "separated",
					  "decimal-list" };

/*
 * A token prefix under an encoding the decode graph makes no layer of
 * triggers a decode of its window (pat_trigger.h): found under the
 * detector's own name with the encoding as its layer, blocked away from
 * home and allowed at home, in a buffer and in a stream of 1-byte writes;
 * the same encodings of the detector's near misses (a wrong checksum)
 * give nothing.
 */
START_TEST(pattern_triggers)
{
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	const struct brk_scan_det *gh = brk_scan_det_find("github-pat");
	struct brk_scan_result r;
	int k;

	if (strcmp(brk_scan_engine_matcher(e), "hyperscan") != 0) {
		brk_scan_engine_free(e);
		return;   /* the plain matcher goes without triggers (scan.c) */
	}
	for (k = 0; k < 6; k++) {
		struct tu_buf b = trig_encode(k, gh->pos[0]), nb = trig_encode(k, gh->neg[0]);

		ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, "evil.example", &r), 0);
		ck_assert_msg(tu_has(&r, "github-pat") && r.blocked, "%s: not blocked", trig_names[k]);
		ck_assert_msg(strstr(r.findings[0].layers, trig_names[k]) != NULL, "%s: layers %s",
			      trig_names[k], r.findings[0].layers);
		ck_assert(strstr(r.findings[0].redacted, gh->pos[0] + 8) == NULL);
		ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, "api.github.com", &r), 0);
		ck_assert_msg(tu_has(&r, "github-pat") && !r.blocked, "%s: blocked at home",
			      trig_names[k]);
		ck_assert_int_eq(tu_stream(e, b.p, b.len, 1, "evil.example", &r), 0);
		ck_assert_msg(tu_has(&r, "github-pat") && r.blocked, "%s: stream", trig_names[k]);
		ck_assert_int_eq(brk_scan_buffer(e, nb.p, nb.len, "evil.example", &r), 0);
		ck_assert_msg(r.nfindings == 0, "%s: near miss found", trig_names[k]);
		free(b.p);
		free(nb.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

Suite *scan_engine_suite(void)
{
	Suite *s = suite_create("scan_engine");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, scope_home_domains);
	tcase_add_test(tc, extra_homes);
	tcase_add_test(tc, canaries_realistic);
	tcase_add_test(tc, canary_matching);
	tcase_add_test(tc, redaction);
	tcase_add_test(tc, stream_splits);
	tcase_add_test(tc, stream_long_run);
	tcase_add_test(tc, stream_window_in_msg);
	tcase_add_test(tc, threads_share_engine);
	tcase_add_test(tc, cli_exit_codes);
	tcase_add_test(tc, ingress_reports_only);
	tcase_add_test(tc, pattern_triggers);
	suite_add_tcase(s, tc);
	return s;
}
