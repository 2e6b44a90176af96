/* SPDX-License-Identifier: MIT */
/*
 * tls_keys.c - claims, key-log secrets and relay verdicts of hooked TLS
 * sessions (see tls_keys.h). Small fixed tables under one mutex: the
 * oldest entry is evicted when one is full, entries expire, secrets are
 * wiped (OPENSSL_cleanse) whenever an entry is dropped.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "broker/relay/tls_keys.h"
#include "common/dlp_err.h"

#define TK_CLAIMS 256
#define TK_SESSIONS 512
#define TK_STATUS 64
#define TK_CLAIM_SEC 30         /* a claim not consumed by then is stale */
#define TK_SESSION_SEC 600      /* keys of a session the relay never saw */

struct tk_claim {
	bool used;
	struct brk_addr la;
	int lport;
	pid_t pid;
	time_t since;
};

struct tk_session {
	bool used, conflict;
	uint8_t cr[32];
	pid_t pid;
	time_t since;
	uint32_t have;                          /* bit per label */
	uint8_t len[BRK_TLS_NLABELS];
	uint8_t secret[BRK_TLS_NLABELS][BRK_TLS_SECRET_MAX];
};

struct tk_status {
	bool used;
	struct brk_addr la;
	int lport;
	time_t since;
	char line[512];
};

struct brk_tls_keys {
	pthread_mutex_t lock;
	pthread_cond_t cond;                    /* CLOCK_MONOTONIC: a key came */
	bool relay;
	struct tk_claim claim[TK_CLAIMS];
	struct tk_session sess[TK_SESSIONS];
	struct tk_status status[TK_STATUS];
	unsigned next_status;
};

static const struct {
	const char *name;
	int label;                              /* enum brk_tls_label, -1: not used */
} tk_labels[] = {
	{ "CLIENT_RANDOM", BRK_TLS_MASTER },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", BRK_TLS_C_HS },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", BRK_TLS_S_HS },
	{ "CLIENT_TRAFFIC_SECRET_0", BRK_TLS_C_AP },
	{ "SERVER_TRAFFIC_SECRET_0", BRK_TLS_S_AP },
	{ "CLIENT_EARLY_TRAFFIC_SECRET", BRK_TLS_C_EARLY },
	{ "EXPORTER_SECRET", -1 },
	{ "EARLY_EXPORTER_SECRET", -1 },
};

static time_t tk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* v4-mapped and plain spellings of one jail socket are one key */
static bool tk_same(const struct brk_addr *a, int ap, const struct brk_addr *b, int bp)
{
	struct brk_addr x, y;

	brk_addr_canon(a, &x);
	brk_addr_canon(b, &y);
	return ap == bp && x.v == y.v && !memcmp(x.b, y.b, x.v == 4 ? 4 : 16);
}

int brk_tls_keys_new(struct brk_tls_keys **out)
{
	struct brk_tls_keys *k = calloc(1, sizeof(*k));
	pthread_condattr_t ca;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = k;
	return 0;
}

void brk_tls_keys_free(struct brk_tls_keys *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->cond);
	OPENSSL_cleanse(k->sess, sizeof(k->sess));
	free(k);
}

void brk_tls_keys_set_relay(struct brk_tls_keys *k, bool on)
{
	pthread_mutex_lock(&k->lock);
	k->relay = on;
	pthread_mutex_unlock(&k->lock);
}

bool brk_tls_keys_relay(struct brk_tls_keys *k)
{
	bool on;

	pthread_mutex_lock(&k->lock);
	on = k->relay;
	pthread_mutex_unlock(&k->lock);
	return on;
}

/* ---- claims ---- */

int brk_tls_claim(struct brk_tls_keys *k, const struct brk_addr *la, int lport, pid_t pid)
{
	struct tk_claim *c, *slot = NULL, *old = &k->claim[0];
	time_t now = tk_now();
	unsigned i;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < TK_CLAIMS; i++) {
		c = &k->claim[i];
		if (c->used && now - c->since > TK_CLAIM_SEC)
			c->used = false;
		if (c->used && tk_same(&c->la, c->lport, la, lport)) {
			slot = c;
			break;
		}
		if (!c->used && !slot)
			slot = c;
		if (c->since < old->since)
			old = c;
	}
	if (!slot)
		slot = old;     /* full: the oldest claim goes (its session is refused) */
	slot->used = true;
	slot->la = *la;
	slot->lport = lport;
	slot->pid = pid;
	slot->since = now;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

bool brk_tls_claim_take(struct brk_tls_keys *k, const struct brk_addr *la, int lport)
{
	time_t now = tk_now();
	bool hit = false;
	unsigned i;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < TK_CLAIMS && !hit; i++) {
		struct tk_claim *c = &k->claim[i];

		if (c->used && tk_same(&c->la, c->lport, la, lport)) {
			hit = now - c->since <= TK_CLAIM_SEC;
			c->used = false;
		}
	}
	pthread_mutex_unlock(&k->lock);
	return hit;
}

/* ---- secrets ---- */

static void tk_wipe(struct tk_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
	s->used = false;
}

