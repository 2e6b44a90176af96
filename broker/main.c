/* SPDX-License-Identifier: MIT */
/*
 * main.c - the dlpjail command line: run a command under the jail, or the
 * subcommands `broker` (ad hoc per-user broker) and `scan` (offline scan).
 */
#include "config.h"

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
#include "broker/scan/scan.h"
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
"\n"
"Run command with egress checked by dlpjail: every connect, name lookup and\n"
"outbound buffer of the command's processes is judged by a broker; secrets\n"
"and canary tokens leaving the process are blocked and every block is logged.\n"
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
"      --no-seccomp       no seccomp backstop (static binaries go unchecked)\n"
"      --no-mountns       no private /etc (ld.so.preload, resolv.conf -> DNS proxy)\n"
"  -q, --quiet            no summary of blocked events at the end\n"
"  -v, --verbose          more diagnostics (repeat for debug)\n"
"  -h, --help             this text\n"
"  -V, --version          print the version\n"
"\n"
"Exit status: the command's, 128+N if it died of signal N, 125 if dlpjail\n"
"refused to run it (usage, broken policy file, setup failure: the command was\n"
"never started), 126/127 if the command could not be run.\n", DLP_PKGDATADIR);
}

enum { OPT_NO_DEFAULT = 256, OPT_PROFILE, OPT_CANARY, OPT_SOCKET, OPT_IDLE, OPT_FOREGROUND,
       OPT_NO_CANARIES, OPT_DECOY_HOME, OPT_NO_SECCOMP, OPT_NO_MOUNTNS };

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
	{ "no-mountns", no_argument, NULL, OPT_NO_MOUNTNS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ NULL, 0, NULL, 0 },
};

/* $DLPJAIL_POLICY, else the chain for the profile (profile.h). */
static int load_default_policy(struct brk_policy *p, const char *profile, char *err,
			       size_t errlen)
{
	const char *env = getenv(DLP_ENV_POLICY);

	if (env && *env)
		return brk_policy_load_file(p, env, err, errlen);
	return brk_policy_compose(p, profile, err, errlen);
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
	struct brk_launch_opts lo = { .seccomp = true, .canaries = true, .mountns = true };
	struct brk_policy *policy;
	const char *sock = NULL, *profile = NULL;
	char err[512], line[600];
	bool broker_mode = false, foreground = false, no_default = false, monitor = false;
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
	policy = brk_policy_new();
	if (!policy || brk_policy_add_builtin(policy) < 0) {
		dlp_log(DLP_LOG_ERR, "out of memory");
		return 125;
	}
	while ((c = getopt_long(argc, argv, "+a:d:p:P:l:mqvhV", long_opts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'a':
		case 'd':
			rc = brk_policy_add_rule(policy, c == 'a' ? "allow" : "deny", optarg,
						 c == 'a' ? "--allow" : "--deny", err, sizeof(err));
			break;
		case 'p':
			rc = brk_policy_load_file(policy, optarg, err, sizeof(err));
			no_default = true;
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
			monitor = true;
			break;
		case OPT_CANARY:
			snprintf(line, sizeof(line), "canary %s", optarg);
			rc = brk_policy_add_line(policy, line, "--canary", err, sizeof(err));
			break;
		case OPT_NO_CANARIES:
			lo.canaries = false;
			break;
		case OPT_DECOY_HOME:
			lo.decoy_home = true;
			break;
		case OPT_NO_SECCOMP:
			lo.seccomp = false;
			break;
		case OPT_NO_MOUNTNS:
			lo.mountns = false;
			break;
		case 'q':
			lo.quiet = true;
			break;
		case 'v':
			verbose++;
			dlp_log_set_level(DLP_LOG_WARN + verbose);
			break;
		case 'h':
			usage(stdout);
			brk_policy_free(policy);
			return 0;
		case 'V':
			printf("dlpjail %s\n", PACKAGE_VERSION);
			brk_policy_free(policy);
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
		default:
			usage(stderr);
			brk_policy_free(policy);
			return 125;
		}
		if (rc < 0) {
			dlp_log(DLP_LOG_ERR, "%s", err);
			brk_policy_free(policy);
			return 125;
		}
	}
	if (!profile && !broker_mode && optind < argc)
		profile = brk_profile_for_argv(argv + optind);
	if (!no_default && load_default_policy(policy, profile, err, sizeof(err)) < 0) {
		dlp_log(DLP_LOG_ERR, "policy: %s (the command was not started)", err);
		brk_policy_free(policy);
		return 125;
	}
	if (monitor)
		brk_policy_set_monitor(policy, true);
	if (broker_mode)
		return brk_adhoc_broker(policy, sock, lo.log_path, !foreground, idle);
	if (optind >= argc) {
		usage(stderr);
		brk_policy_free(policy);
		return 125;
	}
	lo.policy = policy;
	return brk_launch(&lo, argv + optind);
}
