/* SPDX-License-Identifier: MIT */
/*
 * policy.c - policy rules, the keyword table that parses them, and the
 * host/address decisions (semantics in policy.h). Only broker.c and
 * main.c call it; tests go through policy.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dlp_buf.h"
#include "common/dlp_err.h"
#include "common/redact.h"
#include "broker/dns/dns_policy.h"
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

/*
 * "allow HOST... methods GET,HEAD [path GLOB]": a host named by one of
 * these takes only the requests some rule naming it allows.
 */
struct req_rule {
	struct host_rule h;   /* h.origin: where the line came from */
	char *methods;        /* "GET,HEAD" (upper case) or "*" */
	char *path;           /* glob (fnmatch, '*' crosses '/'), "*": any */
	char *text;           /* "allow registry.npmjs.org methods GET,HEAD" */
};

struct brk_policy {
	struct host_rule *hosts;
	size_t nhosts;
	struct cidr_rule *cidrs;
	size_t ncidrs;
	struct req_rule *reqs;
	size_t nreqs;
	struct strvec canaries, homes, dns;
	struct strvec unix_socks;  /* "unix PATTERN": AF_UNIX sockets outside the jail */
	struct strvec blind;       /* "HOST=ORIGIN": TLS to HOST passed uninspected */
	struct strvec ssh;         /* "HOST=ORIGIN": SSH to HOST passed (unreadable) */
	struct strvec writable;    /* "writable PATH": a persist.c path left writable */
	struct strvec user_hosts;  /* built by brk_policy_user_hosts() */
	struct strvec shipped;     /* sources ("FILE" of "FILE:LINE") marked shipped */
	struct strvec shown;       /* "ORIGIN\tLINE" of every effective or ignored line */
	struct strvec notes;       /* warnings and notes for the event log */
	enum brk_policy_tier tier; /* of the lines being added now */
	int errword;               /* word of the last line an error is about */
	unsigned errcol;           /* its column (1-based), 0 when the line was fine */
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
	for (i = 0; i < p->nreqs; i++) {
		free(p->reqs[i].h.name);
		free(p->reqs[i].h.origin);
		free(p->reqs[i].methods);
		free(p->reqs[i].path);
		free(p->reqs[i].text);
	}
	free(p->reqs);
	free(p->hosts);
	free(p->cidrs);
	strvec_free(&p->canaries);
	strvec_free(&p->homes);
	strvec_free(&p->dns);
	strvec_free(&p->unix_socks);
	strvec_free(&p->blind);
	strvec_free(&p->ssh);
	strvec_free(&p->writable);
	strvec_free(&p->user_hosts);
	strvec_free(&p->shipped);
	strvec_free(&p->shown);
	strvec_free(&p->notes);
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

static int policy_ignore(struct brk_policy *p, const char *origin, const char *why);

int brk_policy_add_rule(struct brk_policy *p, const char *kind, const char *spec,
			const char *origin, char *err, size_t errlen)
{
	enum rule_kind k;
	struct brk_cidr c;
	char why[400];
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
	if (looks_like_addr(spec) && brk_cidr_parse(spec, &c) < 0) {
		snprintf(err, errlen, "'%s' is not a valid address or CIDR "
			 "(host bits must be zero)", spec);
		return -EINVAL;
	}
	/* a cloned repository must not open the metadata service, a local
	 * admin port or every name: a project allows host names only */
	if (p->tier == BRK_TIER_PROJECT && k == RULE_ALLOW &&
	    (looks_like_addr(spec) || !strcmp(spec, "*") || !strcasecmp(spec, "localhost"))) {
		snprintf(why, sizeof(why), "allow %.200s: a project file allows host names only "
			 "(no addresses, no *, no localhost)", spec);
		return policy_ignore(p, origin, why);
	}
	if (looks_like_addr(spec))
		return add_cidr(p, k, &c, origin, err, errlen);
	rc = add_host(p, k, spec, origin, err, errlen);
	if (rc == 0 && k == RULE_ALLOW && !strcasecmp(spec, "localhost"))
		rc = add_localhost_addrs(p, origin, "/etc/hosts", err, errlen);
	return rc;
}

/* ---- the keyword table: one row per policy keyword ---- */

/* A valid line the merge rules set aside: shown by `policy show`, noted as an event. */
static int policy_ignore(struct brk_policy *p, const char *origin, const char *why)
{
	char buf[POLICY_MAX_LINE + 320];

	snprintf(buf, sizeof(buf), "%s: ignored: %s", origin, why);
	strvec_push(&p->notes, buf);
	return 1;
}

typedef int policy_kw_fn(struct brk_policy *p, char **argv, int argc,
			 const char *origin, char *err, size_t errlen);

/* ---- request rules: "allow HOST... methods M,M [path GLOB]" ---- */

static bool host_match(const struct host_rule *r, const char *name);

/* "get,HEAD" -> "GET,HEAD" in out; -EINVAL unless tokens of letters or "*". */
static int req_methods(const char *in, char *out, size_t cap)
{
	size_t i, l = strlen(in), tok = 0;

	if (!strcmp(in, "*") && cap > 1) {
		memcpy(out, "*", 2);
		return 0;
	}
	if (l == 0 || l >= cap)
		return -EINVAL;
	for (i = 0; i <= l; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == ',' || c == '\0') {
			if (tok == 0)
				return -EINVAL;
			tok = 0;
		} else if (isalpha(c) || c == '-' || c == '_') {
			tok++;
		} else {
			return -EINVAL;
		}
		out[i] = (char)toupper(c);
	}
	return 0;
}

