/* SPDX-License-Identifier: MIT */
/*
 * scan_home_test.c - whose verdict counts: a specific detector's home
 * domains win over the generic detectors that see the same bytes (a GitHub
 * token in git's Basic credential, a token in a Bearer header); generic
 * credentials go only to hosts the user allowed by exact name. Plus the
 * canary names: never one a tool reads, stable per user key.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/http/http_glue.h"
#include "broker/scan/scan.h"
#include "common/wire.h"
#include "t/unit/scan_testutil.h"

/* real-format tokens (valid CRC32 tails), the registry's own samples */
static const char GH[] = "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";
static const char NPM[] = "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";

static struct brk_scan_engine *engine(int fallback, const char *const *users, size_t nu,
				      const char *const *can, size_t nc)
{
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.user_hosts = users;
	cfg.nuser_hosts = nu;
	cfg.canaries = can;
	cfg.ncanaries = nc;
	cfg.force_fallback = fallback;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	return e;
}

/* An HTTP request carrying "Authorization: Basic base64(cred)". */
static struct tu_buf basic_req(const char *host, const char *cred)
{
	struct tu_buf b = { 0 }, enc = tu_b64(cred, strlen(cred), 0, 1, 0);

	tu_cats(&b, "GET /repo.git/info/refs?service=git-receive-pack HTTP/1.1\r\nHost: ");
	tu_cats(&b, host);
	tu_cats(&b, "\r\nUser-Agent: git/2.39.5\r\nAuthorization: Basic ");
	tu_cat(&b, enc.p, enc.len);
	tu_cats(&b, "\r\nAccept: */*\r\n\r\n");
	free(enc.p);
	return b;
}

/* Blocked verdict by buffer and by streams of 1, 5 and 4096 bytes; every
 * way must agree. Returns blocked; *has_basic: a basic-auth finding seen. */
static int verdict(const struct brk_scan_engine *e, const char *host, const char *cred,
		   const char *want_det, int *has_basic)
{
	static const size_t chunks[] = { 0, 1, 5, 4096 };
	struct tu_buf b = basic_req(host, cred);
	struct brk_scan_result r;
	int blocked = -1;
	size_t i;

	*has_basic = 0;
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		if (chunks[i])
			ck_assert_int_eq(tu_stream(e, b.p, b.len, chunks[i], host, &r), 0);
		else
			ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, host, &r), 0);
		if (blocked < 0)
			blocked = r.blocked;
		ck_assert_msg(r.blocked == blocked, "%s to %s: chunk %zu disagrees", cred, host,
			      chunks[i]);
		if (want_det)
			ck_assert_msg(tu_has(&r, want_det), "%s missing (chunk %zu)", want_det, chunks[i]);
		*has_basic |= tu_has(&r, "basic-auth");
	}
	free(b.p);
	return blocked;
}

START_TEST(token_in_basic_goes_home)
{
	const char *users[] = { "git.corp.test" };
	struct brk_scan_engine *e = engine(_i, users, 1, NULL, 0);
	char cred[128];
	int basic;

	/* git: x-access-token:TOKEN (Actions, gh), user:TOKEN, TOKEN:x-oauth-basic */
	snprintf(cred, sizeof(cred), "x-access-token:%s", GH);
	ck_assert_int_eq(verdict(e, "github.com", cred, "github-pat", &basic), 0);
	ck_assert_msg(!basic, "the generic basic-auth finding overrode the token's home");
	ck_assert_int_eq(verdict(e, "GitHub.com.", cred, "github-pat", &basic), 0);
	ck_assert_int_eq(verdict(e, "gitlab.com", cred, "github-pat", &basic), 1);
	ck_assert_int_eq(verdict(e, "github.com.evil.test", cred, "github-pat", &basic), 1);
	snprintf(cred, sizeof(cred), "octocat:%s", GH);
	ck_assert_int_eq(verdict(e, "github.com", cred, "github-pat", &basic), 0);
	ck_assert_int_eq(verdict(e, "gitlab.com", cred, "github-pat", &basic), 1);
	snprintf(cred, sizeof(cred), "%s:x-oauth-basic", GH);
	ck_assert_int_eq(verdict(e, "github.com", cred, "github-pat", &basic), 0);
	ck_assert_int_eq(verdict(e, "gitlab.com", cred, "github-pat", &basic), 1);
	/* the specific verdict wins both ways: a GitHub token to the user's
	 * own server is not a generic password, and an npm token in Basic
	 * to github.com is not GitHub's */
	snprintf(cred, sizeof(cred), "x-access-token:%s", GH);
	ck_assert_int_eq(verdict(e, "git.corp.test", cred, "github-pat", &basic), 1);
	snprintf(cred, sizeof(cred), "u:%s", NPM);
	ck_assert_int_eq(verdict(e, "github.com", cred, "npm-token", &basic), 1);
	ck_assert_int_eq(verdict(e, "registry.npmjs.org", cred, "npm-token", &basic), 0);
	/* two tokens: each decides for itself, any one out of home blocks */
	snprintf(cred, sizeof(cred), "%s:%s", GH, NPM);
	ck_assert_int_eq(verdict(e, "github.com", cred, "npm-token", &basic), 1);
	brk_scan_engine_free(e);
}
END_TEST

