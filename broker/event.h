/* SPDX-License-Identifier: MIT */
/*
 * event.h - one JSON line per decision, and the end-of-run summary.
 *
 * Schema v1, documented field by field in doc/events.schema.json: v (1),
 * time (RFC 3339 UTC, ms), session, id, pid, ppid, exe, argv, op (hello|
 * connect|resolve|send|recv|refuse|policy|write|teardown), host, ip, port,
 * proto (dns|tls|tcp), verdict (allow|deny), action (allowed|blocked|
 * logged: logged = monitor mode let a deny through), mode (enforce|
 * monitor), reason, rule (with its FILE:LINE), for content findings
 * detector, match (always the redacted form, see common/redact.h), layers
 * and, for known secrets, source (where the value was read: "~/.npmrc:3",
 * "canary"), and for the teardown deadline reset (TCP sockets reset).
 * Strings are escaped; control bytes and invalid UTF-8 become \u escapes,
 * so a hostile exe name or host cannot break the line. Callers never pass
 * secrets in clear: the writer has no field that could carry one
 * unredacted (a source's credential-looking words are redacted again).
 * Thread-safe: one lock around each append.
 */
#ifndef DLP_BROKER_EVENT_H
#define DLP_BROKER_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/addr.h"
#include "common/dlp_buf.h"

struct brk_event {
	const char *op;
	pid_t pid;
	const char *exe;
	const char *host;          /* may be NULL; redact exfil-looking names first */
	const struct brk_addr *addr; /* may be NULL */
	int port;                  /* -1: none */
	int verdict;               /* BRK_ALLOW / BRK_DENY */
	bool enforced;             /* false in monitor mode */
	const char *reason;
	const char *rule;
	const char *detector;      /* content findings only */
	const char *match;         /* redacted form only */
	const char *layers;
	/* A known secret's origin (brk_finding.source): a path and line or an
	 * environment name, never a value; brk_eventlog_write() still redacts
	 * a credential-looking word in it (a file named after a token). */
	const char *source;
	/* Summary only: the --allow argument that would let this through (a
	 * host the display rule showed in clear, or an address); NULL when
	 * allowing a destination cannot help (content, exfiltration-looking
	 * names, explicit or builtin denies). */
	const char *allow;
	/* Filled in by brk_eventlog_write() (schema v1, doc/events.schema.json):
	 * the session, this event's id ("SESSION-N"), and from /proc/PID the
	 * parent pid and the command line (secret-looking words redacted). */
	const char *session;
	const char *id;
	pid_t ppid;                /* 0: unknown */
	const char *argv_json;     /* a JSON array, or NULL */
	const char *mode;          /* "enforce" | "monitor", NULL: from enforced */
};

struct brk_eventlog;

/*
 * Open the log: path NULL or "" keeps events in memory for the summary
 * only; "-" is stderr; "syslog" sends each event as one datagram to
 * $DLPJAIL_SYSLOG_SOCKET or /dev/log (syslog/journald, RFC 3164 header,
 * facility user, warning for blocks, info otherwise); anything else is a
 * file, appended to (0600).
 */
int brk_eventlog_open(const char *path, struct brk_eventlog **out);
struct brk_scan_engine;
/* The engine that finds credentials in command lines (argv) before they are
 * logged; without one only the shape rule applies (event.c secretish()). */
void brk_eventlog_set_scan(struct brk_eventlog *log, const struct brk_scan_engine *e);
/* A known secret's source as events show it (credential-looking words
 * redacted, see brk_event.source), for a stderr line: " (from SOURCE)",
 * or "" when src is NULL. */
void brk_eventlog_from(const struct brk_eventlog *log, const char *src, char *out, size_t cap);
/* src with its credential-looking words redacted (the shape rule, and what
 * e finds when e is not NULL): what events and --show-secrets print. */
void brk_event_source_clean(const struct brk_scan_engine *e, const char *src, char *out,
			    size_t cap);
/* The session id of this log (16 hex digits). */
const char *brk_eventlog_session(const struct brk_eventlog *log);
void brk_eventlog_close(struct brk_eventlog *log);
/* Append one event (and remember denials for the summary). */
int brk_eventlog_write(struct brk_eventlog *log, const struct brk_event *ev);
/* Format one event as a JSON line (with '\n') into out. */
int brk_event_format(const struct brk_event *ev, struct dlp_buf *out);
/*
 * Print "dlpjail: N blocked ..." to fd, then up to max groups of blocks
 * (same operation, destination and rule: one line with a count), each
 * followed by the allow line that would let it through ("--allow HOST",
 * policy form "allow HOST") when the event carried one, or, for content
 * blocks, the detector and where the details are. Nothing when clean.
 */
void brk_eventlog_summary(struct brk_eventlog *log, int fd, unsigned max);
unsigned brk_eventlog_denied(struct brk_eventlog *log);

/*
 * An event a signal handler writes (the launcher's teardown deadline,
 * which then _exits): formatted by brk_eventlog_late(), with a count the
 * handler appends as the last field "name":N; its "time" is the time of
 * the write (delay_s from the arming only in a syslog header, whose local
 * time the handler cannot compute).
 * brk_event_late_write() is async-signal-safe (clock_gettime, write); it writes
 * nothing when the log has no file. The event joins no summary.
 */
#define BRK_EVENT_LATE_MAX 2048
struct brk_event_late {
	int fd;                    /* -1: nowhere */
	bool dgram;                /* syslog: one datagram, no line end */
	size_t len;
	size_t time_off;           /* the JSON time's 24 bytes, rewritten at the write */
	char line[BRK_EVENT_LATE_MAX];  /* up to before the count's value */
};
int brk_eventlog_late(struct brk_eventlog *log, const struct brk_event *ev, const char *name,
		      unsigned delay_s, struct brk_event_late *out);
void brk_event_late_write(const struct brk_event_late *l, unsigned count);

struct brk_policy;
/* One "policy" event per note of the policy (brk_policy_notes): registries
 * allowed from the tools' configuration, lines the merge rules ignored. */
void brk_eventlog_policy_notes(struct brk_eventlog *log, const struct brk_policy *policy);

#endif /* DLP_BROKER_EVENT_H */
