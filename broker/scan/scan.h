/* SPDX-License-Identifier: MIT */
/*
 * scan.h - the scanning engine: finds credentials in outbound bytes, through
 * any encoding, and decides whether they may go to the destination.
 *
 * This is the only header the rest of the broker includes from broker/scan/.
 * An engine is compiled once from the detector registry (det_table.c) plus
 * the session's canaries, and is then read-only: any number of threads may
 * call brk_scan_buffer() and open streams on it concurrently. A stream is
 * per connection and direction and is used by one thread at a time.
 *
 * Every secret that reaches a finding, log or event is first passed through
 * dlp_redact() (common/redact.h); nothing here ever copies a secret in
 * clear into a result.
 *
 * Return codes follow common/dlp_err.h: >= 0 success, negative errno.
 */
#ifndef DLP_BROKER_SCAN_SCAN_H
#define DLP_BROKER_SCAN_SCAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/redact.h"

struct brk_scan_engine;   /* compiled once, read-only, shared by threads */
struct brk_scan_stream;   /* per connection+direction streaming state */

struct brk_scan_config {
	/* exact-match canary tokens (copied; any outbound occurrence blocks) */
	const char *const *canaries;
	size_t ncanaries;
	/* extra home domains: "detector_id=domain" strings from policy.
	 * "domain" is an exact host or "*.example.com" (strict subdomains).
	 * They only add to the built-in homes, never remove. An unknown
	 * detector id makes brk_scan_engine_new() fail with -EINVAL. */
	const char *const *extra_home;
	size_t nextra_home;
	/* hosts the user allowed by exact name (--allow HOST, or "allow HOST"
	 * in their own policy file; see brk_policy_user_hosts()): the only
	 * home of the generic detectors (basic-auth, bearer-token,
	 * generic-secret), which cannot tell whose credential they saw.
	 * Exact, case-insensitive names; copied. */
	const char *const *user_hosts;
	size_t nuser_hosts;
	/* 0 = automatic (Hyperscan when built with it and the CPU supports it),
	 * 1 = force the plain fallback matcher (tests, oracle). */
	int force_fallback;
	/* Where the compiled detector database is cached (mpm_cache.h):
	 * NULL = $XDG_CACHE_HOME/dlpjail (else ~/.cache/dlpjail), "" = no
	 * cache (compile every time). Canaries are never cached. */
	const char *cache_dir;
	/* 1 = on a cache miss, compile in a background thread: the engine is
	 * returned at once and the first scan waits (broker start-up, which
	 * overlaps that with the command's own start). 0 = compile here.
	 * A fork() copies no thread: call brk_scan_engine_wait() before one
	 * whose child uses the engine. */
	int background;
	/* The canaries are matched by the known-secret matcher. 1 = the
	 * caller calls brk_scan_engine_add_known() (or _copy_known()) before
	 * the engine's first scan, which brings them in: no canaries-only set
	 * is built first (~1 ms at every start). 0 = the engine builds one. */
	int known_follows;
	/* 1 = set up on first use: the detector database (cache load or
	 * compile, self-test) and the known-secret matcher are built by the
	 * engine's first scan or stream (the relay's first connection, the
	 * DNS proxy's first query), which the concurrent ones wait for; a
	 * session that never sends pays for none of it. A failed set-up fails
	 * every scan (blocked). 0 = built here. */
	int lazy;
};

enum brk_scan_action {
	BRK_SCAN_BLOCK = 0,  /* outside its home domains the payload is refused */
	BRK_SCAN_WARN = 1,   /* reported, never blocks (low-precision detectors) */
};

#define BRK_SCAN_MAX_FINDINGS 8

struct brk_finding {
	const char *detector;       /* registry id, e.g. "github-pat"; "canary" */
	char redacted[DLP_REDACT_MAX]; /* dlp_redact() of the secret */
	char layers[64];            /* decode path, e.g. "base64>gzip"; "" = raw */
	int canary;                 /* 1 if it matched a canary */
	int in_scope;               /* 1 if dest is a home domain: allowed */
	int action;                 /* enum brk_scan_action of the detector */
	const char *source;         /* known secrets: where the value was read
				     * ("~/.npmrc:3", "env NPM_TOKEN"), "canary",
				     * or NULL; valid while the engine is (engines
				     * are never freed under a running broker) */
	int received;               /* found in received data (BRK_SCAN_INGRESS):
				     * reported, never blocks: a download that
				     * holds a token (your own, a canary, a test
				     * fixture) is no leak */
};

