/* SPDX-License-Identifier: MIT */
/* launcher.c - run a command under dlpjail; ad hoc broker daemon (see launcher.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/adhoc_sc.h"
#include "broker/broker.h"
#include "broker/event.h"
#include "broker/launcher.h"
#include "broker/profile.h"
#include "broker/scan/scan.h"
#include "broker/relay/relay.h"
#include "broker/relay/tls_ca.h"
#include "broker/relay/tls_trust.h"
#include "broker/sc_decide.h"
#include "broker/seccomp/seccomp.h"
#include "broker/dnsgate.h"
#include "broker/dnsproxy.h"
#include "broker/jail_caps.h"
#include "broker/mountns.h"
#include "broker/addr.h"
#include "broker/secrets.h"
#include "broker/swap.h"
#include "broker/persist.h"
#include "broker/swap_jail.h"
#include "broker/tree.h"
#include "broker/session.h"
#include "common/dlp_err.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/sc_probe.h"

extern char **environ;

static int exists(const char *p)
{
	return access(p, R_OK) == 0;
}

int brk_find_shim(char *dst, size_t cap)
{
	const char *env = getenv("DLPJAIL_SHIM");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(dst, cap, "%s", env);
		return exists(dst) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			/* build tree: libtool keeps the real .so under .libs/ */
			snprintf(dst, cap, "%s/.libs/" DLP_SHIM_NAME, self);
			if (exists(dst))
				return 0;
			snprintf(dst, cap, "%s/../lib/" DLP_SHIM_NAME, self);
			if (exists(dst))
				return 0;
		}
	}
	snprintf(dst, cap, "%s/" DLP_SHIM_NAME, DLP_LIBDIR);
	return exists(dst) ? 0 : -ENOENT;
}

/*
 * The command's environment: ours minus LD_PRELOAD/DLPJAIL_SOCK, plus the
 * shim in front of any LD_PRELOAD, the socket, and the canary variables
 * ("NAME=VALUE", only for names the environment does not already set).
 * Strings we allocate are the entries from own_from on.
 */
struct child_env {
	char **env;
	size_t own_from;
};

static int child_env(struct child_env *ce, const char *shim, const char *sock,
		     const struct brk_scan_canary *can, size_t ncan, const char *home)
{
	size_t n = 0, i, j = 0;
	const char *old = getenv("LD_PRELOAD");
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + ncan + 4, sizeof(char *));
	if (!env)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    strncmp(environ[i], DLP_ENV_SOCK "=", sizeof(DLP_ENV_SOCK)) &&
		    !(home && !strncmp(environ[i], "HOME=", 5)))
			env[j++] = environ[i];
	ce->env = env;
	ce->own_from = j;
	if (asprintf(&env[j++], "LD_PRELOAD=%s%s%s", shim, old && *old ? ":" : "",
		     old ? old : "") < 0 ||
	    asprintf(&env[j++], DLP_ENV_SOCK "=%s", sock) < 0)
		return -ENOMEM;
	if (home && asprintf(&env[j++], "HOME=%s", home) < 0)
		return -ENOMEM;
	for (i = 0; i < ncan; i++) {
		/* never shadow a real credential the command needs, and never
		 * under a name a tool reads (it would send the canary itself) */
		if (getenv(can[i].name) || brk_scan_canary_name_denied(can[i].name))
			continue;
		if (asprintf(&env[j++], "%s=%s", can[i].name, can[i].value) < 0)
			return -ENOMEM;
	}
	env[j] = NULL;
	return 0;
}

static void child_env_free(struct child_env *ce)
{
	size_t i;

	if (!ce->env)
		return;
	for (i = ce->own_from; ce->env[i]; i++)
		free(ce->env[i]);
	free(ce->env);
	ce->env = NULL;
}

/* ---- the session CA (relay CA path): trusted inside the jail only ---- */

/* The trust variables of the CA path replace the user's (their files are
 * kept inside the new ones, see tls_trust.c). */
static int child_env_tls(struct child_env *ce, const struct brk_tls_trust *t)
{
	const char *const *add;
	size_t n = 0, i, j = 0, k, nadd = brk_tls_trust_env(t, &add), own;
	char **env;

	while (ce->env[n])
		n++;
	env = calloc(n + nadd + 1, sizeof(char *));
	if (!env)
		return -ENOMEM;
	for (i = 0; i < ce->own_from; i++)
		if (!brk_tls_trust_replaces(ce->env[i]))
			env[j++] = ce->env[i];
	own = j;
	for (; i < n; i++)
		env[j++] = ce->env[i];
	for (k = 0; k < nadd; k++)
		if (!(env[j++] = strdup(add[k])))
			break;
	free(ce->env);
	ce->env = env;
	ce->own_from = own;
	return k == nadd ? 0 : -ENOMEM;
}

/* The jail's /etc shows the bundle where Debian, OpenSSL, GnuTLS and Go look. */
static int mountns_tls(struct brk_mountns *mns, const struct brk_tls_trust *t)
{
	const char *hash[2], *ca, *b;
	char rel[64];
	size_t cn, bn, i;
	int rc;

	b = brk_tls_trust_bundle(t, &bn);
	ca = brk_tls_trust_ca(t, &cn, &hash[0], &hash[1]);
	/* not copied: t is freed after the last fork (brk_launch's teardown) */
	rc = brk_mountns_add_file_ref(mns, BRK_TLS_TRUST_ETC + 5, b, bn);   /* below /etc/ */
	for (i = 0; i < 2 && rc == 0; i++) {
		if (!hash[i][0])
			continue;
		snprintf(rel, sizeof(rel), "ssl/certs/%s", hash[i]);  /* OpenSSL's hashed dir */
		rc = brk_mountns_add_file_ref(mns, rel, ca, cn);
	}
	return rc;
}

/*
 * The session CA's keys and certificate (~1.5 ms of CPU: OpenSSL's DRBG,
 * two P-256 keys, a signature) are made in a thread while the launcher
 * builds the rest of the jail (known secrets, sockets, mount namespace);
 * ca_job_join() waits before the certificate goes into the trust files,
 * which exist before the command runs. Without a thread, made at the join.
 */
