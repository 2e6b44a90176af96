/* SPDX-License-Identifier: MIT */
/*
 * hook_net.c - socket hooks: connect and the send/write family (egress,
 * fail closed), socket/accept (classification), and the fd lifecycle
 * hooks close, close_range, closefrom, dup, dup2, dup3 and fcntl that keep our broker fd
 * alive and the fd table right (never fail because of us).
 *
 * Hot path: a write() on a non-inet fd costs one byte load from fdtab and
 * the real call. Only inet sockets reach the broker; a TCP socket whose
 * first bytes are a TLS ClientHello ships that hello (for SNI) and then
 * passes its ciphertext through: its plaintext is judged at the TLS
 * library boundary instead.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "shim/shim_int.h"
#include "shim/tls_int.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void fmt_dest(const struct sockaddr *sa, char *dst, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	char port[8];
	size_t l, pl;
	unsigned p = 0;

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
		p = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
		p = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	}
	pl = dlp_fmt_uint(port, sizeof(port), p);
	l = strlen(ip);
	if (l + pl + 4 > cap) {
		dst[0] = '\0';
		return;
	}
	if (sa->sa_family == AF_INET6) {
		dst[0] = '[';
		memcpy(dst + 1, ip, l);
		dst[l + 1] = ']';
		l += 2;
	} else {
		memcpy(dst, ip, l);
	}
	dst[l] = ':';
	memcpy(dst + l + 1, port, pl);
	dst[l + 1 + pl] = '\0';
}

/* AS-SAFE apart from the broker round trip's mutex (signals blocked there). */
int shim_check_dest(int fd, const struct sockaddr *sa, socklen_t len, int socktype)
{
	struct dlp_msg m = { .type = DLP_MSG_CONNECT };
	struct shim_reply rep;
	char dest[64];
	int rc;

	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		memcpy(m.addr, &s4->sin_addr, 4);
		m.port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(m.addr, &s6->sin6_addr, 16);
		m.port = ntohs(s6->sin6_port);
	} else {
		errno = EINVAL;   /* what the kernel says for a short address */
		return -1;
	}
	m.family = sa->sa_family;
	m.fd = fd;
	m.socktype = (uint32_t)socktype;
	DLP_SET(&m, DLP_K_FD);
	DLP_SET(&m, DLP_K_FAMILY);
	DLP_SET(&m, DLP_K_ADDR);
	DLP_SET(&m, DLP_K_PORT);
	DLP_SET(&m, DLP_K_SOCKTYPE);
	rc = shim_chan_call(&m, &rep);
	fmt_dest(sa, dest, sizeof(dest));
	if (rc < 0) {
		shim_report("connect to", dest, "dlpjail broker unreachable; refusing egress");
		errno = EACCES;
		return -1;
	}
	if (rep.verdict != DLP_VERDICT_ALLOW) {
		shim_report_reply("connect to", dest, rep.reason);
		errno = EACCES;
		return -1;
	}
	return 0;
}

static int check_dir(int fd, const void *p, size_t len, int chan, uint32_t flags, int socktype,
		     uint32_t dir);

int shim_check_data(int fd, const void *p, size_t len, int chan, uint32_t flags, int socktype)
{
	return check_dir(fd, p, len, chan, flags, socktype, DLP_DIR_SEND);
}

/*
 * Inbound plain bytes: never refused, their findings are events. Under the
 * egress relay the relay reads this very stream (one inspection per byte):
 * nothing to send. Without it, the broker gets them without a round trip.
 */
int shim_check_recv(int fd, const void *p, size_t len)
{
	struct dlp_msg m = { .type = DLP_MSG_DATA, .fd = fd, .dir = DLP_DIR_RECV,
			     .chan = DLP_CHAN_PLAIN };
	size_t off = 0, n;

	if (len == 0 || shim_chan_relayed())
		return 0;
	DLP_SET(&m, DLP_K_FD);
	DLP_SET(&m, DLP_K_DIR);
	DLP_SET(&m, DLP_K_CHAN);
	DLP_SET(&m, DLP_K_DATA);
	while (off < len) {
		n = len - off > DLP_WIRE_MAX_DATA ? DLP_WIRE_MAX_DATA : len - off;
		m.data = (const uint8_t *)p + off;
		m.data_len = n;
		(void)shim_chan_post(&m);
		off += n;
	}
	return 0;
}

