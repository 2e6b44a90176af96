/* SPDX-License-Identifier: MIT */
/*
 * swap.c - the secretless jail's table (swap.h): built by the launcher from
 * the known secrets (secrets.c) and the profile's needs (profile.c), read
 * by the relay's border (broker/relay/swap_*.c), the engine, the child's
 * environment and the private copies of the credential files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

extern char **environ;

#include "broker/placeholder.h"
#include "common/redact.h"
#include "broker/profile.h"
#include "broker/scan/scan.h"
#include "broker/swap.h"

/* ---- kinds: what a credential is for, from where it was found ---------- */

static const struct {
	const char *match;      /* a source starting so ("~/.npmrc"), an env
				 * name ("env NPM_TOKEN"), or a detector id
				 * prefix ("npm-") */
	unsigned kind;
} brk_swap_kinds[] = {
	/* in-process first: a secret key is never a token */
	{ "~/.aws/credentials", BRK_SECRET_K_AWS },   /* refined in kind_of() */
	{ "env AWS_SECRET_ACCESS_KEY", BRK_SECRET_K_AWS_KEY },
	{ "env AWS_ACCESS_KEY_ID", BRK_SECRET_K_AWS },
	{ "env AWS_SESSION_TOKEN", BRK_SECRET_K_AWS },
	{ "~/.npmrc", BRK_SECRET_K_NPM },
	{ "./.npmrc", BRK_SECRET_K_NPM },
	{ "~/.yarnrc.yml", BRK_SECRET_K_NPM },
	{ "env NPM_TOKEN", BRK_SECRET_K_NPM },
	{ "env NODE_AUTH_TOKEN", BRK_SECRET_K_NPM },
	{ "env YARN_NPM_AUTH_TOKEN", BRK_SECRET_K_NPM },
	{ "env NPM_CONFIG_", BRK_SECRET_K_NPM },
	{ "env npm_config_", BRK_SECRET_K_NPM },
	{ "~/.git-credentials", BRK_SECRET_K_FORGE },
	{ "~/.config/gh/hosts.yml", BRK_SECRET_K_FORGE },
	{ "env GH_TOKEN", BRK_SECRET_K_FORGE },
	{ "env GITHUB_TOKEN", BRK_SECRET_K_FORGE },
	{ "env GH_ENTERPRISE_TOKEN", BRK_SECRET_K_FORGE },
	{ "env GITLAB_TOKEN", BRK_SECRET_K_FORGE },
	{ "env GL_TOKEN", BRK_SECRET_K_FORGE },
	{ "~/.pypirc", BRK_SECRET_K_PYPI },
	{ "env TWINE_PASSWORD", BRK_SECRET_K_PYPI },
	{ "env PIP_", BRK_SECRET_K_PYPI },
	{ "env UV_INDEX_", BRK_SECRET_K_PYPI },
	{ "~/.cargo/credentials", BRK_SECRET_K_CARGO },
	{ "env CARGO_REGISTRY_TOKEN", BRK_SECRET_K_CARGO },
	{ "env CARGO_REGISTRIES_", BRK_SECRET_K_CARGO },
	{ "~/.gem/credentials", BRK_SECRET_K_GEM },
	{ "env GEM_HOST_API_KEY", BRK_SECRET_K_GEM },
	{ "~/.docker/config.json", BRK_SECRET_K_DOCKER },
};

static const struct {
	const char *prefix;     /* detector id prefix */
	unsigned kind;
} brk_swap_det_kinds[] = {
	{ "npm-", BRK_SECRET_K_NPM },
	{ "github-", BRK_SECRET_K_FORGE },
	{ "gitlab-", BRK_SECRET_K_FORGE },
	{ "pypi-", BRK_SECRET_K_PYPI },
	{ "rubygems-", BRK_SECRET_K_GEM },
	{ "dockerhub-", BRK_SECRET_K_DOCKER },
	{ "aws-access-key-id", BRK_SECRET_K_AWS },
	{ "aws-secret-access-key", BRK_SECRET_K_AWS_KEY },
};

/* A ~/.netrc password for one of these hosts is pip's, or git's. */
static const char *const pypi_hosts[] = { "pypi.org", "upload.pypi.org", "test.pypi.org",
					  "files.pythonhosted.org", NULL };
