/* SPDX-License-Identifier: MIT */
/*
 * dns_budget.c - per-session, per-registrable-domain DNS counters and label
 * reassembly (see dns_budget.h). Only dns_policy.c records into it; the
 * lead may read counters for events. All state sits behind b->lock.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <pthread.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#ifdef HAVE_LIBPSL
#include <libpsl.h>
#endif

#include "broker/dns/dns_budget.h"
#include "broker/dns/dns_msg.h"

/* Distinct subdomain parts remembered per domain; past this the set stops
 * growing and every further part counts as new (the budget is long blown
 * by then, and memory stays bounded). */
#define BRK_DNS_SUBSET_MAX	4096u

/* Counter drip tracking of one label form (see brk_dns_label_counter). */
struct brk_dns_ctr {
	uint64_t parent;	/* hash of the labels right of the first */
	uint64_t data;		/* hash of the last data part */
	unsigned long last;	/* last counter */
	unsigned long step;
	size_t len;		/* length of the last data part */
	unsigned run;
	int offset;		/* the steps are the pieces' lengths */
	unsigned long first;	/* counter of the run's first piece */
};

struct brk_dns_domain {
	char name[BRK_DNS_REGDOM_MAX];
	struct brk_dns_ctr ctr[2];
	uint64_t hash;
	struct brk_dns_domain_stats st;
	uint64_t *subs;		/* open addressing; 0 = empty */
	size_t subs_cap;	/* power of two */
	size_t subs_used;
	struct brk_dns_reasm ra;
};

struct brk_dns_budget {
	pthread_mutex_t lock;	/* guards everything below */
	uint64_t seed;		/* keys the hashes: init-only */
	struct brk_dns_domain **tab;	/* open addressing by name hash */
	size_t tab_cap;
	size_t ndomains;
	size_t max_domains;
	unsigned long session_he_bytes;
};

int brk_dns_qtype_is_tunnel(uint16_t qtype)
{
	switch (qtype) {
	case BRK_DNS_T_CNAME:
	case BRK_DNS_T_NULL:
	case BRK_DNS_T_MX:
	case BRK_DNS_T_TXT:
	case BRK_DNS_T_SRV:
		return 1;
	default:
		return qtype >= 65280 && qtype <= 65534;
	}
}