struct ca_job {
	pthread_t thr;
	bool started;
	char label[64];
	int rsa;
	struct brk_tls_ca *ca;
	int rc;
};

static void *ca_job_main(void *arg)
{
	struct ca_job *j = arg;

	j->rc = brk_tls_ca_new(j->label, j->rsa, &j->ca);
	return NULL;
}

static void ca_job_start(struct ca_job *j, const char *label, int rsa)
{
	snprintf(j->label, sizeof(j->label), "%s", label ? label : "");
	j->rsa = rsa;
	j->started = pthread_create(&j->thr, NULL, ca_job_main, j) == 0;
}

static int ca_job_join(struct ca_job *j, struct brk_tls_ca **out)
{
	if (j->started)
		pthread_join(j->thr, NULL);
	else
		j->rc = brk_tls_ca_new(j->label, j->rsa, &j->ca);  /* no thread */
	j->started = false;
	*out = j->ca;
	return j->rc;
}

/*
 * In the child before exec: no CAP_SYS_PTRACE (a root jail could read the
 * broker's memory, the CA key, through /proc/PID/mem otherwise; ptrace is
 * refused by the seccomp filter anyway) and dumpable again (the broker is
 * not: see brk_launch).
 */
static int child_drop_ptrace(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	unsigned w = CAP_SYS_PTRACE / 32, bit = 1u << (CAP_SYS_PTRACE % 32);

	if (prctl(PR_SET_DUMPABLE, 1) < 0)
		return -errno;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE) < 0 && errno != EPERM)
		return -errno;
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[w].effective &= ~bit;
	d[w].permitted &= ~bit;
	d[w].inheritable &= ~bit;
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* A decoy HOME with a ~/.npmrc holding the npm canary. */
static int make_decoy_home(const char *dir, const struct brk_scan_canary *can, size_t ncan,
			   char *home, size_t cap)
{
	char path[PATH_MAX + 16], buf[1024];
	size_t i;
	int len = -EINVAL, fd;

	snprintf(home, cap, "%s/home", dir);
	if (mkdir(home, 0700) < 0)
		return -errno;
	for (i = 0; i < ncan && len < 0; i++)
		len = brk_scan_canary_npmrc(&can[i], buf, sizeof(buf));
	if (len < 0)
		return len;
	snprintf(path, sizeof(path), "%s/.npmrc", home);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static int make_private_dir(char *dir, size_t cap)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (!base || base[0] != '/' || access(base, W_OK))
		base = getenv("TMPDIR");
	if (!base || base[0] != '/' || access(base, W_OK))
		base = "/tmp";
	snprintf(dir, cap, "%s/dlpjail.XXXXXX", base);
	return mkdtemp(dir) ? 0 : -errno;
}

/* ---- the seccomp backstop's questions, answered by the same broker ---- */

/* The DNS proxy's questions (any process of the tree; the proxy cannot tell which). */
static int px_judge(void *arg, const uint8_t *q, size_t n, char *why, size_t whylen)
{
	return brk_dnsgate_raw(arg, 0, "dns-proxy", q, n, false, NULL, why, whylen) == BRK_ALLOW
		? 0 : EACCES;
}

static const struct brk_dnsproxy_ops px_ops = { .judge = px_judge };

/* Global: the session's answers to the supervisor (broker/sc_decide.c),
 * main thread only, filled before the supervisor starts. */
static struct brk_scd launch_scd = { .rule = "seccomp" };

/* ---- the egress relay (--relay): the supervisor's connects end there ---- */

/* Globals: the session's supervisor, for the shim's questions
 * (brk_ctx.own_listener), from broker threads; set once it runs, cleared
 * under the write lock before it stops. */
static struct brk_sc *launch_sc;
static pthread_rwlock_t launch_sc_lock = PTHREAD_RWLOCK_INITIALIZER;

static bool own_listener(pid_t pid, const struct brk_addr *a, int port)
{
	bool r;

	pthread_rwlock_rdlock(&launch_sc_lock);
	r = brk_scd_own_listener(launch_sc, pid, a, port);
	pthread_rwlock_unlock(&launch_sc_lock);
	return r;
}

/* Global: the session's relay, set before the supervisor starts, main thread only. */
static struct brk_relay *launch_relay;

/*
 * AS-SAFE: child side, in its private mount namespace, before the filter.
 * The command runs as the user and could otherwise plant a forged matcher
 * cache entry, policy file or tool configuration for the next session:
 * there the directory (or file) is a read-only bind of itself (the broker,
 * outside, still writes it). Best effort: on any failure the bind is
 * undone and the entry's checks remain.
 */
static void protect_path(const char *dir)
{
	struct statvfs vs;
	unsigned long keep = 0;

	if (!dir[0] || statvfs(dir, &vs) < 0)
		return;
	/* a remount must keep the flags the mount already has (locked in a
	 * user namespace) */
	keep |= vs.f_flag & ST_NOSUID ? MS_NOSUID : 0;
	keep |= vs.f_flag & ST_NODEV ? MS_NODEV : 0;
	keep |= vs.f_flag & ST_NOEXEC ? MS_NOEXEC : 0;
	keep |= vs.f_flag & ST_NOATIME ? MS_NOATIME : 0;
	keep |= vs.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0;
	keep |= vs.f_flag & ST_RELATIME ? MS_RELATIME : 0;
	/* recursive: a covered credential file below (the secretless jail's
	 * placeholder copies in ~/.ssh) must stay covered */
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		return;
	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
		umount2(dir, MNT_DETACH);
}

/* What a policy file looked like when it was loaded. */
struct file_sig {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
};

static void file_sig_take(const char *path, struct file_sig *fs)
{
	struct stat st;

	memset(fs, 0, sizeof(*fs));
	if (stat(path, &st) < 0)
		return;
	fs->present = true;
	fs->dev = st.st_dev;
	fs->ino = st.st_ino;
	fs->size = st.st_size;
	fs->mtim = st.st_mtim;
}

static bool file_sig_same(const struct file_sig *a, const struct file_sig *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec;
}

/*
 * After the run: a policy input (brk_policy_inputs) the command created or
 * changed would shape the next run (a registry line is allowed as the
 * user's own). Those that existed were read-only in the jail; say so for
 * the rest.
 */
