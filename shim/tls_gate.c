/* SPDX-License-Identifier: MIT */
/*
 * tls_gate.c - the TLS plaintext gate shared by hook_openssl.c,
 * hook_gnutls.c and hook_node.c (see tls_int.h). Only those files call it.
 *
 * Each call ships plaintext to the broker in DLP_MSG_DATA frames (FD, DIR,
 * CHAN=TLS, HOST=SNI, DATA <= DLP_WIRE_MAX_DATA) over shim_chan_call() and
 * turns a refusal into -1/EACCES. Inbound plaintext goes over
 * shim_chan_post() instead: inbound is never refused (its findings are
 * events), so the read returns without waiting for the broker's scan. Retry memory: a small table of sessions
 * whose last write must be repeated (WANT_WRITE, GNUTLS_E_AGAIN, partial
 * write); keyed by session pointer and checked by length and content hash,
 * because Python allows a moving write buffer.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "shim/shim_int.h"
#include "shim/tls_int.h"

#define PENDING_SLOTS 64
#define HELLO_SLOTS 256

struct pending {
	const void *sess;       /* NULL: free slot */
	size_t len;
	uint64_t hash;
};

/* Globals: the retry memory, under pending_lock (never taken in a signal handler). */
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending pending_tab[PENDING_SLOTS];

struct hello {
	_Atomic int fd;             /* -1 while being written */
	uint8_t random[32];
};
/* Globals: ring of recent ClientHellos; next slot by atomic increment. AS-SAFE. */
static struct hello hello_tab[HELLO_SLOTS] = { [0 ... HELLO_SLOTS - 1] = { .fd = -1 } };
static atomic_uint hello_next;

