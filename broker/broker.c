/* SPDX-License-Identifier: MIT */
/*
 * broker.c - Unix-socket server for shimmed processes (see broker.h).
 *
 * One detached thread per client connection, blocking I/O: a client is a
 * process (npm starts dozens), each asks one question at a time. Frames are
 * read into a bounded buffer and decoded strictly; anything malformed drops
 * that client with a logged error, never the broker. Handlers live in one
 * dispatch table keyed by message type.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/dnsgate.h"
#include "broker/dns/dns_msg.h"
#include "broker/event.h"
#include "broker/http/http_glue.h"
#include "broker/relay/tls_keys.h"
#include "broker/scan/scan.h"
#include "broker/seccomp/seccomp.h"
#include "broker/session.h"
#include "common/dlp_buf.h"
#include "common/dlp_err.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/wire.h"

#define CLIENT_MAX_STREAMS 256

struct stream {
	int64_t fd;
	bool used;
	char host[256];
	bool bound;                         /* host is a name the broker resolved to a */
	struct brk_addr a;
	int port;
	bool has_addr;
	struct brk_scan_stream *scan[2];    /* per direction, opened on first data */
	struct brk_http_glue http[2];       /* per direction: HTTP parts scanned decoded */
	struct dlp_buf dns_tcp;             /* partial DNS-over-TCP query */
};

struct client {
	struct brk_ctx *ctx;
	struct client *wd_next, *wd_prev;   /* the watchdog's list (its lock) */
	/*
	 * Progress record, read by the watchdog: busy_ms is when the request
	 * being handled arrived (0: waiting for one); the type, seq and fd are
	 * written before it. wlock makes this thread and the watchdog take
	 * turns on fd; once the watchdog has answered (abandoned), this
	 * thread sends nothing more and ends.
	 */
	atomic_long busy_ms;
	uint32_t busy_type, busy_seq;
	int64_t busy_fd;                    /* -1: the request names no fd */
	bool busy_noreply;                  /* DLP_DATA_NOREPLY: the shim awaits no answer */
	char busy_host[256];                /* a lookup's name, "" otherwise */
	pthread_mutex_t wlock;
	atomic_bool abandoned;
	int fd;
	pid_t pid;                          /* from SO_PEERCRED, not from the peer */
	uid_t uid;
	char exe[256];
	bool hello;
	struct dlp_buf in;
	msgpack_zone zone;
	unsigned nstreams;
	struct stream streams[CLIENT_MAX_STREAMS];
};

static long mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- helpers ---- */

static int send_all(int fd, const void *p, size_t n, int flags)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL | flags);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -EPIPE;
		if (r < 0)
			return -errno;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Caller holds c->wlock. */
static int reply_locked(struct client *c, struct dlp_msg *m, int flags)
{
	uint8_t out[DLP_WIRE_HEAD_MAX];
	size_t len;
	int rc;

	rc = dlp_wire_encode(m, out, sizeof(out), &len, NULL);
	if (rc < 0)
		return rc;
	return send_all(c->fd, out, len, flags);
}

static int reply(struct client *c, struct dlp_msg *m)
{
	int rc = -EPIPE;

	pthread_mutex_lock(&c->wlock);
	atomic_store(&c->busy_ms, 0);   /* answered: nothing for the watchdog */
	if (!atomic_load(&c->abandoned))
		rc = reply_locked(c, m, 0);
	pthread_mutex_unlock(&c->wlock);
	return rc;
}

static void verdict_msg(struct dlp_msg *mp, uint32_t type, uint32_t seq, int verdict,
			int err, const char *reason)
{
	struct dlp_msg m = { .type = type, .seq = seq };

	m.verdict = verdict == BRK_ALLOW ? DLP_VERDICT_ALLOW : DLP_VERDICT_DENY;
	DLP_SET(&m, DLP_K_VERDICT);
	if (verdict != BRK_ALLOW) {
		m.err = (uint32_t)err;
		DLP_SET(&m, DLP_K_ERRNO);
	}
	if (reason && *reason) {
		m.reason = reason;
		m.reason_len = strnlen(reason, 500);
		DLP_SET(&m, DLP_K_REASON);
	}
	*mp = m;
}

static int reply_verdict(struct client *c, uint32_t type, uint32_t seq, int verdict,
			 int err, const char *reason)
{
	struct dlp_msg m;

	verdict_msg(&m, type, seq, verdict, err, reason);
	return reply(c, &m);
}

static void stream_release(struct stream *s)
{
	dlp_buf_free(&s->dns_tcp);
	brk_scan_stream_close(s->scan[0]);
	brk_scan_stream_close(s->scan[1]);
	s->scan[0] = s->scan[1] = NULL;
	brk_http_glue_free(&s->http[0]);
	brk_http_glue_free(&s->http[1]);
}

static struct stream *stream_get(struct client *c, int64_t fd, bool create)
{
	unsigned i, free_slot = CLIENT_MAX_STREAMS;

	for (i = 0; i < c->nstreams; i++) {
		if (c->streams[i].used && c->streams[i].fd == fd)
			return &c->streams[i];
		if (!c->streams[i].used && free_slot == CLIENT_MAX_STREAMS)
			free_slot = i;
	}
	if (!create)
		return NULL;
	if (free_slot == CLIENT_MAX_STREAMS) {
		if (c->nstreams < CLIENT_MAX_STREAMS)
			free_slot = c->nstreams++;
		else
			free_slot = (unsigned)(fd % CLIENT_MAX_STREAMS); /* recycle */
	}
	stream_release(&c->streams[free_slot]);
	memset(&c->streams[free_slot], 0, sizeof(c->streams[free_slot]));
	dlp_buf_init(&c->streams[free_slot].dns_tcp, BRK_DNS_MSG_MAX + 2);
	c->streams[free_slot].used = true;
	c->streams[free_slot].fd = fd;
	c->streams[free_slot].port = -1;
	return &c->streams[free_slot];
}

/*
 * The line the shim prints after "dlpjail: blocked ": "VERB DEST: why".
 * DEST is the destination in its display form: a name the broker resolved
 * for an allowed host in clear, any other name through the display rule
 * (dnsgate.c), then the address. The shim splits at the first ": " and
 * never shows a name of its own.
 */
static void shim_line(struct brk_ctx *ctx, const char *verb, const char *name, bool displayed,
		      const struct brk_addr *a, int port, const char *why, char *dst, size_t cap)
{
	char known[256] = "", shown[DLP_REDACT_MAX + 300] = "", ip[BRK_ADDR_STRLEN] = "";
	bool v6 = a && a->v == 6;

	if (name && displayed)
		snprintf(shown, sizeof(shown), "%s", name);
	else if (a && brk_resolved_lookup(ctx->resolved, a, known, sizeof(known)) &&
		 (!name || !strcasecmp(name, known)))
		snprintf(shown, sizeof(shown), "%s", known);
	else if (name && *name)
		brk_dnsgate_show_name(ctx, name, shown, sizeof(shown));
	if (a)
		brk_addr_format(a, ip, sizeof(ip));
	if (!a)
		snprintf(dst, cap, "%s %s: %s", verb, shown[0] ? shown : "an unknown destination", why);
	else if (shown[0])
		snprintf(dst, cap, "%s %s (%s%s%s:%d): %s", verb, shown, v6 ? "[" : "", ip,
			 v6 ? "]" : "", port, why);
	else
		snprintf(dst, cap, "%s %s%s%s:%d: %s", verb, v6 ? "[" : "", ip, v6 ? "]" : "",
			 port, why);
}

