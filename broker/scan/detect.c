/* SPDX-License-Identifier: MIT */
/*
 * detect.c - the checks behind every detector (see detect.h).
 *
 * Only scan.c calls the check functions, through the registry entries in
 * det_table.c; canary_gen.c uses the checksum helpers. Checks work on raw
 * bytes and never allocate.
 */
#include "config.h"

#include <math.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "broker/scan/detect.h"

static int is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int brk_scan_cls_has(enum brk_scan_cls k, uint8_t c)
{
	switch (k) {
	case BRK_SCAN_CLS_ALNUM: return is_alnum(c);
	case BRK_SCAN_CLS_B64URL: return is_alnum(c) || c == '_' || c == '-';
	case BRK_SCAN_CLS_B64: return is_alnum(c) || c == '+' || c == '/';
	case BRK_SCAN_CLS_B64PAD: return is_alnum(c) || c == '+' || c == '/' || c == '=';
	case BRK_SCAN_CLS_HEXLO: return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
	case BRK_SCAN_CLS_HEX: return is_hex(c);
	case BRK_SCAN_CLS_DIGIT: return c >= '0' && c <= '9';
	case BRK_SCAN_CLS_ALPHA: return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
	case BRK_SCAN_CLS_B32UP: return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
	case BRK_SCAN_CLS_UPNUM: return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
	case BRK_SCAN_CLS_ALNUMDASH: return is_alnum(c) || c == '-';
	case BRK_SCAN_CLS_B64URLEQ: return is_alnum(c) || c == '_' || c == '-' || c == '=';
	case BRK_SCAN_CLS_ALNUMSLASH: return is_alnum(c) || c == '/';
	case BRK_SCAN_CLS_TOKEN68:
		return is_alnum(c) || c == '.' || c == '_' || c == '~' || c == '+' ||
		       c == '/' || c == '=' || c == '-';
	case BRK_SCAN_CLS_AZSECRET:
		return is_alnum(c) || c == '_' || c == '~' || c == '.' || c == '-';
	case BRK_SCAN_CLS_BECH32:
		return c != 0 && strchr("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", c) != NULL;
	case BRK_SCAN_CLS_VALUE:
		return c > 0x20 && c < 0x7f && !strchr("\"'`,;&<>()[]{}\\", c);
	case BRK_SCAN_CLS_SECRET:
		return is_alnum(c) || (c != 0 && strchr("+/=_-!@#$%*", c) != NULL);
	default:
		return 0;
	}
}

const char *brk_scan_cls_regex(enum brk_scan_cls k)
{
	static const char *const re[BRK_SCAN_CLS_COUNT] = {
		[BRK_SCAN_CLS_NONE] = "",
		[BRK_SCAN_CLS_ALNUM] = "[A-Za-z0-9]",
		[BRK_SCAN_CLS_B64URL] = "[A-Za-z0-9_\\-]",
		[BRK_SCAN_CLS_B64] = "[A-Za-z0-9+/]",
		[BRK_SCAN_CLS_B64PAD] = "[A-Za-z0-9+/=]",
		[BRK_SCAN_CLS_HEXLO] = "[0-9a-f]",
		[BRK_SCAN_CLS_HEX] = "[0-9a-fA-F]",
		[BRK_SCAN_CLS_DIGIT] = "[0-9]",
		[BRK_SCAN_CLS_ALPHA] = "[A-Za-z]",
		[BRK_SCAN_CLS_B32UP] = "[A-Z2-7]",
		[BRK_SCAN_CLS_UPNUM] = "[A-Z0-9]",
		[BRK_SCAN_CLS_ALNUMDASH] = "[A-Za-z0-9\\-]",
		[BRK_SCAN_CLS_B64URLEQ] = "[A-Za-z0-9_=\\-]",
		[BRK_SCAN_CLS_ALNUMSLASH] = "[A-Za-z0-9/]",
		[BRK_SCAN_CLS_TOKEN68] = "[A-Za-z0-9._~+/=\\-]",
		[BRK_SCAN_CLS_AZSECRET] = "[A-Za-z0-9_~.\\-]",
		[BRK_SCAN_CLS_BECH32] = "[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]",
		[BRK_SCAN_CLS_VALUE] = "[!#$%*+\\-./0-9:=?@A-Z^_a-z|~]",
		[BRK_SCAN_CLS_SECRET] = "[A-Za-z0-9+/=_!@#$%*\\-]",
	};
	return (unsigned)k < BRK_SCAN_CLS_COUNT ? re[k] : "";
}

