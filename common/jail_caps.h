/* SPDX-License-Identifier: MIT */
/*
 * jail_caps.h - the capabilities a root jail never keeps: one table for
 * the launcher (broker/jail_caps.c, before exec) and the ad hoc form
 * (shim/backstop.c, in the constructor). Each reaches past the filter and
 * the relay: into the kernel, the host's network configuration or another
 * process. Nothing a build or a package manager does needs them; mount,
 * unshare, ptrace, bpf and module loading are refused by the filter too.
 */
#ifndef DLP_COMMON_JAIL_CAPS_H
#define DLP_COMMON_JAIL_CAPS_H

#include <linux/capability.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const int dlp_jail_dropped_caps[] = {
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

#endif /* DLP_COMMON_JAIL_CAPS_H */