/* Does an earlier rule already restrict what may be sent to spec's hosts? */
static bool req_restricted_spec(const struct brk_policy *p, const char *spec)
{
	size_t i;
	const char *name = !strncmp(spec, "*.", 2) ? spec + 2 : spec;

	for (i = 0; i < p->nreqs; i++)
		if (host_match(&p->reqs[i].h, name) || !strcasecmp(p->reqs[i].h.name, name))
			return true;
	return false;
}

static int req_add(struct brk_policy *p, const char *spec, const char *methods,
		   const char *path, const char *text, const char *origin)
{
	struct req_rule r = { .h.kind = RULE_ALLOW }, *nr;
	char norm[256];

	if (!strcmp(spec, "*")) {
		r.h.wildcard = true;
		norm[0] = '\0';
	} else {
		if (!strncmp(spec, "*.", 2)) {
			r.h.wildcard = true;
			spec += 2;
		}
		if (brk_host_normalise(spec, norm, sizeof(norm)) < 0)
			return -EINVAL;
	}
	if (p->nreqs >= POLICY_MAX_RULES)
		return -E2BIG;
	r.h.name = strdup(norm);
	r.h.origin = strdup(origin);
	r.methods = strdup(methods);
	r.path = strdup(path);
	r.text = strdup(text);
	nr = realloc(p->reqs, (p->nreqs + 1) * sizeof(*nr));
	if (!r.h.name || !r.h.origin || !r.methods || !r.path || !r.text || !nr) {
		free(r.h.name);
		free(r.h.origin);
		free(r.methods);
		free(r.path);
		free(r.text);
		if (nr)
			p->reqs = nr;
		return -ENOMEM;
	}
	p->reqs = nr;
	p->reqs[p->nreqs++] = r;
	return 0;
}

/*
 * argv[m] is "method"/"methods": argv[1..m) are the hosts (names, *.domain
 * or *: requests are judged by name), argv[m+1] the methods, then an
 * optional "path GLOB". Each host is allowed as a plain allow line would,
 * and from then on takes only the requests the rules naming it allow.
 */
