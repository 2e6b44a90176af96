/* SPDX-License-Identifier: MIT */
/*
 * tls_keylog.c - the shim's half of the TLS key path (see tls_int.h):
 * claims ("the TLS session about to start on the socket with local
 * address L is run by a hooked library", DLP_MSG_TLS/DLP_TLS_CLAIM, sent
 * before the ClientHello leaves), the key-log lines the libraries hand to
 * our callbacks (DLP_TLS_KEYLOG, sent before the record that needs the key
 * is written), the memory of sessions the relay decrypts (their plaintext
 * is not sent again) and the status question after a failed call (was it
 * the relay's reset? then print its reason). Only the TLS hook files and
 * hook_net.c's first-bytes gate call this.
 *
 * A claim is no proof: it only chooses the key path, where the relay
 * forwards nothing it could not decrypt, so a false claim buys a reset.
 */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "shim/shim_int.h"
#include "shim/tls_int.h"

#define CLAIM_SLOTS 64
#define RANDOM_SLOTS 256

struct claimed {
	int fd;                 /* -1: free */
	uint16_t lport;
};

struct hooked_rnd {
	bool used, keyed;       /* keyed: the relay decrypts it (broker said so) */
	uint8_t rnd[32];
};

/*
 * Globals: claim_tab (recent direct claims, so a non-blocking handshake
 * claims once) and rnd_tab (client randoms of hooked sessions) under
 * kl_lock, never taken in a signal handler; hs_depth per thread.
 */
static pthread_mutex_t kl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct claimed claim_tab[CLAIM_SLOTS] = { [0 ... CLAIM_SLOTS - 1] = { .fd = -1 } };
static unsigned claim_next;
/* sockets the relay reset, whose reason was printed (same discipline) */
static struct claimed blocked_tab[CLAIM_SLOTS] = { [0 ... CLAIM_SLOTS - 1] = { .fd = -1 } };
static unsigned blocked_next;
static struct hooked_rnd rnd_tab[RANDOM_SLOTS];
static unsigned rnd_next;
/* > 0 while this thread is inside a hooked library's handshake call */
static __thread int hs_depth SHIM_TLS;

