/* SPDX-License-Identifier: MIT */
/*
 * hook_gnutls.c - GnuTLS plaintext hooks: gnutls_record_send, _send2,
 * _send_range, _send_early_data, gnutls_record_recv, _recv_seq, plus
 * gnutls_server_name_set (remember the SNI: gnutls_server_name_get refuses
 * client sessions), gnutls_deinit (forget it) and gnutls_handshake (claim
 * the socket for the relay's key path first). All fail closed.
 *
 * gnutls_record_send calls gnutls_record_send2 through the PLT (and so
 * into our hook): a per-thread depth counter is held across every real
 * send, so the inner call passes straight through and each byte is scanned
 * once. The shim's own guard covers only our work, never the real call (a
 * custom push function may call back into hooked code).
 * A refused send returns GNUTLS_E_PUSH_ERROR ("Error in the push
 * function."), a refused receive GNUTLS_E_PULL_ERROR with its bytes wiped;
 * errno is EACCES and the socket is shut down.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "shim/shim_int.h"
#include "shim/tls_int.h"

typedef ssize_t gt_send_fn(gnutls_session_t, const void *, size_t);
typedef ssize_t gt_send2_fn(gnutls_session_t, const void *, size_t, size_t, unsigned);
typedef ssize_t gt_send_range_fn(gnutls_session_t, const void *, size_t,
				 const gnutls_range_st *);
typedef ssize_t gt_recv_fn(gnutls_session_t, void *, size_t);
typedef ssize_t gt_recv_seq_fn(gnutls_session_t, void *, size_t, unsigned char *);
typedef int gt_server_name_set_fn(gnutls_session_t, gnutls_server_name_type_t,
				  const void *, size_t);
typedef void gt_deinit_fn(gnutls_session_t);
typedef int gt_handshake_fn(gnutls_session_t);
typedef gnutls_keylog_func gt_get_keylog_fn(const gnutls_session_t);
typedef void gt_set_keylog_fn(gnutls_session_t, gnutls_keylog_func);
typedef int gt_transport_get_int_fn(gnutls_session_t);
typedef void gt_get_random_fn(gnutls_session_t, gnutls_datum_t *, gnutls_datum_t *);
typedef unsigned gt_is_resumed_fn(gnutls_session_t);
typedef void gt_get_master_fn(gnutls_session_t, gnutls_datum_t *);
typedef gnutls_protocol_t gt_version_fn(gnutls_session_t);

struct gt_real {
	gt_send_fn *send;
	gt_send2_fn *send2;
	gt_send_range_fn *send_range;
	gt_send_fn *send_early_data;
	gt_recv_fn *recv;
	gt_recv_seq_fn *recv_seq;
	gt_server_name_set_fn *server_name_set;
	gt_deinit_fn *deinit;
	gt_handshake_fn *handshake;
	gt_get_keylog_fn *get_keylog;
	gt_set_keylog_fn *set_keylog;
	gt_transport_get_int_fn *transport_get_int;
	gt_get_random_fn *get_random;
	gt_is_resumed_fn *is_resumed;
	gt_get_master_fn *get_master;
	gt_version_fn *version;
};

#define SNI_SLOTS 128

struct sni_entry {
	gnutls_session_t sess;      /* NULL: free */
	char name[256];
};

/*
 * Globals: gt (lazily resolved pointers, idempotent stores from any thread);
 * sni_tab under sni_lock (never taken in a signal handler).
 */
static struct gt_real gt;
/* Per-thread depth of our send hooks: send -> send2 through the PLT passes through. */
static __thread int gt_depth SHIM_TLS;
static pthread_mutex_t sni_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sni_entry sni_tab[SNI_SLOTS];

static void gt_keylog_install(gnutls_session_t s);

static const char *const gt_sonames[] = { "libgnutls.so.30", NULL };

#define RESOLVE(field, sym) \
	do { \
		if (!gt.field) \
			__atomic_store_n(&gt.field, (__typeof__(gt.field)) \
					 shim_tls_sym(sym, gt_sonames), __ATOMIC_RELEASE); \
	} while (0)

static void resolve(void)
{
	if (gt.send && gt.send2 && gt.recv && gt.transport_get_int)
		return;
	RESOLVE(send, "gnutls_record_send");
	RESOLVE(send2, "gnutls_record_send2");
	RESOLVE(send_range, "gnutls_record_send_range");
	RESOLVE(send_early_data, "gnutls_record_send_early_data");
	RESOLVE(recv, "gnutls_record_recv");
	RESOLVE(recv_seq, "gnutls_record_recv_seq");
	RESOLVE(server_name_set, "gnutls_server_name_set");
	RESOLVE(deinit, "gnutls_deinit");
	RESOLVE(handshake, "gnutls_handshake");
	RESOLVE(get_keylog, "gnutls_session_get_keylog_function");
	RESOLVE(set_keylog, "gnutls_session_set_keylog_function");
	RESOLVE(transport_get_int, "gnutls_transport_get_int");
	RESOLVE(get_random, "gnutls_session_get_random");
	RESOLVE(is_resumed, "gnutls_session_is_resumed");
	RESOLVE(get_master, "gnutls_session_get_master_secret");
	RESOLVE(version, "gnutls_protocol_get_version");
}