static const char *const forge_hosts[] = { "github.com", "api.github.com", "gitlab.com",
					   "bitbucket.org", "codeberg.org", NULL };

static int netrc_for(const struct brk_secret *x, const char *const *hosts)
{
	size_t i, j;

	for (j = 0; j < x->nhome; j++)
		for (i = 0; hosts[i]; i++)
			if (!strcasecmp(x->home[j], hosts[i]))
				return 1;
	return 0;
}

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static unsigned kind_of(const struct brk_secret *x)
{
	size_t i;

	if (x->key)
		return BRK_SECRET_K_SSH_KEY;
	/* ~/.aws/credentials: the secret key is the line with no home */
	if (starts(x->source, "~/.aws/credentials"))
		return x->nhome ? BRK_SECRET_K_AWS : BRK_SECRET_K_AWS_KEY;
	for (i = 0; i < sizeof(brk_swap_kinds) / sizeof(brk_swap_kinds[0]); i++)
		if (starts(x->source, brk_swap_kinds[i].match))
			return brk_swap_kinds[i].kind;
	/* "env NAME (via ~/.npmrc:3)": the file that names the variable */
	if (starts(x->source, "env ") && strstr(x->source, "(via ~/.npmrc"))
		return BRK_SECRET_K_NPM;
	if (starts(x->source, "env ") && strstr(x->source, "(via ./.npmrc"))
		return BRK_SECRET_K_NPM;
	if (starts(x->source, "~/.netrc") && netrc_for(x, pypi_hosts))
		return BRK_SECRET_K_PYPI;
	if (starts(x->source, "~/.netrc") && netrc_for(x, forge_hosts))
		return BRK_SECRET_K_FORGE;
	for (i = 0; x->detector && i < sizeof(brk_swap_det_kinds) / sizeof(brk_swap_det_kinds[0]); i++)
		if (starts(x->detector, brk_swap_det_kinds[i].prefix))
			return brk_swap_det_kinds[i].kind;
	return BRK_SECRET_K_OTHER;
}

/* ---- building ---------------------------------------------------------- */

/* A private key we cannot regenerate (encrypted, unknown type): the same
 * armor lines, the body drawn anew, so that it parses as nothing. */
static int key_stand_in(const struct brk_swap *w, uint8_t *ph)
{
	size_t i = 0;
	int rc;

	memcpy(ph, w->real, w->len);
	while (i < w->len) {
		size_t e = i;

		while (e < w->len && w->real[e] != '\n')
			e++;
		if (e - i >= 4 && w->real[i] != '-') {
			rc = brk_placeholder_make(w->real + i, e - i, NULL, ph + i);
			if (rc < 0 && rc != -EAGAIN)
				return rc;
		}
		i = e + 1;
	}
	return 0;
}

/*
 * A fresh key can take a second (RSA 3072/4096) and is no secret: kept per
 * real key in the engine's cache directory (keys/SHA256-of-the-real-file),
 * which the jail sees read-only. A cached file that is not ours, not
 * regular or too big is ignored and replaced.
 */
static int key_cache_path(const struct brk_swap *w, char *path, size_t cap)
{
	uint8_t md[32];
	char dir[PATH_MAX], hex[65];
	unsigned mdl = 0, i;

	if (brk_scan_cache_prepare(dir, sizeof(dir)) < 0 ||
	    !EVP_Digest(w->real, w->len, md, &mdl, EVP_sha256(), NULL) || mdl != 32)
		return -ENOENT;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if ((size_t)snprintf(path, cap, "%s/keys", dir) >= cap ||
	    (mkdir(path, 0700) < 0 && errno != EEXIST) ||
	    (size_t)snprintf(path, cap, "%s/keys/%s", dir, hex) >= cap)
		return -ENAMETOOLONG;
	return 0;
}

static int key_cached(const char *path, uint8_t **k, size_t *kl)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -ENOENT;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    st.st_size > 0 && st.st_size <= 16384 && (*k = malloc((size_t)st.st_size))) {
		if (read(fd, *k, (size_t)st.st_size) == st.st_size) {
			*kl = (size_t)st.st_size;
			rc = 0;
		} else {
			free(*k);
			*k = NULL;
		}
	}
	close(fd);
	return rc;
}

