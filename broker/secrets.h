/* SPDX-License-Identifier: MIT */
/*
 * secrets.h - known secrets: the credentials the command can actually read,
 * collected at start by the launcher and the ad hoc broker, handed to the
 * scanning engine (brk_scan_engine_add_known(), scan.h) and listed by
 * `dlpjail --show-secrets`.
 *
 * Sources: environment values a detector recognizes or whose names say so
 * (*_TOKEN, *_SECRET, *_KEY, *PASSWORD*, *_AUTH); ~/.npmrc and ./.npmrc,
 * ~/.yarnrc.yml, ~/.pypirc, ~/.netrc and ~/_netrc, ~/.git-credentials,
 * ~/.docker/config.json, ~/.aws/credentials, ~/.config/gh/hosts.yml,
 * ~/.cargo/credentials.toml, ~/.gem/credentials, ./.env, ./.env.* but
 * templates (.env.example, .sample, .template, .tmpl, .dist, .defaults),
 * direnv's ./.envrc, the services' environment in ./compose.yaml
 * (docker-compose.yml, .yaml, compose.yml) and the files their env_file
 * names;
 * the private keys
 * in ~/.ssh (any name, encrypted too) and those ~/.ssh/config names with
 * IdentityFile; gcloud's application_default_credentials.json,
 * credentials.db and access_tokens.db,
 * legacy_credentials/<account>/{adc.json,.boto}, ~/.boto,
 * $GOOGLE_APPLICATION_CREDENTIALS and service-account keys among the
 * working directory's *.json;
 * ~/.kube/config and $KUBECONFIG; the Azure CLI's msal_token_cache.json,
 * accessTokens.json and service_principal_entries.json;
 * Firefox profiles' cookies.sqlite and Chrome's, Chromium's, Brave's,
 * Edge's and Vivaldi's Cookies (v10 values decrypted; session-like and
 * token-random values), SQLite stores with their -wal and -journal;
 * ~/.terraform.d/credentials.tfrc.json, ~/.config/hub, composer's
 * auth.json, ~/.m2/settings{,-security}.xml, ~/.gradle/gradle.properties,
 * ~/.pgpass, ~/.my.cnf, ~/.s3cfg, ~/.vault-token (secrets_int.h lists
 * which module reads which). A key inside another file (a service
 * account's private_key, a kubeconfig's client-key-data) is decoded and
 * indexed as a key. Each value carries its home domains from its file (an .npmrc
 * line's registry host, a .netrc machine, a .pypirc repository, a docker
 * auths key, a git-credentials URL) and from the detector that recognizes
 * it. Values shorter than 8 bytes or of low entropy ("true", "changeme")
 * are skipped. Reads are bounded (8 MiB a file, its first 8 MiB of a
 * longer one; a SQLite store 32 MiB; 17 KiB a line); a YAML file gives what of it parses (its
 * other documents and top-level entries); nothing is followed beyond the
 * listed files.
 *
 * Values never leave this module and the engine in clear: listings and
 * logs show dlp_redact() forms only.
 */
#ifndef DLP_BROKER_SECRETS_H
#define DLP_BROKER_SECRETS_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>

struct brk_scan_engine;

/* A developer's home holds ~100 (t/e2e fake homes: 96 for a laptop's
 * set of files, 216 with 18 kube users, 12 cloud tokens, 36 AWS values,
 * 64 browser cookies); 256 was reached by a consultant's (24 kube users,
 * 8 registries...), and what came last (keys, cookies) was lost. */
#define BRK_SECRETS_MAX 1024
#define BRK_SECRET_HOMES 8

struct brk_secret {
	uint8_t *value;
	size_t len;
	char source[200];                 /* "env NPM_TOKEN", "~/.npmrc:3" */
	char *home[BRK_SECRET_HOMES];     /* exact hosts or "*.domain" */
	size_t nhome;
	const char *detector;             /* recognizing detector id, or NULL */
	int key;                          /* a private key file */
	int embedded;                     /* a key found inside another file (a
					   * service account's JSON, a kubeconfig):
					   * the jail's copy of that file cannot be
					   * rewritten to a placeholder key */
};

struct brk_secrets {
	struct brk_secret v[BRK_SECRETS_MAX];
	size_t n;
	size_t dropped;                   /* values past BRK_SECRETS_MAX */
};

/* Collect from envp, the files under home (NULL: $HOME) and in cwd (NULL:
 * "."). Missing or unreadable files are skipped. s is reset first.
 * 0 or -ENOMEM. Free with brk_secrets_free(). */
int brk_secrets_collect(struct brk_secrets *s, char *const *envp, const char *home,
			const char *cwd);
void brk_secrets_free(struct brk_secrets *s);
/* The credential files brk_secrets_collect() reads that exist as regular
 * files (symlinks followed) under home (NULL: $HOME) and cwd (NULL: "."):
 * the same table and paths, plus the files of ~/.ssh but *.pub, config,
 * known_hosts and authorized_keys. Writes up to max paths of
 * PATH_MAX bytes (limits.h) to dst; returns the count. */
size_t brk_secrets_files(const char *home, const char *cwd, char (*dst)[PATH_MAX], size_t max);
/* Hand them to the engine (before it is shared). 0 or negative errno. */
int brk_secrets_apply(const struct brk_secrets *s, struct brk_scan_engine *e);
/* Collect from this process (environ, $HOME, cwd) and apply: what the
 * launcher and the ad hoc broker call. Logs the count (never a value). */
int brk_secrets_load(struct brk_scan_engine *e);
/* `dlpjail --show-secrets`: one line per secret, redacted, with its
 * source and home domains. Returns the exit status (0). */
int brk_secrets_show(FILE *out);
/* The listing of s (what brk_secrets_show() prints); after the line of
 * entry i, more(out, i, arg) may add its own lines (NULL: none). */
typedef void brk_secrets_more_fn(FILE *out, size_t i, void *arg);
void brk_secrets_list(FILE *out, const struct brk_secrets *s, brk_secrets_more_fn *more,
		      void *arg);

#endif /* DLP_BROKER_SECRETS_H */
