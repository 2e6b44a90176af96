/* SPDX-License-Identifier: MIT */
/*
 * hook_awslc.c - the key path for rustls on aws-lc inside an executable
 * (pnpm 11+, whose Rust core does its own TLS; any Rust program built with
 * rustls' default aws-lc-rs provider that exports aws-lc's symbols).
 *
 * rustls calls no library the shim can interpose, but its key schedule
 * runs on aws-lc: every TLS 1.3 traffic secret is an HKDF-Expand-Label
 * (aws-lc-rs: HKDF_expand or HKDF), the TLS 1.2 master secret is
 * CRYPTO_tls1_prf. hook_node.c patches those entry points in the main
 * program (prefixed `aws_lc_X_Y_Z_` by aws-lc-sys; found in the dynamic
 * string table) and the hooks here turn their results into key-log lines
 * (NSS format) for tls_keylog.c, as OpenSSL's key-log callback would:
 *
 *   "tls13 c hs traffic" -> CLIENT_HANDSHAKE_TRAFFIC_SECRET
 *   "tls13 s hs traffic" -> SERVER_HANDSHAKE_TRAFFIC_SECRET
 *   "tls13 c ap traffic" -> CLIENT_TRAFFIC_SECRET_0
 *   "tls13 s ap traffic" -> SERVER_TRAFFIC_SECRET_0
 *   TLS 1.2 "key expansion" -> CLIENT_RANDOM (its secret is the master
 *                              secret, its seed holds the client random)
 *
 * A TLS 1.3 derivation's arguments do not name the session (a transcript hash,
 * not the client random). rustls derives them in the call that processed
 * the records it had just read (tokio-rustls: read_tls, then
 * process_new_packets, on one thread), so the session is the one of the
 * TLS socket this thread last read (hook_net.c calls shim_awslc_read), and
 * its client random is the one of the ClientHello written on that fd
 * (tls_gate.c). In such a process every ClientHello is claimed (the key
 * path). Both are claims, not proof: the relay forwards nothing it could
 * not decrypt, so a wrong line or a session of another TLS stack in the
 * same process costs that connection (reset), never an unread byte.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/dlp_err.h"
#include "common/log.h"
#include "shim/shim_int.h"
#include "shim/tls_int.h"

typedef int hkdf_expand_fn(uint8_t *, size_t, const void *, const uint8_t *, size_t,
			   const uint8_t *, size_t);
typedef int hkdf_fn(uint8_t *, size_t, const void *, const uint8_t *, size_t, const uint8_t *,
		    size_t, const uint8_t *, size_t);
typedef int prf_fn(const void *, uint8_t *, size_t, const uint8_t *, size_t, const char *,
		   size_t, const uint8_t *, size_t, const uint8_t *, size_t);

/* Globals: set once in the constructor (single-threaded), read-only after. */
static hkdf_expand_fn *real_expand;
static hkdf_fn *real_hkdf;
static prf_fn *real_prf;
bool shim_awslc_on;

/* the TLS socket this thread last read from (its session's records) */
static __thread int last_tls_fd SHIM_TLS = -1;

void shim_awslc_read(int fd)
{
	if (shim_fd_kind(fd) == SHIM_FD_TLS)
		last_tls_fd = fd;
}

static void hexa(char *o, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		o[2 * i] = hx[p[i] >> 4];
		o[2 * i + 1] = hx[p[i] & 15];
	}
}

/* "LABEL <client random> <secret>" to tls_keylog.c; rnd NULL: this thread's session. */
static void emit(const char *label, const uint8_t *rnd, const uint8_t *sec, size_t n)
{
	uint8_t r[32];
	char line[32 + 1 + 64 + 1 + 2 * 64];
	size_t l = strlen(label);

	if (n > 64 || shim_inert)
		return;
	if (!rnd) {
		if (last_tls_fd < 0 || !shim_tls_random_by_fd(last_tls_fd, r))
			return;
		rnd = r;
	}
	memcpy(line, label, l);
	line[l++] = ' ';
	hexa(line + l, rnd, 32);
	l += 64;
	line[l++] = ' ';
	hexa(line + l, sec, n);
	l += 2 * n;
	shim_tls_keylog(line, l);
}

/* An HkdfLabel (u16 length, label<7..255> "tls13 ...", context<0..255>): the key-log name. */
static void tls13_label(const uint8_t *info, size_t len, const uint8_t *out, size_t n)
{
	static const struct {
		const char *hkdf, *nss;
	} map[] = {
		{ "tls13 c hs traffic", "CLIENT_HANDSHAKE_TRAFFIC_SECRET" },
		{ "tls13 s hs traffic", "SERVER_HANDSHAKE_TRAFFIC_SECRET" },
		{ "tls13 c ap traffic", "CLIENT_TRAFFIC_SECRET_0" },
		{ "tls13 s ap traffic", "SERVER_TRAFFIC_SECRET_0" },
	};
	unsigned i;

	if (!info || len < 3 + 18 || info[2] != 18 || ((size_t)info[0] << 8 | info[1]) != n)
		return;
	for (i = 0; i < DLP_ARRAY_SIZE(map); i++)
		if (!memcmp(info + 3, map[i].hkdf, 18)) {
			emit(map[i].nss, NULL, out, n);
			return;
		}
}

