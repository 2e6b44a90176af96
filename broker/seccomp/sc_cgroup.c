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
 * Needs root (mount, bpf). cgroup2 is mounted on a temporary directory and
 * detached at once, so nothing shows in the host's mount table (this also
 * works on cgroup v1-only hosts). Best effort: any failure leaves the
 * module on its seccomp-only path (plus Landlock for TCP).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
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

int brk_sc_cgroup_setup(struct brk_sc_filter *f)
{
	static const uint32_t hooks[] = {
		BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET6_CONNECT,
		BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG,
	};
	static unsigned int seq;
	char dir[] = "/tmp/dlpjail-cg.XXXXXX", self[1024];
	struct stat st;
	int rc = 0, pfd;
	size_t i;

	f->cg_root_fd = f->cg_fd = -1;
	if (geteuid() != 0 || getenv("DLPJAIL_NO_CGROUP_BPF"))
		return -EPERM;
	rc = sc_cg_self_path(self, sizeof(self));
	if (rc < 0)
		return rc;
	if (!mkdtemp(dir))
		return -errno;
	if (mount("none", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		rc = -errno;
		rmdir(dir);
		return rc;
	}
	f->cg_root_fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	/* The supervisor's cgroup id is its directory's inode number. */
	if (f->cg_root_fd >= 0 &&
	    fstatat(f->cg_root_fd, self[1] ? self + 1 : ".", &st, 0) < 0)
		rc = -errno;
	snprintf(f->cg_name, sizeof(f->cg_name), "dlpjail.%d.%u", (int)getpid(), seq++);
	if (f->cg_root_fd >= 0 && rc == 0 && mkdirat(f->cg_root_fd, f->cg_name, 0700) == 0)
		f->cg_fd = openat(f->cg_root_fd, f->cg_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	umount2(dir, MNT_DETACH); /* the fds keep the hierarchy reachable */
	rmdir(dir);
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

/* AS-SAFE: child side, between fork and exec. */
int brk_sc_cgroup_enter(const struct brk_sc_filter *f)
{
	int fd, rc = 0;

	if (f->cg_fd < 0)
		return 0;
	fd = openat(f->cg_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "0", 1) != 1)
		rc = -errno;
	close(fd);
	return rc;
}
