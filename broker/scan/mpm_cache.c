/* SPDX-License-Identifier: MIT */
/*
 * mpm_cache.c - the compiled-database cache (mpm_cache.h).
 *
 * Entry layout, one file per key, "hs-<hex key>.db":
 *   "DLPJMPM1" | key[32] | u64 little-endian blob length | blob | sha256
 * where the SHA-256 covers everything before it. Loading checks the
 * directory and the file (ours, not a symlink, not group/other-writable,
 * regular), then the length, magic, key and digest (or the entry's stamp,
 * "ok-<hex key>", that says the digest was checked on this very file),
 * before anything of the blob is handed to the caller.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "broker/scan/mpm_cache.h"

#define MAGIC "DLPJMPM1"
#define MAGIC_LEN 8
#define HDR_LEN (MAGIC_LEN + BRK_SCAN_CACHE_KEYLEN + 8)
#define SUM_LEN 32
#define KEEP_ENTRIES 8         /* older entries (other builds) are removed */
#define TMP_MAX_AGE 3600       /* seconds: a temporary file left by a crash */

int brk_scan_cache_default_dir(char *dst, size_t cap)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	int n;

	/* XDG: a relative value is invalid and must be ignored */
	if (x && x[0] == '/')
		n = snprintf(dst, cap, "%s/dlpjail", x);
	else if (h && h[0] == '/')
		n = snprintf(dst, cap, "%s/.cache/dlpjail", h);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

void brk_scan_cache_key(uint8_t key[BRK_SCAN_CACHE_KEYLEN], const void *const *parts,
			const size_t *lens, size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t len8[8];
	unsigned int out = 0;
	size_t i, k;

	memset(key, 0, BRK_SCAN_CACHE_KEYLEN);
	if (!c)
		return;
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (i = 0; i < n; i++) {
		/* length-prefixed, so ("ab","c") and ("a","bc") differ */
		for (k = 0; k < 8; k++)
			len8[k] = (uint8_t)((uint64_t)lens[i] >> (8 * k));
		EVP_DigestUpdate(c, len8, sizeof(len8));
		EVP_DigestUpdate(c, parts[i], lens[i]);
	}
	EVP_DigestFinal_ex(c, key, &out);
	EVP_MD_CTX_free(c);
}

#define NAME_LEN (3 + 2 * BRK_SCAN_CACHE_KEYLEN + 3 + 1)

static void entry_name(const uint8_t key[BRK_SCAN_CACHE_KEYLEN], char name[NAME_LEN])
{
	size_t i;

	memcpy(name, "hs-", 3);
	for (i = 0; i < BRK_SCAN_CACHE_KEYLEN; i++)
		snprintf(name + 3 + 2 * i, 3, "%02x", key[i]);
	memcpy(name + 3 + 2 * BRK_SCAN_CACHE_KEYLEN, ".db", 4);
}

