/* SPDX-License-Identifier: MIT */
/*
 * hook_dns.c - name resolution through the broker.
 *
 * glibc's resolver sends its queries through internal aliases no connect
 * or send hook sees, so the resolver entry points themselves are hooked.
 * Numeric hosts are parsed locally (no query leaves); any other name is
 * sent to the broker, which checks the policy, resolves it and returns the
 * addresses - the only ones this process may then connect to by name.
 * Results are built by the real getaddrinfo from the numeric answers, so
 * freeaddrinfo() and every hints flag behave exactly as glibc's.
 * Fail closed: broker unreachable or refusing = EAI_FAIL / NO_RECOVERY.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shim/shim_int.h"

/*
 * ai_flags is the caller's hints->ai_flags: AI_ADDRCONFIG is passed on so the
 * broker asks the same questions glibc would have (no AAAA query on a host
 * without IPv6; a name server that drops those costs a 5 s timeout each).
 */
static int ask_broker(const char *name, int family, int ai_flags, struct shim_reply *rep)
{
	struct dlp_msg m = { .type = DLP_MSG_RESOLVE };
	size_t l = strlen(name);
	int rc;

	if (l == 0 || l > 255)
		return -EINVAL;
	m.host = name;
	m.host_len = l;
	DLP_SET(&m, DLP_K_HOST);
	if (family == AF_INET || family == AF_INET6) {
		m.family = (uint32_t)family;
		DLP_SET(&m, DLP_K_FAMILY);
	}
	if (ai_flags & AI_ADDRCONFIG) {
		m.flags = DLP_RESOLVE_ADDRCONFIG;
		DLP_SET(&m, DLP_K_FLAGS);
	}
	rc = shim_chan_call(&m, rep);
	if (rc < 0) {
		/* never print the name: it may be the payload (DNS exfiltration) */
		shim_report("name lookup", NULL, "dlpjail broker unreachable; refusing egress");
		return -EACCES;
	}
	if (rep->verdict != DLP_VERDICT_ALLOW) {
		/* the broker's line shows the name only in its display form */
		shim_report_reply("name lookup", NULL, rep->reason);
		return -EACCES;
	}
	return 0;
}

static bool is_numeric(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

SHIM_EXPORT int getaddrinfo(const char *node, const char *service,
			    const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo h = { 0 }, *head = NULL, **tail = &head, *part;
	struct shim_reply rep;
	char ip[INET6_ADDRSTRLEN];
	unsigned i;
	int rc, saved = errno, last = EAI_NONAME;

	shim_init();
	if (shim_inert || !node || !shim_enter())
		return shim_real.getaddrinfo(node, service, hints, res);
	if (hints)
		h = *hints;
	/* numeric hosts never leave the process */
	if (is_numeric(node) || (h.ai_flags & AI_NUMERICHOST)) {
		shim_leave();
		return shim_real.getaddrinfo(node, service, hints, res);
	}
	rc = ask_broker(node, h.ai_family, h.ai_flags, &rep);
	shim_leave();
	if (rc < 0) {
		errno = saved;
		return EAI_FAIL;
	}
	if (rep.naddrs == 0) {
		errno = saved;
		return rep.err ? EAI_AGAIN : EAI_NONAME;
	}
	h.ai_flags = (h.ai_flags | AI_NUMERICHOST) & ~AI_CANONNAME;
	for (i = 0; i < rep.naddrs; i++) {
		int af = rep.addrs[i].family;

		if (h.ai_family != AF_UNSPEC && h.ai_family != af)
			continue;
		if (!inet_ntop(af, rep.addrs[i].addr, ip, sizeof(ip)))
			continue;
		rc = shim_real.getaddrinfo(ip, service, &h, &part);
		if (rc != 0) {
			last = rc;
			continue;
		}
		*tail = part;
		while (*tail)
			tail = &(*tail)->ai_next;
	}
	if (!head) {
		errno = saved;
		return last;
	}
	if (hints && (hints->ai_flags & AI_CANONNAME))
		head->ai_canonname = strdup(rep.canon[0] ? rep.canon : node);
	*res = head;
	errno = saved;
	return 0;
}

/*
 * Fill a hostent in buf from the broker's answer for family af.
 * Returns 0, ERANGE (buf too small), or a h_errno value in *herr.
 */
static int fill_hostent(const char *name, int af, const struct shim_reply *rep,
			struct hostent *he, char *buf, size_t buflen, int *herr)
{
	size_t alen = af == AF_INET ? 4 : 16, nl = strlen(name) + 1, need, n = 0, i;
	char **addrs, **aliases, *p;
	uintptr_t align;

	for (i = 0; i < rep->naddrs; i++)
		if (rep->addrs[i].family == af)
			n++;
	if (n == 0) {
		*herr = HOST_NOT_FOUND;
		return 0;
	}
	align = (uintptr_t)buf % sizeof(char *);
	align = align ? sizeof(char *) - align : 0;
	need = align + (n + 1) * sizeof(char *) + sizeof(char *) + n * alen + nl;
	if (need > buflen)
		return ERANGE;
	addrs = (char **)(void *)(buf + align);
	aliases = addrs + n + 1;
	p = (char *)(aliases + 1);
	for (i = 0, n = 0; i < rep->naddrs; i++) {
		if (rep->addrs[i].family != af)
			continue;
		memcpy(p, rep->addrs[i].addr, alen);
		addrs[n++] = p;
		p += alen;
	}
	addrs[n] = NULL;
	aliases[0] = NULL;
	memcpy(p, name, nl);
	he->h_name = p;
	he->h_aliases = aliases;
	he->h_addrtype = af;
	he->h_length = (int)alen;
	he->h_addr_list = addrs;
	*herr = 0;
	return 0;
}

SHIM_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
				 size_t buflen, struct hostent **result, int *h_errnop)
{
	struct shim_reply rep;
	int rc, herr = 0, saved = errno;

	shim_init();
	if (shim_inert || !name || is_numeric(name) || (af != AF_INET && af != AF_INET6) ||
	    !shim_enter())
		return shim_real.gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
	rc = ask_broker(name, af, 0, &rep);
	shim_leave();
	*result = NULL;
	if (rc < 0) {
		*h_errnop = NO_RECOVERY;
		errno = saved;
		return EACCES;
	}
	if (rep.naddrs == 0) {
		*h_errnop = rep.err ? TRY_AGAIN : HOST_NOT_FOUND;
		errno = saved;
		return 0;
	}
	rc = fill_hostent(name, af, &rep, ret, buf, buflen, &herr);
	if (rc) {
		*h_errnop = NETDB_INTERNAL;
		errno = rc;
		return rc;
	}
	*h_errnop = herr;
	if (!herr)
		*result = ret;
	errno = saved;
	return 0;
}

