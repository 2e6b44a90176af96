/* SPDX-License-Identifier: MIT */
/* event.c - JSON-lines event writer and blocked-event summary (see event.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/redact.h"

#include "broker/event.h"
#include "broker/policy.h"
#include "broker/scan/scan.h"

#define EVENT_LINE_MAX 8192
#define SUMMARY_GROUPS 64

/* Blocks of one operation on one destination by one rule: one summary line. */
struct summary_group {
	char *key;                      /* op, destination, port, rule, detector */
	char *line;                     /* "blocked name lookup of HOST by EXE: why" */
	char *allow;                    /* --allow argument, or NULL */
	char *detector;                 /* content findings, or NULL */
	char *rule;
	char *id;                       /* the group's first event */
	bool redacted;                  /* destination shown redacted */
	unsigned count;
};

#define PROC_CACHE 16
#define ARGV_JSON_MAX 1536

/* ppid and command line of recent pids: /proc is read once per process. */
struct proc_info {
	pid_t pid;
	char exe[64];                   /* an exec changes the command line */
	pid_t ppid;
	char argv[ARGV_JSON_MAX];
};

struct brk_eventlog {
	int fd;                         /* -1: memory only */
	bool syslog;                    /* fd is a datagram socket to syslog */
	char *path;                     /* a log file's name, for the summary */
	const struct brk_scan_engine *scan;  /* finds credentials in argv words */
	bool monitor;
	char session[17];
	atomic_ulong seq;
	unsigned proc_next;
	struct proc_info proc[PROC_CACHE];
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
	{ "write", "write of" },
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

/* What the bytes were, as far as the broker knows. */
static const char *event_proto(const struct brk_event *ev)
{
	if (!ev->op || !strcmp(ev->op, "policy") || !strcmp(ev->op, "hello") ||
	    !strcmp(ev->op, "refuse") || !strcmp(ev->op, "write") || !strcmp(ev->op, "teardown"))
		return NULL;
	if (!strcmp(ev->op, "resolve") || ev->port == 53 || (ev->rule && !strncmp(ev->rule, "dns-", 4)))
		return "dns";
	if (ev->layers && (!strncmp(ev->layers, "tls", 3) || !strncmp(ev->layers, "relay:tls", 9)))
		return "tls";   /* hooked plaintext, or the relay's CA path */
	return "tcp";
}

/* ev as a JSON object at time ts, without its closing "}\n". */
static int event_format_at(const struct brk_event *ev, const struct timespec *tsp,
			   struct dlp_buf *b)
{
	struct timespec ts = *tsp;
	struct tm tm;
	char tbuf[40], ip[BRK_ADDR_STRLEN];
	int rc;

	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	rc = dlp_buf_printf(b, "{\"v\":1,\"time\":\"%s.%03ldZ\"", tbuf, ts.tv_nsec / 1000000);
	rc = rc ?: kv_str(b, "session", ev->session);
	rc = rc ?: kv_str(b, "id", ev->id);
	rc = rc ?: dlp_buf_printf(b, ",\"pid\":%ld", (long)ev->pid);
	if (!rc && ev->ppid > 0)
		rc = dlp_buf_printf(b, ",\"ppid\":%ld", (long)ev->ppid);
	rc = rc ?: kv_str(b, "exe", ev->exe);
	if (!rc && ev->argv_json)
		rc = dlp_buf_printf(b, ",\"argv\":%s", ev->argv_json);
	rc = rc ?: kv_str(b, "op", ev->op ? ev->op : "unknown");
	rc = rc ?: kv_str(b, "host", ev->host);
	if (!rc && ev->addr) {
		brk_addr_format(ev->addr, ip, sizeof(ip));
		rc = kv_str(b, "ip", ip);
	}
	if (!rc && ev->port >= 0)
		rc = dlp_buf_printf(b, ",\"port\":%d", ev->port);
	rc = rc ?: kv_str(b, "proto", event_proto(ev));
	rc = rc ?: kv_str(b, "verdict", ev->verdict == BRK_ALLOW ? "allow" : "deny");
	rc = rc ?: kv_str(b, "action", ev->verdict == BRK_ALLOW ? "allowed"
			  : ev->enforced ? "blocked" : "logged");
	rc = rc ?: kv_str(b, "mode", ev->mode ? ev->mode : ev->enforced ? "enforce" : "monitor");
	rc = rc ?: kv_str(b, "reason", ev->reason);
	rc = rc ?: kv_str(b, "rule", ev->rule);
	rc = rc ?: kv_str(b, "detector", ev->detector);
	rc = rc ?: kv_str(b, "match", ev->match);
	rc = rc ?: kv_str(b, "layers", ev->layers);
	return rc ?: kv_str(b, "source", ev->source);
}

int brk_event_format(const struct brk_event *ev, struct dlp_buf *b)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return event_format_at(ev, &ts, b) ?: dlp_buf_append(b, "}\n", 2);
}