/* Copy the SNI remembered for s into dst (cap >= 256); "" if none. */
static void sni_get(gnutls_session_t s, char *dst)
{
	unsigned i;

	dst[0] = '\0';
	pthread_mutex_lock(&sni_lock);
	for (i = 0; i < SNI_SLOTS; i++) {
		if (sni_tab[i].sess == s) {
			memcpy(dst, sni_tab[i].name, sizeof(sni_tab[i].name));
			break;
		}
	}
	pthread_mutex_unlock(&sni_lock);
}

static void sni_put(gnutls_session_t s, const char *name, size_t len)
{
	unsigned i, slot = SNI_SLOTS;

	if (len > 255)
		len = 255;
	pthread_mutex_lock(&sni_lock);
	for (i = 0; i < SNI_SLOTS; i++) {
		if (sni_tab[i].sess == s) {
			slot = i;
			break;
		}
		if (!sni_tab[i].sess && slot == SNI_SLOTS)
			slot = i;
	}
	if (slot == SNI_SLOTS)
		slot = (unsigned)(((uintptr_t)s >> 4) % SNI_SLOTS);  /* full: evict one */
	sni_tab[slot].sess = s;
	memcpy(sni_tab[slot].name, name, len);
	sni_tab[slot].name[len] = '\0';
	pthread_mutex_unlock(&sni_lock);
}

static void sni_forget(gnutls_session_t s)
{
	unsigned i;

	pthread_mutex_lock(&sni_lock);
	for (i = 0; i < SNI_SLOTS; i++)
		if (sni_tab[i].sess == s)
			sni_tab[i].sess = NULL;
	pthread_mutex_unlock(&sni_lock);
}

static void conn_of(gnutls_session_t s, struct shim_tls_conn *c, char *sni)
{
	gnutls_datum_t crnd = { NULL, 0 }, srnd = { NULL, 0 };

	c->sess = s;
	c->lib = "gnutls";
	sni_get(s, sni);
	c->host = sni[0] ? sni : NULL;
	if (gt.get_random)
		gt.get_random(s, &crnd, &srnd);
	/* a custom push function (libcurl-gnutls) leaves garbage here: ident checks it */
	shim_tls_conn_ident_rnd(c, gt.transport_get_int ? gt.transport_get_int(s) : -1,
				crnd.size == 32 ? crnd.data : NULL);
}

static void refuse(const struct shim_tls_conn *c)
{
	if (c->fd >= 0)
		SHIM_SYS(SYS_shutdown, c->fd, SHUT_RDWR);
	errno = EACCES;
}

static bool retryable(ssize_t r)
{
	return r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED;
}

/*
 * The four send forms differ only in the real call: `call` performs it.
 * Returns the real result, or GNUTLS_E_PUSH_ERROR when refused.
 */
struct send_args {
	gnutls_session_t s;
	const void *data;
	size_t size;
	size_t pad;
	unsigned flags;
	const gnutls_range_st *range;
};
typedef ssize_t send_call_fn(const struct send_args *);

static ssize_t gated_send(const struct send_args *a, send_call_fn *call)
{
	struct shim_tls_conn c;
	char sni[256];
	int saved = errno, rc;
	ssize_t r;

	if (shim_inert || !a->data || a->size == 0 || gt_depth > 0)
		return call(a);
	/* the shim guard covers our own work only: a push function may call back */
	if (!shim_enter())
		return call(a);
	conn_of(a->s, &c, sni);
	rc = shim_tls_gate(&c, DLP_DIR_SEND, a->data, a->size);
	if (rc < 0)
		refuse(&c);
	shim_leave();
	if (rc < 0)
		return GNUTLS_E_PUSH_ERROR;
	errno = saved;
	gt_depth++;
	r = call(a);
	gt_depth--;
	saved = errno;
	if (r < 0 && c.keyed && !retryable(r) && shim_enter()) {
		/* a session the relay reset: say why */
		bool hit = shim_tls_status(&c, DLP_DIR_SEND);

		if (hit)
			refuse(&c);
		shim_leave();
		if (hit)
			return GNUTLS_E_PUSH_ERROR;
	}
	shim_tls_sent(&c, a->data, a->size, r > 0 ? (size_t)r : 0, retryable(r));
	errno = saved;
	return r;
}

