/* SPDX-License-Identifier: MIT */
/*
 * sc_mem.c - a trapped process's memory and program, per thread group: the
 * connect() handler's read of the caller's sockaddr and the caller's
 * /proc/PID/exe (for events) without a readlink per connect.
 *
 * Per tgid one open /proc/TGID/mem is kept. Such a file holds the memory
 * (mm) the process had when it was opened, not the process: once the
 * process execs or exits, that mm has no user left and a read returns 0.
 * So a read of the sockaddr through it that returns all the bytes proves
 * the mm is still in use, hence the process has not exec'd since, and
 * the exe read right after the open still names the program: one pread
 * (~1.5 us in this VM) instead of process_vm_readv (~1.7) plus a readlink
 * of /proc/PID/exe (~3). A short or empty read (exec, exit, a pid reused,
 * an address not mapped) drops the entry and takes the slow road:
 * process_vm_readv, then a fresh open, readlink and read.
 *
 * Residual: an mm can be shared by two processes (clone(CLONE_VM) without
 * CLONE_THREAD: vfork, posix_spawn until the child's exec). While one of
 * them still uses the old mm, the other's entry survives its exec: its
 * events name the program before the exec, and a sockaddr is read from
 * the old mm. The address read is the one judged and connected, so this
 * is confusion inside the jail, not a way past the policy. An entry is
 * not made for a process whose mm its parent shares (the vfork child
 * before its exec), which is the case programs produce.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include "broker/seccomp/sc_int.h"
#include "broker/seccomp/seccomp.h"

#define SC_MEM_SLOTS 32

struct sc_mem_ent {
	pid_t tgid;
	int fd;            /* /proc/TGID/mem, -1: empty */
	unsigned long used;
	char exe[BRK_SC_EXE_MAX];
};

struct brk_sc_mem {
	pthread_mutex_t lock;
	atomic_bool off;   /* /proc/PID/mem refused to us (EACCES): the old road only */
	unsigned long tick;
	struct sc_mem_ent ent[SC_MEM_SLOTS];
};

int brk_sc_mem_new(struct brk_sc_mem **out)
{
	struct brk_sc_mem *m = calloc(1, sizeof(*m));
	int i;

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	for (i = 0; i < SC_MEM_SLOTS; i++)
		m->ent[i].fd = -1;
	*out = m;
	return 0;
}

void brk_sc_mem_free(struct brk_sc_mem *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < SC_MEM_SLOTS; i++)
		if (m->ent[i].fd >= 0)
			close(m->ent[i].fd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static int sc_mem_vm_read(pid_t tid, uint64_t addr, void *dst, size_t len)
{
	struct iovec l = { .iov_base = dst, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_readv(tid, &l, 1, &r, 1, 0);

	if (n < 0)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* The parent's pid from /proc/TGID/stat (after the ")" of the name), or -1. */
static pid_t sc_mem_ppid(pid_t tgid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2] || !p[3])
		return -1;
	return (pid_t)strtol(p + 4, NULL, 10); /* ") S PPID" */
}

/* Does tgid share its mm with its parent (a vfork child before its exec)? */
static bool sc_mem_shared(pid_t tgid)
{
	pid_t pp = sc_mem_ppid(tgid);
	long k;

	if (pp <= 0)
		return true; /* unknown: no entry */
	k = syscall(SYS_kcmp, tgid, pp, KCMP_VM, 0, 0);
	return k != 1 && k != 2; /* 0 the same mm; -1 unknown: no entry either */
}

/* A new entry for tgid (lock not held): its mem file opened before its exe is read. */
static int sc_mem_fill(struct brk_sc_mem *m, pid_t tgid, uint64_t addr, void *dst, size_t len,
		       char *exe, size_t cap, int *pfd)
{
	char path[64];
	ssize_t n;
	int fd;

	*pfd = -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			atomic_store(&m->off, true); /* not one open per connect for nothing */
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)tgid);
	n = readlink(path, exe, cap - 1);
	exe[n > 0 ? n : 0] = '\0';
	/* read after the readlink: all of it means no exec since the open */
	if (n <= 0 || pread(fd, dst, len, (off_t)addr) != (ssize_t)len || sc_mem_shared(tgid)) {
		close(fd);
		return -1;
	}
	*pfd = fd;
	return 0;
}

int brk_sc_mem_peek(struct brk_sc_mem *m, pid_t tgid, pid_t tid, uint64_t addr, void *dst,
		    size_t len, char *exe, size_t cap)
{
	struct sc_mem_ent *e, *victim;
	int i, fd;

	exe[0] = '\0';
	if (!len)
		return 0;
	if (!addr)
		return -EFAULT;
	if (!m || atomic_load(&m->off) || tgid <= 0 || cap < 2 ||
	    addr > (uint64_t)INT64_MAX - len)
		return sc_mem_vm_read(tid, addr, dst, len);
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < SC_MEM_SLOTS; i++) {
		e = &m->ent[i];
		if (e->fd < 0 || e->tgid != tgid)
			continue;
		if (pread(e->fd, dst, len, (off_t)addr) == (ssize_t)len) {
			e->used = ++m->tick;
			snprintf(exe, cap, "%s", e->exe);
			pthread_mutex_unlock(&m->lock);
			return 0;
		}
		close(e->fd); /* exec'd, gone, or the address is not mapped there */
		e->fd = -1;
		break;
	}
	pthread_mutex_unlock(&m->lock);
	if (sc_mem_fill(m, tgid, addr, dst, len, exe, cap, &fd) < 0) {
		exe[0] = '\0';
		return sc_mem_vm_read(tid, addr, dst, len);
	}
	pthread_mutex_lock(&m->lock);
	victim = &m->ent[0];
	for (i = 0; i < SC_MEM_SLOTS; i++) {
		e = &m->ent[i];
		if (e->fd >= 0 && e->tgid == tgid) {
			victim = e; /* another worker filled it meanwhile: replace */
			break;
		}
		if (victim->fd >= 0 && (e->fd < 0 || e->used < victim->used))
			victim = e;
	}
	if (victim->fd >= 0)
		close(victim->fd);
	victim->tgid = tgid;
	victim->fd = fd;
	victim->used = ++m->tick;
	snprintf(victim->exe, sizeof(victim->exe), "%s", exe);
	pthread_mutex_unlock(&m->lock);
	return 0;
}
