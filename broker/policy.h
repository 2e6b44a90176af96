/* SPDX-License-Identifier: MIT */
/*
 * policy.h - destination policy: host rules, CIDR rules, canaries, mode.
 *
 * Semantics (documented for users in man/dlpjail.policy.5):
 *  - Hosts: exact names and "*.example.com" (any depth below, not the apex).
 *    A name is resolvable only if an allow rule matches it and no deny rule
 *    does. "localhost" and *.localhost never leave the machine and resolve.
 *  - Addresses: an explicit deny CIDR always wins. A builtin deny range
 *    (link-local, cloud metadata) loses only to an explicit allow CIDR that
 *    contains the address and is at least as specific as the range (so
 *    "allow 0.0.0.0/0" does not open the metadata service). Otherwise an address is connectable if an allow
 *    CIDR contains it, or the broker returned it for an allowed name in this
 *    session - except loopback, link-local and metadata addresses reached
 *    through a name, which need an allow CIDR (DNS rebinding).
 *  - Addresses are canonicalised first (see addr.h).
 * A loaded policy is immutable and shared read-only by broker threads.
 */
#ifndef DLP_BROKER_POLICY_H
#define DLP_BROKER_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "broker/addr.h"

enum brk_verdict { BRK_ALLOW = 0, BRK_DENY = 1 };

#define BRK_POLICY_REASON_MAX 800

struct brk_decision {
	int verdict;          /* BRK_ALLOW / BRK_DENY */
	char rule[400];       /* the rule that decided, with its origin */
	char reason[BRK_POLICY_REASON_MAX];  /* why, in words (redacted) */
};

struct brk_policy;

struct brk_policy *brk_policy_new(void);
void brk_policy_free(struct brk_policy *p);

/*
 * Add one rule line ("allow *.npmjs.org", "deny 10.0.0.0/8", "canary X",
 * "mode monitor", "home github-pat ghe.example.com", "dns key value").
 * origin names where it came from ("policy.conf:12", "--allow") and is
 * kept for events. On error returns -EINVAL with a message naming the
 * problem in err.
 */
int brk_policy_add_line(struct brk_policy *p, const char *line, const char *origin,
			char *err, size_t errlen);
/* Convenience for the CLI: kind "allow"/"deny" + spec. */
int brk_policy_add_rule(struct brk_policy *p, const char *kind, const char *spec,
			const char *origin, char *err, size_t errlen);
/* Load a policy file; err says "FILE:LINE: problem". */
int brk_policy_load_file(struct brk_policy *p, const char *path, char *err, size_t errlen);
/* The builtin deny ranges (169.254.0.0/16, fe80::/10, fd00:ec2::254, ...). */
int brk_policy_add_builtin(struct brk_policy *p);

void brk_policy_set_monitor(struct brk_policy *p, bool on);
bool brk_policy_monitor(const struct brk_policy *p);

/*
 * "watchdog SECONDS": a broker request still unanswered after this long is
 * refused (0: never). Default BRK_POLICY_WATCHDOG_DEFAULT; the last line wins.
 */
#define BRK_POLICY_WATCHDOG_DEFAULT 20
#define BRK_POLICY_WATCHDOG_MAX 3600
unsigned brk_policy_watchdog(const struct brk_policy *p);

/* May this name be resolved? Lowercases and strips a trailing dot itself. */
void brk_policy_check_host(const struct brk_policy *p, const char *host,
			   struct brk_decision *d);
/* May this address be connected to? name_ok: the broker returned it for an allowed name. */
void brk_policy_check_addr(const struct brk_policy *p, const struct brk_addr *a,
			   bool name_ok, struct brk_decision *d);

/* Is there an allow rule naming exactly this host (no wildcard)? */
bool brk_policy_host_allowed_exactly(const struct brk_policy *p, const char *host);
/* Is there an allow rule for exactly this address (a /32 or /128)? */
bool brk_policy_addr_allowed_exactly(const struct brk_policy *p, const struct brk_addr *a);

/*
 * The hosts the user allowed by exact name: "--allow HOST", or "allow HOST"
 * in a policy file that is not marked "shipped" (the default policy is; the
 * mark covers every line whose origin names the same file, "FILE:LINE").
 * Wildcards, "*", addresses and deny-ed names are not included. They are
 * the only destinations a generic credential (a Basic password, a bearer
 * token no detector recognises) may go to. The list is rebuilt on each
 * call and stays valid until the next call or brk_policy_free().
 */
size_t brk_policy_user_hosts(struct brk_policy *p, const char *const **out);

/* Lines the policy passes on verbatim to other modules. */
size_t brk_policy_canaries(const struct brk_policy *p, const char *const **out);
size_t brk_policy_homes(const struct brk_policy *p, const char *const **out);   /* "detector=domain" */
size_t brk_policy_dns(const struct brk_policy *p, const char *const **out);     /* "key=value" */

/* Normalise a host name into dst (lowercase, no trailing dot); -EINVAL if not a valid name. */
int brk_host_normalise(const char *in, char *dst, size_t cap);

#endif /* DLP_BROKER_POLICY_H */
