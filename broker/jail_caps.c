/* SPDX-License-Identifier: MIT */
/*
 * jail_caps.c - the capabilities a root jail loses before exec (the table
 * is common/jail_caps.h, shared with the ad hoc form's shim/backstop.c):
 * the layer below the filter.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <unistd.h>

#include "broker/jail_caps.h"
#include "common/jail_caps.h"
#include "common/dlp_err.h"

uint64_t brk_jail_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t c;
	size_t i;

	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	c = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	for (i = 0; i < DLP_ARRAY_SIZE(dlp_jail_dropped_caps); i++)
		c &= ~(1ull << dlp_jail_dropped_caps[i]);
	return c;
}

int brk_jail_caps_drop(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	size_t i;

	if (geteuid() != 0)
		return 0;
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (i = 0; i < DLP_ARRAY_SIZE(dlp_jail_dropped_caps); i++) {
		int cap = dlp_jail_dropped_caps[i];
		unsigned w = (unsigned)cap / 32, bit = 1u << (cap % 32);

		/* EINVAL: a cap this kernel does not know; EPERM: already gone */
		if (prctl(PR_CAPBSET_DROP, cap) < 0 && errno != EPERM && errno != EINVAL)
			return -errno;
		d[w].effective &= ~bit;
		d[w].permitted &= ~bit;
		d[w].inheritable &= ~bit;
	}
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}
