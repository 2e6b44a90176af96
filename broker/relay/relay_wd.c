/* SPDX-License-Identifier: MIT */
/*
 * relay_wd.c - the relay's watchdog: a relay thread that has served one
 * pair (its scans: engine, HTTP glue, TLS) for the policy's `watchdog`
 * seconds without returning gets that pair refused. At that moment, from
 * this thread: the event (rule "watchdog") and the stderr line, both
 * sockets shut down (the jail sees the end even while the relay thread is
 * still stuck), and the engine's cooperative checks told to stop
 * (brk_scan_thread_abort), which frees the thread; what it held is never
 * forwarded (rl_wd_fired). A pathological input becomes a refused
 * connection, not a relay thread whose other pairs wait forever.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "broker/broker.h"
#include "broker/event.h"
#include "broker/policy.h"
#include "broker/relay/relay_int.h"
#include "broker/scan/scan.h"
#include "common/log.h"

#define WD_TICK_MS 250

struct rl_wd_slot {
	pthread_mutex_t lock;           /* fd, who, fired against the watchdog */
	atomic_long busy_ms;            /* 0: idle */
	atomic_int abort;               /* the engine's checks see it */
	atomic_bool fired;
	int fd[2];
	const struct rl_who *who;
};

struct rl_wd {
	struct brk_ctx *ctx;
	pthread_t th;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t wake;            /* CLOCK_MONOTONIC; signalled at stop */
	bool stop;
	unsigned n;
	struct rl_wd_slot slot[];
};

/* the slot of the pair this thread serves (NULL outside rl_serve) */
static _Thread_local struct rl_wd_slot *rl_wd_cur;

static long wd_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rl_wd_enter(struct rl_wd_slot *s, const int fd[2], const struct rl_who *who)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->fd[0] = fd[0];
	s->fd[1] = fd[1];
	s->who = who;
	atomic_store(&s->abort, 0);
	atomic_store(&s->fired, false);
	atomic_store(&s->busy_ms, wd_ms());
	pthread_mutex_unlock(&s->lock);
	rl_wd_cur = s;
	brk_scan_thread_abort(&s->abort);
}

void rl_wd_leave(struct rl_wd_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	atomic_store(&s->busy_ms, 0);
	s->fd[0] = s->fd[1] = -1;
	s->who = NULL;
	pthread_mutex_unlock(&s->lock);
	rl_wd_cur = NULL;
	brk_scan_thread_abort(NULL);
}

void rl_wd_fds_gone(struct rl_wd_slot *s, const int fd[2])
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->fd[0] == fd[0] && s->fd[1] == fd[1])
		s->fd[0] = s->fd[1] = -1;  /* closed: the numbers may be reused */
	pthread_mutex_unlock(&s->lock);
}

bool rl_wd_fired(void)
{
	return rl_wd_cur && atomic_load(&rl_wd_cur->fired);
}

bool rl_wd_aborted(void)
{
	return rl_wd_cur && atomic_load(&rl_wd_cur->abort);
}

/*
 * Refuse the pair slot s is stuck on (busy since `since`): event, line,
 * scan told to stop. Both sockets are shut down so the jail sees the end
 * at once; rst: reset instead (connect AF_UNSPEC disconnects a TCP socket
 * with an RST, and the fd stays the relay thread's to close), so the
 * server cannot take what it got for a complete stream.
 */
