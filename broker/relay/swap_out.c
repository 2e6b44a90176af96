/* SPDX-License-Identifier: MIT */
/*
 * swap_out.c - outbound half of the border swap (swap_rl.h): binds a
 * connection to the entries whose home it reaches, puts real values in for
 * their placeholders (raw, percent-encoded, JSON-escaped, inside an HTTP
 * Basic credential) and reports a placeholder bound for anywhere else.
 * Also the forms and the hold-back test that swap_in.c shares.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "broker/relay/swap_rl.h"
#include "broker/scan/detect.h"
#include "broker/scan/scan.h"

#define RL_B64_MAX 8192         /* longest Basic credential decoded */

const char *const rl_swap_form_name[RL_SWAP_FORMS] = {
	[RL_SWAP_RAW] = "raw",
	[RL_SWAP_PCT_UP] = "percent",
	[RL_SWAP_PCT_LOW] = "percent",
	[RL_SWAP_JSON] = "json",
};

static bool rl_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* RFC 3986 unreserved: never percent-encoded */
static bool rl_unreserved(uint8_t c)
{
	return rl_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

size_t rl_swap_form(int f, const uint8_t *v, size_t n, uint8_t *out, size_t cap)
{
	static const char up[] = "0123456789ABCDEF", low[] = "0123456789abcdef";
	const char *hex = f == RL_SWAP_PCT_LOW ? low : up;
	size_t i, o = 0;
	bool changed = false;

	for (i = 0; i < n; i++) {
		uint8_t c = v[i];

		if (o + 6 > cap)
			return 0;
		if ((f == RL_SWAP_PCT_UP || f == RL_SWAP_PCT_LOW) && !rl_unreserved(c)) {
			out[o++] = '%';
			out[o++] = (uint8_t)hex[c >> 4];
			out[o++] = (uint8_t)hex[c & 15];
			changed = true;
		} else if (f == RL_SWAP_JSON && (c == '"' || c == '\\' || c == '/')) {
			out[o++] = '\\';
			out[o++] = c;
			changed = true;
		} else if (f == RL_SWAP_JSON && c < 0x20) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = (uint8_t)low[c >> 4];
			out[o + 5] = (uint8_t)low[c & 15];
			o += 6;
			changed = true;
		} else {
			out[o++] = c;
		}
	}
	return f == RL_SWAP_RAW || changed ? o : 0;
}

/* Is byte k of form a (of form f) a hex digit of a %XX triplet? ('%'
 * itself is always encoded in a percent form, so a '%' starts one.) */
static bool rl_hexpos(int f, const uint8_t *a, size_t k)
{
	return (f == RL_SWAP_PCT_UP || f == RL_SWAP_PCT_LOW) &&
	       ((k >= 1 && a[k - 1] == '%') || (k >= 2 && a[k - 2] == '%'));
}

/* q[0..k) against form a's first k bytes: exact, but a percent form's hex
 * letters in either case (RFC 3986 2.1: %2f and %2F are the same byte). */
static bool rl_form_eq(int f, const uint8_t *a, const uint8_t *q, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (q[i] != a[i] && !(rl_hexpos(f, a, i) && a[i] > '9' && (q[i] | 0x20) == (a[i] | 0x20)))
			return false;
	return true;
}

uint8_t *rl_swap_find(int f, const uint8_t *a, size_t al, uint8_t *p, size_t n)
{
	uint8_t *q = p, *end = p + n;

	if (f != RL_SWAP_PCT_UP && f != RL_SWAP_PCT_LOW)
		return al <= n ? memmem(p, n, a, al) : NULL;
	while (al && (size_t)(end - q) >= al && (q = memchr(q, a[0], (size_t)(end - q) - al + 1))) {
		if (rl_form_eq(f, a, q, al))
			return q;
		q++;
	}
	return NULL;
}

void rl_swap_put(int f, uint8_t *q, const uint8_t *b, size_t bl)
{
	size_t k;

	for (k = 0; k < bl; k++)
		if (!rl_hexpos(f, b, k))
			q[k] = b[k];
}

/* An entry the border acts on at all: a placeholder is in the jail. */
static bool rl_entry_live(const struct brk_swap *e)
{
	return e->replaced && e->real && e->ph && e->ph_len == e->len && !e->key &&
	       e->len >= 8 && e->len <= RL_SWAP_VMAX;
}

bool rl_swap_active(const struct brk_swaps *sw)
{
	size_t i;

	for (i = 0; sw && i < sw->n; i++)
		if (rl_entry_live(&sw->v[i]))
			return true;
	return false;
}

/* 1: swap entry i here, 0: leave it (its home, never swaps), -1: refuse */
static int rl_bound(const struct rl_swap_bind *b, size_t i)
{
	if (b && (b->bit[i / 64] >> (i % 64)) & 1)
		return 1;
	return b && (b->home[i / 64] >> (i % 64)) & 1 ? 0 : -1;
}