/* Length of the class run starting at p[i], at most max. */
static size_t run_fwd(enum brk_scan_cls k, const uint8_t *p, size_t len, size_t i, size_t max)
{
	size_t n = 0;

	while (i + n < len && n < max && brk_scan_cls_has(k, p[i + n]))
		n++;
	return n;
}

static int left_ok(const struct brk_scan_det *d, const uint8_t *buf, size_t start)
{
	if (!(d->flags & BRK_SCAN_DF_LB) || start == 0)
		return 1;
	return !is_alnum(buf[start - 1]);
}

/* Values that are documentation, templates or masks rather than secrets. */
static int placeholder(const uint8_t *v, size_t n)
{
	static const char *const words[] = {
		"example", "xxxxxx", "XXXXXX", "******", "changeme", "your_", "your-",
		"YOUR_", "<", "${", "{{", "process.env", "%s", "password", "PASSWORD",
		"secret", "SECRET", "token", "TOKEN", "placeholder", "dummy", "redacted",
		"REDACTED", "abcdef", "123456", "....", "EXAMPLE", NULL,
	};
	size_t i;

	for (i = 0; words[i]; i++) {
		size_t wl = strlen(words[i]);
		size_t j;

		for (j = 0; j + wl <= n; j++)
			if (memcmp(v + j, words[i], wl) == 0)
				return 1;
	}
	return 0;
}

double brk_scan_entropy(const uint8_t *p, size_t n)
{
	unsigned cnt[256] = { 0 };
	double h = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		cnt[p[i]]++;
	for (i = 0; i < 256; i++) {
		if (cnt[i]) {
			double q = (double)cnt[i] / (double)n;
			h -= q * log2(q);
		}
	}
	return h;
}

/* Random-looking: enough entropy for its length and at least two classes. */
/* Hex digits of one case only (a hex key, token or digest)? */
static int all_hex(const uint8_t *v, size_t n)
{
	size_t i;
	int lo = 0, up = 0;

	for (i = 0; i < n; i++) {
		if (v[i] >= 'a' && v[i] <= 'f')
			lo = 1;
		else if (v[i] >= 'A' && v[i] <= 'F')
			up = 1;
		else if (v[i] < '0' || v[i] > '9')
			return 0;
	}
	return !(lo && up);
}

static int looks_random(const uint8_t *v, size_t n)
{
	int lo = 0, up = 0, dg = 0, ot = 0;
	double h, need;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] >= 'a' && v[i] <= 'z')
			lo = 1;
		else if (v[i] >= 'A' && v[i] <= 'Z')
			up = 1;
		else if (v[i] >= '0' && v[i] <= '9')
			dg = 1;
		else
			ot = 1;
	}
	if (lo + up + dg + ot < 2 || !dg || !(lo || up))
		return 0;  /* words and numbers are not secrets */
	for (i = 0; i < n && ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			      v[i] == '_' || v[i] == '$'); i++)
		;
	while (i < n && ((v[i] >= '0' && v[i] <= '9') || v[i] == '$'))
		i++;
	if (i == n)
		return 0;  /* an identifier such as defaultToConfig2 */
	h = brk_scan_entropy(v, n);
	need = n >= 32 ? 3.7 : 3.3;
	/* a hex value cannot reach those: 16 symbols, and a random 32-digit
	 * one averages about 3.55 bits; judge it against its own alphabet */
	if (all_hex(v, n))
		need = n >= 32 ? 3.25 : 3.0;
	return h >= need && !placeholder(v, n);
}

/* Finish a run-shaped body: boundaries, stream early reporting. */
static int body_end(const struct brk_scan_det *d, const uint8_t *buf, size_t len, size_t b,
		    int final, size_t *bend)
{
	size_t n = run_fwd(d->cls, buf, len, b, d->max);

	if (b + n == len && !final) {
		/* the run touches the end of what we have */
		if (n < d->min)
			return BRK_SCAN_CHK_MORE;
		*bend = b + n;
		return BRK_SCAN_CHK_YES;
	}
	if (n < d->min)
		return BRK_SCAN_CHK_NO;
	if (n == d->max && b + n < len && brk_scan_cls_has(d->cls, buf[b + n]) &&
	    !(d->flags & BRK_SCAN_DF_NORB))
		return BRK_SCAN_CHK_NO;  /* longer than any real one */
	*bend = b + n;
	return BRK_SCAN_CHK_YES;
}