/* A raw request to host with one header line; blocked verdict by buffer and
 * by streams of 1, 5 and 4096 bytes, which must agree. */
static int hdr_verdict(const struct brk_scan_engine *e, const char *host, const char *hdr,
		       const char *want_det)
{
	static const size_t chunks[] = { 0, 1, 5, 4096 };
	struct tu_buf b = { 0 };
	struct brk_scan_result r;
	int blocked = -1;
	size_t i;

	tu_cats(&b, "GET /v2/ HTTP/1.1\r\nHost: ");
	tu_cats(&b, host);
	tu_cats(&b, "\r\nUser-Agent: node\r\n");
	tu_cats(&b, hdr);
	tu_cats(&b, "\r\nAccept: */*\r\n\r\n");
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		if (chunks[i])
			ck_assert_int_eq(tu_stream(e, b.p, b.len, chunks[i], host, &r), 0);
		else
			ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, host, &r), 0);
		if (blocked < 0)
			blocked = r.blocked;
		ck_assert_msg(r.blocked == blocked, "%s to %s: chunk %zu disagrees", hdr, host, chunks[i]);
		if (want_det)
			ck_assert_msg(tu_has(&r, want_det), "%s to %s: %s missing (chunk %zu)", hdr, host,
				      want_det, chunks[i]);
	}
	free(b.p);
	return blocked;
}

static const char UUID_TOK[] = "7b3e9f21-5c4d-4a8e-b1f6-92d0c7e4a358";
static const char TWILIO_SID[] = "AC4f9c2e71a8d35b60e1c7f94a2d8b063e";
static const char TWILIO_TOK[] = "9a1e5c3f7b2d4068e9f1a3c5b7d90e2f";
static const char DCKR[] = "dckr_pat_n3C31EyLNhpju-rwL6xdTfLmoiv";

static void basic_hdr(char *out, size_t cap, const char *user, const char *pass)
{
	char cred[256];
	struct tu_buf enc;

	snprintf(cred, sizeof(cred), "%s:%s", user, pass);
	enc = tu_b64(cred, strlen(cred), 0, 1, 0);
	snprintf(out, cap, "Authorization: Basic %.*s", (int)enc.len, (const char *)enc.p);
	free(enc.p);
}

/* Issue 12: every host a service's clients send its tokens to is home, in
 * any spelling of the host (case, trailing dot, port); a value with no
 * shape of its own (UUID, 32 hex) in Bearer/Basic is judged as the
 * credential its home says it is, and only there. */
