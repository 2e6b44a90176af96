/* SPDX-License-Identifier: MIT */
/*
 * main.c - the dlpjail command line: run a command under the jail, or the
 * subcommands `broker` (ad hoc per-user broker) and `scan` (offline scan).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/cli.h"
#include "broker/launcher.h"
#include "broker/policy.h"
#include "broker/profile.h"
#include "broker/swap.h"
#include "broker/scan/scan.h"
#include "broker/secrets.h"
#include "common/dlp_err.h"
#include "common/log.h"
#include "common/paths.h"

/* The shim looks this symbol up and stays inert inside dlpjail itself. */
__attribute__((visibility("default"), used)) const int dlpjail_broker_marker = 1;

static void usage(FILE *f)
{
	fprintf(f,
"usage: dlpjail [options] [--] command [args...]\n"
"       dlpjail scan [--dest HOST] [--json] [FILE...]\n"
"       dlpjail broker [--socket PATH] [--policy FILE] [--log FILE] [--idle SEC] [--foreground]\n"
"       dlpjail policy check FILE...      report every problem (FILE:LINE:COL)\n"
"       dlpjail policy show [--profile NAME] [-- command...]   the merged policy\n"
"       dlpjail test [--profile NAME] [--data FILE] URL|HOST   would it pass?\n"
"       dlpjail explain EVENT-ID [--log FILE]\n"
"       dlpjail shell-init bash|zsh|fish\n"
"       dlpjail broker --stop [--socket PATH]\n"
"\n"
"Run command with egress checked by dlpjail: every connection of the command's\n"
"processes goes through the broker's relay, which reads every byte before it\n"
"leaves (TLS through the hooked libraries' keys, or a CA trusted only inside\n"
"the jail); name lookups go through its DNS gate. Secrets and canary tokens\n"
"leaving are blocked and every block is logged. Inside the jail the\n"
"credentials it could read are placeholders; the relay puts the real value in\n"
"only on the way to that credential's home (--real-secrets: off).\n"
"\n"
"options:\n"
"  -a, --allow HOST|*.DOMAIN|CIDR  allow a destination (repeatable)\n"
"  -d, --deny HOST|*.DOMAIN|CIDR   deny a destination; deny wins (repeatable)\n"
"  -p, --policy FILE      load this policy file instead of the chain (base,\n"
"                         profile, site, user, project; dlpjail.policy(5)); repeatable\n"
"  -P, --profile NAME     use profile NAME.policy, not the one the command picks\n"
"      --no-default-policy  load no policy file (shipped files: %s)\n"
"  -l, --log FILE         append JSON-lines events to FILE ('-' for stderr)\n"
"  -m, --monitor          log what would be blocked, block nothing\n"
"      --canary TOKEN     treat TOKEN as a canary: any outbound copy is blocked\n"
"      --no-canaries      do not put generated canary credentials in the\n"
"                         command's environment (GITHUB_TOKEN, NPM_TOKEN, ...\n"
"                         where unset)\n"
"      --decoy-home       run with a temporary HOME whose ~/.npmrc holds a canary\n"
"      --show-secrets     list the known secrets (redacted), their sources, home\n"
"                         domains and placeholders (swap or never), and exit\n"
"      --real-secrets     let the real credentials into the jail (no placeholders;\n"
"                         warned): the secretless jail off for this run\n"
"      --no-seccomp       no seccomp backstop (static binaries go unchecked);\n"
"                         implies --weak\n"
"      --weak             run even where the host has no seccomp user notification:\n"
"                         shim-only, content can bypass it (warned)\n"
"      --no-mountns       no private /etc (ld.so.preload, resolv.conf -> DNS proxy)\n"
"      --relay            require the egress relay (default: on with the seccomp backstop)\n"
"      --no-relay         no egress relay: bytes the shim does not see go unscanned\n"
"      --upstream-ca FILE verify upstream TLS of the relay's CA path against FILE\n"
"                         (default: the host's trust store)\n"
"      --no-tls-ca        no session CA: TLS no hook reports is refused\n"
"      --tls-ca-rsa       an RSA session CA too, for RSA-only TLS clients (node-forge)\n"
"      --grace SEC        after SIGINT/SIGTERM, kill the command if it is still\n"
"                         running SEC seconds later (default 3; 0 = wait)\n"
"  -q, --quiet            no summary of blocked events at the end\n"
"  -v, --verbose          more diagnostics (repeat for debug)\n"
"  -h, --help             this text\n"
"  -V, --version          print the version\n"
"\n"
"Exit status: the command's, 128+N if it died of signal N, 125 if dlpjail\n"
"refused to run it (usage, broken policy file, setup failure: the command was\n"
"never started), 126/127 if the command could not be run.\n", DLP_PKGDATADIR);
}

