/* SPDX-License-Identifier: MIT */
/*
 * sc_decide.c - the seccomp supervisor's questions answered by the broker,
 * for the launcher and the ad hoc broker alike (see sc_decide.h). Moved
 * here from launcher.c (sc_decide, sc_refused, sc_unix, the UDP gate) and
 * adhoc_sc.c (its copy of sc_decide), so both forms share every rule.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/addr.h"
#include "broker/broker.h"
#include "broker/dnsgate.h"
#include "broker/event.h"
#include "broker/policy.h"
#include "broker/relay/relay.h"
#include "broker/sc_decide.h"
#include "broker/seccomp/seccomp.h"
#include "broker/session.h"

/* The last exe scd_decide read on this thread: the relay's adopt right
 * after it names the same process (one readlink per connect, not two). */
static __thread struct {
	pid_t pid;
	char exe[256];
} scd_last;

static void proc_exe(pid_t pid, char *dst, size_t cap)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	n = readlink(path, dst, cap - 1);
	dst[n > 0 ? n : 0] = '\0';
}

/*
 * UDP (issue 10 item 4): a datagram goes only to the session's DNS proxy,
 * port 53, which judges each question itself; without a proxy (no mount
 * namespace; the ad hoc form, which has no private /etc) only to port 53
 * of the host's name servers, whose addressed queries are judged in
 * scd_decide; and to the jail's own UDP sockets on loopback. Everything
 * else, DNS-shaped payloads to other ports included, is refused with an
 * event. 0 allow, else EACCES.
 */
static int scd_udp_gate(const struct brk_scd *d, const struct brk_sc_req *req,
			const struct brk_addr *a, uint16_t port, const char *exe, char *why,
			size_t whylen)
{
	struct brk_ctx *ctx = d->ctx;
	bool proxy = brk_dnsgate_is_proxy(ctx->dnsgate, a);
	struct brk_event ev = { .op = req->op == BRK_SC_CONNECT ? "connect" : "sendto",
				.pid = req->tgid, .exe = exe, .addr = a, .port = port,
				.verdict = BRK_DENY, .enforced = !ctx->monitor, .rule = "udp",
				.layers = "seccomp" };

	if (port == 53 && (proxy || (!brk_dnsgate_has_proxy(ctx->dnsgate) &&
				     brk_dnsgate_is_nameserver(ctx->dnsgate, a))))
		return 0;
	if (brk_sc_own_datagram_dest(&req->addr, d->root))
		return 0; /* the jail's own UDP socket on loopback: the bytes stay inside */
	snprintf(why, whylen, "UDP goes only to the session's DNS proxy (port 53)%s",
		 req->payload || port == 53 ? ", not to another name server" : "");
	ev.reason = why;
	brk_eventlog_write(ctx->log, &ev);
	return ctx->monitor ? 0 : EACCES;
}

static int scd_decide(void *arg, const struct brk_sc_req *req, char *why, size_t whylen)
{
	const struct brk_scd *d = arg;
	struct brk_ctx *ctx = d->ctx;
	struct brk_addr a;
	uint16_t port = 0;
	char exe[256], rule[64];
	bool shimmed = brk_pidset_has(ctx->shimmed, req->tgid);
	unsigned flags = shimmed ? BRK_DECIDE_QUIET_ALLOW : BRK_DECIDE_UNSHIMMED;

	if (brk_addr_from_sockaddr((const struct sockaddr *)&req->addr, req->addrlen, &a,
				   &port) < 0) {
		snprintf(why, whylen, "unsupported address");
		return EACCES;
	}
	if (req->exe[0]) /* the supervisor's, while the process has not exec'd */
		snprintf(exe, sizeof(exe), "%s", req->exe);
	else
		proc_exe(req->tgid, exe, sizeof(exe));
	scd_last.pid = req->tgid;
	snprintf(scd_last.exe, sizeof(scd_last.exe), "%s", exe);
	if (req->socktype == SOCK_DGRAM && scd_udp_gate(d, req, &a, port, exe, why, whylen))
		return EACCES;
	/*
	 * A shimmed process's query was judged by the shim's resolver hooks,
	 * and the DNS proxy judges every question it gets; without a proxy
	 * (the ad hoc form, no mount namespace) a shimmed process's datagram
	 * may come from a raw syscall the hooks never saw: judge it here.
	 */
	if (req->payload && port == 53 &&
	    (!shimmed || !brk_dnsgate_has_proxy(ctx->dnsgate)) &&
	    brk_dnsgate_raw(ctx, req->tgid, exe, req->payload, req->payload_len, false, NULL,
			    why, whylen) != BRK_ALLOW)
		return EACCES;
	snprintf(rule, sizeof(rule), "%s%s", d->rule, shimmed ? "" : ", unshimmed");
	if (brk_decide_connect_ex(ctx, req->tgid, exe, &a, port, NULL, rule, flags,
				  why, whylen) != BRK_ALLOW)
		return EACCES;
	return 0;
}

