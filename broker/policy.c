/* SPDX-License-Identifier: MIT */
/*
 * policy.c - policy rules, the keyword table that parses them, and the
 * host/address decisions (semantics in policy.h). Only broker.c and
 * main.c call it; tests go through policy.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dlp_err.h"
#include "broker/policy.h"

#define POLICY_MAX_RULES 4096
#define POLICY_MAX_LINE 1024

enum rule_kind { RULE_ALLOW, RULE_DENY, RULE_BUILTIN_DENY };

struct host_rule {
	enum rule_kind kind;
	bool wildcard;        /* "*.suffix": match names strictly below suffix */
	char *name;           /* normalised; for wildcards the suffix without "*." */
	char *origin;
};

struct cidr_rule {
	enum rule_kind kind;
	struct brk_cidr cidr;
	char *origin;
};

struct strvec {
	char **v;
	size_t n;
};

struct brk_policy {
	struct host_rule *hosts;
	size_t nhosts;
	struct cidr_rule *cidrs;
	size_t ncidrs;
	struct strvec canaries, homes, dns;
	struct strvec user_hosts;  /* built by brk_policy_user_hosts() */
	struct strvec shipped;     /* sources ("FILE" of "FILE:LINE") marked shipped */
	bool monitor;
	bool watchdog_set;
	unsigned watchdog_sec;
};

struct brk_policy *brk_policy_new(void)
{
	return calloc(1, sizeof(struct brk_policy));
}

static void strvec_free(struct strvec *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

void brk_policy_free(struct brk_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nhosts; i++) {
		free(p->hosts[i].name);
		free(p->hosts[i].origin);
	}
	for (i = 0; i < p->ncidrs; i++)
		free(p->cidrs[i].origin);
	free(p->hosts);
	free(p->cidrs);
	strvec_free(&p->canaries);
	strvec_free(&p->homes);
	strvec_free(&p->dns);
	strvec_free(&p->user_hosts);
	strvec_free(&p->shipped);
	free(p);
}

static int strvec_push(struct strvec *s, const char *str)
{
	char **nv;
	char *dup;

	if (s->n >= POLICY_MAX_RULES)
		return -E2BIG;
	dup = strdup(str);
	nv = dup ? realloc(s->v, (s->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(dup);
		return -ENOMEM;
	}
	nv[s->n++] = dup;
	s->v = nv;
	return 0;
}

int brk_host_normalise(const char *in, char *dst, size_t cap)
{
	size_t l = strlen(in), i, lablen = 0;

	if (l && in[l - 1] == '.')
		l--;
	if (l == 0 || l > 253 || l >= cap)
		return -EINVAL;
	for (i = 0; i < l; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '.') {
			if (lablen == 0)
				return -EINVAL;
			lablen = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++lablen > 63)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		dst[i] = (char)tolower(c);
	}
	if (lablen == 0)
		return -EINVAL;
	dst[l] = '\0';
	return 0;
}

