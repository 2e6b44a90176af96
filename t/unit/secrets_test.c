/* SPDX-License-Identifier: MIT */
/*
 * secrets_test.c - broker/secrets.c: each credential file format and the
 * environment give their values, sources and home domains; trivial values,
 * oversized and non-regular files are skipped.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/secrets.h"
#include "t/unit/secrets_testutil.h"


START_TEST(every_source)
{
	static struct brk_secrets s;
	char *env[] = {
		"PATH=/usr/bin:/bin", "HOME=/x", "DEPLOY_TOKEN=dT9kQ2mX7vLp4RzW",
		"SHORT_PASSWORD=hunter2", "FLAG_KEY=true", "ANYNAME=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",
		"CI_NPM=npm_viaEnvRefABCDEFGHIJ0123456789abcdef", "DLPJAIL_SECRET=notours12345",
		"GOOGLE_API_KEY=/usr/lib/dlpjail-test/gone/credentials-Xq7.json",
		"SIGNING_KEY=/etc/ssl/certs/ca-certificates.crt", "HOOK_TOKEN=~/.config/hook/tok3n",
		NULL,
	};
	const struct brk_secret *x;
	char sub[128];
	static const char *const dirs[] = { "/.aws", "/.ssh", "/.docker", "/.config", "/.config/gh",
					    "/.cargo", "/.gem", "/work", NULL };
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/secrets-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; dirs[i]; i++) {
		snprintf(sub, sizeof(sub), "%s%s", dir, dirs[i]);
		ck_assert_int_eq(mkdir(sub, 0700), 0);
	}
	put(".npmrc", "registry=https://corp.example.net/npm/\n"
	    "//registry.npmjs.org/:_authToken=npm_Zq8XbT2fLr5WkY1dPc7HnV3sJm6GaE0uRo4i\n"
	    "; a comment _authToken=npm_commentedOutAAAAAAAAAAAAAAAAAAAA\n"
	    "_authToken = \"GlobalTok3n-9fK2mQ7x\"\n"
	    "//npm.env.example/path/:_authToken=${CI_NPM}\n"
	    "always-auth=true\n");
	put(".yarnrc.yml", "npmAuthToken: \"yarnTopLevel9Kq2Lw7Xz\"\nnpmRegistries:\n"
	    "  \"//npm.yarn.example\":\n    npmAuthToken: yarnScoped4Hd8Pq1Nm\n");
	put(".pypirc", "[distutils]\nindex-servers = pypi private\n\n[pypi]\nusername = __token__\n"
	    "password = pypi-AgEIcHlwaS5vcmcTESTTESTTESTTEST\n\n[private]\n"
	    "repository = https://pypi.corp.example/legacy/\nusername = bob\npassword = Pr1vatePyPass!\n");
	put(".netrc", "machine git.example.com\n  login bob\n  password NetrcPassw0rd9\n"
	    "machine other.example login x password true\n");
	put(".git-credentials", "https://bob:Gi7%2FCred%40Pass@git.example.org\n"
	    "https://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:x-oauth-basic@github.com\n");
	put(".docker/config.json", "{\n \"auths\": {\n  \"https://index.docker.io/v1/\": {\n"
	    "   \"auth\": \"Ym9iOmRvY2tlclBhc3N3MHJkIXh5eg==\"\n  },\n  \"ghcr.io\": {\"identitytoken\": \"ghcrIdent1tyTok3n\"}\n }\n}\n");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA7KLFYYLBEG3RHDSV\n"
	    "aws_secret_access_key = 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\n"
	    "aws_session_token = FwoGZXIvYXdzEBYaDSessionTok\n"
	    "[ci]\naws_secret_access_key = /Vq3k+9ZsT2mXbL8pWc4RnYdH7fJaE1uGo6iQyKt\n");
	put(".config/gh/hosts.yml", "github.com:\n    user: bob\n    oauth_token: gho_16C7e42F292c6912E7710c838347Ae178B4a\n");
	put(".cargo/credentials.toml", "[registry]\ntoken = \"cio8fJ2kLmQ9wXz3RtY\"\n");
	put(".gem/credentials", "---\n:rubygems_api_key: rubygems_0123456789abcdef0123\n");
	put(".ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	    "QyNTUxOQAAACDdFakeKeyBodyForTheUnitTestOnlyXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n"
	    "-----END OPENSSH PRIVATE KEY-----\n");
	put(".ssh/id_ed25519.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdFake t@h\n");
	put("work/.env", "PORT=3000\nexport STRIPE_KEY=\"sk_live_51HzT8sQpR2vXkLmN4bWc9YdE\"\n"
	    "RANDOMISH=Q8fz2LmX9vKp3WtR7yN4bHc6\nDEBUG=true\n");
	put("work/.npmrc", "//npm.project.example/:_authToken=projectT0kenXyZ123\n");
	snprintf(sub, sizeof(sub), "%s/work", dir);

	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	/* environment */
	x = find(&s, "dT9kQ2mX7vLp4RzW");
	ck_assert(x && strcmp(x->source, "env DEPLOY_TOKEN") == 0 && x->nhome == 0);
	x = find(&s, "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");
	ck_assert(x && x->detector && strcmp(x->detector, "github-pat") == 0);
	ck_assert(has_home(x, "github.com"));   /* also in .git-credentials: homes merge */
	ck_assert_ptr_null(find(&s, "hunter2"));
	ck_assert_ptr_null(find(&s, "true"));
	ck_assert_ptr_null(find(&s, "notours12345"));
	/* paths are no credentials, a secret that starts with '/' is one */
	ck_assert_ptr_null(find(&s, "/usr/lib/dlpjail-test/gone/credentials-Xq7.json"));
	ck_assert_ptr_null(find(&s, "/etc/ssl/certs/ca-certificates.crt"));
	ck_assert_ptr_null(find(&s, "~/.config/hook/tok3n"));
	ck_assert_ptr_nonnull(find(&s, "/Vq3k+9ZsT2mXbL8pWc4RnYdH7fJaE1uGo6iQyKt"));
	/* .npmrc: per-registry host, registry= for global keys, ${VAR} */
	x = find(&s, "npm_Zq8XbT2fLr5WkY1dPc7HnV3sJm6GaE0uRo4i");
	ck_assert(x && has_home(x, "registry.npmjs.org") && x->nhome == 1);
	ck_assert_str_eq(x->source, "~/.npmrc:2");
	ck_assert_ptr_null(find(&s, "npm_commentedOutAAAAAAAAAAAAAAAAAAAA"));
	x = find(&s, "GlobalTok3n-9fK2mQ7x");
	ck_assert(x && has_home(x, "corp.example.net"));
	x = find(&s, "npm_viaEnvRefABCDEFGHIJ0123456789abcdef");
	ck_assert(x && has_home(x, "npm.env.example") && strstr(x->source, "env CI_NPM (via ~/.npmrc:5)"));
	x = find(&s, "projectT0kenXyZ123");
	ck_assert(x && has_home(x, "npm.project.example"));
	/* yarn */
	x = find(&s, "yarnTopLevel9Kq2Lw7Xz");
	ck_assert(x && has_home(x, "registry.yarnpkg.com"));
	x = find(&s, "yarnScoped4Hd8Pq1Nm");
	ck_assert(x && has_home(x, "npm.yarn.example") && x->nhome == 1);
	/* pypirc */
	x = find(&s, "pypi-AgEIcHlwaS5vcmcTESTTESTTESTTEST");
	ck_assert(x && has_home(x, "upload.pypi.org"));
	x = find(&s, "Pr1vatePyPass!");
	ck_assert(x && has_home(x, "pypi.corp.example") && x->nhome == 1);
	/* netrc, git-credentials (percent-decoded), docker (auth and its password) */
	x = find(&s, "NetrcPassw0rd9");
	ck_assert(x && has_home(x, "git.example.com"));
	ck_assert_str_eq(x->source, "~/.netrc:3");
	x = find(&s, "Gi7/Cred@Pass");
	ck_assert(x && has_home(x, "git.example.org"));
	x = find(&s, "Ym9iOmRvY2tlclBhc3N3MHJkIXh5eg==");
	ck_assert(x && has_home(x, "index.docker.io") && has_home(x, "registry-1.docker.io"));
	x = find(&s, "dockerPassw0rd!xyz");
	ck_assert(x && has_home(x, "index.docker.io"));
	x = find(&s, "ghcrIdent1tyTok3n");
	ck_assert(x && has_home(x, "ghcr.io"));
	/* aws: the key id to AWS (not buckets), the secret key nowhere */
	x = find(&s, "AKIA7KLFYYLBEG3RHDSV");
	ck_assert(x && has_home(x, "*.amazonaws.com") && has_home(x, "!*.s3.amazonaws.com"));
	x = find(&s, "xy85v0eqHp2ERuLGQZx3NAcZCf/jCmhQdY7Ez+zF");
	ck_assert(x && x->nhome == 0);
	x = find(&s, "FwoGZXIvYXdzEBYaDSessionTok");
	ck_assert(x && has_home(x, "*.amazonaws.com"));
	/* gh, cargo, gem */
	x = find(&s, "gho_16C7e42F292c6912E7710c838347Ae178B4a");
	ck_assert(x && has_home(x, "github.com") && has_home(x, "api.github.com"));
	x = find(&s, "cio8fJ2kLmQ9wXz3RtY");
	ck_assert(x && has_home(x, "crates.io"));
	x = find(&s, "rubygems_0123456789abcdef0123");
	ck_assert(x && has_home(x, "rubygems.org"));
	/* ssh: the private key, not the .pub */
	for (i = 0, x = NULL; i < s.n; i++)
		if (s.v[i].key)
			x = &s.v[i];
	ck_assert(x && strcmp(x->source, "~/.ssh/id_ed25519") == 0);
	/* .env: a name, a detector or randomness says so; PORT, DEBUG do not */
	ck_assert_ptr_nonnull(find(&s, "sk_live_51HzT8sQpR2vXkLmN4bWc9YdE"));
	ck_assert_ptr_nonnull(find(&s, "Q8fz2LmX9vKp3WtR7yN4bHc6"));
	ck_assert_ptr_null(find(&s, "3000"));
	brk_secrets_free(&s);

	/* bounded: a file past 64 KiB is read whole (its last line too); one
	 * past 8 MiB (sparse) to its last line break before 8 MiB: a line
	 * across the cut and what follows are not read; a FIFO never is */
	{
		static char big[70000];
		static const char head[] = "machine h password HeadPassw0rdQ8zX2\n",
			cut[] = "\nmachine c password CutPassw0rdQ8zX2vL\n",
			tail[] = "\nmachine t password TailPassw0rdQ8zX2\n";
		char p[256];
		int fd;

		memset(big, '#', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[0] = '\n';
		memcpy(big + sizeof(big) - 50, "\nhttps://u:BigFilePassw0rd@git.example.com\n", 44);
		big[sizeof(big) - 6] = '\0';
		put(".git-credentials", big);
		snprintf(p, sizeof(p), "%s/.pypirc", dir);
		unlink(p);
		ck_assert_int_eq(mkfifo(p, 0600), 0);
		snprintf(p, sizeof(p), "%s/.netrc", dir);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pwrite(fd, head, sizeof(head) - 1, 0), (ssize_t)sizeof(head) - 1);
		/* 8 MiB falls 10 bytes into CutPassw0rd... */
		ck_assert_int_eq(pwrite(fd, cut, sizeof(cut) - 1, (8 << 20) - 30), (ssize_t)sizeof(cut) - 1);
		ck_assert_int_eq(pwrite(fd, tail, sizeof(tail) - 1, 9 << 20), (ssize_t)sizeof(tail) - 1);
		close(fd);
		ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
		ck_assert_ptr_nonnull(find(&s, "BigFilePassw0rd"));
		ck_assert_ptr_nonnull(find(&s, "HeadPassw0rdQ8zX2"));
		ck_assert_ptr_null(find(&s, "CutPassw0r"));
		ck_assert_ptr_null(find(&s, "CutPassw0rdQ8zX2vL"));
		ck_assert_ptr_null(find(&s, "TailPassw0rdQ8zX2"));
		ck_assert_ptr_null(find(&s, "Pr1vatePyPass!"));
		ck_assert_ptr_null(find(&s, "NetrcPassw0rd9"));
		brk_secrets_free(&s);
	}
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(sub), 0);
}
END_TEST

