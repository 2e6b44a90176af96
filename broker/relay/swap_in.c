/* SPDX-License-Identifier: MIT */
/*
 * swap_in.c - inbound half of the border swap (swap_rl.h): a real value
 * that comes back from upstream (an echoed header, an error page, a login
 * response) becomes its placeholder before the jail reads it, whatever the
 * host and whether the entry swaps: the jail never learns it this way.
 * Raw, percent-encoded (either hex case, mixed too) and JSON-escaped
 * forms; identity and chunked bodies (the chunk framing does not change:
 * same length). A compressed body that holds the real value cannot be
 * rewritten here: relay_swap.c resets the pair instead (real-inbound).
 */
#include "config.h"

#include <string.h>

#include "broker/relay/swap_rl.h"

int rl_swap_in(const struct brk_swaps *sw, uint8_t *p, size_t n)
{
	uint8_t a[3 * RL_SWAP_VMAX + 8], b[3 * RL_SWAP_VMAX + 8];
	size_t i, al, bl, off;
	uint8_t *q;
	int f, count = 0;

	for (i = 0; sw && i < sw->n && n; i++) {
		const struct brk_swap *e = &sw->v[i];

		if (!e->replaced || !e->real || !e->ph || e->ph_len != e->len || e->key ||
		    e->len < 8 || e->len > RL_SWAP_VMAX)
			continue;
		for (f = 0; f < RL_SWAP_FORMS; f++) {
			if (f == RL_SWAP_PCT_LOW)
				continue;       /* the upper form matches either hex case */
			al = rl_swap_form(f, e->real, e->len, a, sizeof(a));
			if (!al || al > n || !(q = rl_swap_find(f, a, al, p, n)))
				continue;
			bl = rl_swap_form(f, e->ph, e->len, b, sizeof(b));
			while (q && bl == al) {
				rl_swap_put(f, q, b, bl);
				count++;
				off = (size_t)(q - p) + al;
				q = off < n ? rl_swap_find(f, a, al, p + off, n - off) : NULL;
			}
		}
	}
	explicit_bzero(a, sizeof(a));
	return count;
}
