/* SPDX-License-Identifier: MIT */
/*
 * sc_cgroup.c - kernel-side backstop for the one CONTINUE the supervisor
 * answers (AF_UNIX calls, whose fd a racing thread can swap for an inet
 * socket before the kernel resumes the call). Only sc_rules.c calls it.
 *
 * A private cgroup v2 directory gets cgroup/connect4, connect6, sendmsg4
 * and sendmsg6 BPF programs that refuse (EPERM) every inet connect() and
 * every addressed UDP send made by a task that is not in the supervisor's
 * own cgroup. The jailed child moves itself into that cgroup before exec.
 * The hooks see the kernel's copy of the address, so they cannot be raced,
 * and the supervisor's emulated calls on the very same sockets pass (the
 * program checks the CURRENT task's cgroup, not the socket's). Connected
 * sends (write/send without an address) never run these hooks, so DNS on
 * a connected UDP socket and TCP data flow at full speed.
 *
 * Needs root (mount, bpf). The hierarchy is reached through the host's own
 * cgroup2 mount when there is one (/proc/self/mountinfo, root "/"); else
 * cgroup2 is mounted on a temporary directory and detached at once, so
 * nothing shows in the host's mount table (this also works on cgroup
 * v1-only hosts). That mount costs 10 to 30 ms (the kernel builds the
 * superblock anew once the last one went away), so brk_sc_cgroup_early()
 * starts it on a thread at the launcher's start, behind the engine's and
 * the policy's loading; brk_sc_cgroup_setup() takes the result. Best
 * effort: any failure leaves the module on its seccomp-only path (plus
 * Landlock for TCP).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker/seccomp/sc_int.h"
#include "common/dlp_err.h"
#include "common/log.h"

/* Globals: the early root (brk_sc_cgroup_early), main thread only: started
 * once, joined once by brk_sc_cgroup_setup(); the thread writes fd and rc. */
static struct {
	pthread_t thread;
	bool started;
	int fd;
	int rc;
} sc_cg_early = { .fd = -1 };

