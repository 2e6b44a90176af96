/* SPDX-License-Identifier: MIT */
/* addr.c - address canonicalisation and CIDR matching (see addr.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/addr.h"

int brk_addr_from_bytes(int family, const uint8_t *bytes, struct brk_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		out->v = 4;
		memcpy(out->b, bytes, 4);
	} else if (family == AF_INET6) {
		out->v = 6;
		memcpy(out->b, bytes, 16);
	} else {
		return -EINVAL;
	}
	return 0;
}

int brk_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
			   struct brk_addr *out, uint16_t *port)
{
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		if (port)
			*port = ntohs(s4->sin_port);
		return brk_addr_from_bytes(AF_INET, (const uint8_t *)&s4->sin_addr, out);
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (port)
			*port = ntohs(s6->sin6_port);
		return brk_addr_from_bytes(AF_INET6, s6->sin6_addr.s6_addr, out);
	}
	return -EINVAL;
}

int brk_addr_parse(const char *s, struct brk_addr *out)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t l = strlen(s);

	memset(out, 0, sizeof(*out));
	if (l >= 2 && s[0] == '[' && s[l - 1] == ']') {
		if (l - 2 >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, s + 1, l - 2);
		tmp[l - 2] = '\0';
		s = tmp;
	}
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->v = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->v = 6;
		return 0;
	}
	return -EINVAL;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void to_v4(struct brk_addr *out, const uint8_t *four)
{
	uint8_t b[4];

	memcpy(b, four, 4);
	memset(out, 0, sizeof(*out));
	out->v = 4;
	memcpy(out->b, b, 4);
}

void brk_addr_canon(const struct brk_addr *in, struct brk_addr *out)
{
	static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	static const uint8_t nat64[12] = { 0,0x64,0xff,0x9b, 0,0,0,0, 0,0,0,0 };
	struct brk_addr a = *in;

	if (a.v == 6) {
		if (!memcmp(a.b, mapped, 12) || !memcmp(a.b, nat64, 12)) {
			to_v4(&a, a.b + 12);
		} else if (all_zero(a.b, 12) && !all_zero(a.b + 12, 4) &&
			   !(all_zero(a.b + 12, 3) && a.b[15] == 1)) {
			/* IPv4-compatible ::a.b.c.d (not :: and not ::1) */
			to_v4(&a, a.b + 12);
		} else if (a.b[0] == 0x20 && a.b[1] == 0x02) {
			/* 6to4: 2002:V4ADDR::/48 stands for the IPv4 host */
			to_v4(&a, a.b + 2);
		} else if (all_zero(a.b, 16)) {
			a.b[15] = 1;   /* :: -> ::1 */
		}
	}
	if (a.v == 4 && all_zero(a.b, 4)) {
		a.b[0] = 127;  /* 0.0.0.0 -> 127.0.0.1 */
		a.b[3] = 1;
	}
	*out = a;
}

bool brk_addr_is_loopback(const struct brk_addr *a)
{
	if (a->v == 4)
		return a->b[0] == 127;
	return all_zero(a->b, 15) && a->b[15] == 1;
}

int brk_addr_aliases(const struct brk_addr *in, struct brk_addr out[2])
{
	brk_addr_canon(in, &out[0]);
	if (!brk_addr_is_loopback(&out[0]))
		return 1;
	memset(&out[1], 0, sizeof(out[1]));
	if (out[0].v == 4) {
		out[1].v = 6;
		out[1].b[15] = 1;
	} else {
		out[1].v = 4;
		out[1].b[0] = 127;
		out[1].b[3] = 1;
	}
	return 2;
}

void brk_addr_format(const struct brk_addr *a, char *dst, size_t cap)
{
	if (!inet_ntop(a->v == 4 ? AF_INET : AF_INET6, a->b, dst, (socklen_t)cap) && cap)
		dst[0] = '\0';
}

int brk_cidr_parse(const char *s, struct brk_cidr *out)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	unsigned maxlen, i;
	char *end;

	if (alen == 0 || alen >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (brk_addr_parse(tmp, &out->net) < 0)
		return -EINVAL;
	maxlen = out->net.v == 4 ? 32 : 128;
	if (slash) {
		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return -EINVAL;
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || *end || plen > maxlen)
			return -EINVAL;
	} else {
		plen = maxlen;
	}
	out->plen = (uint8_t)plen;
	/* host bits must be clear: "10.0.0.1/8" is almost always a typo */
	for (i = (unsigned)plen; i < maxlen; i++)
		if (out->net.b[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	/* a rule written as ::ffff:10.0.0.0/104 or 64:ff9b::a00:0/104 means 10.0.0.0/8 */
	if (out->net.v == 6 && plen >= 96) {
		static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
		static const uint8_t nat64[12] = { 0,0x64,0xff,0x9b, 0,0,0,0, 0,0,0,0 };
		if (!memcmp(out->net.b, mapped, 12) || !memcmp(out->net.b, nat64, 12)) {
			to_v4(&out->net, out->net.b + 12);
			out->plen = (uint8_t)(plen - 96);
		}
	}
	return 0;
}

bool brk_cidr_contains(const struct brk_cidr *c, const struct brk_addr *a)
{
	unsigned full = c->plen / 8, rest = c->plen % 8;

	if (c->net.v != a->v)
		return false;
	if (memcmp(c->net.b, a->b, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((c->net.b[full] & mask) != (a->b[full] & mask))
			return false;
	}
	return true;
}

void brk_cidr_format(const struct brk_cidr *c, char *dst, size_t cap)
{
	char a[BRK_ADDR_STRLEN];

	brk_addr_format(&c->net, a, sizeof(a));
	snprintf(dst, cap, "%s/%u", a, c->plen);
}