static int kw_request_rule(struct brk_policy *p, char **argv, int argc, int m,
			   const char *origin, char *err, size_t errlen)
{
	char methods[256], text[POLICY_MAX_LINE], why[POLICY_MAX_LINE + 100];
	const char *path = "*";
	int i, rc = 0, ignored = 0;

	if (strcmp(argv[0], "allow")) {
		p->errword = m;
		snprintf(err, errlen, "'%s' rules are allow lines: "
			 "allow HOST... methods GET,HEAD [path GLOB]", argv[m]);
		return -EINVAL;
	}
	if (m == 1) {
		p->errword = m;
		snprintf(err, errlen, "'%s' needs the hosts before it: "
			 "allow HOST... methods GET,HEAD [path GLOB]", argv[m]);
		return -EINVAL;
	}
	if (m + 1 >= argc || req_methods(argv[m + 1], methods, sizeof(methods)) < 0) {
		p->errword = m + 1 < argc ? m + 1 : m;
		snprintf(err, errlen, "'%s' takes a comma-separated list of HTTP methods "
			 "(GET,HEAD) or *", argv[m]);
		return -EINVAL;
	}
	if (m + 2 < argc) {
		if (strcmp(argv[m + 2], "path") || m + 4 != argc) {
			p->errword = m + 2;
			snprintf(err, errlen, "after the methods only 'path GLOB' may follow");
			return -EINVAL;
		}
		path = argv[m + 3];
		if (path[0] != '/' && strcmp(path, "*")) {
			p->errword = m + 3;
			snprintf(err, errlen, "a path glob starts with '/' (or is *)");
			return -EINVAL;
		}
	}
	for (i = 1; i < m; i++) {
		char norm[256];
		const char *h = argv[i];

		if (looks_like_addr(h) || (strcmp(h, "*") &&
		    brk_host_normalise(!strncmp(h, "*.", 2) ? h + 2 : h, norm, sizeof(norm)) < 0)) {
			p->errword = i;
			snprintf(err, errlen, "'%s': method rules name hosts (a name, *.DOMAIN "
				 "or *), not addresses", h);
			return -EINVAL;
		}
	}
	for (i = 1; i < m; i++) {
		/* a cloned project may restrict a host, not widen what an
		 * earlier file let through to it */
		if (p->tier == BRK_TIER_PROJECT && req_restricted_spec(p, argv[i])) {
			snprintf(why, sizeof(why), "allow %.200s %s %s: a project file cannot "
				 "add methods to a host an earlier file restricts", argv[i],
				 argv[m], methods);
			ignored += policy_ignore(p, origin, why);
			continue;
		}
		rc = brk_policy_add_rule(p, "allow", argv[i], origin, err, errlen);
		if (rc < 0) {
			p->errword = i;
			return rc;
		}
		if (rc > 0) {
			ignored++;
			continue;
		}
		snprintf(text, sizeof(text), "allow %.256s %s %s%s%.600s", argv[i], argv[m],
			 methods, strcmp(path, "*") ? " path " : "", strcmp(path, "*") ? path : "");
		rc = req_add(p, argv[i], methods, path, text, origin);
		if (rc < 0) {
			p->errword = i;
			snprintf(err, errlen, "%s", rc == -E2BIG ? "too many method rules"
				 : "out of memory");
			return rc;
		}
	}
	return ignored == m - 1 ? 1 : 0;
}

static int kw_rule(struct brk_policy *p, char **argv, int argc, const char *origin,
		   char *err, size_t errlen)
{
	int i, rc, ignored = 0;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "method") || !strcmp(argv[i], "methods"))
			return kw_request_rule(p, argv, argc, i, origin, err, errlen);
	for (i = 1; i < argc; i++) {
		rc = brk_policy_add_rule(p, argv[0], argv[i], origin, err, errlen);
		if (rc < 0) {
			p->errword = i;
			return rc;
		}
		ignored += rc > 0;
	}
	return ignored == argc - 1 ? 1 : 0;   /* 1: the whole line was set aside */
}

static int kw_canary(struct brk_policy *p, char **argv, int argc, const char *origin,
		     char *err, size_t errlen)
{
	if (strlen(argv[1]) < 8) {
		p->errword = 1;
		snprintf(err, errlen, "canary tokens must be at least 8 characters");
		return -EINVAL;
	}
	return strvec_push(&p->canaries, argv[1]);
}

