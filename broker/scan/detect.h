/* SPDX-License-Identifier: MIT */
/*
 * detect.h - detector descriptions and the checks that confirm a match.
 *
 * Internal to broker/scan/. A detector is found by its anchor literals
 * (prefixes such as "ghp_" or keywords such as "aws_secret_access_key");
 * the matcher (mpm.h) only says "an anchor, and perhaps the rest of the
 * shape, ends here". The check function then parses the candidate exactly
 * from the anchor position and is the single authority on what is a
 * finding, for both matcher backends (which keeps them equivalent: the
 * fallback matcher is the test oracle for Hyperscan).
 */
#ifndef DLP_BROKER_SCAN_DETECT_H
#define DLP_BROKER_SCAN_DETECT_H

#include <stddef.h>
#include <stdint.h>

/* Character classes used by shapes. */
enum brk_scan_cls {
	BRK_SCAN_CLS_NONE = 0,
	BRK_SCAN_CLS_ALNUM,      /* A-Za-z0-9 */
	BRK_SCAN_CLS_B64URL,     /* A-Za-z0-9_- */
	BRK_SCAN_CLS_B64,        /* A-Za-z0-9+/ */
	BRK_SCAN_CLS_B64PAD,     /* A-Za-z0-9+/= */
	BRK_SCAN_CLS_HEXLO,      /* 0-9a-f */
	BRK_SCAN_CLS_HEX,        /* 0-9a-fA-F */
	BRK_SCAN_CLS_DIGIT,      /* 0-9 */
	BRK_SCAN_CLS_ALPHA,      /* A-Za-z */
	BRK_SCAN_CLS_B32UP,      /* A-Z2-7 (AWS key ids) */
	BRK_SCAN_CLS_UPNUM,      /* A-Z0-9 */
	BRK_SCAN_CLS_ALNUMDASH,  /* A-Za-z0-9- (Slack) */
	BRK_SCAN_CLS_B64URLEQ,   /* A-Za-z0-9_=- (Atlassian) */
	BRK_SCAN_CLS_ALNUMSLASH, /* A-Za-z0-9/ (Slack webhook path) */
	BRK_SCAN_CLS_TOKEN68,    /* A-Za-z0-9._~+/=- (RFC 7235 token68) */
	BRK_SCAN_CLS_AZSECRET,   /* A-Za-z0-9_~.- (Azure AD client secret) */
	BRK_SCAN_CLS_BECH32,     /* age: QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L */
	BRK_SCAN_CLS_VALUE,      /* generic value: printable, no space/quote/,;&<> */
	BRK_SCAN_CLS_SECRET,     /* generic secret value: A-Za-z0-9+/=_-!@#$%* */
	BRK_SCAN_CLS_COUNT
};

/* Is byte c in class k? */
int brk_scan_cls_has(enum brk_scan_cls k, uint8_t c);
/* The class as a regex character class ("[A-Za-z0-9]"), for Hyperscan. */
const char *brk_scan_cls_regex(enum brk_scan_cls k);

/* Detector flags. */
#define BRK_SCAN_DF_NOCASE   0x01u /* anchors match case-insensitively */
#define BRK_SCAN_DF_LB       0x02u /* byte before the match must not be alnum */
#define BRK_SCAN_DF_GENERIC  0x04u /* dropped when a specific finding overlaps */
#define BRK_SCAN_DF_ENTROPY  0x08u /* value must look random (entropy, classes) */
#define BRK_SCAN_DF_NORB     0x10u /* no right boundary needed after max length */
#define BRK_SCAN_DF_KEYED    0x20u /* kv: also XML <Key>value</Key> and
				* JSON-escaped quotes; with a verify and a
				* home, a Bearer/Basic value of its shape
				* going to that home is that credential */

#define BRK_SCAN_MAX_ANCHORS 10

/* Outcome of a check. */
enum brk_scan_chk {
	BRK_SCAN_CHK_NO = 0,   /* not a credential here */
	BRK_SCAN_CHK_YES = 1,  /* credential at [*start, *end) */
	BRK_SCAN_CHK_MORE = 2, /* could become one when more bytes arrive */
};

struct brk_scan_det;

/*
 * Check the candidate whose anchor (anchors[ai]) starts at buf[at]. buf[0,len)
 * is all that is known; final = 1 when no byte will follow buf[len-1] (whole
 * buffers), 0 in a stream, where a shape that runs into the end with at least
 * its minimum length is reported early (blocking beats completeness) and a
 * shorter one answers MORE. The check may look backwards (lookback shapes).
 */
typedef int brk_scan_check_fn(const struct brk_scan_det *d, const uint8_t *buf, size_t len,
			      size_t at, unsigned ai, int final, size_t *start, size_t *end);
/* Extra validation of a complete secret s[0,n) whose body is s[boff, n). */
typedef int brk_scan_verify_fn(const uint8_t *s, size_t n, size_t boff);