START_TEST(homes_complete_for_their_services)
{
	struct brk_scan_engine *e = engine(_i, NULL, 0, NULL, 0);
	static const char *const gh_homes[] = {
		"github.com", "api.github.com", "uploads.github.com", "npm.pkg.github.com",
		"maven.pkg.github.com", "nuget.pkg.github.com", "rubygems.pkg.github.com", "ghcr.io",
		"GHCR.IO.", "api.github.com:443", NULL,
	};
	char h[512], t[128];
	size_t i;

	for (i = 0; gh_homes[i]; i++) {
		snprintf(h, sizeof(h), "Authorization: Bearer %s", GH);
		ck_assert_msg(!hdr_verdict(e, gh_homes[i], h, "github-pat"), "bearer to %s", gh_homes[i]);
		basic_hdr(h, sizeof(h), "x-access-token", GH);
		ck_assert_msg(!hdr_verdict(e, gh_homes[i], h, "github-pat"), "basic to %s", gh_homes[i]);
	}
	snprintf(h, sizeof(h), "Authorization: Bearer %s", GH);
	ck_assert(hdr_verdict(e, "ghcr.io.evil.test", h, "github-pat"));
	ck_assert(hdr_verdict(e, "evil.test:443", h, "github-pat"));
	ck_assert(hdr_verdict(e, "pkg.github.com.evil.test", h, "github-pat"));
	/* PyPI: twine sends __token__:pypi-... to upload.pypi.org */
	basic_hdr(h, sizeof(h), "__token__",
		  "pypi-AgEIcHlwaS5vcmchopAoJwoOC56z2agiecTirXQSUNiC3Q3PlCReSprMtBrFrvuLs6J6rsIHbgjAe0H80wmVXa5zLd6EpNtVXaoj_rFulKchULo-vd8PJ2yID19zzzSRyRbJH9bS8WjYhy8mq8QQmQmNXfhQ7umc73o6ygsnajA3BJK");
	ck_assert(!hdr_verdict(e, "upload.pypi.org", h, "pypi-token"));
	ck_assert(hdr_verdict(e, "upload.pypi.org.evil.test", h, "pypi-token"));
	/* Docker: user:dckr_pat_ to the auth and registry hosts */
	basic_hdr(h, sizeof(h), "alice", DCKR);
	ck_assert(!hdr_verdict(e, "auth.docker.io", h, "dockerhub-pat"));
	ck_assert(!hdr_verdict(e, "registry-1.docker.io", h, "dockerhub-pat"));
	ck_assert(hdr_verdict(e, "registry.evil.test", h, "dockerhub-pat"));
	/* legacy npm token (UUID) as npm sends it: Bearer, to the registry */
	snprintf(h, sizeof(h), "Authorization: Bearer %s", UUID_TOK);
	ck_assert(!hdr_verdict(e, "registry.npmjs.org", h, "npm-token-legacy"));
	ck_assert(!hdr_verdict(e, "api.heroku.com", h, "heroku-api-key-legacy"));
	ck_assert(hdr_verdict(e, "evil.test", h, "bearer-token"));
	ck_assert(hdr_verdict(e, "registry.npmjs.org.evil.test", h, "bearer-token"));
	/* Twilio: AC<sid>:<auth token> */
	basic_hdr(h, sizeof(h), TWILIO_SID, TWILIO_TOK);
	ck_assert(!hdr_verdict(e, "api.twilio.com", h, "twilio-auth-token"));
	ck_assert(hdr_verdict(e, "evil.test", h, "basic-auth"));
	/* the key-name detectors' own carriers go home too */
	snprintf(h, sizeof(h), "X-Twilio-Auth-Token: %s", TWILIO_TOK);
	ck_assert(!hdr_verdict(e, "api.twilio.com", h, "twilio-auth-token"));
	ck_assert(hdr_verdict(e, "evil.test", h, "twilio-auth-token"));
	snprintf(h, sizeof(h), "Cookie: heroku_api_key=%s", UUID_TOK);
	ck_assert(!hdr_verdict(e, "api.heroku.com", h, "heroku-api-key-legacy"));
	ck_assert(hdr_verdict(e, "evil.test", h, "heroku-api-key-legacy"));
	/* AWS: regional API hosts are home, tenant-controlled S3 buckets and
	 * access points under the same suffix are not, in any region */
	snprintf(h, sizeof(h), "Authorization: AWS4-HMAC-SHA256 Credential=AKIA7KLFYYLBEG3RHDSV/20261201/us-east-1/sts/aws4_request");
	ck_assert(!hdr_verdict(e, "sts.us-east-1.amazonaws.com", h, "aws-access-key-id"));
	ck_assert(!hdr_verdict(e, "EC2.cn-north-1.amazonaws.com.cn.", h, "aws-access-key-id"));
	ck_assert(hdr_verdict(e, "evil.s3.us-west-2.amazonaws.com", h, "aws-access-key-id"));
	ck_assert(hdr_verdict(e, "my.evil.s3.dualstack.eu-west-1.amazonaws.com", h, "aws-access-key-id"));
	ck_assert(hdr_verdict(e, "evil.s3-us-west-2.amazonaws.com:443", h, "aws-access-key-id"));
	ck_assert(hdr_verdict(e, "ap-1.s3-accesspoint.us-east-1.amazonaws.com", h, "aws-access-key-id"));
	ck_assert(hdr_verdict(e, "evil.s3.cn-north-1.amazonaws.com.cn", h, "aws-access-key-id"));
	ck_assert(hdr_verdict(e, "amazonaws.com.evil.test", h, "aws-access-key-id"));
	/* container registries and git endpoints of the other services */
	snprintf(t, sizeof(t), "Authorization: Bearer glpat-XbVQHAofyzjKGdDSLIK1");
	ck_assert(!hdr_verdict(e, "registry.gitlab.com", t, "gitlab-pat"));
	basic_hdr(h, sizeof(h), "", "HRKU-AAJcY6Tdc8Uzgudu9IQLXpGyHb1jN_6AgfhI0y8CFbtUrXmhH3Pvp7hprOd4");
	ck_assert(!hdr_verdict(e, "git.heroku.com", h, "heroku-api-key"));
	basic_hdr(h, sizeof(h), "me@example.com", UUID_TOK);
	ck_assert(!hdr_verdict(e, "git.heroku.com", h, "heroku-api-key-legacy"));
	ck_assert(hdr_verdict(e, "git.evil.test", h, "basic-auth"));
	/* an empty user (Heroku's git) is still a credential, both ways */
	basic_hdr(h, sizeof(h), "", UUID_TOK);
	ck_assert(!hdr_verdict(e, "git.heroku.com", h, "heroku-api-key-legacy"));
	ck_assert(hdr_verdict(e, "git.evil.test", h, "basic-auth"));
	/* a value the wrong shape for the key name's home is not let through:
	 * a random Bearer to the npm registry is still a generic bearer */
	snprintf(t, sizeof(t), "Authorization: Bearer iJfF6rU8NqgSHM9hw8ctBKdG2QpXFUSNQiSFE1lz");
	ck_assert(hdr_verdict(e, "registry.npmjs.org", t, "bearer-token"));
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(plain_basic_only_to_user_hosts)
{
	const char *users[] = { "git.corp.test", "Mirror.Corp.Test" };
	struct brk_scan_engine *e = engine(_i, users, 2, NULL, 0);
	const char *cred = "deploy:X8F4vqg4xiIpBRoY";
	int basic;

	ck_assert_int_eq(verdict(e, "git.corp.test", cred, "basic-auth", &basic), 0);
	ck_assert_int_eq(verdict(e, "mirror.corp.test", cred, "basic-auth", &basic), 0);
	ck_assert_int_eq(verdict(e, "git.corp.test.", cred, "basic-auth", &basic), 0);
	/* exact names: no subdomain, no parent, no other host, no host */
	ck_assert_int_eq(verdict(e, "x.git.corp.test", cred, "basic-auth", &basic), 1);
	ck_assert_int_eq(verdict(e, "corp.test", cred, "basic-auth", &basic), 1);
	ck_assert_int_eq(verdict(e, "github.com", cred, "basic-auth", &basic), 1);
	brk_scan_engine_free(e);
	/* without user hosts a Basic password goes nowhere */
	e = engine(_i, NULL, 0, NULL, 0);
	ck_assert_int_eq(verdict(e, "git.corp.test", cred, "basic-auth", &basic), 1);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(bearer_and_canaries)
{
	const char *users[] = { "npm.corp.test" };
	struct brk_scan_canary c[BRK_SCAN_CANARY_SHAPES];
	const char *vals[BRK_SCAN_CANARY_SHAPES];
	struct brk_scan_engine *e;
	struct brk_scan_result r;
	char buf[512];
	size_t i;
	int basic;

	ck_assert_int_eq(brk_scan_canary_generate(c, BRK_SCAN_CANARY_SHAPES, NULL, NULL),
			 BRK_SCAN_CANARY_SHAPES);
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++)
		vals[i] = c[i].value;
	e = engine(_i, users, 1, vals, BRK_SCAN_CANARY_SHAPES);
	/* a private registry's own bearer token (no known format) */
	snprintf(buf, sizeof(buf), "GET /x HTTP/1.1\r\nAuthorization: Bearer iJfF6rU8NqgSHM9hw8ctBKdG2QpXFUSNQiSFE1lz\r\n\r\n");
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)buf, strlen(buf), "npm.corp.test", &r), 0);
	ck_assert(tu_has(&r, "bearer-token") && !r.blocked);
	ck_assert_int_eq(brk_scan_buffer(e, (const uint8_t *)buf, strlen(buf), "evil.test", &r), 0);
	ck_assert(r.blocked);
	/* a GitHub token base64-coded as a bearer value: GitHub's verdict */
	{
		struct tu_buf b = { 0 }, enc = tu_b64(GH, strlen(GH), 0, 1, 0);

		tu_cats(&b, "GET / HTTP/1.1\r\nAuthorization: Bearer ");
		tu_cat(&b, enc.p, enc.len);
		tu_cats(&b, "\r\n\r\n");
		ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, "api.github.com", &r), 0);
		ck_assert(tu_has(&r, "github-pat") && !tu_has(&r, "bearer-token") && !r.blocked);
		/* (split inside the value it is refused: the token is only
		 * visible decoded, the generic value is judged as it comes) */
		ck_assert_int_eq(tu_stream(e, b.p, b.len, 4096, "api.github.com", &r), 0);
		ck_assert(!r.blocked);
		ck_assert_int_eq(brk_scan_buffer(e, b.p, b.len, "npm.corp.test", &r), 0);
		ck_assert(tu_has(&r, "github-pat") && r.blocked);
		free(b.p);
		free(enc.p);
	}
	/* a canary is a canary wherever it hides: in Basic to the token's home
	 * and to the user's own server */
	snprintf(buf, sizeof(buf), "x-access-token:%s", c[0].value);
	ck_assert_int_eq(verdict(e, "github.com", buf, "canary", &basic), 1);
	ck_assert_int_eq(verdict(e, "npm.corp.test", buf, "canary", &basic), 1);
	snprintf(buf, sizeof(buf), "u:%s", c[3].value);   /* the AWS secret: no prefix */
	ck_assert_int_eq(verdict(e, "npm.corp.test", buf, "canary", &basic), 1);
	brk_scan_engine_free(e);
}
END_TEST

