/* SPDX-License-Identifier: MIT */
/*
 * relay_int.h - between relay.c (sockets, pairs, threads) and
 * relay_scan.c (bytes -> protocol parts -> engine -> verdict). Internal.
 */
#ifndef DLP_BROKER_RELAY_RELAY_INT_H
#define DLP_BROKER_RELAY_RELAY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/addr.h"
#include "broker/http/http_glue.h"
#include "broker/relay/swap_rl.h"
#include "common/dlp_buf.h"

struct brk_ctx;
struct brk_scan_stream;
struct rl_tk;

/* Who is on the jail side of a pair and where it goes. */
struct rl_who {
	pid_t pid;
	char exe[256];
	char host[256];        /* the approved name of the address, "" if none */
	struct brk_addr a;
	int port;
	struct brk_addr la;    /* the jail socket's local address: the pairing key */
	int lport;
};

/* What the HTTP glue's DoH judge needs (relay_scan.c rl_doh_judge). */
struct rl_doh {
	struct brk_ctx *ctx;
	const struct rl_who *w;
};

/* Scanning state of one direction of one pair. */
struct rl_scan {
	int dir;                      /* BRK_SCAN_EGRESS (jail -> up) or INGRESS */
	struct brk_scan_stream *ss;   /* opened on first bytes */
	struct brk_http_glue http;    /* HTTP/1.1, h2c, WebSocket parts */
	struct rl_doh doh;            /* the glue's DoH judge, set before each feed */
	uint8_t head[6];              /* size of the TLS ClientHello test */
	int tls;                      /* 0 undecided, 1 ClientHello first, -1 not,
				       * 2 decided, 3 on the key path */
	bool partial_said;
	struct rl_scan *peer;         /* the other direction of the pair */
	struct rl_tk *tl;             /* key path session (tls_dec.h), shared with peer */
	bool tl_owner;                /* this direction frees it */
	bool waiting;                 /* bytes wait for TLS keys: feed again later */
	bool mitm;                    /* the CA path may take an unhooked ClientHello */
	const char *via;              /* first layer in events; NULL: "relay" */
	const char *note;             /* appended to every event's rule ("blind HOST") */
	bool ca;                      /* the CA path's plaintext (relay_mitm.c) */
	uint8_t tun;                  /* egress: 0 unknown, 1 in a CONNECT head, 2 no
				       * (more) tunnel (rl_tunnel_head) */
	uint32_t tun_tail;            /* the head's last bytes, for its CRLF CRLF */
	uint8_t tun_at;               /* bytes of "CONNECT " the stream has begun with */
	int ssh;                      /* relay_ssh.c: 0 start unread, 1 judged,
				       * 2 a tunnel's start (any banner refused) */
	uint8_t ssh_at;               /* bytes of "SSH-" the stream has begun with */
	struct dlp_buf dns_tcp;       /* egress DNS over TCP (port 53, or DNS framing
				       * in plaintext): a partial DNS message
				       * (relay_scan.c rl_dns_gate; max 0 = unused) */
	int8_t dns;                   /* egress plaintext off port 53: 0 its start
				       * unread, 1 DNS framing (every message judged),
				       * -1 something else (rl_dns_framed) */
	uint8_t dns_at;               /* bytes of dns_head the stream began with */
	uint8_t dns_head[14];         /* a DNS-over-TCP frame's length and header */
	size_t dns_ahead;             /* bytes at the front of the next feed that
				       * rl_dns_gate saw already (fed again) */
	uint8_t dns_tail[13];         /* the last bytes rl_dns_gate let go on a
				       * stream not (yet) DNS: a query header in
				       * them may end in the next feed (rl_dns_mid) */
	uint8_t ndns_tail;
	unsigned long long dns_off;   /* stream offset of the gate's next byte */
	bool dns_held;                /* rl_dns_mid holds a query's start */
	unsigned long long dns_mid;   /* 1 + the offset of the last query judged
				       * inside such a stream (0: none) */
	bool sni_judged;              /* key path: the ClientHello's server name was
				       * judged (relay_scan.c rl_tls_sni_gate) */
	int8_t front;                 /* 0 unknown, 1 allowed by its name only (the
				       * glue judges Host headers), -1 by address */
	/* the border swap (relay_swap.c, issue 15) */
	int swap_state;               /* 0 not bound yet, 1 bound (swap_bind), -1 off */
	struct rl_swap_bind swap_bind;
	long long held_since;         /* ms: bytes held back since (0: none) */
	uint8_t *hist;                /* the last RL_SWAP_HIST bytes that went on
				       * (a value whose start already left), then
				       * their places (swap_rl.h RL_SWAP_*) */
	size_t nhist;
	struct rl_h1 *h1;             /* egress HTTP/1.1 framing (relay_swap.c) */
	struct rl_h2 *h2;             /* egress HTTP/2 header blocks (swap_h2.c) */
	size_t room, grown;           /* rl_border: p may grow by room; it grew */
	size_t buf_room, buf_grown;   /* rl_scan_feed: the relay's buffer may grow
				       * by buf_room past n (a resealed record got
				       * longer); it grew (the caller adds it) */
	bool eof;                     /* the source ended: nothing more is held */
	struct rl_swap_bad ph_bad;    /* a placeholder seen where it may not go:
				       * refused after the engine (rl_border_verdict) */
	bool ph_pending;
	bool left_said;               /* the "placeholder-unswapped" event was written */
	bool coded;                   /* ingress: a response declared a content coding */
	char ph_host[256];
	struct rl_tls *trust;         /* its upstream store checks the key path's
				       * server certificate (NULL: the host's) */
	uint8_t up_tail[10];          /* egress plaintext's last bytes (tls_upgrade.h) */
	size_t nup_tail;
	bool upgraded;                /* TLS after plaintext: routed at its hello */
	bool upgrade_mid;             /* ...with plaintext before it in the same feed,
				       * still unsent: not for the CA path */
};

