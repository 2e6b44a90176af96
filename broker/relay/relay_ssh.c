/* SPDX-License-Identifier: MIT */
/*
 * relay_ssh.c - SSH sessions on the egress stream: refused unless the
 * policy names the host (`ssh HOST`).
 *
 * SSH is encrypted end to end with keys nobody but the two ends holds, so
 * the relay reads none of what follows the banner: `git push` over SSH,
 * `ssh -W` / ProxyJump through an allowed sshd, or scp to any allowed
 * host:22 would carry a secret out unread. A client's first line is its
 * banner, "SSH-2.0-..." (RFC 4253 4.2: the client sends nothing before
 * it, and servers drop a client that does), so the first four bytes of
 * the egress stream tell. Inside an HTTP CONNECT tunnel the destination
 * is the tunnel's, not the name the relay approved, so every banner there
 * is refused. The plaintext of a TLS session the relay reads (CA path,
 * key path) is gated the same way, at its start and at the start of a
 * CONNECT tunnel in it (relay_scan.c rl_tls_gates): SSH over TLS to an
 * allowed host:443 (stunnel, an sshd behind a TLS front) is as unread as
 * SSH in clear (before 2026-12-03, branch redteam-egress3, it passed).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/event.h"
#include "broker/policy.h"
#include "broker/relay/relay_int.h"
#include "broker/session.h"

#define RL_SSH_BANNER		"SSH-"
#define RL_SSH_BANNER_LEN	(sizeof(RL_SSH_BANNER) - 1)

int rl_ssh_gate(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		const uint8_t *p, size_t n)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-ssh" };
	size_t at = s->ssh_at, k = n < RL_SSH_BANNER_LEN - at ? n : RL_SSH_BANNER_LEN - at;
	const char *exe = w->exe[0] ? w->exe : "an unknown program";
	const char *origin = NULL;
	char why[1400], ip[64];
	int tunnel = s->ssh == 2;
	const char *in_tls = s->ca || s->tl ? " inside TLS" : "";

	if (memcmp(p, RL_SSH_BANNER + at, k)) {
		s->ssh = 1;
		return 0;
	}
	if (at + k < RL_SSH_BANNER_LEN) {
		/* "S", "SS", "SSH": passed on, not held (a client that writes
		 * one byte and waits for an answer must get one); no SSH server
		 * answers before the banner's line, and the byte that makes it
		 * "SSH-" is judged before it leaves */
		s->ssh_at = (uint8_t)(at + k);
		return 0;
	}
	s->ssh = 1;
	brk_addr_format(&w->a, ip, sizeof(ip));
	if (!tunnel)
		origin = brk_policy_ssh(ctx->policy, w->host);
	if (origin) {
		ev.verdict = BRK_ALLOW;
		snprintf(why, sizeof(why), "an SSH session from %s to %s port %d%s, passed unread "
			 "(ssh %s, %s)", exe, w->host, w->port, in_tls, w->host, origin);
		ev.reason = why;
		rl_event(ctx, s, w, &ev);
		return 0;
	}
	snprintf(why, sizeof(why), "an SSH session from %s to %s port %d%s%s: nobody can read "
		 "SSH, so it would carry anything out unseen (a policy line `ssh HOST` in your "
		 "own file lets it through)", exe, w->host[0] ? w->host : ip, w->port,
		 tunnel ? " inside an HTTP CONNECT tunnel" : "", in_tls);
	ev.reason = why;
	rl_event(ctx, s, w, &ev);
	return ctx->monitor ? 0 : -EACCES;
}