static int check_dir(int fd, const void *p, size_t len, int chan, uint32_t flags, int socktype,
		     uint32_t dir)
{
	struct dlp_msg m = { .type = DLP_MSG_DATA };
	struct shim_reply rep;
	size_t off = 0, n;
	int rc;

	if (len == 0)
		return 0;
	m.fd = fd;
	m.dir = dir;
	m.chan = (uint32_t)chan;
	DLP_SET(&m, DLP_K_FD);
	DLP_SET(&m, DLP_K_DIR);
	DLP_SET(&m, DLP_K_CHAN);
	DLP_SET(&m, DLP_K_DATA);
	if (flags) {
		m.flags = flags;
		m.socktype = (uint32_t)socktype;
		DLP_SET(&m, DLP_K_FLAGS);
		DLP_SET(&m, DLP_K_SOCKTYPE);
	}
	while (off < len) {
		n = len - off > DLP_WIRE_MAX_DATA ? DLP_WIRE_MAX_DATA : len - off;
		m.data = (const uint8_t *)p + off;
		m.data_len = n;
		rc = shim_chan_call(&m, &rep);
		if (rc < 0) {
			shim_report(dir == DLP_DIR_SEND ? "send" : "receive", NULL,
				    "dlpjail broker unreachable; refusing egress");
			errno = EACCES;
			return -1;
		}
		if (rep.verdict != DLP_VERDICT_ALLOW) {
			shim_report_reply(dir == DLP_DIR_SEND ? "send" : "receive", NULL, rep.reason);
			SHIM_SYS(SYS_shutdown, fd, SHUT_RDWR);
			errno = EACCES;
			return -1;
		}
		off += n;
	}
	return 0;
}