static int kw_mode(struct brk_policy *p, char **argv, int argc, const char *origin,
		   char *err, size_t errlen)
{
	if (!strcmp(argv[1], "monitor") && p->tier == BRK_TIER_PROJECT)
		return policy_ignore(p, origin, "a project file cannot turn enforcement off");
	if (!strcmp(argv[1], "monitor"))
		p->monitor = true;
	else if (!strcmp(argv[1], "enforce"))
		p->monitor = false;
	else {
		p->errword = 1;
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
	char buf[2 * POLICY_MAX_LINE + 2];
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 2 > sizeof(buf))
		return -E2BIG;
	memcpy(buf, a, la);
	buf[la] = '=';
	memcpy(buf + la + 1, b, lb + 1);
	return strvec_push(v, buf);
}

static int kw_home(struct brk_policy *p, char **argv, int argc, const char *origin,
		   char *err, size_t errlen)
{
	char norm[256];

	if (brk_host_normalise(argv[2], norm, sizeof(norm)) < 0) {
		p->errword = 2;
		snprintf(err, errlen, "home domain '%s' is not a host name", argv[2]);
		return -EINVAL;
	}
	if (p->tier == BRK_TIER_PROJECT)
		return policy_ignore(p, origin, "a project file cannot send credentials to more "
				     "domains (home lines belong in your own file)");
	return kw_pair(&p->homes, argv[1], norm);
}

/*
 * A line of one exact host name ("blind HOST", "ssh HOST") for the pair
 * list l: no wildcard, no address; project files cannot add one (why).
 */
static int kw_exact_host(struct brk_policy *p, struct strvec *l, const char *kw,
			 const char *host, const char *origin, const char *why, char *err,
			 size_t errlen)
{
	char norm[256];
	struct brk_addr a;

	p->errword = 1;
	if (strchr(host, '*') || brk_addr_parse(host, &a) == 0 ||
	    brk_host_normalise(host, norm, sizeof(norm)) < 0) {
		snprintf(err, errlen, "%s takes one exact host name (no wildcard, no "
			 "address), not '%.60s'", kw, host);
		return -EINVAL;
	}
	p->errword = 0;
	if (p->tier == BRK_TIER_PROJECT)
		return policy_ignore(p, origin, why);
	return kw_pair(l, norm, origin && *origin ? origin : "policy");
}

/* "blind HOST": the relay passes TLS to exactly this name uninspected. */
static int kw_blind(struct brk_policy *p, char **argv, int argc, const char *origin,
		    char *err, size_t errlen)
{
	(void)argc;
	return kw_exact_host(p, &p->blind, "blind", argv[1], origin, "a project file cannot "
			     "exempt a host from TLS inspection (blind lines belong in your own "
			     "file)", err, errlen);
}

/* The origin of host's line in the pair list l (kw_exact_host), or NULL. */
static const char *exact_host_origin(const struct strvec *l, const char *host)
{
	char norm[256];
	size_t i, n;

	if (!host || !*host || brk_host_normalise(host, norm, sizeof(norm)) < 0)
		return NULL;
	n = strlen(norm);
	for (i = 0; i < l->n; i++)
		if (!strncmp(l->v[i], norm, n) && l->v[i][n] == '=')
			return l->v[i] + n + 1;
	return NULL;
}

const char *brk_policy_blind(const struct brk_policy *p, const char *host)
{
	return exact_host_origin(&p->blind, host);
}

/*
 * "ssh HOST": an SSH session (its client banner) to exactly this name is
 * passed by the relay; it reads none of it (relay_ssh.c). Project files
 * cannot add one.
 */
static int kw_ssh(struct brk_policy *p, char **argv, int argc, const char *origin,
		  char *err, size_t errlen)
{
	(void)argc;
	return kw_exact_host(p, &p->ssh, "ssh", argv[1], origin, "a project file cannot open "
			     "SSH sessions, which nobody can read (ssh lines belong in your own "
			     "file)", err, errlen);
}