static void inputs_check(char (*path)[PATH_MAX], const struct file_sig *before, size_t n)
{
	struct file_sig now;
	size_t i;

	for (i = 0; i < n; i++) {
		file_sig_take(path[i], &now);
		if (!file_sig_same(&now, &before[i]))
			dlp_log(DLP_LOG_WARN, "the command %s %s, which the next dlpjail run "
				"reads (its registry and allow lines would apply): check it",
				before[i].present ? (now.present ? "changed" : "removed") :
				"created", path[i]);
	}
}

/* Global: files that run outside the jail (persist.h), main thread and the
 * forked child only; static: ~256 KiB. */
static struct brk_persist launch_persist;

/* brk_ctx.persist_hit: launch_persist is written before the fork only */
static bool launch_persist_hit(const char *path)
{
	return brk_persist_covers(&launch_persist, path);
}

/* Globals: the session's broker, main thread only; static so that clients of
 * orphaned grandchildren can still use it while the launcher exits. */
static struct brk_ctx launch_ctx;
/* Globals: the exit status for the teardown deadline; main thread writes it
 * before arming the alarm, the SIGALRM handler reads it. */
static volatile sig_atomic_t launch_ret = 125;
/* The teardown deadline's event, formatted before the alarm is armed (the
 * handler may only write(2) it); cleared before the log is closed, whose
 * fd number could then be another file's. */
static struct brk_event_late launch_late = { .fd = -1 };
static volatile sig_atomic_t launch_late_armed;

/* The signals the launcher takes from sigtimedwait() (blocked in every thread). */
static const int launch_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD };

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fds below it are looked at by the teardown deadline (set before the alarm) */
static volatile sig_atomic_t launch_maxfd = 1024;

/*
 * At the teardown deadline a TCP socket still open here is a jail
 * connection the relay could not finish (a serving stuck past the drain,
 * brk_relay_stop waiting for it): reset it, or _exit() would close it with
 * a FIN and show its server a truncated stream as a complete one. Fail
 * closed. Only AS-safe calls (getsockopt, setsockopt, write).
 */
static unsigned teardown_reset_tcp(void)
{
	static const char msg[] = "dlpjail: teardown deadline: connections still open are reset\n";
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd, v, n = 0;
	socklen_t l;

	for (fd = 3; fd < launch_maxfd; fd++) {
		l = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) < 0 || v != SOCK_STREAM)
			continue;
		l = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 ||
		    (v != AF_INET && v != AF_INET6))
			continue;
		l = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) < 0 || v)
			continue;       /* a listener: nobody's stream */
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0)
			n++;
	}
	if (n)
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	return (unsigned)n;
}

/* Teardown took too long (a stuck broker or supervisor thread): exit anyway,
 * with an event saying how many TCP sockets were reset. AS-SAFE. */
static void teardown_deadline(int sig)
{
	unsigned n;

	(void)sig;
	n = teardown_reset_tcp();
	if (launch_late_armed)
		brk_event_late_write(&launch_late, n);
	_exit(launch_ret);
}

#define TEARDOWN_DEADLINE_S 5

/* Format the deadline's event while formatting is still allowed. */
static void teardown_event_prepare(struct brk_ctx *ctx)
{
	struct brk_event ev = {
		.op = "teardown", .pid = getpid(), .exe = "dlpjail", .port = -1,
		.verdict = BRK_DENY, .enforced = true, .rule = "teardown-deadline",
		.reason = "teardown not done 5 s after the command exited (a relay "
			  "connection or a broker thread did not finish): the TCP "
			  "sockets still open were reset (\"reset\": how many; a "
			  "relayed connection has two), then dlpjail exited",
	};

	if (brk_eventlog_late(ctx->log, &ev, "reset", TEARDOWN_DEADLINE_S, &launch_late) == 0)
		launch_late_armed = 1;
}

/*
 * Wait for the command, forwarding the signals we receive. The first
 * SIGINT/SIGTERM is forwarded; if the command is still alive grace_sec
 * later (it ignores the signal, or sits in a call to a stuck broker with
 * its signals blocked), or on a second SIGINT/SIGTERM, it gets SIGKILL.
 * Returns the exit status: the command's, or 128+N for the signal N that
 * stopped the run when we had to kill it.
 */
static int wait_command(pid_t pid, const sigset_t *set, int grace_sec)
{
	struct timespec to;
	siginfo_t si;
	long deadline = 0;
	int status = 0, stop_sig = 0, sig;
	bool killed = false;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return 125;     /* not our child any more: cannot happen */
		if (stop_sig && !killed && grace_sec > 0 && mono_ms() >= deadline) {
			dlp_log(DLP_LOG_WARN, "the command is still running %d s after %s: killing it",
				grace_sec, strsignal(stop_sig));
			kill(pid, SIGKILL);
			killed = true;
		}
		to.tv_sec = 0;
		to.tv_nsec = 200 * 1000 * 1000;
		sig = sigtimedwait(set, &si, stop_sig && !killed ? &to : NULL);
		if (sig <= 0 || sig == SIGCHLD)
			continue;
		if ((sig == SIGINT || sig == SIGTERM) && stop_sig) {
			if (!killed)
				dlp_log(DLP_LOG_WARN, "second %s: killing the command", strsignal(sig));
			kill(pid, SIGKILL);
			killed = true;
			continue;
		}
		if (sig == SIGINT || sig == SIGTERM) {
			stop_sig = sig;
			deadline = mono_ms() + (long)grace_sec * 1000;
		}
		/* ^C, ^\, hangup: the terminal sent it to the command's process
		 * group (ours) as well; a second copy could read as "force quit" */
		if (si.si_code == SI_KERNEL && getpgid(pid) == getpgrp())
			continue;
		kill(pid, sig);
	}
	if (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return 128 + stop_sig;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;
}

/*
 * No seccomp user notification, no run (issue 10 item 10): without the
 * supervisor nothing stops bytes written past the shim. --weak (or
 * --no-seccomp, an explicit choice) runs the shim-only mode with a warning.
 * DLPJAIL_TEST_NO_NOTIFY makes the probe fail (tests; it can only make
 * dlpjail refuse or weaker-by-request, never weaker silently).
 * Returns 0 to go on (o->seccomp cleared when the host lacks it), or -1.
 */