/* FNV-1a 64: cheap, only computed on the rare retry path. AS-SAFE. */
static uint64_t fnv64(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct pending *pending_find(const void *sess)
{
	unsigned i;

	for (i = 0; i < PENDING_SLOTS; i++)
		if (pending_tab[i].sess == sess)
			return &pending_tab[i];
	return NULL;
}

/* How many leading bytes of (p,len) were approved already for sess; forgets them. */
static size_t pending_take(const void *sess, const void *p, size_t len)
{
	struct pending *e;
	size_t skip = 0;

	pthread_mutex_lock(&pending_lock);
	e = pending_find(sess);
	if (e) {
		if (e->len <= len && fnv64(p, e->len) == e->hash)
			skip = e->len;
		e->sess = NULL;
	}
	pthread_mutex_unlock(&pending_lock);
	return skip;
}

void shim_tls_sent(const struct shim_tls_conn *c, const void *p, size_t len, size_t done,
		   bool again)
{
	struct pending *e;

	if (done >= len || (!again && done == 0))
		return;
	pthread_mutex_lock(&pending_lock);
	e = pending_find(c->sess);
	if (!e)
		e = pending_find(NULL);
	if (e) {   /* table full: the retry is rescanned, which is safe, only slower */
		e->sess = c->sess;
		e->len = len - done;
		e->hash = fnv64((const uint8_t *)p + done, len - done);
	}
	pthread_mutex_unlock(&pending_lock);
}

void shim_tls_forget(const void *sess)
{
	struct pending *e;

	pthread_mutex_lock(&pending_lock);
	e = pending_find(sess);
	if (e)
		e->sess = NULL;
	pthread_mutex_unlock(&pending_lock);
}

/* AS-SAFE */
void shim_tls_hello_seen(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	struct hello *h;

	/* record 5 bytes, handshake type 1 + length 3, version 2, then the random */
	if (fd < 0 || n < 43 || b[0] != 0x16 || b[5] != 0x01)
		return;
	h = &hello_tab[atomic_fetch_add(&hello_next, 1) % HELLO_SLOTS];
	atomic_store(&h->fd, -1);
	memcpy(h->random, b + 11, 32);
	atomic_store(&h->fd, fd);
}

/* AS-SAFE */
bool shim_tls_random_by_fd(int fd, uint8_t out[32])
{
	unsigned i, n = atomic_load(&hello_next);
	struct hello *h;

	for (i = 1; fd >= 0 && i <= HELLO_SLOTS; i++) {
		h = &hello_tab[(n - i) % HELLO_SLOTS];
		if (atomic_load(&h->fd) != fd)
			continue;
		memcpy(out, h->random, 32);
		if (atomic_load(&h->fd) == fd)
			return true;
	}
	return false;
}

/* AS-SAFE */
int shim_tls_fd_by_random(const uint8_t random[32])
{
	unsigned i;
	int fd;

	for (i = 0; i < HELLO_SLOTS; i++) {
		fd = atomic_load(&hello_tab[i].fd);
		if (fd >= 0 && !memcmp(hello_tab[i].random, random, 32) &&
		    atomic_load(&hello_tab[i].fd) == fd)
			return fd;
	}
	return -1;
}

/* AS-SAFE */
void shim_tls_conn_ident_rnd(struct shim_tls_conn *c, int fd, const uint8_t *rnd)
{
	enum shim_fd_kind k = fd >= 0 ? shim_fd_kind(fd) : SHIM_FD_OTHER;

	if (k != SHIM_FD_INET_STREAM && k != SHIM_FD_INET_PLAIN && k != SHIM_FD_TLS &&
	    k != SHIM_FD_INET_RELAYED && rnd)
		fd = shim_tls_fd_by_random(rnd);
	shim_tls_conn_ident(c, fd);
	c->keyed = rnd && shim_tls_keyed(rnd);
	/*
	 * No socket: name the stream after the session's client random, which is
	 * unique per connection, rather than its address, which the allocator
	 * reuses: the broker keeps per-stream state (findings are reported once
	 * per stream) and a new connection must not inherit an old one's.
	 */
	if (c->fd < 0 && rnd)
		c->id = SHIM_TLS_PSEUDO_BASE + (int64_t)(fnv64(rnd, 32) & 0xffffffffffULL);
}

/* AS-SAFE */
void shim_tls_conn_ident(struct shim_tls_conn *c, int fd)
{
	enum shim_fd_kind k = fd >= 0 ? shim_fd_kind(fd) : SHIM_FD_OTHER;

	if (k == SHIM_FD_INET_STREAM || k == SHIM_FD_INET_PLAIN || k == SHIM_FD_TLS ||
	    k == SHIM_FD_INET_RELAYED) {
		/* the library speaks TLS on it: its ciphertext needs no scan */
		if (k != SHIM_FD_TLS)
			shim_fd_set(fd, SHIM_FD_TLS);
		c->fd = fd;
		c->id = fd;
		c->keyed = false;
		return;
	}
	c->fd = -1;
	c->id = SHIM_TLS_PSEUDO_BASE + (int64_t)(((uintptr_t)c->sess >> 4) & 0xffffffffffULL);
	c->keyed = false;
}

int shim_tls_gate(const struct shim_tls_conn *c, unsigned dir, const void *p, size_t len)
{
	struct dlp_msg m = { .type = DLP_MSG_DATA };
	struct shim_reply rep;
	size_t off = 0, n;
	int rc;

	if (c->keyed)
		return 0;       /* the relay decrypts this session: one inspection per byte */
	if (dir == DLP_DIR_SEND)
		off = pending_take(c->sess, p, len);
	if (off >= len)
		return 0;
	m.fd = c->id;
	m.dir = dir;
	m.chan = DLP_CHAN_TLS;
	DLP_SET(&m, DLP_K_FD);
	DLP_SET(&m, DLP_K_DIR);
	DLP_SET(&m, DLP_K_CHAN);
	if (c->host && *c->host) {
		m.host = c->host;
		m.host_len = strnlen(c->host, 255);
		DLP_SET(&m, DLP_K_HOST);
	}
	DLP_SET(&m, DLP_K_DATA);
	while (off < len) {
		n = len - off > DLP_WIRE_MAX_DATA ? DLP_WIRE_MAX_DATA : len - off;
		m.data = (const uint8_t *)p + off;
		m.data_len = n;
		if (dir == DLP_DIR_RECV) {
			/* events only; a broker that cannot be told refuses egress anyway */
			(void)shim_chan_post(&m);
			off += n;
			continue;
		}
		rc = shim_chan_call(&m, &rep);
		if (rc < 0 || rep.verdict != DLP_VERDICT_ALLOW) {
			/* the SNI may be the payload: only the broker's display form */
			if (rc < 0)
				shim_report(dir == DLP_DIR_SEND ? "TLS send via" : "TLS response via",
					    c->lib, "dlpjail broker unreachable; refusing egress");
			else
				shim_report_reply(dir == DLP_DIR_SEND ? "TLS send via"
						  : "TLS response via", c->lib, rep.reason);
			errno = EACCES;
			return -1;
		}
		off += n;
	}
	return 0;
}

void *shim_tls_sym(const char *name, const char *const *sonames)
{
	void *p, *h;

	p = dlsym(RTLD_NEXT, name);
	if (p && shim_is_self(p))
		p = NULL;
	for (; !p && sonames && *sonames; sonames++) {
		/* loaded RTLD_LOCAL by someone (Python's _ssl): not in RTLD_NEXT's scope */
		h = dlopen(*sonames, RTLD_LAZY | RTLD_NOLOAD);
		if (!h)
			continue;
		p = dlsym(h, name);
		if (p && shim_is_self(p))
			p = NULL;
		dlclose(h);
	}
	return p;
}