/* An HTTP/2 request (preface, SETTINGS, one HEADERS frame) whose HPACK block
 * carries authorization as "literal, name from the static table" (index 23):
 * the name "authorization" is never on the wire. */
static size_t h2_req(uint8_t *out, const char *authority, const char *cred)
{
	struct tu_buf enc = tu_b64(cred, strlen(cred), 0, 1, 0);
	uint8_t blk[512];
	size_t n = 0, b = 0, al = strlen(authority);

	blk[b++] = 0x82;                       /* :method GET */
	blk[b++] = 0x87;                       /* :scheme https */
	blk[b++] = 0x84;                       /* :path / */
	blk[b++] = 0x01;                       /* :authority, literal value */
	blk[b++] = (uint8_t)al;
	memcpy(blk + b, authority, al);
	b += al;
	blk[b++] = 0x0f;                       /* authorization (15 + 8) */
	blk[b++] = 0x08;
	ck_assert_uint_lt(6 + enc.len, 127);
	blk[b++] = (uint8_t)(6 + enc.len);
	memcpy(blk + b, "Basic ", 6);
	memcpy(blk + b + 6, enc.p, enc.len);
	b += 6 + enc.len;
	free(enc.p);
	memcpy(out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	n = 24;
	memcpy(out + n, "\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);   /* SETTINGS */
	n += 9;
	out[n++] = 0;
	out[n++] = (uint8_t)(b >> 8);
	out[n++] = (uint8_t)b;
	out[n++] = 0x1;                        /* HEADERS */
	out[n++] = 0x4 | 0x1;                  /* END_HEADERS | END_STREAM */
	memcpy(out + n, "\x00\x00\x00\x01", 4);
	n += 4;
	memcpy(out + n, blk, b);
	return n + b;
}

static int h2_blocked(const struct brk_scan_engine *e, const char *host, const char *cred,
		      const char *want)
{
	struct brk_http_glue g;
	struct brk_scan_result r;
	uint8_t buf[1024];
	size_t n = h2_req(buf, host, cred);

	memset(&g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(brk_http_glue_scan(&g, e, DLP_CHAN_TLS, DLP_DIR_SEND, buf, n, host, &r), 0);
	brk_http_glue_free(&g);
	ck_assert_msg(tu_has(&r, want), "h2 %s to %s: no %s finding", cred, host, want);
	return r.blocked;
}

START_TEST(basic_over_http2)
{
	const char *users[] = { "git.corp.test" };
	struct brk_scan_engine *e = engine(_i, users, 1, NULL, 0);
	char cred[128];

	snprintf(cred, sizeof(cred), "x-access-token:%s", GH);
	ck_assert_int_eq(h2_blocked(e, "github.com", cred, "github-pat"), 0);
	ck_assert_int_eq(h2_blocked(e, "gitlab.com", cred, "github-pat"), 1);
	/* a plain password: HPACK hides the "authorization" name */
	ck_assert_int_eq(h2_blocked(e, "gitlab.com", "deploy:X8F4vqg4xiIpBRoY", "basic-auth"), 1);
	ck_assert_int_eq(h2_blocked(e, "git.corp.test", "deploy:X8F4vqg4xiIpBRoY", "basic-auth"), 0);
	brk_scan_engine_free(e);
}
END_TEST

/* A bearer value split across writes: the generic detector sees it first
 * (it reports as soon as 20 characters are in), the npm token only when
 * complete. The token's home must still decide; a value that does not
 * become a token is still refused. */
START_TEST(split_bearer_waits_for_specific)
{
	static const size_t chunks[] = { 1, 3, 7, 30, 45 };
	struct brk_scan_engine *e = engine(_i, NULL, 0, NULL, 0);
	struct brk_scan_result r;
	char ok[160], bad[160], rnd[160];
	size_t i;

	snprintf(ok, sizeof(ok), "GET / HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", NPM);
	/* npm_ + 36 characters, wrong CRC32 tail: not a token */
	snprintf(bad, sizeof(bad), "GET / HTTP/1.1\r\nAuthorization: Bearer %.34sQQ\r\n\r\n", NPM);
	snprintf(rnd, sizeof(rnd), "GET / HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n",
		 "iJfF6rU8NqgSHM9hw8ctBKdG2QpXFUSNQiSFE1lz");
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		ck_assert_int_eq(tu_stream(e, ok, strlen(ok), chunks[i], "registry.npmjs.org", &r), 0);
		ck_assert_msg(!r.blocked && tu_has(&r, "npm-token"), "chunk %zu: home refused", chunks[i]);
		ck_assert_int_eq(tu_stream(e, ok, strlen(ok), chunks[i], "evil.test", &r), 0);
		ck_assert_msg(r.blocked, "chunk %zu: npm token left for evil.test", chunks[i]);
		ck_assert_int_eq(tu_stream(e, bad, strlen(bad), chunks[i], "registry.npmjs.org", &r), 0);
		ck_assert_msg(r.blocked && tu_has(&r, "bearer-token"), "chunk %zu: fake token passed",
			      chunks[i]);
		ck_assert_int_eq(tu_stream(e, rnd, strlen(rnd), chunks[i], "registry.npmjs.org", &r), 0);
		ck_assert_msg(r.blocked && tu_has(&r, "bearer-token"), "chunk %zu: bearer passed", chunks[i]);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(user_hosts_must_be_exact)
{
	const char *bad[] = { "*.corp.test" }, *empty[] = { "" };
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.user_hosts = bad;
	cfg.nuser_hosts = 1;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), -EINVAL);
	cfg.user_hosts = empty;
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), -EINVAL);
}
END_TEST