struct brk_scan_result {
	unsigned nfindings;         /* <= BRK_SCAN_MAX_FINDINGS, deduplicated */
	struct brk_finding findings[BRK_SCAN_MAX_FINDINGS];
	int blocked;                /* any BLOCK finding not in_scope, or refused;
				     * ingress: refused only (findings are
				     * marked received and reported) */
	char error[128];            /* why scanning failed or was refused */
	/* Added beyond the integration contract: */
	unsigned ndropped;          /* findings beyond the array (still counted) */
	int refused;                /* egress content could not be scanned
				     * completely (decompression bomb, budget,
				     * deadline): blocked=1, reason in error[]
				     * (fail closed) */
	char note[128];             /* non-fatal observation, e.g. a
				     * Content-Encoding that lies about the body */
	int partial;                /* ingress only: decoded layers were not all
				     * scanned (budget, bomb cap, deadline,
				     * message over the decode window; reason in
				     * error[]); raw matching went on, findings
				     * still block, the bytes are not refused.
				     * Set by every call whose decoding was cut:
				     * the caller reports it once (broker.c: per
				     * connection and direction). */
	unsigned long long scanned; /* with partial: stream bytes fully scanned
				     * (all layers) before it; raw: all */
	char rule[400];             /* with refused: the policy rule that
				     * refused (http_glue method rules, with its
				     * origin); "" for a scanning refusal */
};

/*
 * A result made empty without writing its 1.9 KB: the counters and flags,
 * and the first byte of each string. Every reader goes by nfindings and
 * the flags (a finding is written whole when it is added), so this is
 * all a fresh result needs; a call per HTTP part or small message paid
 * the memset of the whole struct before (bench/tls/README.md).
 */
static inline void brk_scan_result_clear(struct brk_scan_result *r)
{
	r->nfindings = 0;
	r->blocked = 0;
	r->error[0] = '\0';
	r->ndropped = 0;
	r->refused = 0;
	r->note[0] = '\0';
	r->partial = 0;
	r->scanned = 0;
	r->rule[0] = '\0';
}

/* Direction of the bytes: what a scan that cannot finish means. */
enum brk_scan_dir {
	BRK_SCAN_EGRESS = 0,        /* outbound: refused (blocked, fail closed) */
	BRK_SCAN_INGRESS = 1,       /* inbound: res->partial, passed; smaller
				     * decode budgets and windows (bounded memory) */
};

/* Cooperative deadline of one call (a stream feed, a buffer): the decode
 * graph and the decompressors check the clock as they go and give up with
 * -ETIMEDOUT (egress: refused; ingress: partial, raw findings kept). */
#define BRK_SCAN_DEADLINE_MS 3000

/* Compile the registry and cfg (may be NULL) into an engine.
 * -EINVAL bad config, -ENOMEM, -EIO matcher compile failure. */
int brk_scan_engine_new(const struct brk_scan_config *cfg, struct brk_scan_engine **out);
void brk_scan_engine_free(struct brk_scan_engine *);
/* "hyperscan" or "fallback": which matcher the engine uses. */
const char *brk_scan_engine_matcher(const struct brk_scan_engine *);
/* 1 if the detector database was loaded from the cache (and passed its
 * self-test: every detector's own samples), 0 if compiled. */
int brk_scan_engine_cached(const struct brk_scan_engine *);
/* How many trigger literals (pat_trigger.h) the engine's database holds:
 * 0 for a lazy engine before its first use (they are built then) and with
 * the plain matcher. For the tests. */
size_t brk_scan_engine_triggers(const struct brk_scan_engine *e);
/* The shortest text run a stream's raw matcher looks at (scan.c
 * raw_sparse; 0: it sees every byte). For the tests. */
size_t brk_scan_engine_text_min(const struct brk_scan_engine *e);
/* Why that is 0 ("detector-id: reason", also logged as a warning when the
 * engine is made), or NULL; a backend without a stream reset is no reason. */
const char *brk_scan_engine_sparse_off(const struct brk_scan_engine *e);
/* Feeds shorter than this (512) are matched whole, not run by run (scan.c
 * raw_sparse); the tests set 0 to run the run search on every feed. */
extern size_t brk_scan_sparse_small;
/* Wait for a background compile (cfg.background); 0 or its negative
 * errno (then every scan fails, blocked). brk_scan_engine_free() waits
 * too, so that the cache gets written. */