static ssize_t call_send(const struct send_args *a)
{
	return gt.send(a->s, a->data, a->size);
}

static ssize_t call_send2(const struct send_args *a)
{
	return gt.send2(a->s, a->data, a->size, a->pad, a->flags);
}

static ssize_t call_send_range(const struct send_args *a)
{
	return gt.send_range(a->s, a->data, a->size, a->range);
}

static ssize_t call_send_early(const struct send_args *a)
{
	return gt.send_early_data(a->s, a->data, a->size);
}

SHIM_EXPORT ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size)
{
	struct send_args a = { .s = s, .data = data, .size = size };

	shim_init();
	resolve();
	if (!gt.send)
		return GNUTLS_E_INTERNAL_ERROR;
	return gated_send(&a, call_send);
}

SHIM_EXPORT ssize_t gnutls_record_send2(gnutls_session_t s, const void *data, size_t size,
					size_t pad, unsigned flags)
{
	struct send_args a = { .s = s, .data = data, .size = size, .pad = pad, .flags = flags };

	shim_init();
	resolve();
	if (!gt.send2)
		return GNUTLS_E_INTERNAL_ERROR;
	return gated_send(&a, call_send2);
}

SHIM_EXPORT ssize_t gnutls_record_send_range(gnutls_session_t s, const void *data,
					     size_t size, const gnutls_range_st *range)
{
	struct send_args a = { .s = s, .data = data, .size = size, .range = range };

	shim_init();
	resolve();
	if (!gt.send_range)
		return GNUTLS_E_INTERNAL_ERROR;
	return gated_send(&a, call_send_range);
}

SHIM_EXPORT ssize_t gnutls_record_send_early_data(gnutls_session_t s, const void *data,
						  size_t size)
{
	struct send_args a = { .s = s, .data = data, .size = size };

	shim_init();
	resolve();
	if (!gt.send_early_data)
		return GNUTLS_E_INTERNAL_ERROR;
	return gated_send(&a, call_send_early);
}

/* After a read of r bytes: r, or GNUTLS_E_PULL_ERROR when the broker refuses them. */
static ssize_t judge_recv(gnutls_session_t s, void *data, ssize_t r)
{
	struct shim_tls_conn c;
	char sni[256];
	int saved = errno, rc;

	if (r == 0 || retryable(r) || shim_inert || !shim_enter())
		return r;
	conn_of(s, &c, sni);
	if (r < 0) {
		/* a session the relay reset: say why */
		bool hit = c.keyed && shim_tls_status(&c, DLP_DIR_RECV);

		if (hit)
			refuse(&c);
		shim_leave();
		if (hit)
			return GNUTLS_E_PULL_ERROR;
		errno = saved;
		return r;
	}
	rc = shim_tls_gate(&c, DLP_DIR_RECV, data, (size_t)r);
	if (rc < 0) {
		memset(data, 0, (size_t)r);
		refuse(&c);
	}
	shim_leave();
	if (rc < 0)
		return GNUTLS_E_PULL_ERROR;
	errno = saved;
	return r;
}

SHIM_EXPORT ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t size)
{
	shim_init();
	resolve();
	if (!gt.recv)
		return GNUTLS_E_INTERNAL_ERROR;
	return judge_recv(s, data, gt.recv(s, data, size));
}

SHIM_EXPORT ssize_t gnutls_record_recv_seq(gnutls_session_t s, void *data, size_t size,
					   unsigned char *seq)
{
	shim_init();
	resolve();
	if (!gt.recv_seq)
		return GNUTLS_E_INTERNAL_ERROR;
	return judge_recv(s, data, gt.recv_seq(s, data, size, seq));
}

SHIM_EXPORT int gnutls_server_name_set(gnutls_session_t s, gnutls_server_name_type_t type,
				       const void *name, size_t len)
{
	shim_init();
	resolve();
	if (!gt.server_name_set)
		return GNUTLS_E_INTERNAL_ERROR;
	if (!shim_inert && type == GNUTLS_NAME_DNS && name)
		sni_put(s, name, len);
	if (!shim_inert && shim_enter()) {
		gt_keylog_install(s);   /* early: a program may set its own later */
		shim_leave();
	}
	return gt.server_name_set(s, type, name, len);
}