/* The local address of socket fd into m (FAMILY, ADDR, PORT). */
static int local_addr(int fd, struct dlp_msg *m)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (SHIM_SYS(SYS_getsockname, fd, &ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

		memcpy(m->addr, &s4->sin_addr, 4);
		m->port = ntohs(s4->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

		memcpy(m->addr, &s6->sin6_addr, 16);
		m->port = ntohs(s6->sin6_port);
	} else {
		return -1;
	}
	m->family = ss.ss_family;
	DLP_SET(m, DLP_K_FAMILY);
	DLP_SET(m, DLP_K_ADDR);
	DLP_SET(m, DLP_K_PORT);
	return 0;
}

static bool is_inet_stream(int fd)
{
	enum shim_fd_kind k = fd >= 0 ? shim_fd_kind(fd) : SHIM_FD_OTHER;

	return k == SHIM_FD_INET_STREAM || k == SHIM_FD_INET_PLAIN || k == SHIM_FD_TLS ||
	       k == SHIM_FD_INET_RELAYED;
}

/* Claim socket fd once per connection (fd, local port). */
static void claim_fd(int fd)
{
	struct dlp_msg m = { .type = DLP_MSG_TLS, .flags = DLP_TLS_CLAIM };
	struct shim_reply rep;
	unsigned i;
	bool done = false;

	DLP_SET(&m, DLP_K_FLAGS);
	if (local_addr(fd, &m) < 0)
		return;
	pthread_mutex_lock(&kl_lock);
	for (i = 0; i < CLAIM_SLOTS && !done; i++)
		done = claim_tab[i].fd == fd && claim_tab[i].lport == m.port;
	pthread_mutex_unlock(&kl_lock);
	if (done || shim_chan_call(&m, &rep) < 0)
		return;     /* unreachable broker: no claim, the relay refuses */
	pthread_mutex_lock(&kl_lock);
	claim_tab[claim_next % CLAIM_SLOTS].fd = fd;
	claim_tab[claim_next % CLAIM_SLOTS].lport = (uint16_t)m.port;
	claim_next++;
	pthread_mutex_unlock(&kl_lock);
}

/* Under kl_lock: the slot of rnd, or NULL. */
static struct hooked_rnd *rnd_find(const uint8_t *rnd)
{
	unsigned i;

	for (i = 0; i < RANDOM_SLOTS; i++)
		if (rnd_tab[i].used && !memcmp(rnd_tab[i].rnd, rnd, 32))
			return &rnd_tab[i];
	return NULL;
}

static void rnd_note(const uint8_t *rnd, bool keyed)
{
	struct hooked_rnd *h;

	pthread_mutex_lock(&kl_lock);
	h = rnd_find(rnd);
	if (!h) {
		h = &rnd_tab[rnd_next++ % RANDOM_SLOTS];
		h->used = true;
		h->keyed = false;
		memcpy(h->rnd, rnd, 32);
	}
	h->keyed |= keyed;
	pthread_mutex_unlock(&kl_lock);
}

void shim_tls_hs_enter(int fd)
{
	if (is_inet_stream(fd))
		claim_fd(fd);
	hs_depth++;
}

void shim_tls_hs_leave(const uint8_t *rnd)
{
	static const uint8_t zero[32];

	hs_depth--;
	if (rnd && memcmp(rnd, zero, 32))
		rnd_note(rnd, false);
}

void shim_tls_hello_claim(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	bool hooked;

	/* record 5 bytes, handshake type 1 + length 3, version 2, then the random */
	if (n < 43)
		return;
	hooked = hs_depth > 0 || shim_awslc_on;     /* rustls on patched aws-lc: all */
	if (!hooked) {
		pthread_mutex_lock(&kl_lock);
		hooked = rnd_find(b + 11) != NULL;
		pthread_mutex_unlock(&kl_lock);
	}
	if (hooked)
		claim_fd(fd);
}

bool shim_tls_keyed(const uint8_t *rnd)
{
	struct hooked_rnd *h;
	bool keyed;

	if (!rnd)
		return false;
	pthread_mutex_lock(&kl_lock);
	h = rnd_find(rnd);
	keyed = h && h->keyed;
	pthread_mutex_unlock(&kl_lock);
	return keyed;
}

/* ---- key-log lines ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The client random of a key-log line (label, space, 64 hex digits). */
static bool line_random(const char *line, size_t len, uint8_t rnd[32])
{
	const char *sp = memchr(line, ' ', len);
	size_t i;

	if (!sp || (size_t)(line + len - sp) < 65)
		return false;
	for (i = 0; i < 32; i++) {
		int hi = hexval(sp[1 + 2 * i]), lo = hexval(sp[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		rnd[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

int shim_tls_keylog(const char *line, size_t len)
{
	struct dlp_msg m = { .type = DLP_MSG_TLS, .flags = DLP_TLS_KEYLOG };
	struct shim_reply rep;
	uint8_t rnd[32];
	bool app;

	if (shim_inert || !line || !len || len > 512 || !shim_enter())
		return 0;
	DLP_SET(&m, DLP_K_FLAGS);
	m.data = (const uint8_t *)line;
	m.data_len = len;
	DLP_SET(&m, DLP_K_DATA);
	/* the keys that open the client's application data: TLS 1.3, TLS 1.2 */
	app = (len > 24 && !memcmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24)) ||
	      (len > 14 && !memcmp(line, "CLIENT_RANDOM ", 14));
	if (app) {
		/* answered: the reply says whether the relay decrypts this session */
		if (shim_chan_call(&m, &rep) == 0 && rep.verdict == DLP_VERDICT_ALLOW &&
		    (rep.flags & DLP_TLS_ACK_RELAY) && line_random(line, len, rnd))
			rnd_note(rnd, true);    /* the relay reads it: no plaintext DATA */
	} else if (!(len > 7 && !memcmp(line, "EXPORTER", 8)) &&
		   !(len > 13 && !memcmp(line, "EARLY_EXPORTER", 14))) {
		/*
		 * Handshake and server keys are posted, not asked: the relay holds
		 * a record until its key is in the table (fail closed: never
		 * forwarded without it), so the handshake need not wait for the
		 * broker. Exporter secrets decrypt nothing: not sent at all.
		 */
		(void)shim_chan_post(&m);
	}
	shim_leave();
	return 0;
}

/* Under kl_lock: was socket fd (local port lport) said to be reset? */
static bool blocked_has(int fd, uint16_t lport)
{
	unsigned i;

	for (i = 0; i < CLAIM_SLOTS; i++)
		if (blocked_tab[i].fd == fd && blocked_tab[i].lport == lport)
			return true;
	return false;
}

bool shim_tls_status(const struct shim_tls_conn *c, unsigned dir)
{
	struct dlp_msg m = { .type = DLP_MSG_TLS, .flags = DLP_TLS_STATUS };
	struct shim_reply rep;
	bool hit;

	if (c->fd < 0)
		return false;
	DLP_SET(&m, DLP_K_FLAGS);
	if (local_addr(c->fd, &m) < 0)
		return false;
	/* said once (the socket hook or the TLS hook saw it first): a refusal again */
	pthread_mutex_lock(&kl_lock);
	hit = blocked_has(c->fd, (uint16_t)m.port);
	pthread_mutex_unlock(&kl_lock);
	if (hit)
		return true;
	if (shim_chan_call(&m, &rep) < 0 || rep.verdict != DLP_VERDICT_DENY)
		return false;
	/* the broker's line: "TLS send to HOST: why" */
	shim_report_reply(dir == DLP_DIR_SEND ? "TLS send via" : "TLS response via", c->lib,
			  rep.reason);
	pthread_mutex_lock(&kl_lock);
	blocked_tab[blocked_next % CLAIM_SLOTS].fd = c->fd;
	blocked_tab[blocked_next % CLAIM_SLOTS].lport = (uint16_t)m.port;
	blocked_next++;
	pthread_mutex_unlock(&kl_lock);
	return true;
}

bool shim_tls_reset_seen(int fd)
{
	struct shim_tls_conn c = { .fd = fd, .id = fd, .lib = "TLS" };

	return shim_tls_status(&c, DLP_DIR_SEND);
}

/* ---- the program's own key-log callbacks, chained behind ours ---- */

#define CHAIN_SLOTS 128

struct chain {
	const void *owner;      /* SSL_CTX * / gnutls_session_t; NULL: free */
	void *fn;
};
/* Globals: chain_tab under kl_lock. */
static struct chain chain_tab[CHAIN_SLOTS];

void shim_tls_chain_put(const void *owner, void *fn)
{
	unsigned i, slot = CHAIN_SLOTS;

	pthread_mutex_lock(&kl_lock);
	for (i = 0; i < CHAIN_SLOTS; i++) {
		if (chain_tab[i].owner == owner) {
			slot = i;
			break;
		}
		if (!chain_tab[i].owner && slot == CHAIN_SLOTS)
			slot = i;
	}
	if (slot == CHAIN_SLOTS)
		slot = (unsigned)(((uintptr_t)owner >> 4) % CHAIN_SLOTS);
	chain_tab[slot].owner = fn ? owner : NULL;
	chain_tab[slot].fn = fn;
	pthread_mutex_unlock(&kl_lock);
}

void *shim_tls_chain_get(const void *owner)
{
	void *fn = NULL;
	unsigned i;

	pthread_mutex_lock(&kl_lock);
	for (i = 0; i < CHAIN_SLOTS && !fn; i++)
		if (chain_tab[i].owner == owner)
			fn = chain_tab[i].fn;
	pthread_mutex_unlock(&kl_lock);
	return fn;
}