int brk_scan_engine_wait(const struct brk_scan_engine *);
/* Set up a lazy engine now (cfg.lazy; a no-op otherwise and after the
 * first time): 0 or the set-up's negative errno. Every scan calls it. */
int brk_scan_engine_ready(const struct brk_scan_engine *);
/* How many lazy engines of this process have been set up (a debug counter:
 * a session that never sent anything keeps it at 0). */
unsigned long brk_scan_engine_setups(void);
/* The default matcher cache directory (see cache_dir), created 0700 if
 * missing, into dst. -EPERM if it is not the user's own private
 * directory, other negative errno. */
int brk_scan_cache_prepare(char *dst, size_t cap);

/*
 * Streams. Raw bytes are matched in streaming mode, so a credential split
 * across any number of feeds (one byte each included) is found at the feed
 * that completes it (a variable-length one is reported as soon as it has
 * its minimum length). Decoded layers: the decode graph runs over the new
 * bytes plus a context reaching back to the start of the encoded run they
 * continue (<= 4 KiB), at the latest every 16 bytes or as soon as a
 * delimiter ends the run; when the message shows HTTP framing
 * (Content-/Transfer-Encoding, multipart), compression magic or binary
 * bytes, also over the whole accumulated message (up to
 * BRK_SCAN_STREAM_MSG_MAX) each time it doubles, and on flush. Undeclared
 * brotli or raw deflate split across writes is only reached at flush.
 * Each finding is reported once per stream.
 */
#define BRK_SCAN_STREAM_MSG_MAX (4u << 20)
int brk_scan_stream_open(const struct brk_scan_engine *, struct brk_scan_stream **out);
/* The same for a direction (enum brk_scan_dir); open() is BRK_SCAN_EGRESS.
 * Ingress streams decode whole messages up to 1 MiB only, keep just the
 * window context of plain text, and never refuse: see res->partial. */
int brk_scan_stream_open_dir(const struct brk_scan_engine *, int dir,
			     struct brk_scan_stream **out);
/* Per-feed deadline in ms (default BRK_SCAN_DEADLINE_MS; 0 = none). */
/* The calling thread's scans stop at their next cooperative check
 * (deadline checks: -ETIMEDOUT) while *flag != 0; NULL: no flag. The
 * relay's watchdog (broker/relay/relay_wd.c) sets one per relay thread. */
void brk_scan_thread_abort(const atomic_int *flag);
void brk_scan_stream_set_deadline(struct brk_scan_stream *, unsigned ms);
/*
 * Light mode (ingress streams only; ignored on egress), for a stream whose
 * bodies an HTTP parser in front decodes by their declared encodings
 * (broker.c's HTTP glue): raw matching and the known-secret and canary
 * matcher (with all their transforms) run as always, but the decode graph
 * runs only over text-like bytes, in windows of the new bytes plus their
 * context, and never over the whole message: no undeclared decompression
 * of binary bodies (tarballs), which inbound costs the most and finds the
 * least. Can be switched per feed (on = 1, off = 0).
 */
void brk_scan_stream_set_light(struct brk_scan_stream *, int on);
/* The bytes fed so far end a message (scan.c): the next feed's decode
 * window does not reach back into it beyond an encoded run at its end. */
void brk_scan_stream_mark_end(struct brk_scan_stream *s);
/*
 * Inbound rule (every ingress stream, light or not): the first
 * BRK_SCAN_IN_FULL bytes of a stream (a connection direction's raw stream,
 * each HTTP body the glue decodes by its declared encodings) are scanned
 * as above; every later byte only by the known-secret matcher, which holds
 * the session's known secrets and the canaries in all their transforms
 * (known.h): no detector table, no decode graph. A received finding is
 * only an event, and the only findings that mean something inbound are a
 * canary or a known secret coming back; the generic detectors and the
 * decoders over megabytes of tarballs and packuments cost the most and
 * mean nothing. Such a feed sets res->partial ("not fully scanned", the
 * one event per connection and direction). The switch happens at a feed
 * boundary: the first feed that starts past the limit (the relay feeds one
 * read or one TLS record at a time). An engine without a known
 * matcher but with canaries keeps the detector table (its canaries are
 * there).
 */