int brk_scan_check_shape(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
			 size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	size_t alen = strlen(d->anchors[ai]);
	size_t s = at, b = at + alen, e = 0;
	int rc;

	if (d->pre_cls) {
		size_t n = 0;

		while (n < d->pre_max && s > 0 && brk_scan_cls_has(d->pre_cls, buf[s - 1])) {
			s--;
			n++;
		}
		if (n < d->pre_min)
			return BRK_SCAN_CHK_NO;
		if (n == d->pre_max && s > 0 && brk_scan_cls_has(d->pre_cls, buf[s - 1]))
			return BRK_SCAN_CHK_NO;
	}
	if (!left_ok(d, buf, s))
		return BRK_SCAN_CHK_NO;
	rc = body_end(d, buf, len, b, final, &e);
	if (rc != BRK_SCAN_CHK_YES)
		return rc;
	if ((d->flags & BRK_SCAN_DF_ENTROPY) && !looks_random(buf + b, e - b))
		return BRK_SCAN_CHK_NO;
	if (d->verify && !d->verify(buf + s, e - s, b - s))
		return (!final && e == len) ? BRK_SCAN_CHK_MORE : BRK_SCAN_CHK_NO;
	*start = s;
	*end = e;
	return BRK_SCAN_CHK_YES;
}