static void scd_refused(void *arg, pid_t tid, const char *what)
{
	const struct brk_scd *d = arg;
	char exe[256];
	struct brk_event ev = { .op = "refuse", .pid = tid, .port = -1, .verdict = BRK_DENY,
				.enforced = true, .rule = d->rule, .reason = what };

	proc_exe(tid, exe, sizeof(exe));
	ev.exe = exe;
	brk_eventlog_write(d->ctx->log, &ev);
}

/*
 * Unix sockets (issue 10 item 4): the jail's own (listeners it opened,
 * datagram sockets it holds) and the broker's pass; any other only when a
 * "unix PATH" policy line names it. A socket out of the jail is a way
 * around every check (D-Bus to systemd-run, docker, ssh-agent, nscd).
 */
static int scd_unix(void *arg, pid_t tgid, pid_t tid, const char *path, const struct stat *st,
		    bool own, char *why, size_t whylen)
{
	const struct brk_scd *d = arg;
	char full[PATH_MAX + 110], cwd[PATH_MAX], link[64];
	const char *p = path;
	ssize_t n;

	(void)tgid;
	if (own || (st && d->broker_sock.st_ino && st->st_dev == d->broker_sock.st_dev &&
		    st->st_ino == d->broker_sock.st_ino))
		return 0;
	if (path[0] != '/' && path[0] != '@') { /* relative: the policy names absolute paths */
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		cwd[n > 0 ? n : 0] = '\0';
		snprintf(full, sizeof(full), "%s/%s", cwd, path);
		p = full;
	}
	if (brk_policy_unix_allowed(d->ctx->policy, p))
		return 0;
	snprintf(why, whylen, "AF_UNIX %.100s: not the jail's own socket, and no 'unix' policy "
		 "line names it", p);
	if (d->ctx->monitor) {
		scd_refused(arg, tid, why);
		return 0;
	}
	return EACCES;
}

/* Allowed by scd_unix() whatever "own" says: the broker's socket, a 'unix' line. */
static bool scd_unix_known(void *arg, const char *path, const struct stat *st)
{
	const struct brk_scd *d = arg;

	if (st && d->broker_sock.st_ino && st->st_dev == d->broker_sock.st_dev &&
	    st->st_ino == d->broker_sock.st_ino)
		return true;
	return (path[0] == '/' || path[0] == '@') && brk_policy_unix_allowed(d->ctx->policy, path);
}

static int scd_relay_addr(void *arg, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	const struct brk_scd *d = arg;

	return brk_relay_addr(d->relay, family, ss, len);
}

static int scd_relay_attach(void *arg, const struct brk_sc_req *req,
			    const struct sockaddr_storage *jail_local, socklen_t jlen, int ufd)
{
	const struct brk_scd *d = arg;

	return brk_relay_attach(d->relay, jail_local, jlen, ufd, req->tgid,
				(const struct sockaddr *)&req->addr, req->addrlen);
}

static int scd_relay_adopt(void *arg, const struct brk_sc_req *req,
			   const struct sockaddr_storage *jail_local, socklen_t jlen, int jfd, int ufd)
{
	const struct brk_scd *d = arg;
	const char *exe = req->exe[0] ? req->exe :
			  scd_last.pid == req->tgid && scd_last.exe[0] ? scd_last.exe : NULL;

	return brk_relay_adopt(d->relay, jail_local, jlen, jfd, ufd, req->tgid, exe,
			       (const struct sockaddr *)&req->addr, req->addrlen);
}

static const struct brk_sc_ops scd_ops = {
	.decide = scd_decide,
	.refused = scd_refused,
	.unix_path = scd_unix,
	.unix_known = scd_unix_known,
};

static const struct brk_sc_ops scd_ops_relay = {
	.decide = scd_decide,
	.refused = scd_refused,
	.unix_path = scd_unix,
	.relay_addr = scd_relay_addr,
	.relay_attach = scd_relay_attach,
	.unix_known = scd_unix_known,
	.relay_adopt = scd_relay_adopt,
};

const struct brk_sc_ops *brk_scd_ops(const struct brk_scd *d)
{
	return d->relay ? &scd_ops_relay : &scd_ops;
}

bool brk_scd_own_listener(struct brk_sc *sc, pid_t pid, const struct brk_addr *a, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	if (!sc || port <= 0 || port > 65535)
		return false;
	memset(&ss, 0, sizeof(ss));
	if (a->v == 4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, a->b, 4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a->b, 16);
	}
	return brk_sc_own_listener(sc, pid, &ss);
}
