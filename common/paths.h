/* SPDX-License-Identifier: MIT */
/*
 * paths.h - environment variable names, where the broker socket lives and
 * where the default policy is.
 *
 * The one place that names them: the launcher exports these, the shim reads
 * them, the tests set them.
 */
#ifndef DLP_COMMON_PATHS_H
#define DLP_COMMON_PATHS_H

#include <stddef.h>

#define DLP_ENV_SOCK    "DLPJAIL_SOCK"     /* launcher's broker socket: never spawn */
#define DLP_ENV_BIN     "DLPJAIL_BIN"      /* dlpjail binary for ad hoc broker start */
#define DLP_ENV_DEBUG   "DLPJAIL_DEBUG"    /* log level 0-3 */
#define DLP_ENV_POLICY  "DLPJAIL_POLICY"   /* policy for an ad hoc broker */
#define DLP_SHIM_NAME   "libdlpshim.so"

/* Highest fd numbers are where the shim parks its broker socket. */
#define DLP_SHIM_FD_BASE 900

/*
 * Per-user broker directory for ad hoc use: $XDG_RUNTIME_DIR/dlpjail if
 * XDG_RUNTIME_DIR is set and absolute, else /tmp/dlpjail-$UID. Writes the
 * directory (no trailing slash) into dst. AS-SAFE (reads environ only).
 * Returns 0 or -ENAMETOOLONG.
 */
int dlp_user_dir(char *dst, size_t cap);
/* dlp_user_dir() + "/broker.sock". */
int dlp_user_sock(char *dst, size_t cap);

/*
 * The default policy, located from this binary (/proc/self/exe), first
 * readable regular file of:
 *   1. the build tree: the binary is top_builddir/dlpjail (or .libs/ below
 *      it) and the policy top_srcdir/policy/default.policy (both recorded
 *      by configure, so a separate build directory works too);
 *   2. a relocated install (DESTDIR, moved prefix): the binary is
 *      ROOT$(bindir)/dlpjail, the policy ROOT$(pkgdatadir)/default.policy;
 *      and BINDIR/../share/dlpjail/default.policy;
 *   3. $(pkgdatadir)/default.policy.
 * Writes the path into dst and returns 0, or returns -ENOENT with every
 * place looked at in tried (", "-separated, truncated to tcap). Broker
 * side only (stdio, not AS-SAFE).
 */
int dlp_find_default_policy(char *dst, size_t cap, char *tried, size_t tcap);

#endif /* DLP_COMMON_PATHS_H */