/* Skip blanks; returns the new index. */
static size_t skip_sp(const uint8_t *p, size_t len, size_t i)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* A backslash before a quote: the key sits in a JSON-escaped string
 * ({\"authToken\":\"...\"}, a JSON document inside a JSON string). */
static size_t skip_esc_quote(const uint8_t *p, size_t len, size_t i)
{
	if (i + 1 < len && p[i] == '\\' && (p[i + 1] == '"' || p[i + 1] == '\''))
		return i + 1;
	return i;
}

/* Is the identifier around buf[at] the name of an XML start tag
 * (<AZURE_STORAGE_KEY>, <twilioAuthToken>)? */
static int xml_open(const uint8_t *buf, size_t at)
{
	size_t n = 0;

	while (at > 0 && n < 32 && (is_alnum(buf[at - 1]) || buf[at - 1] == '_' || buf[at - 1] == '-' ||
				    buf[at - 1] == ':' || buf[at - 1] == '.')) {
		at--;
		n++;
	}
	return at > 0 && buf[at - 1] == '<';
}

/* After a value, buf[e] == '.': is "x.y.z(" or "x.y[" (code) what follows,
 * or is it short (a file name, "v1.min")? 1 code, 0 data, -1 the run
 * reaches the end of what is known (data if nothing follows). */
static int dotted_code(const uint8_t *buf, size_t len, size_t e)
{
	size_t i = e, n = 0;

	while (i < len && (is_alnum(buf[i]) || buf[i] == '.' || buf[i] == '_' || buf[i] == '-' ||
			   buf[i] == '$')) {
		i++;
		n++;
	}
	if (i >= len)
		return n < 9 ? 1 : -1;
	return buf[i] == '(' || buf[i] == '[' || n < 9;
}

int brk_scan_check_kv(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
		      size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	size_t i = at + strlen(d->anchors[ai]), n = 0, e = 0, v;
	int rc, keyed = !!(d->flags & BRK_SCAN_DF_KEYED);

	if (!left_ok(d, buf, at))
		return BRK_SCAN_CHK_NO;
	while (i < len && n < d->pre_max &&
	       (is_alnum(buf[i]) || buf[i] == '_' || buf[i] == '-')) {
		i++;
		n++;
	}
	if (keyed)
		i = skip_esc_quote(buf, len, i);
	if (i < len && (buf[i] == '"' || buf[i] == '\''))
		i++;
	i = skip_sp(buf, len, i);
	if (i >= len)
		return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
	if (buf[i] == ':' || buf[i] == '=') {
		i++;
		if (i < len && buf[i] == '>')  /* => */
			i++;
	} else if (keyed && buf[i] == '>' && xml_open(buf, at)) {
		i++;  /* <AccountKey>value</AccountKey> */
	} else {
		return BRK_SCAN_CHK_NO;
	}
	i = skip_sp(buf, len, i);
	if (keyed)
		i = skip_esc_quote(buf, len, i);
	if (i < len && (buf[i] == '"' || buf[i] == '\''))
		i++;
	if (i >= len)
		return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
	v = i;
	rc = body_end(d, buf, len, v, final, &e);
	if (rc != BRK_SCAN_CHK_YES)
		return rc;
	if (d->min == d->max && e - v != d->max)
		return BRK_SCAN_CHK_NO;
	if ((d->flags & BRK_SCAN_DF_ENTROPY) && !looks_random(buf + v, e - v))
		return BRK_SCAN_CHK_NO;
	/* code, not data: a call, member access or index follows; a dotted
	 * value (sess.abc, a.b.c) is data unless the dotted run is a call */
	if ((d->flags & BRK_SCAN_DF_GENERIC) && e < len && (buf[e] == '(' || buf[e] == '['))
		return BRK_SCAN_CHK_NO;
	if ((d->flags & BRK_SCAN_DF_GENERIC) && e < len && buf[e] == '.') {
		int code = dotted_code(buf, len, e);

		if (code < 0 && !final)
			return BRK_SCAN_CHK_MORE;
		if (code > 0)
			return BRK_SCAN_CHK_NO;
	}
	if (placeholder(buf + v, e - v))
		return BRK_SCAN_CHK_NO;
	if (d->verify && !d->verify(buf + v, e - v, 0))
		return (!final && e == len) ? BRK_SCAN_CHK_MORE : BRK_SCAN_CHK_NO;
	*start = v;
	*end = e;
	return BRK_SCAN_CHK_YES;
}

/* Skip whitespace and JSON-escaped line breaks ("\n", "\r"). */
static size_t skip_ws_esc(const uint8_t *p, size_t len, size_t i)
{
	for (;;) {
		if (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
			i++;
		else if (i + 1 < len && p[i] == '\\' && (p[i + 1] == 'n' || p[i + 1] == 'r'))
			i += 2;
		else
			return i;
	}
}

int brk_scan_check_pem(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
		       size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	size_t i = at + strlen(d->anchors[ai]), nb = 0, lines = 0;

	/* legacy encrypted PEM: "Proc-Type: ..." and "DEK-Info: ..." headers */
	i = skip_ws_esc(buf, len, i);
	while (i + 9 < len && (memcmp(buf + i, "Proc-Type", 9) == 0 ||
			       memcmp(buf + i, "DEK-Info", 8) == 0 ||
			       memcmp(buf + i, "Comment:", 8) == 0) && lines < 4) {
		while (i < len && buf[i] != '\n' && !(buf[i] == '\\' && i + 1 < len && buf[i + 1] == 'n'))
			i++;
		i = skip_ws_esc(buf, len, i);
		lines++;
	}
	while (i < len && nb < 64) {
		if (brk_scan_cls_has(BRK_SCAN_CLS_B64, buf[i])) {
			nb++;
			i++;
		} else {
			size_t j = skip_ws_esc(buf, len, i);

			if (j == i)
				break;
			i = j;
		}
	}
	if (nb < 64)
		return (i >= len && !final) ? BRK_SCAN_CHK_MORE : BRK_SCAN_CHK_NO;
	*start = at;
	*end = i;
	return BRK_SCAN_CHK_YES;
}

static int b64url_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-' || c == '+') return 62;
	if (c == '_' || c == '/') return 63;
	return -1;
}

/* Decode up to cap bytes of base64(url) from p[0,n). */
size_t brk_scan_b64_small(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0, i;

	for (i = 0; i < n && o < cap; i++) {
		int v = b64url_val(p[i]);

		if (v < 0)
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

int brk_scan_check_jwt(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
		       size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	size_t i = at, seg[3], k;
	uint8_t hdr[256];
	size_t hn;

	(void)ai;
	if (!left_ok(d, buf, at))
		return BRK_SCAN_CHK_NO;
	for (k = 0; k < 3; k++) {
		size_t n = run_fwd(BRK_SCAN_CLS_B64URL, buf, len, i, d->maxlen);

		seg[k] = n;
		i += n;
		if (k < 2) {
			if (i >= len)
				return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
			if (buf[i] != '.')
				return BRK_SCAN_CHK_NO;
			i++;
		}
	}
	if (seg[0] < 10 || seg[1] < 10)
		return BRK_SCAN_CHK_NO;
	if (seg[2] < 16)
		return (i >= len && !final) ? BRK_SCAN_CHK_MORE : BRK_SCAN_CHK_NO;
	hn = brk_scan_b64_small(buf + at, seg[0], hdr, sizeof(hdr) - 1);
	hdr[hn] = 0;
	if (!memmem(hdr, hn, "\"alg\"", 5) && !memmem(hdr, hn, "\"typ\"", 5))
		return BRK_SCAN_CHK_NO;
	*start = at;
	*end = i;
	return BRK_SCAN_CHK_YES;
}

static int same_ci(const uint8_t *a, size_t an, const char *w)
{
	return strlen(w) == an && strncasecmp((const char *)a, w, an) == 0;
}

int brk_scan_check_uri(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
		       size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	static const char *const weak[] = {
		"password", "pass", "passwd", "pwd", "secret", "changeme", "example",
		"mysecretpassword", "yourpassword", "your-password", "your_password",
		"mypassword", "pw", "p@ssw0rd", "xxx", "xxxx", "test", "root", "admin",
		"postgres", "mysql", "redis", "mongo", "guest", "user", "foobar", "foo",
		"bar", "secretpassword", "dbpass", "dbpassword", NULL,
	};
	size_t i = at + strlen(d->anchors[ai]), u = i, un, pw, pn, k;

	if (!left_ok(d, buf, at))
		return BRK_SCAN_CHK_NO;
	while (i < len && i - u < 128 && !strchr(":@/ \t\r\n\"'<>", buf[i]))
		i++;
	un = i - u;
	if (i >= len)
		return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
	if (buf[i] != ':')
		return BRK_SCAN_CHK_NO;
	pw = ++i;
	while (i < len && i - pw < 256 && !strchr("@/ \t\r\n\"'<>", buf[i]))
		i++;
	pn = i - pw;
	if (i >= len)
		return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
	if (buf[i] != '@' || pn == 0)
		return BRK_SCAN_CHK_NO;
	if (i + 1 >= len && !final)
		return BRK_SCAN_CHK_MORE;
	if (i + 1 >= len || strchr("/ \t\r\n\"'<>:", buf[i + 1]))
		return BRK_SCAN_CHK_NO;  /* no host */
	/* templates, masks and the passwords every README uses */
	for (k = 0; weak[k]; k++)
		if (same_ci(buf + pw, pn, weak[k]))
			return BRK_SCAN_CHK_NO;
	if (un == pn && memcmp(buf + u, buf + pw, pn) == 0)
		return BRK_SCAN_CHK_NO;
	for (k = pw; k < pw + pn; k++)
		if (buf[k] == '$' || buf[k] == '{' || buf[k] == '*' || buf[k] == '%')
			if (!(buf[k] == '%' && k + 2 < pw + pn)) /* %40 is fine */
				return BRK_SCAN_CHK_NO;
	if (pn >= 3 && buf[pw] == '[')
		return BRK_SCAN_CHK_NO;
	*start = pw;
	*end = pw + pn;
	return BRK_SCAN_CHK_YES;
}

int brk_scan_check_bearer(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
			  size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	size_t i = at + strlen(d->anchors[ai]), v, n;

	if (!left_ok(d, buf, at))
		return BRK_SCAN_CHK_NO;
	if (i >= len)
		return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
	if (buf[i] != ' ' && buf[i] != '\t')
		return BRK_SCAN_CHK_NO;
	v = skip_sp(buf, len, i);
	n = run_fwd(BRK_SCAN_CLS_TOKEN68, buf, len, v, d->max);
	if (v + n >= len && !final) {
		/* runs into the end of a stream: report early if it already qualifies */
		if (n < d->min || !looks_random(buf + v, n))
			return BRK_SCAN_CHK_MORE;
		*start = v;
		*end = v + n;
		return BRK_SCAN_CHK_YES;
	}
	if (n < d->min)
		return BRK_SCAN_CHK_NO;
	if (!looks_random(buf + v, n))
		return BRK_SCAN_CHK_NO;
	*start = v;
	*end = v + n;
	return BRK_SCAN_CHK_YES;
}

int brk_scan_check_basic(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
			 size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	size_t i = at + strlen(d->anchors[ai]), v, n;
	uint8_t dec[192];
	size_t dn;
	uint8_t *colon;

	i = skip_sp(buf, len, i);
	if (i + 6 > len)
		return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
	if (strncasecmp((const char *)buf + i, "basic", 5) != 0 || (buf[i + 5] != ' ' && buf[i + 5] != '\t'))
		return BRK_SCAN_CHK_NO;
	v = skip_sp(buf, len, i + 5);
	n = run_fwd(BRK_SCAN_CLS_B64PAD, buf, len, v, 256);
	if (v + n >= len && !final)
		return BRK_SCAN_CHK_MORE;
	if (n < 8)
		return BRK_SCAN_CHK_NO;
	dn = brk_scan_b64_small(buf + v, n, dec, sizeof(dec));
	colon = memchr(dec, ':', dn);
	/* user:password; ":password" (Heroku's git) and "<key>:" (an API key
	 * as the user, curl -u KEY:) are credentials too */
	if (!colon || (colon == dec && dn < 5) ||
	    ((size_t)(colon - dec) + 1 >= dn && colon - dec < 16))
		return BRK_SCAN_CHK_NO;
	*start = v;
	*end = v + n;
	return BRK_SCAN_CHK_YES;
}

/* ---- cookies ---- */

/* Does the cookie name n[0,l) contain word w (case-insensitive)? */
static int name_has(const uint8_t *n, size_t l, const char *w)
{
	size_t wl = strlen(w), i;

	for (i = 0; i + wl <= l; i++)
		if (strncasecmp((const char *)n + i, w, wl) == 0)
			return 1;
	return 0;
}

/*
 * A cookie name that says secret, and not session: sites set session,
 * CSRF and analytics cookies (random by design) and the client sends them
 * back; a client that puts its API key or password in a cookie itself
 * names it so. Session words win ("next-auth.session-token", "XSRF-TOKEN").
 */
static int cookie_name_session(const uint8_t *n, size_t l)
{
	static const char *const session[] = {
		"session", "sess", "csrf", "xsrf", "sid", "_ga", "_gid", "_fb", "consent", NULL,
	};
	size_t i;

	for (i = 0; session[i]; i++)
		if (name_has(n, l, session[i]))
			return 1;
	return 0;
}

static int cookie_name_secret(const uint8_t *n, size_t l)
{
	static const char *const secret[] = {
		"secret", "token", "passw", "pwd", "apikey", "api_key", "api-key", "auth",
		"credential", "private", "access_key", "accesskey", NULL,
	};
	size_t i;

	if (cookie_name_session(n, l))
		return 0;
	for (i = 0; secret[i]; i++)
		if (name_has(n, l, secret[i]))
			return 1;
	return 0;
}

/* A JWT (header.payload.signature, header "eyJ"): a site's own session
 * token; the jwt detector and the cookie jar judge it. */
static int is_jwt(const uint8_t *v, size_t n)
{
	const uint8_t *d1 = n > 3 ? memchr(v, '.', n) : NULL;

	return n > 3 && !memcmp(v, "eyJ", 3) && d1 && memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - v));
}

int brk_scan_session_cookie(const uint8_t *buf, size_t len, size_t s)
{
	size_t ne = s, ns, i, ve;

	if (ne && buf[ne - 1] == '"')
		ne--;
	if (!ne || buf[ne - 1] != '=')
		return 0;
	ne--;
	for (ns = ne; ns > 0 && ne - ns < 128 && buf[ns - 1] != ' ' && buf[ns - 1] != ';' &&
	     buf[ns - 1] != ':' && buf[ns - 1] != '\n'; ns--)
		;
	if (!cookie_name_session(buf + ns, ne - ns))
		return 0;
	/* in a "; "-separated list of pairs (a decoded fragment of a Cookie
	 * line has no line start) */
	if (ns >= 2 && buf[ns - 1] == ' ' && buf[ns - 2] == ';')
		return 1;
	for (ve = s; ve < len && ve - s < 4096 && buf[ve] != ';' && buf[ve] != ' ' &&
	     buf[ve] != '\r' && buf[ve] != '\n'; ve++)
		;
	if (ve + 1 < len && buf[ve] == ';' && buf[ve + 1] == ' ')
		return 1;
	/* the line this pair is on starts with "Cookie:" */
	for (i = ns; i > 0 && ns - i < 8192 && buf[i - 1] != '\n' && buf[i - 1] != '\r'; i--)
		;
	while (buf[i] == ' ' || buf[i] == '\t')
		i++;
	return i + 7 <= ns && strncasecmp((const char *)buf + i, "cookie:", 7) == 0;
}

int brk_scan_check_cookie(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
			  size_t at, unsigned ai, int final, size_t *start, size_t *end)
{
	size_t i = at + strlen(d->anchors[ai]);

	/* a response's Set-Cookie is the site's, not the client's */
	if (at >= 4 && strncasecmp((const char *)buf + at - 4, "set-", 4) == 0)
		return BRK_SCAN_CHK_NO;
	if (!left_ok(d, buf, at))
		return BRK_SCAN_CHK_NO;
	while (i < len) {
		size_t ns, ne, vs, ve;

		while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == ';'))
			i++;
		if (i < len && (buf[i] == '\r' || buf[i] == '\n'))
			return BRK_SCAN_CHK_NO;
		ns = i;
		while (i < len && buf[i] != '=' && buf[i] != ';' && buf[i] != '\r' && buf[i] != '\n' &&
		       i - ns < 128)
			i++;
		if (i >= len)
			break;
		if (buf[i] != '=')
			continue;       /* a name without a value, or too long: next */
		ne = i++;
		if (i < len && buf[i] == '"')
			i++;
		vs = i;
		while (i < len && buf[i] != ';' && buf[i] != '"' && buf[i] != '\r' && buf[i] != '\n' &&
		       buf[i] != ' ')
			i++;
		ve = i;
		if (i >= len && !final && ve - vs < d->min)
			break;          /* the value may go on */
		if (ve - vs >= d->min && ve - vs <= d->max && cookie_name_secret(buf + ns, ne - ns) &&
		    run_fwd(d->cls, buf, ve, vs, d->max) == ve - vs && !is_jwt(buf + vs, ve - vs) &&
		    looks_random(buf + vs, ve - vs)) {
			*start = vs;
			*end = ve;
			return BRK_SCAN_CHK_YES;
		}
		if (i - at > d->maxlen)
			return BRK_SCAN_CHK_NO;
	}
	return final ? BRK_SCAN_CHK_NO : BRK_SCAN_CHK_MORE;
}

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void brk_scan_crc32_b62(const uint8_t *p, size_t n, char out[6])
{
	uint32_t c = (uint32_t)crc32(0L, p, (uInt)n);
	int i;

	for (i = 5; i >= 0; i--) {
		out[i] = b62[c % 62];
		c /= 62;
	}
}