SHIM_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf,
				size_t buflen, struct hostent **result, int *h_errnop)
{
	shim_init();
	if (shim_inert)
		return shim_real.gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
	return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

/* Globals: the static result of the non-reentrant calls, under hostent_lock. */
static pthread_mutex_t hostent_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hostent hostent_static;
static char hostent_buf[2048];

SHIM_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *res = NULL;
	int herr = 0;

	shim_init();
	if (shim_inert)
		return shim_real.gethostbyname2(name, af);
	pthread_mutex_lock(&hostent_lock);
	gethostbyname2_r(name, af, &hostent_static, hostent_buf, sizeof(hostent_buf),
			 &res, &herr);
	pthread_mutex_unlock(&hostent_lock);
	if (!res)
		h_errno = herr ? herr : HOST_NOT_FOUND;
	return res;
}

SHIM_EXPORT struct hostent *gethostbyname(const char *name)
{
	shim_init();
	if (shim_inert)
		return shim_real.gethostbyname(name);
	return gethostbyname2(name, AF_INET);
}

/* ---- libresolv-style queries: judged by the broker, then sent by glibc ---- */

static int judge_only(const char *name, int type)
{
	struct dlp_msg m = { .type = DLP_MSG_RESOLVE };
	struct shim_reply rep;
	size_t l = name ? strlen(name) : 0;
	int rc;

	if (l == 0 || l > 255)
		return 0;       /* glibc rejects these itself */
	if (is_numeric(name))
		return 0;
	m.host = name;
	m.host_len = l;
	m.flags = DLP_RESOLVE_JUDGE;
	m.qtype = (uint32_t)type & 0xffff;
	DLP_SET(&m, DLP_K_HOST);
	DLP_SET(&m, DLP_K_FLAGS);
	DLP_SET(&m, DLP_K_QTYPE);
	rc = shim_chan_call(&m, &rep);
	if (rc < 0) {
		shim_report("DNS query", NULL, "dlpjail broker unreachable; refusing egress");
		return -1;
	}
	if (rep.verdict != DLP_VERDICT_ALLOW) {
		shim_report_reply("DNS query", NULL, rep.reason);
		return -1;
	}
	return 0;
}

/* A ready-made query message (res_send): the broker parses and judges it. */
static int judge_message(const unsigned char *msg, int len)
{
	if (len <= 0)
		return 0;
	return shim_check_data(-1, msg, (size_t)len, DLP_CHAN_PLAIN, DLP_DATA_DNS, SOCK_DGRAM);
}

