/* SPDX-License-Identifier: MIT */
/*
 * tls_int.h - what the TLS hook files (hook_openssl.c, hook_gnutls.c,
 * hook_node.c) share: the plaintext gate (tls_gate.c) and the OpenSSL hook
 * core that node's patched entry points reuse.
 *
 * The gate ships TLS plaintext to the broker as DLP_MSG_DATA frames with
 * CHAN=DLP_CHAN_TLS and HOST=<SNI>, keyed by the socket fd, or by a pseudo
 * id for sessions whose transport is not a socket we can name (memory BIOs,
 * custom push functions). It also remembers, per session, a write that the
 * TLS library asked to be retried (WANT_WRITE, GNUTLS_E_AGAIN) or that went
 * out only in part, so the retry is not scanned twice: the broker parses
 * the stream as HTTP and must see every byte exactly once.
 */
#ifndef DLP_SHIM_TLS_INT_H
#define DLP_SHIM_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pseudo ids start here: far above any fd, positive (the broker keys streams by int64). */
#define SHIM_TLS_PSEUDO_BASE (1LL << 40)

struct shim_tls_conn {
	const void *sess;       /* SSL * / gnutls_session_t: key of the retry memory */
	int fd;                 /* the socket, or -1 */
	int64_t id;             /* what goes into DLP_K_FD: fd, or a pseudo id */
	const char *host;       /* SNI, or NULL */
	const char *lib;        /* "openssl", "gnutls", "node": for messages */
	bool keyed;             /* the relay decrypts it: its plaintext is not shipped */
};

/*
 * Fill c->fd/c->id from a candidate fd the TLS library reported (may be -1
 * or garbage for custom transports): an inet stream socket is used as is and
 * marked SHIM_FD_TLS, anything else gets a pseudo id derived from sess.
 * AS-SAFE.
 */
void shim_tls_conn_ident(struct shim_tls_conn *c, int fd);
/* Same, trying the client random when fd is not a usable socket. */
void shim_tls_conn_ident_rnd(struct shim_tls_conn *c, int fd, const uint8_t *rnd);

/*
 * Judge len bytes of plaintext going in direction dir (DLP_DIR_SEND before
 * the library encrypts them, DLP_DIR_RECV after it decrypted them). For a
 * send, bytes already approved for a retry of this session are skipped.
 * Returns 0 (allowed, or monitor mode) or -1 with errno = EACCES (refused,
 * or broker unreachable: fail closed); the refusal is reported on stderr.
 * Caller holds the shim reentry guard. AS-UNSAFE (channel and retry-memory
 * mutexes; TLS libraries are not called from signal handlers).
 */
int shim_tls_gate(const struct shim_tls_conn *c, unsigned dir, const void *p, size_t len);

/*
 * After the real send of (p,len) on c: done bytes were taken; when the
 * library asked for a retry (again) or took only part, the untaken tail
 * is remembered as approved for the next call on this session. AS-UNSAFE.
 * The match is by length and FNV-1a hash: it guards against double
 * scanning by honest libraries, not against a hostile process (which can
 * rewrite the shim in its own address space anyway).
 */
void shim_tls_sent(const struct shim_tls_conn *c, const void *p, size_t len, size_t done,
		   bool again);

/*
 * Remember that the TLS ClientHello (p,n) left on socket fd: its client
 * random lets a session whose library does not tell us its socket (curl's
 * own BIO, libcurl-gnutls' push function, node's memory BIOs) be tied back
 * to the fd, and so to the connect-time address and port in the broker.
 * Called by hook_net.c's first-bytes gate. AS-SAFE (lock-free ring).
 */
void shim_tls_hello_seen(int fd, const void *p, size_t n);
/*
 * tls_hello.c: a relayed stream's first record written in pieces. Feed
 * every buffer about to be written on a relayed fd: 1 when it completes a
 * ClientHello record started in earlier writes (*out: the whole record, by
 * shim_tls_hello_part_buf, until shim_tls_hello_part_done), 3 when this
 * buffer completes its first SHIM_HELLO_HEAD bytes (copied to head: claim
 * the session with them now), 2 while it is incomplete (a copy kept), else
 * 0 (not a hello start, or a hello whose random this buffer holds, handled
 * as one piece). forget: fd connects anew.
 * AS-UNSAFE.
 */
#define SHIM_HELLO_HEAD 43   /* record header 5, handshake header 4, version 2, random 32 */
struct hello_part;
int shim_tls_hello_part(int fd, const void *p, size_t n, struct hello_part **out,
			uint8_t head[SHIM_HELLO_HEAD]);
const uint8_t *shim_tls_hello_part_buf(const struct hello_part *h, size_t *n);
void shim_tls_hello_part_done(struct hello_part *h);
void shim_tls_hello_part_forget(int fd);
/* The fd whose ClientHello carried this 32-byte client random, or -1. AS-SAFE. */
int shim_tls_fd_by_random(const uint8_t random[32]);

