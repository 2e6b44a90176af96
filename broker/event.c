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
#define SUMMARY_GROUPS 64

/* Blocks of one operation on one destination by one rule: one summary line. */
struct summary_group {
	char *key;                      /* op, destination, port, rule, detector */
	char *line;                     /* "blocked name lookup of HOST by EXE: why" */
	char *allow;                    /* --allow argument, or NULL */
	char *detector;                 /* content findings, or NULL */
	char *rule;
	bool redacted;                  /* destination shown redacted */
	unsigned count;
};

struct brk_eventlog {
	int fd;                         /* -1: memory only */
	pthread_mutex_t lock;
	unsigned denied, logged;
	unsigned ngroups;
	unsigned overflow;              /* blocks that found no free group */
	struct summary_group group[SUMMARY_GROUPS];
};

/* What each operation was, in the summary's words. */
static const struct {
	const char *op;
	const char *verb;
} event_verbs[] = {
	{ "connect", "connect to" },
	{ "resolve", "name lookup of" },
	{ "send", "send to" },
	{ "recv", "response from" },
	{ "refuse", "refused" },
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
	for (i = 0; i < log->ngroups; i++) {
		free(log->group[i].key);
		free(log->group[i].line);
		free(log->group[i].allow);
		free(log->group[i].detector);
		free(log->group[i].rule);
	}
	pthread_mutex_destroy(&log->lock);
	free(log);
}

static const char *event_verb(const char *op)
{
	size_t i;

	for (i = 0; op && i < sizeof(event_verbs) / sizeof(event_verbs[0]); i++)
		if (!strcmp(event_verbs[i].op, op))
			return event_verbs[i].verb;
	return op ? op : "?";
}

/* The rule without its " via getaddrinfo" tail: one group for every path. */
static size_t rule_base_len(const char *rule)
{
	const char *via = rule ? strstr(rule, " via ") : NULL;

	return !rule ? 0 : via ? (size_t)(via - rule) : strlen(rule);
}

/* The grouping key: what was done to which destination, refused by which rule. */
static char *group_key(const struct brk_event *ev)
{
	struct dlp_buf b;
	char ip[BRK_ADDR_STRLEN] = "";
	char *s;

	if (ev->addr && !ev->host)
		brk_addr_format(ev->addr, ip, sizeof(ip));
	dlp_buf_init(&b, 2048);
	dlp_buf_printf(&b, "%s\n%s\n%s\n%d\n%.*s\n%s\n%d", ev->op ? ev->op : "",
		       ev->host ? ev->host : "", ip, ev->port, (int)rule_base_len(ev->rule),
		       ev->rule ? ev->rule : "", ev->detector ? ev->detector : "", ev->enforced);
	dlp_buf_append(&b, "", 1);
	s = b.ptr ? strdup((char *)b.ptr) : NULL;
	dlp_buf_free(&b);
	return s;
}

static char *describe(const struct brk_event *ev)
{
	struct dlp_buf b;
	char ip[BRK_ADDR_STRLEN];
	char *s;

	dlp_buf_init(&b, 1024);
	dlp_buf_printf(&b, "%s %s", ev->enforced ? "blocked" : "would block", event_verb(ev->op));
	if (ev->host)
		dlp_buf_printf(&b, " %s", ev->host);
	if (ev->addr) {
		brk_addr_format(ev->addr, ip, sizeof(ip));
		dlp_buf_printf(&b, "%s%s%s%s", ev->host ? " (" : " ",
			       ev->addr->v == 6 && ev->port >= 0 ? "[" : "", ip,
			       ev->addr->v == 6 && ev->port >= 0 ? "]" : "");
		if (ev->port >= 0)
			dlp_buf_printf(&b, ":%d", ev->port);
		if (ev->host)
			dlp_buf_append(&b, ")", 1);
	} else if (ev->port >= 0) {
		dlp_buf_printf(&b, " port %d", ev->port);
	}
	if (ev->exe)
		dlp_buf_printf(&b, " by %s", ev->exe);
	if (ev->detector)
		dlp_buf_printf(&b, ": %s %s", ev->detector, ev->match ? ev->match : "");
	else if (ev->reason)
		dlp_buf_printf(&b, ": %s", ev->reason);
	dlp_buf_append(&b, "", 1);
	s = b.ptr ? strdup((char *)b.ptr) : NULL;
	dlp_buf_free(&b);
	return s;
}