static int weak_mode(struct brk_launch_opts *o)
{
	char why[256];
	int rc = 0;

	if (o->seccomp && getenv("DLPJAIL_TEST_NO_NOTIFY")) {
		snprintf(why, sizeof(why), "forced by DLPJAIL_TEST_NO_NOTIFY");
		rc = -EOPNOTSUPP;
	} else if (o->seccomp) {
		rc = brk_sc_available(why, sizeof(why));
	}
	if (rc < 0 && o->relay_required) {
		dlp_log(DLP_LOG_ERR, "cannot start the egress relay: it needs the seccomp backstop, "
			"and this host has no seccomp user notification (%s)", why);
		return -1;
	}
	if (rc < 0 && !o->weak) {
		dlp_log(DLP_LOG_ERR, "this host has no seccomp user notification (%s): without "
			"it, bytes written past the shim (static binaries, raw system calls, "
			"sendfile, own TLS stacks) leave unscanned. Refusing to run; --weak runs "
			"the shim-only mode anyway", why);
		return -1;
	}
	if (rc < 0 || !o->seccomp) {
		dlp_log(DLP_LOG_WARN, "weak mode (%s): only what the shim sees is inspected; "
			"static binaries, raw system calls, sendfile and own TLS stacks can "
			"carry content past it", rc < 0 ? why : "--no-seccomp");
		o->seccomp = false;
	}
	return 0;
}

/*
 * Nested dlpjail (issue 10 item 5): inside a session (its filter answers the
 * probe, common/sc_probe.h) the outer supervisor and relay go on judging
 * every connect and byte of this whole tree; nothing this launcher is told
 * (--monitor, --no-seccomp, --no-relay, another policy) can loosen them.
 * A second filter is refused there anyway (seccomp NEW_LISTENER), and so is
 * the mount namespace: run as a shim-only layer on top, which only tightens.
 */
static bool launch_nested(void)
{
	return prctl(DLP_SC_PROBE_OPT, 0, 0, 0, 0) < 0 && errno == DLP_SC_PROBE_ERRNO;
}

/* Globals: the secretless jail's table (swap.h); main thread writes it
 * before the broker serves, read-only afterwards (ctx->swaps); static:
 * relay threads may outlive a stuck teardown. */
static struct brk_swaps launch_swaps_tab;

#define LAUNCH_INPUTS 16

/*
 * 1: the launcher ends with _exit() once the session is over (the command
 * has exited, the summary is printed, the private files are removed). What
 * is left is freeing memory the kernel takes back anyway: the engine, the
 * policy, the swaps, OpenSSL's and Hyperscan's exit handlers, ~1.3 M
 * instructions after the command finished, on the user's wall time. The
 * event log is written with write(2) as it goes: nothing to flush there;
 * a background detector compile is waited for (it writes the cache).
 * Sanitizer builds (LeakSanitizer checks at exit) and DLPJAIL_FULL_TEARDOWN=1
 * still free everything, so leaks stay visible.
 */
static int launch_quick_exit(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#else
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
	return 0;
#endif
#endif
	return !getenv("DLPJAIL_FULL_TEARDOWN");
#endif
}

