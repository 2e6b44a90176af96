/* SPDX-License-Identifier: MIT */
/*
 * sc_rules.c - the seccomp rule table, its translation into a libseccomp
 * filter compiled to BPF in the parent (brk_sc_filter_prepare), and the
 * async-signal-safe child side that loads it (brk_sc_child_install).
 * Only the launcher calls the exported functions; sc_notify.c reads the
 * table to explain refusals.
 *
 * The table reads top-down: trapped network calls the supervisor emulates,
 * then calls refused outright (notified so the supervisor can report them;
 * if the supervisor is gone the kernel answers ENOSYS, still a refusal),
 * then plain errno rows. Everything else is allowed by the default action
 * and never leaves the kernel (the seccomp action cache makes such calls
 * cost nothing extra). Foreign architectures kill the process.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "broker/seccomp/sc_int.h"
#include "broker/seccomp/seccomp.h"
#include "common/dlp_err.h"
#include "common/sc_probe.h"
#include "common/log.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

/* Landlock (ABI >= 4 restricts TCP connect); Debian 12's uapi predates it. */
#define BRK_SC_LL_CREATE_VERSION 1U
#define BRK_SC_LL_NET_CONNECT_TCP (1ULL << 1)
struct brk_sc_ll_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

/* Row builders. A comparison is a designated initializer, not SCMP_Ax(). */
#define SC_CMP(n, o, a, b) { .arg = (n), .op = (o), .datum_a = (a), .datum_b = (b) }
#define SC_NOTIFY(nm) { .name = nm, .kind = BRK_SC_K_NOTIFY }
#define SC_NOTIFY_IF(nm, c0) { .name = nm, .kind = BRK_SC_K_NOTIFY, .argc = 1, .arg = { c0 } }
#define SC_REFUSE(nm, w) { .name = nm, .kind = BRK_SC_K_REFUSE, .err = EPERM, .what = w }
#define SC_REFUSE_IF(nm, w, c0) \
	{ .name = nm, .kind = BRK_SC_K_REFUSE, .err = EPERM, .what = w, .argc = 1, .arg = { c0 } }
#define SC_REFUSE_IF2(nm, w, c0, c1) \
	{ .name = nm, .kind = BRK_SC_K_REFUSE, .err = EPERM, .what = w, .argc = 2, .arg = { c0, c1 } }
#define SC_ERRNO(nm, e) { .name = nm, .kind = BRK_SC_K_ERRNO, .err = e }
#define SC_ERRNO_IF(nm, e, c0) \
	{ .name = nm, .kind = BRK_SC_K_ERRNO, .err = e, .argc = 1, .arg = { c0 } }

#define SC_A_EQ(n, v) SC_CMP(n, SCMP_CMP_EQ, (v), 0)
#define SC_A_NE(n, v) SC_CMP(n, SCMP_CMP_NE, (v), 0)
#define SC_A_GT(n, v) SC_CMP(n, SCMP_CMP_GT, (v), 0)
#define SC_A_BITS(n, m) SC_CMP(n, SCMP_CMP_MASKED_EQ, (m), (m)) /* all bits of m set */
#define SC_A_MASKEQ(n, m, v) SC_CMP(n, SCMP_CMP_MASKED_EQ, (m), (v))

#define SC_FAMILY(af) SC_REFUSE_IF("socket", "socket(" #af ")", SC_A_EQ(0, af))
#define SC_CLONE_NEW(fl) SC_REFUSE_IF("clone", "clone(" #fl ")", SC_A_BITS(0, fl))

