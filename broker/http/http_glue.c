/* SPDX-License-Identifier: MIT */
/*
 * http_glue.c - per-connection HTTP parsing feeding the scanning engine,
 * for broker.c (see http_glue.h). Only broker.c calls it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/http/http.h"
#include "broker/http/http_glue.h"
#include "broker/scan/scan.h"
#include "common/wire.h"

struct glue_ctx {
	struct brk_http_glue *g;
	const struct brk_scan_engine *eng;
	const char *host;
	int sdir;                       /* BRK_SCAN_EGRESS / BRK_SCAN_INGRESS */
	struct brk_scan_result *res;    /* the caller's: findings appended */
};

/* Append the findings of r (from one part) to the caller's result. */
static void merge(struct glue_ctx *x, const struct brk_scan_result *r, int version,
		  const char *part)
{
	struct brk_scan_result *res = x->res;
	unsigned i, j;

	if (r->blocked)
		res->blocked = 1;
	if (r->refused) {
		res->refused = 1;
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "%s", r->error);
	}
	if (r->partial && !res->partial) {
		res->partial = 1;
		res->scanned = x->g->fed;
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "%s", r->error);
	}
	for (i = 0; i < r->nfindings; i++) {
		const struct brk_finding *f = &r->findings[i];
		bool dup = false;

		for (j = 0; j < res->nfindings && !dup; j++)
			dup = !strcmp(res->findings[j].detector, f->detector) &&
			      !strcmp(res->findings[j].redacted, f->redacted);
		if (dup)
			continue;
		if (res->nfindings >= BRK_SCAN_MAX_FINDINGS) {
			res->ndropped++;
			continue;
		}
		res->findings[res->nfindings] = *f;
		snprintf(res->findings[res->nfindings].layers,
			 sizeof(res->findings[0].layers), "http/%d:%s%s%.40s", version, part,
			 f->layers[0] ? ">" : "", f->layers);
		res->nfindings++;
	}
}

/*
 * An HPACK-decoded header, scanned as the line HTTP/1.1 would carry
 * ("name: value"): detectors anchored on the name (basic-auth needs
 * "authorization:" before "Basic ...") see it as they would in clear.
 */
static int scan_header(struct glue_ctx *x, const struct brk_http_part *p,
		       struct brk_scan_result *r)
{
	uint8_t stack[2048], *buf = stack;
	size_t n = p->name_len + 2 + p->value_len;
	int rc;

	if (n > sizeof(stack) && !(buf = malloc(n)))
		return -ENOMEM;
	memcpy(buf, p->name, p->name_len);
	memcpy(buf + p->name_len, ": ", 2);
	memcpy(buf + p->name_len + 2, p->value, p->value_len);
	rc = brk_scan_buffer(x->eng, buf, n, x->host, r);
	explicit_bzero(buf, n);
	if (buf != stack)
		free(buf);
	return rc;
}