/* Under the lock: the session of cr, created when create. */
static struct tk_session *tk_find(struct brk_tls_keys *k, const uint8_t cr[32], bool create)
{
	struct tk_session *s, *slot = NULL, *old = &k->sess[0];
	time_t now = tk_now();
	unsigned i;

	for (i = 0; i < TK_SESSIONS; i++) {
		s = &k->sess[i];
		if (s->used && now - s->since > TK_SESSION_SEC)
			tk_wipe(s);
		if (s->used && !memcmp(s->cr, cr, 32))
			return s;
		if (!s->used && !slot)
			slot = s;
		if (s->since < old->since)
			old = s;
	}
	if (!create)
		return NULL;
	if (!slot) {
		tk_wipe(old);
		slot = old;
	}
	slot->used = true;
	memcpy(slot->cr, cr, 32);
	slot->since = now;
	return slot;
}

/* Hex field [p, p + n) into out (exactly n / 2 bytes). */
static int tk_hex(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	char hex[2 * BRK_TLS_SECRET_MAX + 1];
	size_t got = 0;

	if (n == 0 || n % 2 || n / 2 > cap || n >= sizeof(hex))
		return -EINVAL;
	memcpy(hex, p, n);
	hex[n] = '\0';
	if (!OPENSSL_hexstr2buf_ex(out, cap, &got, hex, '\0') || got != n / 2)
		return -EINVAL;
	*outlen = got;
	return 0;
}

int brk_tls_keylog(struct brk_tls_keys *k, pid_t pid, const uint8_t *line, size_t len)
{
	const uint8_t *sp1, *sp2, *end = line + len;
	uint8_t cr[32], sec[BRK_TLS_SECRET_MAX];
	size_t crl = 0, secl = 0, i;
	struct tk_session *s;
	int label = -2, rc = 0;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		end = line + --len;
	sp1 = memchr(line, ' ', len);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
	if (!sp2)
		return -EINVAL;
	for (i = 0; i < DLP_ARRAY_SIZE(tk_labels); i++)
		if ((size_t)(sp1 - line) == strlen(tk_labels[i].name) &&
		    !memcmp(line, tk_labels[i].name, (size_t)(sp1 - line)))
			label = tk_labels[i].label;
	if (label == -2 || tk_hex(sp1 + 1, (size_t)(sp2 - sp1 - 1), cr, sizeof(cr), &crl) < 0 ||
	    crl != 32 || tk_hex(sp2 + 1, (size_t)(end - sp2 - 1), sec, sizeof(sec), &secl) < 0)
		return -EINVAL;
	if (label < 0)
		goto out;       /* exporter secrets: nothing to decrypt with */
	pthread_mutex_lock(&k->lock);
	s = tk_find(k, cr, true);
	if (s->have & (1u << label)) {
		if (s->len[label] != secl || CRYPTO_memcmp(s->secret[label], sec, secl)) {
			s->conflict = true;
			rc = -EEXIST;
		}
	} else {
		s->pid = pid;
		s->have |= 1u << label;
		s->len[label] = (uint8_t)secl;
		memcpy(s->secret[label], sec, secl);
	}
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
out:
	OPENSSL_cleanse(sec, sizeof(sec));
	return rc;
}

int brk_tls_secret(struct brk_tls_keys *k, const uint8_t cr[32], enum brk_tls_label label,
		   uint8_t *out, size_t *outlen, unsigned wait_ms)
{
	struct timespec until;
	struct tk_session *s;
	int rc = -ENOENT;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&k->lock);
	for (;;) {
		s = tk_find(k, cr, false);
		if (s && s->conflict) {
			rc = -EKEYREJECTED;
			break;
		}
		if (s && (s->have & (1u << label))) {
			memcpy(out, s->secret[label], s->len[label]);
			*outlen = s->len[label];
			rc = 0;
			break;
		}
		if (pthread_cond_timedwait(&k->cond, &k->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

void brk_tls_keys_drop(struct brk_tls_keys *k, const uint8_t cr[32])
{
	struct tk_session *s;

	pthread_mutex_lock(&k->lock);
	s = tk_find(k, cr, false);
	if (s)
		tk_wipe(s);
	pthread_mutex_unlock(&k->lock);
}

/* ---- verdicts ---- */

void brk_tls_set_status(struct brk_tls_keys *k, const struct brk_addr *la, int lport,
			const char *line)
{
	struct tk_status *st;

	pthread_mutex_lock(&k->lock);
	st = &k->status[k->next_status++ % TK_STATUS];
	st->used = true;
	st->la = *la;
	st->lport = lport;
	st->since = tk_now();
	snprintf(st->line, sizeof(st->line), "%s", line);
	pthread_mutex_unlock(&k->lock);
}

int brk_tls_status(struct brk_tls_keys *k, const struct brk_addr *la, int lport, char *line,
		   size_t cap)
{
	time_t now = tk_now();
	unsigned i;
	int hit = 0;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < TK_STATUS && !hit; i++) {
		struct tk_status *st = &k->status[i];

		if (st->used && now - st->since <= TK_CLAIM_SEC &&
		    tk_same(&st->la, st->lport, la, lport)) {
			snprintf(line, cap, "%s", st->line);
			st->used = false;
			hit = 1;
		}
	}
	pthread_mutex_unlock(&k->lock);
	return hit;
}
