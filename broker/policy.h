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
#include <stdio.h>

#include "broker/addr.h"

enum brk_verdict { BRK_ALLOW = 0, BRK_DENY = 1 };

#define BRK_POLICY_REASON_MAX 800

struct brk_decision {
	int verdict;          /* BRK_ALLOW / BRK_DENY */
	char rule[400];       /* the rule that decided, with its origin */
	char reason[BRK_POLICY_REASON_MAX];  /* why, in words (redacted) */
};

struct brk_policy;

/*
 * Where the lines being added come from (see brk_policy_set_tier and the
 * merge rules in man/dlpjail.policy.5 "COMPOSITION"):
 *  EXPLICIT  --policy, $DLPJAIL_POLICY, the command line: no merge limits;
 *  BASE      base.policy;  PROFILE  the command's profile;
 *  USER      /etc/dlpjail/site.policy, $XDG_CONFIG_HOME/dlpjail/user.policy;
 *  PROJECT   ./.dlpjail.policy, a project's .npmrc: allow lines never count
 *            as your choice of server and allow host names only (no
 *            address, CIDR, "*" or localhost); "mode monitor", "home" and
 *            "dns exempt" are ignored.
 * In every tier but EXPLICIT and BASE a dns threshold only tightens: a
 * looser value than the one in effect is ignored (and noted).
 */
enum brk_policy_tier {
	BRK_TIER_EXPLICIT = 0,
	BRK_TIER_BASE,
	BRK_TIER_PROFILE,
	BRK_TIER_USER,
	BRK_TIER_PROJECT,
};

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
/* Convenience for the CLI: kind "allow"/"deny" + spec. Returns 1 when the
 * merge rules set the rule aside (a note says why), 0 when added. */
int brk_policy_add_rule(struct brk_policy *p, const char *kind, const char *spec,
			const char *origin, char *err, size_t errlen);
/* Load a policy file; err says "FILE:LINE: problem". */
int brk_policy_load_file(struct brk_policy *p, const char *path, char *err, size_t errlen);
/* The builtin deny ranges (169.254.0.0/16, fe80::/10, fd00:ec2::254, ...). */
int brk_policy_add_builtin(struct brk_policy *p);

/* Tier of the lines added from now on (default EXPLICIT). */
void brk_policy_set_tier(struct brk_policy *p, enum brk_policy_tier tier);

/*
 * Check a file without stopping at the first problem: each one goes to out
 * as "FILE:LINE:COL: problem". Returns the number of problems (0: clean),
 * or -errno when the file cannot be read (also reported).
 */
int brk_policy_check_file(const char *path, FILE *out);

/* Every line that made it in, in order: "ORIGIN\tLINE" (canaries redacted;
 * lines set aside by the merge rules as "ORIGIN\t# ignored: LINE"). */
size_t brk_policy_shown(const struct brk_policy *p, const char *const **out);
/* Notes for the event log: ignored lines and why, automatic allows. */
size_t brk_policy_notes(const struct brk_policy *p, const char *const **out);
/* Add a note (e.g. "~/.npmrc:3: allowed registry.example.com: npm's registry"). */
int brk_policy_add_note(struct brk_policy *p, const char *note);

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

/*
 * Method rules ("allow HOST... methods GET,HEAD [path GLOB]"): a host named
 * by one takes only the requests one of the rules naming it allows (the
 * union of them); other hosts take any. brk_policy_check_request judges an
 * HTTP request (method, request target as sent: origin or absolute form,
 * query ignored) to host; d->rule is the allowing rule, or on a refusal
 * the first rule restricting the host, with its origin; d->reason has the
 * path redacted. A NULL host is never restricted (nothing to judge by).
 */
void brk_policy_check_request(const struct brk_policy *p, const char *host,
			      const char *method, const char *target, struct brk_decision *d);
/* Does a method rule restrict this host? */
bool brk_policy_host_restricted(const struct brk_policy *p, const char *host);

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

/*
 * "blind HOST": TLS to exactly this name is passed by the relay without
 * inspection (clients with their own root store or pinning). The origin of
 * the line ("FILE:LINE") or NULL. Project files cannot add such lines.
 */
const char *brk_policy_blind(const struct brk_policy *p, const char *host);

/*
 * "ssh HOST": an SSH session to exactly this name passes the relay, which
 * cannot read it (every other SSH banner is refused). The origin of the
 * line or NULL. Project files cannot add such lines.
 */
const char *brk_policy_ssh(const struct brk_policy *p, const char *host);

/* "writable PATH" lines, as written ("~/.bashrc", ".git/hooks"): files that
 * run outside the jail the command may write anyway (persist.h). */
size_t brk_policy_writables(const struct brk_policy *p, const char *const **out);

/* Lines the policy passes on verbatim to other modules. */
size_t brk_policy_canaries(const struct brk_policy *p, const char *const **out);
size_t brk_policy_homes(const struct brk_policy *p, const char *const **out);   /* "detector=domain" */
size_t brk_policy_dns(const struct brk_policy *p, const char *const **out);     /* "key=value" */

/* May the command reach this Unix socket outside the jail (a "unix" line
 * matches the path, or "@NAME" for an abstract one)? */
bool brk_policy_unix_allowed(const struct brk_policy *p, const char *path);

/* Normalise a host name into dst (lowercase, no trailing dot); -EINVAL if not a valid name. */
int brk_host_normalise(const char *in, char *dst, size_t cap);

#endif /* DLP_BROKER_POLICY_H */
