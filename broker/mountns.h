/* SPDX-License-Identifier: MIT */
/*
 * mountns.h - a private mount namespace for the jailed command in which
 * /etc/ld.so.preload names libdlpshim (so programs that scrub LD_PRELOAD,
 * such as env -i, Go cmd.Env, sudo, still load the shim) and, optionally,
 * /etc/resolv.conf points at the broker's DNS proxy (so static resolvers
 * are judged too). The host's /etc is never written.
 *
 * Mechanism: an overlayfs mounted on /etc in the child's namespace. Its top
 * layer is a small tmpfs holding our ld.so.preload and resolv.conf; the
 * lower layer is the real /etc. Mounts found below /etc (a container's
 * bind-mounted /etc/hosts, say) are cloned before the overlay covers them
 * and moved back on top, except the two files we replace. The tmpfs is
 * detached afterwards, so no path in the jail reaches the layer files.
 *  - root: unshare(CLONE_NEWNS); the overlay has a tmpfs upper layer, so
 *    /etc stays writable but writes are private and vanish with the jail.
 *  - non-root: unshare(CLONE_NEWUSER | CLONE_NEWNS) with uid/gid maps to
 *    the same ids (setgroups denied); the overlay is read-only (the user
 *    could not write /etc anyway, and must not rewrite ld.so.preload).
 *    Files of other users show as the overflow id (nobody) in the jail.
 *
 * Callers: only the launcher (and the test driver t/mountns/ns_driver.c).
 * prepare() in the parent before fork, child_enter() in the forked child
 * before the seccomp filter (which forbids mount/unshare) and before exec,
 * free() in the parent after the child is gone.
 */
#ifndef DLP_BROKER_MOUNTNS_H
#define DLP_BROKER_MOUNTNS_H

#include <stddef.h>
#include <stdint.h>

struct brk_mountns;

/* Set to any non-empty value to make prepare() refuse (-EOPNOTSUPP). */
#define BRK_MOUNTNS_ENV_DISABLE "DLPJAIL_NO_MOUNTNS"

/*
 * Computes everything the child needs (file contents, overlay options, the
 * mounts below /etc to preserve, the uid/gid maps) and probes the method in
 * a short-lived forked child, so a failure shows here and not after the
 * real fork. private_dir must exist, be private to the caller (the
 * launcher's mkdtemp directory) and contain no ',', ':' or '\\'; an empty
 * directory "<private_dir>/etc.mnt" is created in it (removed by free()).
 * shim_path must be absolute, with no whitespace or ':'.
 * resolv_conf_text: the jail's /etc/resolv.conf, or NULL to leave it alone.
 * On success *out owns the state (free with brk_mountns_free()).
 * Returns 0; -EINVAL (bad arguments); -ENOMEM; -EOPNOTSUPP when a private
 * mount namespace is impossible here (disabled by BRK_MOUNTNS_ENV_DISABLE,
 * user namespaces off, no overlayfs, probe failed): why says which, and the
 * caller should warn and run without it. Other negative errnos: I/O errors
 * reading /etc/ld.so.preload or /proc/self/mountinfo.
 */
int brk_mountns_prepare(const char *private_dir, const char *shim_path,
			const char *resolv_conf_text, struct brk_mountns **out,
			char *why, size_t whylen);

/*
 * In the forked child, after fork, before the seccomp filter and exec:
 * enters the namespace and sets up /etc. Async-signal-safe (system calls
 * only: no malloc, no stdio), so it is fine in the child of a threaded
 * parent. Returns 0 or a negative errno; on failure the process is left in
 * an undefined mount state and should _exit().
 */
int brk_mountns_child_enter(const struct brk_mountns *ns);

/*
 * Optional, between prepare() and fork: also show BRK_MOUNTNS_SOCK_LINK in
 * the jail as a symlink to sock_path (the session's broker socket), so a
 * shim whose environment was scrubbed (no DLPJAIL_SOCK) can still find its
 * session broker instead of the per-user ad hoc one. The shim must look
 * there (shim/chan.c sock_path(): DLPJAIL_SOCK, then this link, then the
 * per-user socket). Returns 0, -EINVAL (not absolute), -ENAMETOOLONG.
 */
#define BRK_MOUNTNS_SOCK_LINK "/etc/dlpjail.sock"
int brk_mountns_set_broker_sock(struct brk_mountns *ns, const char *sock_path);

/*
 * Optional, between prepare() and fork: one more file of the layer, shown
 * at /etc/REL in the jail (directories made as needed), e.g. the session
 * CA's bundle at "ssl/certs/ca-certificates.crt". At most 4. The host's
 * file is never written. Returns 0, -EINVAL, -E2BIG, -ENAMETOOLONG, -ENOMEM.
 */
int brk_mountns_add_file(struct brk_mountns *ns, const char *rel, const void *data,
			 size_t len);
/* The same without a copy: data stays the caller's and must outlive every
 * fork of the command (the session CA's bundle, ~200 KB, from tls_trust). */
int brk_mountns_add_file_ref(struct brk_mountns *ns, const char *rel, const void *data,
			     size_t len);

/*
 * Optional, between prepare() and fork (the secretless jail, swap.h): the
 * regular file at absolute path target (not below /etc; a symlink is
 * followed, so its target is covered) shows data in the jail: a
 * read-only bind mount of a copy in the layer tmpfs, which is detached
 * afterwards, so no other path in the jail reaches the copy, nothing is
 * written back and the host's file is never touched. Other names of the
 * same inode (hard links, a second mount of its filesystem) are not
 * covered. At most 512 files (64 MiB in all). A target gone by the time
 * the child enters is skipped. Returns 0, -EINVAL, -E2BIG, -ENAMETOOLONG,
 * -ENOMEM.
 */
int brk_mountns_cover_file(struct brk_mountns *ns, const char *target, const void *data,
			   size_t len);

/*
 * Optional, between prepare() and fork: every /proc/PID (and /proc/TID of
 * its threads) owned by the caller's uid, except the caller's own, whose
 * permitted capabilities are a subset of jail_caps (the jail's: then the
 * kernel would let the jail read it), shows an empty read-only directory
 * in the jail, so the jail cannot read those processes' environ or reach
 * the host's files through /proc/PID/root or cwd. The launcher uses it
 * for a root jail (one that dropped capabilities still reads root
 * processes with fewer); a user's jail is kept out by its user namespace
 * already. Processes started later are not hidden; a mount that fails (the
 * process exited) is skipped. 0, -E2BIG (more than 8192 entries; the first
 * 8192 are hidden), -ENOMEM, or an error reading /proc.
 */
int brk_mountns_hide_procs(struct brk_mountns *ns, uint64_t jail_caps);

/* "userns" or "mountns": the method prepare() chose. */
const char *brk_mountns_method(const struct brk_mountns *ns);

/* Releases the state and removes the mount point directory. NULL is fine. */
void brk_mountns_free(struct brk_mountns *ns);

#endif /* DLP_BROKER_MOUNTNS_H */
