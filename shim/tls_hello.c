/* SPDX-License-Identifier: MIT */
/*
 * tls_hello.c - a relayed stream's first TLS record (the ClientHello)
 * written in pieces (1-5 bytes at a time, the record header and the body
 * in two writes, an iovec per field), put together so that hook_net.c's
 * first-bytes gate claims the session (tls_keylog.c) and ships the hello
 * as it does for a hello written in one piece. The pieces still go to the
 * kernel as they are written (nothing is held back, no write is delayed):
 * only a copy is kept here, and the claim goes out synchronously in the
 * write that completes the client random (the first 43 bytes), before
 * those bytes reach the relay, which routes a session only once it has
 * them (relay_scan.c rl_tls_sniff); the whole record is shipped as one
 * hello when its last piece is written. Bounded: one record (TLS: at most 2^14
 * bytes of plaintext) per slot, a few slots; a start that stops looking
 * like a ClientHello record is dropped (no claim: the relay's CA path or
 * refusal, never the key path without a claim). AS-UNSAFE (a mutex).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "shim/shim_int.h"
#include "shim/tls_int.h"

#define HELLO_HDR 5
#define HELLO_BODY_MIN 38           /* handshake header 4, version 2, random 32 */
#define HELLO_BODY_MAX 16384        /* a plaintext record's limit (RFC 8446 5.1) */
#define HELLO_PARTS 8               /* streams assembling at once */

struct hello_part {
	int fd;                     /* -1: free */
	bool busy;                  /* handed out complete, being used */
	size_t len;
	uint8_t buf[HELLO_HDR + HELLO_BODY_MAX];
};

static pthread_mutex_t part_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int nparts;           /* slots in use: 0 lets plaintext writes skip the lock */
static struct hello_part parts[HELLO_PARTS] = {
	[0 ... HELLO_PARTS - 1] = { .fd = -1 },
};

/* Is b[0..n) still the start of a ClientHello record? */
static bool hello_prefix_ok(const uint8_t *b, size_t n)
{
	size_t body;

	if ((n > 0 && b[0] != 0x16) || (n > 1 && b[1] != 0x03) || (n > 2 && b[2] > 0x04) ||
	    (n > 5 && b[5] != 0x01))
		return false;
	if (n < HELLO_HDR)
		return true;
	body = (size_t)b[3] << 8 | b[4];
	return body >= HELLO_BODY_MIN && body <= HELLO_BODY_MAX;
}

static size_t hello_need(const uint8_t *b, size_t n)
{
	return n < HELLO_HDR ? HELLO_HDR : HELLO_HDR + ((size_t)b[3] << 8 | b[4]);
}

/* Under part_lock: fd's slot, or NULL. */
static struct hello_part *part_find(int fd)
{
	unsigned i;

	for (i = 0; i < HELLO_PARTS; i++)
		if (parts[i].fd == fd)
			return &parts[i];
	return NULL;
}

int shim_tls_hello_part(int fd, const void *p, size_t n, struct hello_part **out,
			uint8_t head[SHIM_HELLO_HEAD])
{
	struct hello_part *h;
	const uint8_t *b = p;
	size_t had;
	int rc = 0;

	*out = NULL;
	if (fd < 0 || n == 0 || (b[0] != 0x16 && atomic_load(&nparts) == 0))
		return 0;
	pthread_mutex_lock(&part_lock);
	h = part_find(fd);
	if (!h) {
		/* a hello whose random is in this one write needs no copy */
		if (!hello_prefix_ok(b, n < 6 ? n : 6) ||
		    (n >= SHIM_HELLO_HEAD && hello_prefix_ok(b, n)))
			goto out;
		for (h = parts; h < parts + HELLO_PARTS && h->fd >= 0; h++)
			;
		if (h == parts + HELLO_PARTS) {
			h = NULL;   /* all in use: no claim, the CA path */
			goto out;
		}
		h->fd = fd;
		h->len = 0;
		atomic_fetch_add(&nparts, 1);
	}
	if (h->busy)
		goto out;
	had = h->len;
	while (n && h->len < hello_need(h->buf, h->len)) {
		size_t k = hello_need(h->buf, h->len) - h->len;

		if (k > n)
			k = n;
		memcpy(h->buf + h->len, b, k);
		h->len += k;
		b += k;
		n -= k;
		if (!hello_prefix_ok(h->buf, h->len)) {
			h->fd = -1;     /* not a hello after all: nothing to claim */
			atomic_fetch_sub(&nparts, 1);
			goto out;
		}
	}
	if (h->len >= HELLO_HDR && h->len == hello_need(h->buf, h->len)) {
		h->busy = true;
		*out = h;
		rc = 1;
	} else if (had < SHIM_HELLO_HEAD && h->len >= SHIM_HELLO_HEAD) {
		/* the client random is in: claim now (the relay routes at
		 * these bytes), the rest of the record is still to come */
		memcpy(head, h->buf, SHIM_HELLO_HEAD);
		rc = 3;
	} else {
		rc = 2;     /* incomplete: the next write goes on */
	}
out:
	pthread_mutex_unlock(&part_lock);
	return rc;
}

const uint8_t *shim_tls_hello_part_buf(const struct hello_part *h, size_t *n)
{
	*n = h->len;
	return h->buf;
}

void shim_tls_hello_part_done(struct hello_part *h)
{
	pthread_mutex_lock(&part_lock);
	h->busy = false;
	h->fd = -1;
	atomic_fetch_sub(&nparts, 1);
	pthread_mutex_unlock(&part_lock);
}

void shim_tls_hello_part_forget(int fd)
{
	struct hello_part *h;

	pthread_mutex_lock(&part_lock);
	h = part_find(fd);
	if (h && !h->busy) {
		h->fd = -1;
		atomic_fetch_sub(&nparts, 1);
	}
	pthread_mutex_unlock(&part_lock);
}