static bool is_inet(const struct sockaddr *sa, socklen_t len)
{
	return sa && len >= (socklen_t)sizeof(sa_family_t) &&
	       (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
}

static bool is_tls_client_hello(const uint8_t *p, size_t n)
{
	/* record: type 22, version 3.x, length; handshake type 1 */
	return n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04 && p[5] == 0x01;
}

/*
 * Decide one outgoing buffer on an inet fd of kind k. Returns 0 to send,
 * -1 (errno EACCES) to refuse. Caller holds the reentry guard.
 */
static int gate(int fd, enum shim_fd_kind k, const void *p, size_t n)
{
	if (k == SHIM_FD_INET_RELAYED) {
		/*
		 * The relay scans this stream before a byte of it leaves (issue
		 * 10 item 12: one inspection per byte). The hello still goes to
		 * the broker: its SNI names the session the TLS hooks report.
		 */
		struct hello_part *hp = NULL;
		uint8_t head[SHIM_HELLO_HEAD];
		int rc;

		if (shim_fd_already_scanned(fd, p, n))
			return 0;   /* the rest of a partial write: copied already */
		rc = shim_tls_hello_part(fd, p, n, &hp, head);

		/* a hello written in pieces: claimed with the piece that completes
		 * its client random, shipped with the piece that ends it */
		if (rc == 3)
			shim_tls_hello_claim(fd, head, sizeof(head));
		if (rc == 2 || rc == 3)
			return 0;
		if (rc == 1)
			p = shim_tls_hello_part_buf(hp, &n);
		else if (!is_tls_client_hello(p, n))
			return 0;
		rc = 0;
		if (shim_check_data(fd, p, n, DLP_CHAN_PLAIN, 0, 0) < 0)
			rc = -1;
		if (rc == 0) {
			shim_tls_hello_seen(fd, p, n);
			shim_tls_hello_claim(fd, p, n);  /* a hooked library's: key path */
			shim_fd_set(fd, SHIM_FD_TLS);
		}
		if (hp)
			shim_tls_hello_part_done(hp);
		return rc;
	}
	if (k == SHIM_FD_INET_STREAM) {
		if (is_tls_client_hello(p, n)) {
			/* ship the hello (SNI), then leave the ciphertext alone */
			if (shim_check_data(fd, p, n, DLP_CHAN_PLAIN, 0, 0) < 0)
				return -1;
			shim_tls_hello_seen(fd, p, n);   /* ties TLS sessions to this fd */
			shim_tls_hello_claim(fd, p, n);  /* a hooked library's: key path */
			shim_fd_set(fd, SHIM_FD_TLS);
			return 0;
		}
		shim_fd_set(fd, SHIM_FD_INET_PLAIN);
	}
	if (k == SHIM_FD_DNS_UDP || k == SHIM_FD_DNS_TCP)
		return shim_check_data(fd, p, n, DLP_CHAN_PLAIN, DLP_DATA_DNS,
				       k == SHIM_FD_DNS_TCP ? SOCK_STREAM : SOCK_DGRAM);
	if (shim_fd_already_scanned(fd, p, n))
		return 0;
	return shim_check_data(fd, p, n, DLP_CHAN_PLAIN, 0, 0);
}

static int sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

/* The kind a socket of kind k gets once connected to sa. */
static enum shim_fd_kind connected_kind(enum shim_fd_kind k, const struct sockaddr *sa)
{
	bool dgram = k == SHIM_FD_INET_DGRAM || k == SHIM_FD_DNS_UDP;

	if (sa_port(sa) == 53)
		return dgram ? SHIM_FD_DNS_UDP : SHIM_FD_DNS_TCP;
	return dgram ? SHIM_FD_INET_DGRAM : SHIM_FD_INET_STREAM;
}

static bool gated_kind(enum shim_fd_kind k)
{
	return k == SHIM_FD_INET_STREAM || k == SHIM_FD_INET_PLAIN || k == SHIM_FD_INET_DGRAM ||
	       k == SHIM_FD_INET_RELAYED ||
	       k == SHIM_FD_DNS_UDP || k == SHIM_FD_DNS_TCP;
}

static int socktype_of(enum shim_fd_kind k)
{
	return k == SHIM_FD_INET_DGRAM || k == SHIM_FD_DNS_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

/* ---- egress hooks ---- */

SHIM_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	enum shim_fd_kind k;
	int saved = errno, rc;

	shim_init();
	if (shim_inert || !is_inet(sa, len) || !shim_enter())
		return shim_real.connect(fd, sa, len);
	k = shim_fd_kind(fd);
	rc = shim_check_dest(fd, sa, len, socktype_of(k));
	shim_leave();
	if (rc < 0)
		return -1;
	errno = saved;
	rc = shim_real.connect(fd, sa, len);
	/* a fresh TCP connection: its first bytes decide TLS or plain */
	if ((rc == 0 || errno == EINPROGRESS) && gated_kind(k)) {
		enum shim_fd_kind nk = connected_kind(k, sa);

		saved = errno;
		/* the supervisor connected it to the relay (every TCP connect is).
		 * DNS over TCP too: the relay judges each query of it
		 * (rl_dns_gate), and a second judgement here counted every
		 * query twice in the session's DNS budgets */
		if ((nk == SHIM_FD_INET_STREAM || nk == SHIM_FD_DNS_TCP) && shim_chan_relayed())
			nk = SHIM_FD_INET_RELAYED;
		shim_fd_set(fd, nk);
		shim_tls_hello_part_forget(fd);  /* a new stream: no old hello's pieces */
		if (socktype_of(k) == SOCK_STREAM)
			shim_peer_note(fd, sa, len); /* the relay is the kernel's peer */
		errno = saved;
	}
	return rc;
}

/*
 * getpeername(): under the relay the kernel's peer of a TCP socket is the
 * relay's loopback listener; a program (node's remoteAddress, python's
 * getpeername, logs) sees the destination it connected to instead. Only
 * for sockets connected through this hook and still connected (the
 * kernel's call decides ENOTCONN and friends); everything else gets the
 * kernel's answer.
 */
SHIM_EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t rl = 0;
	long rc;

	rc = SHIM_SYS(SYS_getpeername, fd, sa, len);
	if (rc < 0 || !sa || !len || shim_inert || shim_peer_lookup(fd, &ss, &rl) < 0)
		return rc < 0 ? -1 : 0;
	memcpy(sa, &ss, *len < rl ? *len : rl); /* truncated like the kernel's */
	*len = rl;
	return 0;
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *sa, socklen_t len)
{
	enum shim_fd_kind k;
	ssize_t r;
	int saved = errno;

	shim_init();
	if (shim_inert)
		return shim_real.sendto(fd, buf, n, flags, sa, len);
	k = shim_fd_kind(fd);
	if (!gated_kind(k) || !shim_enter())
		return shim_real.sendto(fd, buf, n, flags, sa, len);
	/* a destination on sendto (UDP, or TCP Fast Open) is an implicit connect */
	if (is_inet(sa, len)) {
		if (shim_check_dest(fd, sa, len, socktype_of(k)) < 0) {
			shim_leave();
			return -1;
		}
		if (k == SHIM_FD_INET_DGRAM || k == SHIM_FD_DNS_UDP)
			k = sa_port(sa) == 53 ? SHIM_FD_DNS_UDP : SHIM_FD_INET_DGRAM;
		else
			shim_fd_set(fd, k = connected_kind(k, sa));
	}
	if (gate(fd, k, buf, n) < 0) {
		shim_leave();
		return -1;
	}
	shim_leave();
	errno = saved;
	r = shim_real.sendto(fd, buf, n, flags, sa, len);
	shim_fd_note_scanned(fd, buf, n, r);
	return r;
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return sendto(fd, buf, n, flags, NULL, 0);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	enum shim_fd_kind k;
	ssize_t r;
	int saved = errno;

	shim_init();
	if (shim_inert)
		return shim_real.write(fd, buf, n);
	k = shim_fd_kind(fd);
	if (!gated_kind(k) || !shim_enter())
		return shim_real.write(fd, buf, n);
	if (gate(fd, k, buf, n) < 0) {
		shim_leave();
		return -1;
	}
	shim_leave();
	errno = saved;
	r = shim_real.write(fd, buf, n);
	shim_fd_note_scanned(fd, buf, n, r);
	return r;
}