static void session_id(char out[17])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[8];
	unsigned i;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		uint64_t v;

		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 44);
		memcpy(r, &v, sizeof(r));
	}
	for (i = 0; i < 8; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[16] = '\0';
}

/* A connected datagram socket to the syslog daemon (journald serves /dev/log too). */
static int syslog_open(void)
{
	const char *path = getenv("DLPJAIL_SYSLOG_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (!path || !*path)
		path = "/dev/log";
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

void brk_eventlog_set_scan(struct brk_eventlog *log, const struct brk_scan_engine *e)
{
	log->scan = e;
}

const char *brk_eventlog_session(const struct brk_eventlog *log)
{
	return log->session;
}

int brk_eventlog_open(const char *path, struct brk_eventlog **out)
{
	struct brk_eventlog *log = calloc(1, sizeof(*log));

	if (!log)
		return -ENOMEM;
	log->fd = -1;
	pthread_mutex_init(&log->lock, NULL);
	session_id(log->session);
	if (path && !strcmp(path, "syslog")) {
		log->syslog = true;
		log->fd = syslog_open();
		if (log->fd < 0) {
			int e = -log->fd;
			pthread_mutex_destroy(&log->lock);
			free(log);
			return -e;
		}
	} else if (path && *path) {
		if (!strcmp(path, "-"))
			log->fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
		else
			log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (log->fd >= 0 && strcmp(path, "-") && path[0] == '/')
			log->path = strdup(path);
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
		free(log->group[i].id);
	}
	free(log->path);
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
	dlp_buf_printf(&b, "%s\n%s\n%s\n%d\n%.*s\n%s\n%s\n%d", ev->op ? ev->op : "",
		       ev->host ? ev->host : "", ip, ev->port, (int)rule_base_len(ev->rule),
		       ev->rule ? ev->rule : "", ev->detector ? ev->detector : "",
		       ev->source ? ev->source : "", ev->enforced);
	dlp_buf_append(&b, "", 1);
	s = b.ptr ? strdup((char *)b.ptr) : NULL;
	dlp_buf_free(&b);
	return s;
}

static char *describe(const struct brk_event *ev)
{
	struct dlp_buf b;
	char ip[BRK_ADDR_STRLEN];
	const char *src = ev->source;
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
	/* "canary ghp_... (from canary)" would say nothing more */
	if (ev->source && !strcmp(ev->source, "canary"))
		src = NULL;
	if (ev->detector)
		dlp_buf_printf(&b, ": %s %s%s%s%s", ev->detector, ev->match ? ev->match : "",
			       src ? " (from " : "", src ? src : "", src ? ")" : "");
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
	g->id = ev->id ? strdup(ev->id) : NULL;
	g->count = 1;
	log->ngroups++;
}

/*
 * A command-line word that looks like a credential: 16+ bytes of token
 * characters with letters and digits (after a "--x=" or "Bearer ").
 * The broker's detectors are not consulted here; this errs towards
 * redacting hashes and paths-free ids as well.
 */
static bool secretish(const char *w, size_t n, const char *extra)
{
	bool alpha = false, digit = false;
	size_t i;

	if (n < 16)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			alpha = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else if (!strchr("_-+~", c) && !strchr(extra, c))
			return false;    /* a path, a URL, a sentence: looked into */
	}
	return alpha && digit;
}

static bool token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '+' || c == '~';
}