static void key_cache_put(const char *path, const uint8_t *k, size_t kl)
{
	char tmp[PATH_MAX + 16];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()) >= sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write(fd, k, kl) != (ssize_t)kl || close(fd) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

static int fresh_key(struct brk_swap *w, unsigned flags, uint8_t **k, size_t *kl)
{
	char path[PATH_MAX];
	int cache = (flags & BRK_SWAPS_KEYCACHE) && key_cache_path(w, path, sizeof(path)) == 0;

	if (cache && key_cached(path, k, kl) == 0)
		return 0;
	if (brk_placeholder_key(w->real, w->len, k, kl) < 0)
		return -EOPNOTSUPP;
	if (cache)
		key_cache_put(path, *k, *kl);
	return 0;
}

static int make_ph(struct brk_swap *w, unsigned flags)
{
	uint8_t *k = NULL;
	size_t kl = 0;
	int rc;

	if (w->key && !(flags & BRK_SWAPS_NOKEYGEN) && fresh_key(w, flags, &k, &kl) == 0) {
		w->ph = calloc(1, kl > w->len ? kl : w->len);
		if (w->ph)
			memcpy(w->ph, k, kl);
		w->ph_len = kl;
		explicit_bzero(k, kl);
		free(k);
		return w->ph ? 0 : -ENOMEM;
	}
	w->ph = malloc(w->len);
	if (!w->ph)
		return -ENOMEM;
	w->ph_len = w->len;
	rc = w->key ? key_stand_in(w, w->ph) : brk_placeholder_make(w->real, w->len, w->detector, w->ph);
	if (rc == -EAGAIN) {
		/* nothing to draw (a value made of separators): let it in, the
		 * engine still refuses it anywhere but its homes */
		free(w->ph);
		w->ph = NULL;
		w->replaced = false;
		return 0;
	}
	return rc;
}

static int has_home(const struct brk_swap *w)
{
	const char *const *dh = w->detector ? brk_scan_detector_homes(w->detector) : NULL;

	return w->nhome > 0 || (dh && dh[0]);
}

/*
 * A value that is base64("user:password") (a docker "auth", an .npmrc
 * _auth) where the password is another entry: its placeholder becomes
 * base64("user:" + the password's placeholder), same length, so that a
 * client that decodes it finds the same placeholder the jail shows
 * elsewhere, and a border that decodes Basic auth finds one it knows.
 */
static void basic_consistent(struct brk_swaps *sw)
{
	uint8_t dec[1024], enc[1400];
	size_t i, j;

	for (i = 0; i < sw->n; i++) {
		struct brk_swap *w = &sw->v[i];
		const uint8_t *colon;
		size_t pad = 0, dl;
		int n;

		if (!w->replaced || !w->ph || w->key || w->len % 4 || w->len > sizeof(enc) - 1 ||
		    w->len / 4 * 3 > sizeof(dec))
			continue;
		n = EVP_DecodeBlock(dec, w->real, (int)w->len);
		while (pad < 2 && pad < w->len && w->real[w->len - 1 - pad] == '=')
			pad++;
		if (n < 0 || (size_t)n < pad)
			continue;
		dl = (size_t)n - pad;
		colon = memchr(dec, ':', dl);
		for (j = 0; colon && j < sw->n; j++) {
			const struct brk_swap *p = &sw->v[j];
			size_t pl = dl - (size_t)(colon + 1 - dec);

			if (j == i || !p->replaced || !p->ph || p->len != pl ||
			    memcmp(colon + 1, p->real, pl))
				continue;
			memcpy((uint8_t *)colon + 1, p->ph, pl);
			if (EVP_EncodeBlock(enc, dec, (int)dl) == (int)w->len)
				memcpy(w->ph, enc, w->len);
			break;
		}
		explicit_bzero(dec, sizeof(dec));
		explicit_bzero(enc, sizeof(enc));
	}
}