static long sc_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* The supervisor's cgroup v2 path from /proc/self/cgroup ("0::/path"). */
static int sc_cg_self_path(char *dst, size_t cap)
{
	char buf[4096], *p, *nl;
	ssize_t r;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -EIO;
	buf[r] = '\0';
	p = strncmp(buf, "0::", 3) == 0 ? buf : strstr(buf, "\n0::");
	if (!p)
		return -ENOENT;
	p += p == buf ? 3 : 4;
	nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	if (snprintf(dst, cap, "%s", p) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * r0 = bpf_get_current_cgroup_id();
 * return r0 == supervisor_cgid ? 1 (allow) : 0 (EPERM);
 */
static int sc_cg_load(uint32_t attach, uint64_t cgid)
{
	struct bpf_insn ins[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_current_cgroup_id },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .imm = (int32_t)(uint32_t)(cgid & 0xffffffffu) },
		{ .imm = (int32_t)(uint32_t)(cgid >> 32) },
		{ .code = BPF_JMP | BPF_JEQ | BPF_X, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1,
		  .off = 2 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
	a.expected_attach_type = attach;
	a.insns = (uint64_t)(uintptr_t)ins;
	a.insn_cnt = DLP_ARRAY_SIZE(ins);
	a.license = (uint64_t)(uintptr_t)"GPL";
	return (int)sc_bpf(BPF_PROG_LOAD, &a);
}

/* The host's cgroup2 mount of the whole hierarchy (root "/"), or -ENOENT. */
static int sc_cg_host_root(void)
{
	char line[4096], *field[5], *save = NULL, *t;
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	int fd = -ENOENT, n;

	if (!mi)
		return -errno;
	while (fd < 0 && fgets(line, sizeof(line), mi)) {
		const char *sep = strstr(line, " - ");

		/* "ID PARENT MAJ:MIN ROOT POINT OPTS [TAGS] - FSTYPE SRC SUPEROPTS";
		 * a point with a space in it is octal-escaped: one field still */
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		for (n = 0, t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
			field[n++] = t;
		if (n < 5 || strcmp(field[3], "/") != 0 || strchr(field[4], '\\'))
			continue;
		fd = open(field[4], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fd = -ENOENT;
	}
	fclose(mi);
	return fd;
}

/* An fd on the cgroup2 hierarchy's root: the host's mount, else our own
 * detached one. Negative errno. */
static int sc_cg_root(void)
{
	char dir[] = "/tmp/dlpjail-cg.XXXXXX";
	int fd, rc;

	fd = sc_cg_host_root();
	if (fd >= 0)
		return fd;
	if (!mkdtemp(dir))
		return -errno;
	if (mount("none", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		rc = -errno;
		rmdir(dir);
		return rc;
	}
	fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	rc = fd < 0 ? -errno : fd;
	umount2(dir, MNT_DETACH); /* the fd keeps the hierarchy reachable */
	rmdir(dir);
	return rc;
}

/*
 * Remove the empty cgroups that launchers now dead left behind (their
 * orphans kept them busy at exit): "dlpjail.PID.N" whose PID no longer
 * runs. A live launcher's cgroup is never touched (kill(PID, 0) answers,
 * or the pid was reused: then it stays, harmless). Off the command's path
 * (the early thread).
 */
static void sc_cg_sweep(int root)
{
	int fd = openat(root, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	unsigned int n;
	int pid;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "dlpjail.%d.%u", &pid, &n) != 2 || pid <= 0 ||
		    pid == (int)getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		(void)unlinkat(root, e->d_name, AT_REMOVEDIR); /* EBUSY: populated, stays */
	}
	closedir(d);
}

static void *sc_cg_early_main(void *arg)
{
	(void)arg;
	sc_cg_early.rc = sc_cg_root();
	if (sc_cg_early.rc >= 0)
		sc_cg_sweep(sc_cg_early.rc);
	return NULL;
}

void brk_sc_cgroup_early(void)
{
	if (sc_cg_early.started || geteuid() != 0 || getenv("DLPJAIL_NO_CGROUP_BPF"))
		return;
	sc_cg_early.started = pthread_create(&sc_cg_early.thread, NULL, sc_cg_early_main,
					     NULL) == 0;
}

int brk_sc_cgroup_setup(struct brk_sc_filter *f)
{
	static const uint32_t hooks[] = {
		BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET6_CONNECT,
		BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG,
	};
	static unsigned int seq;
	char self[1024];
	struct stat st;
	int rc = 0, pfd, root;
	size_t i;

	f->cg_root_fd = f->cg_fd = -1;
	if (geteuid() != 0 || getenv("DLPJAIL_NO_CGROUP_BPF"))
		return -EPERM;
	rc = sc_cg_self_path(self, sizeof(self));
	if (rc < 0)
		return rc;
	if (sc_cg_early.started) {
		pthread_join(sc_cg_early.thread, NULL);
		sc_cg_early.started = false;
		root = sc_cg_early.rc;
	} else {
		root = sc_cg_root();
	}
	if (root < 0)
		return root;
	f->cg_root_fd = root;
	/* The supervisor's cgroup id is its directory's inode number. */
	if (fstatat(f->cg_root_fd, self[1] ? self + 1 : ".", &st, 0) < 0)
		rc = -errno;
	for (i = 0; rc == 0 && f->cg_fd < 0 && i < 4; i++) {
		snprintf(f->cg_name, sizeof(f->cg_name), "dlpjail.%d.%u", (int)getpid(), seq++);
		/* EEXIST: left behind by an earlier launcher of our pid (its
		 * orphans kept it busy at its exit), dead since: gone if empty,
		 * else the next name */
		if (mkdirat(f->cg_root_fd, f->cg_name, 0700) < 0 &&
		    (errno != EEXIST || unlinkat(f->cg_root_fd, f->cg_name, AT_REMOVEDIR) < 0 ||
		     mkdirat(f->cg_root_fd, f->cg_name, 0700) < 0))
			continue;
		f->cg_fd = openat(f->cg_root_fd, f->cg_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	}
	if (f->cg_fd < 0) {
		rc = rc ? rc : -EIO;
		goto fail;
	}
	for (i = 0; i < DLP_ARRAY_SIZE(hooks); i++) {
		union bpf_attr a;

		pfd = sc_cg_load(hooks[i], (uint64_t)st.st_ino);
		if (pfd < 0) {
			rc = -errno;
			goto fail;
		}
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)f->cg_fd;
		a.attach_bpf_fd = (uint32_t)pfd;
		a.attach_type = hooks[i];
		rc = sc_bpf(BPF_PROG_ATTACH, &a) < 0 ? -errno : 0;
		close(pfd); /* the attachment holds the program */
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	brk_sc_cgroup_free(f);
	return rc;
}

void brk_sc_cgroup_free(struct brk_sc_filter *f)
{
	if (f->cg_fd >= 0) {
		close(f->cg_fd);
		f->cg_fd = -1;
		/* EBUSY while orphans of the jailed tree still live in it: left behind */
		if (unlinkat(f->cg_root_fd, f->cg_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			dlp_log(DLP_LOG_DEBUG, "seccomp: cgroup %s kept: %s", f->cg_name,
				strerror(errno));
	}
	if (f->cg_root_fd >= 0) {
		close(f->cg_root_fd);
		f->cg_root_fd = -1;
	}
}

/*
 * Moving a task into a cgroup (a write to cgroup.procs) takes the cgroup
 * threadgroup lock for writing, which waits for an RCU grace period: 10 to
 * 30 ms on every start, in the command's path. A child created in the
 * cgroup (clone3 CLONE_INTO_CGROUP, Linux 5.7) takes it for reading only.
 * Elsewhere fork(), and the child enters as before.
 */
pid_t brk_sc_fork(struct brk_sc_filter *f)
{
#ifdef CLONE_INTO_CGROUP
	if (f && f->cg_fd >= 0) {
		struct clone_args a = {
			.flags = CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)f->cg_fd,
		};
		/* a fork without glibc's bookkeeping: the child only makes
		 * system calls until exec (as after fork() in a threaded process) */
		long p = syscall(SYS_clone3, &a, sizeof(a));

		if (p == 0)
			f->cg_in = true;
		if (p >= 0)
			return (pid_t)p;
		/* ENOSYS, E2BIG, EINVAL: an older kernel */
	}
#endif
	return fork();
}

/* AS-SAFE: child side, between fork and exec. */
int brk_sc_cgroup_enter(const struct brk_sc_filter *f)
{
	int fd, rc = 0;

	if (f->cg_fd < 0 || f->cg_in)
		return 0;
	fd = openat(f->cg_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "0", 1) != 1)
		rc = -errno;
	close(fd);
	return rc;
}