int brk_scan_verify_crc32_b62(const uint8_t *s, size_t n, size_t boff)
{
	char t[6];

	if (n - boff != 36)
		return 0;
	brk_scan_crc32_b62(s + boff, 30, t);
	return memcmp(t, s + boff + 30, 6) == 0;
}

int brk_scan_verify_aws(const uint8_t *s, size_t n, size_t boff)
{
	/* the documentation key ids (AKIAIOSFODNN7EXAMPLE) are not secrets */
	(void)boff;
	return !(n >= 7 && memcmp(s + n - 7, "EXAMPLE", 7) == 0);
}

int brk_scan_verify_lower(const uint8_t *s, size_t n, size_t boff)
{
	size_t i;

	for (i = boff; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 0;
	return 1;
}

int brk_scan_verify_slack(const uint8_t *s, size_t n, size_t boff)
{
	size_t i, dashes = 0;

	if (!(s[boff] >= '0' && s[boff] <= '9'))
		return 0;
	for (i = boff; i < n; i++)
		dashes += s[i] == '-';
	return dashes >= 2 && s[n - 1] != '-';
}

int brk_scan_verify_slack_hook(const uint8_t *s, size_t n, size_t boff)
{
	const uint8_t *b = s + boff;
	size_t bn = n - boff, i = 0, seg = 0, sl = 0;

	if (bn < 40 || b[0] != 'T')
		return 0;
	for (i = 0; i < bn; i++) {
		if (b[i] == '/') {
			if (sl < 8)
				return 0;
			seg++;
			sl = 0;
			if (seg == 1 && (i + 1 >= bn || b[i + 1] != 'B'))
				return 0;
		} else {
			sl++;
		}
	}
	return seg == 2 && sl >= 20;
}

int brk_scan_verify_openai_legacy(const uint8_t *s, size_t n, size_t boff)
{
	return n - boff == 48 && memcmp(s + boff + 20, "T3BlbkFJ", 8) == 0;
}

int brk_scan_verify_atlassian(const uint8_t *s, size_t n, size_t boff)
{
	size_t i;

	if (n - boff < 9 || s[n - 9] != '=')
		return 0;
	for (i = n - 8; i < n; i++)
		if (!is_hex(s[i]))
			return 0;
	return 1;
}

int brk_scan_verify_azure_ad(const uint8_t *s, size_t n, size_t boff)
{
	/* xxx8Q~... : the byte right before "Q~" is a digit, 3 before that */
	(void)n;
	return boff >= 6 && s[boff - 3] >= '0' && s[boff - 3] <= '9';
}

int brk_scan_verify_sendgrid(const uint8_t *s, size_t n, size_t boff)
{
	const uint8_t *b = s + boff;

	return n - boff == 66 && b[22] == '.';
}

int brk_scan_verify_discord(const uint8_t *s, size_t n, size_t boff)
{
	/* base64(user id) "." timestamp(6) "." hmac(27-38); the id's base64
	 * starts with the anchor (MT..OT: a decimal snowflake's first digit) */
	const uint8_t *d1 = memchr(s, '.', n), *d2;
	size_t id, h, i;

	(void)boff;
	if (!d1)
		return 0;
	id = (size_t)(d1 - s);
	if (id < 24 || id > 26)
		return 0;
	d2 = memchr(d1 + 1, '.', n - id - 1);
	if (!d2 || d2 - d1 - 1 != 6)
		return 0;
	h = n - (size_t)(d2 - s) - 1;
	if (h < 27 || h > 38)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] != '.' && !brk_scan_cls_has(BRK_SCAN_CLS_B64URL, s[i]))
			return 0;
	return 1;
}

