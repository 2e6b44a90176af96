/* SPDX-License-Identifier: MIT */
/*
 * secrets_int.h - what the collectors of broker/secrets*.c share: the
 * collection context, the bounded reader, the line iterator and the small
 * value helpers of secrets.c. Nothing outside broker/secrets*.c includes it
 * (the rest of the broker sees secrets.h).
 *
 * secrets.c      environment, package-manager and forge files, ./.env,
 *                compose files, ~/.ssh keys
 * secrets_tree.c a strict JSON reader and a YAML subset reader (block and
 *                flow, anchors and aliases) that hand each scalar with
 *                its key path to a callback
 * secrets_cloud.c GCP (ADC, SQLite stores), Kubernetes, Azure, Terraform, hub,
 *                composer, Firefox's cookies.sqlite, Chrome's Cookies
 * secrets_sqlite.c the rows of a SQLite file, read page by page
 * secrets_conf.c ini/properties/XML/colon files: .boto, .s3cfg, .my.cnf,
 *                gradle.properties, maven settings.xml, .pgpass,
 *                .vault-token, ~/.ssh/config IdentityFile keys
 */
#ifndef DLP_BROKER_SECRETS_INT_H
#define DLP_BROKER_SECRETS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "broker/secrets.h"

/* A credential file is read up to FILE_MAX bytes (a longer one to its
 * last line break before that): a kubeconfig with embedded CA bundles
 * or many contexts, a long .env, a browser's or gcloud's SQLite store
 * fit; a huge or sparse file costs one bounded read. A line is read up to
 * LINE_MAX_LEN: a value's longest (16 KiB, trivial() in secrets.c) with
 * its key; a base64 RSA-4096 client-key-data is 4.3 KiB. */
#define FILE_MAX (8u << 20)
/* A SQLite store (a browser's cookies, gcloud's) up to STORE_MAX: a
 * long-used Chrome profile's Cookies passes 8 MiB (a session cookie's
 * page may lie past it); those of the fake homes of t/e2e 401 and 414
 * are 0.1-0.5 MiB. Only a file that large costs its read. */
#define STORE_MAX (32u << 20)
#define LINE_MAX_LEN 17408
#define SMALL_FILE_MAX (64u << 10)   /* a file read only to decide (sa_key_file) */
#define VALUE_MIN 8
#define KEY_FILE_MAX 16384        /* a private key file */

struct ctx {
	struct brk_secrets *s;
	const char *home;
	char *const *envp;
	int oom;
	unsigned recognized;              /* sec_recognize() calls so far */
	unsigned cookies;                 /* browser cookies known so far */
};

/* brk_scan_recognize() for the collectors that ask it of every line (.env,
 * compose): at most RECOGNIZE_MAX calls a collection (each ~26k
 * instructions); past them, 0 (a name or entropy must say secret). */
#define RECOGNIZE_MAX 4096
const char *sec_recognize(struct ctx *c, const char *v, size_t n);

/* Line iterator: *line (not terminated), its length; 0 at the end. */
struct lines {
	const char *p, *end;
	unsigned no;
};

typedef void parse_fn(struct ctx *c, const char *path, const char *b, size_t len);

/* secrets.c */
struct brk_secret *sec_add(struct ctx *c, const uint8_t *v, size_t n, const char *source,
			   const char *const *homes, int key);
void sec_add_str(struct ctx *c, const char *v, size_t n, const char *source,
		 const char *const *homes);
/* A regular file of at most max bytes, whole, NUL-terminated; NULL if
 * larger, missing or not a regular file. */
char *sec_read_small(const char *path, size_t max, size_t *len);
/* A regular file's first max bytes at most, NUL-terminated: a longer one
 * is cut after its last '\n' before max (no line is read in part). NULL:
 * missing, not a regular file, no memory. */
char *sec_read_head(const char *path, size_t max, size_t *len);
void sec_wipe_free(char *b, size_t n);
int sec_next_line(struct lines *l, const char **line, size_t *n);
/* The same with its own cap on a line's length (SIZE_MAX: none). */
int sec_next_line_max(struct lines *l, const char **line, size_t *n, size_t max);
void sec_trim(const char **s, size_t *n);
void sec_unquote(const char **s, size_t *n);
void sec_url_host(const char *u, size_t n, char *dst, size_t cap);
void sec_source_name(const struct ctx *c, const char *path, unsigned line, char *dst,
		     size_t cap);
const char *sec_env_get(const struct ctx *c, const char *name, size_t nl);
int sec_kv(const char *line, size_t n, char sep, const char **k, size_t *kl, const char **v,
	   size_t *vl);
