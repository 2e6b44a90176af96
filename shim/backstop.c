/* SPDX-License-Identifier: MIT */
/*
 * backstop.c - the ad hoc form's seccomp backstop (issue 10 item 8).
 *
 * `LD_PRELOAD=libdlpshim.so cmd` has no launcher to put the process tree
 * under the seccomp supervisor and the egress relay, so the shim does it
 * from its constructor, in the first process that loads it:
 *   1. not when a launcher session is ours (DLPJAIL_SOCK, /etc/dlpjail.sock:
 *      its filter came before exec), nor when a dlpjail filter is already
 *      on this process (common/sc_probe.h: the children of the first one,
 *      whatever their environment), nor in the dlpjail binary itself;
 *   2. connect to the per-user broker (starting it), while connect() is
 *      not trapped yet;
 *   3. PR_SET_NO_NEW_PRIVS, Landlock "no TCP connect" where the kernel has
 *      it, then the launcher's filter (shim/sc_bpf.h, compiled at build
 *      time from broker/seccomp/sc_rules.c) with a listener, on every
 *      thread (TSYNC);
 *   4. hand the listener's fd NUMBER to the broker (DLP_MSG_BACKSTOP: a
 *      plain write; sendmsg would be trapped with nobody listening), which
 *      takes it with pidfd_getfd and supervises the tree with the relay
 *      on; then close our copy, so no code of the program can answer its
 *      own notifications.
 * Failures fail closed: without a broker the filter stays with nobody
 * listening (every trapped call, connect included, returns ENOSYS), and
 * the hooks refuse every egress. The filter is inherited by every child,
 * `env -i` and static ones included, and cannot be removed.
 * NO_NEW_PRIVS: setuid/setcap programs run without their privileges.
 * Raw system calls only (rawsys.h); runs once, in the constructor.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/dlp_err.h"
#include "common/jail_caps.h"
#include "common/log.h"
#include "common/sc_probe.h"
#include "shim/shim_int.h"
#include "shim/sc_bpf.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Landlock ABI >= 4: a domain without TCP connect (the supervisor's are not in it). */
struct shim_ll_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};
#define SHIM_LL_NET_CONNECT_TCP (1ULL << 1)

/* AS-SAFE: is a dlpjail filter (launcher's or ad hoc) already on us? */
static bool under_backstop(void)
{
	return SHIM_SYS(SYS_prctl, DLP_SC_PROBE_OPT, 0, 0, 0, 0) < 0 &&
	       errno == DLP_SC_PROBE_ERRNO;
}

#define SHIM_LL_FS_WRITE_FILE (1ULL << 1)
#define SHIM_LL_RULE_PATH_BENEATH 1
struct shim_ll_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct shim_dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * A root process: writes allowed beneath every top-level directory but
 * /proc and /sys. uid 0 owns the kernel's knobs, so no capability guards
 * them, and the ad hoc form has no mount namespace to show them
 * read-only (the launcher does: broker/mountns.c): "|PROG" in
 * kernel.core_pattern or a cgroup v1 release_agent would run PROG as root
 * outside the filter. Directories made after this take no writes. AS-SAFE.
 */
