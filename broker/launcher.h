/* SPDX-License-Identifier: MIT */
/*
 * launcher.h - run one command under dlpjail: private broker socket,
 * LD_PRELOAD of the shim, exit status passed through, summary at the end.
 * Also the ad hoc per-user broker daemon the shim starts on demand.
 */
#ifndef DLP_BROKER_LAUNCHER_H
#define DLP_BROKER_LAUNCHER_H

#include <stdbool.h>

#include "broker/policy.h"

struct brk_launch_opts {
	struct brk_policy *policy;   /* ownership passes to the launcher */
	const char *log_path;        /* NULL: no event file */
	const char *shim_path;       /* NULL: search (see brk_find_shim) */
	bool quiet;                  /* no summary */
	bool seccomp;                /* install the seccomp backstop if available */
	bool canaries;               /* generate canaries into the command's environment */
	bool mountns;                /* private /etc: ld.so.preload + resolv.conf -> DNS proxy */
	bool decoy_home;             /* run with a temporary HOME holding a decoy ~/.npmrc */
	bool relay;                  /* every TCP connection through the egress relay */
	bool relay_required;         /* --relay: refuse to run without it */
};

/* Runs argv[0..] and returns the exit status dlpjail should exit with. */
int brk_launch(struct brk_launch_opts *o, char **argv);

/*
 * The ad hoc broker: listen on sock (NULL: the per-user path), detach
 * when daemonize, exit after idle_sec seconds with no clients.
 */
int brk_adhoc_broker(struct brk_policy *policy, const char *sock, const char *log_path,
		     bool daemonize, int idle_sec);

/* Find libdlpshim.so: $DLPJAIL_SHIM, next to this binary (build tree), libdir. */
int brk_find_shim(char *dst, size_t cap);

#endif /* DLP_BROKER_LAUNCHER_H */