/* What happens to a new TLS session (rl_tls_route, at its ClientHello). */
enum rl_tls_route {
	RL_TLS_REFUSE = 0,      /* nobody can read it: refused with an event */
	RL_TLS_KEYS,            /* claimed by a hooked library: its keys decrypt it */
	RL_TLS_MITM,            /* unclaimed: the CA path (relay_mitm.c), where there is one */
};
enum rl_tls_route rl_tls_route(struct brk_ctx *ctx, const struct rl_who *w);

/*
 * Scan p[0..n) of one direction before it is forwarded: 0 with *used the
 * bytes that may be forwarded now (a prefix of p; the rest is fed again,
 * with whatever arrives after it: an incomplete TLS record, a record
 * waiting for its keys (s->waiting), the start of a possible ClientHello);
 * -EACCES: a finding or a refusal (events written): reset the pair;
 * RL_SCAN_MITM (*used 0): the bytes are clean and open a TLS session no
 * hook claimed, to be terminated by the CA path (relay_mitm.c; only with
 * s->mitm).
 * n == 0 is the end of the direction (a flush of the message).
 */
#define RL_SCAN_MITM 1
int rl_scan_feed(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		 uint8_t *p, size_t n, size_t *used);
/*
 * The jail's side ended with n bytes of s still held (a TLS record waiting
 * for its keys or incomplete, a DNS message or a hello start incomplete):
 * they are never forwarded; an event (rule relay-drain, what and how many,
 * none of the bytes) and the "blocked send" line say so. Egress only.
 */
void rl_scan_dropped(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w, size_t n);
/*
 * relay_ssh.c: the egress stream's first bytes against an SSH banner
 * ("SSH-"): 0 not SSH, not yet (a prefix of "SSH-" is passed on, its
 * length kept in s->ssh_at: the byte that completes it is judged before it
 * leaves), or SSH to a host the policy names with `ssh HOST` (allowed,
 * event written); -EACCES refused (event naming the program).
 */
int rl_ssh_gate(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		const uint8_t *p, size_t n);
/* One event of direction s (op, pid, exe, host, address filled in). */
struct brk_event;
void rl_event(struct brk_ctx *ctx, const struct rl_scan *s, const struct rl_who *w,
	      struct brk_event *ev);

/* ---- the border swap (relay_swap.c; swap_rl.h) ---- */
/*
 * On plaintext p[0..n) of direction s, in place: egress (before the
 * engine) placeholders of the entries bound to host become real values, a
 * placeholder of any other entry is noted for rl_border_verdict; ingress
 * (after the engine) real values become placeholders. host: the
 * connection's verified home name, or NULL. Egress HTTP/2 may make p
 * longer by up to s->room bytes: s->grown says by how much. Returns how
 * many values were swapped, or -EACCES (out of memory: fail closed).
 */
int rl_border(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
	      const char *host, uint8_t *p, size_t n);
/* Key path: does the server's certificate prove name (the upstream trust
 * store, or the host's)? Asked once per session, at the binding. */
bool rl_border_cert_ok(struct rl_scan *s, const char *name);
/*
 * After the engine passed the same bytes: a placeholder rl_border saw where
 * it may not go is refused now (event rule "placeholder", -EACCES; monitor
 * 0). Policy and engine refusals come first, under their own names.
 */
int rl_border_verdict(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w, int rc);
/* An inbound finding that is the real value of a replaced entry in a
 * layer swap_in.c cannot rewrite (anything but raw and percent: gzip,
 * br, base64, ...): the jail would learn it, so the pair is reset. */
struct brk_finding;
bool rl_border_real_back(struct brk_ctx *ctx, struct rl_scan *s, const struct brk_finding *f);
/* Inbound bytes, before the engine sees them: a response head that
 * declares a content coding marks the connection (s->coded). */
