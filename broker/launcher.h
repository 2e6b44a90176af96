/* SPDX-License-Identifier: MIT */
/*
 * launcher.h - run one command under dlpjail: private broker socket,
 * LD_PRELOAD of the shim, exit status passed through, summary at the end.
 * Also the ad hoc per-user broker daemon the shim starts on demand.
 */
#ifndef DLP_BROKER_LAUNCHER_H
#define DLP_BROKER_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>

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
	bool weak;                   /* --weak: run shim-only where the host has no seccomp
				      * user notification (else refuse, exit 125) */
	bool tls_ca;                 /* the relay's CA path for TLS no hook reports */
	bool tls_ca_rsa;             /* --tls-ca-rsa: an RSA CA too (node-forge) */
	const char *upstream_ca;     /* --upstream-ca: trust store for upstream TLS (NULL: host) */
	int grace_sec;               /* after SIGINT/SIGTERM: SIGKILL the command this much
				      * later (0: wait for it); a second signal: at once */	const char *profile;         /* the policy profile (its secret needs, swap.h) */
	bool real_secrets;           /* --real-secrets: no placeholders in the jail */
};

/* Runs argv[0..] and returns the exit status dlpjail should exit with. */
int brk_launch(struct brk_launch_opts *o, char **argv);

/*
 * How to rebuild a policy when one of its files changes (ad hoc broker).
 * build returns 0 with a new policy, or negative errno with err filled.
 */
typedef int brk_policy_build_fn(void *arg, struct brk_policy **out, char *err, size_t errlen);
struct brk_policy_reload {
	brk_policy_build_fn *build;
	void *arg;
	const char *const *files;    /* watched: mtime, size, inode */
	size_t nfiles;
};

/*
 * The ad hoc broker: listen on sock (NULL: the per-user path), detach
 * when daemonize, exit after idle_sec seconds with no clients, or on
 * SIGTERM/SIGINT (`dlpjail broker --stop`). With reload (may be NULL), the
 * policy is rebuilt when one of reload->files changes; a new policy that
 * does not load is reported and the running one kept.
 */
int brk_adhoc_broker(struct brk_policy *policy, const char *sock, const char *log_path,
		     bool daemonize, int idle_sec, const struct brk_policy_reload *reload);

/*
 * `dlpjail broker --stop`: stop the broker serving sock (NULL: the
 * per-user one) and wait for it to exit. Returns the exit status: 0 when
 * it stopped or none was running (said on stderr), 1 if it would not stop.
 */
int brk_adhoc_stop(const char *sock);

/* Find libdlpshim.so: $DLPJAIL_SHIM, next to this binary (build tree), libdir. */
int brk_find_shim(char *dst, size_t cap);

#endif /* DLP_BROKER_LAUNCHER_H */