static int gate_iov(int fd, enum shim_fd_kind k, const struct iovec *iov, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		if (gate(fd, k, iov[i].iov_base, iov[i].iov_len) < 0)
			return -1;
		k = shim_fd_kind(fd);      /* the first iov may have decided TLS/plain */
		if (k == SHIM_FD_TLS)
			break;
	}
	return 0;
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	enum shim_fd_kind k;
	int saved = errno;

	shim_init();
	if (shim_inert)
		return shim_real.writev(fd, iov, cnt);
	k = shim_fd_kind(fd);
	if (!gated_kind(k) || cnt <= 0 || !shim_enter())
		return shim_real.writev(fd, iov, cnt);
	if (gate_iov(fd, k, iov, (size_t)cnt) < 0) {
		shim_leave();
		return -1;
	}
	shim_leave();
	errno = saved;
	return shim_real.writev(fd, iov, cnt);
}

static int gate_msg(int fd, enum shim_fd_kind k, const struct msghdr *msg)
{
	if (is_inet(msg->msg_name, msg->msg_namelen)) {
		const struct sockaddr *sa = msg->msg_name;

		if (shim_check_dest(fd, sa, msg->msg_namelen, socktype_of(k)) < 0)
			return -1;
		if (k == SHIM_FD_INET_DGRAM || k == SHIM_FD_DNS_UDP)
			k = sa_port(sa) == 53 ? SHIM_FD_DNS_UDP : SHIM_FD_INET_DGRAM;
	}
	if ((k == SHIM_FD_DNS_UDP) && msg->msg_iovlen > 1) {
		/* one datagram is one DNS message: judge it whole */
		uint8_t dgram[4096];
		size_t i, off = 0;

		for (i = 0; i < msg->msg_iovlen; i++) {
			if (msg->msg_iov[i].iov_len > sizeof(dgram) - off) {
				errno = EACCES;
				shim_report("send", NULL, "oversized DNS datagram");
				return -1;
			}
			memcpy(dgram + off, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
			off += msg->msg_iov[i].iov_len;
		}
		return shim_check_data(fd, dgram, off, DLP_CHAN_PLAIN, DLP_DATA_DNS, SOCK_DGRAM);
	}
	return gate_iov(fd, k, msg->msg_iov, msg->msg_iovlen);
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	enum shim_fd_kind k;
	int saved = errno;

	shim_init();
	if (shim_inert || !msg)
		return shim_real.sendmsg(fd, msg, flags);
	k = shim_fd_kind(fd);
	if (!gated_kind(k) || !shim_enter())
		return shim_real.sendmsg(fd, msg, flags);
	if (gate_msg(fd, k, msg) < 0) {
		shim_leave();
		return -1;
	}
	shim_leave();
	errno = saved;
	return shim_real.sendmsg(fd, msg, flags);
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	enum shim_fd_kind k;
	unsigned i;
	int saved = errno;

	shim_init();
	if (shim_inert || !vec)
		return shim_real.sendmmsg(fd, vec, vlen, flags);
	k = shim_fd_kind(fd);
	if (!gated_kind(k) || !shim_enter())
		return shim_real.sendmmsg(fd, vec, vlen, flags);
	for (i = 0; i < vlen; i++) {
		if (gate_msg(fd, k, &vec[i].msg_hdr) < 0) {
			shim_leave();
			return -1;
		}
	}
	shim_leave();
	errno = saved;
	return shim_real.sendmmsg(fd, vec, vlen, flags);
}

/* ---- ingress on plaintext sockets: a response carrying a secret is stopped ---- */

static bool recv_scanned(enum shim_fd_kind k)
{
	return k == SHIM_FD_INET_STREAM || k == SHIM_FD_INET_PLAIN;
}

/*
 * After a read of n bytes into the iovecs: judge them; on refusal wipe the
 * buffer, shut the connection down and fail the read with EACCES.
 */
static ssize_t judge_read(int fd, const struct iovec *iov, size_t cnt, ssize_t n, int flags)
{
	size_t i, left;
	int rc = 0;

	if (n <= 0 || (flags & MSG_PEEK) || !shim_enter())
		return n;
	for (i = 0, left = (size_t)n; i < cnt && left && rc == 0; i++) {
		size_t take = iov[i].iov_len < left ? iov[i].iov_len : left;
		rc = shim_check_recv(fd, iov[i].iov_base, take);
		left -= take;
	}
	shim_leave();
	if (rc == 0)
		return n;
	for (i = 0, left = (size_t)n; i < cnt && left; i++) {
		size_t take = iov[i].iov_len < left ? iov[i].iov_len : left;
		memset(iov[i].iov_base, 0, take);
		left -= take;
	}
	SHIM_SYS(SYS_shutdown, fd, SHUT_RDWR);
	errno = EACCES;
	return -1;
}

/*
 * A TLS socket the relay reset (a finding in its decrypted bytes): the
 * program may learn it here, outside its TLS library (node, curl's BIO),
 * so ask why and print it (tls_keylog.c); the read then fails with
 * EACCES, a refusal, not a reset that clients retry. Only on ECONNRESET.
 */
static ssize_t tls_reset(int fd, ssize_t n)
{
	int saved = errno;

	if (n > 0 && shim_awslc_on)
		shim_awslc_read(fd);    /* the session whose records rustls processes next */
	if (n < 0 && saved == ECONNRESET && !shim_inert && shim_fd_kind(fd) == SHIM_FD_TLS &&
	    shim_enter()) {
		if (shim_tls_reset_seen(fd))
			saved = EACCES;
		shim_leave();
	}
	errno = saved;
	return n;
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	ssize_t n;

	shim_init();
	n = shim_real.read(fd, buf, len);
	if (n <= 0 || shim_inert || !recv_scanned(shim_fd_kind(fd)))
		return tls_reset(fd, n);
	return judge_read(fd, &iov, 1, n, 0);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	ssize_t n;

	shim_init();
	n = shim_real.readv(fd, iov, cnt);
	if (n <= 0 || shim_inert || cnt <= 0 || !recv_scanned(shim_fd_kind(fd)))
		return tls_reset(fd, n);
	return judge_read(fd, iov, (size_t)cnt, n, 0);
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
			     socklen_t *salen)
{
	struct iovec iov = { buf, len };
	ssize_t n;

	shim_init();
	n = shim_real.recvfrom(fd, buf, len, flags, sa, salen);
	if (n <= 0 || shim_inert || !recv_scanned(shim_fd_kind(fd)))
		return tls_reset(fd, n);
	return judge_read(fd, &iov, 1, n, flags);
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t n;

	shim_init();
	n = shim_real.recvmsg(fd, msg, flags);
	if (n <= 0 || shim_inert || !msg || !recv_scanned(shim_fd_kind(fd)))
		return tls_reset(fd, n);
	return judge_read(fd, msg->msg_iov, msg->msg_iovlen, n, flags);
}

/* ---- classification hooks ---- */

SHIM_EXPORT int socket(int domain, int type, int proto)
{
	int fd;

	shim_init();
	fd = shim_real.socket(domain, type, proto);
	if (fd >= 0 && !shim_inert) {
		int t = type & 0xf;
		if ((domain == AF_INET || domain == AF_INET6) && t == SOCK_STREAM)
			shim_fd_set(fd, SHIM_FD_INET_STREAM);
		else if ((domain == AF_INET || domain == AF_INET6) && t == SOCK_DGRAM)
			shim_fd_set(fd, SHIM_FD_INET_DGRAM);
		else
			shim_fd_set(fd, SHIM_FD_OTHER);
	}
	return fd;
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int nfd;

	shim_init();
	nfd = shim_real.accept4(fd, sa, len, flags);
	if (nfd >= 0)
		shim_fd_set(nfd, SHIM_FD_UNKNOWN);      /* classify on first use */
	return nfd;
}

SHIM_EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int nfd;

	shim_init();
	nfd = shim_real.accept(fd, sa, len);
	if (nfd >= 0)
		shim_fd_set(nfd, SHIM_FD_UNKNOWN);
	return nfd;
}