static void landlock_rules_no_knobs(long rs)
{
	char buf[2048];
	long d, n;

	d = SHIM_SYS(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return;
	while ((n = SHIM_SYS(SYS_getdents64, d, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct shim_dirent64 *e = (struct shim_dirent64 *)(void *)(buf + off);
			struct shim_ll_beneath pb = { .allowed_access = SHIM_LL_FS_WRITE_FILE };
			long fd;

			off += e->reclen;
			if (e->type != 4 /* DT_DIR */ || e->name[0] == '.' ||
			    !strcmp(e->name, "proc") || !strcmp(e->name, "sys"))
				continue;
			fd = SHIM_SYS(SYS_openat, d, e->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				continue;
			pb.parent_fd = (int32_t)fd;
			(void)SHIM_SYS(SYS_landlock_add_rule, rs, SHIM_LL_RULE_PATH_BENEATH, &pb, 0);
			SHIM_SYS(SYS_close, fd);
		}
	}
	SHIM_SYS(SYS_close, d);
}

static void landlock_no_tcp(void)
{
#if defined(SYS_landlock_create_ruleset) && defined(SYS_landlock_restrict_self)
	struct shim_ll_attr attr = { .handled_access_net = SHIM_LL_NET_CONNECT_TCP };
	bool root = SHIM_SYS0(SYS_geteuid) == 0;
	long fd;

	if (SHIM_SYS(SYS_landlock_create_ruleset, NULL, 0, 1) < 4)
		return;
	if (root)
		attr.handled_access_fs = SHIM_LL_FS_WRITE_FILE;
	fd = SHIM_SYS(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return;
	if (root)
		landlock_rules_no_knobs(fd);
	(void)SHIM_SYS(SYS_landlock_restrict_self, fd, 0);
	SHIM_SYS(SYS_close, fd);
#endif
}

/*
 * A root process: the capabilities of common/jail_caps.h go, from the
 * bounding set too (as the launcher's jail: broker/jail_caps.c). Best
 * effort; the filter, Landlock and the relay hold without it. AS-SAFE.
 */
static void drop_root_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	size_t i;

	if (SHIM_SYS0(SYS_geteuid) != 0 || SHIM_SYS(SYS_capget, &h, d) < 0)
		return;
	for (i = 0; i < DLP_ARRAY_SIZE(dlp_jail_dropped_caps); i++) {
		int cap = dlp_jail_dropped_caps[i];
		unsigned w = (unsigned)cap / 32, bit = 1u << (cap % 32);

		(void)SHIM_SYS(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
		d[w].effective &= ~bit;
		d[w].permitted &= ~bit;
		d[w].inheritable &= ~bit;
	}
	(void)SHIM_SYS(SYS_capset, &h, d);
}

/* The filter on every thread; the listener fd, or negative errno. */
static int load_filter(void)
{
	static const unsigned long tries[] = {
		SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
			SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
		SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, /* < 5.19 */
	};
	/* SPEC_ALLOW: as the launcher's (broker/seccomp/sc_rules.c, brk_sc_child_install) */
	/* the kernel does not write the program: const cast at the call */
	struct sock_fprog prog = { .len = DLP_ARRAY_SIZE(shim_sc_bpf),
				   .filter = (struct sock_filter *)shim_sc_bpf };
	long fd = -1;
	size_t i;

	if (SHIM_SYS(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	landlock_no_tcp();
	drop_root_caps();
	for (i = 0; i < DLP_ARRAY_SIZE(tries); i++) {
		fd = SHIM_SYS(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
			      tries[i], &prog);
		if (fd >= 0 || errno != EINVAL)
			break;
	}
	return fd < 0 ? -errno : (int)fd;
}

void shim_backstop_install(void)
{
	int listener, rc;

	if (!shim_chan_adhoc() || under_backstop() || shim_chan_self_is_dlpjail())
		return;
	rc = shim_chan_open_now();
	listener = load_filter();
	if (listener < 0) {
		/* no seccomp user notification here: content could bypass the hooks */
		dlp_log_as("dlpjail: cannot install the seccomp backstop (%s): network calls "
			   "of this process are refused", strerror(-listener));
		shim_chan_fail_closed();
		return;
	}
	if (rc < 0) {
		dlp_log_as("dlpjail: no per-user broker (%s): network calls are refused",
			   strerror(-rc));
		rc = -1;
	} else {
		rc = shim_chan_backstop(listener);
		if (rc < 0)
			dlp_log_as("dlpjail: the per-user broker did not take the seccomp "
				   "backstop (%s): network calls are refused", strerror(-rc));
	}
	SHIM_SYS(SYS_close, listener);
	if (rc < 0)
		shim_chan_fail_closed();
}
