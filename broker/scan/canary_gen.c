/* SPDX-License-Identifier: MIT */
/*
 * canary_gen.c - fake credentials that cannot be told from real ones
 * (brk_scan_canary_generate(), scan.h). Called by the launcher once per
 * session; the values go into the engine config as exact-match canaries.
 *
 * Each shape uses its format's real alphabet, length and checksum, so a
 * malicious hook that validates tokens before stealing them (CRC32 tail,
 * base32 key id) still takes the bait, and the variable names come from
 * what real CI and developer setups use, with no shared prefix.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "broker/scan/detect.h"
#include "broker/scan/scan.h"

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define B64URL ALNUM "_-"
#define B64 ALNUM "+/"
#define B32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define DIGITS "0123456789"
#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct rng {
	int seeded;
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static int rng_u64(struct rng *r, uint64_t *out)
{
	if (!r->seeded) {
		return getrandom(out, sizeof(*out), 0) == sizeof(*out) ? 0 : -EIO;
	} else {
		/* xoshiro256** (reproducible sets for tests only) */
		uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

		s[2] ^= s[0];
		s[3] ^= s[1];
		s[1] ^= s[2];
		s[0] ^= s[3];
		s[2] ^= t;
		s[3] = rotl(s[3], 45);
		*out = res;
		return 0;
	}
}

/* Uniform in [0, n) by rejection. */
static int rng_below(struct rng *r, size_t n, size_t *out)
{
	uint64_t v, lim = UINT64_MAX - UINT64_MAX % n;

	do {
		if (rng_u64(r, &v) < 0)
			return -EIO;
	} while (v >= lim);
	*out = (size_t)(v % n);
	return 0;
}

static int rand_str(struct rng *r, const char *al, size_t n, char *dst)
{
	size_t i, k, m = strlen(al);

	for (i = 0; i < n; i++) {
		if (rng_below(r, m, &k) < 0)
			return -EIO;
		dst[i] = al[k];
	}
	dst[n] = '\0';
	return 0;
}

static int pick_name(struct rng *r, const char *const *names, char *dst, size_t cap)
{
	size_t n = 0, k;

	while (names[n])
		n++;
	if (rng_below(r, n, &k) < 0)
		return -EIO;
	snprintf(dst, cap, "%s", names[k]);
	return 0;
}

/* prefix + 30 random alnum + base62 CRC32 of them (GitHub, npm) */
static int crc_token(struct rng *r, const char *prefix, char *v, size_t cap)
{
	char body[31], tail[7];

	if (rand_str(r, ALNUM, 30, body) < 0)
		return -EIO;
	brk_scan_crc32_b62((const uint8_t *)body, 30, tail);
	tail[6] = '\0';
	snprintf(v, cap, "%s%s%s", prefix, body, tail);
	return 0;
}

static int gen_one(struct rng *r, unsigned shape, struct brk_scan_canary *c)
{
	char a[152], b[80], s1[16], s2[16], d[32];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	switch (shape) {
	case 0:
		c->detector = "github-pat";
		rc = pick_name(r, NAMES("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT", "GH_PAT",
					"GITHUB_API_TOKEN", "GH_ENTERPRISE_TOKEN"), c->name, sizeof(c->name));
		if (!rc)
			rc = crc_token(r, "ghp_", c->value, sizeof(c->value));
		break;
	case 1:
		c->detector = "npm-token";
		rc = pick_name(r, NAMES("NPM_TOKEN", "NODE_AUTH_TOKEN", "NPM_AUTH_TOKEN", "NPM_PUBLISH_TOKEN"),
			       c->name, sizeof(c->name));
		if (!rc)
			rc = crc_token(r, "npm_", c->value, sizeof(c->value));
		break;
	case 2:
		/* key ids are base32: no 0, 1, 8 or 9 */
		c->detector = "aws-access-key-id";
		snprintf(c->name, sizeof(c->name), "AWS_ACCESS_KEY_ID");
		rc = rand_str(r, B32, 16, a);
		snprintf(c->value, sizeof(c->value), "AKIA%s", a);
		break;
	case 3:
		c->detector = "aws-secret-access-key";
		snprintf(c->name, sizeof(c->name), "AWS_SECRET_ACCESS_KEY");
		rc = rand_str(r, B64, 40, c->value);
		break;
	case 4:
		c->detector = "slack-token";
		rc = pick_name(r, NAMES("SLACK_BOT_TOKEN", "SLACK_TOKEN", "SLACK_API_TOKEN"), c->name, sizeof(c->name));
		if (!rc)
			rc = rand_str(r, DIGITS, 12, s1);
		if (!rc)
			rc = rand_str(r, DIGITS, 13, s2);
		if (!rc)
			rc = rand_str(r, ALNUM, 24, d);
		if (!rc && s1[0] == '0')
			s1[0] = '1';
		snprintf(c->value, sizeof(c->value), "xoxb-%s-%s-%s", s1, s2, d);
		break;
	case 5:
		c->detector = "openai-api-key";
		rc = pick_name(r, NAMES("OPENAI_API_KEY", "OPENAI_KEY"), c->name, sizeof(c->name));
		if (!rc)
			rc = rand_str(r, B64URL, 74, a);
		if (!rc)
			rc = rand_str(r, B64URL, 74, b);
		snprintf(c->value, sizeof(c->value), "sk-proj-%sT3BlbkFJ%s", a, b);
		break;
	case 6:
		c->detector = "stripe-secret-key";
		rc = pick_name(r, NAMES("STRIPE_SECRET_KEY", "STRIPE_API_KEY", "STRIPE_SK"), c->name, sizeof(c->name));
		if (!rc)
			rc = rand_str(r, ALNUM, 99, a);
		snprintf(c->value, sizeof(c->value), "sk_live_51%s", a);
		break;
	case 7:
		c->detector = "pypi-token";
		rc = pick_name(r, NAMES("PYPI_TOKEN", "PYPI_API_TOKEN", "TWINE_PASSWORD"), c->name, sizeof(c->name));
		if (!rc)
			rc = rand_str(r, B64URL, 150, a);
		snprintf(c->value, sizeof(c->value), "pypi-AgEIcHlwaS5vcmcCJ%s", a);
		break;
	default:
		c->detector = "anthropic-api-key";
		rc = pick_name(r, NAMES("ANTHROPIC_API_KEY", "CLAUDE_API_KEY"), c->name, sizeof(c->name));
		if (!rc)
			rc = rand_str(r, B64URL, 93, a);
		snprintf(c->value, sizeof(c->value), "sk-ant-api03-%sAA", a);
		break;
	}
	return rc;
}

int brk_scan_canary_generate(struct brk_scan_canary *out, size_t n, const uint8_t seed[32])
{
	struct rng r;
	size_t i;

	if (!out || n == 0)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	if (seed) {
		r.seeded = 1;
		memcpy(r.s, seed, sizeof(r.s));
		if (!(r.s[0] | r.s[1] | r.s[2] | r.s[3]))
			r.s[0] = 1;
	}
	for (i = 0; i < n; i++)
		if (gen_one(&r, (unsigned)(i % BRK_SCAN_CANARY_SHAPES), &out[i]) < 0)
			return -EIO;
	return (int)n;
}

int brk_scan_canary_npmrc(const struct brk_scan_canary *c, char *buf, size_t cap)
{
	int n;

	if (!c || strncmp(c->value, "npm_", 4) != 0)
		return -EINVAL;
	n = snprintf(buf, cap, "//registry.npmjs.org/:_authToken=%s\nalways-auth=true\n", c->value);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}
