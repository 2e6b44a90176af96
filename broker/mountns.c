/* SPDX-License-Identifier: MIT */
/*
 * mountns.c - the jail's private mount namespace: /etc/ld.so.preload and
 * /etc/resolv.conf replaced through an overlay on /etc (see mountns.h).
 * Only the launcher calls this. Everything the child does is computed in
 * brk_mountns_prepare(); the child half (mns_enter) uses system calls only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/mountns.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE		1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC	O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE		0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY	0x00000001
#define MOUNT_ATTR_NOSUID	0x00000002
#define MOUNT_ATTR_NODEV	0x00000004
#define MOUNT_ATTR_NOEXEC	0x00000008
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH	0x00000004
#endif

/* Files besides ld.so.preload and resolv.conf the layer may hold. */
#define MNS_EXTRA_MAX		4
/* Credential files covered by their placeholder copies (secretless jail). */
#define MNS_COVER_MAX		512	/* swap_jail.c COVER_MAX: all that collection lists */
/* /proc/PID entries of other processes of ours hidden from the jail. */
#define MNS_HIDE_MAX		8192
/* Mounts below /etc we carry over; more than this and we give up. */
#define MNS_SUB_MAX		64
/* Bounds on the files we write. */
#define MNS_FILE_MAX		65536
/* A covered credential file, and all of them: the collector reads files of
 * up to 8 MiB (secrets_int.h FILE_MAX); the layer tmpfs grows by what they
 * hold. */
#define MNS_COVER_FILE_MAX	(8u << 20)
#define MNS_COVER_TOTAL_MAX	(64u << 20)
#define MNS_ETC			"/etc"
#define MNS_PRELOAD		"/etc/ld.so.preload"
#define MNS_RESOLV		"/etc/resolv.conf"

/* Child steps, for the probe's error message. */
enum mns_step {
	MNS_S_UNSHARE,
	MNS_S_SETGROUPS,
	MNS_S_UIDMAP,
	MNS_S_GIDMAP,
	MNS_S_PRIVATE,
	MNS_S_CLONE_SUB,
	MNS_S_TMPFS,
	MNS_S_LAYER,
	MNS_S_FILES,
	MNS_S_OVERLAY,
	MNS_S_RESTORE_SUB,
	MNS_S_COVER,
	MNS_S_HIDE,
	MNS_S_KERNEL,
	MNS_S_DETACH,
	MNS_S_VERIFY,
	MNS_S_COUNT
};

static const char *const mns_step_name[MNS_S_COUNT] = {
	[MNS_S_UNSHARE] = "unshare",
	[MNS_S_SETGROUPS] = "write /proc/self/setgroups",
	[MNS_S_UIDMAP] = "write /proc/self/uid_map",
	[MNS_S_GIDMAP] = "write /proc/self/gid_map",
	[MNS_S_PRIVATE] = "make / private",
	[MNS_S_CLONE_SUB] = "clone a mount below /etc",
	[MNS_S_TMPFS] = "mount the layer tmpfs",
	[MNS_S_LAYER] = "create the layer directories",
	[MNS_S_FILES] = "write the layer files",
	[MNS_S_OVERLAY] = "mount the overlay on /etc",
	[MNS_S_RESTORE_SUB] = "move a mount below /etc back",
	[MNS_S_COVER] = "cover a credential file",
	[MNS_S_HIDE] = "hide a process of ours in /proc",
	[MNS_S_KERNEL] = "make /proc/sys and /sys read-only",
	[MNS_S_DETACH] = "detach the layer tmpfs",
	[MNS_S_VERIFY] = "verify /etc/ld.so.preload",
};

