/* SPDX-License-Identifier: MIT */
/*
 * hook_openssl.c - OpenSSL plaintext hooks: SSL_write, SSL_write_ex,
 * SSL_write_early_data, SSL_sendfile, SSL_read, SSL_read_ex, SSL_free, and
 * the handshake entry points SSL_connect and SSL_do_handshake (plus the
 * implicit handshake in a first SSL_write/SSL_read): before a handshake
 * starts, the session's socket is claimed for the relay's key path.
 *
 * Outbound plaintext is judged before the library encrypts it; inbound
 * plaintext after the library decrypted it and before the caller sees it
 * (response scanning). All hooks fail closed: a broker that cannot be
 * reached refuses the data.
 *
 * A refusal makes the call fail the way a socket error inside OpenSSL
 * does: -1 (0 for the _ex forms), errno EACCES and an ERR_LIB_SYS/EACCES
 * entry on the error queue, so SSL_get_error() says SSL_ERROR_SYSCALL and
 * callers print "Permission denied" (Python raises PermissionError 13, curl
 * reports a send/recv failure). The socket is shut down so nothing more
 * goes out on that connection. A refused read also wipes the bytes it
 * returned into the caller's buffer.
 *
 * The core functions take a struct shim_ossl: the real entry points of
 * libssl (shim_ossl_lib, resolved lazily because Python dlopens libssl
 * RTLD_LOCAL), or of node's statically linked copy (shim_ossl_node, filled
 * by hook_node.c, whose patched functions call the same core).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "shim/shim_int.h"
#include "shim/tls_int.h"

typedef int ssl_write_fn(SSL *, const void *, int);
typedef int ssl_write_ex_fn(SSL *, const void *, size_t, size_t *);
typedef int ssl_read_fn(SSL *, void *, int);
typedef int ssl_read_ex_fn(SSL *, void *, size_t, size_t *);
typedef ossl_ssize_t ssl_sendfile_fn(SSL *, int, off_t, size_t, int);
typedef void ssl_free_fn(SSL *);
typedef int ssl_hs_fn(SSL *);
typedef int ssl_is_init_finished_fn(const SSL *);
typedef int ssl_get_fd_fn(const SSL *);
typedef const char *ssl_get_servername_fn(const SSL *, const int);
typedef int ssl_get_error_fn(const SSL *, int);
typedef size_t ssl_get_client_random_fn(const SSL *, unsigned char *, size_t);
typedef void ssl_set_shutdown_fn(SSL *, int);
typedef void err_new_fn(void);
typedef void err_set_debug_fn(const char *, int, const char *);
typedef void err_set_error_fn(int, int, const char *, ...);
typedef void err_put_error_fn(int, int, int, const char *, int);

struct shim_ossl {
	const char *lib;                    /* "openssl" / "node" in messages */
	ssl_write_fn *write;
	ssl_write_ex_fn *write_ex;
	ssl_write_ex_fn *write_early_data;
	ssl_read_fn *read;
	ssl_read_ex_fn *read_ex;
	ssl_sendfile_fn *sendfile;
	ssl_free_fn *free;
	ssl_hs_fn *connect;
	ssl_hs_fn *do_handshake;
	ssl_is_init_finished_fn *is_init_finished;
	ssl_get_fd_fn *get_fd;
	ssl_get_servername_fn *get_servername;
	ssl_get_error_fn *get_error;
	ssl_get_client_random_fn *get_client_random;
	/* node: a refused read also marks the session shut down, because node
	 * ignores a read error that comes with no socket error and waits for
	 * more; RECEIVED_SHUTDOWN makes it emit EOF and close */
	ssl_set_shutdown_fn *set_shutdown;
	/* what a refusal puts on the error queue: SYS/EACCES for libssl callers
	 * (curl prints "Permission denied"); node drops an error whose reason has
	 * no string, so it gets SSL/"protocol is shutdown" */
	int err_lib, err_reason;
	err_new_fn *err_new;                /* OpenSSL 3 error API */
	err_set_debug_fn *err_set_debug;
	err_set_error_fn *err_set_error;
	err_put_error_fn *err_put_error;    /* OpenSSL 1.1 */
};

