/* SPDX-License-Identifier: MIT */
/*
 * sc_addr.c - pure helpers of the seccomp supervisor: address spelling,
 * ports, log strings and the rtnetlink read-only check. No syscalls, so
 * t/unit/seccomp_test.c tests them directly. Only broker/seccomp/ calls them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "broker/seccomp/sc_int.h"

/*
 * Sockets of resolvers that run outside the sandbox: a name resolved
 * through them never reaches the broker's DNS checks. /var/run is a
 * symlink to /run on Debian; the supervisor compares inodes, the list
 * only names where to look.
 */
const char *const brk_sc_resolver_socks[] = {
	"/run/nscd/socket",
	"/var/run/nscd/socket",
	"/run/systemd/resolve/io.systemd.Resolve",
	"/run/systemd/resolve/io.systemd.Resolve.Monitor",
	NULL,
};

socklen_t brk_sc_addr_normalize(struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in s4;

	if (len < sizeof(struct sockaddr_in6) - sizeof(uint32_t) /* SIN6_LEN_RFC2133 */ ||
	    ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return len;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
	return sizeof(s4);
}

int brk_sc_addr_port(const struct sockaddr_storage *ss, socklen_t len)
{
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6) - sizeof(uint32_t))
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return -1;
}

void brk_sc_addr_str(const struct sockaddr_storage *ss, socklen_t len, char *dst, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	const struct sockaddr_un *su = (const struct sockaddr_un *)ss;
	size_t plen;

	if (!cap)
		return;
	if (len < sizeof(sa_family_t)) {
		snprintf(dst, cap, "(no address)");
		return;
	}
	switch (ss->ss_family) {
	case AF_INET:
		if (len < sizeof(struct sockaddr_in))
			break;
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
		snprintf(dst, cap, "%s:%d", ip, brk_sc_addr_port(ss, len));
		return;
	case AF_INET6:
		if (len < sizeof(struct sockaddr_in6) - sizeof(uint32_t))
			break;
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
		snprintf(dst, cap, "[%s]:%d", ip, brk_sc_addr_port(ss, len));
		return;
	case AF_UNIX:
		plen = len - offsetof(struct sockaddr_un, sun_path);
		if (plen > sizeof(su->sun_path))
			plen = sizeof(su->sun_path);
		if (plen && su->sun_path[0] == '\0')
			snprintf(dst, cap, "unix:@%.*s", (int)(plen - 1), su->sun_path + 1);
		else
			snprintf(dst, cap, "unix:%.*s", (int)strnlen(su->sun_path, plen), su->sun_path);
		return;
	default:
		snprintf(dst, cap, "family %d", ss->ss_family);
		return;
	}
	snprintf(dst, cap, "family %d, short length %u", ss->ss_family, (unsigned)len);
}

/*
 * rtnetlink message types come in fours from RTM_BASE: NEW, DEL, GET, SET
 * (RTM_NEWLINK=16, DELLINK=17, GETLINK=18, SETLINK=19, ...). Only GET and
 * the NLMSG_* control types (< RTM_BASE) are read-only.
 */
int brk_sc_nl_is_change(const uint8_t *p, size_t len)
{
	struct nlmsghdr h;
	size_t off = 0;

	while (off < len) {
		if (len - off < sizeof(h))
			return 1; /* truncated header: refuse rather than guess */
		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return 1;
		if (h.nlmsg_type >= RTM_BASE && (h.nlmsg_type - RTM_BASE) % 4 != 2)
			return 1;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return 0;
}