struct brk_mountns {
	int userns;			/* 1: CLONE_NEWUSER too, read-only overlay */
	char uid_map[64], gid_map[64];
	char stage[PATH_MAX];		/* empty dir the tmpfs goes on */
	char upper[PATH_MAX];		/* stage/u: layer holding our files */
	char work[PATH_MAX];		/* stage/w: overlay workdir (root only) */
	char preload_file[PATH_MAX];	/* upper/ld.so.preload */
	char resolv_file[PATH_MAX];	/* upper/resolv.conf */
	char sock_link[PATH_MAX];	/* upper/dlpjail.sock */
	char sock_target[PATH_MAX];	/* "": no link */
	char ovl_opts[3 * PATH_MAX];
	const char *tmpfs_opts;
	char tmpfs_buf[48];		/* tmpfs_opts sized for the covers */
	size_t tmpfs_base_k;		/* the layer's own room, KiB */
	size_t cover_bytes;		/* what the covers hold */
	mode_t etc_mode;
	uid_t etc_uid;
	gid_t etc_gid;
	char *preload;			/* file contents */
	size_t preload_len;
	char *resolv;			/* NULL: resolv.conf untouched */
	size_t resolv_len;
	size_t shim_len;		/* preload starts with the shim path */
	size_t nsub;
	char (*sub)[PATH_MAX];		/* mounts below /etc, outermost only */
	int *subfd;			/* child scratch: their clones */
	struct mns_extra {		/* more files of the layer (brk_mountns_add_file) */
		char path[PATH_MAX];	/* upper/REL */
		size_t rel;		/* offset of REL in path */
		const char *data;
		size_t len;
		int owned;		/* 0: brk_mountns_add_file_ref()'s */
	} extra[MNS_EXTRA_MAX];
	size_t nextra;
	struct mns_cover {		/* brk_mountns_cover_file() */
		char target[PATH_MAX];	/* the real file's path (absolute) */
		char copy[PATH_MAX];	/* stage/c/N: its copy in the tmpfs */
		char *data;
		size_t len;
	} *cover;
	size_t ncover;
	char cover_dir[PATH_MAX];	/* stage/c */
	char empty_dir[PATH_MAX];	/* stage/e: what a hidden /proc/PID shows */
	char (*hide)[32];		/* "/proc/PID" (brk_mountns_hide_procs()) */
	size_t nhide;
};


/* ---- child half: system calls only (async-signal-safe) ---- */

/* Writes all of p[0..len) to path (created, mode). AS-SAFE. */
static int mns_write_file(const char *path, const char *p, size_t len, mode_t mode, int create)
{
	int fd, rc = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW |
		  (create ? O_CREAT | O_EXCL : 0), mode);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (create && fchmod(fd, mode) < 0)	/* past the umask */
		rc = -errno;
out:
	close(fd);
	return rc;
}

/* upper/REL with its directories (0755). AS-SAFE. */
static int mns_write_extra(const struct mns_extra *x)
{
	char dir[PATH_MAX];
	size_t i;

	memcpy(dir, x->path, sizeof(dir));
	for (i = x->rel; dir[i]; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		dir[i] = '/';
	}
	return mns_write_file(x->path, x->data, x->len, 0644, 1);
}

/* Does /etc/ld.so.preload now start with our shim? AS-SAFE. */
static int mns_verify(const struct brk_mountns *ns)
{
	char buf[PATH_MAX];
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(MNS_PRELOAD, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < ns->shim_len) {
		n = read(fd, buf + got, ns->shim_len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != ns->shim_len || memcmp(buf, ns->preload, ns->shim_len))
		rc = -ENOENT;
	close(fd);
	return rc;
}

/* Closes the clones still open. AS-SAFE. */
static void mns_close_subs(const struct brk_mountns *ns)
{
	size_t i;

	for (i = 0; i < ns->nsub; i++) {
		if (ns->subfd[i] >= 0)
			close(ns->subfd[i]);
		ns->subfd[i] = -1;
	}
}

/* A read-only bind mount of src on dst. AS-SAFE. */
static int mns_bind_ro(const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return -errno;
	if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) < 0)
		return -errno;
	return 0;
}

/*
 * Each credential file covered by its copy (placeholders in place): the
 * copy is written into the layer tmpfs, which is detached afterwards, so
 * the bind mount is its only path; read-only, so nothing is written back.
 * A target gone since prepare() is skipped. AS-SAFE.
 */