static int add_host(struct brk_policy *p, enum rule_kind kind, const char *spec,
		    const char *origin, char *err, size_t errlen)
{
	char norm[256];
	struct host_rule *nh, r = { .kind = kind };

	if (!strcmp(spec, "*")) {
		/* any name: the DNS exfiltration checks still judge every one */
		r.wildcard = true;
		r.name = strdup("");
		r.origin = strdup(origin);
		goto store;
	}
	if (!strncmp(spec, "*.", 2)) {
		r.wildcard = true;
		spec += 2;
	}
	if (brk_host_normalise(spec, norm, sizeof(norm)) < 0) {
		snprintf(err, errlen, "'%s%s' is neither a host name nor an address/CIDR",
			 r.wildcard ? "*." : "", spec);
		return -EINVAL;
	}
	if (p->nhosts >= POLICY_MAX_RULES) {
		snprintf(err, errlen, "too many host rules (max %d)", POLICY_MAX_RULES);
		return -EINVAL;
	}
	r.name = strdup(norm);
	r.origin = strdup(origin);
store:
	nh = realloc(p->hosts, (p->nhosts + 1) * sizeof(*nh));
	if (!r.name || !r.origin || !nh) {
		free(r.name);
		free(r.origin);
		if (nh)
			p->hosts = nh;
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->hosts = nh;
	p->hosts[p->nhosts++] = r;
	return 0;
}

static int add_cidr(struct brk_policy *p, enum rule_kind kind, const struct brk_cidr *c,
		    const char *origin, char *err, size_t errlen)
{
	struct cidr_rule *nc;
	char *o;

	if (p->ncidrs >= POLICY_MAX_RULES) {
		snprintf(err, errlen, "too many CIDR rules (max %d)", POLICY_MAX_RULES);
		return -EINVAL;
	}
	o = strdup(origin);
	nc = o ? realloc(p->cidrs, (p->ncidrs + 1) * sizeof(*nc)) : NULL;
	if (!nc) {
		free(o);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->cidrs = nc;
	p->cidrs[p->ncidrs].kind = kind;
	p->cidrs[p->ncidrs].cidr = *c;
	p->cidrs[p->ncidrs].origin = o;
	p->ncidrs++;
	return 0;
}

static bool looks_like_addr(const char *s)
{
	/* IPv6 has a colon; IPv4 starts with a digit and has only digits, dots, '/' */
	if (strchr(s, ':'))
		return true;
	if (!isdigit((unsigned char)s[0]))
		return false;
	return strspn(s, "0123456789./") == strlen(s);
}

/*
 * "allow localhost" also allows the addresses localhost means: 127.0.0.1,
 * ::1 and the loopback addresses the localhost lines of /etc/hosts give
 * (not those of other names there). Without them the rebinding rule would
 * refuse every connect after the lookup. ::1 is never added as a rule of
 * its own: addr.c aliases every 127/8 address to ::1, so "allow ::1" would
 * open 127.0.0.2 as well; ::1 is reached through its alias 127.0.0.1.
 */
static int add_localhost_addrs(struct brk_policy *p, const char *origin, const char *hosts,
			       char *err, size_t errlen)
{
	static const char *const fixed[] = { "127.0.0.1" };
	char o[300], line[512];
	struct brk_cidr c;
	FILE *f;
	size_t i;
	int rc;

	snprintf(o, sizeof(o), "%s, what localhost means", origin);
	for (i = 0; i < DLP_ARRAY_SIZE(fixed); i++) {
		if (brk_cidr_parse(fixed[i], &c) == 0 &&
		    (rc = add_cidr(p, RULE_ALLOW, &c, o, err, errlen)) < 0)
			return rc;
	}
	f = hosts ? fopen(hosts, "re") : NULL;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *addr, *name;
		struct brk_addr a;
		bool named = false;

		line[strcspn(line, "#\n")] = '\0';
		addr = strtok_r(line, " \t", &save);
		while (addr && (name = strtok_r(NULL, " \t", &save)))
			named |= !strcasecmp(name, "localhost");
		if (!named || brk_addr_parse(addr, &a) < 0 || a.v != 4 ||
		    !brk_addr_is_loopback(&a) || brk_cidr_parse(addr, &c) < 0)
			continue;
		rc = add_cidr(p, RULE_ALLOW, &c, o, err, errlen);
		if (rc < 0) {
			fclose(f);
			return rc;
		}
	}
	fclose(f);
	return 0;
}

int brk_policy_add_rule(struct brk_policy *p, const char *kind, const char *spec,
			const char *origin, char *err, size_t errlen)
{
	enum rule_kind k;
	struct brk_cidr c;
	int rc;

	if (!strcmp(kind, "allow"))
		k = RULE_ALLOW;
	else if (!strcmp(kind, "deny"))
		k = RULE_DENY;
	else {
		snprintf(err, errlen, "rule kind must be allow or deny, not '%s'", kind);
		return -EINVAL;
	}
	if (!spec || !*spec) {
		snprintf(err, errlen, "%s needs a host name, address or CIDR", kind);
		return -EINVAL;
	}
	if (looks_like_addr(spec)) {
		if (brk_cidr_parse(spec, &c) < 0) {
			snprintf(err, errlen, "'%s' is not a valid address or CIDR "
				 "(host bits must be zero)", spec);
			return -EINVAL;
		}
		return add_cidr(p, k, &c, origin, err, errlen);
	}
	rc = add_host(p, k, spec, origin, err, errlen);
	if (rc == 0 && k == RULE_ALLOW && !strcasecmp(spec, "localhost"))
		rc = add_localhost_addrs(p, origin, "/etc/hosts", err, errlen);
	return rc;
}

/* ---- the keyword table: one row per policy keyword ---- */

typedef int policy_kw_fn(struct brk_policy *p, char **argv, int argc,
			 const char *origin, char *err, size_t errlen);

static int kw_rule(struct brk_policy *p, char **argv, int argc, const char *origin,
		   char *err, size_t errlen)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		rc = brk_policy_add_rule(p, argv[0], argv[i], origin, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int kw_canary(struct brk_policy *p, char **argv, int argc, const char *origin,
		     char *err, size_t errlen)
{
	if (strlen(argv[1]) < 8) {
		snprintf(err, errlen, "canary tokens must be at least 8 characters");
		return -EINVAL;
	}
	return strvec_push(&p->canaries, argv[1]);
}

static int kw_mode(struct brk_policy *p, char **argv, int argc, const char *origin,
		   char *err, size_t errlen)
{
	if (!strcmp(argv[1], "monitor"))
		p->monitor = true;
	else if (!strcmp(argv[1], "enforce"))
		p->monitor = false;
	else {
		snprintf(err, errlen, "mode must be 'enforce' or 'monitor', not '%s'", argv[1]);
		return -EINVAL;
	}
	return 0;
}

static int kw_watchdog(struct brk_policy *p, char **argv, int argc, const char *origin,
		       char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || argv[1][0] == '-' ||
	    v > BRK_POLICY_WATCHDOG_MAX) {
		snprintf(err, errlen, "watchdog takes seconds from 0 (off) to %d, not '%.20s'",
			 BRK_POLICY_WATCHDOG_MAX, argv[1]);
		return -EINVAL;
	}
	p->watchdog_set = true;
	p->watchdog_sec = (unsigned)v;
	return 0;
}

unsigned brk_policy_watchdog(const struct brk_policy *p)
{
	return p->watchdog_set ? p->watchdog_sec : BRK_POLICY_WATCHDOG_DEFAULT;
}

static int kw_pair(struct strvec *v, const char *a, const char *b)
{
	char buf[POLICY_MAX_LINE];

	snprintf(buf, sizeof(buf), "%s=%s", a, b);
	return strvec_push(v, buf);
}

static int kw_home(struct brk_policy *p, char **argv, int argc, const char *origin,
		   char *err, size_t errlen)
{
	char norm[256];

	if (brk_host_normalise(argv[2], norm, sizeof(norm)) < 0) {
		snprintf(err, errlen, "home domain '%s' is not a host name", argv[2]);
		return -EINVAL;
	}
	return kw_pair(&p->homes, argv[1], norm);
}

static int kw_dns(struct brk_policy *p, char **argv, int argc, const char *origin,
		  char *err, size_t errlen)
{
	return kw_pair(&p->dns, argv[1], argv[2]);
}

/* Length of the source part of an origin ("FILE" of "FILE:LINE"), or 0. */
static size_t origin_src_len(const char *origin)
{
	const char *c = strrchr(origin, ':');

	return c ? (size_t)(c - origin) : 0;
}

static int kw_shipped(struct brk_policy *p, char **argv, int argc, const char *origin,
		      char *err, size_t errlen)
{
	char src[POLICY_MAX_LINE];
	size_t n = origin_src_len(origin);

	if (n == 0 || n >= sizeof(src)) {
		snprintf(err, errlen, "'shipped' belongs in a policy file");
		return -EINVAL;
	}
	/* every rule of this source, before or after this line, is shipped */
	memcpy(src, origin, n);
	src[n] = '\0';
	return strvec_push(&p->shipped, src);
}

struct policy_kw {
	const char *name;
	int min_args;         /* words after the keyword */
	int max_args;
	policy_kw_fn *fn;
	const char *usage;
};

static const struct policy_kw policy_keywords[] = {
	{ .name = "allow",  .min_args = 1, .max_args = 64, .fn = kw_rule,
	  .usage = "allow HOST|*.DOMAIN|ADDR|CIDR ..." },
	{ .name = "deny",   .min_args = 1, .max_args = 64, .fn = kw_rule,
	  .usage = "deny HOST|*.DOMAIN|ADDR|CIDR ..." },
	{ .name = "canary", .min_args = 1, .max_args = 1, .fn = kw_canary,
	  .usage = "canary TOKEN" },
	{ .name = "mode",   .min_args = 1, .max_args = 1, .fn = kw_mode,
	  .usage = "mode enforce|monitor" },
	{ .name = "home",   .min_args = 2, .max_args = 2, .fn = kw_home,
	  .usage = "home DETECTOR DOMAIN" },
	{ .name = "dns",    .min_args = 2, .max_args = 2, .fn = kw_dns,
	  .usage = "dns KEY VALUE" },
	{ .name = "shipped", .min_args = 0, .max_args = 0, .fn = kw_shipped,
	  .usage = "shipped" },
	/* seconds a broker request may take before it is refused (broker.c) */
	{ .name = "watchdog", .min_args = 1, .max_args = 1, .fn = kw_watchdog,
	  .usage = "watchdog SECONDS" },
};

int brk_policy_add_line(struct brk_policy *p, const char *line, const char *origin,
			char *err, size_t errlen)
{
	char buf[POLICY_MAX_LINE];
	char *argv[68], *s, *save = NULL;
	int argc = 0;
	size_t i, l = strlen(line);

	if (l >= sizeof(buf)) {
		snprintf(err, errlen, "line longer than %d bytes", POLICY_MAX_LINE - 1);
		return -EINVAL;
	}
	memcpy(buf, line, l + 1);
	s = strchr(buf, '#');
	if (s)
		*s = '\0';
	for (s = strtok_r(buf, " \t\r\n", &save); s; s = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == (int)DLP_ARRAY_SIZE(argv)) {
			snprintf(err, errlen, "too many words on one line");
			return -EINVAL;
		}
		argv[argc++] = s;
	}
	if (argc == 0)
		return 0;
	for (i = 0; i < DLP_ARRAY_SIZE(policy_keywords); i++) {
		const struct policy_kw *kw = &policy_keywords[i];
		if (strcmp(kw->name, argv[0]))
			continue;
		if (argc - 1 < kw->min_args || argc - 1 > kw->max_args) {
			snprintf(err, errlen, "wrong number of arguments; usage: %s", kw->usage);
			return -EINVAL;
		}
		return kw->fn(p, argv, argc, origin, err, errlen);
	}
	snprintf(err, errlen, "unknown keyword '%.40s' (expected allow, deny, canary, "
		 "mode, home, dns, shipped or watchdog)", argv[0]);
	return -EINVAL;
}