/* An allow argument is a host name, wildcard or address: nothing else is printed. */
static bool allow_printable(const char *a)
{
	return a && *a && strlen(a) < 256 &&
	       strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789.-:*/[]") == strlen(a);
}

/* Count one block in its group (caller holds the lock). */
static void group_add(struct brk_eventlog *log, const struct brk_event *ev)
{
	struct summary_group *g;
	char *key = group_key(ev);
	unsigned i;

	if (!key) {
		log->overflow++;
		return;
	}
	for (i = 0; i < log->ngroups; i++) {
		if (!strcmp(log->group[i].key, key)) {
			log->group[i].count++;
			free(key);
			return;
		}
	}
	if (log->ngroups >= SUMMARY_GROUPS) {
		log->overflow++;
		free(key);
		return;
	}
	g = &log->group[log->ngroups];
	memset(g, 0, sizeof(*g));
	g->key = key;
	g->line = describe(ev);
	g->allow = allow_printable(ev->allow) ? strdup(ev->allow) : NULL;
	g->detector = ev->detector ? strdup(ev->detector) : NULL;
	g->rule = ev->rule ? strndup(ev->rule, rule_base_len(ev->rule)) : NULL;
	/* a name the display rule redacted, or one the DNS checks refused */
	g->redacted = ev->host && (ev->host[0] == '<' || (ev->rule && !strncmp(ev->rule, "dns-", 4)));
	g->count = 1;
	log->ngroups++;
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
		group_add(log, ev);
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

/* What follows a group's line: how to allow it, or why no allow line helps. */
static void summary_advice(const struct brk_eventlog *log, const struct summary_group *g, int fd)
{
	const char *details = log->fd >= 0 ? "details in the event log"
					   : "run with --log FILE for the details";

	if (g->allow)
		dprintf(fd, "dlpjail:       to allow it: --allow %s (policy file: allow %s)\n",
			g->allow, g->allow);
	else if (g->detector)
		dprintf(fd, "dlpjail:       no allow line: allowing a host never allows a secret "
			"(detector %s; %s)\n", g->detector, details);
	else if (g->rule && !strncmp(g->rule, "scan-refused", 12))
		dprintf(fd, "dlpjail:       no allow line: the content could not be inspected, "
			"and allowing a host does not change that (%s)\n", details);
	else if (g->redacted)
		dprintf(fd, "dlpjail:       no allow line: the name looks like encoded data, "
			"so it is shown redacted (%s)\n", details);
}

void brk_eventlog_summary(struct brk_eventlog *log, int fd, unsigned max)
{
	unsigned i, rest = 0;

	pthread_mutex_lock(&log->lock);
	if (log->denied + log->logged) {
		if (log->logged)
			dprintf(fd, "dlpjail: %u blocked, %u would have been blocked (monitor mode)\n",
				log->denied, log->logged);
		else
			dprintf(fd, "dlpjail: %u blocked\n", log->denied);
		for (i = 0; i < log->ngroups; i++) {
			const struct summary_group *g = &log->group[i];

			if (i >= max) {
				rest += g->count;
				continue;
			}
			dprintf(fd, "dlpjail:   %ux %s\n", g->count, g->line ? g->line : "?");
			summary_advice(log, g, fd);
		}
		rest += log->overflow;
		if (rest)
			dprintf(fd, "dlpjail:   ... and %u more (%s)\n", rest, log->fd >= 0
				? "see the event log" : "run with --log FILE to see them");
	}
	pthread_mutex_unlock(&log->lock);
}

void brk_eventlog_policy_notes(struct brk_eventlog *log, const struct brk_policy *policy)
{
	const char *const *v;
	size_t i, n = brk_policy_notes(policy, &v);

	for (i = 0; i < n; i++) {
		struct brk_event ev = {
			.op = "policy", .pid = getpid(), .exe = "dlpjail", .port = -1,
			.verdict = BRK_ALLOW, .enforced = true, .reason = v[i],
		};
		/* to the file only: a note is no block for the summary */
		brk_eventlog_write(log, &ev);
	}
}
