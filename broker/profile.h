/* SPDX-License-Identifier: MIT */
/*
 * profile.h - which policy files a run uses, in which order, and the
 * profile a command name picks (documented in man/dlpjail.policy.5,
 * "COMPOSITION" and "PROFILES").
 *
 * The chain: base.policy, the profile (NAME.policy), /etc/dlpjail/site.policy,
 * $XDG_CONFIG_HOME/dlpjail/user.policy, ./.dlpjail.policy, then the
 * registries the package tools are configured with (~/.npmrc, ...). A
 * shipped file NAME.policy is looked up in $XDG_CONFIG_HOME/dlpjail/,
 * /etc/dlpjail/, the source tree when dlpjail runs from its build tree,
 * and the install prefix's share/dlpjail/, first found wins.
 */
#ifndef DLP_BROKER_PROFILE_H
#define DLP_BROKER_PROFILE_H

#include <limits.h>
#include <stddef.h>

#include "broker/policy.h"

/* The profile a command line picks ("npm" for npx, env npm, sh -c 'npm ...',
 * /usr/bin/npm); "default" when none fits. Returns a static string. */
const char *brk_profile_for_argv(char *const *argv);

/* Is NAME a profile a file can be found for? Writes its path to dst. */
int brk_policy_find(const char *name, char *dst, size_t cap);

/*
 * Load the chain for profile (NULL: "default") into p. A file that is
 * missing is skipped, except the profile itself (-ENOENT, err says so); a
 * broken one stops it with err "FILE:LINE:COL: problem".
 */
int brk_policy_compose(struct brk_policy *p, const char *profile, char *err, size_t errlen);

/* $XDG_CONFIG_HOME/dlpjail (else ~/.config/dlpjail) when it is a directory:
 * the launcher makes it read-only for the jailed command. */
int brk_policy_config_dir(char *dst, size_t cap);

/*
 * The files, besides the shipped ones, that the chain reads at start:
 * site, user and project policies and the package tools' configuration
 * (~/.npmrc, ./.npmrc, pip.conf, cargo's config.toml), absolute paths,
 * present or not. The ad hoc broker watches them for a reload; the
 * launcher makes those that exist read-only for the jailed command, so
 * that a hook cannot plant a registry that the next run allows as the
 * user's own, and says when the command created one. Returns the count.
 */
size_t brk_policy_inputs(char (*dst)[PATH_MAX], size_t max);

/* Allow the registries the package tools of profile are configured with
 * (each with a note). Called by brk_policy_compose(). */
int brk_policy_add_registries(struct brk_policy *p, const char *profile);

/*
 * The secretless jail (swap.h): the kinds of credential a profile's tool
 * needs. A needed kind swaps at its home; an in-process kind (the secret
 * signs or decrypts inside the process, so no swap can help) is let in
 * real when needed and replaced otherwise.
 */
#define BRK_SECRET_K_OTHER   0x00u
#define BRK_SECRET_K_NPM     0x01u   /* .npmrc, .yarnrc.yml, NPM_TOKEN, npm_ tokens */
#define BRK_SECRET_K_FORGE   0x02u   /* .git-credentials, gh hosts.yml, GH_TOKEN, ghp_, glpat- */
#define BRK_SECRET_K_PYPI    0x04u   /* .pypirc, netrc of the index, TWINE_PASSWORD, pypi- */
#define BRK_SECRET_K_CARGO   0x08u   /* cargo credentials, CARGO_REGISTRY_TOKEN */
#define BRK_SECRET_K_GEM     0x10u   /* gem credentials, GEM_HOST_API_KEY */
#define BRK_SECRET_K_DOCKER  0x20u   /* docker config.json */
#define BRK_SECRET_K_AWS     0x40u   /* AWS key ids, session tokens */
#define BRK_SECRET_K_AWS_KEY 0x80u   /* in-process: AWS secret access keys (SigV4) */
#define BRK_SECRET_K_SSH_KEY 0x100u  /* in-process: private key files */
#define BRK_SECRET_K_INPROC (BRK_SECRET_K_AWS_KEY | BRK_SECRET_K_SSH_KEY)

/* The BRK_SECRET_K_* bits profile needs (0 for "default" and unknown). */
unsigned brk_profile_secret_needs(const char *profile);
/* "npm", "forge", ... of one kind bit (listings). */
const char *brk_profile_secret_kind_name(unsigned kind);

#endif /* DLP_BROKER_PROFILE_H */