int brk_policy_load_file(struct brk_policy *p, const char *path, char *err, size_t errlen)
{
	char line[POLICY_MAX_LINE + 2], origin[300], msg[256];
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno,
				 POLICY_MAX_LINE);
			rc = -EINVAL;
			break;
		}
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		rc = brk_policy_add_line(p, line, origin, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			break;
		}
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -EIO;
	}
	fclose(f);
	return rc;
}

/* Ranges no command needs by default: instance metadata and link-local. */
static const char *const builtin_deny[] = {
	"169.254.0.0/16",      /* IPv4 link-local, AWS/GCP/Azure metadata 169.254.169.254 */
	"fe80::/10",           /* IPv6 link-local */
	"fd00:ec2::254/128",   /* AWS IMDS over IPv6 */
	"100.100.100.200/32",  /* Alibaba Cloud metadata */
};

int brk_policy_add_builtin(struct brk_policy *p)
{
	struct brk_cidr c;
	char err[128];
	size_t i;
	int rc;

	for (i = 0; i < DLP_ARRAY_SIZE(builtin_deny); i++) {
		if (brk_cidr_parse(builtin_deny[i], &c) < 0)
			return -EINVAL;
		rc = add_cidr(p, RULE_BUILTIN_DENY, &c, "builtin", err, sizeof(err));
		if (rc < 0)
			return rc;
	}
	return 0;
}