#define BRK_SCAN_IN_FULL (64u << 10)
/* Feed the next bytes of one direction of one connection; dest_host may be
 * NULL (IP only: nothing is in scope). p == NULL, len == 0 is a flush: the
 * whole accumulated message is decoded and scanned, then forgotten (call it
 * at a message boundary, e.g. end of an HTTP request). res is reset by the
 * call and holds only findings new to this stream. */
int brk_scan_stream_feed(struct brk_scan_stream *, const uint8_t *p, size_t len,
			 const char *dest_host, struct brk_scan_result *res);
void brk_scan_stream_close(struct brk_scan_stream *);
/* The stream as brk_scan_stream_open_dir() returned it (same direction,
 * light mode and deadline), without the allocations: for the next message
 * of a connection (http_glue.c's body streams). Call it after a flush.
 * 0 or -ENOMEM (the stream is then unusable: close it). */
int brk_scan_stream_reset(struct brk_scan_stream *);

/* Scan one complete payload (an HTTP message, a file) with the full decode
 * chain. Thread-safe on a shared engine. Returns 0 (see res->blocked) or
 * negative errno; res->error says why. */
int brk_scan_buffer(const struct brk_scan_engine *, const uint8_t *p, size_t len,
		    const char *dest_host, struct brk_scan_result *res);
/* The same for a direction (enum brk_scan_dir). A feed or buffer call that
 * hit its deadline returns -ETIMEDOUT: egress then has blocked = refused =
 * 1; ingress has partial = 1 and only the raw findings' verdict. */
int brk_scan_buffer_dir(const struct brk_scan_engine *, int dir, const uint8_t *p, size_t len,
			const char *dest_host, struct brk_scan_result *res);

/* Match raw bytes only, without the decode graph (a fast first pass, and
 * what bench/scan measures as "matching alone"). Same returns. */
int brk_scan_match_raw(const struct brk_scan_engine *, const uint8_t *p, size_t len,
		       const char *dest_host, struct brk_scan_result *res);

/*
 * Known secrets: the credentials this session's command can read (collected
 * by broker/secrets.c from the environment and the usual credential files).
 * Each value is matched exactly, in its transforms (broker/scan/known.h:
 * reversed, rot13, single-byte XOR, UTF-16, base64/base32 at every
 * alignment, hex, percent; a private key also as its armor-less body), in
 * the raw stream and in every decoded layer, and is allowed only to its
 * home domains: those given here, plus those of the detector that
 * recognizes it. Findings name the detector "known-secret" and show the
 * value redacted; the value itself is kept only in the engine.
 */
struct brk_scan_known {
	const uint8_t *value;       /* copied */
	size_t len;
	const char *const *home;    /* exact hosts or "*.example.com"; copied */
	size_t nhome;
	const char *detector;       /* registry id recognizing it (its homes
				     * apply too), or NULL */
	int key;                    /* 1: a PEM/OpenSSH private key file */
	int placeholder;            /* 1: a secretless-jail placeholder (swap.h):
				     * findings are named "placeholder" */
	const char *source;         /* where it was read (brk_secret.source: a
				     * path and line or an environment name,
				     * never a value), or NULL; copied */
};
/* Set e's known secrets (replacing earlier ones); the engine's canaries
 * join them, so they are found in the same transforms and across messages.
 * Call before e is shared (not thread-safe). Values shorter than 8 bytes
 * are skipped. 0, -EINVAL (unknown detector), -ENOMEM. */
int brk_scan_engine_add_known(struct brk_scan_engine *e, const struct brk_scan_known *k, size_t n);
/* Give dst the known secrets of src (a policy reload builds a new engine:
 * the secrets collected at start stay; dst's canaries join). Same rules
 * and returns as brk_scan_engine_add_known(). */
int brk_scan_engine_copy_known(struct brk_scan_engine *dst, const struct brk_scan_engine *src);
/* The id of the (non-generic) detector that recognizes v[0,n) as a
 * credential on its own, or NULL. */
const char *brk_scan_recognize(const uint8_t *v, size_t n);
/* The home domains of detector id (NULL-terminated; "!x" entries are
 * exclusions), or NULL. */
const char *const *brk_scan_detector_homes(const char *id);
/*
 * Split across messages: one small outbound message (one send of at most
 * 16 KiB) to dest_host. Its field values (query values, header values,
 * body, form and JSON values) join per-session, per-host rolling streams
 * (split.h), which are matched against the known secrets and the canaries;
 * a secret sent a byte per request, or half on each of two connections,
 * is found at the message that completes it. Findings are added to res
 * (layers "split"); res->blocked is set when one is outside its homes.
 * Thread-safe. 0 or negative errno (then res->blocked: fail closed).
 */