/*
 * Globals: shim_ossl_lib is filled by resolve_lib() (pointer stores, any
 * thread, idempotent: each pointer is either NULL or the one real symbol);
 * shim_ossl_node by hook_node.c in the constructor, before threads exist.
 */
struct shim_ossl shim_ossl_lib = { .lib = "openssl", .err_lib = ERR_LIB_SYS,
				   .err_reason = EACCES };
struct shim_ossl shim_ossl_node = { .lib = "node", .err_lib = ERR_LIB_SSL,
				    .err_reason = SSL_R_PROTOCOL_IS_SHUTDOWN };

static const char *const ssl_sonames[] = { "libssl.so.3", "libssl.so.1.1", NULL };

#define RESOLVE(o, field, sym) \
	do { \
		if (!(o)->field) \
			__atomic_store_n(&(o)->field, (__typeof__((o)->field)) \
					 shim_tls_sym(sym, ssl_sonames), __ATOMIC_RELEASE); \
	} while (0)

/* Resolve whatever is still missing; cheap once everything is there. */
static void resolve_lib(void)
{
	struct shim_ossl *o = &shim_ossl_lib;

	if (o->write && o->read && o->get_fd && o->err_new)
		return;
	RESOLVE(o, write, "SSL_write");
	RESOLVE(o, write_ex, "SSL_write_ex");
	RESOLVE(o, write_early_data, "SSL_write_early_data");
	RESOLVE(o, read, "SSL_read");
	RESOLVE(o, read_ex, "SSL_read_ex");
	RESOLVE(o, sendfile, "SSL_sendfile");
	RESOLVE(o, free, "SSL_free");
	RESOLVE(o, connect, "SSL_connect");
	RESOLVE(o, do_handshake, "SSL_do_handshake");
	RESOLVE(o, is_init_finished, "SSL_is_init_finished");
	RESOLVE(o, get_fd, "SSL_get_fd");
	RESOLVE(o, get_servername, "SSL_get_servername");
	RESOLVE(o, get_error, "SSL_get_error");
	RESOLVE(o, get_client_random, "SSL_get_client_random");
	RESOLVE(o, err_new, "ERR_new");
	RESOLVE(o, err_set_debug, "ERR_set_debug");
	RESOLVE(o, err_set_error, "ERR_set_error");
	RESOLVE(o, err_put_error, "ERR_put_error");
}

void shim_ossl_node_bind(void *(*lookup)(const char *name))
{
	struct shim_ossl *o = &shim_ossl_node;

	/* helpers are called directly; the hooked entry points are set to trampolines */
	o->get_fd = (ssl_get_fd_fn *)lookup("SSL_get_fd");
	o->is_init_finished = (ssl_is_init_finished_fn *)lookup("SSL_is_init_finished");
	o->get_servername = (ssl_get_servername_fn *)lookup("SSL_get_servername");
	o->get_error = (ssl_get_error_fn *)lookup("SSL_get_error");
	o->get_client_random = (ssl_get_client_random_fn *)lookup("SSL_get_client_random");
	o->set_shutdown = (ssl_set_shutdown_fn *)lookup("SSL_set_shutdown");
	o->err_new = (err_new_fn *)lookup("ERR_new");
	o->err_set_debug = (err_set_debug_fn *)lookup("ERR_set_debug");
	o->err_set_error = (err_set_error_fn *)lookup("ERR_set_error");
	o->err_put_error = (err_put_error_fn *)lookup("ERR_put_error");
}