const struct brk_sc_rule brk_sc_rules[] = {
	/* Destinations: emulated by the supervisor (sc_notify.c). */
	SC_NOTIFY("connect"),
	SC_NOTIFY_IF("sendto", SC_A_NE(4, 0)),                 /* has a destination */
	SC_NOTIFY_IF("sendto", SC_A_BITS(3, MSG_FASTOPEN)),    /* TCP Fast Open = connect */
	SC_NOTIFY("sendmsg"),                                  /* msg_name is in memory */
	SC_NOTIFY("sendmmsg"),
	/* An inbound connection is an outbound channel: only loopback listeners. */
	SC_NOTIFY("listen"),
	/* ...and only connections the jail made are accepted (a host process could read). */
	SC_NOTIFY("accept"),
	SC_NOTIFY("accept4"),
	/*
	 * Everything but the 0xffffffff query is trapped; sc_notify.c lets
	 * PER_LINUX through with CONTINUE (a register argument: no TOCTOU)
	 * and refuses the rest (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...).
	 */
	SC_NOTIFY_IF("personality", SC_A_NE(0, 0xffffffffULL)),

	/* io_uring ops (IORING_OP_CONNECT/SEND) run in kernel workers seccomp never sees. */
	SC_REFUSE("io_uring_setup", "io_uring_setup"),
	SC_REFUSE("io_uring_enter", "io_uring_enter"),
	SC_REFUSE("io_uring_register", "io_uring_register"),

	/*
	 * socket(): the kernel truncates int arguments to 32 bits; the BPF
	 * compares 64. Refuse junk in the high half first so the EQ rows
	 * below cannot be dodged with it.
	 */
	SC_REFUSE_IF("socket", "socket(family with high bits set)", SC_A_GT(0, 0xffffffffULL)),
	SC_FAMILY(AF_UNSPEC),
	SC_FAMILY(AF_AX25),
	SC_FAMILY(AF_IPX),
	SC_FAMILY(AF_APPLETALK),
	SC_FAMILY(AF_NETROM),
	SC_FAMILY(AF_BRIDGE),
	SC_FAMILY(AF_ATMPVC),
	SC_FAMILY(AF_X25),
	SC_FAMILY(AF_ROSE),
	SC_FAMILY(AF_DECnet),
	SC_FAMILY(AF_NETBEUI),
	SC_FAMILY(AF_SECURITY),
	SC_FAMILY(AF_KEY),
	SC_FAMILY(AF_PACKET),
	SC_REFUSE_IF("socket", "socket(family > AF_PACKET: AF_ALG, AF_VSOCK, AF_XDP, ...)",
		     SC_A_GT(0, AF_PACKET)),
	/* type carries SOCK_NONBLOCK/SOCK_CLOEXEC: mask to the low nibble. */
	SC_REFUSE_IF2("socket", "socket(SOCK_RAW)", SC_A_NE(0, AF_NETLINK),
		      SC_A_MASKEQ(1, 0xf, SOCK_RAW)),
	SC_REFUSE_IF2("socket", "socket(AF_NETLINK, protocol other than NETLINK_ROUTE)",
		      SC_A_EQ(0, AF_NETLINK), SC_A_NE(2, NETLINK_ROUTE)),

	/* Reaching into or out of the jail. */
	SC_REFUSE("ptrace", "ptrace"),
	SC_REFUSE("process_vm_writev", "process_vm_writev"),
	/* a connected socket of a host process (Landlock also denies it, where present) */
	SC_REFUSE("pidfd_getfd", "pidfd_getfd"),
	SC_REFUSE("bpf", "bpf"),
	SC_REFUSE("perf_event_open", "perf_event_open"),
	SC_REFUSE("userfaultfd", "userfaultfd"),
	SC_REFUSE("unshare", "unshare"),
	SC_REFUSE("setns", "setns"),
	SC_CLONE_NEW(CLONE_NEWNS),
	SC_CLONE_NEW(CLONE_NEWCGROUP),
	SC_CLONE_NEW(CLONE_NEWUTS),
	SC_CLONE_NEW(CLONE_NEWIPC),
	SC_CLONE_NEW(CLONE_NEWUSER),
	SC_CLONE_NEW(CLONE_NEWPID),
	SC_CLONE_NEW(CLONE_NEWNET),
	SC_REFUSE("mount", "mount"),
	SC_REFUSE("umount2", "umount2"),
	SC_REFUSE("pivot_root", "pivot_root"),
	SC_REFUSE("move_mount", "move_mount"),
	SC_REFUSE("open_tree", "open_tree"),
	SC_REFUSE("fsopen", "fsopen"),
	SC_REFUSE("fsconfig", "fsconfig"),
	SC_REFUSE("fsmount", "fsmount"),
	SC_REFUSE("fspick", "fspick"),
	SC_REFUSE("mount_setattr", "mount_setattr"),
	SC_REFUSE("kexec_load", "kexec_load"),
	SC_REFUSE("kexec_file_load", "kexec_file_load"),
	SC_REFUSE("init_module", "init_module"),
	SC_REFUSE("finit_module", "finit_module"),
	SC_REFUSE("delete_module", "delete_module"),
	/* A second listener could answer CONTINUE for everything (it gets EBUSY today). */
	SC_REFUSE_IF("seccomp", "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)",
		     SC_A_BITS(1, SECCOMP_FILTER_FLAG_NEW_LISTENER)),

	/*
	 * MPTCP: its subflows do not survive the relay's simultaneous open
	 * (a connect hangs until the SYN timer gives up). The kernel's answer
	 * when net.mptcp.enabled is 0, so programs fall back to TCP (Go does).
	 * Masked: the kernel reads the protocol as an int.
	 */
	SC_ERRNO_IF("socket", ENOPROTOOPT, SC_A_MASKEQ(2, 0xffffffffULL, 262 /* IPPROTO_MPTCP */)),
	/*
	 * SCTP and DCCP: message and datagram transports the relay does not
	 * carry and the UDP gate does not judge (an SCTP SEQPACKET socket's
	 * sendmsg to an allowed address would be neither). No package tool
	 * uses them; refused with an event, whichever type or protocol asks.
	 */
	SC_REFUSE_IF("socket", "socket(IPPROTO_SCTP)",
		     SC_A_MASKEQ(2, 0xffffffffULL, 132 /* IPPROTO_SCTP */)),
	SC_REFUSE_IF2("socket", "socket(AF_INET, SOCK_SEQPACKET)", SC_A_EQ(0, AF_INET),
		      SC_A_MASKEQ(1, 0xf, SOCK_SEQPACKET)),
	SC_REFUSE_IF2("socket", "socket(AF_INET6, SOCK_SEQPACKET)", SC_A_EQ(0, AF_INET6),
		      SC_A_MASKEQ(1, 0xf, SOCK_SEQPACKET)),
	SC_REFUSE_IF("socket", "socket(SOCK_DCCP)", SC_A_MASKEQ(1, 0xf, SOCK_DCCP)),

	/* clone3 passes flags in memory the BPF cannot read: make libc fall back to clone. */
	SC_ERRNO("clone3", ENOSYS),
	/* "Is a dlpjail backstop on me?" (common/sc_probe.h): shim and nested launcher. */
	SC_ERRNO_IF("prctl", DLP_SC_PROBE_ERRNO, SC_A_EQ(0, DLP_SC_PROBE_OPT)),
};
const size_t brk_sc_nrules = DLP_ARRAY_SIZE(brk_sc_rules);