/*
 * "writable PATH": a file that runs outside the jail (persist.c: ~/.bashrc,
 * .git/hooks, ...) the command may write. "~/" is the home directory, a
 * relative path is the working directory's. Project files cannot add one.
 */
static int kw_writable(struct brk_policy *p, char **argv, int argc, const char *origin,
		       char *err, size_t errlen)
{
	(void)argc;
	(void)err;
	(void)errlen;
	if (p->tier == BRK_TIER_PROJECT)
		return policy_ignore(p, origin, "a project file cannot make files that run "
				     "outside the jail writable (writable lines belong in your "
				     "own file)");
	return strvec_push(&p->writable, argv[1]);
}

size_t brk_policy_writables(const struct brk_policy *p, const char *const **out)
{
	*out = p ? (const char *const *)p->writable.v : NULL;
	return p ? p->writable.n : 0;
}

const char *brk_policy_ssh(const struct brk_policy *p, const char *host)
{
	return p ? exact_host_origin(&p->ssh, host) : NULL;
}

/*
 * Which way each DNS key tightens: -1 a lower value is stricter, +1 a
 * higher one, 0 a list (deny_qtypes: later files add to it; exempt:
 * widens, so only the base, profile and your own files may set it).
 */
static const struct {
	const char *key;
	int stricter;
} dns_direction[] = {
	{ "label_min_len", -1 }, { "entropy_threshold", -1 }, { "max_vowel_ratio", +1 },
	{ "long_label_len", -1 }, { "query_max_he_bytes", -1 }, { "text_min_bytes", -1 },
	{ "text_min_ratio", -1 }, { "text_min_alnum", -1 }, { "deny_binary_labels", +1 },
	{ "deny_qtypes", 0 }, { "budget_label_min_len", -1 }, { "max_unique_subdomains", -1 },
	{ "max_unique_he_subdomains", -1 }, { "max_he_bytes", -1 },
	{ "session_max_he_bytes", -1 }, { "reasm_text_min_bytes", -1 },
	{ "tunnel_min_queries", -1 }, { "tunnel_ratio", -1 }, { "max_domains", -1 },
	{ "block_domain_on_deny", +1 }, { "exempt", 0 },
};

struct dns_default {
	const char *key;
	const char *value;
};

static void dns_default_cb(const char *key, const char *deflt, const char *desc, void *ctx)
{
	struct dns_default *d = ctx;

	(void)desc;
	if (!strcmp(key, d->key))
		d->value = deflt;
}

/* The value in effect for key: the last dns line setting it, else the default. */
static const char *dns_current(const struct brk_policy *p, const char *key)
{
	struct dns_default d = { .key = key };
	size_t i, kl = strlen(key);

	for (i = p->dns.n; i-- > 0;)
		if (!strncmp(p->dns.v[i], key, kl) && p->dns.v[i][kl] == '=')
			return p->dns.v[i] + kl + 1;
	brk_dns_config_keys(dns_default_cb, &d);
	return d.value;
}