/* localhost and *.localhost (RFC 6761): any case, a final dot allowed */
static bool is_localhost(const char *name)
{
	size_t l = name ? strlen(name) : 0;

	if (l && name[l - 1] == '.')
		l--;
	return (l == 9 && !strncasecmp(name, "localhost", 9)) ||
	       (l > 10 && !strncasecmp(name + l - 10, ".localhost", 10));
}

/*
 * The answer to a localhost query, built here: glibc would send it to the
 * name server (without the session's DNS proxy, --no-mountns, that is the
 * host's). A 127.0.0.1, AAAA ::1, other types no data. Length or -1.
 */
static int localhost_answer(const char *name, int class, int type, unsigned char *ans, int cap)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 }, v6[16] = { [15] = 1 };
	const unsigned char *rd = type == 1 ? v4 : type == 28 ? v6 : NULL;
	size_t o = 12, l = strlen(name), s = 0, i, rl = type == 1 ? 4 : 16;

	if (l && name[l - 1] == '.')
		l--;
	if (!ans || cap < 0 || l > 253 || (size_t)cap < 12 + l + 2 + 4 + (rd ? 12 + rl : 0)) {
		h_errno = NO_RECOVERY;
		return -1;
	}
	memset(ans, 0, 12);
	ans[2] = 0x85;	/* QR, AA, RD */
	ans[3] = 0x80;	/* RA, NOERROR */
	ans[5] = 1;
	for (i = 0; i <= l; i++) {
		if (i < l && name[i] != '.')
			continue;
		if (i - s == 0 || i - s > 63) {
			h_errno = NO_RECOVERY;
			return -1;
		}
		ans[o++] = (unsigned char)(i - s);
		memcpy(ans + o, name + s, i - s);
		o += i - s;
		s = i + 1;
	}
	ans[o++] = 0;
	ans[o++] = (unsigned char)(type >> 8);
	ans[o++] = (unsigned char)type;
	ans[o++] = (unsigned char)(class >> 8);
	ans[o++] = (unsigned char)class;
	if (rd && class == 1) {
		const unsigned char rr[10] = { 0xc0, 12, 0, (unsigned char)type, 0, 1, 0, 0, 0, 0 };

		memcpy(ans + o, rr, sizeof(rr));
		o += sizeof(rr);
		ans[o++] = 0;
		ans[o++] = (unsigned char)rl;
		memcpy(ans + o, rd, rl);
		o += rl;
		ans[7] = 1;
	}
	return (int)o;
}

#define JUDGED(name, type, call)					\
	do {								\
		int saved_ = errno, r_;					\
		shim_init();						\
		if (!shim_inert && shim_enter()) {			\
			r_ = judge_only(name, type);			\
			shim_leave();					\
			if (r_ < 0) {					\
				h_errno = NO_RECOVERY;			\
				errno = saved_;				\
				return -1;				\
			}						\
			if (is_localhost(name))				\
				return localhost_answer(name, class, type, ans, len); \
		}							\
		errno = saved_;						\
		return call;						\
	} while (0)

static int missing(void)
{
	h_errno = NO_RECOVERY;
	errno = ENOSYS;
	return -1;
}

SHIM_EXPORT int res_query(const char *dname, int class, int type, unsigned char *ans, int len)
{
	JUDGED(dname, type, shim_real.res_query ? shim_real.res_query(dname, class, type, ans, len)
						: missing());
}

SHIM_EXPORT int res_search(const char *dname, int class, int type, unsigned char *ans, int len)
{
	JUDGED(dname, type, shim_real.res_search ? shim_real.res_search(dname, class, type, ans, len)
						 : missing());
}

SHIM_EXPORT int res_querydomain(const char *name, const char *domain, int class, int type,
				unsigned char *ans, int len)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s%s", name ? name : "", domain ? "." : "",
		 domain ? domain : "");
	JUDGED(full, type, shim_real.res_querydomain
	       ? shim_real.res_querydomain(name, domain, class, type, ans, len) : missing());
}

SHIM_EXPORT int res_nquery(res_state st, const char *dname, int class, int type,
			   unsigned char *ans, int len)
{
	JUDGED(dname, type, shim_real.res_nquery
	       ? shim_real.res_nquery(st, dname, class, type, ans, len) : missing());
}

SHIM_EXPORT int res_nsearch(res_state st, const char *dname, int class, int type,
			    unsigned char *ans, int len)
{
	JUDGED(dname, type, shim_real.res_nsearch
	       ? shim_real.res_nsearch(st, dname, class, type, ans, len) : missing());
}

SHIM_EXPORT int res_nquerydomain(res_state st, const char *name, const char *domain, int class,
				 int type, unsigned char *ans, int len)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s%s", name ? name : "", domain ? "." : "",
		 domain ? domain : "");
	JUDGED(full, type, shim_real.res_nquerydomain
	       ? shim_real.res_nquerydomain(st, name, domain, class, type, ans, len) : missing());
}