/* ---- decisions ---- */

int brk_decide_connect(struct brk_ctx *ctx, pid_t pid, const char *exe,
		       const struct brk_addr *a, int port, const char *host_hint,
		       const char *via, char *reason, size_t rlen)
{
	return brk_decide_connect_ex(ctx, pid, exe, a, port, host_hint, via, 0, reason, rlen);
}

int brk_decide_connect_ex(struct brk_ctx *ctx, pid_t pid, const char *exe,
			  const struct brk_addr *a, int port, const char *host_hint,
			  const char *via, unsigned flags, char *reason, size_t rlen)
{
	struct brk_decision d;
	struct brk_event ev = { .op = "connect", .pid = pid, .exe = exe, .port = port };
	struct brk_addr canon;
	char host[DLP_REDACT_MAX + 300] = "", allow[BRK_ADDR_STRLEN];
	char rule[480];
	bool name_ok;

	brk_addr_canon(a, &canon);
	name_ok = brk_resolved_lookup(ctx->resolved, a, host, sizeof(host));
	if (!name_ok && host_hint)      /* a name no rule approved: display rule */
		brk_dnsgate_show_name(ctx, host_hint, host, sizeof(host));
	brk_policy_check_addr(ctx->policy, a, name_ok, &d);
	if (d.verdict == BRK_ALLOW || port == 53 || port == 853) {
		struct brk_decision e;
		if (brk_dnsgate_encrypted_dns(ctx->policy, a, port, &e))
			d = e;
		else if (port == 53 && d.verdict != BRK_ALLOW &&
			 brk_dnsgate_is_nameserver(ctx->dnsgate, a)) {
			/* the system's resolver: every query to it is judged as DNS */
			d.verdict = BRK_ALLOW;
			snprintf(d.rule, sizeof(d.rule), "nameserver (/etc/resolv.conf)");
			snprintf(d.reason, sizeof(d.reason), "system name server; queries are "
				 "checked one by one");
		}
	}
	/*
	 * A process without the shim sends plaintext nobody inspects: it may
	 * reach only destinations the policy names explicitly (an allow CIDR,
	 * or an address resolved for an exactly allowed host), plus the name
	 * servers, whose queries the supervisor reads.
	 */
	if ((flags & BRK_DECIDE_UNSHIMMED) && d.verdict == BRK_ALLOW &&
	    strncmp(d.rule, "allow ", 6) && strncmp(d.rule, "nameserver", 10) &&
	    !(name_ok && brk_policy_host_allowed_exactly(ctx->policy, host))) {
		d.verdict = BRK_DENY;
		snprintf(d.rule, sizeof(d.rule), "unshimmed");
		snprintf(d.reason, sizeof(d.reason), "process is not shimmed (static binary or "
			 "LD_PRELOAD dropped): only explicitly allowed destinations");
	} else if ((flags & BRK_DECIDE_UNSHIMMED) && d.verdict == BRK_ALLOW) {
		snprintf(d.reason, sizeof(d.reason), "explicitly allowed; process is not "
			 "shimmed, so its plaintext is not inspected");
	}
	/* the jail's own loopback server (issue 10 item 11): relayed and scanned;
	 * asked only when the policy refuses (the lookup is a netlink round trip) */
	if (d.verdict != BRK_ALLOW && ctx->own_listener && ctx->own_listener(pid, a, port))
		return BRK_ALLOW;
	ev.host = host[0] ? host : NULL;
	ev.addr = a;
	ev.verdict = d.verdict;
	ev.enforced = !ctx->monitor;
	ev.reason = d.reason;
	snprintf(rule, sizeof(rule), "%s%s%s", d.rule, via ? " via " : "", via ? via : "");
	ev.rule = rule;
	/* refused by the allow list (not by a deny or builtin rule): the
	 * summary offers the address itself as the allow line */
	if (d.verdict != BRK_ALLOW && (!strncmp(d.rule, "default-deny", 12) ||
				       !strncmp(d.rule, "rebinding", 9))) {
		brk_addr_format(&canon, allow, sizeof(allow));
		ev.allow = allow;
	}
	if (!((flags & BRK_DECIDE_QUIET_ALLOW) && d.verdict == BRK_ALLOW))
		brk_eventlog_write(ctx->log, &ev);
	if (reason)
		snprintf(reason, rlen, "%s", d.reason);
	if (d.verdict != BRK_ALLOW && ctx->monitor)
		return BRK_ALLOW;
	return d.verdict;
}

/* ---- handlers: one per request type ---- */

static int h_hello(struct client *c, const struct dlp_msg *m)
{
	struct dlp_msg ack = { .type = DLP_MSG_HELLO_ACK, .seq = m->seq };
	struct brk_event ev = { .op = "hello", .pid = c->pid, .port = -1,
				.verdict = BRK_ALLOW, .enforced = true };

	if (DLP_HAS(m, DLP_K_EXE))
		snprintf(c->exe, sizeof(c->exe), "%.*s", (int)m->exe_len, m->exe);
	if (m->pid != c->pid)
		dlp_log(DLP_LOG_DEBUG, "client says pid %lld, kernel says %ld",
			(long long)m->pid, (long)c->pid);
	if (!c->hello)
		brk_pidset_add(c->ctx->shimmed, c->pid);
	c->hello = true;
	ev.exe = c->exe;
	ev.reason = "process attached";
	if (dlp_log_get_level() >= DLP_LOG_DEBUG)
		brk_eventlog_write(c->ctx->log, &ev);
	ack.verdict = DLP_VERDICT_ALLOW;
	ack.flags = (c->ctx->monitor ? DLP_ACK_MONITOR : 0) | DLP_ACK_NOREPLY | DLP_ACK_TLS_POST |
		    (atomic_load(&c->ctx->relay) ? DLP_ACK_RELAY : 0) |
		    (c->ctx->persist_hit ? DLP_ACK_NOTE : 0);
	DLP_SET(&ack, DLP_K_VERDICT);
	DLP_SET(&ack, DLP_K_FLAGS);
	return reply(c, &ack);
}

static int h_connect(struct client *c, const struct dlp_msg *m)
{
	struct brk_addr a;
	struct stream *s;
	char reason[BRK_POLICY_REASON_MAX], line[BRK_POLICY_REASON_MAX + 400], host[256] = "";
	int v;

	if (brk_addr_from_bytes((int)m->family, m->addr, &a) < 0)
		return -EPROTO;
	if (DLP_HAS(m, DLP_K_HOST))
		snprintf(host, sizeof(host), "%.*s", (int)m->host_len, m->host);
	v = brk_decide_connect(c->ctx, c->pid, c->exe, &a, (int)m->port,
			       host[0] ? host : NULL, "shim", reason, sizeof(reason));
	if (v != BRK_ALLOW) {
		shim_line(c->ctx, "connect to", host[0] ? host : NULL, false, &a, (int)m->port,
			  reason, line, sizeof(line));
		return reply_verdict(c, DLP_MSG_VERDICT, m->seq, v, EACCES, line);
	}
	if (v == BRK_ALLOW && DLP_HAS(m, DLP_K_FD)) {
		s = stream_get(c, m->fd, true);
		/* a new connection on this fd: new scan and HTTP state */
		brk_scan_stream_close(s->scan[0]);
		brk_scan_stream_close(s->scan[1]);
		s->scan[0] = s->scan[1] = NULL;
		brk_http_glue_free(&s->http[0]);
		brk_http_glue_free(&s->http[1]);
		s->a = a;
		s->has_addr = true;
		s->port = (int)m->port;
		/* the shim's name for the peer is shown, never trusted (issue 10 item 6) */
		s->bound = brk_resolved_lookup(c->ctx->resolved, &a, s->host, sizeof(s->host));
		if (!s->bound)
			snprintf(s->host, sizeof(s->host), "%s", host);
	}
	return reply_verdict(c, DLP_MSG_VERDICT, m->seq, v, EACCES, reason);
}

