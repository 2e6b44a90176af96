/* SPDX-License-Identifier: MIT */
/*
 * canary_gen.c - fake credentials that cannot be told from real ones
 * (brk_scan_canary_generate(), scan.h). Called by the launcher once per
 * session; the values go into the engine config as exact-match canaries.
 *
 * Each shape uses its format's real alphabet, length and checksum, so a
 * malicious hook that validates tokens before stealing them (CRC32 tail,
 * base32 key id) still takes the bait. The variable names look like the
 * ones companies invent (ACME_GH_DEPLOY_PAT, LEGACY_NPM_PUBLISH_KEY), with
 * no shared prefix, and are never a name a tool reads on its own (the deny
 * list below): a canary must sit where only a thief looks, else npm or gh
 * sends it to the registry in good faith. Names come from a per-user key
 * (canary_seed.c), so they are the same on every run; values are fresh.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "broker/scan/detect.h"
#include "broker/scan/scan.h"

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define B64URL ALNUM "_-"
#define B64 ALNUM "+/"
#define B32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define DIGITS "0123456789"
#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define RNG_BUF 64           /* getrandom() words fetched at once */

struct rng {
	int seeded;
	uint64_t s[4];
	uint64_t buf[RNG_BUF];  /* unseeded: fresh words not yet used */
	unsigned nbuf;
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static int rng_u64(struct rng *r, uint64_t *out)
{
	if (!r->seeded) {
		/* one call per RNG_BUF words: one per character was ~650
		 * getrandom() calls at every start */
		if (!r->nbuf) {
			if (getrandom(r->buf, sizeof(r->buf), 0) != (ssize_t)sizeof(r->buf))
				return -EIO;
			r->nbuf = RNG_BUF;
		}
		*out = r->buf[--r->nbuf];
		r->buf[r->nbuf] = 0;    /* a word is used once, then forgotten */
		return 0;
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

/*
 * Variable names (and "PREFIX_" families) that a tool reads by itself, or
 * that the configuration a tool writes refers to. A canary under one of
 * them is sent by the tool to its registry: never export one. Matched
 * case-insensitively (npm reads npm_config_* in any case).
 */
static const char *const denied_names[] = {
	/* npm, pnpm, bun: npm_config_* is config (_authToken included);
	 * actions/setup-node writes .npmrc with ${NODE_AUTH_TOKEN}; .npmrc
	 * files in the wild use ${NPM_TOKEN}, ${NPM_AUTH_TOKEN}... */
	"NPM_", "NODE_", "PNPM_", "BUN_",
	/* yarn berry: every YARN_* is a setting (YARN_NPM_AUTH_TOKEN) */
	"YARN_",
	/* GitHub CLI (GH_TOKEN, GITHUB_TOKEN, GH_ENTERPRISE_TOKEN,
	 * GITHUB_ENTERPRISE_TOKEN), Actions runners and inputs, git itself
	 * (GIT_ASKPASS, GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n) */
	"GH_", "GITHUB_", "ACTIONS_", "RUNNER_", "INPUT_", "GIT_",
	/* GitLab (glab GITLAB_TOKEN, CI_JOB_TOKEN), semantic-release GL_TOKEN,
	 * Bitbucket BB_TOKEN / BITBUCKET_* */
	"GITLAB_", "CI_", "GL_", "BB_", "BITBUCKET_",
	/* AWS SDKs and CLI */
	"AWS_",
	/* gcloud (CLOUDSDK_*), Google client libraries (GOOGLE_APPLICATION_
	 * CREDENTIALS, GOOGLE_API_KEY), GEMINI_API_KEY */
	"CLOUDSDK_", "GOOGLE_", "GCLOUD_", "GCP_", "GEMINI_",
	/* Azure SDK EnvironmentCredential (AZURE_CLIENT_SECRET...), terraform
	 * azurerm (ARM_*), managed identity endpoints */
	"AZURE_", "ARM_", "MSI_", "IDENTITY_",
	/* Docker CLI and login actions (DOCKER_AUTH_CONFIG, DOCKER_PASSWORD) */
	"DOCKER_",
	/* Python: twine (TWINE_PASSWORD), pip (PIP_INDEX_URL with credentials),
	 * poetry (POETRY_PYPI_TOKEN_*, POETRY_HTTP_BASIC_*), uv
	 * (UV_INDEX_*_PASSWORD), hatch, pdm, flit, conda; PYPI_API_TOKEN is
	 * what publish workflows pass to twine */
	"TWINE_", "PYPI_", "PIP_", "POETRY_", "UV_", "HATCH_", "PDM_", "FLIT_", "CONDA_",
	/* Hugging Face hub (HF_TOKEN, HUGGING_FACE_HUB_TOKEN) */
	"HF_", "HUGGING_FACE_", "HUGGINGFACE_",
	/* model APIs: each SDK reads its own *_API_KEY */
	"OPENAI_", "ANTHROPIC_", "CLAUDE_", "MISTRAL_", "COHERE_", "CO_API_KEY", "GROQ_",
	"REPLICATE_", "TOGETHER_", "LANGCHAIN_", "LANGSMITH_",
	/* Slack SDKs and CLI (SLACK_BOT_TOKEN, SLACK_APP_TOKEN), Stripe CLI */
	"SLACK_", "STRIPE_",
	/* Rust, Go, Ruby, PHP, .NET, JVM registries */
	"CARGO_", "GOPROXY", "GOPRIVATE", "GONOSUMDB", "GOFLAGS", "GOAUTH",
	"BUNDLE_", "GEM_", "RUBYGEMS_", "COMPOSER_", "NUGET_",
	"MAVEN_", "GRADLE_", "ORG_GRADLE_PROJECT_", "JFROG_", "ARTIFACTORY_",
	/* infrastructure CLIs */
	"VAULT_", "TF_", "PULUMI_", "KUBECONFIG", "HEROKU_", "DIGITALOCEAN_",
	"CLOUDFLARE_", "CF_", "NETLIFY_", "VERCEL_", "FIREBASE_", "DOPPLER_",
	/* services with CLIs or uploaders that read their token */
	"SENTRY_", "DD_", "DATADOG_", "SNYK_", "CODECOV_", "TWILIO_", "SENDGRID_",
	"HOMEBREW_", "RENOVATE_", "CIRCLE_", "TRAVIS_", "BUILDKITE_",
	/* transport settings every HTTP client reads, and our own */
	"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "CURL_", "SSL_", "SSH_",
	"NETRC", "LD_", "DLPJAIL_",
	NULL,
};

int brk_scan_canary_name_denied(const char *name)
{
	size_t i, l;

	if (!name || !*name)
		return 1;
	for (i = 0; denied_names[i]; i++) {
		l = strlen(denied_names[i]);
		if (denied_names[i][l - 1] == '_' ? strncasecmp(name, denied_names[i], l) == 0
						  : strcasecmp(name, denied_names[i]) == 0)
			return 1;
	}
	return 0;
}

/* Company-style first words: none starts a denied family. */
static const char *const name_org[] = {
	"ACME", "LEGACY", "CORP", "INTERNAL", "TEAM", "OPS", "INFRA", "PLATFORM",
	"RELEASE", "DEPLOY", "BACKUP", "SHARED", "PROD", "STAGING", "MONOREPO", "BUILDBOT",
	NULL,
};

/* Per shape (BRK_SCAN_CANARY_SHAPES order): the service words and the kinds. */
static const struct {
	const char *const *svc;
	const char *const *kind;
} name_parts[BRK_SCAN_CANARY_SHAPES] = {
	{ NAMES("GH", "GITHUB", "GHE", "GIT"),
	  NAMES("PAT", "TOKEN", "PUSH_TOKEN", "DEPLOY_PAT", "BOT_TOKEN", "ADMIN_PAT") },
	{ NAMES("NPM", "NPMJS", "REGISTRY"),
	  NAMES("TOKEN", "PUBLISH_TOKEN", "PUBLISH_KEY", "AUTH_TOKEN", "AUTOMATION_TOKEN") },
	{ NAMES("AWS", "S3", "IAM"), NAMES("ACCESS_KEY_ID", "KEY_ID") },
	{ NAMES("AWS", "S3", "IAM"), NAMES("SECRET_ACCESS_KEY", "SECRET_KEY") },
	{ NAMES("SLACK"), NAMES("BOT_TOKEN", "TOKEN", "API_TOKEN", "ALERTS_TOKEN") },
	{ NAMES("OPENAI", "GPT", "LLM"), NAMES("API_KEY", "KEY", "SECRET_KEY") },
	{ NAMES("STRIPE", "PAYMENTS", "BILLING"), NAMES("SECRET_KEY", "LIVE_KEY", "SK", "API_KEY") },
	{ NAMES("PYPI", "PYPI_UPLOAD", "WHEELS"), NAMES("TOKEN", "API_TOKEN", "PUBLISH_TOKEN") },
	{ NAMES("ANTHROPIC", "CLAUDE"), NAMES("API_KEY", "KEY") },
};

static int pick(struct rng *r, const char *const *names, const char **out)
{
	size_t n = 0, k;

	while (names[n])
		n++;
	if (rng_below(r, n, &k) < 0)
		return -EIO;
	*out = names[k];
	return 0;
}

/*
 * ORG_SERVICE_KIND for shape. The AWS secret (shape 3) reuses the key id's
 * ORG_SERVICE (stem), as the two are exported as a pair. Always draws the
 * same number of values, so a key gives the same names whatever happened
 * before. A drawn name that is denied (cannot happen with the tables above;
 * the unit test walks many keys) falls back to a fixed safe one.
 */
static int pick_name(struct rng *r, unsigned shape, char *stem, size_t stemcap, char *dst,
		     size_t cap)
{
	const char *org, *svc, *kind;

	if (pick(r, name_org, &org) < 0 || pick(r, name_parts[shape].svc, &svc) < 0 ||
	    pick(r, name_parts[shape].kind, &kind) < 0)
		return -EIO;
	if (shape == 3 && stem[0])
		snprintf(dst, cap, "%s_%s", stem, kind);
	else
		snprintf(dst, cap, "%s_%s_%s", org, svc, kind);
	if (shape == 2)
		snprintf(stem, stemcap, "%s_%s", org, svc);
	if (brk_scan_canary_name_denied(dst))
		snprintf(dst, cap, "ACME_%s_%s", name_parts[shape].svc[0], kind);
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
		rc = crc_token(r, "ghp_", c->value, sizeof(c->value));
		break;
	case 1:
		c->detector = "npm-token";
		rc = crc_token(r, "npm_", c->value, sizeof(c->value));
		break;
	case 2:
		/* key ids are base32: no 0, 1, 8 or 9 */
		c->detector = "aws-access-key-id";
		rc = rand_str(r, B32, 16, a);
		snprintf(c->value, sizeof(c->value), "AKIA%s", a);
		break;
	case 3:
		c->detector = "aws-secret-access-key";
		rc = rand_str(r, B64, 40, c->value);
		break;
	case 4:
		c->detector = "slack-token";
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
		rc = rand_str(r, B64URL, 74, a);
		if (!rc)
			rc = rand_str(r, B64URL, 74, b);
		snprintf(c->value, sizeof(c->value), "sk-proj-%sT3BlbkFJ%s", a, b);
		break;
	case 6:
		c->detector = "stripe-secret-key";
		rc = rand_str(r, ALNUM, 99, a);
		snprintf(c->value, sizeof(c->value), "sk_live_51%s", a);
		break;
	case 7:
		c->detector = "pypi-token";
		rc = rand_str(r, B64URL, 150, a);
		snprintf(c->value, sizeof(c->value), "pypi-AgEIcHlwaS5vcmcCJ%s", a);
		break;
	default:
		c->detector = "anthropic-api-key";
		rc = rand_str(r, B64URL, 93, a);
		snprintf(c->value, sizeof(c->value), "sk-ant-api03-%sAA", a);
		break;
	}
	return rc;
}

static void rng_seed(struct rng *r, const uint8_t seed[32])
{
	memset(r, 0, sizeof(*r));
	if (!seed)
		return;
	r->seeded = 1;
	memcpy(r->s, seed, sizeof(r->s));
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

int brk_scan_canary_generate(struct brk_scan_canary *out, size_t n, const uint8_t seed[32],
			     const uint8_t name_key[32])
{
	struct rng r, rn;
	char stem[48] = "";
	size_t i;
	int rc = (int)n;

	if (!out || n == 0)
		return -EINVAL;
	rng_seed(&r, seed);
	rng_seed(&rn, name_key);
	for (i = 0; i < n && rc > 0; i++) {
		unsigned shape = (unsigned)(i % BRK_SCAN_CANARY_SHAPES);

		if (gen_one(&r, shape, &out[i]) < 0 ||
		    pick_name(name_key ? &rn : &r, shape, stem, sizeof(stem), out[i].name,
			      sizeof(out[i].name)) < 0)
			rc = -EIO;
	}
	explicit_bzero(&r, sizeof(r));
	explicit_bzero(&rn, sizeof(rn));
	return rc;
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