static double dns_number(const char *v)
{
	static const char *const yes[] = { "yes", "on", "true" };
	size_t i;

	for (i = 0; i < DLP_ARRAY_SIZE(yes); i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	return strtod(v, NULL);   /* "no", "off", "false" are 0 */
}

static int kw_dns(struct brk_policy *p, char **argv, int argc, const char *origin,
		  char *err, size_t errlen)
{
	struct brk_dns_config *cfg;
	const char *key = argv[1], *cur;
	char merged[POLICY_MAX_LINE];
	size_t i;
	int rc, dir = 0;

	if (!strncmp(key, "dns.", 4))
		key += 4;
	/* a typo or an out-of-range value is an error here, not at first use */
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	brk_dns_config_defaults(cfg);
	rc = brk_dns_config_set(cfg, key, argv[2], err, errlen);
	free(cfg);
	if (rc < 0) {
		p->errword = strstr(err, "unknown key") ? 1 : 2;
		return -EINVAL;
	}
	if (p->tier == BRK_TIER_EXPLICIT || p->tier == BRK_TIER_BASE)
		return kw_pair(&p->dns, key, argv[2]);
	for (i = 0; i < DLP_ARRAY_SIZE(dns_direction); i++)
		if (!strcmp(dns_direction[i].key, key))
			dir = dns_direction[i].stricter;
	cur = dns_current(p, key);
	if (!strcmp(key, "exempt")) {
		if (p->tier == BRK_TIER_PROJECT && strcasecmp(argv[2], "none"))
			return policy_ignore(p, origin, "exempting domains loosens the DNS checks");
		return kw_pair(&p->dns, key, argv[2]);
	}
	if (!strcmp(key, "deny_qtypes")) {
		snprintf(merged, sizeof(merged), "%s,%s", cur ? cur : "", argv[2]);
		return kw_pair(&p->dns, key, merged[0] == ',' ? merged + 1 : merged);
	}
	if (cur && ((dir < 0 && dns_number(argv[2]) > dns_number(cur)) ||
		    (dir > 0 && dns_number(argv[2]) < dns_number(cur)))) {
		snprintf(merged, sizeof(merged), "dns %s %s would loosen %s (in effect: %s); "
			 "settings from later files only tighten", key, argv[2], key, cur);
		return policy_ignore(p, origin, merged);
	}
	return kw_pair(&p->dns, key, argv[2]);
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

/*
 * unix PATTERN: a Unix socket outside the jail the command may connect or
 * send to (issue 10 item 4): an absolute path, glob(7) with FNM_PATHNAME,
 * or "@NAME" for the abstract namespace. The jail's own sockets and the
 * broker's need no line. A project file cannot add one (a socket out of
 * the jail is a way around every check: systemd-run over D-Bus, docker).
 */
static int kw_unix(struct brk_policy *p, char **argv, int argc, const char *origin,
		   char *err, size_t errlen)
{
	(void)argc;
	if (argv[1][0] != '/' && argv[1][0] != '@') {
		p->errword = 1;
		snprintf(err, errlen, "unix socket '%.60s' must be an absolute path or @NAME",
			 argv[1]);
		return -EINVAL;
	}
	if (p->tier == BRK_TIER_PROJECT)
		return policy_ignore(p, origin, "a project file cannot open Unix sockets out of "
				     "the jail (unix lines belong in your own file)");
	return strvec_push(&p->unix_socks, argv[1]);
}

bool brk_policy_unix_allowed(const struct brk_policy *p, const char *path)
{
	size_t i;

	for (i = 0; p && i < p->unix_socks.n; i++)
		if (fnmatch(p->unix_socks.v[i], path, FNM_PATHNAME) == 0)
			return true;
	return false;
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
	  .usage = "allow HOST|*.DOMAIN|ADDR|CIDR ... [methods GET,HEAD [path GLOB]]" },
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
	{ .name = "unix",   .min_args = 1, .max_args = 1, .fn = kw_unix,
	  .usage = "unix PATH|GLOB|@NAME" },
	/* seconds a broker request may take before it is refused (broker.c) */
	{ .name = "watchdog", .min_args = 1, .max_args = 1, .fn = kw_watchdog,
	  .usage = "watchdog SECONDS" },
	/* TLS to this exact name passes the relay uninspected (relay_mitm.c) */
	{ .name = "blind", .min_args = 1, .max_args = 1, .fn = kw_blind,
	  .usage = "blind HOST" },
	/* SSH to this exact name is passed unread (relay_ssh.c) */
	{ .name = "ssh", .min_args = 1, .max_args = 1, .fn = kw_ssh,
	  .usage = "ssh HOST" },
	/* a file that runs outside the jail left writable (persist.c) */
	{ .name = "writable", .min_args = 1, .max_args = 1, .fn = kw_writable,
	  .usage = "writable PATH" },
};

/* Remember an accepted line for `policy show`, canaries redacted. */
static void show_line(struct brk_policy *p, const char *origin, char **argv, int argc,
		      bool ignored)
{
	struct dlp_buf b;
	char red[DLP_REDACT_MAX];
	int i;

	dlp_buf_init(&b, POLICY_MAX_LINE * 2);
	dlp_buf_printf(&b, "%s\t%s", origin, ignored ? "# ignored: " : "");
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (i == 1 && !strcmp(argv[0], "canary")) {
			dlp_redact((const uint8_t *)w, strlen(w), red, sizeof(red));
			w = red;
		}
		dlp_buf_printf(&b, "%s%s", i ? " " : "", w);
	}
	if (dlp_buf_append(&b, "", 1) == 0)
		strvec_push(&p->shown, (const char *)b.ptr);
	dlp_buf_free(&b);
}