/* RFC 6761: localhost and *.localhost are answered here, 127.0.0.1 and
 * ::1; the name never reaches a name server (glibc would ask one). */
static int resolve_localhost(struct client *c, struct dlp_msg *r, int family, const char *host)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 };
	static const uint8_t v6[16] = { [15] = 1 };
	struct brk_addr a;

	if (family != AF_INET6) {
		r->addrs[r->naddrs].family = AF_INET;
		memset(r->addrs[r->naddrs].addr, 0, 16);
		memcpy(r->addrs[r->naddrs++].addr, v4, 4);
		if (brk_addr_from_bytes(AF_INET, v4, &a) == 0)
			brk_resolved_add(c->ctx->resolved, host, &a);
	}
	if (family != AF_INET) {
		r->addrs[r->naddrs].family = AF_INET6;
		memcpy(r->addrs[r->naddrs++].addr, v6, 16);
		if (brk_addr_from_bytes(AF_INET6, v6, &a) == 0)
			brk_resolved_add(c->ctx->resolved, host, &a);
	}
	DLP_SET(r, DLP_K_ADDRS);
	return reply(c, r);
}

static int h_resolve(struct client *c, const struct dlp_msg *m)
{
	struct dlp_msg r = { .type = DLP_MSG_RESOLVED, .seq = m->seq };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char host[256], reason[BRK_POLICY_REASON_MAX];
	uint16_t qtype;
	int rc, v;

	snprintf(host, sizeof(host), "%.*s", (int)m->host_len, m->host);
	if (DLP_HAS(m, DLP_K_QTYPE))
		qtype = (uint16_t)m->qtype;
	else
		qtype = DLP_HAS(m, DLP_K_FAMILY) && m->family == AF_INET6 ? BRK_DNS_T_AAAA
									 : BRK_DNS_T_A;
	v = brk_dnsgate_judge(c->ctx, c->pid, c->exe, host, qtype,
			      DLP_HAS(m, DLP_K_FLAGS) && (m->flags & DLP_RESOLVE_JUDGE)
			      ? "res_query" : "getaddrinfo", reason, sizeof(reason));
	if (v != BRK_ALLOW)
		return reply_verdict(c, DLP_MSG_RESOLVED, m->seq, BRK_DENY, EACCES, reason);
	r.verdict = DLP_VERDICT_ALLOW;
	DLP_SET(&r, DLP_K_VERDICT);
	if (DLP_HAS(m, DLP_K_FLAGS) && (m->flags & DLP_RESOLVE_JUDGE))
		return reply(c, &r);    /* the shim's resolver asks the question itself */
	if (DLP_HAS(m, DLP_K_FAMILY) && (m->family == AF_INET || m->family == AF_INET6))
		hints.ai_family = (int)m->family;
	/* the caller's AI_ADDRCONFIG: no AAAA question on a host without IPv6 */
	if (DLP_HAS(m, DLP_K_FLAGS) && (m->flags & DLP_RESOLVE_ADDRCONFIG))
		hints.ai_flags |= AI_ADDRCONFIG;
	if (brk_dns_is_localhost(host))
		return resolve_localhost(c, &r, hints.ai_family, host);
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc == 0) {
		for (ai = res; ai && r.naddrs < DLP_WIRE_MAX_ADDRS; ai = ai->ai_next) {
			struct brk_addr a;
			unsigned i;
			bool dup = false;

			if (brk_addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a, NULL) < 0)
				continue;
			for (i = 0; i < r.naddrs; i++)
				if (!memcmp(r.addrs[i].addr, a.b, 16) &&
				    r.addrs[i].family == (a.v == 4 ? AF_INET : AF_INET6))
					dup = true;
			if (dup)
				continue;
			r.addrs[r.naddrs].family = a.v == 4 ? AF_INET : AF_INET6;
			memcpy(r.addrs[r.naddrs].addr, a.b, 16);
			r.naddrs++;
			brk_resolved_add(c->ctx->resolved, host, &a);
		}
		freeaddrinfo(res);
	}
	DLP_SET(&r, DLP_K_ADDRS);
	if (rc) {
		/* resolver error, passed on as an errno-ish hint: 0 = no such name */
		r.err = rc == EAI_NONAME || rc == EAI_NODATA ? 0 : EAGAIN;
		DLP_SET(&r, DLP_K_ERRNO);
	}
	return reply(c, &r);
}

/* The reason of an inbound finding's event (broker.c and the relay): a
 * credential coming in is no leak (a cloned repository, a package holding
 * the user's own token); a canary coming back is worth knowing about. */
const char *brk_inbound_reason(bool canary)
{
	return canary ? "canary token in received data (reported, not refused)"
		      : "credential in received data (reported, not refused)";
}

/* Inbound bytes that could not be decoded completely: passed (verdict
 * allow), one event per connection and direction, with host, reason and
 * how far decoding got. */
static void h_data_partial(struct client *c, struct brk_event *ev,
			   const struct brk_scan_result *res)
{
	char why[BRK_POLICY_REASON_MAX];

	snprintf(why, sizeof(why), "not fully scanned: %s (decoded layers cover the first "
		 "%llu bytes; raw matching covers all)", res->error, res->scanned);
	ev->verdict = BRK_ALLOW;
	ev->detector = NULL;
	ev->match = NULL;
	ev->layers = NULL;
	ev->rule = "scan-partial";
	ev->reason = why;
	brk_eventlog_write(c->ctx->log, ev);
}