void brk_policy_set_monitor(struct brk_policy *p, bool on)
{
	p->monitor = on;
}

bool brk_policy_monitor(const struct brk_policy *p)
{
	return p->monitor;
}

/* ---- decisions ---- */

static bool host_match(const struct host_rule *r, const char *name)
{
	size_t nl, sl;

	if (!r->wildcard)
		return !strcmp(r->name, name);
	if (!r->name[0])
		return true;    /* "*" */
	nl = strlen(name);
	sl = strlen(r->name);
	return nl > sl + 1 && name[nl - sl - 1] == '.' && !strcmp(name + nl - sl, r->name);
}

static void decide(struct brk_decision *d, int verdict, const char *rule, const char *origin,
		   const char *reason)
{
	d->verdict = verdict;
	if (origin)
		snprintf(d->rule, sizeof(d->rule), "%s (%s)", rule, origin);
	else
		snprintf(d->rule, sizeof(d->rule), "%s", rule);
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
}

static bool is_localhost(const char *n)
{
	size_t l = strlen(n);

	return !strcmp(n, "localhost") ||
	       (l > 10 && !strcmp(n + l - 10, ".localhost"));
}

void brk_policy_check_host(const struct brk_policy *p, const char *host,
			   struct brk_decision *d)
{
	char norm[256], rule[300];
	const struct host_rule *allow = NULL;
	size_t i;