int brk_policy_add_line(struct brk_policy *p, const char *line, const char *origin,
			char *err, size_t errlen)
{
	char buf[POLICY_MAX_LINE];
	char *argv[68], *s, *save = NULL;
	int argc = 0, rc;
	size_t i, l = strlen(line);

	p->errcol = 1;
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
			p->errcol = (unsigned)(s - buf) + 1;
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
			p->errword = argc - 1 > kw->max_args ? kw->max_args + 1 : 0;
			p->errcol = (unsigned)(argv[p->errword] - buf) + 1;
			snprintf(err, errlen, "wrong number of arguments; usage: %s", kw->usage);
			return -EINVAL;
		}
		p->errword = 0;
		rc = kw->fn(p, argv, argc, origin, err, errlen);
		p->errcol = rc < 0 ? (unsigned)(argv[p->errword] - buf) + 1 : 0;
		if (rc >= 0)
			show_line(p, origin, argv, argc, rc > 0);
		return rc < 0 ? rc : 0;
	}
	p->errcol = (unsigned)(argv[0] - buf) + 1;
	snprintf(err, errlen, "unknown keyword '%.40s' (expected allow, deny, canary, "
		 "mode, home, dns, shipped, watchdog, blind or unix)", argv[0]);
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
	/* a project's allow lines are never "your own choice" of a server */
	if (p->tier == BRK_TIER_PROJECT && (rc = strvec_push(&p->shipped, path)) < 0) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u:%d: line longer than %d bytes", path, lineno,
				 POLICY_MAX_LINE, POLICY_MAX_LINE);
			rc = -EINVAL;
			break;
		}
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		rc = brk_policy_add_line(p, line, origin, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "%s:%u:%u: %s", path, lineno, p->errcol, msg);
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

void brk_policy_set_tier(struct brk_policy *p, enum brk_policy_tier tier)
{
	p->tier = tier;
}

size_t brk_policy_shown(const struct brk_policy *p, const char *const **out)
{
	*out = (const char *const *)p->shown.v;
	return p->shown.n;
}

size_t brk_policy_notes(const struct brk_policy *p, const char *const **out)
{
	*out = (const char *const *)p->notes.v;
	return p->notes.n;
}

int brk_policy_add_note(struct brk_policy *p, const char *note)
{
	return strvec_push(&p->notes, note);
}

int brk_policy_check_file(const char *path, FILE *out)
{
	char line[POLICY_MAX_LINE + 2], origin[300], msg[256];
	struct brk_policy *p;
	unsigned lineno = 0;
	int problems = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		int e = errno;
		fprintf(out, "%s: %s\n", path, strerror(e));
		return -e;
	}
	p = brk_policy_new();
	if (!p) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			int ch;
			fprintf(out, "%s:%u:%d: line longer than %d bytes\n", path, lineno,
				POLICY_MAX_LINE, POLICY_MAX_LINE);
			problems++;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		if (brk_policy_add_line(p, line, origin, msg, sizeof(msg)) < 0) {
			fprintf(out, "%s:%u:%u: %s\n", path, lineno, p->errcol, msg);
			problems++;
		}
	}
	if (ferror(f)) {
		fprintf(out, "%s: read error\n", path);
		problems++;
	}
	fclose(f);
	brk_policy_free(p);
	return problems;
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