struct brk_scan_det {
	const char *id;                 /* stable id, used in policy and events */
	const char *desc;
	const char *anchors[BRK_SCAN_MAX_ANCHORS]; /* literals, NULL-terminated */
	unsigned flags;                 /* BRK_SCAN_DF_* */
	brk_scan_check_fn *check;       /* NULL: brk_scan_check_shape */
	brk_scan_verify_fn *verify;     /* optional, after the shape parsed */
	/* Hyperscan expression that matches (a superset of) what check accepts
	 * and ends at most maxlen bytes after the anchor start; NULL: derived
	 * from the shape (pre-class, anchor, class{min}). */
	const char *regex;
	/* Shape: [pre_cls]{pre_min,pre_max} ANCHOR [cls]{min,max}.
	 * For keyword/value checks (brk_scan_check_kv), cls/min/max is the
	 * value and pre_max the identifier chars allowed after the keyword. */
	uint8_t pre_cls, cls;
	uint16_t pre_min, pre_max, min, max;
	uint16_t maxlen;                /* longest extent from anchor start */
	const char *const *home;        /* home domains, NULL-terminated or NULL;
					 * "!pattern" excludes tenant-controlled
					 * hosts (buckets) under a home suffix */
	int action;                     /* enum brk_scan_action */
	const char *const *pos;         /* samples that must be found */
	const char *const *neg;         /* near misses that must not be */
};

/* Generic checks usable as brk_scan_det.check. */
brk_scan_check_fn brk_scan_check_shape;   /* prefix + class run (the default) */
brk_scan_check_fn brk_scan_check_kv;      /* keyword [ident] ["'] [:=] ["'] value */
brk_scan_check_fn brk_scan_check_pem;     /* BEGIN line + >= 64 base64 body chars */
brk_scan_check_fn brk_scan_check_jwt;     /* header.payload.signature, header has "alg" */
brk_scan_check_fn brk_scan_check_uri;     /* scheme://user:password@host */
brk_scan_check_fn brk_scan_check_bearer;  /* "Bearer" SP token68 */
brk_scan_check_fn brk_scan_check_basic;   /* "Authorization: Basic" base64(user:pass) */
brk_scan_check_fn brk_scan_check_cookie;  /* "Cookie:" a secret-named pair, random value */

/* Is the value starting at buf[s] that of a session, CSRF or analytics
 * cookie (its name says so) on a "Cookie:" line, or after a "; " as in
 * one? A site's own: the generic detectors leave it alone. */
int brk_scan_session_cookie(const uint8_t *buf, size_t len, size_t s);

/* Verifiers. */
brk_scan_verify_fn brk_scan_verify_crc32_b62;  /* GitHub/npm: 30 chars + base62 CRC32 */
brk_scan_verify_fn brk_scan_verify_aws;        /* not the documentation example */
brk_scan_verify_fn brk_scan_verify_lower;      /* no upper-case letter in the body */
brk_scan_verify_fn brk_scan_verify_slack;      /* digit groups separated by '-' */
brk_scan_verify_fn brk_scan_verify_slack_hook; /* T.../B.../24 chars */
brk_scan_verify_fn brk_scan_verify_openai_legacy; /* T3BlbkFJ marker at 20 */
brk_scan_verify_fn brk_scan_verify_atlassian;  /* ends in = + 8 hex */
brk_scan_verify_fn brk_scan_verify_azure_ad;   /* 4th char before Q~ is a digit */
brk_scan_verify_fn brk_scan_verify_sendgrid;   /* 22 . 43 */
brk_scan_verify_fn brk_scan_verify_discord;    /* 24-26 . 6 . 27-38 */
brk_scan_verify_fn brk_scan_verify_uuid;       /* 8-4-4-4-12 hex, not a placeholder */
brk_scan_verify_fn brk_scan_verify_hex_mixed;  /* digits and letters, random */
brk_scan_verify_fn brk_scan_verify_b64_64;     /* base64 of 64 random bytes */
brk_scan_verify_fn brk_scan_verify_userpass;   /* base64 of user:password */

/* The base62 CRC32 tail: writes 6 chars for crc32(p, n) into out. */
void brk_scan_crc32_b62(const uint8_t *p, size_t n, char out[6]);
/* Decode up to cap bytes of base64 or base64url from p[0,n), stopping at
 * the first other byte ('=' padding included); returns the bytes written.
 * For small values only (the Basic credential, a JWT header). */
size_t brk_scan_b64_small(const uint8_t *p, size_t n, uint8_t *out, size_t cap);
/* Shannon entropy of p[0,n) in bits per byte. */
double brk_scan_entropy(const uint8_t *p, size_t n);
/* Does host match domain pattern pat ("x.com" exact, "*.x.com" subdomains)?
 * Case-insensitive, ignores one trailing dot on host. */
int brk_scan_host_match(const char *host, const char *pat);

#endif /* DLP_BROKER_SCAN_DETECT_H */