enum { OPT_NO_DEFAULT = 256, OPT_CANARY, OPT_SOCKET, OPT_IDLE, OPT_FOREGROUND,
       OPT_NO_CANARIES, OPT_DECOY_HOME, OPT_NO_SECCOMP, OPT_NO_MOUNTNS, OPT_GRACE, OPT_STOP,
       OPT_SHOW_SECRETS, OPT_RELAY, OPT_NO_RELAY, OPT_UPSTREAM_CA, OPT_NO_TLS_CA,
       OPT_TLS_CA_RSA, OPT_WEAK, OPT_REAL_SECRETS };

static const struct option long_opts[] = {
	{ "allow", required_argument, NULL, 'a' },
	{ "deny", required_argument, NULL, 'd' },
	{ "policy", required_argument, NULL, 'p' },
	{ "no-default-policy", no_argument, NULL, OPT_NO_DEFAULT },
	{ "profile", required_argument, NULL, 'P' },
	{ "log", required_argument, NULL, 'l' },
	{ "monitor", no_argument, NULL, 'm' },
	{ "canary", required_argument, NULL, OPT_CANARY },
	{ "no-canaries", no_argument, NULL, OPT_NO_CANARIES },
	{ "decoy-home", no_argument, NULL, OPT_DECOY_HOME },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "weak", no_argument, NULL, OPT_WEAK },
	{ "no-mountns", no_argument, NULL, OPT_NO_MOUNTNS },
	{ "relay", no_argument, NULL, OPT_RELAY },
	{ "no-relay", no_argument, NULL, OPT_NO_RELAY },
	{ "upstream-ca", required_argument, NULL, OPT_UPSTREAM_CA },
	{ "no-tls-ca", no_argument, NULL, OPT_NO_TLS_CA },
	{ "tls-ca-rsa", no_argument, NULL, OPT_TLS_CA_RSA },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ "real-secrets", no_argument, NULL, OPT_REAL_SECRETS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "stop", no_argument, NULL, OPT_STOP },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ NULL, 0, NULL, 0 },
};

/*
 * The policy as the command line builds it: builtin rules, then -a/-d/-p/
 * --canary in order, then the default policy. Kept so that the ad hoc
 * broker can rebuild it the same way when one of its files changes.
 */
struct policy_src {
	int kind;                   /* 'a', 'd', 'p' or OPT_CANARY */
	const char *arg;
};

struct policy_recipe {
	struct policy_src *src;     /* argc entries at most */
	size_t n;
	bool monitor;
	const char *default_path;   /* $DLPJAIL_POLICY; NULL: the chain or nothing */
	bool compose;               /* load the chain (profile.h) for profile */
	const char *profile;
	const char *files[64];      /* what a reload watches */
	size_t nfiles;
};