/* "host:443" -> "host" (not "[::1]:443" nor a bare IPv6 address). */
static size_t host_len_noport(const char *host, size_t hl)
{
	size_t i = hl;

	while (i > 0 && host[i - 1] >= '0' && host[i - 1] <= '9')
		i--;
	if (i == 0 || i == hl || host[i - 1] != ':' || memchr(host, ':', i - 1))
		return hl;
	return i - 1;
}

#define HOST_LABELS_MAX 128

/* Label starts and lengths of h[0,n); returns the count, 0 if too many. */
static size_t host_labels(const char *h, size_t n, const char **lab, size_t *len)
{
	size_t k = 0, s = 0, i;

	for (i = 0; i <= n; i++) {
		if (i < n && h[i] != '.')
			continue;
		if (k == HOST_LABELS_MAX)
			return 0;
		lab[k] = h + s;
		len[k++] = i - s;
		s = i + 1;
	}
	return k;
}

/* One label against a pattern label with '*' (fnmatch, any case). */
static int label_glob(const char *p, size_t pn, const char *h, size_t hn)
{
	char pb[256], hb[256];

	if (pn >= sizeof(pb) || hn >= sizeof(hb))
		return 0;
	memcpy(pb, p, pn);
	pb[pn] = '\0';
	memcpy(hb, h, hn);
	hb[hn] = '\0';
	return fnmatch(pb, hb, FNM_CASEFOLD) == 0;
}