static int h_data(struct client *c, const struct dlp_msg *m)
{
	struct brk_event ev = { .op = m->dir == DLP_DIR_RECV ? "recv" : "send",
				.pid = c->pid, .exe = c->exe, .port = -1 };
	struct stream *s = NULL;
	struct brk_scan_result res;
	char reason[BRK_POLICY_REASON_MAX], sni[256], sni_shown[DLP_REDACT_MAX + 300], layers[96];
	char line[BRK_POLICY_REASON_MAX + 400];
	const char *host, *shown;
	bool sni_pending = false;
	unsigned i;
	int rc = 0, sdir = m->dir == DLP_DIR_RECV ? BRK_SCAN_INGRESS : BRK_SCAN_EGRESS;
	/* inbound is no egress: findings become events, never a refusal, and
	 * the shim may send it without waiting for the (always allow) verdict */
	bool inbound = m->dir == DLP_DIR_RECV;
	bool noreply = inbound && DLP_HAS(m, DLP_K_FLAGS) && (m->flags & DLP_DATA_NOREPLY);
	bool raw_partial = false;
	unsigned long long raw_scanned = 0;
	char raw_why[sizeof(res.error)];

	if (DLP_HAS(m, DLP_K_FD))
		s = stream_get(c, m->fd, true);
	/* DNS to the session's proxy is judged by the proxy: once is enough */
	if (DLP_HAS(m, DLP_K_FLAGS) && (m->flags & DLP_DATA_DNS) && m->dir == DLP_DIR_SEND &&
	    !(s && s->has_addr && brk_dnsgate_is_proxy(c->ctx->dnsgate, &s->a))) {
		struct dlp_buf scratch;
		int v;

		dlp_buf_init(&scratch, BRK_DNS_MSG_MAX + 2);
		v = brk_dnsgate_raw(c->ctx, c->pid, c->exe, m->data, m->data_len,
				    m->socktype == SOCK_STREAM, s ? &s->dns_tcp : &scratch,
				    reason, sizeof(reason));
		dlp_buf_free(&scratch);
		if (v != BRK_ALLOW)
			return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_DENY, EACCES, reason);
	}
	/*
	 * host: the name home domains are matched against. Only a name the
	 * broker itself resolved to this connection's address counts; a name
	 * the client claims (the connect hint, SNI, curl --resolve) gets no
	 * home-domain exception of its own (issue 10 item 6).
	 */
	host = s && s->bound && s->host[0] ? s->host : NULL;
	shown = s && s->host[0] ? s->host : NULL;
	if (DLP_HAS(m, DLP_K_HOST)) {
		/* SNI from the TLS hooks: the name the process itself asked for;
		 * events show it in clear only when it is the approved name */
		snprintf(sni, sizeof(sni), "%.*s", (int)m->host_len, m->host);
		if (!(s && !strcasecmp(s->host, sni))) {
			shown = NULL;   /* not the approved name: display rule, below */
			sni_pending = true;
		} else {
			shown = sni;
		}
		/* the SNI picks among the names of the address, never adds one */
		host = s && s->has_addr && brk_resolved_has(c->ctx->resolved, sni, &s->a)
		       ? sni : NULL;
	}
	memset(&res, 0, sizeof(res));
	if (s) {
		struct brk_scan_stream **ss = &s->scan[m->dir & 1];
		if (!*ss && brk_scan_stream_open_dir(c->ctx->scan, sdir, ss) < 0) {
			res.blocked = 1;
			res.refused = 1;
			snprintf(res.error, sizeof(res.error), "out of memory for a scan stream");
		}
		/* inbound HTTP: the glue below decodes bodies by their encodings */
		if (*ss && sdir == BRK_SCAN_INGRESS)
			brk_scan_stream_set_light(*ss, !s->http[m->dir & 1].broken);
		if (*ss)
			rc = brk_scan_stream_feed(*ss, m->data, m->data_len, host, &res);
	} else {
		rc = brk_scan_buffer_dir(c->ctx->scan, sdir, m->data, m->data_len, host, &res);
	}
	if (rc == -ETIMEDOUT && sdir == BRK_SCAN_INGRESS)
		rc = 0;         /* partial: raw findings decide, the rest is passed */
	if (res.partial && s) {
		/* decided after the HTTP layer: it may decode that body itself */
		raw_partial = true;
		raw_scanned = res.scanned;
		snprintf(raw_why, sizeof(raw_why), "%s", res.error);
		res.partial = 0;
		res.error[0] = '\0';
	}
	if (s && !res.refused) {
		/* the same bytes as HTTP: decoded parts the raw scan cannot see;
		 * requests judged by the policy's method rules */
		int hrc;

		s->http[m->dir & 1].policy = c->ctx->policy;
		hrc = brk_http_glue_scan(&s->http[m->dir & 1], c->ctx->scan, m->chan, m->dir,
					     m->data, m->data_len, host, &res);
		if (hrc < 0 && rc == 0)
			rc = hrc;
	}
	if (s && m->dir == DLP_DIR_SEND && !res.blocked) {
		/* known secrets and canaries split over small messages (scan.h) */
		int src = brk_scan_split_feed(c->ctx->scan, host, m->data, m->data_len, &res);
		if (src < 0 && rc == 0)
			rc = src;
	}
	if (rc < 0 && !res.blocked) {
		res.blocked = 1;
		res.refused = 1;
		if (!res.error[0])
			snprintf(res.error, sizeof(res.error), "scanner error: %s", strerror(-rc));
	}
	if (raw_partial && !res.partial && !brk_http_glue_decoding(&s->http[m->dir & 1])) {
		res.partial = 1;
		res.scanned = raw_scanned;
		if (!res.error[0])
			snprintf(res.error, sizeof(res.error), "%s", raw_why);
	}
	if (res.partial && s && s->http[m->dir & 1].partial_said)
		res.partial = 0;        /* said once for this connection and direction */
	else if (res.partial && s)
		s->http[m->dir & 1].partial_said = 1;
	if (s && s->has_addr) {
		ev.addr = &s->a;
		ev.port = s->port;
	}
	if (sni_pending && (res.nfindings || res.refused)) {
		/* only for an event or a refusal: the display rule runs the scanner */
		brk_dnsgate_show_name(c->ctx, sni, sni_shown, sizeof(sni_shown));
		shown = sni_shown;
	}
	ev.host = shown;
	ev.enforced = !c->ctx->monitor;
	ev.layers = NULL;
	reason[0] = '\0';
	for (i = 0; i < res.nfindings; i++) {
		const struct brk_finding *f = &res.findings[i];
		bool in = inbound || f->received;
		bool deny = !in && !f->in_scope && f->action == BRK_SCAN_BLOCK;

		ev.verdict = deny ? BRK_DENY : BRK_ALLOW;
		ev.detector = f->detector;
		ev.match = f->redacted;
		ev.source = f->source;
		snprintf(layers, sizeof(layers), "%s%s%s", m->chan == DLP_CHAN_TLS
			 ? "tls-plaintext" : "raw", f->layers[0] ? ">" : "", f->layers);
		ev.layers = layers;
		if (in)
			ev.reason = brk_inbound_reason(f->canary);
		else if (f->canary)
			ev.reason = "canary token in outbound data (proof of exfiltration)";
		else if (f->in_scope)
			ev.reason = "credential sent to its own home domain";
		else if (!deny)
			ev.reason = "possible credential (this detector only warns)";
		else
			ev.reason = "credential sent outside its home domains";
		ev.rule = in ? "received" : f->canary ? "canary"
			: f->in_scope ? "home-domain" : "detector";
		/* allowed in-scope findings are logged only with a log file */
		brk_eventlog_write(c->ctx->log, &ev);
		if (deny && !reason[0]) {
			char from[300];

			brk_eventlog_from(c->ctx->log, f->canary ? NULL : f->source, from,
					  sizeof(from));
			snprintf(reason, sizeof(reason), "%s %s%s %s", f->canary ? "canary token"
				 : f->detector, f->redacted, from, f->canary ? "in outbound data"
				 : "leaving for a host outside its home domains");
		}
	}
	ev.source = NULL;
	if (inbound && res.refused && !(s && s->http[m->dir & 1].partial_said)) {
		/* never refused for what the scanner could not do: "not fully scanned" */
		res.partial = 1;
		if (s)
			s->http[m->dir & 1].partial_said = 1;
	}
	if (inbound)
		res.blocked = res.refused = 0;   /* findings were events above */
	if (noreply) {
		if (res.partial)
			h_data_partial(c, &ev, &res);
		return 0;
	}
	if (res.refused) {
		ev.verdict = BRK_DENY;
		ev.detector = NULL;
		ev.match = NULL;
		ev.layers = NULL;
		ev.rule = res.rule[0] ? res.rule : "scan-refused";
		ev.reason = res.error;
		brk_eventlog_write(c->ctx->log, &ev);
		if (!reason[0] && res.rule[0])
			snprintf(reason, sizeof(reason), "%s: refused by policy rule %s",
				 res.error, res.rule);
		else if (!reason[0])
			snprintf(reason, sizeof(reason), "cannot inspect %s data: %s",
				 sdir == BRK_SCAN_INGRESS ? "inbound" : "outbound", res.error);
	} else if (res.partial) {
		h_data_partial(c, &ev, &res);
	}
	if (!res.blocked)
		return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_ALLOW, 0, NULL);
	if (c->ctx->monitor)
		return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_ALLOW, EACCES, reason);
	shim_line(c->ctx, m->chan == DLP_CHAN_TLS ? (m->dir == DLP_DIR_RECV ? "TLS response from"
		  : "TLS send to") : m->dir == DLP_DIR_RECV ? "response from" : "send to",
		  shown, true, s && s->has_addr && m->chan != DLP_CHAN_TLS ? &s->a : NULL,
		  s ? s->port : -1, reason, line, sizeof(line));
	return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_DENY, EACCES, line);
}