/* Every parser on garbage built from its own syntax (ASan builds too). */
START_TEST(parsers_garbage)
{
	static const char *const bits[] = {
		"//", "registry.npmjs.org", "/:_authToken=", "_auth", "=", "${", "}", "\"", "'", "\n",
		"\r\n", " ", "  ", "machine", "password", "login", "default", "[pypi]", "[", "]",
		"repository", "https://", "@", ":", "{", "}", "\"auths\"", "\"auth\"", ",", "token",
		"npmAuthToken:", "oauth_token", "export ", "#", ";", "Q8fz2LmX9vKp3WtR7yN4bHc6",
		"\\", "%", "%4", "x", "[", "]", "&a ", "*a", "<<: ", "!!str ", "'", "- ", "\n  ",
		"services", "environment", "API_TOKEN=", "://u:p@h",
	};
	static const char *const files[] = {
		".npmrc", ".yarnrc.yml", ".pypirc", ".netrc", ".git-credentials", ".docker/config.json",
		".aws/credentials", ".config/gh/hosts.yml", ".cargo/credentials.toml", ".gem/credentials",
		"work/.env", "work/.npmrc", "work/compose.yaml",
	};
	static const char *const dirs[] = { "/.aws", "/.docker", "/.config", "/.config/gh",
					    "/.cargo", "/.gem", "/work", NULL };
	static struct brk_secrets s;
	char *env[] = { "A_TOKEN=${", "B_KEY==", "C_AUTH=\"", NULL };
	char sub[128], text[4096];
	uint32_t x = 99;
	size_t i, f, k, n;

	snprintf(dir, sizeof(dir), "/tmp/secrets-garbage-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; dirs[i]; i++) {
		snprintf(sub, sizeof(sub), "%s%s", dir, dirs[i]);
		ck_assert_int_eq(mkdir(sub, 0700), 0);
	}
	snprintf(sub, sizeof(sub), "%s/work", dir);
	for (i = 0; i < 300; i++) {
		for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			n = 0;
			for (k = 0; k < 1 + (i * 7 + f) % 60; k++) {
				const char *b;

				x = x * 1103515245u + 12345u;
				b = bits[(x >> 16) % (sizeof(bits) / sizeof(bits[0]))];
				if (n + strlen(b) + 1 >= sizeof(text))
					break;
				memcpy(text + n, b, strlen(b));
				n += strlen(b);
			}
			text[n] = '\0';
			put(files[f], text);
		}
		ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
		ck_assert_uint_le(s.n, BRK_SECRETS_MAX);
		brk_secrets_free(&s);
	}
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(sub), 0);
}
END_TEST

