/* SPDX-License-Identifier: MIT */
/*
 * tls_upgrade.h - a TLS ClientHello after plaintext on a relayed stream
 * (see tls_upgrade.c).
 */
#ifndef DLP_BROKER_RELAY_TLS_UPGRADE_H
#define DLP_BROKER_RELAY_TLS_UPGRADE_H

#include <stddef.h>
#include <stdint.h>

#define RL_UPGRADE_TAIL 10   /* last bytes of the stream kept: a hello split over reads */

/*
 * In the egress bytes p[0..n), which follow tail[0..ntail) (the last bytes
 * already forwarded): 1 and *at when a ClientHello record starts at p[*at]
 * with at least 6 bytes of it in p; -1 when one started in tail (its first
 * bytes have left: the stream cannot be routed any more); 0: none.
 */
int rl_tls_upgrade_find(const uint8_t *tail, size_t ntail, const uint8_t *p, size_t n,
			size_t *at);
/* After p[0..n) went on: the tail for the next call. */
void rl_tls_upgrade_tail(uint8_t *tail, size_t *ntail, const uint8_t *p, size_t n);

#endif /* DLP_BROKER_RELAY_TLS_UPGRADE_H */