/*
 * Ad hoc form (issue 10 item 8): a process that loaded the shim without the
 * launcher installed the seccomp backstop on itself and asks us to answer
 * its notifications. The pid is the kernel's (SO_PEERCRED), never the
 * peer's word; the fd is taken from that process.
 */
static int h_backstop(struct client *c, const struct dlp_msg *m)
{
	char why[160];
	int rc = -EOPNOTSUPP;

	if (c->ctx->adopt && m->fd >= 0 && m->fd <= INT32_MAX)
		rc = c->ctx->adopt(c->ctx, c->pid, (int)m->fd);
	if (rc == 0)
		return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_ALLOW, 0, NULL);
	snprintf(why, sizeof(why), "the broker cannot supervise this process: %s",
		 c->ctx->adopt ? strerror(-rc) : "not an ad hoc broker");
	return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_DENY, EPERM, why);
}

/*
 * Test hook (t/e2e/206-tls-keys-late.sh): with DLPJAIL_TEST_KEYLOG_DELAY_MS
 * in the broker's environment, each posted key-log line is handled that
 * much later, as by a broker busy elsewhere: the relay must hold the
 * records that need it (and reset past its wait). Nothing else changes.
 */
static void tls_test_delay(void)
{
	static int ms = -1;     /* racy first read: every thread computes the same */
	const char *e;

	if (ms < 0) {
		e = getenv("DLPJAIL_TEST_KEYLOG_DELAY_MS");
		ms = e ? atoi(e) : 0;
		if (ms < 0 || ms > 10000)
			ms = 0;
	}
	if (ms)
		usleep((useconds_t)ms * 1000);
}

/*
 * A hooked TLS library speaks (relay/tls_keys.h): a claim for the socket
 * with local address ADDR:PORT, one key-log line (DATA: a secret, never
 * logged), or a failed call asking whether the relay reset that socket
 * (the reply's reason is then the readable line the shim prints).
 */
static int h_tls(struct client *c, const struct dlp_msg *m)
{
	struct dlp_msg r;
	struct brk_addr la;
	char line[512];
	bool relay = brk_tls_keys_relay(c->ctx->tlskeys);  /* and it decrypts this one */
	int rc = 0;

	if ((m->flags & (DLP_TLS_CLAIM | DLP_TLS_STATUS)) &&
	    (!DLP_HAS(m, DLP_K_ADDR) || !DLP_HAS(m, DLP_K_PORT) || !DLP_HAS(m, DLP_K_FAMILY) ||
	     brk_addr_from_bytes((int)m->family, m->addr, &la) < 0))
		return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_DENY, EINVAL, NULL);
	if ((m->flags & DLP_TLS_KEYLOG) && (m->flags & DLP_TLS_POSTED))
		tls_test_delay();
	if (m->flags & DLP_TLS_CLAIM)
		rc = brk_tls_claim(c->ctx->tlskeys, &la, (int)m->port, c->pid);
	else if (m->flags & DLP_TLS_KEYLOG)
		rc = brk_tls_keylog(c->ctx->tlskeys, c->pid, m->data, m->data_len);
	else if ((m->flags & DLP_TLS_STATUS) &&
		 brk_tls_status(c->ctx->tlskeys, &la, (int)m->port, line, sizeof(line)))
		return reply_verdict(c, DLP_MSG_VERDICT, m->seq, BRK_DENY, ECONNRESET, line);
	relay = relay && (m->flags & DLP_TLS_KEYLOG) && rc == 1;
	if (rc < 0)
		dlp_log(DLP_LOG_DEBUG, "tls message from pid %ld: %s", (long)c->pid, strerror(-rc));
	if ((m->flags & DLP_TLS_KEYLOG) && (m->flags & DLP_TLS_POSTED))
		return 0;       /* posted: a record that needs it waits in the relay */
	verdict_msg(&r, DLP_MSG_VERDICT, m->seq, BRK_ALLOW, 0, NULL);
	r.flags = relay ? DLP_TLS_ACK_RELAY : 0;
	DLP_SET(&r, DLP_K_FLAGS);
	return reply(c, &r);
}

/*
 * A write the jail's read-only binds refused, seen by the shim (hook_fs.c):
 * an event when it aimed at a file that runs outside the jail (persist.h).
 * The kernel refused it already; this only tells. Never answered.
 */
static int h_note(struct client *c, const struct dlp_msg *m)
{
	struct brk_event ev = { .op = "write", .pid = c->pid, .exe = c->exe, .port = -1,
				.verdict = BRK_DENY, .enforced = true, .rule = "persist" };
	char path[PATH_MAX], shown[PATH_MAX > DLP_REDACT_MAX ? PATH_MAX : DLP_REDACT_MAX];
	char why[sizeof(shown) + 160];

	if (!(m->flags & DLP_NOTE_EROFS) || !c->ctx->persist_hit || !m->data_len ||
	    m->data_len >= sizeof(path) || m->data[0] != '/' || memchr(m->data, 0, m->data_len))
		return 0;
	memcpy(path, m->data, m->data_len);
	path[m->data_len] = '\0';
	if (!c->ctx->persist_hit(path))
		return 0;
	/* the name under a listed directory is the jailed code's choice
	 * (~/.config/systemd/user/TOKEN): one the engine flags is redacted */
	{
		const struct brk_scan_engine *e = atomic_load(&c->ctx->scan);
		struct brk_scan_result r;

		if (e && brk_scan_buffer(e, (const uint8_t *)path, m->data_len, NULL, &r) == 0 &&
		    (r.nfindings || r.blocked))
			dlp_redact((const uint8_t *)path, m->data_len, shown, sizeof(shown));
		else
			snprintf(shown, sizeof(shown), "%s", path);
	}
	snprintf(why, sizeof(why), "refused a write to %s, which runs outside the jail later "
		 "(read-only in the jail; a policy line `writable PATH` in your own file "
		 "allows it)", shown);
	ev.reason = why;
	dlp_log(DLP_LOG_WARN, "%s (pid %ld)", why, (long)c->pid);
	brk_eventlog_write(c->ctx->log, &ev);
	return 0;
}