/* A pattern with '*' inside ("*.s3.*.amazonaws.com"): a leading "*." is
 * one or more labels, any other '*' stays inside its label. */
static int host_glob(const char *host, size_t hl, const char *pat)
{
	const char *hlab[HOST_LABELS_MAX], *plab[HOST_LABELS_MAX];
	size_t hlen[HOST_LABELS_MAX], plen[HOST_LABELS_MAX], nh, np, i, off;
	int multi = pat[0] == '*' && pat[1] == '.';

	nh = host_labels(host, hl, hlab, hlen);
	np = host_labels(pat + (multi ? 2 : 0), strlen(pat + (multi ? 2 : 0)), plab, plen);
	if (!nh || !np || (multi ? nh <= np : nh != np))
		return 0;
	off = nh - np;
	for (i = 0; i < np; i++)
		if (!label_glob(plab[i], plen[i], hlab[off + i], hlen[off + i]))
			return 0;
	return 1;
}

int brk_scan_host_match(const char *host, const char *pat)
{
	size_t hl, pl;

	if (!host || !pat)
		return 0;
	hl = strlen(host);
	hl = host_len_noport(host, hl);
	if (hl && host[hl - 1] == '.')
		hl--;
	if (strchr(pat + (pat[0] == '*' && pat[1] == '.' ? 2 : 0), '*'))
		return host_glob(host, hl, pat);
	if (pat[0] == '*' && pat[1] == '.') {
		pl = strlen(pat + 1);  /* ".x.com" */
		return hl > pl && strncasecmp(host + hl - pl, pat + 1, pl) == 0;
	}
	pl = strlen(pat);
	return hl == pl && strncasecmp(host, pat, hl) == 0;
}