void rl_border_note(struct rl_scan *s, const uint8_t *p, size_t n);
/* Bytes at the end of p[0..n) to hold back until more arrive (bounded by
 * RL_SWAP_HOLD_MS; none once s->eof). Sets s->waiting when it holds. */
size_t rl_border_hold(struct brk_ctx *ctx, struct rl_scan *s, const uint8_t *p, size_t n);
/* Held bytes must go now (the source ended, or RL_SWAP_HOLD_MS passed). */
bool rl_border_due(struct rl_scan *s);
void rl_scan_free(struct rl_scan *s);

/* ---- the watchdog (relay_wd.c) ---- */
struct rl_wd;          /* relay-wide: the thread, one slot per relay thread */
struct rl_wd_slot;
/* Start the watchdog for n relay threads; the limit is the policy's
 * `watchdog` seconds (0: off), read at every tick. */
int rl_wd_start(struct brk_ctx *ctx, unsigned n, struct rl_wd **out);
void rl_wd_stop(struct rl_wd *wd);
struct rl_wd_slot *rl_wd_slot(struct rl_wd *wd, unsigned i);
/* Around the serving of one pair (fd: jail, upstream; who stays valid
 * until leave); a NULL slot does nothing. */
void rl_wd_enter(struct rl_wd_slot *s, const int fd[2], const struct rl_who *who);
void rl_wd_leave(struct rl_wd_slot *s);
/* The pair's fds are about to be closed (the watchdog must not shut down
 * a reused number). */
void rl_wd_fds_gone(struct rl_wd_slot *s, const int fd[2]);
/* The pair this thread serves was refused by the watchdog: nothing of it
 * may be forwarded (rl_scan_feed returns -EACCES). */
bool rl_wd_fired(void);
/* The drain ran out: the pair each relay thread serves right now (a scan
 * or a stall that has not returned) is refused at once, rule relay-drain,
 * both sockets reset; nothing of what it holds goes. */
void rl_wd_drain_late(struct rl_wd *wd, const char *reason);
/* Test hook DLPJAIL_TEST_RELAY_STALL_MS (relay.c): wait before a read's
 * scan; true when it did. */
bool rl_test_stall(void);
/* The watchdog asked this thread's scan to stop (the test stall hook). */
bool rl_wd_aborted(void);

/* ---- the CA path (relay_mitm.c) ---- */
struct brk_tls_ca;
struct rl_tls;     /* relay-wide: session CA, the two TLS contexts */
struct rl_mitm;    /* one terminated session */

/* upstream_ca: the trust store upstream certificates are verified
 * against (NULL: OpenSSL's default paths, the host's). */
int rl_tls_new(struct brk_tls_ca *ca, const char *upstream_ca, struct rl_tls **out,
	       char *err, size_t errlen);
void rl_tls_free(struct rl_tls *t);
/* The upstream trust store (loaded on first use; NULL on failure). */
struct x509_store_st *rl_tls_store(struct rl_tls *t);
/* Take over a pair whose jail side sent first[0..n) (a ClientHello, scanned
 * raw by raw_scan, which goes on scanning the raw bytes until the hello is
 * parsed). The fds stay the caller's (epoll, close). */
int rl_mitm_new(struct brk_ctx *ctx, struct rl_tls *tls, const struct rl_who *w,
		struct rl_scan *raw_scan, int jfd, int ufd, const uint8_t *first, size_t n,
		struct rl_mitm **out);
/*
 * Run the session as far as it goes; mask[i]: the epoll interest of fd i
 * (0 jail, 1 upstream). 0: continue; 1: finished, close (no reset: an
 * alert may be on its way); RL_MITM_BLIND: `blind HOST` applies, forward
 * rl_mitm_raw() as it is and relay the rest uninspected; <0: reset.
 */
#define RL_MITM_BLIND 3
int rl_mitm_serve(struct rl_mitm *m, uint32_t mask[2]);
/* The jail's raw bytes so far; the first *scanned of them were scanned. */
const uint8_t *rl_mitm_raw(const struct rl_mitm *m, size_t *n, size_t *scanned);
/* "blind HOST (ORIGIN)" once RL_MITM_BLIND was returned, else "". */
const char *rl_mitm_note(const struct rl_mitm *m);
/* A tail the border holds back waits for more (or its deadline): serve
 * the pair again after a while (relay.c rl_retry_waiting). */
bool rl_mitm_waiting(const struct rl_mitm *m);
/* The jail has ended and every byte it wrote is scanned and written on
 * (or refused): nothing of the jail's is left for the drain. */
bool rl_mitm_egress_done(const struct rl_mitm *m);
void rl_mitm_free(struct rl_mitm *m);

#endif /* DLP_BROKER_RELAY_RELAY_INT_H */