typedef int brk_handler_fn(struct client *c, const struct dlp_msg *m);

static const struct {
	brk_handler_fn *fn;
	bool needs_hello;
} brk_handlers[DLP_MSG_TYPE_MAX + 1] = {
	[DLP_MSG_HELLO]   = { h_hello,   false },
	[DLP_MSG_CONNECT] = { h_connect, true },
	[DLP_MSG_RESOLVE] = { h_resolve, true },
	[DLP_MSG_DATA]    = { h_data,    true },
	[DLP_MSG_BACKSTOP] = { h_backstop, true },
	[DLP_MSG_TLS]     = { h_tls,     true },
	[DLP_MSG_NOTE]    = { h_note,    true },
	/* HELLO_ACK, RESOLVED, VERDICT are broker->shim only: NULL = protocol error */
};

/* ---- the watchdog: no request waits for a stuck handler forever ---- */

#define WD_TICK_MS 250
#define WD_POISON_MAX 64
/* Test hook (t/e2e/150-lifecycle.sh): with DLPJAIL_TEST_STALL set in the
 * broker's environment, a lookup of this reserved name (RFC 6761 .test),
 * or outbound data holding the marker, never returns, like a handler stuck
 * in a loop. Nothing else changes; the watchdog turns it into a refusal. */
#define WD_STALL_ENV "DLPJAIL_TEST_STALL"
#define WD_STALL_HOST "stall.dlpjail.test"
#define WD_STALL_DATA "dlpjail-test-stall"

struct brk_watchdog {
	pthread_mutex_t lock;               /* the list, the poison ring */
	pthread_cond_t wake;                /* CLOCK_MONOTONIC; signalled at stop */
	struct client *clients;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	bool stall_hook;
	/* streams (pid, fd) whose request was cut off: their data stays refused
	 * until a new connect on that fd, so a reconnected client cannot
	 * continue a split secret with a fresh scan state */
	struct { pid_t pid; int64_t fd; } poison[WD_POISON_MAX];
	unsigned npoison, next_poison;
};

static const char *wd_op(uint32_t type)
{
	switch (type) {
	case DLP_MSG_HELLO:   return "hello";
	case DLP_MSG_CONNECT: return "connect";
	case DLP_MSG_RESOLVE: return "resolve";
	default:              return "send";
	}
}

/* Was (pid, fd) cut off? clear: forget it (a new connection on the fd). */
static bool wd_poisoned(struct brk_watchdog *wd, pid_t pid, int64_t fd, bool clear)
{
	bool hit = false;
	unsigned i;

	if (!wd)
		return false;
	pthread_mutex_lock(&wd->lock);
	for (i = 0; i < wd->npoison && !hit; i++) {
		if (wd->poison[i].pid != pid || wd->poison[i].fd != fd)
			continue;
		hit = true;
		if (clear)
			wd->poison[i].pid = 0;
	}
	pthread_mutex_unlock(&wd->lock);
	return hit;
}

/* Caller holds wd->lock. */
static void wd_poison(struct brk_watchdog *wd, pid_t pid, int64_t fd)
{
	unsigned i = wd->npoison < WD_POISON_MAX ? wd->npoison++ : wd->next_poison++ % WD_POISON_MAX;

	wd->poison[i].pid = pid;
	wd->poison[i].fd = fd;
}

/*
 * Answer the request c is stuck on with a refusal, and shut the connection
 * so the shim reconnects to a fresh thread (or fails closed). Caller holds
 * wd->lock, which keeps c alive.
 */
static void wd_fire(struct brk_watchdog *wd, struct client *c, long since, unsigned limit)
{
	struct brk_event ev = { .pid = c->pid, .exe = c->exe, .port = -1, .verdict = BRK_DENY,
				.enforced = true, .rule = "watchdog" };
	char reason[96], exe[sizeof(c->exe)], shown[DLP_REDACT_MAX + 300], line[DLP_REDACT_MAX + 420];
	struct dlp_msg m;
	uint32_t type;

	pthread_mutex_lock(&c->wlock);
	if (atomic_load(&c->abandoned) || atomic_load(&c->busy_ms) != since) {
		pthread_mutex_unlock(&c->wlock);
		return;         /* answered meanwhile */
	}
	atomic_store(&c->abandoned, true);
	type = c->busy_type;
	snprintf(reason, sizeof(reason), "broker watchdog: no progress for %u s", limit);
	/* redacted, never the scanner's verdict on it: that may be what is stuck */
	shown[0] = '\0';
	if (c->busy_host[0])
		brk_dnsgate_redact_name(c->busy_host, shown, sizeof(shown));
	/* the shim prints "name lookup of SHOWN: why" as it is */
	snprintf(line, sizeof(line), "%s%s%s%s", shown[0] ? "name lookup of " : "", shown,
		 shown[0] ? ": " : "", reason);
	if (type != DLP_MSG_HELLO && !c->busy_noreply) {
		verdict_msg(&m, type == DLP_MSG_RESOLVE ? DLP_MSG_RESOLVED : DLP_MSG_VERDICT,
			    c->busy_seq, BRK_DENY, EACCES, line);
		(void)reply_locked(c, &m, MSG_DONTWAIT);
	}
	shutdown(c->fd, SHUT_RDWR);
	if (type == DLP_MSG_DATA && c->busy_fd >= 0)
		wd_poison(wd, c->pid, c->busy_fd);
	pthread_mutex_unlock(&c->wlock);
	memcpy(exe, c->exe, sizeof(exe));
	exe[sizeof(exe) - 1] = '\0';
	ev.op = wd_op(type);
	ev.exe = exe;
	ev.host = shown[0] ? shown : NULL;
	ev.reason = reason;
	brk_eventlog_write(c->ctx->log, &ev);
	dlp_log(DLP_LOG_WARN, "%s by pid %ld (%s) refused: %s", ev.op, (long)c->pid,
		exe[0] ? exe : "?", reason);
}

static void *wd_main(void *arg)
{
	struct brk_ctx *ctx = arg;
	struct brk_watchdog *wd = ctx->watchdog;
	struct timespec until;
	struct client *c;

	pthread_mutex_lock(&wd->lock);
	while (!atomic_load(&wd->stop)) {
		unsigned limit = brk_policy_watchdog(ctx->policy);
		long now, since;

		/* a tick, or at once when brk_serve_stop() signals: every
		 * jailed command would otherwise wait up to a tick at exit */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WD_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wd->wake, &wd->lock, &until);
		if (limit == 0 || atomic_load(&wd->stop))
			continue;
		now = mono_ms();
		for (c = wd->clients; c; c = c->wd_next) {
			since = atomic_load(&c->busy_ms);
			if (since && now - since >= (long)limit * 1000)
				wd_fire(wd, c, since, limit);
		}
	}
	pthread_mutex_unlock(&wd->lock);
	return NULL;
}