static int brk_dns_ldh(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int brk_dns_name_split(const char *name, struct brk_dns_name *n)
{
	char look[BRK_DNS_NAME_TEXT_MAX];
	const char *reg = NULL;
	size_t off = 0, o = 0, i;
	unsigned k, dots;

	if (!name || !n)
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	if (ns_name_pton(name, n->wire, sizeof(n->wire)) < 0)
		return -EINVAL;
	while (n->wire[off] != 0) {
		if (n->nlabels >= BRK_DNS_MAX_LABELS)
			return -EINVAL;
		n->len[n->nlabels] = n->wire[off];
		n->label[n->nlabels] = n->wire + off + 1;
		off += 1u + n->wire[off];
		n->nlabels++;
	}
	/* Lower-case lookup string; foreign labels stand in as "x". */
	for (k = 0; k < n->nlabels; k++) {
		if (k)
			look[o++] = '.';
		if (!brk_dns_ldh(n->label[k], n->len[k])) {
			look[o++] = 'x';
			continue;
		}
		for (i = 0; i < n->len[k]; i++) {
			uint8_t c = n->label[k][i];

			look[o++] = (char)((c >= 'A' && c <= 'Z') ? c | 0x20 : c);
		}
	}
	look[o] = '\0';

#ifdef HAVE_LIBPSL
	if (n->nlabels > 0)
		reg = psl_registrable_domain(psl_builtin(), look);
#endif
	if (reg) {
		for (dots = 0; *reg; reg++)
			if (*reg == '.')
				dots++;
		n->reg_first = n->nlabels - (dots + 1);
	} else {
		/*
		 * A public suffix itself, a single label, or no PSL: the
		 * last two labels (one if that is all) stand for the domain
		 * so queries under a suffix still share a budget.
		 */
		n->reg_first = n->nlabels >= 2 ? n->nlabels - 2 : 0;
#ifdef HAVE_LIBPSL
		if (n->nlabels > 0 && psl_is_public_suffix(psl_builtin(), look))
			n->reg_first = 0;
#endif
	}
	n->reg_clean = 1;
	o = 0;
	for (k = n->reg_first; k < n->nlabels; k++) {
		if (!brk_dns_ldh(n->label[k], n->len[k]))
			n->reg_clean = 0;
		if (k > n->reg_first)
			n->regdom[o++] = '.';
		for (i = 0; i < n->len[k]; i++) {
			uint8_t c = n->label[k][i];

			if (o + 2 >= sizeof(n->regdom))
				break;
			n->regdom[o++] = (char)((c >= 'A' && c <= 'Z') ? c | 0x20 : c);
		}
	}
	if (n->nlabels == 0)
		n->regdom[o++] = '.';
	n->regdom[o] = '\0';
	return 0;
}

/* FNV-1a keyed by the session seed; 0 is reserved for empty slots. */
static uint64_t brk_dns_hash(uint64_t seed, const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h ? h : 1;
}

int brk_dns_budget_new(struct brk_dns_budget **out, unsigned max_domains)
{
	struct brk_dns_budget *b;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->max_domains = max_domains ? max_domains : 4096;
	b->tab_cap = 64;
	b->tab = calloc(b->tab_cap, sizeof(*b->tab));
	if (!b->tab) {
		free(b);
		return -ENOMEM;
	}
	/* A guessable seed only lets an attacker merge two of its own
	 * subdomains into one count, so a failed getrandom() is not fatal. */
	if (getrandom(&b->seed, sizeof(b->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(b->seed))
		b->seed = (uint64_t)(uintptr_t)b ^ 0x9e3779b97f4a7c15ull;
	rc = pthread_mutex_init(&b->lock, NULL);
	if (rc) {
		free(b->tab);
		free(b);
		return -rc;
	}
	*out = b;
	return 0;
}

void brk_dns_budget_free(struct brk_dns_budget *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->tab_cap; i++) {
		if (b->tab[i]) {
			free(b->tab[i]->subs);
			free(b->tab[i]);
		}
	}
	free(b->tab);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Finds the slot for name: its domain or the empty slot to use. */
static struct brk_dns_domain **brk_dns_slot(struct brk_dns_budget *b,
					    const char *name, uint64_t h)
{
	size_t mask = b->tab_cap - 1, i = (size_t)h & mask;

	while (b->tab[i] && (b->tab[i]->hash != h ||
			     strcmp(b->tab[i]->name, name) != 0))
		i = (i + 1) & mask;
	return &b->tab[i];
}

static int brk_dns_grow_domains(struct brk_dns_budget *b)
{
	struct brk_dns_domain **old = b->tab, **nt;
	size_t oldcap = b->tab_cap, i, ncap = oldcap * 2, mask = ncap - 1;

	nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (!old[i])
			continue;
		j = (size_t)old[i]->hash & mask;
		while (nt[j])
			j = (j + 1) & mask;
		nt[j] = old[i];
	}
	b->tab = nt;
	b->tab_cap = ncap;
	free(old);
	return 0;
}

/* Adds h to d's distinct set; returns 1 if new, 0 if seen, -ENOMEM. */
static int brk_dns_sub_add(struct brk_dns_domain *d, uint64_t h)
{
	size_t i, mask;

	if (d->subs_used * 2 >= d->subs_cap) {
		size_t ncap = d->subs_cap ? d->subs_cap * 2 : 16, j;
		uint64_t *ns;

		if (d->subs_used >= BRK_DNS_SUBSET_MAX)
			return 1;	/* saturated: count as new */
		ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (i = 0; i < d->subs_cap; i++) {
			if (!d->subs[i])
				continue;
			j = (size_t)d->subs[i] & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = d->subs[i];
		}
		free(d->subs);
		d->subs = ns;
		d->subs_cap = ncap;
	}
	mask = d->subs_cap - 1;
	for (i = (size_t)h & mask; d->subs[i]; i = (i + 1) & mask)
		if (d->subs[i] == h)
			return 0;
	d->subs[i] = h;
	d->subs_used++;
	return 1;
}

/* Appends p[0..n) to stream s, keeping the newest half when full. */
static void brk_dns_stream_append(struct brk_dns_reasm *ra, unsigned s,
				  const uint8_t *p, size_t n)
{
	if (n > BRK_DNS_REASM_MAX)
		n = BRK_DNS_REASM_MAX;
	if (ra->len[s] + n > BRK_DNS_REASM_MAX) {
		size_t keep = BRK_DNS_REASM_MAX / 2;

		if (keep > BRK_DNS_REASM_MAX - n)
			keep = BRK_DNS_REASM_MAX - n;
		if (keep > ra->len[s])
			keep = ra->len[s];
		memmove(ra->data[s], ra->data[s] + ra->len[s] - keep, keep);
		ra->len[s] = keep;
	}
	memcpy(ra->data[s] + ra->len[s], p, n);
	ra->len[s] += n;
	ra->grown[s] = 1;
}

static int brk_dns_isdigit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int brk_dns_issep(uint8_t c)
{
	return c == '-' || c == '_';
}

/* A data part that is itself numbered ("ip-10-0-3", "shard-3-of"): a
 * segment of digits after a separator. Names, not pieces of data. */
static int brk_dns_numbered(const uint8_t *p, size_t n)
{
	size_t i, s = 0;
	int seg = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && !brk_dns_issep(p[i]))
			continue;
		if (seg && i > s) {
			size_t k;

			for (k = s; k < i && brk_dns_isdigit(p[k]); k++)
				;
			if (k == i)
				return 1;
		}
		seg = 1;
		s = i + 1;
	}
	return 0;
}