/* The client random of the newest ClientHello written on fd into out; false if none. AS-SAFE. */
bool shim_tls_random_by_fd(int fd, uint8_t out[32]);

/* Forget retry memory of a session being freed. AS-UNSAFE. */
void shim_tls_forget(const void *sess);

/*
 * Resolve a real TLS symbol: dlsym(RTLD_NEXT), else from an already loaded
 * library among sonames (a NULL-terminated list; libssl may have been
 * dlopen'ed RTLD_LOCAL by Python's _ssl). Never returns our own symbol.
 */
void *shim_tls_sym(const char *name, const char *const *sonames);

/* ---- the key path (tls_keylog.c): claims, key-log lines, status ---- */
/*
 * Around a hooked library's call that may drive a handshake (connect,
 * do_handshake, an implicit one in write/read): enter claims fd when it is
 * the session's socket, synchronously, and marks this thread, so that a
 * ClientHello written on a socket the library hides (curl's own BIO,
 * libcurl-gnutls' push function) is claimed by hook_net.c; leave notes the
 * session's client random (rnd, may be NULL), so that a hello written
 * later from a memory BIO (node) is claimed too. AS-UNSAFE.
 */
void shim_tls_hs_enter(int fd);
void shim_tls_hs_leave(const uint8_t *rnd);
/* hook_net.c: the ClientHello (p,n) is about to leave on fd. AS-UNSAFE. */
void shim_tls_hello_claim(int fd, const void *p, size_t n);
/* Does the relay decrypt the session with this client random? AS-UNSAFE. */
bool shim_tls_keyed(const uint8_t *rnd);
/*
 * A key-log callback's line (NSS format): to the broker, synchronously,
 * before the library writes the record that needs it. When the broker
 * says the relay decrypts that session, it is remembered as keyed. Takes
 * the reentry guard itself. AS-UNSAFE. Returns 0.
 */
int shim_tls_keylog(const char *line, size_t len);
/*
 * A hooked call on keyed session c failed: if the relay reset it, print
 * the relay's reason ("dlpjail: blocked TLS send to HOST: ...") and return
 * true (the caller reports the failure as a refusal). Caller holds the
 * reentry guard. AS-UNSAFE.
 */
bool shim_tls_status(const struct shim_tls_conn *c, unsigned dir);
/*
 * hook_net.c: a read on TLS socket fd failed with ECONNRESET (node and
 * curl see the relay's reset there, not in the TLS library): print the
 * relay's reason when it has one (true). Caller holds the guard. AS-UNSAFE.
 */
bool shim_tls_reset_seen(int fd);
/* The program's own key-log callback for owner (SSL_CTX, gnutls session). */
void shim_tls_chain_put(const void *owner, void *fn);
void *shim_tls_chain_get(const void *owner);

/* ---- OpenSSL core, shared by the libssl hooks and node's patched copy ---- */
struct shim_ossl;
/* The libssl/libcrypto of this process, or node's statically linked copy. */
extern struct shim_ossl shim_ossl_lib;
extern struct shim_ossl shim_ossl_node;

int shim_ossl_write(struct shim_ossl *o, void *ssl, const void *buf, int num);
int shim_ossl_write_ex(struct shim_ossl *o, void *ssl, const void *buf, size_t num,
		       size_t *written);
int shim_ossl_read(struct shim_ossl *o, void *ssl, void *buf, int num);
/* SSL_connect (connect) or SSL_do_handshake, with the socket claimed first. */
int shim_ossl_handshake(struct shim_ossl *o, bool connect, void *ssl);
int shim_ossl_read_ex(struct shim_ossl *o, void *ssl, void *buf, size_t num, size_t *rd);

/* node: fill shim_ossl_node from the executable's exported symbols. */
void shim_ossl_node_bind(void *(*lookup)(const char *name));
/* Set a real entry point of shim_ossl_node (the trampoline of a patched function). */
void shim_ossl_node_set_real(const char *name, void *tramp);

/* ---- rustls on aws-lc in the main program (hook_awslc.c) ---- */
/* Its key schedule's entry points are patched: every ClientHello of this process is claimed. */
extern bool shim_awslc_on;
/* hook_net.c: this thread read from fd (its TLS records). AS-SAFE. */
void shim_awslc_read(int fd);
/*
 * hook_node.c, before main: patch aws-lc's HKDF_expand, HKDF and
 * CRYPTO_tls1_prf when the main program exports them (strtab: its dynamic
 * string table). patch returns the trampoline or NULL. True when all are.
 */
bool shim_awslc_patch(const char *strtab, size_t strsz, void *(*lookup)(const char *),
		      void *(*patch)(void *f, void *hook));

#endif /* DLP_SHIM_TLS_INT_H */
