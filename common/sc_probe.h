/* SPDX-License-Identifier: MIT */
/*
 * sc_probe.h - "am I under a dlpjail seccomp backstop?", asked of the kernel.
 *
 * The filter (broker/seccomp/sc_rules.c) answers prctl(DLP_SC_PROBE_OPT)
 * with DLP_SC_PROBE_ERRNO; an unfiltered kernel answers EINVAL (no such
 * option). Nothing a process can set (environment, files, symbols) changes
 * the answer, and a filter once installed cannot be removed, so a "yes" is
 * only ever wrong for a process that installed a look-alike filter on
 * itself, which is then already confined by that filter. Used by the shim
 * (install the ad hoc backstop once per tree) and by a nested launcher
 * (the outer session enforces; do not stack a second one).
 */
#ifndef DLP_COMMON_SC_PROBE_H
#define DLP_COMMON_SC_PROBE_H

#include <errno.h>

#define DLP_SC_PROBE_OPT   0x646c706aUL    /* "dlpj": no prctl option has it */
#define DLP_SC_PROBE_ERRNO ENOTUNIQ        /* never returned by prctl itself */

#endif /* DLP_COMMON_SC_PROBE_H */