int brk_swaps_build(struct brk_swaps *sw, const struct brk_secrets *s, const char *profile,
		    unsigned flags)
{
	unsigned needs = brk_profile_secret_needs(profile);
	size_t i, j;
	int rc = 0;

	memset(sw, 0, sizeof(*sw));
	for (i = 0; i < s->n && i < BRK_SECRETS_MAX; i++) {
		const struct brk_secret *x = &s->v[i];
		struct brk_swap *w = &sw->v[sw->n];

		w->real = malloc(x->len ? x->len : 1);
		if (!w->real) {
			rc = -ENOMEM;
			goto out;
		}
		sw->n++;
		memcpy(w->real, x->value, x->len);
		w->len = x->len;
		w->key = x->key;
		w->detector = x->detector;
		snprintf(w->source, sizeof(w->source), "%s", x->source);
		for (j = 0; j < x->nhome; j++) {
			if (!(w->home[w->nhome] = strdup(x->home[j]))) {
				rc = -ENOMEM;
				goto out;
			}
			w->nhome++;
		}
		w->kind = kind_of(x);
		if (w->kind & BRK_SECRET_K_INPROC) {
			/* signs in-process: no swap can help; in real or not at all */
			w->swaps = false;
			w->replaced = !(needs & w->kind);
		} else {
			w->swaps = (needs & w->kind) && has_home(w);
			w->replaced = true;
		}
		if ((w->embedded = x->embedded))   /* its file is not rewritten */
			w->replaced = false;
		if (flags & BRK_SWAPS_REAL) {
			w->replaced = false;
			w->swaps = false;
		}
		if (w->replaced && (rc = make_ph(w, flags)) < 0)
			goto out;
	}
	basic_consistent(sw);
out:
	if (rc < 0)
		brk_swaps_free(sw);
	return rc;
}

void brk_swaps_free(struct brk_swaps *sw)
{
	size_t i, j;

	for (i = 0; i < sw->n; i++) {
		struct brk_swap *w = &sw->v[i];

		if (w->real)
			explicit_bzero(w->real, w->len);
		if (w->ph)
			explicit_bzero(w->ph, w->ph_len > w->len ? w->ph_len : w->len);
		free(w->real);
		free(w->ph);
		for (j = 0; j < w->nhome; j++)
			free(w->home[j]);
	}
	explicit_bzero(sw, sizeof(*sw));
}

int brk_swaps_apply(const struct brk_swaps *sw, struct brk_scan_engine *e)
{
	struct brk_scan_known *k = calloc(2 * sw->n + 1, sizeof(*k));
	size_t i, n = 0;
	int rc;

	if (!k)
		return -ENOMEM;
	for (i = 0; i < sw->n; i++) {
		const struct brk_swap *w = &sw->v[i];

		k[n].value = w->real;
		k[n].len = w->len;
		k[n].home = (const char *const *)w->home;
		k[n].nhome = w->nhome;
		k[n].detector = w->detector;
		k[n].source = w->source;
		k[n++].key = w->key;
		/* a fresh key is worth nothing, but its private fields sent
		 * anywhere are a key file being stolen (known_key.c indexes
		 * those only: a key's forms are no longer its whole file) */
		if (!w->replaced || !w->ph)
			continue;
		/* the placeholder: harmless at the homes, proof elsewhere */
		k[n].value = w->ph;
		k[n].len = w->ph_len;
		k[n].home = (const char *const *)w->home;
		k[n].nhome = w->nhome;
		k[n].detector = w->detector;
		k[n].key = w->key;
		k[n].source = w->source;
		k[n++].placeholder = 1;
	}
	rc = brk_scan_engine_add_known(e, k, n);
	free(k);
	return rc;
}

/* ---- substitution ------------------------------------------------------ */

static int unreserved(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode v[0,n) (every byte but the unreserved ones, hex case
 * given) into dst (3n bytes). Returns its length. */
static size_t pct(const uint8_t *v, size_t n, int upper, uint8_t *dst)
{
	const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (unreserved(v[i])) {
			dst[o++] = v[i];
		} else {
			dst[o++] = '%';
			dst[o++] = (uint8_t)hx[v[i] >> 4];
			dst[o++] = (uint8_t)hx[v[i] & 15];
		}
	}
	return o;
}

static size_t replace_all(uint8_t *b, size_t len, const uint8_t *from, const uint8_t *to,
			  size_t n)
{
	size_t cnt = 0;
	uint8_t *p = b, *end = b + len;

	if (!n || n > len)
		return 0;
	while ((p = memmem(p, (size_t)(end - p), from, n)) != NULL) {
		memcpy(p, to, n);
		p += n;
		cnt++;
	}
	return cnt;
}