/* ./compose.yaml: the services' environment by the .env rule (map, list,
 * flow, anchored and merged); a URL's password homed at its host, in
 * .env too. Close negatives: a URL or a host name without credentials,
 * a user name, a port, a flag; values outside services.*.environment. */
START_TEST(compose_env)
{
	static struct brk_secrets s;
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	const struct brk_secret *x;
	char sub[128];

	snprintf(dir, sizeof(dir), "/tmp/secrets-compose-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put("work/compose.yaml",
	    "x-db-env: &db-env\n  POSTGRES_USER: app\n  POSTGRES_PASSWORD: c0mposeDbPassQ8zX2v\n"
	    "x-common: &common {restart: unless-stopped, environment: {REDIS_PASSWORD: \"r3disPassQ8zX2vL5\"}}\n"
	    "x-unused: {GITHUB_TOKEN: unusedT0kenQ8zX2vL5mK}\n"
	    "services:\n  db:\n    image: postgres:16\n    environment: *db-env\n"
	    "  api:\n    <<: *common\n    image: corp/api:1.2\n    environment:\n"
	    "      - NODE_ENV=production\n      - API_TOKEN=apiT0kenQ8zX2vL5mK9t\n"
	    "      - DATABASE_URL=postgres://app:Pg%40ssQ8zX2vL5@db.corp.example:5432/app\n"
	    "      - CACHE_URL=redis://cache-eu-west-1.corp.example:6379/0\n"
	    "      - API_HOST=api-eu-west-1.internal.corp.example.com\n"
	    "  web: {image: nginx, environment: {SESSION_SECRET: s3ssionS3cretQ8zX2vL, PORT: \"8080\"},\n"
	    "        labels: {traefik.http.routers.web.rule: \"Host(`www.corp.example`)\"}}\n"
	    "  worker:\n    command: |\n      run --token-file /x\n    environment:\n"
	    "      WORKER_TOKEN: |\n        bl0ckT0kenQ8zX2vL5mK9\n\n      # a comment\n"
	    "      SIGNING_SECRET: >-\n        f0ldedQ8zX2\n        vL5mK9tR3w\n      LOG_LEVEL: debug\n");
	put("work/.env", "DATABASE_URL=mysql://root:My5qlPassQ8zX2@127.0.0.1:3306/x\n"
	    "API_BASE=https://api-eu-west-1.internal.corp.example.com/v2/graphql\n");
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	x = find(&s, "c0mposeDbPassQ8zX2v");
	ck_assert(x && strstr(x->source, "/compose.yaml:3"));
	ck_assert_ptr_nonnull(find(&s, "r3disPassQ8zX2vL5"));
	ck_assert_ptr_nonnull(find(&s, "apiT0kenQ8zX2vL5mK9t"));
	ck_assert_ptr_nonnull(find(&s, "s3ssionS3cretQ8zX2vL"));
	x = find(&s, "Pg@ssQ8zX2vL5");
	ck_assert(x && x->nhome == 1 && has_home(x, "db.corp.example"));
	ck_assert(has_home(find(&s, "My5qlPassQ8zX2"), "127.0.0.1"));
	/* block scalars: literal, folded over two lines */
	ck_assert_ptr_nonnull(find(&s, "bl0ckT0kenQ8zX2vL5mK9"));
	ck_assert_ptr_nonnull(find(&s, "f0ldedQ8zX2 vL5mK9tR3w"));
	ck_assert_ptr_null(find(&s, "unusedT0kenQ8zX2vL5mK"));
	ck_assert_ptr_null(find(&s, "redis://cache-eu-west-1.corp.example:6379/0"));
	ck_assert_ptr_null(find(&s, "api-eu-west-1.internal.corp.example.com"));
	ck_assert_ptr_null(find(&s, "https://api-eu-west-1.internal.corp.example.com/v2/graphql"));
	/* the two URLs whole (a detector knows them), the 8 values above */
	ck_assert_uint_eq(s.n, 10);
	brk_secrets_free(&s);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(sub), 0);
}
END_TEST