int brk_scan_cache_path(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
			char *dst, size_t cap)
{
	char name[NAME_LEN];
	int n;

	entry_name(key, name);
	n = snprintf(dst, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Ours, of the wanted type, not writable by anyone else. */
static int trusted(const struct stat *st, mode_t type)
{
	return (st->st_mode & S_IFMT) == type && st->st_uid == geteuid() &&
	       !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* Open dir for use: ours, a real directory, not writable by others.
 * Everything after goes through the fd, so a swap of the path between the
 * check and the use changes nothing. */
static int open_dir(const char *dir)
{
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
	if (fstat(fd, &st) < 0 || !trusted(&st, S_IFDIR)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

static void digest(const uint8_t *p, size_t n, uint8_t out[SUM_LEN])
{
	unsigned int ol = 0;

	if (!EVP_Digest(p, n, out, &ol, EVP_sha256(), NULL))
		memset(out, 0, SUM_LEN);
}

/*
 * The stamp of a verified entry, "ok-<hex key>": SHA-256 over the entry's
 * key, file identity (device, inode, size, mtime, ctime) and trailing
 * digest. A load whose file still has that identity skips the digest of
 * the whole database (~1 MB, ~5 % of a session's start): any write to the
 * file, a rename over it or a chmod changes its ctime, which no
 * unprivileged process can set back. It is written only for a file whose
 * ctime is STAMP_MIN_AGE seconds old when it is verified, so a rewrite
 * within the file system's timestamp granularity of that ctime cannot
 * keep the identity. Like the digest it stands in for, it is not a secret:
 * against a process of the same user the guards are the read-only bind of
 * this directory inside the jail and the caller's self-test.
 */
#define STAMP_MAGIC "DLPJOK01"
#define STAMP_LEN (MAGIC_LEN + SUM_LEN)
#define STAMP_MIN_AGE 1
#define STAMP_NAME_LEN (3 + 2 * BRK_SCAN_CACHE_KEYLEN + 1)

static void stamp_name(const uint8_t key[BRK_SCAN_CACHE_KEYLEN], char name[STAMP_NAME_LEN])
{
	char e[NAME_LEN];

	entry_name(key, e);
	memcpy(name, "ok-", 3);
	memcpy(name + 3, e + 3, 2 * BRK_SCAN_CACHE_KEYLEN);
	name[STAMP_NAME_LEN - 1] = '\0';
}

static void stamp_of(const uint8_t key[BRK_SCAN_CACHE_KEYLEN], const struct stat *st,
		     const uint8_t *sum, uint8_t out[STAMP_LEN])
{
	uint64_t id[8] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
			   (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec,
			   (uint64_t)st->st_ctim.tv_sec, (uint64_t)st->st_ctim.tv_nsec, 1 };
	const void *parts[4] = { "dlpjail-cache-stamp 1", key, id, sum };
	size_t lens[4] = { 21, BRK_SCAN_CACHE_KEYLEN, sizeof(id), SUM_LEN };

	memcpy(out, STAMP_MAGIC, MAGIC_LEN);
	brk_scan_cache_key(out + MAGIC_LEN, parts, lens, 4);
}

/* 1 if the entry's stamp matches st and sum. */
static int stamp_ok(int dfd, const uint8_t key[BRK_SCAN_CACHE_KEYLEN], const struct stat *st,
		    const uint8_t *sum)
{
	char name[STAMP_NAME_LEN];
	uint8_t want[STAMP_LEN], got[STAMP_LEN + 1];
	struct stat ss;
	ssize_t n = -1;
	int fd;

	stamp_name(key, name);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &ss) == 0 && trusted(&ss, S_IFREG))
		n = read(fd, got, sizeof(got));
	close(fd);
	if (n != STAMP_LEN)
		return 0;
	stamp_of(key, st, sum, want);
	return memcmp(want, got, STAMP_LEN) == 0;
}

/* Best effort: a private temporary file renamed over the stamp. */
static void stamp_write(int dfd, const uint8_t key[BRK_SCAN_CACHE_KEYLEN], const struct stat *st,
			const uint8_t *sum)
{
	char name[STAMP_NAME_LEN], tmp[32];
	uint8_t b[STAMP_LEN];
	uint32_t r = 0;
	int fd;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)getpid() * 2654435761u;
	snprintf(tmp, sizeof(tmp), ".hs-%08x.tmp", r);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	stamp_of(key, st, sum, b);
	stamp_name(key, name);
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b) || renameat(dfd, tmp, dfd, name) < 0)
		unlinkat(dfd, tmp, 0);
	close(fd);
}

void brk_scan_cache_unmap(struct brk_scan_cache_map *m)
{
	if (m->base)
		munmap(m->base, m->size);
	memset(m, 0, sizeof(*m));
}

int brk_scan_cache_map(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
		       struct brk_scan_cache_map *m)
{
	char name[NAME_LEN];
	struct stat st, st2;
	struct timespec now;
	uint8_t *map = MAP_FAILED, sum[SUM_LEN];
	uint64_t bl = 0;
	size_t k, size = 0;
	int fd = -1, dfd, rc;

	memset(m, 0, sizeof(*m));
	entry_name(key, name);
	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ELOOP ? -EPERM : -errno;
		goto out;
	}
	rc = -EPERM;
	if (fstat(fd, &st) < 0 || !trusted(&st, S_IFREG))
		goto out;
	rc = -EBADMSG;
	if (st.st_size < HDR_LEN + SUM_LEN || (uint64_t)st.st_size > BRK_SCAN_CACHE_MAX + HDR_LEN + SUM_LEN)
		goto out;
	size = (size_t)st.st_size;
	/* mapped, not read: no copy into a fresh buffer (the page cache's
	 * pages, populated at once); entries are replaced by rename, never
	 * rewritten in place */
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = errno == ENOMEM ? -ENOMEM : -EBADMSG;
		goto out;
	}
	for (k = 0; k < 8; k++)
		bl |= (uint64_t)map[MAGIC_LEN + BRK_SCAN_CACHE_KEYLEN + k] << (8 * k);
	if (memcmp(map, MAGIC, MAGIC_LEN) != 0 ||
	    memcmp(map + MAGIC_LEN, key, BRK_SCAN_CACHE_KEYLEN) != 0 ||
	    bl != (uint64_t)size - HDR_LEN - SUM_LEN)
		goto out;
	if (!stamp_ok(dfd, key, &st, map + HDR_LEN + bl)) {
		digest(map, HDR_LEN + (size_t)bl, sum);
		if (memcmp(sum, map + HDR_LEN + bl, SUM_LEN) != 0)
			goto out;
		/* unchanged while we read it, and older than the stamp's granularity */
		if (fstat(fd, &st2) == 0 && st2.st_ctim.tv_sec == st.st_ctim.tv_sec &&
		    st2.st_ctim.tv_nsec == st.st_ctim.tv_nsec && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
		    (now.tv_sec - st.st_ctim.tv_sec) * 1000000000LL + (now.tv_nsec - st.st_ctim.tv_nsec) >=
		    STAMP_MIN_AGE * 1000000000LL)
			stamp_write(dfd, key, &st, sum);
	}
	m->base = map;
	m->size = size;
	m->blob = map + HDR_LEN;
	m->len = (size_t)bl;
	map = MAP_FAILED;
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