int brk_sc_rule_args_match(const struct brk_sc_rule *r, const __u64 args[6])
{
	unsigned int i;

	for (i = 0; i < r->argc; i++) {
		const struct scmp_arg_cmp *c = &r->arg[i];
		uint64_t v = (uint64_t)args[c->arg];
		int ok;

		switch (c->op) {
		case SCMP_CMP_EQ: ok = v == c->datum_a; break;
		case SCMP_CMP_NE: ok = v != c->datum_a; break;
		case SCMP_CMP_GE: ok = v >= c->datum_a; break;
		case SCMP_CMP_GT: ok = v > c->datum_a; break;
		case SCMP_CMP_LE: ok = v <= c->datum_a; break;
		case SCMP_CMP_LT: ok = v < c->datum_a; break;
		case SCMP_CMP_MASKED_EQ: ok = (v & c->datum_a) == c->datum_b; break;
		default: ok = 0; break;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static int sc_rules_add(scmp_filter_ctx ctx)
{
	size_t i;
	int rc;

	for (i = 0; i < brk_sc_nrules; i++) {
		const struct brk_sc_rule *r = &brk_sc_rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);
		uint32_t act;

		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue; /* not on this arch */
		if (r->kind == BRK_SC_K_ERRNO)
			act = SCMP_ACT_ERRNO((uint32_t)r->err);
		else
			act = SCMP_ACT_NOTIFY;
		rc = seccomp_rule_add_array(ctx, act, nr, r->argc, r->arg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Ruleset fd forbidding TCP connect, or -1 (no Landlock, or ABI < 4). */
static int sc_landlock_ruleset(void)
{
#if defined(SYS_landlock_create_ruleset)
	struct brk_sc_ll_attr attr = { .handled_access_net = BRK_SC_LL_NET_CONNECT_TCP };
	long abi;

	if (getenv("DLPJAIL_NO_LANDLOCK"))
		return -1;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, BRK_SC_LL_CREATE_VERSION);
	if (abi < 4)
		return -1;
	return (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
#else
	return -1;
#endif
}

#define BRK_SC_LL_FS_WRITE_FILE (1ULL << 1)
#define BRK_SC_LL_RULE_PATH_BENEATH 1
struct brk_sc_ll_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

int brk_sc_filter_guard_knobs(struct brk_sc_filter *f)
{
#if defined(SYS_landlock_create_ruleset) && defined(SYS_landlock_add_rule)
	struct brk_sc_ll_attr attr = { .handled_access_fs = BRK_SC_LL_FS_WRITE_FILE,
				       .handled_access_net = BRK_SC_LL_NET_CONNECT_TCP };
	struct dirent *de;
	DIR *d = NULL;
	int rs = -1, rc;

	if (!f || f->landlock_fd < 0)
		return -EOPNOTSUPP;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0) {
		rc = -errno;
		goto out;
	}
	d = opendir("/");
	if (!d) {
		rc = -errno;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		struct brk_sc_ll_beneath pb = { .allowed_access = BRK_SC_LL_FS_WRITE_FILE };
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || !strcmp(de->d_name, "proc") ||
		    !strcmp(de->d_name, "sys"))
			continue;
		fd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		pb.parent_fd = fd;
		rc = (int)syscall(SYS_landlock_add_rule, rs, BRK_SC_LL_RULE_PATH_BENEATH, &pb, 0);
		close(fd);
		if (rc < 0) {
			rc = -errno;
			goto out;
		}
	}
	close(f->landlock_fd);
	f->landlock_fd = rs;
	rs = -1;
	rc = 0;
out:
	if (d)
		closedir(d);
	if (rs >= 0)
		close(rs);
	return rc;
#else
	(void)f;
	return -EOPNOTSUPP;
#endif
}

bool brk_sc_landlock_available(void)
{
#if defined(SYS_landlock_create_ruleset)
	return !getenv("DLPJAIL_NO_LANDLOCK") &&
	       syscall(SYS_landlock_create_ruleset, NULL, 0, BRK_SC_LL_CREATE_VERSION) >= 4;
#else
	return false;
#endif
}

int brk_sc_filter_prepare(struct brk_sc_filter **out)
{
	struct brk_sc_filter *f = NULL;
	scmp_filter_ctx ctx = NULL;
	struct stat st;
	int mfd = -1, rc;

	*out = NULL;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); /* we set it ourselves */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* binary tree */
	if (rc == 0)
		rc = sc_rules_add(ctx);
	if (rc < 0)
		goto out;

	/* libseccomp 2.5 exports BPF only to an fd: go through a memfd. */
	mfd = memfd_create("brk_sc_bpf", MFD_CLOEXEC);
	if (mfd < 0) {
		rc = -errno;
		goto out;
	}
	rc = seccomp_export_bpf(ctx, mfd);
	if (rc < 0)
		goto out;
	if (fstat(mfd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		rc = -E2BIG;
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		rc = -ENOMEM;
		goto out;
	}
	f->landlock_fd = -1;
	f->cg_root_fd = f->cg_fd = -1;
	f->insns = malloc((size_t)st.st_size);
	if (!f->insns) {
		rc = -ENOMEM;
		goto out;
	}
	if (pread(mfd, f->insns, (size_t)st.st_size, 0) != st.st_size) {
		rc = -EIO;
		goto out;
	}
	f->prog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	f->prog.filter = f->insns;
	f->landlock_fd = sc_landlock_ruleset();
	rc = brk_sc_cgroup_setup(f);
	dlp_log(DLP_LOG_DEBUG, "seccomp: landlock TCP backstop %s, cgroup BPF backstop %s%s%s",
		f->landlock_fd >= 0 ? "on" : "off", rc == 0 ? "on" : "off (",
		rc == 0 ? "" : strerror(-rc), rc == 0 ? "" : ")");
	*out = f;
	f = NULL;
	rc = 0;
out:
	if (mfd >= 0)
		close(mfd);
	seccomp_release(ctx);
	brk_sc_filter_free(f);
	return dlp_rc_filter(rc);
}

unsigned int brk_sc_filter_backstops(const struct brk_sc_filter *f)
{
	if (!f)
		return 0;
	return (f->landlock_fd >= 0 ? BRK_SC_BACKSTOP_LANDLOCK : 0) |
	       (f->cg_fd >= 0 ? BRK_SC_BACKSTOP_CGROUP : 0);
}

void brk_sc_filter_free(struct brk_sc_filter *f)
{
	if (!f)
		return;
	if (f->landlock_fd >= 0)
		close(f->landlock_fd);
	brk_sc_cgroup_free(f);
	free(f->insns);
	free(f);
}

/* AS-SAFE: raw syscalls only. */
static int sc_write_full(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * AS-SAFE; runs between fork and exec.
 * SPEC_ALLOW: kernels before 5.16 (and any booted with
 * spec_store_bypass_disable=seccomp or spectre_v2_user=seccomp) force SSBD,
 * STIBP and IBPB on every task with a filter, which slows the whole jailed
 * tree (node, cc) by several percent. Those mitigations guard the task
 * against code in its own address space or on a sibling thread; they are
 * not what keeps the jailed code from sending secrets (the filter, the
 * supervisor and the relay are), and the bare command runs without them.
 * With the flag the tree keeps the mitigations the system gives any
 * process (prctl, or always-on when the system says so).
 */
int brk_sc_child_install(struct brk_sc_filter *f, int report_fd)
{
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	int listener, rc;
	char ack;
	ssize_t r;

	if (!f || report_fd < 0)
		return -EINVAL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* Into the hooked cgroup before any socket exists (best effort, like Landlock). */
	(void)brk_sc_cgroup_enter(f);
#if defined(SYS_landlock_restrict_self)
	/* Best effort: the seccomp emulation is the control, this a backstop. */
	if (f->landlock_fd >= 0)
		(void)syscall(SYS_landlock_restrict_self, f->landlock_fd, 0);
#endif
	listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &f->prog);
	if (listener < 0 && errno == EINVAL) {
		/* before 5.19: no WAIT_KILLABLE_RECV */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &f->prog);
	}
	if (listener < 0)
		return -errno;
	/* The fd NUMBER, not SCM_RIGHTS: sendmsg is trapped and nobody listens yet. */
	rc = sc_write_full(report_fd, &listener, sizeof(listener));
	if (rc == 0) {
		do
			r = read(report_fd, &ack, 1);
		while (r < 0 && errno == EINTR);
		rc = r == 1 ? 0 : -EPIPE;
	}
	close(listener);
	return rc;
}

int brk_sc_available(char *why, size_t len)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	int api = (int)seccomp_api_get();
	int pfd, fd;

	if (why && len)
		why[0] = '\0';
	if (api < 5) {
		if (why)
			snprintf(why, len, "libseccomp API level %d < 5 (no user notification)", api);
		return -EOPNOTSUPP;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0) {
		if (why)
			snprintf(why, len, "kernel lacks SECCOMP_RET_USER_NOTIF: %s", strerror(errno));
		return -EOPNOTSUPP;
	}
	pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pfd < 0) {
		if (why)
			snprintf(why, len, "pidfd_open: %s", strerror(errno));
		return -EOPNOTSUPP;
	}
	fd = (int)syscall(SYS_pidfd_getfd, pfd, pfd, 0);
	if (fd < 0) {
		if (why)
			snprintf(why, len, "pidfd_getfd: %s", strerror(errno));
		close(pfd);
		return -EOPNOTSUPP;
	}
	close(fd);
	close(pfd);
	return 0;
}
