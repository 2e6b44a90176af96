/* SPDX-License-Identifier: MIT */
/*
 * jail_caps.h - the capabilities a root jail never keeps (jail_caps.c).
 * Only launcher.c calls this.
 */
#ifndef DLP_BROKER_JAIL_CAPS_H
#define DLP_BROKER_JAIL_CAPS_H

#include <stdint.h>

/* The permitted set a root jail will have (ours minus the table). */
uint64_t brk_jail_caps(void);

/*
 * In the child before the filter, after the mount namespace: drop the
 * table from the bounding, permitted, effective and inheritable sets.
 * No-op unless euid 0. AS-SAFE. 0 or negative errno.
 */
int brk_jail_caps_drop(void);

#endif