#define JUDGED_MSG(msg, mlen, call)					\
	do {								\
		int saved_ = errno, r_;					\
		shim_init();						\
		if (!shim_inert && shim_enter()) {			\
			r_ = judge_message(msg, mlen);			\
			shim_leave();					\
			if (r_ < 0) {					\
				errno = saved_;				\
				return -1;				\
			}						\
		}							\
		errno = saved_;						\
		return call;						\
	} while (0)

SHIM_EXPORT int res_send(const unsigned char *msg, int mlen, unsigned char *ans, int len)
{
	JUDGED_MSG(msg, mlen, shim_real.res_send ? shim_real.res_send(msg, mlen, ans, len)
						 : missing());
}

SHIM_EXPORT int res_nsend(res_state st, const unsigned char *msg, int mlen, unsigned char *ans,
			  int len)
{
	JUDGED_MSG(msg, mlen, shim_real.res_nsend ? shim_real.res_nsend(st, msg, mlen, ans, len)
						  : missing());
}

/* Binaries built before glibc 2.34 reference the __res_* names (resolv.h #defines). */
SHIM_EXPORT int __res_query(const char *d, int c, int t, unsigned char *a, int l)
{
	return res_query(d, c, t, a, l);
}

SHIM_EXPORT int __res_search(const char *d, int c, int t, unsigned char *a, int l)
{
	return res_search(d, c, t, a, l);
}

SHIM_EXPORT int __res_querydomain(const char *n, const char *d, int c, int t,
				  unsigned char *a, int l)
{
	return res_querydomain(n, d, c, t, a, l);
}

SHIM_EXPORT int __res_nquery(res_state s, const char *d, int c, int t, unsigned char *a, int l)
{
	return res_nquery(s, d, c, t, a, l);
}

SHIM_EXPORT int __res_nsearch(res_state s, const char *d, int c, int t, unsigned char *a, int l)
{
	return res_nsearch(s, d, c, t, a, l);
}

SHIM_EXPORT int __res_nquerydomain(res_state s, const char *n, const char *d, int c, int t,
				   unsigned char *a, int l)
{
	return res_nquerydomain(s, n, d, c, t, a, l);
}

SHIM_EXPORT int __res_send(const unsigned char *m, int ml, unsigned char *a, int l)
{
	return res_send(m, ml, a, l);
}

SHIM_EXPORT int __res_nsend(res_state s, const unsigned char *m, int ml, unsigned char *a, int l)
{
	return res_nsend(s, m, ml, a, l);
}

/*
 * getaddrinfo_a: glibc's worker threads call an internal getaddrinfo no hook
 * sees, so every request is answered here, synchronously, through the
 * broker; then the caller is notified as glibc would. gai_error() reads the
 * request's own status field and gai_suspend() treats requests it does not
 * know as finished, so both keep working.
 */
struct gai_notify {
	struct sigevent ev;
};

static void *gai_notify_thread(void *arg)
{
	struct gai_notify *n = arg;
	union sigval v = n->ev.sigev_value;
	void (*fn)(union sigval) = n->ev.sigev_notify_function;

	free(n);
	fn(v);
	return NULL;
}

SHIM_EXPORT int getaddrinfo_a(int mode, struct gaicb *list[], int nitems, struct sigevent *sevp)
{
	int i;

	shim_init();
	if (shim_inert && shim_real.getaddrinfo_a)
		return shim_real.getaddrinfo_a(mode, list, nitems, sevp);
	if (mode != GAI_WAIT && mode != GAI_NOWAIT)
		return EAI_SYSTEM;
	for (i = 0; i < nitems; i++) {
		if (!list[i])
			continue;
		list[i]->ar_result = NULL;
		list[i]->__return = getaddrinfo(list[i]->ar_name, list[i]->ar_service,
						list[i]->ar_request, &list[i]->ar_result);
	}
	if (mode == GAI_NOWAIT && sevp) {
		if (sevp->sigev_notify == SIGEV_SIGNAL) {
			sigqueue(getpid(), sevp->sigev_signo, sevp->sigev_value);
		} else if (sevp->sigev_notify == SIGEV_THREAD && sevp->sigev_notify_function) {
			struct gai_notify *n = malloc(sizeof(*n));
			pthread_t t;
			pthread_attr_t attr;

			if (n) {
				n->ev = *sevp;
				pthread_attr_init(&attr);
				pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
				if (pthread_create(&t, &attr, gai_notify_thread, n) != 0)
					free(n);
				pthread_attr_destroy(&attr);
			}
		}
	}
	return 0;
}