int brk_launch(struct brk_launch_opts *o, char **argv)
{
	struct brk_ctx *ctxp = &launch_ctx;
	struct sigaction sa = { .sa_handler = teardown_deadline };
	sigset_t sigs, oldmask;
	char dir[PATH_MAX - 64], sock[PATH_MAX], shim[PATH_MAX], err[256];
	struct brk_scan_canary can[BRK_SCAN_CANARY_SHAPES];
	const char *canval[BRK_SCAN_CANARY_SHAPES];
	/* static: still reachable (not a leak) when a stuck client thread keeps
	 * the broker from being torn down */
	static struct child_env ce;
	static char inputs[LAUNCH_INPUTS][PATH_MAX];   /* policy inputs (profile.h) */
	struct file_sig insig[LAUNCH_INPUTS];
	size_t ninputs;
	struct brk_sc_filter *scf = NULL;
	struct brk_sc *sc = NULL;
	struct brk_mountns *mns = NULL;
	struct brk_dnsproxy *px = NULL;
	static struct brk_tls_ca *ca;       /* static: relay threads may outlive a stuck teardown */
	/* static: an early return leaves its thread running until exit */
	static struct ca_job caj;
	struct brk_tls_trust *trust = NULL;
	char home[PATH_MAX], why[256], nsaddr[64], rtext[160], cachedir[PATH_MAX];
	char cfgdir[PATH_MAX];
	int sv[2] = { -1, -1 };
	pid_t pid;
	int rc, ret, waited, ncan = 0;
	size_t i;

	/*
	 * Before any thread exists, so that every thread inherits the mask:
	 * these signals are taken by sigtimedwait() in wait_command(), never
	 * by a broker thread; the command gets the original mask back.
	 */
	sigemptyset(&sigs);
	for (i = 0; i < DLP_ARRAY_SIZE(launch_sigs); i++)
		sigaddset(&sigs, launch_sigs[i]);
	pthread_sigmask(SIG_BLOCK, &sigs, &oldmask);
	if (launch_nested()) {
		dlp_log(DLP_LOG_INFO, "inside another dlpjail session: its seccomp supervisor "
			"and relay keep enforcing on this command; this session adds its policy "
			"on top (it can only tighten)");
		o->seccomp = o->mountns = o->relay = o->relay_required = false;
	} else if (weak_mode(o) < 0) {
		brk_policy_free(o->policy);
		return 125;
	}
	if (o->seccomp)
		brk_sc_cgroup_early();  /* its mount overlaps what follows */
	if (o->shim_path)
		snprintf(shim, sizeof(shim), "%s", o->shim_path);
	else if (brk_find_shim(shim, sizeof(shim)) < 0) {
		dlp_log(DLP_LOG_ERR, "cannot find " DLP_SHIM_NAME " (set DLPJAIL_SHIM)");
		brk_policy_free(o->policy);
		return 125;
	}
	if (o->canaries) {
		uint8_t nkey[32];

		/* names stable per user (reproducible runs), values per session */
		brk_scan_canary_user_key(nkey);
		ncan = brk_scan_canary_generate(can, BRK_SCAN_CANARY_SHAPES, NULL, nkey);
		explicit_bzero(nkey, sizeof(nkey));
		if (ncan < 0) {
			dlp_log(DLP_LOG_ERR, "cannot generate canary tokens: %s", strerror(-ncan));
			brk_policy_free(o->policy);
			return 125;
		}
		for (i = 0; i < (size_t)ncan; i++)
			canval[i] = can[i].value;
	}
	rc = brk_ctx_init(ctxp, o->policy, o->log_path, canval, (size_t)ncan, err, sizeof(err));
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "%s", err);
		return 125;
	}
	if (o->relay && o->seccomp && o->tls_ca)
		ca_job_start(&caj, brk_eventlog_session(ctxp->log), o->tls_ca_rsa);
	/* the credentials the command can read: found in any transform, and
	 * (the secretless jail) replaced inside it by placeholders */
	if ((rc = brk_swap_jail_build(&launch_swaps_tab, o->profile, o->real_secrets, ctxp)) < 0) {
		dlp_log(DLP_LOG_ERR, "known secrets: %s", strerror(-rc));
		return 125;
	}
	if (make_private_dir(dir, sizeof(dir)) < 0) {
		dlp_log(DLP_LOG_ERR, "cannot create a private socket directory: %s",
			strerror(errno));
		return 125;
	}
	snprintf(sock, sizeof(sock), "%s/broker.sock", dir);
	rc = brk_listen(ctxp, sock);
	if (rc == 0 && stat(sock, &launch_scd.broker_sock) < 0)
		memset(&launch_scd.broker_sock, 0, sizeof(launch_scd.broker_sock));
	if (rc == 0)
		rc = brk_serve_start(ctxp);
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "cannot start the broker on %s: %s", sock, strerror(-rc));
		rmdir(dir);
		return 125;
	}
	if (o->decoy_home && make_decoy_home(dir, can, (size_t)ncan, home, sizeof(home)) < 0) {
		dlp_log(DLP_LOG_ERR, "cannot create the decoy HOME in %s", dir);
		return 125;
	}
	brk_swap_jail_scrub_environ(&launch_swaps_tab);
	if (child_env(&ce, shim, sock, can, (size_t)ncan, o->decoy_home ? home : NULL) < 0) {
		dlp_log(DLP_LOG_ERR, "out of memory");
		return 125;
	}
	if (o->mountns) {
		/*
		 * A private /etc: ld.so.preload keeps the shim in programs that
		 * scrub their environment, resolv.conf sends every resolver,
		 * static ones included, to our DNS proxy.
		 */
		struct brk_addr pa;

		rtext[0] = '\0';
		if (brk_dnsproxy_start(&px_ops, ctxp, &px, nsaddr, sizeof(nsaddr), why,
				       sizeof(why)) == 0) {
			snprintf(rtext, sizeof(rtext), "nameserver %s\noptions timeout:2 attempts:2\n",
				 nsaddr);
			if (brk_addr_parse(nsaddr, &pa) == 0)
				brk_dnsgate_set_proxy(ctxp->dnsgate, &pa);
		} else {
			dlp_log(DLP_LOG_INFO, "no DNS proxy (%s): static resolvers use the "
				"system name servers, judged by the seccomp supervisor", why);
		}
		rc = brk_mountns_prepare(dir, shim, rtext[0] ? rtext : NULL, &mns, why, sizeof(why));
		if (rc < 0) {
			dlp_log(DLP_LOG_WARN, "no private mount namespace (%s): programs that "
				"scrub their environment run without the shim", why);
			brk_dnsproxy_stop(px);
			px = NULL;
		} else {
			brk_mountns_set_broker_sock(mns, sock);
		}
	}
	/* the secretless jail: credential files covered, our other processes'
	 * /proc entries (their environ, their root) out of reach */
	if ((rc = brk_swap_jail_cover(mns, &launch_swaps_tab)) < 0) {
		dlp_log(DLP_LOG_ERR, "cannot prepare the placeholder copies of the credential "
			"files: %s", strerror(-rc));
		return 125;
	}
	/* a user's jail (user namespace) cannot read its user's other processes
	 * (the kernel wants CAP_SYS_PTRACE in their namespace); a root jail,
	 * without CAP_SYS_PTRACE (child_drop_reach()), still reads those whose
	 * capabilities are a subset of its own (a hardened daemon's environ,
	 * its root: the host's files, its /proc/sys; its mem: code that sends
	 * for the jail): hidden. Where Landlock is on, its domain keeps the
	 * jail out of their root and mem (a walk of /proc costs ~2 ms per 100
	 * processes), so without it, or for the secretless jail (environ) */
	if (mns && geteuid() == 0 &&
	    (brk_swap_jail_replaced(&launch_swaps_tab) || !brk_sc_landlock_available()) &&
	    (rc = brk_mountns_hide_procs(mns, brk_jail_caps())) < 0)
		dlp_log(DLP_LOG_WARN, "hiding our other processes from the jail: %s: their "
			"/proc entries (environ, root) stay readable", strerror(-rc));
	/* the CA path of the relay: a CA only the jail trusts (in the private
	 * /etc when there is one: the bundle variables then name that file) */
	if (o->relay && o->seccomp && o->tls_ca) {
		rc = ca_job_join(&caj, &ca);   /* started above, same condition */
		if (rc == 0)
			rc = brk_tls_trust_prepare(ca, dir, ce.env, mns ? BRK_TLS_TRUST_ETC : NULL,
						   &trust);
		if (rc == 0)
			rc = child_env_tls(&ce, trust);
		if (rc == 0 && mns)
			rc = mountns_tls(mns, trust);
		if (rc < 0) {
			dlp_log(DLP_LOG_ERR, "cannot create the session CA: %s", strerror(-rc));
			return 125;
		}
	}
	if (o->seccomp && brk_sc_available(why, sizeof(why)) < 0) {
		dlp_log(DLP_LOG_WARN, "seccomp backstop unavailable (%s): static binaries and "
			"raw system calls are not covered", why);
	} else if (o->seccomp) {
		/* both before fork: the child may only load what is ready */
		rc = brk_sc_filter_prepare(&scf);
		if (rc == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			rc = -errno;
		if (rc < 0) {
			dlp_log(DLP_LOG_ERR, "cannot prepare the seccomp backstop: %s", strerror(-rc));
			return 125;
		}
		/* no mount namespace to show the kernel's knobs read-only */
		if (!mns && geteuid() == 0 && brk_sc_filter_guard_knobs(scf) < 0)
			dlp_log(DLP_LOG_WARN, "root without a private mount namespace and "
				"without Landlock: the command can write /proc/sys (a core_pattern "
				"program runs outside the jail)");
		if (!(brk_sc_filter_backstops(scf) & BRK_SC_BACKSTOP_CGROUP))
			dlp_log(DLP_LOG_INFO, "seccomp: no cgroup backstop (needs root); "
				"Landlock%s", brk_sc_filter_backstops(scf) & BRK_SC_BACKSTOP_LANDLOCK
				? " active" : " unavailable");
	}
	if (o->relay && !scf && !o->relay_required) {
		dlp_log(DLP_LOG_INFO, "no egress relay without the seccomp backstop: bytes "
			"written past the shim (sendfile, static binaries) go unscanned");
	} else if (o->relay) {
		/* one road out: fail closed when it cannot be built */
		rc = scf ? brk_relay_start(ctxp, 2, &launch_relay) : -ENOSYS;
		if (rc < 0) {
			dlp_log(DLP_LOG_ERR, "cannot start the egress relay: %s", scf ?
				strerror(-rc) : "it needs the seccomp backstop");
			return 125;
		}
		if (ca && brk_relay_set_ca(launch_relay, ca, o->upstream_ca, err, sizeof(err)) < 0) {
			dlp_log(DLP_LOG_ERR, "cannot start the relay's CA path: %s", err);
			return 125;
		}
		atomic_store(&ctxp->relay, true);   /* HELLO_ACK tells the shims */
	}
	if (!mns || brk_scan_cache_prepare(cachedir, sizeof(cachedir)) < 0)
		cachedir[0] = '\0';
	/* the command must not rewrite the policy of the next session either */
	if (!mns || brk_policy_config_dir(cfgdir, sizeof(cfgdir)) < 0)
		cfgdir[0] = '\0';
	ninputs = brk_policy_inputs(inputs, LAUNCH_INPUTS);
	for (i = 0; i < ninputs; i++)
		file_sig_take(inputs[i], &insig[i]);
	/* nor plant what runs outside it later (~/.bashrc, .git/hooks: persist.h) */
	brk_persist_take(&launch_persist, ctxp->policy);
	if (mns && launch_persist.n)
		ctxp->persist_hit = launch_persist_hit;   /* a refused write is evented */
	if (!mns && launch_persist.n)
		dlp_log(DLP_LOG_WARN, "no private mount namespace: files that run outside the "
			"jail (~/.bashrc, ~/.ssh, .git/hooks, ...) stay writable; changes are "
			"reported after the run");
	/* the CA key and the real credentials are in our memory: no core, no
	 * /proc/PID/mem, environ, root or fd for the jail */
	if ((ca || brk_swap_jail_replaced(&launch_swaps_tab)) && prctl(PR_SET_DUMPABLE, 0) < 0) {
		dlp_log(DLP_LOG_ERR, "cannot make the broker non-dumpable: %s", strerror(errno));
		return 125;
	}
	/* orphans of the tree come back to us: killed when the command ends */
	if ((rc = brk_tree_adopt()) < 0)
		dlp_log(DLP_LOG_WARN, "PR_SET_CHILD_SUBREAPER: %s: processes the command leaves "
			"behind are not killed", strerror(-rc));
	pid = brk_sc_fork(scf);   /* fork(), straight into the backstop's cgroup */
	if (pid < 0) {
		dlp_log(DLP_LOG_ERR, "fork: %s", strerror(errno));
		return 125;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		if ((ca || brk_swap_jail_replaced(&launch_swaps_tab)) && child_drop_ptrace() < 0) {
			dlp_log_as("dlpjail: cannot drop CAP_SYS_PTRACE");
			_exit(125);
		}
		/* before the filter: it forbids unshare and mount */
		if (mns && brk_mountns_child_enter(mns) < 0) {
			dlp_log_as("dlpjail: cannot enter the private mount namespace");
			_exit(125);
		}
		if (mns) {
			protect_path(cachedir);
			protect_path(cfgdir);
			for (i = 0; i < ninputs; i++)
				if (insig[i].present)
					protect_path(inputs[i]);
			brk_persist_pin(&launch_persist);
			for (i = 0; i < launch_persist.n; i++)
				if (launch_persist.e[i].present)
					protect_path(launch_persist.e[i].path);
		}
		/* after the mount namespace (it needs CAP_SYS_ADMIN), before the
		 * filter; also what reaches another process of the same uid
		 * through /proc (common/jail_caps.h) */
		if (brk_jail_caps_drop() < 0) {
			dlp_log_as("dlpjail: cannot drop the capabilities that reach the kernel");
			_exit(125);
		}
		if (scf) {
			close(sv[0]);
			if (brk_sc_child_install(scf, sv[1]) < 0) {
				dlp_log_as("dlpjail: cannot install the seccomp filter");
				_exit(125);
			}
			close(sv[1]);
		}
		execvpe(argv[0], argv, ce.env);
		dlp_log_as("dlpjail: cannot run %s: %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (scf) {
		close(sv[1]);
		launch_scd.ctx = ctxp;
		launch_scd.relay = launch_relay;
		rc = brk_sc_supervisor_start(pid, sv[0], brk_scd_ops(&launch_scd), &launch_scd,
					     &sc);
		close(sv[0]);
		if (rc < 0) {
			dlp_log(DLP_LOG_ERR, "cannot start the seccomp supervisor: %s", strerror(-rc));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			brk_sc_filter_free(scf);
			return 125;
		}
	}
	pthread_rwlock_wrlock(&launch_sc_lock);
	launch_sc = sc;
	pthread_rwlock_unlock(&launch_sc_lock);
	ctxp->own_listener = own_listener;
	ret = wait_command(pid, &sigs, o->grace_sec);
	/* the command is gone: the rest must not keep the user waiting */
	launch_ret = ret;
	{
		long m = sysconf(_SC_OPEN_MAX);

		launch_maxfd = m > 0 && m < 65536 ? (sig_atomic_t)m : 65536;
	}
	teardown_event_prepare(ctxp);
	sigaction(SIGALRM, &sa, NULL);
	alarm(TEARDOWN_DEADLINE_S);
	/* the session ends with the command: nothing jailed outlives the relay */
	brk_tree_kill_leftovers();
	/* nothing jailed is left to write a policy input: say it now, before a
	 * teardown the 5 s deadline may cut short (a last scan that builds the
	 * engine on a loaded machine) */
	inputs_check(inputs, insig, ninputs);
	pthread_rwlock_wrlock(&launch_sc_lock);
	launch_sc = NULL;
	pthread_rwlock_unlock(&launch_sc_lock);
	if (sc)
		brk_sc_supervisor_stop(sc);
	/* bytes a client wrote just before it exited still go out, scanned */
	brk_relay_drain(launch_relay, BRK_RELAY_DRAIN_MS);
	brk_relay_stop(launch_relay);
	launch_relay = NULL;
	brk_tls_ca_free(ca);
	ca = NULL;
	brk_tls_trust_free(trust);
	if (scf)
		brk_sc_filter_free(scf);
	brk_mountns_free(mns);
	brk_dnsproxy_stop(px);
	/* let the command's last clients hang up, then tear down; clients of
	 * orphaned grandchildren keep the broker (static) alive until we exit */
	brk_serve_stop(ctxp);
	for (waited = 0; atomic_load(&ctxp->nclients) > 0 && waited < 1000; waited++)
		usleep(1000);   /* 1 ms steps: the last client usually hangs up at once */
	/* a request still in a handler (a last note whose scan builds the
	 * engine: seconds under ASan) finishes before the process exits under
	 * it; handlers are bounded by the scan deadline and the watchdog */
	for (waited = 0; atomic_load(&ctxp->nbusy) > 0 && waited < 30000; waited++)
		usleep(1000);
	if (!o->quiet)
		brk_eventlog_summary(ctxp->log, 2, 10);
	brk_persist_check(&launch_persist, ctxp->log);
	if (o->decoy_home) {
		char npmrc[PATH_MAX + 16];
		snprintf(npmrc, sizeof(npmrc), "%s/.npmrc", home);
		unlink(npmrc);
		rmdir(home);
	}
	rmdir(dir);
	if (atomic_load(&ctxp->nclients) == 0 && launch_quick_exit()) {
		/* a detector compile in flight (cache miss) finishes and writes the
		 * cache first, as brk_ctx_fini() would have waited for it */
		brk_scan_engine_wait(ctxp->scan);
		explicit_bzero(can, sizeof(can));
		fflush(NULL);
		_exit(ret);
	}
	if (atomic_load(&ctxp->nclients) == 0) {
		ctxp->swaps = NULL;
		launch_late_armed = 0;   /* the log is closed next */
		brk_ctx_fini(ctxp);
		brk_swaps_free(&launch_swaps_tab);
		child_env_free(&ce);
	} else {
		/* clients of orphaned grandchildren are left: no static
		 * destructors under their threads (nor under a background
		 * compile), so no exit() */
		brk_scan_engine_wait(ctxp->scan);
		explicit_bzero(can, sizeof(can));
		fflush(NULL);
		_exit(ret);
	}
	explicit_bzero(can, sizeof(can));
	return ret;
}

static long mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

/* ---- the ad hoc broker: policy reload, stop ---- */

#define ADHOC_WATCH_MAX 64

/* Policies and engines replaced by a reload: never freed, a client thread may hold one. */
struct retired {
	struct retired *next;
	struct brk_policy *policy;
	struct brk_scan_engine *scan;
};

static void reload_event(struct brk_ctx *ctx, int verdict, const char *reason)
{
	struct brk_event ev = { .op = "policy", .pid = getpid(), .exe = "dlpjail broker",
				.port = -1, .verdict = verdict, .enforced = true,
				.rule = "policy-reload", .reason = reason };

	brk_eventlog_write(ctx->log, &ev);
}

/*
 * One of the watched files changed: build the policy again from the same
 * sources. A policy that does not load is reported and the running one
 * stays: the broker never runs on a half-read or missing policy.
 */
static void adhoc_reload(struct brk_ctx *ctx, const struct brk_policy_reload *rl,
			 const char *changed, struct retired **retired)
{
	struct brk_policy *np = NULL;
	struct retired *r = calloc(1, sizeof(*r));
	char err[512], msg[PATH_MAX + 600];
	int rc = -ENOMEM;

	snprintf(err, sizeof(err), "out of memory");
	if (r)
		rc = rl->build(rl->arg, &np, err, sizeof(err));
	if (rc == 0)
		rc = brk_ctx_set_policy(ctx, np, &r->policy, &r->scan, err, sizeof(err));
	if (rc < 0) {
		free(r);
		snprintf(msg, sizeof(msg), "policy reload failed (%s changed): %s; the previous "
			 "policy stays in force", changed, err);
		dlp_log(DLP_LOG_ERR, "%s", msg);
		reload_event(ctx, BRK_DENY, msg);
		return;
	}
	snprintf(msg, sizeof(msg), "policy reloaded: %s changed", changed);
	dlp_log(DLP_LOG_INFO, "%s", msg);
	reload_event(ctx, BRK_ALLOW, msg);
	r->next = *retired;
	*retired = r;
}

/* The per-user directory and socket path (sock NULL) or those of sock. */
static int adhoc_paths(const char *sock, char *dir, size_t dcap, char *path, size_t pcap)
{
	if (sock) {
		snprintf(path, pcap, "%s", sock);
		snprintf(dir, dcap, "%s", sock);
		if (strrchr(dir, '/'))
			*strrchr(dir, '/') = '\0';
		else
			snprintf(dir, dcap, ".");
		return 0;
	}
	if (dlp_user_dir(dir, dcap) < 0 || dlp_user_sock(path, pcap) < 0) {
		dlp_log(DLP_LOG_ERR, "per-user socket path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

int brk_adhoc_broker(struct brk_policy *policy, const char *sock, const char *log_path,
		     bool daemonize, int idle_sec, const struct brk_policy_reload *reload)
{
	static struct brk_ctx ctx;   /* static: reachable from client threads at exit */
	static struct retired *retired;
	char dir[PATH_MAX], path[PATH_MAX], lockp[PATH_MAX + 16], logp[PATH_MAX + 16], err[256];
	struct file_sig sig[ADHOC_WATCH_MAX], now;
	struct timespec one = { 1, 0 };
	sigset_t stopset;
	struct stat st;
	size_t i, nwatch = 0;
	int lockfd, rc, s;

	if (adhoc_paths(sock, dir, sizeof(dir), path, sizeof(path)) < 0)
		return 2;
	if (!sock && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		dlp_log(DLP_LOG_ERR, "cannot create %s: %s", dir, strerror(errno));
		return 2;
	}
	/* the directory must be ours and private: others must not plant a broker */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (!sock && (st.st_mode & 077))) {
		dlp_log(DLP_LOG_ERR, "%s is not a private directory owned by uid %ld",
			dir, (long)getuid());
		return 2;
	}
	snprintf(lockp, sizeof(lockp), "%s/broker.lock", dir);
	lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		/* another broker holds the lock: it serves this socket */
		dlp_log(DLP_LOG_INFO, "a broker is already running for %s", path);
		return 0;
	}
	if (!log_path) {
		snprintf(logp, sizeof(logp), "%s/events.jsonl", dir);
		log_path = logp;
	}
	/* the files the policy came from, as they are now: a change means reload */
	for (i = 0; reload && i < reload->nfiles && nwatch < ADHOC_WATCH_MAX; i++)
		file_sig_take(reload->files[i], &sig[nwatch++]);
	rc = brk_ctx_init(&ctx, policy, log_path, NULL, 0, err, sizeof(err));
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "%s", err);
		return 2;
	}
	if ((rc = brk_secrets_load(ctx.scan)) < 0) {
		dlp_log(DLP_LOG_ERR, "known secrets: %s", strerror(-rc));
		return 2;
	}
	rc = brk_listen(&ctx, path);
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "cannot listen on %s: %s", path, strerror(-rc));
		return 2;
	}
	if (daemonize) {
		pid_t p;
		int nul;

		/* a background compile is a thread: it would not survive the fork */
		brk_scan_engine_wait(ctx.scan);
		p = fork();

		if (p < 0)
			return 2;
		if (p > 0)
			_exit(0);
		setsid();
		nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			if (dlp_log_get_level() < DLP_LOG_DEBUG)
				dup2(nul, 2);
			close(nul);
		}
	}
	/* who holds the lock, for `dlpjail broker --stop` */
	if (ftruncate(lockfd, 0) == 0)
		dprintf(lockfd, "%ld\n", (long)getpid());
	/* before the serving threads: they inherit the mask, we take the signals */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);
	/* shims that load without the launcher hand us their seccomp backstop */
	brk_adhoc_sc_enable(&ctx, path);
	rc = brk_serve_start(&ctx);
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "cannot start serving: %s", strerror(-rc));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		s = sigtimedwait(&stopset, NULL, &one);
		if (s == SIGTERM || s == SIGINT) {
			dlp_log(DLP_LOG_INFO, "%s: stopping the broker on %s", strsignal(s), path);
			reload_event(&ctx, BRK_ALLOW, "broker stopped on request");
			break;
		}
		for (i = 0; i < nwatch; i++) {
			file_sig_take(reload->files[i], &now);
			if (s == SIGHUP || !file_sig_same(&now, &sig[i]))
				break;
		}
		if (i < nwatch) {
			const char *changed = s == SIGHUP ? "SIGHUP" : reload->files[i];

			/* take the new state first: a broken file is reported once */
			for (i = 0; i < nwatch; i++)
				file_sig_take(reload->files[i], &sig[i]);
			adhoc_reload(&ctx, reload, changed, &retired);
		}
		/* a supervised tree keeps the broker (static children have no client) */
		if (brk_adhoc_sc_reap() == 0 && idle_sec > 0 && atomic_load(&ctx.nclients) == 0 &&
		    mono() - atomic_load(&ctx.last_activity) >= idle_sec)
			break;
	}
	atomic_store(&ctx.stopping, true);
	unlink(path);
	return 0;
}