void shim_ossl_node_set_real(const char *name, void *tramp)
{
	struct shim_ossl *o = &shim_ossl_node;

	if (!strcmp(name, "SSL_write"))
		o->write = (ssl_write_fn *)tramp;
	else if (!strcmp(name, "SSL_write_ex"))
		o->write_ex = (ssl_write_ex_fn *)tramp;
	else if (!strcmp(name, "SSL_read"))
		o->read = (ssl_read_fn *)tramp;
	else if (!strcmp(name, "SSL_read_ex"))
		o->read_ex = (ssl_read_ex_fn *)tramp;
	else if (!strcmp(name, "SSL_do_handshake"))
		o->do_handshake = (ssl_hs_fn *)tramp;
	else if (!strcmp(name, "SSL_connect"))
		o->connect = (ssl_hs_fn *)tramp;
}

static void conn_of(const struct shim_ossl *o, SSL *s, struct shim_tls_conn *c)
{
	uint8_t rnd[32];
	bool have_rnd;

	c->sess = s;
	c->lib = o->lib;
	c->host = o->get_servername ? o->get_servername(s, TLSEXT_NAMETYPE_host_name) : NULL;
	/* curl's own BIO and node's memory BIOs hide the socket: find it by client random */
	have_rnd = o->get_client_random && o->get_client_random(s, rnd, sizeof(rnd)) == sizeof(rnd);
	shim_tls_conn_ident_rnd(c, o->get_fd ? o->get_fd(s) : -1, have_rnd ? rnd : NULL);
}

/* Make the refused call look like a socket error inside OpenSSL. */
static void refuse(const struct shim_ossl *o, const struct shim_tls_conn *c)
{
	if (o->err_new && o->err_set_debug && o->err_set_error) {
		o->err_new();
		o->err_set_debug("dlpjail", 0, "dlpjail");
		o->err_set_error(o->err_lib, o->err_reason, "dlpjail refused TLS data to %s",
				 c->host ? c->host : "this peer");
	} else if (o->err_put_error) {
		o->err_put_error(o->err_lib, 0, o->err_reason, "dlpjail", 0);
	}
	if (c->fd >= 0)
		SHIM_SYS(SYS_shutdown, c->fd, SHUT_RDWR);
	errno = EACCES;
}

static bool want_retry(const struct shim_ossl *o, SSL *s, int ret)
{
	int e;

	if (!o->get_error)
		return false;
	e = o->get_error(s, ret);
	return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ||
	       e == SSL_ERROR_WANT_ASYNC || e == SSL_ERROR_WANT_X509_LOOKUP;
}

/*
 * Before a call that may drive the handshake of ssl: claim its socket for
 * the key path (tls_keylog.c). Returns true when hs_end() must follow.
 */
static bool hs_begin(const struct shim_ossl *o, void *ssl, bool implicit)
{
	int fd;

	if (shim_inert || (implicit && (!o->is_init_finished || o->is_init_finished(ssl))))
		return false;
	if (!shim_enter())
		return false;
	fd = o->get_fd ? o->get_fd(ssl) : -1;
	shim_tls_hs_enter(fd);
	shim_leave();
	return true;
}

static void hs_end(const struct shim_ossl *o, void *ssl)
{
	uint8_t rnd[32];
	bool have;

	have = o->get_client_random && o->get_client_random(ssl, rnd, sizeof(rnd)) == sizeof(rnd);
	if (shim_enter()) {
		shim_tls_hs_leave(have ? rnd : NULL);
		shim_leave();
	} else {
		shim_tls_hs_leave(NULL);
	}
}

int shim_ossl_handshake(struct shim_ossl *o, bool connect, void *ssl)
{
	ssl_hs_fn *real = connect ? o->connect : o->do_handshake;
	bool hs = hs_begin(o, ssl, false);
	int r, saved;

	r = real(ssl);
	saved = errno;
	if (hs)
		hs_end(o, ssl);
	errno = saved;
	return r;
}