/* Does the scanning engine find a credential or canary in p[0..n)? */
static bool scan_finds(const struct brk_scan_engine *e, const char *p, size_t n)
{
	struct brk_scan_result r;

	if (!e || n < 8)
		return false;
	memset(&r, 0, sizeof(r));
	/* the whole decode graph: a canary in hex inside a URL is found too */
	return brk_scan_buffer(e, (const uint8_t *)p, n, NULL, &r) != 0 || r.nfindings > 0 ||
	       r.refused;
}

/*
 * Does a word name a secret ("--password", "DB_PASS", "Authorization",
 * "Bearer", "--api-key")? Then the value after it is redacted whatever its
 * shape: a short password with no digits looks like any other word.
 */
static bool names_secret(const char *w, size_t n)
{
	static const char *const names[] = { "pass", "pwd", "token", "secret", "auth",
					     "bearer", "basic", "credential", "cookie",
					     "private", "session" };
	char low[64];
	size_t i;

	while (n && *w == '-') {
		w++;
		n--;
	}
	if (n == 0 || n >= sizeof(low))
		return false;
	for (i = 0; i < n; i++)
		low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
	low[n] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(low, names[i]))
			return true;
	/* KEY, API_KEY, --access-key, apikey; not "keyring", "monkey.js" */
	return n >= 3 && !strcmp(low + n - 3, "key") && (n == 3 || !strchr("abcdefghijklmnopqrstuvwxyz", low[n - 4]) ||
							  !strncmp(low + n - 6, "apikey", 6));
}

/* "Bearer", "Basic", "token": the word between a header's name and its value. */
static bool auth_scheme(const char *w, size_t n)
{
	static const char *const schemes[] = { "bearer", "basic", "token", "digest", "negotiate" };
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (n == strlen(schemes[i]) && !strncasecmp(w, schemes[i], n))
			return true;
	return false;
}

/*
 * One argument, secret-looking parts redacted, as a JSON string. *carry:
 * in, the word before named a secret ("--password" "VALUE": this one is
 * its value); out, this one is such a name.
 */
static int argv_word(struct dlp_buf *b, const struct brk_scan_engine *e, const char *a, size_t n,
		     bool *carry)
{
	bool flagged = scan_finds(e, a, n), any = false, after = *carry;
	struct dlp_buf w;
	char red[DLP_REDACT_MAX];
	size_t i = 0;
	int rc;

	/* an option that names a secret, alone: the next word is its value */
	*carry = n > 1 && a[0] == '-' && !memchr(a, '=', n) && names_secret(a, n);
	if (after && !*carry && n) {
		dlp_redact((const uint8_t *)a, n, red, sizeof(red));
		return json_str(b, red);
	}

	dlp_buf_init(&w, ARGV_JSON_MAX);
	while (i < n) {
		/* split at blanks, '=', ':' and '@' (NAME=VALUE, "Authorization:
		 * Bearer X", user:TOKEN@host); a piece that is no secret as a
		 * whole is looked into word by word (a label in a URL, a string
		 * in a python -c script) */
		size_t j = i, k, m;
		while (j < n && !strchr(" \t=:@", a[j]))
			j++;
		if (j == i) {
			/* "a: b", "k==v": nothing between two separators */
		} else if (after && !auth_scheme(a + i, j - i)) {
			/* the value of "PASSWORD=", "Authorization: Bearer " */
			after = false;
			any = true;
			dlp_redact((const uint8_t *)a + i, j - i, red, sizeof(red));
			dlp_buf_append(&w, red, strlen(red));
		} else if (secretish(a + i, j - i, ".") || (flagged && scan_finds(e, a + i, j - i))) {
			any = true;
			dlp_redact((const uint8_t *)a + i, j - i, red, sizeof(red));
			dlp_buf_append(&w, red, strlen(red));
		} else {
			/* "PASSWORD" in "PASSWORD=x": its value is the next piece */
			after = j < n && names_secret(a + i, j - i);
			for (k = i; k < j; k = m + 1) {
				for (m = k; m < j && token_char(a[m]); m++)
					;
				if (secretish(a + k, m - k, "")) {
					any = true;
					dlp_redact((const uint8_t *)a + k, m - k, red, sizeof(red));
					dlp_buf_append(&w, red, strlen(red));
				} else {
					dlp_buf_append(&w, a + k, m - k);
				}
				if (m < j)
					dlp_buf_append(&w, a + m, 1);
			}
		}
		if (j < n)
			dlp_buf_append(&w, a + j, 1);
		i = j + 1;
	}
	if (flagged && !any) {
		/* found, but in no single word: the whole argument goes */
		dlp_buf_free(&w);
		dlp_redact((const uint8_t *)a, n, red, sizeof(red));
		return json_str(b, red);
	}
	rc = dlp_buf_append(&w, "", 1) ?: json_str(b, (const char *)w.ptr);
	dlp_buf_free(&w);
	return rc;
}

