/* SPDX-License-Identifier: MIT */
/*
 * swap_jail.h - the launcher's side of the secretless jail (swap.h): what
 * brk_launch() calls, in this order. Only launcher.c calls these.
 */
#ifndef DLP_BROKER_SWAP_JAIL_H
#define DLP_BROKER_SWAP_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct brk_ctx;
struct brk_mountns;
struct brk_swaps;

/*
 * Before the broker serves: collect the known secrets, build sw for
 * profile (real: --real-secrets, nothing replaced, warned), hand it to the
 * engine (brk_swaps_apply()) and set ctx->swaps = sw. sw must outlive
 * every broker and relay thread. 0 or negative errno.
 */
int brk_swap_jail_build(struct brk_swaps *sw, const char *profile, bool real,
			struct brk_ctx *ctx);

/* How many entries have a placeholder in the jail. */
size_t brk_swap_jail_replaced(const struct brk_swaps *sw);

/*
 * Every value of our own environment holding a replaced credential gets
 * its placeholder, in place (same length): the command's environment is
 * built from ours, and /proc/OUR_PID/environ (the block the kernel shows)
 * no longer holds the real values either; the table keeps them. Returns
 * the number of variables changed.
 */
size_t brk_swap_jail_scrub_environ(const struct brk_swaps *sw);

/*
 * Between brk_mountns_prepare() and fork: every credential file the known
 * secrets come from (brk_secrets_files()) that holds a replaced value is
 * covered by a copy with the placeholders in place (a private key file by
 * its stand-in), brk_mountns_cover_file(). Without a namespace (mns NULL)
 * the files stay as they are: what they hold goes in real (replaced =
 * false; no client is served yet) and a warning says so. 0 or negative
 * errno (the run must not start).
 */
int brk_swap_jail_cover(struct brk_mountns *mns, struct brk_swaps *sw);


#endif /* DLP_BROKER_SWAP_JAIL_H */
