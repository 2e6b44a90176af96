/* SPDX-License-Identifier: MIT */
/*
 * scan_cli.c - `dlpjail scan`: the engine offline, for files and captured
 * payloads (brk_scan_main(), scan.h). broker/main.c calls it with argv
 * shifted so argv[0] == "scan". Exit status: 0 nothing would be blocked
 * (findings allowed at their home are still printed), 1 something would be
 * blocked, 2 error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/scan/det_table.h"
#include "broker/scan/scan.h"

#define MAX_INPUT ((size_t)1 << 30)
#define MAX_OPT 64

static void usage(FILE *f)
{
	fputs("usage: dlpjail scan [options] [FILE...]   (stdin when no FILE)\n"
	      "  --dest HOST      destination host for the home-domain (scope) check\n"
	      "  --json           one JSON object per input\n"
	      "  --canary VALUE   also match this exact canary (repeatable)\n"
	      "  --key FILE       a private key file known to the session, as\n"
	      "                   ~/.ssh/id_* is (repeatable)\n"
	      "  --known FILE     a known secret: FILE's bytes (repeatable)\n"
	      "  --home ID=DOMAIN add a home domain for detector ID (repeatable)\n"
	      "  --allow HOST     HOST was allowed by exact name (generic credentials\n"
	      "                   such as Basic passwords may go there; repeatable)\n"
	      "  --chunk N        feed the input as a stream in N-byte writes\n"
	      "  --fallback       use the plain matcher instead of Hyperscan\n"
	      "  --list           list the detectors and exit\n"
	      "exit status: 0 nothing would be blocked, 1 something would be blocked, 2 error\n", f);
}

static int read_all(FILE *f, uint8_t **out, size_t *outlen)
{
	size_t cap = 65536, len = 0;
	uint8_t *b = malloc(cap), *nb;

	if (!b)
		return -ENOMEM;
	for (;;) {
		size_t n;

		if (len == cap) {
			if (cap >= MAX_INPUT) {
				free(b);
				return -EMSGSIZE;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		n = fread(b + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				free(b);
				return -EIO;
			}
			break;
		}
	}
	*out = b;
	*outlen = len;
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void merge(struct brk_scan_result *acc, const struct brk_scan_result *r)
{
	unsigned i;

	for (i = 0; i < r->nfindings; i++) {
		if (acc->nfindings < BRK_SCAN_MAX_FINDINGS)
			acc->findings[acc->nfindings++] = r->findings[i];
		else
			acc->ndropped++;
	}
	acc->ndropped += r->ndropped;
	acc->blocked |= r->blocked;
	acc->refused |= r->refused;
	if (!acc->error[0])
		memcpy(acc->error, r->error, sizeof(acc->error));
	if (!acc->note[0])
		memcpy(acc->note, r->note, sizeof(acc->note));
}

static int scan_stream(const struct brk_scan_engine *e, const uint8_t *p, size_t len, size_t chunk,
		       const char *dest, struct brk_scan_result *acc)
{
	struct brk_scan_stream *s;
	struct brk_scan_result r;
	size_t off;
	int rc;

	memset(acc, 0, sizeof(*acc));
	rc = brk_scan_stream_open(e, &s);
	if (rc < 0)
		return rc;
	for (off = 0; off < len && rc == 0; off += chunk) {
		rc = brk_scan_stream_feed(s, p + off, len - off < chunk ? len - off : chunk, dest, &r);
		merge(acc, &r);
	}
	if (rc == 0) {
		rc = brk_scan_stream_feed(s, NULL, 0, dest, &r);
		merge(acc, &r);
	}
	brk_scan_stream_close(s);
	return rc;
}

static void report(const char *name, const struct brk_scan_result *r, int json)
{
	unsigned i;

	if (json) {
		printf("{\"file\":");
		json_str(name);
		printf(",\"blocked\":%s,\"findings\":[", r->blocked ? "true" : "false");
		for (i = 0; i < r->nfindings; i++) {
			const struct brk_finding *f = &r->findings[i];

			printf("%s{\"detector\":", i ? "," : "");
			json_str(f->detector);
			printf(",\"redacted\":");
			json_str(f->redacted);
			printf(",\"layers\":");
			json_str(f->layers);
			printf(",\"canary\":%s,\"in_scope\":%s,\"action\":\"%s\"}",
			       f->canary ? "true" : "false", f->in_scope ? "true" : "false",
			       f->action == BRK_SCAN_WARN ? "warn" : "block");
		}
		printf("],\"more\":%u", r->ndropped);
		if (r->error[0]) {
			printf(",\"error\":");
			json_str(r->error);
		}
		if (r->note[0]) {
			printf(",\"note\":");
			json_str(r->note);
		}
		printf("}\n");
		return;
	}
	for (i = 0; i < r->nfindings; i++) {
		const struct brk_finding *f = &r->findings[i];

		printf("%s: %s %s%s%s%s %s\n", name, f->detector, f->redacted,
		       f->layers[0] ? " via " : "", f->layers, f->canary ? " CANARY" : "",
		       f->in_scope ? "(home domain: allowed)" :
		       f->action == BRK_SCAN_WARN ? "(warn)" : "(BLOCK)");
	}
	if (r->ndropped)
		printf("%s: ... and %u more\n", name, r->ndropped);
	if (r->error[0])
		printf("%s: refused: %s\n", name, r->error);
	if (r->note[0])
		printf("%s: note: %s\n", name, r->note);
}

int brk_scan_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dest", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "canary", required_argument, NULL, 'c' },
		{ "home", required_argument, NULL, 'H' },
		{ "key", required_argument, NULL, 'K' },
		{ "known", required_argument, NULL, 'V' },
		{ "allow", required_argument, NULL, 'a' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "fallback", no_argument, NULL, 'F' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *canaries[MAX_OPT], *homes[MAX_OPT], *users[MAX_OPT], *dest = NULL;
	struct brk_scan_known known[MAX_OPT];
	uint8_t *kbuf[MAX_OPT];
	size_t nc = 0, nh = 0, nu = 0, nk = 0, chunk = 0, i;
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;
	int json = 0, opt, status = 0, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:jc:H:K:V:a:k:Flh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'd': dest = optarg; break;
		case 'j': json = 1; break;
		case 'c':
			if (nc == MAX_OPT)
				goto bad;
			canaries[nc++] = optarg;
			break;
		case 'H':
			if (nh == MAX_OPT)
				goto bad;
			homes[nh++] = optarg;
			break;
		case 'K':
		case 'V': {
			FILE *kf;

			if (nk == MAX_OPT || !(kf = fopen(optarg, "rb")))
				goto bad;
			rc = read_all(kf, &kbuf[nk], &known[nk].len);
			fclose(kf);
			if (rc < 0)
				goto bad;
			known[nk].value = kbuf[nk];
			known[nk].home = NULL;
			known[nk].nhome = 0;
			known[nk].detector = NULL;
			known[nk].key = opt == 'K';
			known[nk].placeholder = 0;
			nk++;
			break;
		}
		case 'a':
			if (nu == MAX_OPT)
				goto bad;
			users[nu++] = optarg;
			break;
		case 'k': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || v == 0)
				goto bad;
			chunk = v;
			break;
		}
		case 'F': break;
		case 'l':
			for (i = 0; i < brk_scan_ndetectors; i++)
				printf("%-28s %-5s %s\n", brk_scan_detectors[i].id,
				       brk_scan_detectors[i].action == BRK_SCAN_WARN ? "warn" : "block",
				       brk_scan_detectors[i].desc);
			return 0;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.canaries = canaries;
	cfg.ncanaries = nc;
	cfg.extra_home = homes;
	cfg.nextra_home = nh;
	cfg.user_hosts = users;
	cfg.nuser_hosts = nu;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:jc:H:K:V:a:k:Flh", lopts, NULL)) != -1)
		if (opt == 'F')
			cfg.force_fallback = 1;
	rc = brk_scan_engine_new(&cfg, &e);
	if (rc < 0) {
		fprintf(stderr, "dlpjail scan: cannot build the engine: %s\n",
			rc == -EINVAL ? "bad --canary, --home (ID=DOMAIN, known ID) or --allow (exact HOST)" : strerror(-rc));
		return 2;
	}
	rc = nk ? brk_scan_engine_add_known(e, known, nk) : 0;
	for (i = 0; i < nk; i++) {
		explicit_bzero(kbuf[i], known[i].len);
		free(kbuf[i]);
	}
	if (rc < 0) {
		fprintf(stderr, "dlpjail scan: --key/--known: %s\n", strerror(-rc));
		brk_scan_engine_free(e);
		return 2;
	}
	for (i = (size_t)optind; i <= (size_t)argc; i++) {
		const char *name = i < (size_t)argc ? argv[i] : "-";
		struct brk_scan_result r;
		uint8_t *buf = NULL;
		size_t len = 0;
		FILE *f;

		if (i == (size_t)argc && argc > optind)
			break;
		f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
		if (!f) {
			fprintf(stderr, "dlpjail scan: %s: %s\n", name, strerror(errno));
			status = 2;
			continue;
		}
		rc = read_all(f, &buf, &len);
		if (f != stdin)
			fclose(f);
		if (rc < 0) {
			fprintf(stderr, "dlpjail scan: %s: %s\n", name, strerror(-rc));
			status = 2;
			continue;
		}
		if (chunk)
			rc = scan_stream(e, buf, len, chunk, dest, &r);
		else
			rc = brk_scan_buffer(e, buf, len, dest, &r);
		free(buf);
		if (rc < 0) {
			fprintf(stderr, "dlpjail scan: %s: %s\n", name, r.error[0] ? r.error : strerror(-rc));
			status = 2;
			continue;
		}
		report(name, &r, json);
		/* the verdict, not the findings: one allowed at its home is printed
		 * but is no reason to fail (2, an error, stays) */
		if (r.blocked && status == 0)
			status = 1;
	}
	brk_scan_engine_free(e);
	return status;
bad:
	usage(stderr);
	return 2;
}