/*
 * Is host one of e's homes: its own (from its file) or its detector's
 * built-in ones, "!pattern" excluding tenant hosts under them (as the
 * engine's home rule; policy additions are the engine's alone).
 */
static bool rl_is_home(const struct brk_swap *e, const char *host)
{
	const char *const *dh = e->detector ? brk_scan_detector_homes(e->detector) : NULL;
	size_t j;

	for (j = 0; j < e->nhome; j++)
		if (e->home[j] && e->home[j][0] == '!' && brk_scan_host_match(host, e->home[j] + 1))
			return false;
	for (j = 0; dh && dh[j]; j++)
		if (dh[j][0] == '!' && brk_scan_host_match(host, dh[j] + 1))
			return false;
	for (j = 0; j < e->nhome; j++)
		if (e->home[j] && e->home[j][0] != '!' && brk_scan_host_match(host, e->home[j]))
			return true;
	for (j = 0; dh && dh[j]; j++)
		if (dh[j][0] != '!' && brk_scan_host_match(host, dh[j]))
			return true;
	return false;
}

unsigned rl_swap_bind(const struct brk_swaps *sw, const char *host, struct rl_swap_bind *b)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	for (i = 0; sw && host && host[0] && i < sw->n; i++) {
		const struct brk_swap *e = &sw->v[i];

		if (!rl_entry_live(e) || !rl_is_home(e, host))
			continue;
		if (e->swaps) {
			b->bit[i / 64] |= 1ull << (i % 64);
			b->n++;
		} else {
			b->home[i / 64] |= 1ull << (i % 64);
		}
	}
	return b->n;
}

/* The place of p[o..o+len) by mask: RL_SWAP_HERE only if all of it is. */
static int rl_place(const uint8_t *mask, size_t o, size_t len)
{
	int m = RL_SWAP_HERE;
	size_t i;

	for (i = 0; mask && i < len; i++)
		if (mask[o + i] < m)
			m = mask[o + i];
	return m;
}

/*
 * Every occurrence of a form of `from` in p[0..n) becomes the same form of
 * `to` (same length: only alphanumerics differ) where mask allows it;
 * bound 0 or a RL_SWAP_LEAVE place: left as it is; bound < 0 or a
 * RL_SWAP_NEVER place: the first one found is reported instead. Returns
 * the count, or -EACCES.
 */
static int rl_replace(const uint8_t *from, const uint8_t *to, size_t len, int bound,
		      uint8_t *p, size_t n, const uint8_t *mask, int *form, bool *left)
{
	uint8_t a[3 * RL_SWAP_VMAX + 8], b[3 * RL_SWAP_VMAX + 8];
	size_t al, bl, off;
	uint8_t *q;
	int f, count = 0;

	for (f = 0; f < RL_SWAP_FORMS && bound; f++) {
		if (f == RL_SWAP_PCT_LOW)
			continue;       /* the upper form matches either hex case */
		al = rl_swap_form(f, from, len, a, sizeof(a));
		if (!al || al > n || !(q = rl_swap_find(f, a, al, p, n)))
			continue;
		if (bound < 0) {
			*form = f;
			return -EACCES;
		}
		bl = rl_swap_form(f, to, len, b, sizeof(b));
		if (bl != al)
			continue;       /* cannot happen for a well-made placeholder */
		while (q) {
			int place = rl_place(mask, (size_t)(q - p), al);

			if (place == RL_SWAP_NEVER) {
				*form = -1;
				explicit_bzero(b, sizeof(b));
				return -EACCES;
			}
			if (place == RL_SWAP_HERE) {
				rl_swap_put(f, q, b, bl);
				count++;
			} else if (left) {
				*left = true;
			}
			off = (size_t)(q - p) + al;
			q = off < n ? rl_swap_find(f, a, al, p + off, n - off) : NULL;
		}
	}
	explicit_bzero(b, sizeof(b));
	return count;
}