/* The working directory's other env files: .env.local, .env.production
 * (and a name of three parts), direnv's .envrc, the files compose's
 * env_file names (a string, a list, {path:} entries, a sub directory);
 * ~/_netrc. Close negatives: .env.example's values (a committed
 * template), "${VAR}" and "changeme" values, an env_file path with
 * interpolation, a feature flag. */
START_TEST(env_files)
{
	static struct brk_secrets s;
	static char files[64][PATH_MAX];
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	const struct brk_secret *x;
	char sub[128];
	size_t n, i, hit;

	snprintf(dir, sizeof(dir), "/tmp/secrets-envf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/work/config", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put("work/.env.local", "# local overrides\nSTRIPE_SECRET_KEY=l0calStr1peQ8zX2vL5mK\n"
	    "FEATURE_X=enabled\nDB_PASSWORD=${DB_PASSWORD}\nADMIN_PASSWORD=changeme\n");
	put("work/.env.production", "export SESSION_SECRET=\"pr0dS3ssionQ8zX2vL5mK9\"\n");
	put("work/.env.development.local", "API_TOKEN='d3vL0calT0kQ8zX2vL5m'\n");
	put("work/.env.example", "API_TOKEN=exampleT0kenQ8zX2vL5mK\n");
	put("work/.envrc", "dotenv_if_exists .env.local\nexport VAULT_TOKEN=hvs.envrcT0kenQ8zX2vL5mK9\n"
	    "PATH_add bin\n");
	put("work/compose.yaml", "services:\n  api:\n    image: corp/api\n    env_file: config/api.env\n"
	    "  worker:\n    env_file:\n      - ./config/worker.env\n      - ${EXTRA_ENV}\n"
	    "      - path: config/opt.env\n        required: false\n");
	put("work/config/api.env", "API_SIGNING_KEY=ap1EnvF1leKeyQ8zX2vL5\n");
	put("work/config/worker.env", "QUEUE_PASSWORD=w0rkerQueuePassQ8zX\nWORKERS=4\n");
	put("work/config/opt.env", "OPT_TOKEN=0ptEnvT0kenQ8zX2vL5mK\n");
	put("_netrc", "machine git.win.example login bob password W1nNetrcPassQ8zX2\n");
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	x = find(&s, "l0calStr1peQ8zX2vL5mK");
	ck_assert(x && strstr(x->source, "/work/.env.local:2"));
	ck_assert_ptr_nonnull(find(&s, "pr0dS3ssionQ8zX2vL5mK9"));
	ck_assert_ptr_nonnull(find(&s, "d3vL0calT0kQ8zX2vL5m"));
	x = find(&s, "hvs.envrcT0kenQ8zX2vL5mK9");
	ck_assert(x && strstr(x->source, "/work/.envrc:2"));
	x = find(&s, "ap1EnvF1leKeyQ8zX2vL5");
	ck_assert(x && strstr(x->source, "/work/config/api.env:1"));
	ck_assert_ptr_nonnull(find(&s, "w0rkerQueuePassQ8zX"));
	ck_assert_ptr_nonnull(find(&s, "0ptEnvT0kenQ8zX2vL5mK"));
	x = find(&s, "W1nNetrcPassQ8zX2");
	ck_assert(x && has_home(x, "git.win.example") && !strcmp(x->source, "~/_netrc:1"));
	ck_assert_ptr_null(find(&s, "exampleT0kenQ8zX2vL5mK"));
	ck_assert_uint_eq(s.n, 8);
	brk_secrets_free(&s);
	/* the jail covers them as it covers the other credential files */
	n = brk_secrets_files(dir, sub, files, 64);
	for (i = hit = 0; i < n; i++)
		hit += strstr(files[i], "/.env.local") || strstr(files[i], "/.env.production") ||
		       strstr(files[i], "/.envrc") || strstr(files[i], "/config/api.env") ||
		       strstr(files[i], "/config/opt.env") || strstr(files[i], "/_netrc") ||
		       strstr(files[i], "/.env.example");
	ck_assert_uint_eq(hit, 6);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(sub), 0);
}
END_TEST

