/* SPDX-License-Identifier: MIT */
/*
 * jail_caps.c - the capabilities a root jail loses before exec. Each one
 * reaches past the filter and the relay: into the kernel, the host's
 * network configuration or another process. Nothing a build or a package
 * manager does needs them; mount, unshare, ptrace, bpf and module loading
 * are refused by the filter anyway, this is the layer below it.
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
#include "common/dlp_err.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const int brk_jail_dropped[] = {
	CAP_SYS_ADMIN,       /* cgroup v1 release_agent: a program run as root outside */
	CAP_NET_ADMIN,       /* /dev/net/tun, routes and addresses by ioctl, netfilter */
	CAP_NET_RAW,         /* socket(AF_INET, SOCK_PACKET): a packet socket by another name */
	CAP_SYS_PTRACE,      /* /proc/BROKER/mem: the CA key, real credentials */
	CAP_SYS_MODULE,      /* modules (the filter refuses the calls too) */
	CAP_SYS_RAWIO,       /* /dev/mem, /dev/port, iopl */
	CAP_DAC_READ_SEARCH, /* open_by_handle_at: files outside the mount namespace */
	CAP_SYS_BOOT,
	CAP_MAC_ADMIN,
	CAP_PERFMON,
	CAP_BPF,
};

uint64_t brk_jail_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t c;
	size_t i;

	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	c = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	for (i = 0; i < DLP_ARRAY_SIZE(brk_jail_dropped); i++)
		c &= ~(1ull << brk_jail_dropped[i]);
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
	for (i = 0; i < DLP_ARRAY_SIZE(brk_jail_dropped); i++) {
		int cap = brk_jail_dropped[i];
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