/*
 * A source name with its credential-looking words redacted. A source is a
 * path and line or an environment variable's name, never a value, but a
 * file name is anyone's choice (a directory listing: ~/.ssh/NAME): each
 * run of token characters that looks like a credential, or that the engine
 * finds, is redacted; something still found in what is left redacts it all.
 */
void brk_event_source_clean(const struct brk_scan_engine *e, const char *src, char *out,
			    size_t cap)
{
	char red[DLP_REDACT_MAX];
	size_t n = strlen(src), i = 0, j, o = 0;

	out[0] = '\0';
	while (i < n && o + 1 < cap) {
		for (j = i; j < n && token_char(src[j]); j++)
			;
		if (j > i && (secretish(src + i, j - i, "") || scan_finds(e, src + i, j - i))) {
			dlp_redact((const uint8_t *)src + i, j - i, red, sizeof(red));
			o += (size_t)snprintf(out + o, cap - o, "%s%.*s", red, j < n, src + j);
		} else {
			o += (size_t)snprintf(out + o, cap - o, "%.*s", (int)(j - i + (j < n)), src + i);
		}
		i = j + 1;
	}
	if (o >= cap)
		out[cap - 1] = '\0';
	/* what is left still holds one (across a '.' or a blank): all of it goes */
	if (scan_finds(e, out, strlen(out)))
		dlp_redact((const uint8_t *)src, n, out, cap < sizeof(red) ? cap : sizeof(red));
}

void brk_eventlog_from(const struct brk_eventlog *log, const char *src, char *out, size_t cap)
{
	char c[256];

	out[0] = '\0';
	if (!src)
		return;
	brk_event_source_clean(log->scan, src, c, sizeof(c));
	snprintf(out, cap, " (from %s)", c);
}

/* ppid and argv of pid from /proc (cached); false when the process is gone. */
static bool proc_lookup(struct brk_eventlog *log, pid_t pid, const char *exe,
			struct proc_info *out)
{
	char path[64], buf[4096];
	struct dlp_buf b;
	unsigned i;
	ssize_t n;
	size_t off;
	int fd;
	long pp = 0;
	char *rp;
	bool carry = false;