static int mns_covers(const struct brk_mountns *ns)
{
	size_t i;
	int rc;

	if (!ns->ncover)
		return 0;
	if (mkdir(ns->cover_dir, 0700) < 0)
		return -errno;
	for (i = 0; i < ns->ncover; i++) {
		const struct mns_cover *c = &ns->cover[i];

		rc = mns_write_file(c->copy, c->data, c->len, 0400, 1);
		if (rc == 0)
			rc = mns_bind_ro(c->copy, c->target);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* /proc/PID of our other processes (brk_mountns_hide_procs()): an empty
 * directory, so that the jail cannot read their environ or reach the
 * host's files through their root or cwd. Best effort, one by one: a
 * process that exits meanwhile (gone, a zombie) fails its mount, and the
 * rest must still be hidden. AS-SAFE. */
static int mns_hides(const struct brk_mountns *ns)
{
	size_t i;

	if (!ns->nhide)
		return 0;
	if (mkdir(ns->empty_dir, 0500) < 0)
		return -errno;
	for (i = 0; i < ns->nhide; i++)
		(void)mns_bind_ro(ns->empty_dir, ns->hide[i]);
	return 0;
}

/*
 * Kernel knobs a root jail could write (uid 0 owns them: no capability is
 * asked): kernel.core_pattern "|PROG" and a cgroup v1 release_agent make
 * the kernel run PROG as root outside every namespace, filter and cgroup
 * of the jail, so PROG connects anywhere unseen; net.ipv4.ping_group_range
 * opens ICMP sockets; sysrq can reboot. Read-only binds (recursive for
 * /sys: cgroup, tracefs, ... below it). The filter refuses mount and
 * umount, so the jail cannot lift them. Only for the plain (root) mount
 * namespace: a user namespace's root owns none of these files. AS-SAFE.
 */
struct mns_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static int mns_kernel_ro(void)
{
	static const char *const ro[] = { "/proc/sys", "/proc/sysrq-trigger", "/sys" };
	const struct mns_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	size_t i;

	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		if (mount(ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (syscall(SYS_mount_setattr, AT_FDCWD, ro[i], AT_RECURSIVE, &a, sizeof(a)) == 0)
			continue;
		/* before 5.12: the top mount only (release_agent also needs
		 * CAP_SYS_ADMIN, which the launcher drops: jail_caps.c) */
		if (mount(NULL, ro[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
			  MS_NODEV | MS_NOEXEC, NULL) < 0)
			return -errno;
	}
	return 0;
}

/* The whole child sequence; *step says where it failed. AS-SAFE. */
static int mns_enter(const struct brk_mountns *ns, enum mns_step *step)
{
	size_t i;
	int rc;

	for (i = 0; i < ns->nsub; i++)
		ns->subfd[i] = -1;
	*step = MNS_S_UNSHARE;
	if (unshare(CLONE_NEWNS | (ns->userns ? CLONE_NEWUSER : 0)) < 0)
		return -errno;
	if (ns->userns) {
		/* unprivileged gid_map writes need setgroups denied first */
		*step = MNS_S_SETGROUPS;
		rc = mns_write_file("/proc/self/setgroups", "deny", 4, 0, 0);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		*step = MNS_S_UIDMAP;
		rc = mns_write_file("/proc/self/uid_map", ns->uid_map, strlen(ns->uid_map), 0, 0);
		if (rc < 0)
			return rc;
		*step = MNS_S_GIDMAP;
		rc = mns_write_file("/proc/self/gid_map", ns->gid_map, strlen(ns->gid_map), 0, 0);
		if (rc < 0)
			return rc;
	}
	/* nothing we mount may propagate back to the host */
	*step = MNS_S_PRIVATE;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* the overlay will cover mounts below /etc: take detached copies */
	*step = MNS_S_CLONE_SUB;
	for (i = 0; i < ns->nsub; i++) {
		ns->subfd[i] = (int)syscall(SYS_open_tree, AT_FDCWD, ns->sub[i],
					    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (ns->subfd[i] < 0) {
			rc = -errno;
			goto out;
		}
	}
	*step = MNS_S_TMPFS;
	if (mount("tmpfs", ns->stage, "tmpfs", MS_NOSUID | MS_NODEV, ns->tmpfs_opts) < 0) {
		rc = -errno;
		goto out;
	}
	*step = MNS_S_LAYER;
	if (mkdir(ns->upper, 0700) < 0 ||
	    (!ns->userns && (mkdir(ns->work, 0700) < 0 ||
			     chown(ns->upper, ns->etc_uid, ns->etc_gid) < 0)) ||
	    chmod(ns->upper, ns->etc_mode) < 0) {
		rc = -errno;
		goto out;
	}
	*step = MNS_S_FILES;
	rc = mns_write_file(ns->preload_file, ns->preload, ns->preload_len, 0644, 1);
	if (rc == 0 && ns->resolv)
		rc = mns_write_file(ns->resolv_file, ns->resolv, ns->resolv_len, 0644, 1);
	if (rc == 0 && ns->sock_target[0] && symlink(ns->sock_target, ns->sock_link) < 0)
		rc = -errno;
	for (i = 0; rc == 0 && i < ns->nextra; i++)
		rc = mns_write_extra(&ns->extra[i]);
	if (rc < 0)
		goto out;
	*step = MNS_S_OVERLAY;
	if (mount("overlay", MNS_ETC, "overlay", ns->userns ? MS_RDONLY : 0, ns->ovl_opts) < 0) {
		rc = -errno;
		goto out;
	}
	*step = MNS_S_RESTORE_SUB;
	for (i = 0; i < ns->nsub; i++) {
		if (syscall(SYS_move_mount, ns->subfd[i], "", AT_FDCWD, ns->sub[i],
			    MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			rc = -errno;
			goto out;
		}
		close(ns->subfd[i]);
		ns->subfd[i] = -1;
	}
	*step = MNS_S_COVER;
	rc = mns_covers(ns);
	if (rc < 0)
		goto out;
	*step = MNS_S_HIDE;
	rc = mns_hides(ns);
	if (rc < 0)
		goto out;
	*step = MNS_S_KERNEL;
	if (!ns->userns && (rc = mns_kernel_ro()) < 0)
		goto out;
	/* the overlay holds its own references to the layers: hide them */
	*step = MNS_S_DETACH;
	if (umount2(ns->stage, MNT_DETACH) < 0) {
		rc = -errno;
		goto out;
	}
	*step = MNS_S_VERIFY;
	rc = mns_verify(ns);
out:
	mns_close_subs(ns);
	return rc;
}

int brk_mountns_child_enter(const struct brk_mountns *ns)
{
	enum mns_step step;

	if (!ns)
		return -EINVAL;
	return mns_enter(ns, &step);
}

const char *brk_mountns_method(const struct brk_mountns *ns)
{
	return ns && ns->userns ? "userns" : "mountns";
}

/* ---- parent half ---- */

/* Reads a small sysctl as a number; -1 if absent or unreadable. */
static long mns_sysctl(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Reads path into a new buffer of at most max bytes. -ENOENT if absent. */
static int mns_slurp(const char *path, size_t max, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(max + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (len < max) {
		n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == max) {
		rc = -EFBIG;
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Undoes mountinfo's octal escapes (\040 for space) in place. */
static void mns_unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* Is p strictly below dir ("/etc/x" under "/etc")? */
static int mns_below(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(p, dir, n) && p[n] == '/' && p[n + 1];
}

/*
 * Collects the outermost mounts below /etc from /proc/self/mountinfo,
 * minus the files we replace. Mount points are field 5.
 */
static int mns_collect_subs(struct brk_mountns *ns, char *why, size_t whylen)
{
	FILE *f;
	char *line = NULL, *mp, *save;
	size_t cap = 0, i, j;
	int rc = 0, k;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		rc = -errno;
		snprintf(why, whylen, "cannot read /proc/self/mountinfo: %s", strerror(-rc));
		return rc;
	}
	while (getline(&line, &cap, f) > 0) {
		mp = strtok_r(line, " ", &save);
		for (k = 1; mp && k < 5; k++)
			mp = strtok_r(NULL, " ", &save);
		if (!mp)
			continue;
		mns_unescape(mp);
		if (!mns_below(mp, MNS_ETC) || !strcmp(mp, MNS_PRELOAD) ||
		    (ns->resolv && !strcmp(mp, MNS_RESOLV)))
			continue;
		if (strlen(mp) >= PATH_MAX)
			continue;
		if (ns->nsub == MNS_SUB_MAX) {
			snprintf(why, whylen, "more than %d mounts below /etc", MNS_SUB_MAX);
			rc = -EOPNOTSUPP;
			goto out;
		}
		snprintf(ns->sub[ns->nsub++], PATH_MAX, "%s", mp);
	}
	/* keep the outermost of nested mounts (the clone is recursive), once */
	for (i = 0; i < ns->nsub; i++) {
		for (j = 0; j < ns->nsub; j++) {
			if (i == j)
				continue;
			if (mns_below(ns->sub[i], ns->sub[j]) ||
			    (j < i && !strcmp(ns->sub[i], ns->sub[j])))
				break;
		}
		if (j < ns->nsub) {
			memmove(ns->sub[i], ns->sub[ns->nsub - 1], PATH_MAX);
			ns->nsub--;
			i--;
		}
	}
out:
	free(line);
	fclose(f);
	return rc;
}

/* Runs the child sequence in a throwaway child and reports how it went. */
static int mns_probe(struct brk_mountns *ns, char *why, size_t whylen)
{
	int fds[2], status, res[2] = { -EIO, MNS_S_UNSHARE };
	enum mns_step step;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		close(fds[0]);
		res[0] = mns_enter(ns, &step);
		res[1] = (int)step;
		if (write(fds[1], res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	do
		n = read(fds[0], res, sizeof(res));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res)) {
		snprintf(why, whylen, "probe child died");
		return -EOPNOTSUPP;
	}
	if (res[0] < 0) {
		snprintf(why, whylen, "%s: %s (%s)%s",
			 res[1] >= 0 && res[1] < MNS_S_COUNT ? mns_step_name[res[1]] : "?",
			 strerror(-res[0]), ns->userns ? "user namespace" : "mount namespace",
			 /* clone_private_mount() refuses a lower dir with locked
			  * mounts below it, as a container's /etc/hosts is */
			 ns->userns && ns->nsub && res[1] == MNS_S_OVERLAY ?
			 "; the mounts below /etc are locked in a user namespace" : "");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Fills in the method-dependent fields. */
static int mns_method(struct brk_mountns *ns, int userns)
{
	int n;

	ns->userns = userns;
	if (userns) {
		snprintf(ns->uid_map, sizeof(ns->uid_map), "%ld %ld 1\n", (long)geteuid(),
			 (long)geteuid());
		snprintf(ns->gid_map, sizeof(ns->gid_map), "%ld %ld 1\n", (long)getegid(),
			 (long)getegid());
		/* read-only overlay: our layer on top of the real /etc */
		ns->tmpfs_opts = "mode=0755,size=4m";   /* + credential copies */
		ns->tmpfs_base_k = 4096;
		n = snprintf(ns->ovl_opts, sizeof(ns->ovl_opts), "lowerdir=%s:%s",
			     ns->upper, MNS_ETC);
	} else {
		/* writable, but the writes land in the jail's own tmpfs */
		ns->tmpfs_opts = "mode=0755,size=64m";
		ns->tmpfs_base_k = 65536;
		n = snprintf(ns->ovl_opts, sizeof(ns->ovl_opts),
			     "lowerdir=%s,upperdir=%s,workdir=%s", MNS_ETC, ns->upper, ns->work);
	}
	return n > 0 && (size_t)n < sizeof(ns->ovl_opts) ? 0 : -ENAMETOOLONG;
}

/* Can this user make a user namespace? 0 or -EOPNOTSUPP with why. */
static int mns_userns_allowed(char *why, size_t whylen)
{
	if (mns_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		snprintf(why, whylen, "unprivileged user namespaces are disabled "
			 "(kernel.unprivileged_userns_clone=0)");
		return -EOPNOTSUPP;
	}
	if (mns_sysctl("/proc/sys/user/max_user_namespaces") == 0) {
		snprintf(why, whylen, "user namespaces are disabled (user.max_user_namespaces=0)");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int mns_path(char *dst, const char *dir, const char *leaf)
{
	int n = snprintf(dst, PATH_MAX, "%s/%s", dir, leaf);

	return n > 0 && n < PATH_MAX ? 0 : -ENAMETOOLONG;
}

int brk_mountns_prepare(const char *private_dir, const char *shim_path,
			const char *resolv_conf_text, struct brk_mountns **out,
			char *why, size_t whylen)
{
	struct brk_mountns *ns = NULL;
	const char *env = getenv(BRK_MOUNTNS_ENV_DISABLE);
	char *old = NULL, first[128], second[128];
	size_t oldlen = 0, n;
	struct stat st;
	int rc, made_stage = 0;

	if (whylen)
		why[0] = '\0';
	if (!private_dir || private_dir[0] != '/' || !shim_path || shim_path[0] != '/' || !out) {
		snprintf(why, whylen, "private directory and shim must be absolute paths");
		return -EINVAL;
	}
	*out = NULL;
	if (strpbrk(private_dir, ",:\\") || strpbrk(shim_path, " \t\n:")) {
		snprintf(why, whylen, "private directory or shim path has characters "
			 "overlayfs or ld.so cannot take");
		return -EINVAL;
	}
	if (env && *env) {
		snprintf(why, whylen, "disabled by " BRK_MOUNTNS_ENV_DISABLE);
		return -EOPNOTSUPP;
	}
	if (geteuid() != 0) {
		rc = mns_userns_allowed(why, whylen);
		if (rc < 0)
			return rc;
	}
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	if (mns_path(ns->stage, private_dir, "etc.mnt") < 0 ||
	    mns_path(ns->upper, ns->stage, "u") < 0 || mns_path(ns->work, ns->stage, "w") < 0 ||
	    mns_path(ns->preload_file, ns->upper, "ld.so.preload") < 0 ||
	    mns_path(ns->resolv_file, ns->upper, "resolv.conf") < 0 ||
	    mns_path(ns->sock_link, ns->upper, "dlpjail.sock") < 0 ||
	    mns_path(ns->cover_dir, ns->stage, "c") < 0 ||
	    mns_path(ns->empty_dir, ns->stage, "e") < 0) {
		snprintf(why, whylen, "private directory path too long");
		rc = -EINVAL;
		goto out;
	}
	if (stat(MNS_ETC, &st) < 0) {
		rc = -errno;
		snprintf(why, whylen, "stat /etc: %s", strerror(-rc));
		goto out;
	}
	ns->etc_mode = st.st_mode & 07777;
	ns->etc_uid = st.st_uid;
	ns->etc_gid = st.st_gid;

	/* ld.so.preload: our shim first, then whatever the host preloads */
	rc = mns_slurp(MNS_PRELOAD, MNS_FILE_MAX, &old, &oldlen);
	if (rc < 0 && rc != -ENOENT) {
		snprintf(why, whylen, "cannot read " MNS_PRELOAD ": %s", strerror(-rc));
		goto out;
	}
	ns->shim_len = strlen(shim_path);
	if (ns->shim_len >= PATH_MAX) {
		rc = -EINVAL;
		goto out;
	}
	n = ns->shim_len + 1 + oldlen + 2;
	ns->preload = malloc(n);
	if (!ns->preload) {
		rc = -ENOMEM;
		goto out;
	}
	ns->preload_len = (size_t)snprintf(ns->preload, n, "%s\n%s%s", shim_path,
					   old ? old : "",
					   oldlen && old[oldlen - 1] != '\n' ? "\n" : "");
	if (resolv_conf_text) {
		ns->resolv_len = strlen(resolv_conf_text);
		if (ns->resolv_len > MNS_FILE_MAX) {
			snprintf(why, whylen, "resolv.conf text too long");
			rc = -EINVAL;
			goto out;
		}
		ns->resolv = strdup(resolv_conf_text);
		if (!ns->resolv) {
			rc = -ENOMEM;
			goto out;
		}
	}
	ns->sub = calloc(MNS_SUB_MAX, sizeof(*ns->sub));
	ns->subfd = calloc(MNS_SUB_MAX, sizeof(*ns->subfd));
	if (!ns->sub || !ns->subfd) {
		rc = -ENOMEM;
		goto out;
	}
	rc = mns_collect_subs(ns, why, whylen);
	if (rc < 0)
		goto out;
	if (mkdir(ns->stage, 0700) < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot create %s: %s", ns->stage, strerror(-rc));
		goto out;
	}
	made_stage = 1;

	/* root: a plain mount namespace; without CAP_SYS_ADMIN (a container's
	 * root) or as a user: a user namespace with the same ids */
	rc = -EOPNOTSUPP;
	if (geteuid() == 0) {
		rc = mns_method(ns, 0);
		if (rc == 0)
			rc = mns_probe(ns, why, whylen);
	}
	if (rc < 0 && rc != -ENAMETOOLONG) {
		/* keep the first reason: a root that cannot unshare says why */
		snprintf(first, sizeof(first), "%s", geteuid() == 0 && whylen ? why : "");
		rc = mns_method(ns, 1);
		if (rc == 0)
			rc = mns_probe(ns, why, whylen);
		if (rc == -EOPNOTSUPP && first[0]) {
			snprintf(second, sizeof(second), "%s", why);
			snprintf(why, whylen, "%s; %s", first, second);
		}
	}
	if (rc == -ENAMETOOLONG)
		snprintf(why, whylen, "private directory path too long");
out:
	free(old);
	if (rc < 0) {
		if (made_stage)
			rmdir(ns->stage);
		if (ns)
			ns->stage[0] = '\0';
		brk_mountns_free(ns);
		return rc;
	}
	*out = ns;
	return 0;
}

int brk_mountns_set_broker_sock(struct brk_mountns *ns, const char *sock_path)
{
	if (!ns || !sock_path || sock_path[0] != '/')
		return -EINVAL;
	if (strlen(sock_path) >= sizeof(ns->sock_target))
		return -ENAMETOOLONG;
	memcpy(ns->sock_target, sock_path, strlen(sock_path) + 1);
	return 0;
}

static int mns_add_file(struct brk_mountns *ns, const char *rel, const void *data, size_t len,
			int copy)
{
	struct mns_extra *x;
	char *d;
	int n;

	if (!ns || !rel || rel[0] == '/' || strstr(rel, "..") || !strcmp(rel, "ld.so.preload") ||
	    !strcmp(rel, "resolv.conf") || len > MNS_FILE_MAX * 64)
		return -EINVAL;
	if (ns->nextra >= MNS_EXTRA_MAX)
		return -E2BIG;
	x = &ns->extra[ns->nextra];
	n = snprintf(x->path, sizeof(x->path), "%s/%s", ns->upper, rel);
	if (n < 0 || (size_t)n >= sizeof(x->path))
		return -ENAMETOOLONG;
	x->rel = strlen(ns->upper) + 1;
	x->owned = copy;
	if (copy) {
		d = malloc(len ? len : 1);
		if (!d)
			return -ENOMEM;
		memcpy(d, data, len);
		x->data = d;
	} else {
		x->data = data;
	}
	x->len = len;
	ns->nextra++;
	return 0;
}

int brk_mountns_add_file(struct brk_mountns *ns, const char *rel, const void *data,
			 size_t len)
{
	return mns_add_file(ns, rel, data, len, 1);
}

int brk_mountns_add_file_ref(struct brk_mountns *ns, const char *rel, const void *data,
			     size_t len)
{
	return mns_add_file(ns, rel, data, len, 0);
}

void brk_mountns_free(struct brk_mountns *ns)
{
	size_t i;

	if (!ns)
		return;
	for (i = 0; i < ns->nextra; i++)
		if (ns->extra[i].owned)
			free((char *)ns->extra[i].data);
	for (i = 0; ns->cover && i < ns->ncover; i++) {
		explicit_bzero(ns->cover[i].data, ns->cover[i].len);
		free(ns->cover[i].data);
	}
	free(ns->cover);
	free(ns->hide);
	if (ns->stage[0])
		rmdir(ns->stage);
	free(ns->preload);
	free(ns->resolv);
	free(ns->sub);
	free(ns->subfd);
	free(ns);
}

int brk_mountns_cover_file(struct brk_mountns *ns, const char *target, const void *data,
			   size_t len)
{
	struct mns_cover *c;
	int n;

	if (!ns || !target || target[0] != '/' || mns_below(target, MNS_ETC) ||
	    len > MNS_COVER_FILE_MAX)
		return -EINVAL;
	if (ns->cover_bytes + len > MNS_COVER_TOTAL_MAX)
		return -E2BIG;
	if (!ns->cover && !(ns->cover = calloc(MNS_COVER_MAX, sizeof(*ns->cover))))
		return -ENOMEM;
	if (ns->ncover >= MNS_COVER_MAX)
		return -E2BIG;
	c = &ns->cover[ns->ncover];
	if (strlen(target) >= sizeof(c->target))
		return -ENAMETOOLONG;
	n = snprintf(c->copy, sizeof(c->copy), "%s/%zu", ns->cover_dir, ns->ncover);
	if (n < 0 || (size_t)n >= sizeof(c->copy))
		return -ENAMETOOLONG;
	memcpy(c->target, target, strlen(target) + 1);
	c->data = malloc(len ? len : 1);
	if (!c->data)
		return -ENOMEM;
	memcpy(c->data, data, len);
	c->len = len;
	ns->ncover++;
	ns->cover_bytes += len;
	/* room for every copy, each rounded up to a page */
	snprintf(ns->tmpfs_buf, sizeof(ns->tmpfs_buf), "mode=0755,size=%zuk",
		 ns->tmpfs_base_k + ns->cover_bytes / 1024 + 4 * ns->ncover + 4);
	ns->tmpfs_opts = ns->tmpfs_buf;
	return 0;
}

/* The permitted capability set of /proc/PID (dir fd d, entry name), or
 * ~0 when unreadable (then it is not one the jail can read either). */
static uint64_t mns_cap_prm(int d, const char *name)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/status", name);
	fd = openat(d, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ~0ull;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return ~0ull;
	buf[n] = '\0';
	p = strstr(buf, "\nCapPrm:");
	return p ? strtoull(p + 8, NULL, 16) : ~0ull;
}

int brk_mountns_hide_procs(struct brk_mountns *ns, uint64_t jail_caps)
{
	struct dirent *de;
	struct stat st;
	pid_t self = getpid();
	uid_t uid = getuid();
	DIR *d;

	if (!ns)
		return -EINVAL;
	if (!ns->hide && !(ns->hide = calloc(MNS_HIDE_MAX, sizeof(*ns->hide))))
		return -ENOMEM;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL && ns->nhide < MNS_HIDE_MAX) {
		char *end, task[64];
		long pid = strtol(de->d_name, &end, 10);
		struct dirent *te;
		DIR *td;

		if (*end || pid <= 0 || pid == self)
			continue;
		/* /proc/PID belongs to the process's uid unless it is not
		 * dumpable (then root); the kernel lets the jail read it only
		 * if its permitted capabilities are a subset of the jail's */
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || st.st_uid != uid ||
		    (mns_cap_prm(dirfd(d), de->d_name) & ~jail_caps))
			continue;
		snprintf(ns->hide[ns->nhide++], sizeof(ns->hide[0]), "/proc/%ld", pid);
		/* its threads answer at /proc/TID too */
		snprintf(task, sizeof(task), "/proc/%ld/task", pid);
		td = opendir(task);
		while (td && (te = readdir(td)) != NULL && ns->nhide < MNS_HIDE_MAX) {
			long tid = strtol(te->d_name, &end, 10);

			if (!*end && tid > 0 && tid != pid)
				snprintf(ns->hide[ns->nhide++], sizeof(ns->hide[0]), "/proc/%ld", tid);
		}
		if (td)
			closedir(td);
	}
	closedir(d);
	return ns->nhide == MNS_HIDE_MAX ? -E2BIG : 0;
}