/* ---- canary names --------------------------------------------------- */

/* Names the tools themselves read: a few spelled out, beside the deny list. */
static const char *const tool_names[] = {
	"NPM_TOKEN", "NODE_AUTH_TOKEN", "npm_config__authToken", "NPM_CONFIG_TOKEN",
	"YARN_NPM_AUTH_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN",
	"GITHUB_ENTERPRISE_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
	"AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "DOCKER_AUTH_CONFIG", "TWINE_PASSWORD",
	"PYPI_API_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY",
	"ANTHROPIC_API_KEY", "SLACK_BOT_TOKEN", "STRIPE_API_KEY", "CARGO_REGISTRY_TOKEN",
	"GITLAB_TOKEN", "CI_JOB_TOKEN", "VAULT_TOKEN", "GIT_ASKPASS", NULL,
};

START_TEST(canary_names_never_denied)
{
	struct brk_scan_canary c[BRK_SCAN_CANARY_SHAPES * 2];
	size_t n = BRK_SCAN_CANARY_SHAPES * 2, i, j, k, seed;

	for (i = 0; tool_names[i]; i++)
		ck_assert_msg(brk_scan_canary_name_denied(tool_names[i]), "%s not denied",
			      tool_names[i]);
	ck_assert(!brk_scan_canary_name_denied("ACME_GH_DEPLOY_PAT"));
	ck_assert(!brk_scan_canary_name_denied("LEGACY_NPM_PUBLISH_KEY"));
	for (seed = 0; seed < 3000; seed++) {
		uint8_t key[32] = { 0 };
		int shared = 1;

		memcpy(key, &seed, sizeof(seed));
		key[31] = 0x5a;
		ck_assert_int_eq(brk_scan_canary_generate(c, n, NULL, key), (int)n);
		for (i = 0; i < n; i++) {
			const char *nm = c[i].name;

			ck_assert_msg(!brk_scan_canary_name_denied(nm), "seed %zu: %s denied", seed, nm);
			for (k = 0; tool_names[k]; k++)
				ck_assert_str_ne(nm, tool_names[k]);
			ck_assert_msg(strspn(nm, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(nm) &&
				      strlen(nm) >= 8 && nm[0] != '_', "odd name %s", nm);
			/* it still says what it is */
			ck_assert_msg(strstr(nm, "TOKEN") || strstr(nm, "KEY") || strstr(nm, "PAT") ||
				      strstr(nm, "_SK"), "%s does not look like a credential", nm);
			if (i && strncmp(nm, c[0].name, 3))
				shared = 0;
			for (j = 0; j < i && i < BRK_SCAN_CANARY_SHAPES; j++)
				ck_assert_msg(strcmp(nm, c[j].name), "seed %zu: %s twice", seed, nm);
		}
		ck_assert_msg(!shared, "seed %zu: names share a prefix", seed);
		/* the AWS pair shares its stem */
		{
			const char *t = strstr(c[2].name, "_ACCESS_KEY_ID");

			if (!t)
				t = strstr(c[2].name, "_KEY_ID");
			ck_assert_ptr_nonnull(t);
			ck_assert_int_eq(strncmp(c[2].name, c[3].name, (size_t)(t - c[2].name) + 1), 0);
			ck_assert_ptr_nonnull(strstr(c[3].name, "SECRET"));
		}
	}
}
END_TEST

START_TEST(canary_names_stable_values_fresh)
{
	struct brk_scan_canary a[BRK_SCAN_CANARY_SHAPES], b[BRK_SCAN_CANARY_SHAPES];
	const uint8_t k1[32] = { 7, 7, 7 }, k2[32] = { 8 };
	size_t i, differ = 0;

	ck_assert_int_eq(brk_scan_canary_generate(a, BRK_SCAN_CANARY_SHAPES, NULL, k1),
			 BRK_SCAN_CANARY_SHAPES);
	ck_assert_int_eq(brk_scan_canary_generate(b, BRK_SCAN_CANARY_SHAPES, NULL, k1),
			 BRK_SCAN_CANARY_SHAPES);
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++) {
		ck_assert_str_eq(a[i].name, b[i].name);
		ck_assert_str_ne(a[i].value, b[i].value);
	}
	ck_assert_int_eq(brk_scan_canary_generate(b, BRK_SCAN_CANARY_SHAPES, NULL, k2),
			 BRK_SCAN_CANARY_SHAPES);
	for (i = 0; i < BRK_SCAN_CANARY_SHAPES; i++)
		differ += strcmp(a[i].name, b[i].name) != 0;
	ck_assert_uint_ge(differ, 3);
}
END_TEST