static void wd_add(struct brk_watchdog *wd, struct client *c)
{
	pthread_mutex_lock(&wd->lock);
	c->wd_next = wd->clients;
	if (wd->clients)
		wd->clients->wd_prev = c;
	wd->clients = c;
	pthread_mutex_unlock(&wd->lock);
}

static void wd_del(struct brk_watchdog *wd, struct client *c)
{
	pthread_mutex_lock(&wd->lock);
	if (c->wd_prev)
		c->wd_prev->wd_next = c->wd_next;
	else if (wd->clients == c)
		wd->clients = c->wd_next;
	if (c->wd_next)
		c->wd_next->wd_prev = c->wd_prev;
	c->wd_next = c->wd_prev = NULL;
	pthread_mutex_unlock(&wd->lock);
}

static bool wd_stall_request(const struct brk_watchdog *wd, const struct dlp_msg *m)
{
	if (!wd->stall_hook)
		return false;
	if (m->type == DLP_MSG_DATA)
		return m->dir == DLP_DIR_SEND && m->data_len &&
		       memmem(m->data, m->data_len, WD_STALL_DATA, sizeof(WD_STALL_DATA) - 1);
	return m->type == DLP_MSG_RESOLVE && m->host_len == sizeof(WD_STALL_HOST) - 1 &&
	       !memcmp(m->host, WD_STALL_HOST, sizeof(WD_STALL_HOST) - 1);
}

/* ---- client thread ---- */

static void client_free(struct client *c)
{
	unsigned i;

	wd_del(c->ctx->watchdog, c);
	for (i = 0; i < c->nstreams; i++)
		stream_release(&c->streams[i]);
	if (c->hello)
		brk_pidset_del(c->ctx->shimmed, c->pid);
	close(c->fd);
	dlp_buf_free(&c->in);
	msgpack_zone_destroy(&c->zone);
	pthread_mutex_destroy(&c->wlock);
	atomic_fetch_sub(&c->ctx->nclients, 1);
	atomic_store(&c->ctx->last_activity, mono_now());
	free(c);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct dlp_msg m;
	uint8_t hdr[DLP_WIRE_HDR_LEN], *dst;
	const char *why = NULL;
	uint32_t len;
	int rc;

	for (;;) {
		rc = read_all(c->fd, hdr, sizeof(hdr));
		if (rc == -EPIPE)
			break;          /* client went away: normal */
		if (rc < 0) {
			why = "read error";
			break;
		}
		rc = dlp_wire_frame_len(hdr, &len);
		if (rc < 0) {
			why = rc == -EMSGSIZE ? "frame larger than the protocol maximum"
					      : "empty frame";
			break;
		}
		dlp_buf_reset(&c->in);
		if (dlp_buf_reserve(&c->in, len, &dst) < 0 || read_all(c->fd, dst, len) < 0) {
			why = "truncated frame";
			break;
		}
		msgpack_zone_clear(&c->zone);
		rc = dlp_wire_decode(dst, len, &c->zone, &m, &why);
		if (rc < 0)
			break;
		if (!brk_handlers[m.type].fn) {
			why = "message type not accepted by the broker";
			break;
		}
		if (brk_handlers[m.type].needs_hello && !c->hello) {
			why = "request before hello";
			break;
		}
		atomic_store(&c->ctx->last_activity, mono_now());
		c->busy_type = m.type;
		c->busy_seq = m.seq;
		c->busy_fd = DLP_HAS(&m, DLP_K_FD) ? m.fd : -1;
		c->busy_noreply = (m.type == DLP_MSG_DATA && m.dir == DLP_DIR_RECV &&
				   DLP_HAS(&m, DLP_K_FLAGS) && (m.flags & DLP_DATA_NOREPLY)) ||
				  (m.type == DLP_MSG_TLS && (m.flags & DLP_TLS_KEYLOG) &&
				   (m.flags & DLP_TLS_POSTED)) || m.type == DLP_MSG_NOTE;
		if (m.type == DLP_MSG_RESOLVE)
			snprintf(c->busy_host, sizeof(c->busy_host), "%.*s", (int)m.host_len, m.host);
		else
			c->busy_host[0] = '\0';
		atomic_store(&c->busy_ms, mono_ms());
		while (wd_stall_request(c->ctx->watchdog, &m))
			sleep(60);
		if (m.type == DLP_MSG_CONNECT && c->busy_fd >= 0)
			wd_poisoned(c->ctx->watchdog, c->pid, c->busy_fd, true);
		if (m.type == DLP_MSG_DATA && c->busy_fd >= 0 &&
		    wd_poisoned(c->ctx->watchdog, c->pid, c->busy_fd, false))
			rc = c->busy_noreply ? 0 : reply_verdict(c, DLP_MSG_VERDICT, m.seq, BRK_DENY, EACCES,
					   "an earlier request on this connection was cut off "
					   "by the broker watchdog");
		else {
			atomic_fetch_add(&c->ctx->nbusy, 1);
			rc = brk_handlers[m.type].fn(c, &m);
			atomic_fetch_sub(&c->ctx->nbusy, 1);
		}
		atomic_store(&c->busy_ms, 0);
		if (atomic_load(&c->abandoned))
			break;          /* the watchdog answered and shut the connection */
		if (rc == -EPROTO) {
			why = "invalid field value";
			break;
		}
		if (rc < 0) {
			why = NULL;     /* peer gone while we replied */
			break;
		}
	}
	if (why)
		dlp_log(DLP_LOG_ERR, "dropping client pid %ld (%s): malformed frame: %s",
			(long)c->pid, c->exe[0] ? c->exe : "?", why);
	client_free(c);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct brk_ctx *ctx = arg;
	struct pollfd pfd = { .fd = ctx->listen_fd, .events = POLLIN };

	while (!atomic_load(&ctx->stopping)) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		struct client *c;
		pthread_attr_t attr;
		pthread_t t;
		int fd;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		fd = accept4(ctx->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
		    (cred.uid != getuid() && cred.uid != 0)) {
			dlp_log(DLP_LOG_WARN, "refusing a client of another user (uid %ld)",
				(long)cred.uid);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ctx = ctx;
		c->fd = fd;
		c->busy_fd = -1;
		pthread_mutex_init(&c->wlock, NULL);
		if (cred.pid == getpid()) {
			/* a jailed process's connect, performed by our seccomp supervisor */
			pid_t caller = brk_sc_unix_caller(fd);

			if (caller > 0)
				cred.pid = caller;
		}
		c->pid = cred.pid;
		c->uid = cred.uid;
		dlp_buf_init(&c->in, DLP_WIRE_MAX_FRAME);
		msgpack_zone_init(&c->zone, 4096);
		atomic_fetch_add(&ctx->nclients, 1);
		wd_add(ctx->watchdog, c);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&t, &attr, client_main, c) != 0) {
			dlp_log(DLP_LOG_ERR, "cannot start a client thread; refusing client");
			client_free(c);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

/* ---- lifecycle ---- */

int brk_ctx_init(struct brk_ctx *ctx, struct brk_policy *policy, const char *log_path,
		 const char *const *extra, size_t nextra, char *err, size_t errlen)
{
	struct brk_scan_config cfg = { 0 };
	struct brk_scan_engine *eng = NULL;
	const char *const *pc;
	const char **all = NULL;
	size_t npc, i;
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->listen_fd = -1;
	ctx->policy = policy;
	ctx->monitor = brk_policy_monitor(policy);
	atomic_store(&ctx->last_activity, mono_now());
	rc = brk_eventlog_open(log_path, &ctx->log);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open event log %s: %s", log_path, strerror(-rc));
		return rc;
	}
	brk_eventlog_policy_notes(ctx->log, policy);
	rc = brk_resolved_new(&ctx->resolved);
	if (rc == 0)
		rc = brk_pidset_new(&ctx->shimmed);
	if (rc == 0)
		rc = brk_tls_keys_new(&ctx->tlskeys);
	if (rc == 0) {
		ctx->watchdog = calloc(1, sizeof(*ctx->watchdog));
		if (!ctx->watchdog)
			rc = -ENOMEM;
	}
	if (rc < 0)
		goto fail;
	pthread_mutex_init(&ctx->watchdog->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&ctx->watchdog->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	ctx->watchdog->stall_hook = getenv(WD_STALL_ENV) != NULL;
	npc = brk_policy_canaries(policy, &pc);
	all = calloc(npc + nextra + 1, sizeof(*all));
	if (!all) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < npc; i++)
		all[i] = pc[i];
	for (i = 0; i < nextra; i++)
		all[npc + i] = extra[i];
	cfg.canaries = all;
	cfg.ncanaries = npc + nextra;
	cfg.nextra_home = brk_policy_homes(policy, &cfg.extra_home);
	cfg.nuser_hosts = brk_policy_user_hosts(policy, &cfg.user_hosts);
	cfg.background = 1;  /* a cache miss compiles while the command starts */
	cfg.known_follows = 1;  /* both callers add the known secrets next */
	cfg.lazy = 1;  /* set up at the first scan: a session that never sends pays nothing */
	rc = brk_scan_engine_new(&cfg, &eng);
	ctx->scan = eng;
	free(all);
	if (rc < 0) {
		snprintf(err, errlen, "scanning engine: %s", rc == -EINVAL
			 ? "a 'home' line names an unknown detector" : strerror(-rc));
		brk_ctx_fini(ctx);
		return rc;
	}
	brk_eventlog_set_scan(ctx->log, ctx->scan);
	rc = brk_dnsgate_new(ctx, &ctx->dnsgate, err, errlen);
	if (rc < 0) {
		brk_ctx_fini(ctx);
		return rc;
	}
	return 0;
fail:
	snprintf(err, errlen, "broker setup failed: %s", strerror(-rc));
	brk_ctx_fini(ctx);
	return rc;
}