/* The HTTP Basic credentials in p[0..n): decoded, swapped, re-encoded. */
static int rl_swap_basic(const struct brk_swaps *sw, const struct rl_swap_bind *bd,
			 uint8_t *p, size_t n, const uint8_t *mask, struct rl_swap_bad *bad)
{
	uint8_t dec[RL_B64_MAX], enc[RL_B64_MAX + 4];
	size_t i, j, k, tl, pad, dl;
	int count = 0, rc = 0, r, form, place;
	bool any;

	for (i = 0; i + 6 < n && rc == 0; i++) {
		if ((p[i] | 0x20) != 'b' || strncasecmp((const char *)p + i, "basic ", 6) ||
		    (i && p[i - 1] != ' ' && p[i - 1] != ':' && p[i - 1] != '\t'))
			continue;
		k = i + 6;
		while (k < n && p[k] == ' ')
			k++;
		for (tl = 0; k + tl < n && tl < RL_B64_MAX &&
		     (rl_alnum(p[k + tl]) || p[k + tl] == '+' || p[k + tl] == '/' ||
		      p[k + tl] == '='); tl++)
			;
		if (tl < 8 || tl % 4 || tl >= RL_B64_MAX)
			continue;
		for (pad = 0; pad < 2 && p[k + tl - 1 - pad] == '='; pad++)
			;
		r = EVP_DecodeBlock(dec, p + k, (int)tl);
		if (r < 0 || (size_t)r < pad)
			continue;
		dl = (size_t)r - pad;
		any = false;
		place = rl_place(mask, k, tl);
		for (j = 0; j < sw->n && rc == 0; j++) {
			const struct brk_swap *e = &sw->v[j];

			if (!rl_entry_live(e))
				continue;
			r = rl_replace(e->ph, e->real, e->len, place == RL_SWAP_HERE ? rl_bound(bd, j)
				       : place == RL_SWAP_LEAVE && rl_bound(bd, j) >= 0 ? 0 : -1,
				       dec, dl, NULL, &form, NULL);
			if (r < 0) {
				bad->entry = (int)j;
				bad->form = "basic-auth";
				rc = -EACCES;
			} else if (r > 0) {
				any = true;
				count += r;
			}
		}
		if (any && rc == 0 && EVP_EncodeBlock(enc, dec, (int)dl) == (int)tl)
			memcpy(p + k, enc, tl);
		explicit_bzero(dec, sizeof(dec));
		explicit_bzero(enc, sizeof(enc));
		i = k + tl - 1;
	}
	return rc < 0 ? rc : count;
}

int rl_swap_out(const struct brk_swaps *sw, const struct rl_swap_bind *b, uint8_t *p,
		size_t n, const uint8_t *mask, struct rl_swap_bad *bad)
{
	size_t i;
	int count = 0, r, form = 0;

	bad->entry = bad->left = -1;
	bad->form = NULL;
	for (i = 0; sw && i < sw->n && n; i++) {
		const struct brk_swap *e = &sw->v[i];
		bool left = false;

		if (!rl_entry_live(e))
			continue;
		r = rl_replace(e->ph, e->real, e->len, rl_bound(b, i), p, n, mask, &form, &left);
		if (left && bad->left < 0 && rl_bound(b, i) > 0)
			bad->left = (int)i;
		if (r < 0) {
			bad->entry = (int)i;
			bad->form = form < 0 ? "request body" : rl_swap_form_name[form];
			return -EACCES;
		}
		count += r;
	}
	if (!sw || !n || !memchr(p, ' ', n))
		return count;
	r = rl_swap_basic(sw, b, p, n, mask, bad);
	return r < 0 ? r : count + r;
}

/* Longest tail of p[0..n) that is a proper prefix of v's forms. */
static size_t rl_tail_of(const uint8_t *v, size_t len, const uint8_t *p, size_t n)
{
	uint8_t a[3 * RL_SWAP_VMAX + 8];
	size_t al, k, best = 0;
	int f;

	for (f = 0; f < RL_SWAP_FORMS; f++) {
		al = rl_swap_form(f, v, len, a, sizeof(a));
		for (k = al ? (al - 1 < n ? al - 1 : n) : 0; k >= RL_SWAP_HOLD_MIN && k > best; k--)
			if (p[n - k] == a[0] && rl_form_eq(f, a, p + n - k, k)) {
				best = k;
				break;
			}
	}
	return best;
}

size_t rl_swap_tail(const struct brk_swaps *sw, bool out, const uint8_t *p, size_t n)
{
	size_t i, best = 0, t, from;

	for (i = 0; sw && i < sw->n; i++) {
		const struct brk_swap *e = &sw->v[i];

		if (!rl_entry_live(e))
			continue;
		t = rl_tail_of(out ? e->ph : e->real, e->len, p, n);
		if (t > best)
			best = t;
	}
	if (!out || !sw)
		return best;
	/* a Basic credential whose header line has not ended yet */
	from = n > RL_B64_MAX ? n - RL_B64_MAX : 0;
	for (i = n; i > from && p[i - 1] != '\n'; i--)
		;
	if (i == from && from)
		return best;
	for (; i + 6 <= n; i++)
		if ((p[i] | 0x20) == 'b' && !strncasecmp((const char *)p + i, "basic ", 6) &&
		    !memchr(p + i, '\r', n - i) && n - i > best)
			return n - i;
	return best;
}

int rl_swap_in_name(const struct brk_swaps *sw, const char *name)
{
	size_t i, k, nl = name ? strlen(name) : 0;

	for (i = 0; sw && i < sw->n; i++) {
		const struct brk_swap *e = &sw->v[i];

		if (!rl_entry_live(e) || e->len > nl)
			continue;
		for (k = 0; k + e->len <= nl; k++)
			if ((name[k] | 0x20) == (e->ph[0] | 0x20) &&
			    !strncasecmp(name + k, (const char *)e->ph, e->len))
				return (int)i;
	}
	return -1;
}