START_TEST(user_key_file)
{
	char dir[] = "/tmp/dlp-state-XXXXXX", path[128];
	uint8_t k1[32], k2[32], k3[32];
	const char *old = getenv("XDG_STATE_HOME");
	char *saved = old ? strdup(old) : NULL;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_STATE_HOME", dir, 1);
	ck_assert_int_eq(brk_scan_canary_user_key(k1), 0);
	snprintf(path, sizeof(path), "%s/dlpjail/canary-names.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 32);
	ck_assert_int_eq(brk_scan_canary_user_key(k2), 0);
	ck_assert_int_eq(memcmp(k1, k2, 32), 0);
	unlink(path);
	ck_assert_int_eq(brk_scan_canary_user_key(k3), 0);   /* a new user: a new key */
	ck_assert_int_ne(memcmp(k1, k3, 32), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dlpjail", dir);
	rmdir(path);
	/* no usable state directory: derived, still stable */
	setenv("XDG_STATE_HOME", "/proc/dlpjail-no-such-dir", 1);
	ck_assert_int_eq(brk_scan_canary_user_key(k1), 1);
	ck_assert_int_eq(brk_scan_canary_user_key(k2), 1);
	ck_assert_int_eq(memcmp(k1, k2, 32), 0);
	if (saved)
		setenv("XDG_STATE_HOME", saved, 1);
	else
		unsetenv("XDG_STATE_HOME");
	free(saved);
	rmdir(dir);
}
END_TEST

/* Issue 12: npm's _auth (base64 of user:password) in any carrier is judged
 * as npm-auth-basic at npm's registries and the configured ones (a home
 * line), and blocked elsewhere; a token wrapped in it keeps its own home. */
START_TEST(npm_auth_basic_at_registries)
{
	static const char *const extra[] = { "npm-auth-basic=npm.corp.test" };
	static const char V[] = "YWxpY2U6czNjcjN0UDRzc3cwcmRYcTk=";   /* alice:s3cr3tP4ssw0rdXq9 */
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;
	char h[512], gh[128];
	int basic;

	memset(&cfg, 0, sizeof(cfg));
	cfg.force_fallback = _i;
	cfg.extra_home = extra;
	cfg.nextra_home = 1;
	cfg.cache_dir = "";
	ck_assert_int_eq(brk_scan_engine_new(&cfg, &e), 0);
	snprintf(h, sizeof(h), "Authorization: Basic %s", V);
	ck_assert(!hdr_verdict(e, "registry.npmjs.org", h, "npm-auth-basic"));
	ck_assert(!hdr_verdict(e, "registry.yarnpkg.com", h, "npm-auth-basic"));
	ck_assert(!hdr_verdict(e, "npm.corp.test", h, "npm-auth-basic"));
	ck_assert(hdr_verdict(e, "evil.test", h, "basic-auth"));
	ck_assert(hdr_verdict(e, "registry.npmjs.org.evil.test", h, "basic-auth"));
	snprintf(h, sizeof(h), "x-npm-auth: _auth=%s", V);
	ck_assert(!hdr_verdict(e, "registry.npmjs.org", h, "npm-auth-basic"));
	ck_assert(hdr_verdict(e, "evil.test", h, "npm-auth-basic"));
	/* a GitHub token as the password stays a GitHub token */
	ck_assert_int_eq(verdict(e, "registry.npmjs.org", "x: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",
				 "github-pat", &basic), 1);
	snprintf(gh, sizeof(gh), "u:%s", "plain-password-9Xq");
	ck_assert_int_eq(verdict(e, "registry.npmjs.org", gh, NULL, &basic), 0);
	brk_scan_engine_free(e);
}
END_TEST

/* Issue 12: cookies. A secret-named cookie with a random value blocks
 * (but goes to hosts the user allowed); session, CSRF and analytics
 * cookies pass; a value the host itself set (Set-Cookie) goes back to that
 * host only, a JWT session cookie included. */
START_TEST(cookies_secret_names_and_own_site)
{
	static const char JWT[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiMDYzMzA3NjM5MyIs"
				  "ICJuYW1lIjogIkphbmUiLCAiaWF0IjogMTUxNjIzOTAyMn0.xVGudwVgY_yeK9trCv9kkkNZat7xoAKnZz3CugepfTs";
	static const char RND[] = "cHz7nEt4BiiNG1WFmSPWmWwvTghgL3Xu";
	const char *users[] = { "api.mine.test" };
	struct brk_scan_engine *e = engine(_i, users, 1, NULL, 0);
	char h[512];

	snprintf(h, sizeof(h), "Cookie: _ga=GA1.2.3; api_key=%s; theme=dark", RND);
	ck_assert(hdr_verdict(e, "evil.test", h, "cookie-secret"));
	ck_assert(!hdr_verdict(e, "api.mine.test", h, "cookie-secret"));
	snprintf(h, sizeof(h), "Cookie: sid=1; AUTH=%s", RND);
	ck_assert(hdr_verdict(e, "evil.test", h, "cookie-secret"));
	/* ordinary session cookies: never blocked */
	snprintf(h, sizeof(h), "Cookie: PHPSESSID=%s; csrftoken=%s; _gid=GA1.2.99", RND, RND);
	ck_assert(!hdr_verdict(e, "evil.test", h, NULL));
	snprintf(h, sizeof(h), "Cookie: sessionid=%s; next-auth.session-token=%s", RND, RND);
	ck_assert(!hdr_verdict(e, "evil.test", h, NULL));
	/* the site's own cookies back to it: a JWT session, a random auth token */
	snprintf(h, sizeof(h), "Cookie: session=%s; auth_token=%s", JWT, RND);
	ck_assert(hdr_verdict(e, "app.site.test", h, "jwt"));
	brk_scan_cookie_learn(e, "App.Site.Test.", (const uint8_t *)JWT, strlen(JWT));
	brk_scan_cookie_learn(e, "app.site.test", (const uint8_t *)RND, strlen(RND));
	ck_assert(!hdr_verdict(e, "app.site.test", h, "jwt"));
	ck_assert(hdr_verdict(e, "evil.test", h, "jwt"));
	ck_assert(hdr_verdict(e, "x.app.site.test", h, "jwt"));
	/* a value the site set, in another carrier, is still the site's */
	snprintf(h, sizeof(h), "Authorization: Bearer %s", JWT);
	ck_assert(!hdr_verdict(e, "app.site.test", h, NULL));
	brk_scan_engine_free(e);
}
END_TEST

Suite *scan_home_suite(void);
Suite *scan_home_suite(void)
{
	Suite *s = suite_create("scan_home");
	TCase *tc = tcase_create("homes");

	tcase_set_timeout(tc, 120);
	/* _i: 0 = Hyperscan (when built), 1 = fallback matcher */
	tcase_add_loop_test(tc, token_in_basic_goes_home, 0, 2);
	tcase_add_loop_test(tc, plain_basic_only_to_user_hosts, 0, 2);
	tcase_add_loop_test(tc, homes_complete_for_their_services, 0, 2);
	tcase_add_loop_test(tc, bearer_and_canaries, 0, 2);
	tcase_add_loop_test(tc, basic_over_http2, 0, 2);
	tcase_add_loop_test(tc, npm_auth_basic_at_registries, 0, 2);
	tcase_add_loop_test(tc, cookies_secret_names_and_own_site, 0, 2);
	tcase_add_loop_test(tc, split_bearer_waits_for_specific, 0, 2);
	tcase_add_test(tc, user_hosts_must_be_exact);
	tcase_add_test(tc, canary_names_never_denied);
	tcase_add_test(tc, canary_names_stable_values_fresh);
	tcase_add_test(tc, user_key_file);
	suite_add_tcase(s, tc);
	return s;
}
