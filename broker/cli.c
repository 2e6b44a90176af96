/* SPDX-License-Identifier: MIT */
/*
 * cli.c - the subcommands that look at a policy without running anything:
 * `policy check FILE...`, `policy show`, `test URL|HOST [--data FILE]`,
 * `explain EVENT-ID --log FILE` and `shell-init bash|zsh|fish` (cli.h).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/addr.h"
#include "broker/cli.h"
#include "broker/policy.h"
#include "broker/profile.h"
#include "broker/scan/scan.h"

#define CLI_MAX_POLICIES 16

/* Options every look-at-the-policy subcommand shares: which chain. */
struct cli_chain {
	const char *profile;
	const char *files[CLI_MAX_POLICIES];
	int nfiles;
};

static const struct option chain_opts[] = {
	{ "profile", required_argument, NULL, 'P' },
	{ "policy", required_argument, NULL, 'p' },
	{ "data", required_argument, NULL, 'D' },
	{ "method", required_argument, NULL, 'X' },
	{ "log", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The policy a run of argv (may be empty) would use, as main.c builds it. */
static int chain_load(const struct cli_chain *c, char **argv, struct brk_policy **out,
		      const char **profile)
{
	const char *env = getenv("DLPJAIL_POLICY");
	struct brk_policy *p = brk_policy_new();
	char err[600];
	int i, rc = 0;

	*profile = NULL;
	if (!p || brk_policy_add_builtin(p) < 0) {
		brk_policy_free(p);
		fprintf(stderr, "dlpjail: out of memory\n");
		return -ENOMEM;
	}
	for (i = 0; i < c->nfiles && rc == 0; i++)
		rc = brk_policy_load_file(p, c->files[i], err, sizeof(err));
	if (c->nfiles == 0 && env && *env)
		rc = brk_policy_load_file(p, env, err, sizeof(err));
	else if (c->nfiles == 0) {
		*profile = c->profile ? c->profile : brk_profile_for_argv(argv);
		rc = brk_policy_compose(p, *profile, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "dlpjail: %s\n", err);
		brk_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static int chain_opt(struct cli_chain *c, int opt, const char *arg)
{
	if (opt == 'P') {
		c->profile = arg;
		return 0;
	}
	if (opt == 'p' && c->nfiles < CLI_MAX_POLICIES) {
		c->files[c->nfiles++] = arg;
		return 0;
	}
	return -EINVAL;
}

static int policy_check(int argc, char **argv)
{
	int i, n, problems = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: dlpjail policy check FILE...\n");
		return DLP_EXIT_REFUSED;
	}
	for (i = 1; i < argc; i++) {
		n = brk_policy_check_file(argv[i], stderr);
		problems += n < 0 ? 1 : n;
	}
	if (problems) {
		fprintf(stderr, "dlpjail: %d problem%s\n", problems, problems == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

static int policy_show(int argc, char **argv)
{
	struct cli_chain c = { 0 };
	struct brk_policy *p;
	const char *const *v;
	const char *profile;
	size_t i, n;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+P:p:h", chain_opts, NULL)) != -1) {
		if (chain_opt(&c, opt, optarg) < 0) {
			fprintf(stderr, "usage: dlpjail policy show [--profile NAME | --policy FILE] "
				"[-- command...]\n");
			return opt == 'h' ? 0 : DLP_EXIT_REFUSED;
		}
	}
	if (chain_load(&c, argv + optind, &p, &profile) < 0)
		return DLP_EXIT_REFUSED;
	if (profile)
		printf("# profile %s\n", profile);
	n = brk_policy_shown(p, &v);
	for (i = 0; i < n; i++) {
		const char *tab = strchr(v[i], '\t');

		if (tab)
			printf("%-40.*s %s\n", (int)(tab - v[i]), v[i], tab + 1);
	}
	n = brk_policy_notes(p, &v);
	for (i = 0; i < n; i++)
		printf("# %s\n", v[i]);
	if (brk_policy_monitor(p))
		printf("# mode: monitor (nothing is blocked)\n");
	brk_policy_free(p);
	return 0;
}

int brk_cli_policy(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return policy_check(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return policy_show(argc - 1, argv + 1);
	fprintf(stderr, "usage: dlpjail policy check FILE...\n"
		"       dlpjail policy show [--profile NAME | --policy FILE] [-- command...]\n");
	return DLP_EXIT_REFUSED;
}

/* ---- dlpjail test ---- */

/* "https://user@Host:443/x" -> "host"; "host" stays; "[::1]:80" -> "::1". */
static int target_host(const char *t, char *dst, size_t cap)
{
	const char *s = strstr(t, "://"), *e;
	size_t n;

	s = s ? s + 3 : t;
	e = s + strcspn(s, "/?#");
	if (memchr(s, '@', (size_t)(e - s)))
		s = (const char *)memchr(s, '@', (size_t)(e - s)) + 1;
	if (*s == '[') {
		s++;
		n = strcspn(s, "]");
	} else {
		n = (size_t)(e - s);
		/* one colon: host:port; more: a bare IPv6 address */
		if (memchr(s, ':', n) && memchr(s, ':', n) == memrchr(s, ':', n))
			n = (size_t)((const char *)memchr(s, ':', n) - s);
	}
	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 0, n;
	uint8_t *b = NULL, *nb;

	if (!f)
		return -errno;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (64u << 20) || !(nb = realloc(b, cap))) {
				free(b);
				if (f != stdin)
					fclose(f);
				return -E2BIG;
			}
			b = nb;
		}
		n = fread(b + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	*buf = b;
	return 0;
}

static int test_data(struct brk_policy *p, const char *host, const char *path)
{
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;
	struct brk_scan_result r;
	uint8_t *buf = NULL;
	size_t len = 0;
	unsigned i;
	int rc;

	rc = read_file(path, &buf, &len);
	if (rc < 0) {
		fprintf(stderr, "dlpjail test: %s: %s\n", path, strerror(-rc));
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.ncanaries = brk_policy_canaries(p, &cfg.canaries);
	cfg.nextra_home = brk_policy_homes(p, &cfg.extra_home);
	cfg.nuser_hosts = brk_policy_user_hosts(p, &cfg.user_hosts);
	rc = brk_scan_engine_new(&cfg, &e);
	if (rc == 0)
		rc = brk_scan_buffer(e, buf, len, host, &r);
	free(buf);
	brk_scan_engine_free(e);
	if (rc < 0) {
		printf("content: refused: %s\n", rc == -EINVAL ? "bad policy home or canary"
		       : r.error[0] ? r.error : strerror(-rc));
		return 1;
	}
	if (r.refused)
		printf("content: refused: %s (fail closed)\n", r.error);
	for (i = 0; i < r.nfindings; i++) {
		const struct brk_finding *f = &r.findings[i];

		printf("content: %s %s%s%s (%s)\n", f->detector, f->redacted,
		       f->layers[0] ? " in " : "", f->layers,
		       f->action == BRK_SCAN_WARN ? "warn only" :
		       f->in_scope ? "allowed: its home domain" : "blocked");
	}
	if (!r.nfindings && !r.refused)
		printf("content: clean\n");
	return r.blocked ? 1 : 0;
}

/* The request target of a URL ("https://h/a/b?q" -> "/a/b?q"; "/" without one). */
static const char *target_path(const char *t)
{
	const char *s = strstr(t, "://");

	if (!s)
		return "/";
	s += 3;
	s += strcspn(s, "/?#");
	return *s == '/' ? s : "/";
}

/* What the method rules say about METHOD on the URL's path (policy.h). */
static int test_request(struct brk_policy *p, const char *host, const char *method,
			const char *url)
{
	struct brk_decision d;

	brk_policy_check_request(p, host, method, target_path(url), &d);
	if (!strcmp(d.rule, "no-method-rule")) {
		printf("request: %s: any method (no method rule names %s)\n", method, host);
		return 0;
	}
	printf("request: %s %s by %s\n", method, d.verdict == BRK_ALLOW ? "allowed" : "refused",
	       d.rule);
	if (d.verdict != BRK_ALLOW)
		printf("why: %s\n", d.reason);
	return d.verdict == BRK_ALLOW ? 0 : 1;
}

static int cmd_test(int argc, char **argv)
{
	struct cli_chain c = { 0 };
	struct brk_policy *p;
	struct brk_decision d;
	struct brk_addr a;
	const char *data = NULL, *profile, *method = NULL;
	char host[300];
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "P:p:D:X:h", chain_opts, NULL)) != -1) {
		if (opt == 'D')
			data = optarg;
		else if (opt == 'X')
			method = optarg;
		else if (chain_opt(&c, opt, optarg) < 0)
			goto usage;
	}
	if (optind + 1 != argc || target_host(argv[optind], host, sizeof(host)) < 0)
		goto usage;
	if (chain_load(&c, NULL, &p, &profile) < 0)
		return DLP_EXIT_REFUSED;
	if (brk_addr_parse(host, &a) == 0)
		brk_policy_check_addr(p, &a, false, &d);
	else
		brk_policy_check_host(p, host, &d);
	printf("%s: %s%s%s\n", host, d.verdict == BRK_ALLOW ? "allowed" : "blocked",
	       profile ? ", profile " : "", profile ? profile : "");
	printf("rule: %s\n", d.rule);
	printf("why: %s\n", d.reason);
	if (d.verdict != BRK_ALLOW && !strcmp(d.rule, "default-deny"))
		printf("to allow it: --allow %s (policy file: allow %s)\n", host, host);
	rc = d.verdict == BRK_ALLOW ? 0 : 1;
	if (d.verdict == BRK_ALLOW && (method || brk_policy_host_restricted(p, host)) &&
	    test_request(p, host, method ? method : "GET", argv[optind]) != 0)
		rc = 1;
	if (data && test_data(p, host, data) != 0)
		rc = 1;
	brk_policy_free(p);
	return rc;
usage:
	fprintf(stderr, "usage: dlpjail test [--profile NAME | --policy FILE] [--method M] "
		"[--data FILE] URL|HOST|ADDR\n");
	return DLP_EXIT_REFUSED;
}

int brk_cli_test(int argc, char **argv)
{
	return cmd_test(argc, argv);
}

/* ---- dlpjail explain ---- */

/*
 * The value of "key" in one event line of ours (event.c writes them: no
 * nesting but argv, escapes kept as written). Strings without quotes,
 * numbers and arrays as they are. Returns false when absent.
 */
static bool ev_field(const char *line, const char *key, char *dst, size_t cap)
{
	char pat[64];
	const char *p, *e;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p || cap == 0)
		return false;
	p += strlen(pat);
	if (*p == '"') {
		for (e = ++p; *e && *e != '"'; e++)
			if (*e == '\\' && e[1])
				e++;
	} else if (*p == '[') {
		for (e = p; *e && *e != ']'; e++)
			if (*e == '"')
				for (e++; *e && *e != '"'; e++)
					if (*e == '\\' && e[1])
						e++;
		if (*e)
			e++;
	} else {
		e = p + strcspn(p, ",}");
	}
	n = (size_t)(e - p) < cap - 1 ? (size_t)(e - p) : cap - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return true;
}

static void ev_print(const char *line, const char *key, const char *label)
{
	char v[2048];

	if (ev_field(line, key, v, sizeof(v)))
		printf("  %-9s %s\n", label, v);
}

/* One short line for an event of the same process. */
static void ev_brief(const char *line)
{
	char id[64] = "", op[32] = "", host[300] = "", ip[64] = "", port[16] = "", action[16] = "";

	ev_field(line, "id", id, sizeof(id));
	ev_field(line, "op", op, sizeof(op));
	ev_field(line, "host", host, sizeof(host));
	ev_field(line, "ip", ip, sizeof(ip));
	ev_field(line, "port", port, sizeof(port));
	ev_field(line, "action", action, sizeof(action));
	printf("    %s %s %s%s%s%s%s: %s\n", id, op, host, host[0] && ip[0] ? " " : "", ip,
	       port[0] ? ":" : "", port, action);
}

static int cmd_explain(int argc, char **argv)
{
	const char *log = NULL, *want;
	char def[4096], *line = NULL, *hit = NULL, pid[24] = "", v[1024], rule[512] = "";
	char **before = NULL;
	size_t cap = 0, nbefore = 0, i;
	char pat[96];
	FILE *f;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "l:h", chain_opts, NULL)) != -1) {
		if (opt != 'l')
			goto usage;
		log = optarg;
	}
	if (optind + 1 != argc || strlen(argv[optind]) > 60)
		goto usage;
	want = argv[optind];
	if (!log) {
		const char *x = getenv("XDG_RUNTIME_DIR");
		if (x && x[0] == '/')
			snprintf(def, sizeof(def), "%s/dlpjail/events.jsonl", x);
		else
			snprintf(def, sizeof(def), "/tmp/dlpjail-%ld/events.jsonl", (long)getuid());
		log = def;
	}
	f = fopen(log, "re");
	if (!f) {
		fprintf(stderr, "dlpjail explain: %s: %s\n", log, strerror(errno));
		return DLP_EXIT_REFUSED;
	}
	snprintf(pat, sizeof(pat), "\"id\":\"%s\"", want);
	while (getline(&line, &cap, f) > 0) {
		char **nb;

		if (strstr(line, pat)) {
			hit = strdup(line);
			break;
		}
		/* remember the session's earlier lines: the story before the block */
		nb = realloc(before, (nbefore + 1) * sizeof(*nb));
		if (!nb)
			break;
		before = nb;
		before[nbefore++] = strdup(line);
	}
	free(line);
	fclose(f);
	if (!hit) {
		fprintf(stderr, "dlpjail explain: no event %s in %s\n", want, log);
		for (i = 0; i < nbefore; i++)
			free(before[i]);
		free(before);
		return 1;
	}
	printf("event %s\n", want);
	ev_print(hit, "time", "time");
	ev_print(hit, "mode", "mode");
	ev_field(hit, "pid", pid, sizeof(pid));
	ev_print(hit, "pid", "process");
	ev_print(hit, "ppid", "parent");
	ev_print(hit, "exe", "exe");
	ev_print(hit, "argv", "argv");
	ev_print(hit, "op", "operation");
	ev_print(hit, "host", "host");
	ev_print(hit, "ip", "address");
	ev_print(hit, "port", "port");
	ev_print(hit, "proto", "protocol");
	ev_print(hit, "action", "outcome");
	ev_print(hit, "reason", "why");
	ev_print(hit, "rule", "rule");
	ev_print(hit, "detector", "detector");
	ev_print(hit, "match", "match");
	ev_print(hit, "layers", "found in");
	/* what the same process did before, in this session */
	if (pid[0] && ev_field(hit, "session", v, sizeof(v))) {
		char spat[1100], ppat[40];
		size_t shown = 0, from;

		snprintf(spat, sizeof(spat), "\"session\":\"%s\"", v);
		snprintf(ppat, sizeof(ppat), "\"pid\":%s,", pid);
		for (i = 0; i < nbefore; i++)
			if (strstr(before[i], spat) && strstr(before[i], ppat))
				shown++;
		if (shown)
			printf("  before it, the same process (%zu event%s%s):\n", shown,
			       shown == 1 ? "" : "s", shown > 10 ? ", the last 10" : "");
		from = shown > 10 ? shown - 10 : 0;
		for (i = 0, shown = 0; i < nbefore; i++)
			if (strstr(before[i], spat) && strstr(before[i], ppat) && shown++ >= from)
				ev_brief(before[i]);
	}
	ev_field(hit, "rule", rule, sizeof(rule));
	if (ev_field(hit, "detector", v, sizeof(v)))
		printf("  what now: allowing a host never allows a secret; this one (%s) may go only "
		       "to its home domains (dlpjail.policy(5), CREDENTIALS)\n", v);
	else if (!strncmp(rule, "default-deny", 12) &&
		 (ev_field(hit, "host", v, sizeof(v)) || ev_field(hit, "ip", v, sizeof(v))) &&
		 v[0] != '<')
		printf("  what now: if it should pass, --allow %s (policy file: allow %s); "
		       "dlpjail test %s shows the effect\n", v, v, v);
	else if (!strncmp(rule, "deny ", 5))
		printf("  what now: a deny line decided; deny always wins (see its file:line above)\n");
	else if (!strncmp(rule, "dns-", 4))
		printf("  what now: the name looked like data sent through DNS; "
		       "it is shown redacted (dlpjail(1), DNS)\n");
	for (i = 0; i < nbefore; i++)
		free(before[i]);
	free(before);
	free(hit);
	return 0;
usage:
	fprintf(stderr, "usage: dlpjail explain EVENT-ID [--log FILE]\n");
	return DLP_EXIT_REFUSED;
}

int brk_cli_explain(int argc, char **argv)
{
	return cmd_explain(argc, argv);
}
