/* SPDX-License-Identifier: MIT */
/*
 * swap_jail.c - the launcher's side of the secretless jail (swap_jail.h):
 * the table built and handed to the engine, our environment scrubbed, the
 * credential files covered in the private mount namespace, and the
 * capabilities that reach past it dropped in the child.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/mountns.h"
#include "broker/placeholder.h"
#include "broker/secrets.h"
#include "broker/swap.h"
#include "broker/swap_jail.h"
#include "common/dlp_err.h"
#include "common/log.h"

extern char **environ;

int brk_swap_jail_build(struct brk_swaps *sw, const char *profile, bool real,
			struct brk_ctx *ctx)
{
	struct brk_secrets *s = calloc(1, sizeof(*s));
	size_t i, nrep = 0, nswap = 0;
	int rc;

	if (!s)
		return -ENOMEM;
	rc = brk_secrets_collect(s, environ, NULL, NULL);
	if (rc == 0)
		rc = brk_swaps_build(sw, s, profile, real ? BRK_SWAPS_REAL : BRK_SWAPS_KEYCACHE);
	brk_secrets_free(s);
	free(s);
	if (rc == 0)
		rc = brk_swaps_apply(sw, ctx->scan);
	if (rc < 0)
		return rc;
	for (i = 0; i < sw->n; i++) {
		nrep += sw->v[i].replaced;
		nswap += sw->v[i].swaps;
	}
	ctx->swaps = sw;
	if (real && sw->n)
		dlp_log(DLP_LOG_WARN, "--real-secrets: the %zu credential%s the command can "
			"read go into the jail as they are; only content inspection stands "
			"between them and an encrypting payload", sw->n, sw->n == 1 ? "" : "s");
	dlp_log(DLP_LOG_INFO, "%zu known secret%s loaded, %zu replaced by placeholders "
		"(%zu swap at their homes; dlpjail --show-secrets lists them)",
		sw->n, sw->n == 1 ? "" : "s", nrep, nswap);
	return 0;
}

size_t brk_swap_jail_scrub_environ(const struct brk_swaps *sw)
{
	size_t i, n = 0;

	for (i = 0; environ[i]; i++) {
		char *eq = strchr(environ[i], '=');

		if (eq && brk_swaps_subst(sw, (uint8_t *)eq + 1, strlen(eq + 1)))
			n++;
	}
	return n;
}

/* Read a credential file (regular, at most COVER_FILE_MAX: the collector's
 * FILE_MAX in secrets_int.h, so every file it learnt a value from can be
 * covered). NULL if not. */
#define COVER_FILE_MAX (8 << 20)

static uint8_t *cred_read(const char *path, size_t *len, struct stat *st)
{
	uint8_t *b = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size > COVER_FILE_MAX ||
	    !(b = malloc((size_t)st->st_size + 1)))
		goto out;
	while (got < (size_t)st->st_size) {
		ssize_t r = read(fd, b + got, (size_t)st->st_size - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*len = got;
out:
	close(fd);
	return b;
}

/* KEY.pub beside a key file covered by a fresh key: the fresh key's public
 * half (the real .pub's comment kept), so that the pair in the jail
 * matches. A stand-in that parses as nothing leaves the .pub alone (a
 * public key is no secret). 0 or negative errno. */
static int cover_pub(struct brk_mountns *mns, const char *key, const struct brk_swap *k)
{
	char path[PATH_MAX + 8], comment[256] = "", *line = NULL;
	struct stat st;
	size_t len = 0, ll = 0;
	uint8_t *b;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s.pub", key) >= sizeof(path) ||
	    !(b = cred_read(path, &len, &st)))
		return 0;
	{
		/* TYPE BASE64 [COMMENT] */
		const uint8_t *sp = memchr(b, ' ', len), *sp2 = NULL;

		if (sp)
			sp2 = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - b));
		if (sp2) {
			size_t cl = len - (size_t)(sp2 + 1 - b);

			while (cl && (sp2[cl] == '\n' || sp2[cl] == '\r' || !sp2[cl]))
				cl--;
			snprintf(comment, sizeof(comment), "%.*s", (int)cl, (const char *)sp2 + 1);
		}
	}
	free(b);
	if (brk_placeholder_key_pub(k->ph, k->ph_len, comment, &line, &ll) < 0)
		return 0;
	rc = brk_mountns_cover_file(mns, path, line, ll);
	free(line);
	return rc;
}