	for (i = 0; i < PROC_CACHE; i++) {
		if (log->proc[i].pid == pid && !strncmp(log->proc[i].exe, exe ? exe : "",
							 sizeof(log->proc[i].exe) - 1)) {
			*out = log->proc[i];
			return true;
		}
	}
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	rp = strrchr(buf, ')');          /* comm may hold blanks and ')' */
	if (!rp || sscanf(rp + 1, " %*c %ld", &pp) != 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	dlp_buf_init(&b, ARGV_JSON_MAX - 64);
	dlp_buf_append(&b, "[", 1);
	for (off = 0, i = 0; n > 0 && off < (size_t)n && i < 32; i++) {
		size_t l = strnlen(buf + off, (size_t)n - off);
		if (i)
			dlp_buf_append(&b, ",", 1);
		if (argv_word(&b, log->scan, buf + off, l, &carry) < 0)
			break;
		off += l + 1;
	}
	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(out->exe, sizeof(out->exe), "%s", exe ? exe : "");
	out->ppid = (pid_t)pp;
	if (b.ptr && b.len + 2 < sizeof(out->argv)) {
		memcpy(out->argv, b.ptr, b.len);
		memcpy(out->argv + b.len, "]", 2);
	} else {
		snprintf(out->argv, sizeof(out->argv), "[\"(too long)\"]");
	}
	dlp_buf_free(&b);
	log->proc[log->proc_next] = *out;
	log->proc_next = (log->proc_next + 1) % PROC_CACHE;
	return true;
}

/* One datagram: "<PRI>Mmm dd hh:mm:ss dlpjail[PID]: JSON" (RFC 3164). */
static int syslog_send(const struct brk_eventlog *log, const struct brk_event *ev,
		       const struct dlp_buf *line)
{
	struct dlp_buf m;
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	int pri = 8 /* LOG_USER */ + (ev->verdict == BRK_ALLOW ? 6 /* info */ : 4 /* warning */);
	int rc = 0;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	dlp_buf_init(&m, EVENT_LINE_MAX + 64);
	rc = dlp_buf_printf(&m, "<%d>%s dlpjail[%ld]: ", pri, ts, (long)getpid()) ?:
	     dlp_buf_append(&m, line->ptr, line->len - 1);   /* no '\n' */
	if (rc == 0 && send(log->fd, m.ptr, m.len, MSG_NOSIGNAL) < 0)
		rc = -errno;
	dlp_buf_free(&m);
	return rc;
}

int brk_eventlog_write(struct brk_eventlog *log, const struct brk_event *evin)
{
	struct brk_event evc = *evin, *ev = &evc;
	struct proc_info pi;
	struct dlp_buf b;
	char id[40], src[256];
	int rc;

	/* nobody reads allowed events without a log file: skip the formatting */
	if (log->fd < 0 && ev->verdict == BRK_ALLOW)
		return 0;
	if (ev->source) {
		brk_event_source_clean(log->scan, ev->source, src, sizeof(src));
		ev->source = src;
	}
	snprintf(id, sizeof(id), "%s-%lu", log->session, atomic_fetch_add(&log->seq, 1) + 1);
	ev->session = log->session;
	ev->id = id;
	if (!ev->mode)
		ev->mode = log->monitor ? "monitor" : "enforce";
	pthread_mutex_lock(&log->lock);
	/* not for dlpjail's own notes: its command line may hold --canary */
	if (ev->pid > 0 && log->fd >= 0 && strcmp(ev->op ? ev->op : "", "policy") &&
	    proc_lookup(log, ev->pid, ev->exe, &pi)) {
		pthread_mutex_unlock(&log->lock);
		ev->ppid = pi.ppid;
		ev->argv_json = pi.argv;
	} else {
		pthread_mutex_unlock(&log->lock);
	}
	dlp_buf_init(&b, EVENT_LINE_MAX);
	rc = brk_event_format(ev, &b);
	if (rc < 0) {
		dlp_buf_free(&b);
		return rc;
	}
	pthread_mutex_lock(&log->lock);
	if (log->fd >= 0 && log->syslog) {
		rc = syslog_send(log, ev, &b);
	} else if (log->fd >= 0) {
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

int brk_eventlog_late(struct brk_eventlog *log, const struct brk_event *evin, const char *name,
		      unsigned delay_s, struct brk_event_late *out)
{
	struct brk_event ev = *evin;
	struct timespec ts;
	struct dlp_buf b;
	char id[40];
	int rc;

	out->fd = -1;
	out->len = 0;
	if (log->fd < 0)
		return 0;
	/* the id is taken now: events written after it have later numbers */
	snprintf(id, sizeof(id), "%s-%lu", log->session, atomic_fetch_add(&log->seq, 1) + 1);
	ev.session = log->session;
	ev.id = id;
	if (!ev.mode)
		ev.mode = log->monitor ? "monitor" : "enforce";
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += delay_s;
	dlp_buf_init(&b, sizeof(out->line));
	rc = 0;
	if (log->syslog) {
		char t[32];
		struct tm tm;

		localtime_r(&ts.tv_sec, &tm);
		strftime(t, sizeof(t), "%b %e %H:%M:%S", &tm);
		rc = dlp_buf_printf(&b, "<%d>%s dlpjail[%ld]: ", 8 + (ev.verdict == BRK_ALLOW ? 6 : 4),
				    t, (long)getpid());
	}
	out->time_off = b.len + strlen("{\"v\":1,\"time\":\"");
	rc = rc ?: event_format_at(&ev, &ts, &b);
	rc = rc ?: dlp_buf_printf(&b, ",\"%s\":", name);
	/* room for the count and the end: 10 digits, "}\n" */
	if (rc == 0 && b.len + 16 > sizeof(out->line))
		rc = -ENOSPC;
	if (rc == 0) {
		memcpy(out->line, b.ptr, b.len);
		out->len = b.len;
		out->dgram = log->syslog;
		out->fd = log->fd;
	}
	dlp_buf_free(&b);
	return rc;
}

/* n as w decimal digits at p. AS-safe. */
static void put_dec(char *p, unsigned long n, int w)
{
	while (w-- > 0) {
		p[w] = (char)('0' + n % 10);
		n /= 10;
	}
}

/* ts as RFC 3339 UTC with ms ("YYYY-MM-DDTHH:MM:SS.mmmZ", 24 bytes) at p,
 * without gmtime_r (not async-signal-safe): days to a civil date by
 * Howard Hinnant's days_from_civil inverse. */
static void put_time(char *p, const struct timespec *ts)
{
	long long s = ts->tv_sec, z = s / 86400 + 719468, era, doe, yoe, doy, mp, y;
	long sod = (long)(s % 86400);
	unsigned d, m;

	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	put_dec(p, (unsigned long)y, 4);
	p[4] = '-';
	put_dec(p + 5, m, 2);
	p[7] = '-';
	put_dec(p + 8, d, 2);
	p[10] = 'T';
	put_dec(p + 11, (unsigned long)(sod / 3600), 2);
	p[13] = ':';
	put_dec(p + 14, (unsigned long)(sod / 60 % 60), 2);
	p[16] = ':';
	put_dec(p + 17, (unsigned long)(sod % 60), 2);
	p[19] = '.';
	put_dec(p + 20, (unsigned long)(ts->tv_nsec / 1000000), 3);
	p[23] = 'Z';
}

void brk_event_late_write(const struct brk_event_late *l, unsigned count)
{
	struct timespec ts;
	static char line[BRK_EVENT_LATE_MAX];
	char digits[12];
	size_t n = 0, len = l->len, off = 0;
	ssize_t w;

	if (l->fd < 0)
		return;
	memcpy(line, l->line, len);
	if (l->time_off + 24 <= len && clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    ts.tv_sec >= 0 && ts.tv_sec < 253402300800LL)   /* years 1970-9999: 24 bytes */
		put_time(line + l->time_off, &ts);
	do
		digits[n++] = (char)('0' + count % 10);
	while ((count /= 10) != 0);
	while (n)
		line[len++] = digits[--n];
	line[len++] = '}';
	if (!l->dgram)
		line[len++] = '\n';
	/* one write of the whole line (O_APPEND): between other events' lines */
	while (off < len) {
		w = write(l->fd, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
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
	else if (g->rule && !strncmp(g->rule, "allow ", 6) &&
		 (strstr(g->rule, " methods ") || strstr(g->rule, " method ")))
		dprintf(fd, "dlpjail:       a method rule limits the requests to this host: %s; "
			"to send these, your own policy file adds e.g. \"allow HOST method PUT "
			"path /NAME\" (dlpjail.policy(5))\n", g->rule);
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
			if (g->id && log->path)
				dprintf(fd, "dlpjail:       the whole story: dlpjail explain %s --log %s\n",
					g->id, log->path);
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

	log->monitor = brk_policy_monitor(policy);
	for (i = 0; i < n; i++) {
		struct brk_event ev = {
			.op = "policy", .pid = getpid(), .exe = "dlpjail", .port = -1,
			.verdict = BRK_ALLOW, .enforced = true, .reason = v[i],
		};
		/* to the file only: a note is no block for the summary */
		brk_eventlog_write(log, &ev);
	}
}