/* ---- values recognized by their key name (BRK_SCAN_DF_KEYED) --------- */

int brk_scan_verify_uuid(const uint8_t *s, size_t n, size_t boff)
{
	size_t i;

	s += boff;
	n -= boff;
	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!brk_scan_cls_has(BRK_SCAN_CLS_HEX, s[i])) {
			return 0;
		}
	}
	/* the all-zero UUID and 0000...0001 style values are placeholders */
	return brk_scan_entropy(s, n) >= 3.0;
}

int brk_scan_verify_hex_mixed(const uint8_t *s, size_t n, size_t boff)
{
	size_t i, dg = 0, al = 0;

	for (i = boff; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			dg++;
		else
			al++;
	}
	return dg >= 4 && al >= 4 && brk_scan_entropy(s + boff, n - boff) >= 3.0;
}

int brk_scan_verify_b64_64(const uint8_t *s, size_t n, size_t boff)
{
	/* 64 random bytes: 86 characters and "==" */
	return n - boff == 88 && s[n - 1] == '=' && s[n - 2] == '=' && s[n - 3] != '=' &&
	       brk_scan_entropy(s + boff, n - boff - 2) >= 4.5;
}

int brk_scan_verify_userpass(const uint8_t *s, size_t n, size_t boff)
{
	uint8_t dec[300];
	size_t dn, i, colon = 0;

	dn = brk_scan_b64_small(s + boff, n - boff, dec, sizeof(dec));
	if (dn < 4 || dn == sizeof(dec))
		return 0;
	for (i = 0; i < dn; i++) {
		if (dec[i] < 0x20 || dec[i] > 0x7e)
			return 0;
		if (dec[i] == ':' && !colon)
			colon = i;
	}
	/* user:password, both there, the password not a ${VAR} placeholder */
	return colon > 0 && dn - colon - 1 >= 4 && !placeholder(dec + colon + 1, dn - colon - 1);
}