static int build_policy(void *arg, struct brk_policy **out, char *err, size_t errlen)
{
	const struct policy_recipe *r = arg;
	struct brk_policy *p = brk_policy_new();
	char line[600];
	size_t i;
	int rc = -ENOMEM;

	snprintf(err, errlen, "out of memory");
	if (!p || brk_policy_add_builtin(p) < 0)
		goto out;
	for (i = 0, rc = 0; i < r->n && rc == 0; i++) {
		const struct policy_src *s = &r->src[i];

		if (s->kind == 'p') {
			rc = brk_policy_load_file(p, s->arg, err, errlen);
		} else if (s->kind == OPT_CANARY) {
			snprintf(line, sizeof(line), "canary %s", s->arg);
			rc = brk_policy_add_line(p, line, "--canary", err, errlen);
		} else {
			rc = brk_policy_add_rule(p, s->kind == 'a' ? "allow" : "deny", s->arg,
						 s->kind == 'a' ? "--allow" : "--deny", err, errlen);
		}
	}
	if (rc == 0 && r->default_path)
		rc = brk_policy_load_file(p, r->default_path, err, errlen);
	else if (rc == 0 && r->compose)
		rc = brk_policy_compose(p, r->profile, err, errlen);
	if (rc == 0 && r->monitor)
		brk_policy_set_monitor(p, true);
out:
	if (rc < 0) {
		brk_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/*
 * Which default policy: $DLPJAIL_POLICY, else the one next to this binary
 * or installed (dlp_find_default_policy). None is an error said plainly:
 * without it every lookup would be refused and the command would only
 * retry and time out.
 */
static int find_default_policy(char *dst, size_t cap)
{
	const char *env = getenv(DLP_ENV_POLICY);
	char tried[2048];

	if (env && *env) {
		snprintf(dst, cap, "%s", env);
		return 0;
	}
	if (dlp_find_default_policy(dst, cap, tried, sizeof(tried)) == 0)
		return 0;
	dlp_log(DLP_LOG_ERR, "no default policy: none of %s exists. Without a policy every "
		"destination is refused, so dlpjail does not run. Install dlpjail (make "
		"install), give a policy with --policy FILE (or " DLP_ENV_POLICY "=FILE), or "
		"run with --no-default-policy and --allow HOST", tried);
	return -ENOENT;
}

/* Subcommands that run nothing; -1 when argv[1] is none of them. */
static int subcommand(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "policy", brk_cli_policy }, { "test", brk_cli_test },
		{ "explain", brk_cli_explain }, { "shell-init", brk_cli_shell_init },
	};
	size_t i;

	for (i = 0; argc > 1 && i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	return -1;
}

int main(int argc, char **argv)
{
	struct brk_launch_opts lo = { .seccomp = true, .canaries = true, .mountns = true,
				      .grace_sec = 3, .relay = true,
				      .tls_ca = true };
	static struct policy_recipe rec;    /* static: the ad hoc broker rebuilds from it */
	struct brk_policy_reload reload = { .build = build_policy, .arg = &rec };
	struct brk_policy *policy = NULL;
	const char *sock = NULL, *profile = NULL;
	static char wbase[4096], wprof[4096];   /* what a reload watches */
	static char inputs[16][PATH_MAX];
	size_t ninputs;
	char err[512], defpath[4096];
	bool broker_mode = false, foreground = false, no_default = false, stop = false;
	bool show_secrets = false;
	int c, rc, idle = 600, verbose = 0;

	if (getenv(DLP_ENV_DEBUG))
		dlp_log_set_level(atoi(getenv(DLP_ENV_DEBUG)));
	if (getenv("DLPJAIL_IDLE"))
		idle = atoi(getenv("DLPJAIL_IDLE"));   /* ad hoc broker started by a shim */
	if (argc > 1 && !strcmp(argv[1], "scan"))
		return brk_scan_main(argc - 1, argv + 1);
	if ((rc = subcommand(argc, argv)) >= 0)
		return rc;
	if (argc > 1 && !strcmp(argv[1], "broker")) {
		broker_mode = true;
		argc--;
		argv++;
	}
	rec.src = calloc((size_t)argc + 1, sizeof(*rec.src));
	if (!rec.src) {
		dlp_log(DLP_LOG_ERR, "out of memory");
		return 125;
	}
	while ((c = getopt_long(argc, argv, "+a:d:p:P:l:mqvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			no_default = true;
			if (rec.nfiles < DLP_ARRAY_SIZE(rec.files) - 1)
				rec.files[rec.nfiles++] = optarg;
			/* fall through */
		case 'a':
		case 'd':
		case OPT_CANARY:
			rec.src[rec.n].kind = c;
			rec.src[rec.n++].arg = optarg;
			break;
		case OPT_NO_DEFAULT:
			no_default = true;
			break;
		case 'P':
			profile = optarg;
			break;
		case 'l':
			lo.log_path = optarg;
			break;
		case 'm':
			rec.monitor = true;
			break;
		case OPT_NO_CANARIES:
			lo.canaries = false;
			break;
		case OPT_DECOY_HOME:
			lo.decoy_home = true;
			break;
		case OPT_NO_SECCOMP:
			lo.seccomp = false;
			lo.weak = true;
			break;
		case OPT_WEAK:
			lo.weak = true;
			break;
		case OPT_RELAY:
			lo.relay = lo.relay_required = true;
			break;
		case OPT_NO_RELAY:
			lo.relay = lo.relay_required = false;
			break;
		case OPT_NO_MOUNTNS:
			lo.mountns = false;
			break;
		case OPT_UPSTREAM_CA:
			lo.upstream_ca = optarg;
			break;
		case OPT_NO_TLS_CA:
			lo.tls_ca = false;
			break;
		case OPT_TLS_CA_RSA:
			lo.tls_ca_rsa = true;
			break;
		case OPT_REAL_SECRETS:
			lo.real_secrets = true;
			break;
		case OPT_SHOW_SECRETS:
			show_secrets = true;
			break;
		case OPT_GRACE: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 0 || v > 86400) {
				dlp_log(DLP_LOG_ERR, "--grace takes seconds (0 to 86400), not '%.20s'",
					optarg);
				free(rec.src);
				return 125;
			}
			lo.grace_sec = (int)v;
			break;
		}
		case 'q':
			lo.quiet = true;
			break;
		case 'v':
			verbose++;
			dlp_log_set_level(DLP_LOG_WARN + verbose);
			break;
		case 'h':
			usage(stdout);
			free(rec.src);
			return 0;
		case 'V':
			printf("dlpjail %s\n", PACKAGE_VERSION);
			free(rec.src);
			return 0;
		case OPT_SOCKET:
			sock = optarg;
			break;
		case OPT_IDLE:
			idle = atoi(optarg);
			break;
		case OPT_FOREGROUND:
			foreground = true;
			break;
		case OPT_STOP:
			stop = true;
			break;
		default:
			usage(stderr);
			free(rec.src);
			return 125;
		}
	}
	if (show_secrets) {
		/* for the profile given, or the one the command picks */
		free(rec.src);
		return brk_swaps_show(stdout, profile ? profile : optind < argc ?
				      brk_profile_for_argv(argv + optind) : "default",
				      lo.real_secrets ? BRK_SWAPS_REAL : 0);
	}
	if (broker_mode && stop) {
		free(rec.src);
		return brk_adhoc_stop(sock);
	}
	if (!no_default && getenv(DLP_ENV_POLICY) && *getenv(DLP_ENV_POLICY)) {
		if (find_default_policy(defpath, sizeof(defpath)) < 0) {
			free(rec.src);
			return broker_mode ? 2 : 125;
		}
		rec.default_path = defpath;
		rec.files[rec.nfiles++] = defpath;
		dlp_log(DLP_LOG_INFO, "default policy: %s", defpath);
	} else if (!no_default) {
		/* the chain: base, the command's profile, site, user, project */
		if (!profile)
			profile = !broker_mode && optind < argc ? brk_profile_for_argv(argv + optind)
								: "default";
		/* no shipped files at all: say where they were looked for */
		if (find_default_policy(defpath, sizeof(defpath)) < 0) {
			free(rec.src);
			return broker_mode ? 2 : 125;
		}
		rec.compose = true;
		rec.profile = profile;
		if (brk_policy_find("base", wbase, sizeof(wbase)) == 0)
			rec.files[rec.nfiles++] = wbase;
		if (brk_policy_find(profile, wprof, sizeof(wprof)) == 0)
			rec.files[rec.nfiles++] = wprof;
		/* site, user, project files and tool configs: present or not */
		ninputs = brk_policy_inputs(inputs, sizeof(inputs) / sizeof(inputs[0]));
		for (size_t k = 0; k < ninputs && rec.nfiles < 64; k++)
			rec.files[rec.nfiles++] = inputs[k];
		if (!strcmp(profile, "default"))
			dlp_log(DLP_LOG_INFO, "default policy: %s", wprof[0] ? wprof : defpath);
		else
			dlp_log(DLP_LOG_INFO, "profile %s: %s", profile, wprof[0] ? wprof : "not found");
	}
	rc = build_policy(&rec, &policy, err, sizeof(err));
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "policy: %s%s", err, broker_mode ? "" : " (the command was not started)");
		free(rec.src);
		return broker_mode ? 2 : 125;
	}
	if (broker_mode) {
		reload.files = rec.files;
		reload.nfiles = rec.nfiles;
		return brk_adhoc_broker(policy, sock, lo.log_path, !foreground, idle, &reload);
	}
	free(rec.src);
	if (optind >= argc) {
		usage(stderr);
		brk_policy_free(policy);
		return 125;
	}
	lo.policy = policy;
	lo.profile = profile ? profile : brk_profile_for_argv(argv + optind);
	return brk_launch(&lo, argv + optind);
}