/*
 * host set a cookie to v[0,n) (a Set-Cookie it sent; the HTTP glue calls
 * this for every one in received headers): from now on that exact value
 * going to that exact host is in scope, whatever detector finds it (a
 * JWT session cookie, a random "auth_token"). Canaries and known secrets
 * are not affected. Kept like known secrets (broker/scan/jar.h).
 */
void brk_scan_cookie_learn(const struct brk_scan_engine *e, const char *host, const uint8_t *v,
			   size_t n);

int brk_scan_split_feed(const struct brk_scan_engine *e, const char *dest_host,
			const uint8_t *p, size_t len, struct brk_scan_result *res);
/* The same for one value of a stream of its own, field (not parsed): the
 * HTTP glue gives each WebSocket payload it unmasked as field "ws", since
 * the raw bytes the relay hands to brk_scan_split_feed() are masked. */
int brk_scan_split_feed_value(const struct brk_scan_engine *e, const char *dest_host,
			      const char *field, const uint8_t *p, size_t len,
			      struct brk_scan_result *res);

/*
 * Canary tokens. brk_scan_canary_generate() fills out[0..n) with fake
 * credentials, cycling through the shapes below (so n >= BRK_SCAN_CANARY_SHAPES
 * gives one of each). Each value has the real alphabet, length and checksum
 * of its format (GitHub and npm CRC32/base62 tails, base32 AWS key ids) and
 * passes its own detector. The variable name looks like a company's own
 * (ORG_SERVICE_KIND: ACME_GH_DEPLOY_PAT, LEGACY_NPM_PUBLISH_KEY), never a
 * name a tool reads by itself (brk_scan_canary_name_denied()), with no
 * common prefix. AWS comes as two entries (key id + secret, one stem).
 * Shapes, in order: github-pat, npm-token, aws-access-key-id,
 * aws-secret-access-key, slack-token (xoxb), openai-api-key (sk-proj),
 * stripe-secret-key, pypi-token, anthropic-api-key. Names repeat when
 * n > BRK_SCAN_CANARY_SHAPES (export one per shape; extras suit decoy files).
 * Values: seed == NULL draws from getrandom(2); a seed gives a reproducible
 * set (tests only). Names: from name_key (brk_scan_canary_user_key(): the
 * same names on every run of one user), or, when NULL, from the value
 * generator. Returns the number written, or -EINVAL / -EIO.
 */
#define BRK_SCAN_CANARY_SHAPES 9
struct brk_scan_canary {
	char name[48];              /* environment variable name */
	char value[256];            /* the fake credential */
	const char *detector;       /* registry id the value triggers */
};
int brk_scan_canary_generate(struct brk_scan_canary *out, size_t n, const uint8_t seed[32],
			     const uint8_t name_key[32]);
/* 1 if a tool reads this variable (or its NAME_ family) on its own: npm,
 * yarn, gh, git, the AWS/Google/Azure SDKs, Docker, twine/pip, Hugging
 * Face, model SDKs... (the list is in canary_gen.c). Case-insensitive. */
int brk_scan_canary_name_denied(const char *name);
/* The user's canary name key: 32 bytes from $XDG_STATE_HOME/dlpjail/
 * canary-names.key (default ~/.local/state/dlpjail/), created 0600 with
 * random bytes on first use. Returns 0, or 1 when the file could not be
 * read or created and the key was derived from the uid and user name
 * (stable, but the same for that uid/name on every machine). */
int brk_scan_canary_user_key(uint8_t key[32]);
/* Write a decoy ~/.npmrc using an npm-shaped canary c. Returns length, or
 * -EINVAL (c is not an npm token) / -ENOSPC. */
int brk_scan_canary_npmrc(const struct brk_scan_canary *c, char *buf, size_t cap);

/* `dlpjail scan [--dest HOST] [--json] [--canary V]... [--home ID=DOM]...
 *  [--chunk N] [--fallback] [FILE...]`; argv[0] == "scan".
 * Exit status follows the verdict: 0 nothing would be blocked (allowed
 * findings are still printed), 1 something would be blocked, 2 error. */
int brk_scan_main(int argc, char **argv);

#endif /* DLP_BROKER_SCAN_SCAN_H */