int brk_dns_label_counter(const uint8_t *p, size_t n, int form, size_t *doff,
			  size_t *dlen, unsigned long *ctr)
{
	size_t i, j, d;
	unsigned long v = 0;

	if (!p || n < 4)
		return 0;
	if (form == 0) {
		for (i = n; i > 0 && brk_dns_isdigit(p[i - 1]); i--)
			;
		d = n - i;
		if (d < 1 || d > 6 || i == 0 || !brk_dns_issep(p[i - 1]))
			return 0;
		for (j = i - 1; j > 0 && brk_dns_issep(p[j - 1]); j--)
			;
		if (j < 2 || brk_dns_numbered(p, j))
			return 0;
		for (; i < n; i++)
			v = v * 10 + (unsigned long)(p[i] - '0');
		*doff = 0;
		*dlen = j;
	} else {
		for (i = 0; i < 2 && i < n && ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'); i++)
			;
		for (j = i; j < n && brk_dns_isdigit(p[j]); j++)
			v = v * 10 + (unsigned long)(p[j] - '0');
		if (j == i || j - i > 6 || j >= n || !brk_dns_issep(p[j]))
			return 0;
		while (j < n && brk_dns_issep(p[j]))
			j++;
		if (n - j < 2 || brk_dns_numbered(p + j, n - j))
			return 0;
		*doff = j;
		*dlen = n - j;
	}
	*ctr = v;
	return 1;
}

/* Longest step between two pieces of a drip: offsets count characters
 * or bytes of the data before, indexes count pieces. */
#define BRK_DNS_CTR_MAX_STEP	64u

/* Follows the first label of a new subdomain part for a counter drip. */
static void brk_dns_ctr_track(uint64_t seed, struct brk_dns_domain *d,
			      const struct brk_dns_name *n)
{
	uint64_t parent;
	int f;

	if (n->reg_first < 1)
		return;
	parent = brk_dns_hash(seed, n->label[0] + n->len[0],
			      (size_t)(n->label[n->reg_first] - 1 - (n->label[0] + n->len[0])) + 1);
	for (f = 0; f < 2; f++) {
		struct brk_dns_ctr *t = &d->ctr[f];
		size_t off, len;
		unsigned long c, step;
		uint64_t dh;

		if (!brk_dns_label_counter(n->label[0], n->len[0], f, &off, &len, &c)) {
			t->run = 0;
			continue;
		}
		dh = brk_dns_hash(seed, n->label[0] + off, len);
		if (t->run && t->parent == parent && c > t->last && dh != t->data &&
		    (step = c - t->last) <= BRK_DNS_CTR_MAX_STEP) {
			int by_len = step == t->len || step * 2 == t->len;

			if (t->run == 1 || step == t->step) {
				if (t->run == 1)
					t->first = t->last;
				t->run++;
				t->offset = (t->run == 2 || t->offset) && by_len;
			} else {
				t->run = 2;
				t->offset = by_len;
				t->first = t->last;
			}
			t->step = step;
		} else {
			t->run = 1;
			t->step = 0;
			t->offset = 0;
		}
		t->parent = parent;
		t->data = dh;
		t->last = c;
		t->len = len;
	}
	/* a counter that is the offset of the data (0, 4, 8 for 4-character
	 * pieces) says so one piece earlier than an index; so does an index
	 * that starts a drip from its beginning (0 or 1, then the next one:
	 * "0-QUtJQU", "1-dBV0Ez"), which a short drip of 5 to 7 pieces would
	 * otherwise use to pass two. Shards named by number and hash ("s1-74..",
	 * "s10-3f..") step by more than one. */
	d->st.counter_run = 0;
	for (f = 0; f < 2; f++) {
		const struct brk_dns_ctr *t = &d->ctr[f];
		unsigned r = t->run + (t->run >= 2 && (t->offset ||
						       (t->step == 1 && t->first <= 1)));

		if (r > d->st.counter_run)
			d->st.counter_run = r;
	}
}

/* Appends label p[0..n) to stream s and, without its counter (if it has
 * one), to the counter-free twin of s. */
static void brk_dns_label_append(struct brk_dns_reasm *ra, unsigned s,
				 const uint8_t *p, size_t n)
{
	size_t off = 0, len = n;
	unsigned long c;

	brk_dns_stream_append(ra, s, p, n);
	if (!brk_dns_label_counter(p, n, 0, &off, &len, &c) &&
	    !brk_dns_label_counter(p, n, 1, &off, &len, &c)) {
		off = 0;
		len = n;
	}
	brk_dns_stream_append(ra, BRK_DNS_REASM_DEPTHS + 1 + s, p + off, len);
}

/* Of a new subdomain part's suspect labels, the bytes and count of those
 * not seen before at their depth (kept in the distinct set, keyed apart). */
static int brk_dns_new_labels(uint64_t seed, struct brk_dns_domain *d,
			      const struct brk_dns_name *n, const uint16_t *label_he,
			      size_t *bytes, unsigned *labels)
{
	unsigned k;
	int isnew;

	*bytes = 0;
	*labels = 0;
	for (k = 0; k < n->reg_first; k++) {
		if (!label_he[k])
			continue;
		isnew = brk_dns_sub_add(d, brk_dns_hash(seed ^ (0x6c6162656cull + n->reg_first - k),
							n->label[k], n->len[k]));
		if (isnew < 0)
			return isnew;
		if (isnew) {
			*bytes += label_he[k];
			(*labels)++;
		}
	}
	return 0;
}

int brk_dns_budget_record(struct brk_dns_budget *b,
			  const struct brk_dns_obs *o,
			  struct brk_dns_domain_stats *st,
			  struct brk_dns_reasm *ra)
{
	const struct brk_dns_name *n;
	struct brk_dns_domain **slot, *d;
	size_t sublen;
	uint64_t h;
	unsigned k, s;
	int rc = 0, isnew;

	if (!b || !o || !o->name || !st)
		return -EINVAL;
	n = o->name;
	memset(st, 0, sizeof(*st));
	if (ra)
		memset(ra, 0, sizeof(*ra));
	h = brk_dns_hash(b->seed, (const uint8_t *)n->regdom, strlen(n->regdom));

	pthread_mutex_lock(&b->lock);
	slot = brk_dns_slot(b, n->regdom, h);
	d = *slot;
	if (!d) {
		if (b->ndomains >= b->max_domains) {
			st->table_full = 1;
			st->session_he_bytes = b->session_he_bytes;
			st->domains = b->ndomains;
			goto out;
		}
		d = calloc(1, sizeof(*d));
		if (!d) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(d->name, n->regdom, sizeof(d->name));
		d->hash = h;
		*slot = d;
		b->ndomains++;
		if (b->ndomains * 2 > b->tab_cap) {
			rc = brk_dns_grow_domains(b);
			if (rc < 0)
				goto out;	/* d stays in the old table */
		}
	}

	d->st.queries++;
	if (brk_dns_qtype_is_tunnel(o->qtype))
		d->st.tunnel_queries++;
	if (o->qtype == BRK_DNS_T_TXT)
		d->st.qtype_txt++;
	else if (o->qtype == BRK_DNS_T_NULL)
		d->st.qtype_null++;
	else if (o->qtype == BRK_DNS_T_CNAME)
		d->st.qtype_cname++;

	/* The subdomain part is wire bytes 0 .. start of reg_first. */
	sublen = n->reg_first < n->nlabels
		 ? (size_t)(n->label[n->reg_first] - 1 - n->wire) : 0;
	d->st.new_sub = 0;
	if (sublen > 0) {
		isnew = brk_dns_sub_add(d, brk_dns_hash(b->seed, n->wire, sublen));
		if (isnew < 0) {
			rc = isnew;
			goto out;
		}
		if (isnew) {
			size_t heb = o->he_bytes;
			unsigned hel = o->he_labels;

			if (o->label_he) {
				rc = brk_dns_new_labels(b->seed, d, n, o->label_he, &heb, &hel);
				if (rc < 0)
					goto out;
			}
			d->st.new_sub = 1;
			d->st.unique_subs++;
			if (hel) {
				d->st.unique_he_subs++;
				d->st.he_bytes += heb;
				b->session_he_bytes += heb;
			}
			/* Whole part (stream 0), then per depth. */
			for (k = 0; k < n->reg_first; k++)
				brk_dns_label_append(&d->ra, 0, n->label[k],
						     n->len[k]);
			for (k = 0; k < n->reg_first; k++) {
				s = n->reg_first - k;
				if (s <= BRK_DNS_REASM_DEPTHS)
					brk_dns_label_append(&d->ra, s,
							     n->label[k],
							     n->len[k]);
			}
			brk_dns_ctr_track(b->seed, d, n);
		}
	}
	*st = d->st;
	st->session_he_bytes = b->session_he_bytes;
	st->domains = b->ndomains;
	if (ra && st->new_sub)
		*ra = d->ra;
	for (s = 0; s < BRK_DNS_REASM_STREAMS; s++)
		d->ra.grown[s] = 0;
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int brk_dns_budget_block(struct brk_dns_budget *b, const char *regdom,
			 const char *rule)
{
	struct brk_dns_domain *d;
	int rc = 0;

	if (!b || !regdom || !rule)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	d = *brk_dns_slot(b, regdom,
			  brk_dns_hash(b->seed, (const uint8_t *)regdom,
				       strlen(regdom)));
	if (!d)
		rc = -ENOENT;
	else if (!d->st.blocked)
		d->st.blocked = rule;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int brk_dns_budget_lookup(struct brk_dns_budget *b, const char *regdom,
			  struct brk_dns_domain_stats *st)
{
	struct brk_dns_domain *d;
	int rc = 0;

	if (!b || !regdom || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&b->lock);
	d = *brk_dns_slot(b, regdom,
			  brk_dns_hash(b->seed, (const uint8_t *)regdom,
				       strlen(regdom)));
	if (!d) {
		rc = -ENOENT;
	} else {
		*st = d->st;
		st->new_sub = 0;
	}
	st->session_he_bytes = b->session_he_bytes;
	st->domains = b->ndomains;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

struct brk_dns_reasm_ctx {
	unsigned depth;
	brk_dns_reasm_fn fn;
	void *ctx;
};

static int brk_dns_reasm_cb(const struct brk_dns_candidate *c, void *ctx)
{
	struct brk_dns_reasm_ctx *r = ctx;

	return r->fn(r->depth, c, r->ctx);
}

int brk_dns_reasm_walk(const struct brk_dns_reasm *ra, int all,
		       size_t min_len, brk_dns_reasm_fn fn, void *ctx)
{
	struct brk_dns_reasm_ctx r = { .fn = fn, .ctx = ctx };
	unsigned s;
	int rc;

	if (!ra || !fn)
		return -EINVAL;
	for (s = 0; s < BRK_DNS_REASM_STREAMS; s++) {
		if (!all && !ra->grown[s])
			continue;
		/* the counter-free twin only when it differs */
		if (s > BRK_DNS_REASM_DEPTHS &&
		    ra->len[s] == ra->len[s - BRK_DNS_REASM_DEPTHS - 1] &&
		    !memcmp(ra->data[s], ra->data[s - BRK_DNS_REASM_DEPTHS - 1], ra->len[s]))
			continue;
		r.depth = s;
		rc = brk_dns_decode_stream(ra->data[s], ra->len[s], min_len,
					   brk_dns_reasm_cb, &r);
		if (rc)
			return rc;
	}
	return 0;
}