static int on_part(void *arg, const struct brk_http_part *p)
{
	struct glue_ctx *x = arg;
	struct brk_scan_result r;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	switch (p->kind) {
	case BRK_HTTP_HEADER:
		if (!p->transformed)
			return 0;       /* the raw stream saw exactly these bytes */
		if (p->name_len && p->value_len) {
			rc = scan_header(x, p, &r);
			break;
		}
		/* fall through */
	case BRK_HTTP_START_LINE:
	case BRK_HTTP_QUERY:
		if (!p->transformed)
			return 0;       /* the raw stream saw exactly these bytes */
		if (p->name_len)
			rc = brk_scan_buffer_dir(x->eng, x->sdir, p->name, p->name_len, x->host, &r);
		if (rc == 0 && !r.nfindings && p->value_len)
			rc = brk_scan_buffer_dir(x->eng, x->sdir, p->value, p->value_len, x->host,
						 &r);
		break;
	case BRK_HTTP_BODY:
		if (!p->transformed || p->encoding)
			return 0;       /* as on the wire (or still coded): raw scan covers it */
		if (!x->g->body && brk_scan_stream_open_dir(x->eng, x->sdir, &x->g->body) < 0)
			return 0;
		/* inbound: the declared encodings are undone; decode text only */
		brk_scan_stream_set_light(x->g->body, 1);
		rc = brk_scan_stream_feed(x->g->body, p->value, p->value_len, x->host, &r);
		break;
	case BRK_HTTP_MSG_END:
		if (x->g->body) {
			rc = brk_scan_stream_feed(x->g->body, NULL, 0, x->host, &r);
			brk_scan_stream_close(x->g->body);
			x->g->body = NULL;
		}
		break;
	case BRK_HTTP_ANOMALY:
		/* a body we could not decode cannot be judged: egress fails
		 * closed; ingress goes on matched raw (the encoded bytes) */
		if (!strncmp((const char *)p->value, "decoded body", 12) ||
		    !strncmp((const char *)p->value, "body does not", 13)) {
			if (x->sdir == BRK_SCAN_INGRESS) {
				r.partial = 1;
			} else {
				r.blocked = 1;
				r.refused = 1;
			}
			snprintf(r.error, sizeof(r.error), "%.*s", (int)p->value_len,
				 (const char *)p->value);
		}
		break;
	case BRK_HTTP_RAW:
		return 0;           /* the caller scanned the raw bytes already */
	}
	if (rc == -ETIMEDOUT && x->sdir == BRK_SCAN_INGRESS) {
		rc = 0;             /* partial already: raw findings decide */
	} else if (rc < 0 && !r.blocked) {
		r.blocked = 1;
		r.refused = 1;
		snprintf(r.error, sizeof(r.error), "scanner error in an HTTP %s",
			 brk_http_part_name(p->kind));
	}
	merge(x, &r, p->version, brk_http_part_name(p->kind));
	return 0;               /* keep going: monitor mode lets the bytes through */
}

/* New parser state, same connection: what h_data counts is kept. */
static void glue_restart(struct brk_http_glue *g, int broken)
{
	unsigned long long fed = g->fed;
	int said = g->partial_said;

	brk_http_glue_free(g);
	g->broken = broken;
	g->fed = fed;
	g->partial_said = said;
}

int brk_http_glue_scan(struct brk_http_glue *g, const struct brk_scan_engine *eng,
		       uint32_t chan, uint32_t dir, const uint8_t *p, size_t len,
		       const char *dest_host, struct brk_scan_result *res)
{
	struct glue_ctx x = { .g = g, .eng = eng, .host = dest_host, .res = res,
			      .sdir = dir == DLP_DIR_RECV ? BRK_SCAN_INGRESS : BRK_SCAN_EGRESS };
	int rc;

	if (g->broken)
		return 0;
	if (g->hs && g->chan != chan)
		glue_restart(g, 0);
	if (!g->hs) {
		rc = brk_http_stream_new(dir == DLP_DIR_RECV ? BRK_HTTP_RESPONSE : BRK_HTTP_REQUEST,
					 on_part, NULL, &g->hs);
		if (rc < 0) {
			g->broken = 1;
			return rc;
		}
		g->chan = chan;
	}
	brk_http_stream_set_arg(g->hs, &x);
	rc = brk_http_feed(g->hs, p, len);
	g->fed += len;
	if (g->hs)
		brk_http_stream_set_arg(g->hs, NULL);
	if (rc < 0)
		glue_restart(g, 1);
	return rc;
}

int brk_http_glue_decoding(const struct brk_http_glue *g)
{
	return g->hs && !g->broken && brk_http_decoding(g->hs);
}

void brk_http_glue_free(struct brk_http_glue *g)
{
	brk_http_stream_free(g->hs);
	brk_scan_stream_close(g->body);
	memset(g, 0, sizeof(*g));
}