	if (brk_host_normalise(host, norm, sizeof(norm)) < 0) {
		decide(d, BRK_DENY, "invalid-name", NULL, "not a valid host name");
		return;
	}
	for (i = 0; i < p->nhosts; i++) {
		const struct host_rule *r = &p->hosts[i];
		if (!host_match(r, norm))
			continue;
		if (r->kind != RULE_ALLOW) {
			snprintf(rule, sizeof(rule), "deny %s%s", r->wildcard ? (r->name[0] ? "*." : "*") : "",
				 r->name);
			decide(d, BRK_DENY, rule, r->origin, "host is denied by policy");
			return;
		}
		if (!allow)
			allow = r;
	}
	if (allow) {
		snprintf(rule, sizeof(rule), "allow %s%s",
			 allow->wildcard ? (allow->name[0] ? "*." : "*") : "", allow->name);
		decide(d, BRK_ALLOW, rule, allow->origin, "host is allowed");
		return;
	}
	if (is_localhost(norm)) {
		decide(d, BRK_ALLOW, "localhost", "builtin",
		       "localhost is answered locally (RFC 6761)");
		return;
	}
	decide(d, BRK_DENY, "default-deny", NULL, "host is not in the allow list");
}

static bool sensitive_via_name(const struct brk_addr *a)
{
	/* a name resolving here is DNS rebinding unless a CIDR rule says so */
	if (brk_addr_is_loopback(a))
		return true;
	if (a->v == 4)
		return a->b[0] == 169 && a->b[1] == 254;
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

void brk_policy_check_addr(const struct brk_policy *p, const struct brk_addr *a,
			   bool name_ok, struct brk_decision *d)
{
	struct brk_addr al[2];
	const struct cidr_rule *allow = NULL, *builtin = NULL;
	char c[BRK_ADDR_STRLEN + 8], rule[200];
	int n, j;
	size_t i;

	n = brk_addr_aliases(a, al);
	for (i = 0; i < p->ncidrs; i++) {
		const struct cidr_rule *r = &p->cidrs[i];
		for (j = 0; j < n; j++) {
			if (!brk_cidr_contains(&r->cidr, &al[j]))
				continue;
			if (r->kind == RULE_DENY) {
				brk_cidr_format(&r->cidr, c, sizeof(c));
				snprintf(rule, sizeof(rule), "deny %s", c);
				decide(d, BRK_DENY, rule, r->origin, "address is denied by policy");
				return;
			}
			if (r->kind == RULE_BUILTIN_DENY && !builtin)
				builtin = r;
			if (r->kind == RULE_ALLOW && (!allow || r->cidr.plen > allow->cidr.plen))
				allow = r;
		}
	}
	/* a builtin range opens only to an allow rule at least as specific as it:
	 * "allow 0.0.0.0/0" does not mean "and the metadata service" */
	if (builtin && (!allow || allow->cidr.net.v != builtin->cidr.net.v ||
			allow->cidr.plen < builtin->cidr.plen)) {
		brk_cidr_format(&builtin->cidr, c, sizeof(c));
		snprintf(rule, sizeof(rule), "deny %s", c);
		decide(d, BRK_DENY, rule, builtin->origin,
		       "link-local or cloud metadata address (allow the range explicitly to reach it)");
		return;
	}
	if (allow) {
		brk_cidr_format(&allow->cidr, c, sizeof(c));
		snprintf(rule, sizeof(rule), "allow %s", c);
		decide(d, BRK_ALLOW, rule, allow->origin, "address is allowed");
		return;
	}
	if (name_ok && !sensitive_via_name(&al[0])) {
		decide(d, BRK_ALLOW, "resolved", NULL, "address was resolved for an allowed host");
		return;
	}
	if (name_ok) {
		decide(d, BRK_DENY, "rebinding", NULL,
		       "allowed host resolved to a loopback or link-local address");
		return;
	}
	decide(d, BRK_DENY, "default-deny", NULL,
	       "address is not allowed and was not resolved for an allowed host");
}

bool brk_policy_host_allowed_exactly(const struct brk_policy *p, const char *host)
{
	char norm[256];
	size_t i;

	if (brk_host_normalise(host, norm, sizeof(norm)) < 0)
		return false;
	for (i = 0; i < p->nhosts; i++)
		if (p->hosts[i].kind == RULE_ALLOW && !p->hosts[i].wildcard &&
		    !strcmp(p->hosts[i].name, norm))
			return true;
	return false;
}

bool brk_policy_addr_allowed_exactly(const struct brk_policy *p, const struct brk_addr *a)
{
	struct brk_addr c;
	size_t i;

	brk_addr_canon(a, &c);
	for (i = 0; i < p->ncidrs; i++) {
		const struct cidr_rule *r = &p->cidrs[i];
		if (r->kind == RULE_ALLOW && r->cidr.plen == (r->cidr.net.v == 4 ? 32 : 128) &&
		    brk_cidr_contains(&r->cidr, &c))
			return true;
	}
	return false;
}

static bool rule_shipped(const struct brk_policy *p, const struct host_rule *r)
{
	size_t n = origin_src_len(r->origin), i;

	for (i = 0; n && i < p->shipped.n; i++)
		if (strlen(p->shipped.v[i]) == n && !strncmp(p->shipped.v[i], r->origin, n))
			return true;
	return false;
}

size_t brk_policy_user_hosts(struct brk_policy *p, const char *const **out)
{
	size_t i, j;

	strvec_free(&p->user_hosts);
	memset(&p->user_hosts, 0, sizeof(p->user_hosts));
	for (i = 0; i < p->nhosts; i++) {
		const struct host_rule *r = &p->hosts[i];

		struct brk_decision d;

		if (r->kind != RULE_ALLOW || r->wildcard || rule_shipped(p, r))
			continue;
		brk_policy_check_host(p, r->name, &d);
		if (d.verdict != BRK_ALLOW)
			continue;  /* a deny rule wins over the allow */
		for (j = 0; j < p->user_hosts.n && strcmp(p->user_hosts.v[j], r->name); j++)
			;
		if (j == p->user_hosts.n && strvec_push(&p->user_hosts, r->name) < 0)
			break;  /* fewer user hosts: generic credentials stay blocked */
	}
	*out = (const char *const *)p->user_hosts.v;
	return p->user_hosts.n;
}

size_t brk_policy_canaries(const struct brk_policy *p, const char *const **out)
{
	*out = (const char *const *)p->canaries.v;
	return p->canaries.n;
}

size_t brk_policy_homes(const struct brk_policy *p, const char *const **out)
{
	*out = (const char *const *)p->homes.v;
	return p->homes.n;
}

size_t brk_policy_dns(const struct brk_policy *p, const char *const **out)
{
	*out = (const char *const *)p->dns.v;
	return p->dns.n;
}