/* One NSS key-log line ("LABEL <client random> <secret>") of s to the broker. */
static void gt_post(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	static const char hex[] = "0123456789abcdef";
	gnutls_datum_t crnd = { NULL, 0 }, srnd = { NULL, 0 };
	char line[64 + 1 + 64 + 1 + 2 * 64 + 1];
	size_t n, i;

	if (gt.get_random)
		gt.get_random(s, &crnd, &srnd);
	n = label ? strlen(label) : 0;
	if (crnd.size == 32 && secret && secret->size <= 64 && n && n <= 64) {
		memcpy(line, label, n);
		line[n++] = ' ';
		for (i = 0; i < 32; i++) {
			line[n++] = hex[crnd.data[i] >> 4];
			line[n++] = hex[crnd.data[i] & 15];
		}
		line[n++] = ' ';
		for (i = 0; i < secret->size; i++) {
			line[n++] = hex[secret->data[i] >> 4];
			line[n++] = hex[secret->data[i] & 15];
		}
		shim_tls_keylog(line, n);
		memset(line, 0, sizeof(line));
	}
}

/* Our key-log function: the line to the broker before GnuTLS goes on, then
 * the program's own function. */
static int gt_keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	gnutls_keylog_func prog;
	int saved = errno;

	gt_post(s, label, secret);
	prog = (gnutls_keylog_func)shim_tls_chain_get(s);
	errno = saved;
	return prog && prog != gt_keylog ? prog(s, label, secret) : 0;
}

static void gt_keylog_install(gnutls_session_t s)
{
	gnutls_keylog_func cur;

	if (!gt.get_keylog || !gt.set_keylog)
		return;
	cur = gt.get_keylog(s);
	if (cur == gt_keylog)
		return;
	/* GnuTLS's default writes $SSLKEYLOGFILE: keep it behind ours */
	shim_tls_chain_put(s, (void *)cur);
	gt.set_keylog(s, gt_keylog);
}

/* The program's function goes behind ours, so setting one does not blind the relay. */
SHIM_EXPORT void gnutls_session_set_keylog_function(gnutls_session_t s, gnutls_keylog_func f)
{
	shim_init();
	resolve();
	if (!gt.set_keylog)
		return;
	if (shim_inert) {
		gt.set_keylog(s, f);
		return;
	}
	shim_tls_chain_put(s, f == gt_keylog ? NULL : (void *)f);
	gt.set_keylog(s, gt_keylog);
}

/*
 * GnuTLS logs CLIENT_RANDOM only where it derives a master secret: never
 * for a resumed TLS 1.2 session, whose records the relay then cannot open
 * (its Finished waits for a key that does not come). After such a
 * handshake the session's master secret (the resumed one: that is what the
 * key block comes from) goes as its CLIENT_RANDOM line, answered, so before
 * any application data; the client's Finished waits for it in the relay.
 * A wrong one only fails to decrypt there. The program's own key-log
 * function is not called: GnuTLS did not log it.
 */
static void gt_resumed_key(gnutls_session_t s)
{
	gnutls_datum_t ms = { NULL, 0 };

	if (!gt.is_resumed || !gt.get_master || !gt.version || !gt.is_resumed(s) ||
	    gt.version(s) != GNUTLS_TLS1_2)
		return;
	gt.get_master(s, &ms);  /* points into the session: not freed */
	if (ms.size == 48)
		gt_post(s, "CLIENT_RANDOM", &ms);
}

/*
 * Before the handshake starts (every call of a non-blocking one): claim the
 * session's socket for the relay's key path; afterwards note its client
 * random (tls_keylog.c).
 */
SHIM_EXPORT int gnutls_handshake(gnutls_session_t s)
{
	gnutls_datum_t crnd = { NULL, 0 }, srnd = { NULL, 0 };
	int saved, r, fd;
	bool hs = false;

	shim_init();
	resolve();
	if (!gt.handshake)
		return GNUTLS_E_INTERNAL_ERROR;
	if (!shim_inert && shim_enter()) {
		gt_keylog_install(s);
		fd = gt.transport_get_int ? gt.transport_get_int(s) : -1;
		shim_tls_hs_enter(fd);
		shim_leave();
		hs = true;
	}
	r = gt.handshake(s);
	saved = errno;
	if (hs && r == 0)
		gt_resumed_key(s);      /* (shim_tls_keylog guards itself) */
	if (hs && gt.get_random)
		gt.get_random(s, &crnd, &srnd);
	if (hs && shim_enter()) {
		shim_tls_hs_leave(crnd.size == 32 ? crnd.data : NULL);
		shim_leave();
	} else if (hs) {
		shim_tls_hs_leave(NULL);
	}
	errno = saved;
	return r;
}

SHIM_EXPORT void gnutls_deinit(gnutls_session_t s)
{
	shim_init();
	resolve();
	if (s && !shim_inert) {
		sni_forget(s);
		shim_tls_forget(s);
		shim_tls_chain_put(s, NULL);
	}
	if (gt.deinit)
		gt.deinit(s);
}