/* Above what brk_secrets_files() can list from the table, ~/.ssh and
 * MORE_MAX (320: 192 of them AWS caches): a collected file left uncovered
 * would show the jail the real value its placeholder stands for. */
#define COVER_MAX 512

int brk_swap_jail_cover(struct brk_mountns *mns, struct brk_swaps *sw)
{
	/* the table's ~40 files, ~/.ssh, and the paths beyond it (secrets_int.h) */
	static char files[COVER_MAX][PATH_MAX];
	char cwd[PATH_MAX];
	size_t nf, i, j, nreal = 0, ncov = 0, ndone = 0;
	struct { dev_t dev; ino_t ino; } done[COVER_MAX];
	int rc = 0;

	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;   /* ./.npmrc, ./.env: absolute paths for the mounts */
	nf = brk_secrets_files(NULL, cwd, files, COVER_MAX);
	for (i = 0; i < nf && rc == 0; i++) {
		struct stat st;
		size_t len = 0, blen, cnt;
		uint8_t *b = cred_read(files[i], &len, &st), *c;
		const struct brk_swap *k = NULL;

		if (!b)
			continue;
		blen = len;   /* what to wipe: len becomes the copy's */
		for (j = 0; j < ndone; j++)   /* ~/.npmrc is ./.npmrc in ~ */
			if (done[j].dev == st.st_dev && done[j].ino == st.st_ino)
				break;
		if (j < ndone) {
			explicit_bzero(b, blen);
			free(b);
			continue;
		}
		done[ndone].dev = st.st_dev;
		done[ndone++].ino = st.st_ino;
		for (j = 0; j < sw->n && !k; j++)
			if (sw->v[j].key && sw->v[j].len == len && !memcmp(sw->v[j].real, b, len))
				k = &sw->v[j];
		if (k && k->replaced && k->ph) {
			c = k->ph;
			cnt = 1;
			len = k->ph_len;
		} else {
			c = b;
			cnt = brk_swaps_subst(sw, b, len);
		}
		if (cnt && mns) {
			char abs[PATH_MAX];

			/* the mount target must be absolute (HOME may not be) */
			rc = realpath(files[i], abs) ? brk_mountns_cover_file(mns, abs, c, len) : -errno;
			ncov++;
			if (rc == 0 && k)
				rc = cover_pub(mns, abs, k);
			if (st.st_nlink > 1)
				dlp_log(DLP_LOG_WARN, "%s has %ju hard links: the jail sees the "
					"placeholders under this name only", files[i],
					(uintmax_t)st.st_nlink);
		} else if (cnt) {
			/* no namespace: the jail reads this file as it is */
			for (j = 0; j < sw->n; j++) {
				struct brk_swap *w = &sw->v[j];

				if (!w->replaced || w->len > len || !(k == w ||
				    (!w->key && memmem(c, len, w->ph, w->len))))
					continue;
				w->replaced = false;   /* ph stays: the environment holds it */
				nreal++;
			}
		}
		explicit_bzero(b, blen);
		free(b);
	}
	if (nreal)
		dlp_log(DLP_LOG_WARN, "no private mount namespace: the credential files are "
			"readable in the jail as they are (%zu credential%s in real; only the "
			"environment holds placeholders)", nreal, nreal == 1 ? "" : "s");
	else if (ncov)
		dlp_log(DLP_LOG_INFO, "%zu credential file%s covered by placeholder copies",
			ncov, ncov == 1 ? "" : "s");
	return rc;
}

size_t brk_swap_jail_replaced(const struct brk_swaps *sw)
{
	size_t i, n = 0;

	for (i = 0; i < sw->n; i++)
		n += sw->v[i].replaced;
	return n;
}
