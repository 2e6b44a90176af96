/* SPDX-License-Identifier: MIT */
/*
 * split.h - secrets split across messages: per-session, per-destination-host
 * rolling streams of the application bytes of small outbound messages.
 *
 * Internal to broker/scan/: scan.c owns one per engine and calls it from
 * brk_scan_split_feed() (scan.h). From each small outbound message (an
 * HTTP/1 request or a bare payload) it takes the field values - query
 * values and the last path segment (percent-decoded), header values, the
 * body - and appends each to a rolling stream per (host, field name with
 * digits removed) and, when it changed since that field's last value, to
 * one stream per host. The caller matches those streams against the known
 * secrets and canaries only (not the detectors: their shapes would fire on
 * unrelated values glued together). Bounded: BRK_SPLIT_HOSTS hosts,
 * BRK_SPLIT_FIELDS fields each, BRK_SPLIT_ROLL bytes per stream; the
 * least recently used host or field is recycled. Thread-safe (one mutex).
 */
#ifndef DLP_BROKER_SCAN_SPLIT_H
#define DLP_BROKER_SCAN_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#define BRK_SPLIT_HOSTS 32
#define BRK_SPLIT_FIELDS 16
#define BRK_SPLIT_ROLL 2048       /* bytes kept per stream */
#define BRK_SPLIT_MSG_MAX 16384   /* bytes of a message parsed */
#define BRK_SPLIT_VALUE_MAX 512   /* longer values are not appended */

struct brk_split;

/* Called for each stream that grew: buf[0,len), the new bytes start at
 * from. Returns 0, or n > 0 when buf holds (part of) secret n - 1: the
 * message is refused, and so is every later message to that host in this
 * session (once a host is caught collecting a secret in pieces, a retry
 * or the bytes after the refused one would complete it). */
typedef int brk_split_match_fn(void *ctx, const uint8_t *buf, size_t len, size_t from);

int brk_split_new(struct brk_split **out);
void brk_split_free(struct brk_split *);
/* One outbound message p[0,len) to host (NULL or "": destinations known
 * only by address share one entry); only its first BRK_SPLIT_MSG_MAX bytes
 * are parsed. Returns 0, n > 0 (secret n - 1: refuse it), or negative
 * errno. */
int brk_split_feed(struct brk_split *, const char *host, const uint8_t *p, size_t len,
		   brk_split_match_fn *cb, void *ctx);
/* The same for one value p[0,len) of a stream of its own named field (not
 * parsed: a WebSocket payload the HTTP glue unmasked, an HTTP/2 header);
 * field "cookie" is a Cookie value, split into its pairs. */
int brk_split_feed_value(struct brk_split *, const char *host, const char *field,
			 const uint8_t *p, size_t len, brk_split_match_fn *cb, void *ctx);

#endif /* DLP_BROKER_SCAN_SPLIT_H */