/* ---- fd lifecycle: protect the broker fd ---- */

SHIM_EXPORT int close(int fd)
{
	shim_init();
	if (fd >= 0 && fd == shim_chan_fd() && !shim_inert)
		return 0;   /* the app's closefrom-style sweep: keep our channel */
	shim_fd_set(fd, SHIM_FD_UNKNOWN);
	return shim_real.close(fd);
}

static int close_range_around(unsigned lo, unsigned hi, int flags)
{
	int ours = shim_chan_fd();
	long rc = 0;

	shim_fd_forget_range(lo, hi);
	if (ours < 0 || (unsigned)ours < lo || (unsigned)ours > hi || shim_inert)
		return (int)SHIM_SYS(SYS_close_range, lo, hi, flags);
	if ((unsigned)ours > lo)
		rc = SHIM_SYS(SYS_close_range, lo, (unsigned)ours - 1, flags);
	if (rc == 0 && (unsigned)ours < hi)
		rc = SHIM_SYS(SYS_close_range, (unsigned)ours + 1, hi, flags);
	return (int)rc;
}

SHIM_EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	shim_init();
	if (flags & CLOSE_RANGE_CLOEXEC)
		return (int)SHIM_SYS(SYS_close_range, lo, hi, flags); /* ours is CLOEXEC already */
	return close_range_around(lo, hi, flags);
}

