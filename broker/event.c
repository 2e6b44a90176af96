/* SPDX-License-Identifier: MIT */
/* event.c - JSON-lines event writer and blocked-event summary (see event.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/event.h"
#include "broker/policy.h"

#define EVENT_LINE_MAX 8192
#define SUMMARY_KEEP 32

struct brk_eventlog {
	int fd;                         /* -1: memory only */
	pthread_mutex_t lock;
	unsigned denied, logged;
	unsigned nkeep;
	char *keep[SUMMARY_KEEP];       /* one-line descriptions of the first denials */
};

/* Escape s as JSON string contents; invalid UTF-8 bytes become \u00XX. */
static int json_str(struct dlp_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = dlp_buf_append(b, "\"", 1);

	while (!rc && *p) {
		unsigned c = *p, need = 0, i;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			rc = dlp_buf_append(b, e, 2);
			p++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			rc = dlp_buf_append(b, p, 1);
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		for (i = 1; i <= need; i++)
			if ((p[i] & 0xc0) != 0x80)
				break;
		if (need && i > need) {
			rc = dlp_buf_append(b, p, need + 1);
			p += need + 1;
			continue;
		}
		rc = dlp_buf_printf(b, "\\u%04x", c);
		p++;
	}
	return rc ?: dlp_buf_append(b, "\"", 1);
}

static int kv_str(struct dlp_buf *b, const char *k, const char *v)
{
	if (!v)
		return 0;
	return dlp_buf_printf(b, ",\"%s\":", k) ?: json_str(b, v);
}

int brk_event_format(const struct brk_event *ev, struct dlp_buf *b)
{
	struct timespec ts;
	struct tm tm;
	char tbuf[40], ip[BRK_ADDR_STRLEN];
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	rc = dlp_buf_printf(b, "{\"time\":\"%s.%03ldZ\",\"pid\":%ld", tbuf,
			    ts.tv_nsec / 1000000, (long)ev->pid);
	rc = rc ?: kv_str(b, "exe", ev->exe);
	rc = rc ?: kv_str(b, "op", ev->op ? ev->op : "unknown");
	rc = rc ?: kv_str(b, "host", ev->host);
	if (!rc && ev->addr) {
		brk_addr_format(ev->addr, ip, sizeof(ip));
		rc = kv_str(b, "ip", ip);
	}
	if (!rc && ev->port >= 0)
		rc = dlp_buf_printf(b, ",\"port\":%d", ev->port);
	rc = rc ?: kv_str(b, "verdict", ev->verdict == BRK_ALLOW ? "allow" : "deny");
	rc = rc ?: kv_str(b, "action", ev->verdict == BRK_ALLOW ? "allowed"
			  : ev->enforced ? "blocked" : "logged");
	rc = rc ?: kv_str(b, "reason", ev->reason);
	rc = rc ?: kv_str(b, "rule", ev->rule);
	rc = rc ?: kv_str(b, "detector", ev->detector);
	rc = rc ?: kv_str(b, "match", ev->match);
	rc = rc ?: kv_str(b, "layers", ev->layers);
	return rc ?: dlp_buf_append(b, "}\n", 2);
}

int brk_eventlog_open(const char *path, struct brk_eventlog **out)
{
	struct brk_eventlog *log = calloc(1, sizeof(*log));

	if (!log)
		return -ENOMEM;
	log->fd = -1;
	pthread_mutex_init(&log->lock, NULL);
	if (path && *path) {
		if (!strcmp(path, "-"))
			log->fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
		else
			log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (log->fd < 0) {
			int e = errno;
			pthread_mutex_destroy(&log->lock);
			free(log);
			return -e;
		}
	}
	*out = log;
	return 0;
}

void brk_eventlog_close(struct brk_eventlog *log)
{
	unsigned i;

	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	for (i = 0; i < log->nkeep; i++)
		free(log->keep[i]);
	pthread_mutex_destroy(&log->lock);
	free(log);
}

static char *describe(const struct brk_event *ev)
{
	struct dlp_buf b;
	char ip[BRK_ADDR_STRLEN];
	char *s;

	dlp_buf_init(&b, 1024);
	dlp_buf_printf(&b, "%s %s", ev->enforced ? "blocked" : "would block",
		       ev->op ? ev->op : "?");
	if (ev->host)
		dlp_buf_printf(&b, " %s", ev->host);
	if (ev->addr) {
		brk_addr_format(ev->addr, ip, sizeof(ip));
		dlp_buf_printf(&b, ev->addr->v == 6 ? " [%s]" : " %s", ip);
	}
	if (ev->port >= 0)
		dlp_buf_printf(&b, ":%d", ev->port);
	if (ev->exe)
		dlp_buf_printf(&b, " by %s[%ld]", ev->exe, (long)ev->pid);
	if (ev->detector)
		dlp_buf_printf(&b, ": %s %s", ev->detector, ev->match ? ev->match : "");
	else if (ev->reason)
		dlp_buf_printf(&b, ": %s", ev->reason);
	dlp_buf_append(&b, "", 1);
	s = b.ptr ? strdup((char *)b.ptr) : NULL;
	dlp_buf_free(&b);
	return s;
}

int brk_eventlog_write(struct brk_eventlog *log, const struct brk_event *ev)
{
	struct dlp_buf b;
	int rc;

	/* nobody reads allowed events without a log file: skip the formatting */
	if (log->fd < 0 && ev->verdict == BRK_ALLOW)
		return 0;
	dlp_buf_init(&b, EVENT_LINE_MAX);
	rc = brk_event_format(ev, &b);
	if (rc < 0) {
		dlp_buf_free(&b);
		return rc;
	}
	pthread_mutex_lock(&log->lock);
	if (log->fd >= 0) {
		size_t off = 0;
		while (off < b.len) {
			ssize_t n = write(log->fd, b.ptr + off, b.len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = -EIO;
				break;
			}
			off += (size_t)n;
		}
	}
	if (ev->verdict != BRK_ALLOW) {
		if (ev->enforced)
			log->denied++;
		else
			log->logged++;
		if (log->nkeep < SUMMARY_KEEP)
			log->keep[log->nkeep++] = describe(ev);
	}
	pthread_mutex_unlock(&log->lock);
	dlp_buf_free(&b);
	return rc;
}

unsigned brk_eventlog_denied(struct brk_eventlog *log)
{
	unsigned n;

	pthread_mutex_lock(&log->lock);
	n = log->denied + log->logged;
	pthread_mutex_unlock(&log->lock);
	return n;
}

void brk_eventlog_summary(struct brk_eventlog *log, int fd, unsigned max)
{
	unsigned i;

	pthread_mutex_lock(&log->lock);
	if (log->denied + log->logged) {
		if (log->logged)
			dprintf(fd, "dlpjail: %u blocked, %u would have been blocked (monitor mode)\n",
				log->denied, log->logged);
		else
			dprintf(fd, "dlpjail: %u blocked\n", log->denied);
		for (i = 0; i < log->nkeep && i < max; i++)
			if (log->keep[i])
				dprintf(fd, "dlpjail:   %s\n", log->keep[i]);
		if (log->denied + log->logged > max && log->nkeep >= max)
			dprintf(fd, "dlpjail:   ... (see the event log)\n");
	}
	pthread_mutex_unlock(&log->lock);
}