/* Does pid hold the file (dev, ino) open? (it is the broker, not a recycled pid) */
static bool pid_has_open(pid_t pid, const struct stat *want)
{
	char dpath[64], fpath[64 + 256];
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	snprintf(dpath, sizeof(dpath), "/proc/%ld/fd", (long)pid);
	d = opendir(dpath);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		snprintf(fpath, sizeof(fpath), "%s/%s", dpath, de->d_name);
		found = de->d_name[0] != '.' && stat(fpath, &st) == 0 &&
			st.st_dev == want->st_dev && st.st_ino == want->st_ino;
	}
	closedir(d);
	return found;
}

int brk_adhoc_stop(const char *sock)
{
	char dir[PATH_MAX], path[PATH_MAX], lockp[PATH_MAX + 16], buf[32];
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct stat st;
	ssize_t n;
	long pid;
	int fd, i;

	if (adhoc_paths(sock, dir, sizeof(dir), path, sizeof(path)) < 0)
		return 1;
	snprintf(lockp, sizeof(lockp), "%s/broker.lock", dir);
	fd = open(lockp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) == 0) {
		fprintf(stderr, "dlpjail: no broker is running for %s\n", path);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || fstat(fd, &st) < 0 || !pid_has_open((pid_t)pid, &st)) {
		fprintf(stderr, "dlpjail: a broker holds %s but its pid is unknown; not "
			"stopping it\n", lockp);
		close(fd);
		return 1;
	}
	if (kill((pid_t)pid, SIGTERM) < 0) {
		fprintf(stderr, "dlpjail: cannot stop the broker (pid %ld): %s\n", pid,
			strerror(errno));
		close(fd);
		return 1;
	}
	for (i = 0; i < 100; i++) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			fprintf(stderr, "dlpjail: stopped the broker (pid %ld) for %s\n", pid, path);
			close(fd);
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "dlpjail: the broker (pid %ld) did not stop within 5 s\n", pid);
	close(fd);
	return 1;
}