SHIM_EXPORT void closefrom(int lo)
{
	shim_init();
	if (lo < 0)
		lo = 0;
	/* glibc's closefrom calls close_range internally, past our hook */
	if (close_range_around((unsigned)lo, ~0U, 0) < 0 && shim_real.closefrom) {
		int ours = shim_chan_fd();
		int fd;
		/* old kernels: close one by one, skipping ours */
		for (fd = lo; fd < 65536; fd++)
			if (fd != ours)
				SHIM_SYS(SYS_close, fd);
	}
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	int rc;

	shim_init();
	if (!shim_inert)
		shim_chan_evacuate(newfd);
	rc = shim_real.dup2(oldfd, newfd);
	if (rc >= 0 && oldfd != newfd) {
		shim_fd_copy(oldfd, newfd);
		shim_peer_copy(oldfd, newfd);
	}
	return rc;
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int rc;

	shim_init();
	if (!shim_inert)
		shim_chan_evacuate(newfd);
	rc = shim_real.dup3(oldfd, newfd, flags);
	if (rc >= 0) {
		shim_fd_copy(oldfd, newfd);
		shim_peer_copy(oldfd, newfd);
	}
	return rc;
}

SHIM_EXPORT int dup(int oldfd)
{
	int rc;

	shim_init();
	rc = shim_real.dup(oldfd);
	if (rc >= 0) {
		shim_fd_copy(oldfd, rc);
		shim_peer_copy(oldfd, rc);
	}
	return rc;
}