/*
 * A path a server may resolve elsewhere: a dot segment once %2e, %2f, %5c
 * and '\\' are read as the '.', '/' a server may take them for. Only a
 * "path *" rule matches it.
 */
static bool path_ambiguous(const char *path, size_t n)
{
	char d[2048];
	size_t i, k = 0;

	for (i = 0; i < n && k < sizeof(d); i++) {
		char c = path[i];

		if (c == '%' && i + 2 < n && path[i + 1] == '2' && strchr("eE", path[i + 2])) {
			c = '.';
			i += 2;
		} else if (c == '%' && i + 2 < n && ((path[i + 1] == '2' && strchr("fF", path[i + 2])) ||
			   (path[i + 1] == '5' && strchr("cC", path[i + 2])))) {
			c = '/';
			i += 2;
		} else if (c == '\\') {
			c = '/';
		}
		d[k++] = c;
	}
	for (i = 0; i < k; i++)
		if (d[i] == '.' && (i == 0 || d[i - 1] == '/') &&
		    (i + 1 == k || d[i + 1] == '/' ||
		     (d[i + 1] == '.' && (i + 2 == k || d[i + 2] == '/'))))
			return true;
	return false;
}

static bool req_method_match(const char *list, const char *method)
{
	size_t ml = strlen(method);
	const char *s = list;

	if (!strcmp(list, "*"))
		return true;
	while (*s) {
		size_t l = strcspn(s, ",");

		if (l == ml && !strncasecmp(s, method, l))
			return true;
		s += l;
		if (*s == ',')
			s++;
	}
	return false;
}

bool brk_policy_host_restricted(const struct brk_policy *p, const char *host)
{
	char norm[256];
	size_t i;

	if (!host || !p->nreqs || brk_host_normalise(host, norm, sizeof(norm)) < 0)
		return false;
	for (i = 0; i < p->nreqs; i++)
		if (host_match(&p->reqs[i].h, norm))
			return true;
	return false;
}

void brk_policy_check_request(const struct brk_policy *p, const char *host,
			      const char *method, const char *target, struct brk_decision *d)
{
	char norm[256], path[2048], red[DLP_REDACT_MAX], why[BRK_POLICY_REASON_MAX];
	const struct req_rule *first = NULL;
	const char *t = target ? target : "";
	size_t i, n;
	bool ambiguous;

	if (!host || !p->nreqs || brk_host_normalise(host, norm, sizeof(norm)) < 0) {
		decide(d, BRK_ALLOW, "no-method-rule", NULL, "no method rule names this host");
		return;
	}
	/* absolute form (a proxy request): the path after the authority */
	if (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8)) {
		t = strstr(t, "//") + 2;
		t += strcspn(t, "/?#");
	}
	n = strcspn(t, "?#");
	if (n >= sizeof(path))
		n = sizeof(path) - 1;   /* longer: a trailing '*' still matches */
	memcpy(path, t, n);
	path[n] = '\0';
	ambiguous = path_ambiguous(path, n);
	for (i = 0; i < p->nreqs; i++) {
		const struct req_rule *r = &p->reqs[i];

		if (!host_match(&r->h, norm))
			continue;
		if (!first)
			first = r;
		if (!req_method_match(r->methods, method))
			continue;
		if (!strcmp(r->path, "*") ||
		    (!ambiguous && path[0] && fnmatch(r->path, path, 0) == 0)) {
			decide(d, BRK_ALLOW, r->text, r->h.origin, "request allowed by a method rule");
			return;
		}
	}
	if (!first) {
		decide(d, BRK_ALLOW, "no-method-rule", NULL, "no method rule names this host");
		return;
	}
	dlp_redact((const uint8_t *)path, n, red, sizeof(red));
	snprintf(why, sizeof(why), "%.32s %s to %s is not a request the policy allows there%s",
		 method, n ? red : "(no path)", norm,
		 ambiguous ? " (a path with dot segments or encoded '/', '.' or '\\' matches "
		 "only 'path *')" : "");
	decide(d, BRK_DENY, first->text, first->h.origin, why);
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