/*
 * The reentry guard covers only our own work (gate, bookkeeping), never the
 * real call: OpenSSL calls back into the application from inside SSL_read
 * and SSL_write (info, verify and session callbacks), and node answers a
 * handshake completing inside SSL_read by writing its request right there,
 * through SSL_write, which must be judged like any other write.
 */
int shim_ossl_write(struct shim_ossl *o, void *ssl, const void *buf, int num)
{
	struct shim_tls_conn c;
	int saved = errno, r, rc;
	bool hs;

	if (shim_inert || num <= 0 || !buf || !shim_enter())
		return o->write(ssl, buf, num);
	conn_of(o, ssl, &c);
	rc = shim_tls_gate(&c, DLP_DIR_SEND, buf, (size_t)num);
	if (rc < 0)
		refuse(o, &c);
	shim_leave();
	if (rc < 0)
		return -1;
	errno = saved;
	hs = hs_begin(o, ssl, true);
	r = o->write(ssl, buf, num);
	saved = errno;
	if (hs)
		hs_end(o, ssl);
	shim_tls_sent(&c, buf, (size_t)num, r > 0 ? (size_t)r : 0,
		      r <= 0 && want_retry(o, ssl, r));
	errno = saved;
	return r;
}

static int write_ex_common(struct shim_ossl *o, ssl_write_ex_fn *real, void *ssl,
			   const void *buf, size_t num, size_t *written)
{
	struct shim_tls_conn c;
	size_t done = 0;
	int saved = errno, r, rc;
	bool hs;

	if (shim_inert || num == 0 || !buf || !shim_enter())
		return real(ssl, buf, num, written);
	conn_of(o, ssl, &c);
	rc = shim_tls_gate(&c, DLP_DIR_SEND, buf, num);
	if (rc < 0)
		refuse(o, &c);
	shim_leave();
	if (rc < 0) {
		if (written)
			*written = 0;
		return 0;
	}
	errno = saved;
	hs = hs_begin(o, ssl, true);
	r = real(ssl, buf, num, written ? written : &done);
	saved = errno;
	if (hs)
		hs_end(o, ssl);
	if (r > 0)
		done = written ? *written : done;
	shim_tls_sent(&c, buf, num, r > 0 ? done : 0, r <= 0 && want_retry(o, ssl, r));
	errno = saved;
	return r;
}

int shim_ossl_write_ex(struct shim_ossl *o, void *ssl, const void *buf, size_t num,
		       size_t *written)
{
	return write_ex_common(o, o->write_ex, ssl, buf, num, written);
}

/* After a successful read of n bytes into buf: 0 keep, -1 refused (buf wiped). */
static int judge_read(struct shim_ossl *o, void *ssl, void *buf, size_t n)
{
	struct shim_tls_conn c;
	int rc;

	if (shim_inert || !shim_enter())
		return 0;
	conn_of(o, ssl, &c);
	rc = shim_tls_gate(&c, DLP_DIR_RECV, buf, n);
	if (rc < 0) {
		memset(buf, 0, n);
		refuse(o, &c);
		if (o->set_shutdown)
			o->set_shutdown(ssl, SSL_RECEIVED_SHUTDOWN | SSL_SENT_SHUTDOWN);
	}
	shim_leave();
	return rc < 0 ? -1 : 0;
}

int shim_ossl_read(struct shim_ossl *o, void *ssl, void *buf, int num)
{
	bool hs = hs_begin(o, ssl, true);
	int r = o->read(ssl, buf, num), saved = errno;

	if (hs)
		hs_end(o, ssl);
	errno = saved;
	if (r > 0 && judge_read(o, ssl, buf, (size_t)r) < 0)
		return -1;
	return r;
}

int shim_ossl_read_ex(struct shim_ossl *o, void *ssl, void *buf, size_t num, size_t *rd)
{
	size_t got = 0;
	bool hs = hs_begin(o, ssl, true);
	int r = o->read_ex(ssl, buf, num, rd ? rd : &got), saved = errno;

	if (hs)
		hs_end(o, ssl);
	errno = saved;
	if (r > 0 && rd)
		got = *rd;
	if (r > 0 && got && judge_read(o, ssl, buf, got) < 0) {
		if (rd)
			*rd = 0;
		return 0;
	}
	return r;
}