size_t brk_swaps_subst(const struct brk_swaps *sw, uint8_t *b, size_t len)
{
	size_t order[BRK_SECRETS_MAX], i, j, cnt = 0;

	/* longest first: a value inside another (a password inside its
	 * user:password blob) must not break the longer one's match */
	for (i = 0; i < sw->n; i++) {
		for (j = i; j > 0 && sw->v[order[j - 1]].len < sw->v[i].len; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < sw->n; i++) {
		const struct brk_swap *w = &sw->v[order[i]];
		uint8_t *er, *ep;
		int up;

		if (!w->replaced || !w->ph || w->ph_len != w->len)
			continue;
		if (w->key) {
			if (len == w->len && memcmp(b, w->real, len) == 0) {
				memcpy(b, w->ph, len);
				cnt++;
			}
			continue;
		}
		cnt += replace_all(b, len, w->real, w->ph, w->len);
		if (w->len > len)
			continue;
		er = malloc(3 * w->len);
		ep = malloc(3 * w->len);
		for (up = 0; er && ep && up < 2; up++) {
			size_t el = pct(w->real, w->len, up, er);

			if (el != w->len && pct(w->ph, w->len, up, ep) == el)
				cnt += replace_all(b, len, er, ep, el);
		}
		if (er)
			explicit_bzero(er, 3 * w->len);
		free(er);
		free(ep);
	}
	return cnt;
}

const struct brk_swap *brk_swaps_find(const struct brk_swaps *sw, const uint8_t *v, size_t n)
{
	size_t i;

	for (i = 0; sw && i < sw->n; i++)
		if (sw->v[i].len == n && memcmp(sw->v[i].real, v, n) == 0)
			return &sw->v[i];
	return NULL;
}

/* ---- dlpjail --show-secrets -------------------------------------------- */

struct show {
	const struct brk_swaps *sw;
	const char *profile;
	unsigned flags;
};

static void show_more(FILE *out, size_t i, void *arg)
{
	const struct show *sh = arg;
	const struct brk_swap *w = &sh->sw->v[i];
	char red[DLP_REDACT_MAX];

	if (i >= sh->sw->n)
		return;
	if (!w->replaced) {
		fprintf(out, "    in the jail: the real value (%s)\n",
			sh->flags & BRK_SWAPS_REAL ? "--real-secrets" :
			w->embedded ? "a key inside a file the jail reads as it is" :
			w->kind & BRK_SECRET_K_INPROC ? "the profile needs it in-process" :
			"nothing to draw a placeholder from");
		return;
	}
	dlp_redact(w->ph, w->ph_len, red, sizeof(red));
	fprintf(out, "    in the jail: placeholder %s (%s)  %s\n", red,
		brk_profile_secret_kind_name(w->kind),
		w->swaps ? "swaps at its homes" : w->key ? "never swaps (a fresh key)" :
		"never swaps");
}

int brk_swaps_show(FILE *out, const char *profile, unsigned flags)
{
	struct brk_secrets *s = calloc(1, sizeof(*s));
	struct brk_swaps *sw = calloc(1, sizeof(*sw));
	struct show sh = { .sw = sw, .profile = profile, .flags = flags };
	int rc = -ENOMEM;

	if (s && sw && (rc = brk_secrets_collect(s, environ, NULL, NULL)) == 0)
		rc = brk_swaps_build(sw, s, profile, flags | BRK_SWAPS_NOKEYGEN);
	if (rc < 0) {
		fprintf(stderr, "dlpjail: collecting known secrets: %s\n", strerror(-rc));
	} else {
		brk_secrets_list(out, s, show_more, &sh);
		fprintf(out, "profile %s: a placeholder that swaps is replaced by the real value "
			"only on a connection to one of its homes; any placeholder elsewhere is "
			"refused (rule placeholder)\n", profile ? profile : "default");
	}
	if (s)
		brk_secrets_free(s);
	if (sw)
		brk_swaps_free(sw);
	free(s);
	free(sw);
	return rc < 0 ? 2 : 0;
}
