/* SPDX-License-Identifier: MIT */
/*
 * gen_json.h - the relay benches' clean stream: npm-packument-like JSON
 * lines (names, versions, descriptions, a 40-hex shasum, a sha512
 * integrity in base64, tarball URLs, dependency maps), deterministic, so
 * the engine's candidate finders see what real registry traffic holds.
 * Written once to a cache file (rl_gen_cached) and read back by later runs.
 * Header-only: rl_bench.c is a static program outside the project's libs.
 */
#ifndef DLPJAIL_BENCH_GEN_JSON_H
#define DLPJAIL_BENCH_GEN_JSON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rl_gen_x = 88172645463325252ULL;

static uint64_t rl_gen_rand(void)
{
	rl_gen_x ^= rl_gen_x << 13;
	rl_gen_x ^= rl_gen_x >> 7;
	rl_gen_x ^= rl_gen_x << 17;
	return rl_gen_x;
}

/* One record (a line) into b[0..cap); its length, 0 if it does not fit.
 * (Also t/unit/scan_known_test.c's clean text.) */
static size_t rl_gen_record(char *b, size_t cap, uint64_t n)
{
	static const char *const words[] = {
		"fast", "small", "utility", "library", "for", "parsing", "the", "node",
		"modules", "with", "zero", "dependencies", "stream", "json", "http", "client",
		"promise", "based", "typed", "plugin", "compiler", "tiny", "browser", "and",
	};
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char hex[] = "0123456789abcdef";
	char sha[41], integ[89], desc[200];
	size_t o = 0, i, nd;
	int w, maj = (int)(rl_gen_rand() % 20), min = (int)(rl_gen_rand() % 40),
	    pat = (int)(rl_gen_rand() % 100);
	unsigned pkg = (unsigned)(rl_gen_rand() % 50000);

	for (i = 0; i < 40; i++)
		sha[i] = hex[rl_gen_rand() % 16];
	sha[40] = '\0';
	for (i = 0; i < 86; i++)
		integ[i] = b64[rl_gen_rand() % 64];
	integ[86] = '\0';
	while (strstr(integ, "AIza"))   /* a gcp-api-key shape: clean means clean */
		strstr(integ, "AIza")[0] = 'B';
	integ[86] = integ[87] = '=';
	integ[88] = '\0';
	nd = 4 + rl_gen_rand() % 10;
	for (i = 0, desc[0] = '\0'; i < nd; i++) {
		size_t l = strlen(desc);

		snprintf(desc + l, sizeof(desc) - l, "%s%s", i ? " " : "",
			 words[rl_gen_rand() % (sizeof(words) / sizeof(words[0]))]);
	}
	w = snprintf(b, cap, "{\"_id\":\"pkg-%u@%d.%d.%d\",\"name\":\"pkg-%u\",\"version\":\"%d.%d.%d\","
		     "\"description\":\"%s\",\"license\":\"MIT\",\"dist\":{\"shasum\":\"%s\","
		     "\"integrity\":\"sha512-%s\",\"tarball\":\"https://registry.npmjs.org/pkg-%u/-/"
		     "pkg-%u-%d.%d.%d.tgz\",\"fileCount\":%u,\"unpackedSize\":%u},"
		     "\"dependencies\":{", pkg, maj, min, pat, pkg, maj, min, pat, desc, sha, integ,
		     pkg, pkg, maj, min, pat, (unsigned)(rl_gen_rand() % 300),
		     (unsigned)(rl_gen_rand() % 9000000));
	if (w < 0 || (size_t)w >= cap)
		return 0;
	o = (size_t)w;
	nd = rl_gen_rand() % 6;
	for (i = 0; i < nd; i++) {
		w = snprintf(b + o, cap - o, "%s\"dep-%u\":\"^%u.%u.0\"", i ? "," : "",
			     (unsigned)(rl_gen_rand() % 50000), (unsigned)(rl_gen_rand() % 10),
			     (unsigned)(rl_gen_rand() % 30));
		if (w < 0 || (size_t)w >= cap - o)
			return 0;
		o += (size_t)w;
	}
	w = snprintf(b + o, cap - o, "},\"seq\":%llu}\n", (unsigned long long)n);
	if (w < 0 || (size_t)w >= cap - o)
		return 0;
	return o + (size_t)w;
}

/*
 * The stream of mib MiB, mapped read-only: from DIR/json-MIB.txt, written
 * there first when missing (DIR: $DLPJAIL_BENCH_CACHE, else
 * /tmp/dlpjail-bench-work). NULL on error (message on stderr).
 */
static __attribute__((unused)) uint8_t *rl_gen_cached(long long mib, size_t *len)
{
	const char *dir = getenv("DLPJAIL_BENCH_CACHE");
	char path[4096], tmp[4200], rec[2048];
	size_t want = (size_t)mib << 20, o = 0, n;
	uint64_t seq = 0;
	struct stat st;
	void *m;
	FILE *f;
	int fd;

	if (!dir || !dir[0])
		dir = "/tmp/dlpjail-bench-work";
	snprintf(path, sizeof(path), "%s/json-%lld.txt", dir, mib);
	if (stat(path, &st) < 0 || (size_t)st.st_size != want) {
		mkdir(dir, 0700);
		snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
		f = fopen(tmp, "w");
		if (!f) {
			fprintf(stderr, "%s: %s\n", tmp, strerror(errno));
			return NULL;
		}
		while (o < want) {
			n = rl_gen_record(rec, sizeof(rec), seq++);
			if (n > want - o)
				n = want - o;
			if (fwrite(rec, 1, n, f) != n)
				break;
			o += n;
		}
		if (fclose(f) != 0 || o != want || rename(tmp, path) < 0) {
			fprintf(stderr, "%s: cannot write\n", path);
			unlink(tmp);
			return NULL;
		}
	}
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	m = mmap(NULL, want, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	*len = want;
	return m;
}

#endif