static int fcntl_common(fcntl_fn *real, int fd, int cmd, void *arg)
{
	int rc = real(fd, cmd, arg);

	if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) {
		shim_fd_copy(fd, rc);
		shim_peer_copy(fd, rc);
	}
	return rc;
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);   /* int or pointer: both travel in one register */
	va_end(ap);
	shim_init();
	return fcntl_common(shim_real.fcntl, fd, cmd, arg);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_init();
	return fcntl_common(shim_real.fcntl64 ? shim_real.fcntl64 : shim_real.fcntl,
			    fd, cmd, arg);
}

/*
 * syscall(): libuv (dig, node's UDP) and others call sendmmsg, connect and
 * friends through libc's syscall() rather than their wrappers. Route the
 * egress and fd-lifecycle numbers to the hooks above; everything else goes
 * to libc untouched. Nested calls (the shim's own) pass straight through.
 */
SHIM_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);   /* unused ones read spare registers: harmless */
	va_end(ap);
	/*
	 * Before the shim is ready (an allocator's own start-up calls syscall()
	 * under its lock, and dlsym would malloc) or inside dlpjail: straight
	 * to the kernel, no lookups.
	 */
	if (!shim_ready() || shim_inert)
		return shim_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	switch (nr) {
	case SYS_connect:
		return connect((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
	case SYS_sendto:
		return sendto((int)a[0], (const void *)a[1], (size_t)a[2], (int)a[3],
			      (const struct sockaddr *)a[4], (socklen_t)a[5]);
	case SYS_sendmsg:
		return sendmsg((int)a[0], (const struct msghdr *)a[1], (int)a[2]);
	case SYS_sendmmsg:
		return sendmmsg((int)a[0], (struct mmsghdr *)a[1], (unsigned)a[2], (int)a[3]);
	case SYS_write:
		return write((int)a[0], (const void *)a[1], (size_t)a[2]);
	case SYS_writev:
		return writev((int)a[0], (const struct iovec *)a[1], (int)a[2]);
	case SYS_close:
		return close((int)a[0]);
	case SYS_close_range:
		return close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]);
	case SYS_dup2:
		return dup2((int)a[0], (int)a[1]);
	case SYS_dup3:
		return dup3((int)a[0], (int)a[1], (int)a[2]);
	default:
		return shim_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}