void brk_ctx_fini(struct brk_ctx *ctx)
{
	brk_serve_stop(ctx);
	brk_eventlog_close(ctx->log);
	brk_resolved_free(ctx->resolved);
	brk_pidset_free(ctx->shimmed);
	ctx->shimmed = NULL;
	brk_tls_keys_free(ctx->tlskeys);
	ctx->tlskeys = NULL;
	brk_scan_engine_free(ctx->scan);
	ctx->scan = NULL;
	brk_dnsgate_free(ctx->dnsgate);
	ctx->dnsgate = NULL;
	if (ctx->watchdog) {
		pthread_mutex_destroy(&ctx->watchdog->lock);
		pthread_cond_destroy(&ctx->watchdog->wake);
		free(ctx->watchdog);
		ctx->watchdog = NULL;
	}
	brk_policy_free(ctx->policy);
	ctx->log = NULL;
	ctx->resolved = NULL;
	ctx->policy = NULL;
}

int brk_listen(struct brk_ctx *ctx, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 256) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	chmod(path, 0600);
	ctx->listen_fd = fd;
	snprintf(ctx->sock_path, sizeof(ctx->sock_path), "%s", path);
	return 0;
}

int brk_serve_start(struct brk_ctx *ctx)
{
	int rc = pthread_create(&ctx->accept_thread, NULL, accept_main, ctx);

	if (rc)
		return -rc;
	ctx->accepting = true;
	rc = pthread_create(&ctx->watchdog->thread, NULL, wd_main, ctx);
	if (rc) {
		brk_serve_stop(ctx);
		return -rc;
	}
	ctx->watchdog->running = true;
	return 0;
}

void brk_serve_stop(struct brk_ctx *ctx)
{
	atomic_store(&ctx->stopping, true);
	if (ctx->watchdog && ctx->watchdog->running) {
		pthread_mutex_lock(&ctx->watchdog->lock);
		atomic_store(&ctx->watchdog->stop, true);
		pthread_cond_signal(&ctx->watchdog->wake);
		pthread_mutex_unlock(&ctx->watchdog->lock);
		pthread_join(ctx->watchdog->thread, NULL);
		ctx->watchdog->running = false;
	}
	if (ctx->accepting) {
		/* wakes the accept thread's poll now, not at its next timeout */
		if (ctx->listen_fd >= 0)
			shutdown(ctx->listen_fd, SHUT_RDWR);
		pthread_join(ctx->accept_thread, NULL);
		ctx->accepting = false;
	}
	if (ctx->listen_fd >= 0) {
		close(ctx->listen_fd);
		ctx->listen_fd = -1;
		if (ctx->sock_path[0])
			unlink(ctx->sock_path);
	}
}

/* Same lines in the same order? */
static bool same_lines(size_t na, const char *const *a, size_t nb, const char *const *b)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

int brk_ctx_set_policy(struct brk_ctx *ctx, struct brk_policy *policy,
		       struct brk_policy **old_policy, struct brk_scan_engine **old_scan,
		       char *err, size_t errlen)
{
	struct brk_policy *cur = ctx->policy;
	struct brk_scan_config cfg = { 0 };
	struct brk_scan_engine *eng = NULL;
	const char *const *a, *const *b;
	size_t na, nb;
	int rc;

	*old_policy = NULL;
	*old_scan = NULL;
	/* always a new engine: canaries, homes and user hosts come from the policy */
	cfg.ncanaries = brk_policy_canaries(policy, &cfg.canaries);
	cfg.nextra_home = brk_policy_homes(policy, &cfg.extra_home);
	cfg.nuser_hosts = brk_policy_user_hosts(policy, &cfg.user_hosts);
	cfg.known_follows = 1;  /* brk_scan_engine_copy_known() below */
	rc = brk_scan_engine_new(&cfg, &eng);
	if (rc < 0) {
		snprintf(err, errlen, "scanning engine: %s", rc == -EINVAL
			 ? "a 'home' line names an unknown detector" : strerror(-rc));
		brk_policy_free(policy);
		return rc;
	}
	/* the known secrets collected at start go on to the new engine */
	rc = brk_scan_engine_copy_known(eng, atomic_load(&ctx->scan));
	if (rc < 0) {
		snprintf(err, errlen, "known secrets: %s", strerror(-rc));
		brk_scan_engine_free(eng);
		brk_policy_free(policy);
		return rc;
	}
	na = brk_policy_dns(cur, &a);
	nb = brk_policy_dns(policy, &b);
	if (!same_lines(na, a, nb, b))
		dlp_log(DLP_LOG_WARN, "policy reload: 'dns' settings changed; they apply when "
			"the broker restarts (dlpjail broker --stop)");
	*old_scan = atomic_exchange(&ctx->scan, eng);
	atomic_store(&ctx->monitor, brk_policy_monitor(policy));
	*old_policy = atomic_exchange(&ctx->policy, policy);
	return 0;
}