int sec_key_is(const char *k, size_t kl, const char *want);
size_t sec_b64_decode(const char *s, size_t n, char *out, size_t cap);
int sec_name_says_secret(const char *name, size_t nl);
/* Shannon entropy of p[0, n), bits a byte */
double sec_entropy(const uint8_t *p, size_t n);
/* A private key file's bytes at path (PEM or OpenSSH armor), indexed whole
 * as a key; source names the file. */
void sec_read_key(struct ctx *c, const char *path);

/* secrets_tree.c: each scalar of a JSON document or a YAML subset (block
 * and flow collections, anchors, aliases and merge keys replayed at their
 * paths) with its path (keys; "#N" for the Nth item of a list). A walk with fn
 * NULL only validates: the collectors validate first and index nothing of
 * a file that is not well formed. 0, or -1 (malformed, too deep). */
#define TREE_DEPTH 12
struct tree_ev {
	const char *path[TREE_DEPTH];
	unsigned depth;                   /* path entries */
	const char *v;                    /* unescaped, NUL-terminated */
	size_t vl;
	unsigned line;
};
typedef void tree_fn(const struct tree_ev *e, void *arg);
int sec_json_walk(const char *b, size_t len, tree_fn *fn, void *arg);
int sec_yaml_walk(const char *b, size_t len, tree_fn *fn, void *arg);
/* sec_yaml_walk() over what of b parses: the whole, else each document
 * that does, else each top-level entry of one that does not (its lines
 * to the next line at column 0 that starts a key): a syntax error costs
 * its entry, not the file. An alias of an anchor in another part replays
 * nothing. Lines are the file's. 0: all parsed; 1: parts; -1: none. */
int sec_yaml_walk_parts(const char *b, size_t len, tree_fn *fn, void *arg);
/* path[i] equals want ("#" matches any list item) */
int sec_tree_at(const struct tree_ev *e, unsigned i, const char *want);

/* secrets_sqlite.c: the rows of a SQLite database image b[0, len) with
 * its write-ahead log wal[0, wal_len) over it (NULL: none): those of the
 * b-tree under page root, or (root 0) of every table leaf and index page
 * (freed ones too); then those of the rollback journal's pages (of the
 * tree's pages, or all), each row's payload joined across its overflow pages,
 * its first SQLITE_COLS columns to fn (pointers valid during the call).
 * -1: not a SQLite file; 0: walked (damaged parts skipped). */
#define SQLITE_COLS 64
enum { SQLITE_NULL, SQLITE_NUM, SQLITE_TEXT, SQLITE_BLOB };
struct sqlite_row {
	int64_t rowid;
	unsigned ncol;
	const uint8_t *v[SQLITE_COLS];
	size_t n[SQLITE_COLS];
	int type[SQLITE_COLS];
};
typedef void sqlite_row_fn(const struct sqlite_row *r, void *arg);
struct sqlite_img {
	const uint8_t *b, *wal, *jrnl;    /* jrnl: the rollback journal (NULL: none) */
	size_t len, wal_len, jrnl_len;
};
int sec_sqlite_walk(const struct sqlite_img *im, uint32_t root, sqlite_row_fn *fn, void *arg);
/* The file beside path named path + suffix ("-wal", "-journal"), read as
 * sec_read_head() does (NULL: none). */
char *sec_read_beside(const char *path, const char *suffix, size_t *len);

/* secrets_cloud.c, secrets_conf.c: the parsers of the file table */
parse_fn sec_parse_gcp, sec_parse_aws_cache, sec_parse_gcloud_db, sec_parse_firefox, sec_parse_chrome, sec_parse_kube, sec_parse_azure_msal, sec_parse_azure_tokens,
	sec_parse_azure_sp, sec_parse_tfrc, sec_parse_hub, sec_parse_composer;
parse_fn sec_parse_boto, sec_parse_s3cfg, sec_parse_mycnf, sec_parse_gradle, sec_parse_m2,
	sec_parse_pgpass, sec_parse_vault;
/* The files looked for beyond the fixed table, each with its parser, as
 * up to max paths of PATH_MAX bytes: $GOOGLE_APPLICATION_CREDENTIALS,
 * $KUBECONFIG's list, gcloud's legacy_credentials/<account>/{adc.json,
 * .boto}, Firefox profiles' cookies.sqlite, Chrome's and Chromium's
 * profiles' Cookies, service-account keys among cwd's *.json (secrets_cloud.c); the
 * keys ~/.ssh/config names with IdentityFile (secrets_conf.c). Paths that
 * do not exist are listed too (callers read or stat them). */
size_t sec_cloud_more(struct ctx *c, const char *cwd, char (*dst)[PATH_MAX], parse_fn **fn,
		      size_t max);
size_t sec_conf_more(struct ctx *c, char (*dst)[PATH_MAX], parse_fn **fn, size_t max);
parse_fn sec_parse_keyfile;

#endif /* DLP_BROKER_SECRETS_INT_H */
