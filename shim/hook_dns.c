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
#include <stdlib.h>
#include <string.h>

#include "shim/shim_int.h"

static int ask_broker(const char *name, int family, struct shim_reply *rep)
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
	rc = shim_chan_call(&m, rep);
	if (rc < 0) {
		shim_report("name lookup of", name, "dlpjail broker unreachable; refusing egress");
		return -EACCES;
	}
	if (rep->verdict != DLP_VERDICT_ALLOW) {
		/* the broker's reason never contains the name: it may be the secret */
		shim_report("name lookup", NULL, rep->reason);
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
	rc = ask_broker(node, h.ai_family, &rep);
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
	rc = ask_broker(name, af, &rep);
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