int brk_scan_cache_load(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
			uint8_t **blob, size_t *len)
{
	struct brk_scan_cache_map m;
	int rc = brk_scan_cache_map(dir, key, &m);

	*blob = NULL;
	*len = 0;
	if (rc < 0)
		return rc;
	*blob = malloc(m.len ? m.len : 1);
	if (*blob) {
		memcpy(*blob, m.blob, m.len);
		*len = m.len;
	}
	brk_scan_cache_unmap(&m);
	return *blob ? 0 : -ENOMEM;
}

/* mkdir -p with mode 0700 for what we create. */
static int mkdirs(const char *dir)
{
	char p[4096];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Remove all but the KEEP_ENTRIES newest entries (other builds, other
 * Hyperscan versions) and stale temporary files. Best effort. */
static void prune(int dfd, const char *keep)
{
	struct { char name[NAME_LEN]; time_t mtime; } e[KEEP_ENTRIES + 1];
	struct dirent *de;
	struct stat st;
	size_t n = 0, i;
	time_t now = time(NULL);
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (!strncmp(de->d_name, ".hs-", 4) && now - st.st_mtime > TMP_MAX_AGE) {
			unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (l == STAMP_NAME_LEN - 1 && !strncmp(de->d_name, "ok-", 3)) {
			char en[NAME_LEN];

			/* a stamp whose entry is gone (pruned, or another build's) */
			snprintf(en, sizeof(en), "hs-%s.db", de->d_name + 3);
			if (fstatat(dfd, en, &st, AT_SYMLINK_NOFOLLOW) < 0)
				unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (l != NAME_LEN - 1 || strncmp(de->d_name, "hs-", 3) || !strcmp(de->d_name, keep))
			continue;
		/* insertion by mtime, newest first; the one that falls off goes */
		for (i = n; i > 0 && e[i - 1].mtime < st.st_mtime; i--)
			e[i] = e[i - 1];
		memcpy(e[i].name, de->d_name, NAME_LEN);
		e[i].mtime = st.st_mtime;
		if (n < KEEP_ENTRIES - 1)
			n++;
		else
			unlinkat(dfd, e[KEEP_ENTRIES - 1].name, 0);
	}
	closedir(d);
}

int brk_scan_cache_mkdir(const char *dir)
{
	int rc = mkdirs(dir), fd;

	if (rc < 0)
		return rc;
	fd = open_dir(dir);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int brk_scan_cache_store(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
			 const uint8_t *blob, size_t len)
{
	char name[NAME_LEN], tmp[32];
	uint8_t *buf = NULL;
	uint32_t r = 0;
	size_t k, total;
	int fd = -1, dfd, rc;

	if (len > BRK_SCAN_CACHE_MAX)
		return -EFBIG;
	entry_name(key, name);
	rc = mkdirs(dir);
	if (rc < 0)
		return rc;
	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	total = HDR_LEN + len + SUM_LEN;
	buf = malloc(total);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(buf, MAGIC, MAGIC_LEN);
	memcpy(buf + MAGIC_LEN, key, BRK_SCAN_CACHE_KEYLEN);
	for (k = 0; k < 8; k++)
		buf[MAGIC_LEN + BRK_SCAN_CACHE_KEYLEN + k] = (uint8_t)((uint64_t)len >> (8 * k));
	memcpy(buf + HDR_LEN, blob, len);
	digest(buf, HDR_LEN + len, buf + HDR_LEN + len);
	/* a private temporary name, then an atomic rename over the entry:
	 * readers see the old entry or the new one, never a partial one */
	for (k = 0; k < 16 && fd < 0; k++) {
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r ^= (uint32_t)getpid() * 2654435761u + (uint32_t)k;
		snprintf(tmp, sizeof(tmp), ".hs-%08x.tmp", r);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			rc = -errno;
			goto out;
		}
	}
	if (fd < 0) {
		rc = -EEXIST;
		goto out;
	}
	rc = write_all(fd, buf, total);
	if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dfd, tmp, 0);
	} else {
		char sn[STAMP_NAME_LEN];

		stamp_name(key, sn);
		unlinkat(dfd, sn, 0);   /* the replaced file's: stale anyway */
		prune(dfd, name);
	}
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	free(buf);
	return rc;
}
