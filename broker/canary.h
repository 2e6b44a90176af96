/* SPDX-License-Identifier: MIT */
/*
 * canary.h - exact matching of the session's canary tokens in a byte stream.
 *
 * The minimal content check every DATA frame gets: any appearance of a
 * canary token outbound is proof of exfiltration. Streams keep the last
 * (longest token - 1) bytes so a token split across writes is still found.
 * The set is immutable once built and shared by broker threads.
 */
#ifndef DLP_BROKER_CANARY_H
#define DLP_BROKER_CANARY_H

#include <stddef.h>
#include <stdint.h>

#define BRK_CANARY_MAX_LEN 256

struct brk_canary_set;

struct brk_canary_stream {
	size_t tail_len;
	uint8_t tail[BRK_CANARY_MAX_LEN];
};

int brk_canary_set_new(const char *const *tokens, size_t n, struct brk_canary_set **out);
void brk_canary_set_free(struct brk_canary_set *s);
size_t brk_canary_count(const struct brk_canary_set *s);
/*
 * Search p[0..len) continuing stream st (NULL: a standalone buffer).
 * Returns the index of the first token found, or -1. Updates st's tail.
 */
int brk_canary_feed(const struct brk_canary_set *s, struct brk_canary_stream *st,
		    const uint8_t *p, size_t len);
const char *brk_canary_token(const struct brk_canary_set *s, size_t i);

#endif /* DLP_BROKER_CANARY_H */