/* ---- exported hooks (libssl in this process) ---- */

SHIM_EXPORT int SSL_write(SSL *s, const void *buf, int num)
{
	shim_init();
	resolve_lib();
	if (!shim_ossl_lib.write) {
		errno = ENOSYS;
		return -1;
	}
	return shim_ossl_write(&shim_ossl_lib, s, buf, num);
}

SHIM_EXPORT int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written)
{
	shim_init();
	resolve_lib();
	if (!shim_ossl_lib.write_ex) {
		errno = ENOSYS;
		return 0;
	}
	return shim_ossl_write_ex(&shim_ossl_lib, s, buf, num, written);
}

SHIM_EXPORT int SSL_write_early_data(SSL *s, const void *buf, size_t num, size_t *written)
{
	shim_init();
	resolve_lib();
	if (!shim_ossl_lib.write_early_data) {
		errno = ENOSYS;
		return 0;
	}
	return write_ex_common(&shim_ossl_lib, shim_ossl_lib.write_early_data, s, buf, num,
			       written);
}

SHIM_EXPORT int SSL_read(SSL *s, void *buf, int num)
{
	shim_init();
	resolve_lib();
	if (!shim_ossl_lib.read) {
		errno = ENOSYS;
		return -1;
	}
	return shim_ossl_read(&shim_ossl_lib, s, buf, num);
}

SHIM_EXPORT int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *rd)
{
	shim_init();
	resolve_lib();
	if (!shim_ossl_lib.read_ex) {
		errno = ENOSYS;
		return 0;
	}
	return shim_ossl_read_ex(&shim_ossl_lib, s, buf, num, rd);
}

/*
 * kTLS: the file's bytes never pass through user space, so read the region
 * ourselves and judge it first. Fail closed when it cannot be read.
 */
SHIM_EXPORT ossl_ssize_t SSL_sendfile(SSL *s, int fd, off_t offset, size_t size, int flags)
{
	struct shim_ossl *o = &shim_ossl_lib;
	struct shim_tls_conn c;
	uint8_t buf[16384];
	size_t off = 0;
	int saved = errno;

	shim_init();
	resolve_lib();
	if (!o->sendfile) {
		errno = ENOSYS;
		return -1;
	}
	if (shim_inert || !shim_enter())
		return o->sendfile(s, fd, offset, size, flags);
	conn_of(o, s, &c);
	while (off < size) {
		size_t want = size - off < sizeof(buf) ? size - off : sizeof(buf);
		ssize_t n = pread(fd, buf, want, offset + (off_t)off);

		if (n <= 0 || shim_tls_gate(&c, DLP_DIR_SEND, buf, (size_t)n) < 0) {
			refuse(o, &c);
			shim_leave();
			return -1;
		}
		off += (size_t)n;
	}
	shim_leave();
	errno = saved;
	return o->sendfile(s, fd, offset, size, flags);
}

SHIM_EXPORT int SSL_connect(SSL *s)
{
	shim_init();
	resolve_lib();
	if (!shim_ossl_lib.connect) {
		errno = ENOSYS;
		return -1;
	}
	return shim_ossl_handshake(&shim_ossl_lib, true, s);
}

SHIM_EXPORT int SSL_do_handshake(SSL *s)
{
	shim_init();
	resolve_lib();
	if (!shim_ossl_lib.do_handshake) {
		errno = ENOSYS;
		return -1;
	}
	return shim_ossl_handshake(&shim_ossl_lib, false, s);
}

SHIM_EXPORT void SSL_free(SSL *s)
{
	shim_init();
	resolve_lib();
	if (s)
		shim_tls_forget(s);
	if (shim_ossl_lib.free)
		shim_ossl_lib.free(s);
}