static int awslc_HKDF_expand(uint8_t *out, size_t n, const void *md, const uint8_t *prk,
			     size_t prk_len, const uint8_t *info, size_t info_len)
{
	int rc = real_expand(out, n, md, prk, prk_len, info, info_len);

	if (rc == 1)
		tls13_label(info, info_len, out, n);
	return rc;
}

static int awslc_HKDF(uint8_t *out, size_t n, const void *md, const uint8_t *secret,
		      size_t secret_len, const uint8_t *salt, size_t salt_len, const uint8_t *info,
		      size_t info_len)
{
	int rc = real_hkdf(out, n, md, secret, secret_len, salt, salt_len, info, info_len);

	if (rc == 1)
		tls13_label(info, info_len, out, n);
	return rc;
}

static int awslc_prf(const void *md, uint8_t *out, size_t n, const uint8_t *secret,
		     size_t secret_len, const char *label, size_t label_len, const uint8_t *s1,
		     size_t s1_len, const uint8_t *s2, size_t s2_len)
{
	int rc = real_prf(md, out, n, secret, secret_len, label, label_len, s1, s1_len, s2,
			  s2_len);

	/*
	 * The key block's PRF takes the master secret and server random ||
	 * client random: the session in its arguments, for full and resumed
	 * handshakes alike (a resumed TLS 1.2 session derives no master
	 * secret), before the first record that needs it is written or read.
	 */
	if (rc == 1 && label_len == 13 && !memcmp(label, "key expansion", 13) && secret_len == 48) {
		if (s1_len == 64 && !s2_len)
			emit("CLIENT_RANDOM", s1 + 32, secret, secret_len);
		else if (s1_len == 32 && s2_len == 32)
			emit("CLIENT_RANDOM", s2, secret, secret_len);
	}
	return rc;
}

/* The aws-lc-sys prefix ("aws_lc_0_47_0_") of the main program's symbols, from its strtab. */
static bool awslc_prefix(const char *strtab, size_t strsz, char *pfx, size_t cap)
{
	static const char want[] = "_HKDF_expand";
	const char *p = strtab, *end = strtab + strsz;

	p = memmem(strtab, strsz, "aws_lc_", 7);
	if (!p)
		return false;
	while (p > strtab && p[-1])
		p--;    /* the start of that string */
	while (p < end) {
		size_t l = strnlen(p, (size_t)(end - p));

		if (l > 7 + sizeof(want) - 1 && !memcmp(p, "aws_lc_", 7) &&
		    !memcmp(p + l - (sizeof(want) - 1), want, sizeof(want) - 1) &&
		    l - (sizeof(want) - 1) + 1 < cap) {
			memcpy(pfx, p, l - (sizeof(want) - 1) + 1);     /* keeps the '_' */
			pfx[l - (sizeof(want) - 1) + 1] = '\0';
			return true;
		}
		p += l + 1;
	}
	return false;
}

bool shim_awslc_patch(const char *strtab, size_t strsz, void *(*lookup)(const char *),
		      void *(*patch)(void *f, void *hook))
{
	char pfx[64], name[96];
	void *f[3], *t[3];
	static const char *const names[] = { "HKDF_expand", "HKDF", "CRYPTO_tls1_prf" };
	void *hooks[] = { (void *)awslc_HKDF_expand, (void *)awslc_HKDF, (void *)awslc_prf };
	unsigned i;

	if (!strtab || !awslc_prefix(strtab, strsz, pfx, sizeof(pfx)))
		return false;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", pfx, names[i]);
		f[i] = lookup(name);
		if (!f[i])
			return false;
	}
	/* all three or none: a session whose keys cannot all come must not be claimed */
	for (i = 0; i < 3; i++) {
		t[i] = patch(f[i], hooks[i]);
		if (!t[i])
			break;
	}
	real_expand = (hkdf_expand_fn *)t[0];
	real_hkdf = (hkdf_fn *)t[1];
	real_prf = (prf_fn *)t[2];
	if (i < 3) {
		dlp_log_as("dlpjail: cannot patch %s%s in this program: its TLS goes the CA path",
			   pfx, names[i]);
		return false;       /* the patched ones still run (trampolines set) */
	}
	shim_awslc_on = true;
	return true;
}