/* 1100 distinct passwords in one .netrc: 1024 known, 76 counted as
 * dropped, and the first and last known ones are the file's first. */
START_TEST(cap)
{
	static struct brk_secrets s;
	static char text[1100 * 64];
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char sub[128], v[32];
	size_t i, o = 0;

	snprintf(dir, sizeof(dir), "/tmp/secrets-cap-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < 1100; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "machine m%zu.example login u password Cap%04zuQ8zX2vL5\n", i, i);
	put(".netrc", text);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, dir), 0);
	ck_assert_uint_eq(s.n, BRK_SECRETS_MAX);
	ck_assert_uint_eq(s.dropped, 1100 - BRK_SECRETS_MAX);
	ck_assert_ptr_nonnull(find(&s, "Cap0000Q8zX2vL5"));
	snprintf(v, sizeof(v), "Cap%04dQ8zX2vL5", BRK_SECRETS_MAX - 1);
	ck_assert_ptr_nonnull(find(&s, v));
	brk_secrets_free(&s);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(sub), 0);
}
END_TEST

Suite *secrets_suite(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("collect");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_source);
	tcase_add_test(tc, parsers_garbage);
	tcase_add_test(tc, compose_env);
	tcase_add_test(tc, env_files);
	tcase_add_test(tc, cap);
	suite_add_tcase(s, tc);
	return s;
}