static void wd_fire(struct rl_wd *wd, struct rl_wd_slot *s, long since, const char *rule,
		    const char *reason, bool rst)
{
	struct brk_event ev = { .op = "send", .port = -1, .verdict = BRK_DENY, .enforced = true,
				.rule = rule };
	char exe[sizeof(s->who->exe)], host[sizeof(s->who->host)], ip[64];
	const struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct brk_addr a;
	int port = -1, i;
	pid_t pid = 0;

	pthread_mutex_lock(&s->lock);
	if (atomic_load(&s->busy_ms) != since || !s->who || atomic_load(&s->fired)) {
		pthread_mutex_unlock(&s->lock);
		return;         /* it went on meanwhile */
	}
	atomic_store(&s->fired, true);
	atomic_store(&s->abort, 1);
	for (i = 0; i < 2; i++) {
		if (s->fd[i] < 0)
			continue;
		if (!rst || connect(s->fd[i], &unspec, sizeof(unspec)) < 0)
			(void)shutdown(s->fd[i], SHUT_RDWR);
	}
	pid = s->who->pid;
	memcpy(exe, s->who->exe, sizeof(exe));
	memcpy(host, s->who->host, sizeof(host));
	a = s->who->a;
	port = s->who->port;
	pthread_mutex_unlock(&s->lock);
	exe[sizeof(exe) - 1] = host[sizeof(host) - 1] = '\0';
	ev.pid = pid;
	ev.exe = exe;
	ev.host = host[0] ? host : NULL;
	ev.addr = &a;
	ev.port = port;
	ev.reason = reason;
	brk_eventlog_write(wd->ctx->log, &ev);
	brk_addr_format(&a, ip, sizeof(ip));
	if (host[0])
		dlp_log(DLP_LOG_WARN, "blocked send to %s (%s%s%s:%d): %s", host, a.v == 6 ? "[" : "",
			ip, a.v == 6 ? "]" : "", port, reason);
	else
		dlp_log(DLP_LOG_WARN, "blocked send to %s%s%s:%d: %s", a.v == 6 ? "[" : "", ip,
			a.v == 6 ? "]" : "", port, reason);
}

void rl_wd_drain_late(struct rl_wd *wd, const char *reason)
{
	unsigned i;
	long since;

	if (!wd)
		return;
	pthread_mutex_lock(&wd->lock);
	for (i = 0; i < wd->n; i++) {
		since = atomic_load(&wd->slot[i].busy_ms);
		if (since)
			wd_fire(wd, &wd->slot[i], since, "relay-drain", reason, true);
	}
	pthread_mutex_unlock(&wd->lock);
}

static void *wd_main(void *arg)
{
	struct rl_wd *wd = arg;
	struct timespec until;
	unsigned i;

	pthread_mutex_lock(&wd->lock);
	while (!wd->stop) {
		unsigned limit = brk_policy_watchdog(wd->ctx->policy);
		long now, since;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WD_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wd->wake, &wd->lock, &until);
		if (limit == 0 || wd->stop)
			continue;
		now = wd_ms();
		for (i = 0; i < wd->n; i++) {
			since = atomic_load(&wd->slot[i].busy_ms);
			if (since && now - since >= (long)limit * 1000) {
				char reason[120];

				snprintf(reason, sizeof(reason),
					 "relay watchdog: a scan made no progress for %u s", limit);
				wd_fire(wd, &wd->slot[i], since, "watchdog", reason, false);
			}
		}
	}
	pthread_mutex_unlock(&wd->lock);
	return NULL;
}

int rl_wd_start(struct brk_ctx *ctx, unsigned n, struct rl_wd **out)
{
	struct rl_wd *wd = calloc(1, sizeof(*wd) + n * sizeof(wd->slot[0]));
	pthread_condattr_t ca;
	unsigned i;
	int rc;

	*out = NULL;
	if (!wd)
		return -ENOMEM;
	wd->ctx = ctx;
	wd->n = n;
	for (i = 0; i < n; i++) {
		pthread_mutex_init(&wd->slot[i].lock, NULL);
		wd->slot[i].fd[0] = wd->slot[i].fd[1] = -1;
	}
	pthread_mutex_init(&wd->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wd->wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = -pthread_create(&wd->th, NULL, wd_main, wd);
	if (rc < 0) {
		rl_wd_stop(wd);
		return rc;
	}
	wd->running = true;
	*out = wd;
	return 0;
}

struct rl_wd_slot *rl_wd_slot(struct rl_wd *wd, unsigned i)
{
	return wd && i < wd->n ? &wd->slot[i] : NULL;
}

void rl_wd_stop(struct rl_wd *wd)
{
	unsigned i;

	if (!wd)
		return;
	if (wd->running) {
		pthread_mutex_lock(&wd->lock);
		wd->stop = true;
		pthread_cond_signal(&wd->wake);
		pthread_mutex_unlock(&wd->lock);
		pthread_join(wd->th, NULL);
	}
	for (i = 0; i < wd->n; i++)
		pthread_mutex_destroy(&wd->slot[i].lock);
	pthread_mutex_destroy(&wd->lock);
	pthread_cond_destroy(&wd->wake);
	free(wd);
}
