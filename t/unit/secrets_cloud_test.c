/* SPDX-License-Identifier: MIT */
/*
 * secrets_cloud_test.c - broker/secrets_cloud.c, secrets_conf.c and
 * secrets_tree.c: gcloud, kubeconfig, Azure, Terraform, hub, composer,
 * maven, gradle, .pgpass, .my.cnf, .s3cfg, .boto, .vault-token, npm
 * _password, IdentityFile keys: values, homes and sources; close negatives
 * (a kubeconfig without user credentials, a service account without its
 * key) give nothing; malformed files give nothing at all, not a part.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "broker/secrets.h"
#include "t/unit/secrets_testutil.h"
#include "t/unit/test_keys.h"


static void put_bin(const char *rel, const char *b, size_t n)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void mkdirs(const char *const *dirs)
{
	char sub[256];
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/secrets-cloud-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; dirs[i]; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, dirs[i]);
		ck_assert_int_eq(mkdir(sub, 0700), 0);
	}
}

static void rmdirs(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* KEY_EC with its line breaks as JSON's \n */
static void json_escaped(const char *pem, char *out, size_t cap)
{
	size_t o = 0;

	for (; *pem && o + 3 < cap; pem++) {
		if (*pem == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *pem;
		}
	}
	out[o] = '\0';
}

/* the fake HOME gives nothing at all; removed */
static void collect_none(void)
{
	static struct brk_secrets s;
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char sub[256];

	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	ck_assert_uint_eq(s.n, 0);
	brk_secrets_free(&s);
	rmdirs();
}

static const char *const dirs[] = {
	".config", ".config/gcloud", ".config/gcloud/legacy_credentials",
	".config/gcloud/legacy_credentials/bob@example.com", ".kube", ".azure", ".terraform.d",
	".composer", ".m2", ".gradle", ".ssh", "keys", "work", NULL,
};

START_TEST(cloud_sources)
{
	static struct brk_secrets s;
	static char text[16384], esc[4096], b64[4096], env_gac[300], env_kc[600];
	char sub[256];
	char *env[] = {
		"PATH=/usr/bin:/bin", "AZURE_CLIENT_SECRET=azCl1entS3cretQ8zX2vL5mK",
		"VAULT_ADDR=https://vault.example.net:8200", env_gac, env_kc, NULL,
	};
	const struct brk_secret *x;

	mkdirs(dirs);
	json_escaped(KEY_EC, esc, sizeof(esc));
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)KEY_RSA, (int)strlen(KEY_RSA));
	snprintf(env_gac, sizeof(env_gac), "GOOGLE_APPLICATION_CREDENTIALS=%s/keys/ci-sa.json", dir);
	snprintf(env_kc, sizeof(env_kc), "KUBECONFIG=%s/keys/kc.json:%s/.kube/config", dir, dir);

	/* gcloud: ADC of a user, a legacy account's service-account adc.json
	 * and .boto; $GOOGLE_APPLICATION_CREDENTIALS */
	put(".config/gcloud/application_default_credentials.json",
	    "{\n  \"client_id\": \"764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com\",\n"
	    "  \"client_secret\": \"d-FL95Q19q7MQmFpd7hHD0Ty\",\n"
	    "  \"refresh_token\": \"1//0gAdcRefr3shTokQ8zX2vL5mK9tR3wY7pN4bH\",\n"
	    "  \"type\": \"authorized_user\"\n}\n");
	snprintf(text, sizeof(text), "{\"type\": \"service_account\", \"project_id\": \"p\", "
		 "\"private_key_id\": \"0123456789abcdef0123456789abcdef01234567\", "
		 "\"private_key\": \"%s\", \"client_email\": \"sa@p.iam.gserviceaccount.com\"}", esc);
	put(".config/gcloud/legacy_credentials/bob@example.com/adc.json", text);
	put(".config/gcloud/legacy_credentials/bob@example.com/.boto",
	    "[OAuth2]\nclient_id = 32555940559.apps.googleusercontent.com\n"
	    "client_secret = ZmssLNjJy2998hD4CTg2ejr2\n"
	    "[Credentials]\ngs_oauth2_refresh_token = 1//0gBotoRefr3shQ8zX2vL5mK9\n");
	put("keys/ci-sa.json", "{\"type\": \"authorized_user\", \"refresh_token\": "
	    "\"1//0gViaEnvRefr3shQ8zX2vL5mK\", \"client_secret\": \"envCl1entS3cr3tQ8zX2\"}");
	/* gcloud's SQLite stores: rows among page bytes */
	{
		static const char db[] =
			"SQLite format 3\0\x10\0\x01\x01\0@  \0\0\0\x02\0\0\0\x03"
			"\x81\x13\x02\x17\x81\x03" "bob@example.com{\n  \"client_id\": \"32555940559."
			"apps.googleusercontent.com\",\n  \"client_secret\": \"ZmssLNjJy2998hD4CTg2ejr2\",\n"
			"  \"refresh_token\": \"1//0gDbRefr3shQ8zX2vL5mK9tR3w\",\n  \"type\": "
			"\"authorized_user\"\n}\0\0{not json}\x05";
		static const char at[] =
			"SQLite format 3\0\x10\0\x05" "bob@example.comya29.a0AfB_byDbAcc3ssT0kQ8zX2vL5mK9tR3wY7"
			"\x19" "2026-12-02 06:00:00\0";

		put_bin(".config/gcloud/credentials.db", db, sizeof(db) - 1);
		put_bin(".config/gcloud/access_tokens.db", at, sizeof(at) - 1);
	}
	/* kubeconfig: YAML (two users, one via OIDC) and a JSON one on $KUBECONFIG */
	snprintf(text, sizeof(text),
		 "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTg==\n"
		 "    server: https://k8s.example.net:6443\n  name: prod\n"
		 "- cluster:\n    server: https://10.0.0.9\n  name: lab\n"
		 "contexts:\n- context:\n    cluster: prod\n    user: admin\n  name: prod\n"
		 "- context:\n    cluster: lab\n    user: admin\n  name: lab\n"
		 "- context:\n    cluster: prod\n    user: oidc\n  name: sso\n"
		 "current-context: prod\nkind: Config\npreferences: {}\nusers:\n"
		 "- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJU\n"
		 "    client-key-data: %s\n    token: \"kubeT0kenQz8vW2xLm5Rt7Yp4Nc9Bh\"\n"
		 "    username: admin\n    password: 'kubeP4ss''w0rdZq8'\n"
		 "- name: oidc\n  user:\n    auth-provider:\n      config:\n"
		 "        client-id: kubernetes\n        client-secret: oidcCl1entS3cretQ8zX\n"
		 "        id-token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlUTh6WA\n"
		 "        idp-issuer-url: https://idp.example.org/realms/corp\n"
		 "        refresh-token: oidcRefr3shQ9zX2vL8mK4tR\n      name: oidc\n", b64);
	put(".kube/config", text);
	put("keys/kc.json", "{\"kind\": \"Config\", \"clusters\": [{\"name\": \"ci\", \"cluster\": "
	    "{\"server\": \"https://ci-k8s.example.com\"}}], \"contexts\": [{\"name\": \"ci\", "
	    "\"context\": {\"cluster\": \"ci\", \"user\": \"bot\"}}], \"users\": [{\"name\": \"bot\", "
	    "\"user\": {\"token\": \"jsonKubeT0kenQ8zX2vL5mK9\"}}]}");
	/* Azure */
	put(".azure/msal_token_cache.json", "{\"AccessToken\": {\"a-b-c\": {\"credential_type\": "
	    "\"AccessToken\", \"secret\": \"eyAzureAcc3ssTokQ8zX2vL5mK9tR\"}}, \"RefreshToken\": "
	    "{\"d-e\": {\"secret\": \"0.AzureRefr3shQ8zX2vL5mK9tR3w\"}}, \"Account\": {}}");
	put(".azure/accessTokens.json", "[{\"tokenType\": \"Bearer\", \"accessToken\": "
	    "\"eyOldAzureAcc3ssQ8zX2vL5\", \"refreshToken\": \"oldAzRefr3shQ8zX2vL5mK\", "
	    "\"_clientSecret\": \"oldAzCl1entS3cQ8zX2\"}]");
	put(".azure/service_principal_entries.json", "[{\"client_id\": \"cid\", \"tenant\": \"t\", "
	    "\"client_secret\": \"spCl1entS3cretQ8zX2vL5\"}]");
	/* terraform, hub, composer */
	put(".terraform.d/credentials.tfrc.json", "{\"credentials\": {\"app.terraform.io\": "
	    "{\"token\": \"tfRcT0ken.atlasv1.Q8zX2vL5mK9tR3wY7pN4bH\"}}}");
	put(".config/hub", "github.com:\n- user: bob\n  oauth_token: hubT0kenQz8vW2xLm5Rt7Yp\n"
	    "  protocol: https\n");
	put(".composer/auth.json", "{\"http-basic\": {\"repo.example.org\": {\"username\": \"bob\", "
	    "\"password\": \"c0mposerPassQ8zX\"}}, \"github-oauth\": {\"github.com\": "
	    "\"ghoComposerT0kenQ8zX2vL5\"}, \"bearer\": {\"pkgs.example.com\": \"bearerT0kQ8zX2vL\"}}");
	/* maven, gradle, pgpass, my.cnf, s3cfg, vault, npm _password */
	put(".m2/settings.xml", "<settings>\n  <servers>\n    <server>\n      <id>corp</id>\n"
	    "      <username>bob</username>\n      <password>M2P4ss&amp;w0rdXq9</password>\n"
	    "    </server>\n  </servers>\n</settings>\n");
	put(".gradle/gradle.properties", "org.gradle.jvmargs=-Xmx2g\nmavenPassword=Gr4dlePassQz8x\n"
	    "signing.keyId=ABCDEF12\nartifactoryApiToken: artT0kenQz8vW2xLm\n"
	    "signing.secretKeyRingFile=/home/bob/.gnupg/secring.gpg\n");
	put(".pgpass", "# host:port:db:user:password\ndb.example.net:5432:app:bob:PgPa55w0rd\\:Zx9q\n"
	    "*:*:*:*:AnyH0stPassKq2\n");
	put(".my.cnf", "[client]\nuser=bob\npassword=\"MyCnfPassw0rdZq8\"\n");
	put(".s3cfg", "[default]\naccess_key = AKIAIOSFODNN7S3CFGXY\nhost_base = s3.example.org\n"
	    "secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYS3CFGKEY\n");
	put(".vault-token", "hvs.CAESIVaultT0kenQ8zX2vL5mK9tR3wY7pN4bH\n");
	put(".npmrc", "//npm.corp.example/:username=bob\n"
	    "//npm.corp.example/:_password=TnBtUGFzc3cwcmRROHpY\n");   /* NpmPassw0rdQ8zX */
	/* keys: IdentityFile outside ~/.ssh, a *.pem and an encrypted key in it */
	put(".ssh/config", "Host work\n  IdentityFile ~/keys/work_key\n"
	    "Host rel\n  IdentityFile relative_key\n  IdentityFile=\"%d/keys/%r_key\"\n");
	put("keys/work_key", KEY_ED);
	put(".ssh/legacy_enc.pem",
	    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
	    "DEK-Info: AES-128-CBC,2B6F3A1C9D8E7F605142332415060708\n\n"
	    "q8zX2vL5mK9tR3wY7pN4bHc6d1Ef0Gh2Ij3Kl4Mn5Op6Qr7St8Uv9Wx0Yz1Ab2Cd3Ef\n"
	    "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6Ll5Kk4Jj3Ii2Hh1Gg0Ff9Ee8\n"
	    "-----END RSA PRIVATE KEY-----\n");
	/* a service-account key dropped in the project */
	snprintf(text, sizeof(text), "{\n  \"type\": \"service_account\",\n  \"private_key\": \"%s\"\n}\n", esc);
	put("work/deploy-sa.json", text);
	put("work/package.json", "{\"name\": \"x\", \"token\": \"notAServiceAcc0untQ8zX\"}");

	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);

	x = find(&s, "1//0gAdcRefr3shTokQ8zX2vL5mK9tR3wY7pN4bH");
	ck_assert(x && has_home(x, "oauth2.googleapis.com"));
	ck_assert_str_eq(x->source, "~/.config/gcloud/application_default_credentials.json:4");
	ck_assert(has_home(find(&s, "d-FL95Q19q7MQmFpd7hHD0Ty"), "oauth2.googleapis.com"));
	x = find(&s, KEY_EC);   /* the legacy adc.json's key, \n decoded (and
				 * work/deploy-sa.json's: the same one) */
	ck_assert(x && x->key && x->embedded && x->nhome == 0);
	ck_assert(strstr(x->source, "legacy_credentials/bob@example.com/adc.json:1"));
	ck_assert_ptr_null(find(&s, "0123456789abcdef0123456789abcdef01234567"));   /* an id */
	ck_assert(has_home(find(&s, "ZmssLNjJy2998hD4CTg2ejr2"), "oauth2.googleapis.com"));
	x = find(&s, "1//0gDbRefr3shQ8zX2vL5mK9tR3w");
	ck_assert(x && has_home(x, "oauth2.googleapis.com") &&
		  strcmp(x->source, "~/.config/gcloud/credentials.db") == 0);
	x = find(&s, "ya29.a0AfB_byDbAcc3ssT0kQ8zX2vL5mK9tR3wY7");
	ck_assert(x && strcmp(x->source, "~/.config/gcloud/access_tokens.db") == 0);
	ck_assert(has_home(find(&s, "1//0gBotoRefr3shQ8zX2vL5mK9"), "oauth2.googleapis.com"));
	x = find(&s, "1//0gViaEnvRefr3shQ8zX2vL5mK");
	ck_assert(x && strstr(x->source, "keys/ci-sa.json:1"));
	ck_assert_ptr_nonnull(find(&s, "envCl1entS3cr3tQ8zX2"));

	x = find(&s, "kubeT0kenQz8vW2xLm5Rt7Yp4Nc9Bh");
	ck_assert(x && has_home(x, "k8s.example.net") && has_home(x, "10.0.0.9") && x->nhome == 2);
	ck_assert_str_eq(x->source, "~/.kube/config:31");
	x = find(&s, "kubeP4ss'w0rdZq8");
	ck_assert(x && has_home(x, "k8s.example.net"));
	x = find(&s, KEY_RSA);   /* client-key-data, base64-decoded */
	ck_assert(x && x->key && x->embedded);
	x = find(&s, "oidcRefr3shQ9zX2vL8mK4tR");
	ck_assert(x && has_home(x, "idp.example.org") && has_home(x, "k8s.example.net") &&
		  !has_home(x, "10.0.0.9"));
	x = find(&s, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlUTh6WA");
	ck_assert(x && has_home(x, "k8s.example.net") && !has_home(x, "idp.example.org"));
	ck_assert(has_home(find(&s, "oidcCl1entS3cretQ8zX"), "idp.example.org"));
	ck_assert_ptr_null(find(&s, "LS0tLS1CRUdJTiBDRVJU"));   /* a certificate: public */
	x = find(&s, "jsonKubeT0kenQ8zX2vL5mK9");
	ck_assert(x && has_home(x, "ci-k8s.example.com") && x->nhome == 1);

	ck_assert(has_home(find(&s, "eyAzureAcc3ssTokQ8zX2vL5mK9tR"), "*.azure.com"));
	ck_assert(has_home(find(&s, "0.AzureRefr3shQ8zX2vL5mK9tR3w"), "login.microsoftonline.com"));
	ck_assert(has_home(find(&s, "eyOldAzureAcc3ssQ8zX2vL5"), "*.azure.com"));
	ck_assert(has_home(find(&s, "oldAzRefr3shQ8zX2vL5mK"), "login.microsoftonline.com"));
	ck_assert_ptr_nonnull(find(&s, "oldAzCl1entS3cQ8zX2"));
	ck_assert_ptr_nonnull(find(&s, "spCl1entS3cretQ8zX2vL5"));
	x = find(&s, "azCl1entS3cretQ8zX2vL5mK");
	ck_assert(x && strcmp(x->source, "env AZURE_CLIENT_SECRET") == 0);

	x = find(&s, "tfRcT0ken.atlasv1.Q8zX2vL5mK9tR3wY7pN4bH");
	ck_assert(x && has_home(x, "app.terraform.io") && x->nhome == 1);
	x = find(&s, "hubT0kenQz8vW2xLm5Rt7Yp");
	ck_assert(x && has_home(x, "github.com") && has_home(x, "api.github.com"));
	ck_assert_str_eq(x->source, "~/.config/hub:3");
	ck_assert(has_home(find(&s, "c0mposerPassQ8zX"), "repo.example.org"));
	ck_assert(has_home(find(&s, "ghoComposerT0kenQ8zX2vL5"), "api.github.com"));
	ck_assert(has_home(find(&s, "bearerT0kQ8zX2vL"), "pkgs.example.com"));

	x = find(&s, "M2P4ss&w0rdXq9");
	ck_assert(x && strcmp(x->source, "~/.m2/settings.xml:6") == 0);
	ck_assert_ptr_nonnull(find(&s, "Gr4dlePassQz8x"));
	ck_assert_ptr_nonnull(find(&s, "artT0kenQz8vW2xLm"));
	ck_assert_ptr_null(find(&s, "ABCDEF12"));
	ck_assert_ptr_null(find(&s, "-Xmx2g"));
	x = find(&s, "PgPa55w0rd:Zx9q");
	ck_assert(x && has_home(x, "db.example.net") && strcmp(x->source, "~/.pgpass:2") == 0);
	x = find(&s, "AnyH0stPassKq2");
	ck_assert(x && x->nhome == 0);
	ck_assert_ptr_nonnull(find(&s, "MyCnfPassw0rdZq8"));
	ck_assert(has_home(find(&s, "AKIAIOSFODNN7S3CFGXY"), "s3.example.org"));
	x = find(&s, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYS3CFGKEY");
	ck_assert(x && x->nhome == 0);
	x = find(&s, "hvs.CAESIVaultT0kenQ8zX2vL5mK9tR3wY7pN4bH");
	ck_assert(x && has_home(x, "vault.example.net") && strcmp(x->source, "~/.vault-token") == 0);
	ck_assert(has_home(find(&s, "TnBtUGFzc3cwcmRROHpY"), "npm.corp.example"));
	ck_assert(has_home(find(&s, "NpmPassw0rdQ8zX"), "npm.corp.example"));

	x = find(&s, KEY_ED);
	ck_assert(x && x->key && !x->embedded && strcmp(x->source, "~/keys/work_key") == 0);
	x = find(&s, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
		 "DEK-Info: AES-128-CBC,2B6F3A1C9D8E7F605142332415060708\n\n"
		 "q8zX2vL5mK9tR3wY7pN4bHc6d1Ef0Gh2Ij3Kl4Mn5Op6Qr7St8Uv9Wx0Yz1Ab2Cd3Ef\n"
		 "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6Ll5Kk4Jj3Ii2Hh1Gg0Ff9Ee8\n"
		 "-----END RSA PRIVATE KEY-----\n");
	ck_assert(x && x->key && strcmp(x->source, "~/.ssh/legacy_enc.pem") == 0);
	ck_assert_ptr_null(find(&s, "notAServiceAcc0untQ8zX"));
	brk_secrets_free(&s);

	/* what the jail covers: each file found, once */
	{
		static char files[64][PATH_MAX];
		size_t n = brk_secrets_files(dir, sub, files, 64), i, hit = 0;
		static const char *const want[] = {
			"/.kube/config", "/keys/kc.json", "/.pgpass", "/.vault-token",
			"/work/deploy-sa.json", "/keys/work_key", "/.ssh/legacy_enc.pem",
			"/bob@example.com/adc.json", "/keys/ci-sa.json", NULL,
		};
		size_t j;

		setenv("GOOGLE_APPLICATION_CREDENTIALS", env_gac + 31, 1);
		setenv("KUBECONFIG", env_kc + 11, 1);
		n = brk_secrets_files(dir, sub, files, 64);
		for (j = 0; want[j]; j++)
			for (i = 0; i < n; i++)
				if (strlen(files[i]) > strlen(want[j]) &&
				    !strcmp(files[i] + strlen(files[i]) - strlen(want[j]), want[j])) {
					hit++;
					break;
				}
		ck_assert_uint_eq(hit, 9);
		for (i = 0; i < n; i++)
			ck_assert(!strstr(files[i], "package.json") && !strstr(files[i], "/.ssh/config"));
		unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
		unsetenv("KUBECONFIG");
	}
	/* the project's service-account key on its own */
	snprintf(text, sizeof(text), "%s/.config/gcloud/legacy_credentials/bob@example.com/adc.json", dir);
	ck_assert_int_eq(unlink(text), 0);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	x = find(&s, KEY_EC);
	ck_assert(x && x->key && x->embedded);
	ck_assert(strstr(x->source, "/work/deploy-sa.json:3"));
	brk_secrets_free(&s);
	rmdirs();
}
END_TEST

/* Close negatives: files of the right shape without a credential. */
START_TEST(close_negatives)
{
	mkdirs(dirs);
	put(".kube/config", "apiVersion: v1\nclusters:\n- cluster:\n"
	    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
	    "    server: https://k8s.example.net\n  name: c\ncontexts:\n- context:\n"
	    "    cluster: c\n    user: u\n  name: c\nusers:\n- name: u\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n"
	    "      args:\n      - eks\n      - get-token\n");
	put(".config/gcloud/application_default_credentials.json",
	    "{\"type\": \"service_account\", \"project_id\": \"p\", \"client_email\": "
	    "\"sa@p.iam.gserviceaccount.com\", \"client_id\": \"1234567890123456789012\"}");
	put("work/sa.json", "{\"type\": \"service_account\", \"private_key\": \"not a key at all\"}");
	put(".gradle/gradle.properties", "org.gradle.jvmargs=-Xmx2g -Dfile.encoding=UTF-8\n"
	    "signing.keyId=24875D73\nsigning.secretKeyRingFile=/home/b/.gnupg/secring.gpg\n"
	    "kotlin.code.style=official\n");
	put(".vault-token", "hvs.line1Q8zX2vL5mK9tR3w\nhvs.line2Q8zX2vL5mK9tR3w\n");
	put(".m2/settings.xml", "<settings><servers><server><id>a</id>"
	    "<password>${env.MAVEN_PASSWORD}</password></server></servers></settings>");
	put(".ssh/config", "Host *\n  IdentityFile relative/key\n  IdentityFile ~/keys/%h_key\n");
	put(".ssh/known_hosts", "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
	put(".pgpass", "db:5432:app:bob\n");   /* four fields: no password */
	collect_none();
}
END_TEST

/* Malformed: a truncated service-account key, JSON with trailing garbage,
 * a tab-indented or unterminated kubeconfig entry: nothing of the file
 * (of YAML, nothing of the entry: yaml_parts). */
START_TEST(malformed_nothing)
{
	static char text[8192], esc[4096];

	mkdirs(dirs);
	json_escaped(KEY_EC, esc, sizeof(esc));
	snprintf(text, sizeof(text), "{\"type\": \"service_account\", \"client_secret\": "
		 "\"cutCl1entS3cretQ8zX2\", \"private_key\": \"%s", esc);
	text[strlen(text) - 40] = '\0';   /* cut inside the key */
	put(".config/gcloud/application_default_credentials.json", text);
	put(".terraform.d/credentials.tfrc.json", "{\"credentials\": {\"app.terraform.io\": "
	    "{\"token\": \"trailingT0kenQ8zX2vL5\"}}} garbage");
	put(".azure/msal_token_cache.json", "{\"RefreshToken\": {\"x\": {\"secret\": "
	    "\"badEsc\\qRefr3shQ8zX2vL5\"}}}");
	put(".kube/config", "users:\n- name: u\n  user:\n\ttoken: tabT0kenQ8zX2vL5mK9tR\n");
	put(".config/hub", "github.com:\n- user: bob\n  oauth_token: \"unterminatedT0kQ8zX2vL\n");
	collect_none();
}
END_TEST

/* YAML with a syntax error gives what parses: the other top-level
 * entries of its document (a tab-indented preferences, an unterminated
 * flow map), the other documents; never a value of the broken entry.
 * Lines are the file's. */
START_TEST(yaml_parts)
{
	static struct brk_secrets s;
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	const struct brk_secret *x;
	char sub[256];

	mkdirs(dirs);
	put(".kube/config", "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k.example.net\n"
	    "  name: k\ncontexts:\n- context: {cluster: k, user: ci}\n  name: k\n"
	    "preferences:\n\tcolors: true\n\ttoken: inBadEntryT0kQ8zX2vL5mK\n"
	    "users:\n- name: ci\n  user:\n    token: partT0kenQ8zX2vL5mK9tR\n");
	put(".config/hub", "ghe.example.net: {oauth_token: \"unterminatedT0kQ8zX2vL\n"
	    "---\n# the second document\ngithub.com:\n- user: bob\n"
	    "  oauth_token: goodHubT0kQ8zX2vL5mK9\n");
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	x = find(&s, "partT0kenQ8zX2vL5mK9tR");
	ck_assert(x && has_home(x, "k.example.net"));
	ck_assert_str_eq(x->source, "~/.kube/config:15");
	x = find(&s, "goodHubT0kQ8zX2vL5mK9");
	ck_assert(x && has_home(x, "github.com"));
	ck_assert_str_eq(x->source, "~/.config/hub:6");
	ck_assert_ptr_null(find(&s, "inBadEntryT0kQ8zX2vL5mK"));
	ck_assert_uint_eq(s.n, 2);
	brk_secrets_free(&s);
	rmdirs();
}
END_TEST

/* Every new parser on garbage built from its own syntax (ASan builds too). */
START_TEST(cloud_garbage)
{
	static const char *const bits[] = {
		"{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "\\n", "\n", " ", "  ",
		"- ", "-", "\t", "#", "'", "''", "|", "users", "user", "token", "client-key-data",
		"private_key", "secret", "AccessToken", "credentials", "<password>", "</password>",
		"&amp;", "&", "<", "=", "password", "IdentityFile ", "~/", "%d/", "*",
		"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t", "-----BEGIN PRIVATE KEY-----",
		"Q8zX2vL5mK9tR3wY7pN4bH", "#0", "name", "clusters", "server", "https://h:1",
		"ya29.", "refresh_token", "&a ", "*a", "<<: ", "!!str ", "? ", "\\\n", "''", "{a: *a}",
		"SQLite format 3", "\r",
	};
	static const char *const files[] = {
		".config/gcloud/application_default_credentials.json", ".kube/config",
		".azure/msal_token_cache.json", ".azure/accessTokens.json",
		".terraform.d/credentials.tfrc.json", ".config/hub", ".composer/auth.json",
		".m2/settings.xml", ".gradle/gradle.properties", ".pgpass", ".my.cnf", ".s3cfg",
		".vault-token", ".ssh/config", ".config/gcloud/credentials.db", "work/x.json",
	};
	static struct brk_secrets s;
	static char text[8192];
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char sub[256];
	unsigned x = 7;
	size_t i, f, k, n;

	mkdirs(dirs);
	snprintf(sub, sizeof(sub), "%s/work", dir);
	for (i = 0; i < 200; i++) {
		for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			n = 0;
			if (f == sizeof(files) / sizeof(files[0]) - 1) {
				memcpy(text, "\"service_account\"\"private_key\"", 30);
				n = 30;
			}
			for (k = 0; k < 1 + (i * 7 + f) % 80; k++) {
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
	rmdirs();
}
END_TEST

/* YAML flow style: a kubeconfig all in flow (quoted keys, nested, over
 * lines), its credential anchored in flow and in block and used by alias
 * and merge key; gh hosts.yml as one flow map and in gh's users form;
 * .yarnrc.yml's npmRegistries in flow. Values and homes as in block. */
START_TEST(yaml_flow)
{
	static struct brk_secrets s;
	static char env_kc[600];
	char *env[] = { "PATH=/usr/bin:/bin", env_kc, NULL };
	const struct brk_secret *x;
	char sub[256];

	mkdirs(dirs);
	snprintf(sub, sizeof(sub), "%s/.config/gh", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(env_kc, sizeof(env_kc), "KUBECONFIG=%s/keys/flow.yaml:%s/keys/anchors.yaml", dir, dir);
	put("keys/flow.yaml",
	    "{\"apiVersion\": v1, kind: Config,\n"
	    " clusters: [{name: prod, cluster: {server: 'https://k8s.example.net:6443',\n"
	    "   certificate-authority-data: LS0tLS1CRUdJTg==}}],\n"
	    " contexts: [{name: p, context: {cluster: prod, user: admin}}],  # a comment\n"
	    " users: [{name: admin, user: {token: \"flowT0ken\\\n"
	    "Qz8vW2xLm5Rt7Yp\", password: !!str flowP4ssw0rdZq8,\n"
	    "   username: admin}},\n"
	    "  {name: other, user: {token: 'flowTok''enTwoQ8zX2vL',\n"
	    "    extra: {a: [1, 2, {b: c}], d: []}}}]}\n");
	put("keys/anchors.yaml",
	    "apiVersion: v1\nx-creds: &c {token: anchT0kenQ8zX2vL5mK9}\n"
	    "x-block: &b\n  password: blockP4ssQ8zX2vL5\n"
	    "clusters:\n- name: lab\n  cluster: {server: \"https://10.0.0.9\"}\n"
	    "contexts:\n- {name: l, context: {cluster: lab, user: u1}}\n"
	    "- {name: m, context: {cluster: lab, user: u2}}\n"
	    "users:\n- name: u1\n  user: *c\n- name: u2\n  user:\n    <<: *b\n    username: bob\n");
	put(".config/gh/hosts.yml",
	    "{github.com: {user: octocat, oauth_token: gho_16C7e42F292c6912E7710c838347Ae178B4a,"
	    " git_protocol: https},\n"
	    " ghe.corp.example: {users: {octo: {oauth_token: gheT0kenQ8zX2vL5mK9tR}}}}\n");
	put(".yarnrc.yml", "npmRegistries: {'//npm.corp.example/': {npmAlwaysAuth: true,\n"
	    "  npmAuthToken: yarnFl0wT0kenQ8zX2vL}}\nnpmAuthToken: \"yarnT0pQ8zX2vL5mK9\"\n"
	    "npmScopes: {corp: {npmAuthToken: yarnSc0peQ8zX2vL5mK9,\n"
	    "  npmRegistryServer: 'https://npm.scope.example/'}}\n");
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	x = find(&s, "flowT0kenQz8vW2xLm5Rt7Yp");   /* an escaped line break joins */
	ck_assert(x && has_home(x, "k8s.example.net") && strstr(x->source, "/keys/flow.yaml:5"));
	ck_assert(has_home(find(&s, "flowP4ssw0rdZq8"), "k8s.example.net"));
	ck_assert_ptr_nonnull(find(&s, "flowTok'enTwoQ8zX2vL"));
	ck_assert(has_home(find(&s, "anchT0kenQ8zX2vL5mK9"), "10.0.0.9"));
	ck_assert(has_home(find(&s, "blockP4ssQ8zX2vL5"), "10.0.0.9"));
	x = find(&s, "gho_16C7e42F292c6912E7710c838347Ae178B4a");
	ck_assert(x && has_home(x, "github.com") && has_home(x, "api.github.com"));
	ck_assert(has_home(find(&s, "gheT0kenQ8zX2vL5mK9tR"), "api.ghe.corp.example"));
	x = find(&s, "yarnFl0wT0kenQ8zX2vL");
	ck_assert(x && x->nhome == 1 && has_home(x, "npm.corp.example"));
	ck_assert(has_home(find(&s, "yarnT0pQ8zX2vL5mK9"), "registry.yarnpkg.com"));
	x = find(&s, "yarnSc0peQ8zX2vL5mK9");   /* its scope's registry, named after it */
	ck_assert(x && x->nhome == 1 && has_home(x, "npm.scope.example"));
	/* nothing else: no server, host, user name, CA data, boolean */
	ck_assert_uint_eq(s.n, 10);
	brk_secrets_free(&s);
	rmdirs();
}
END_TEST

/* Flow close negatives: credentials' fields holding booleans, nulls,
 * placeholders, short words, an alias to nothing; other fields holding
 * URLs and hosts; a flow file cut short or with a stray bracket gives
 * nothing at all; anchors of anchors (a billion laughs) stay bounded. */
START_TEST(yaml_flow_negatives)
{
	static struct brk_secrets s;
	static char env_kc[600], laughs[4096];
	char *env[] = { "PATH=/usr/bin:/bin", env_kc, NULL };
	char sub[256];
	size_t i, o;

	mkdirs(dirs);
	snprintf(sub, sizeof(sub), "%s/.config/gh", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(env_kc, sizeof(env_kc), "KUBECONFIG=%s/keys/a.yaml:%s/keys/b.yaml:%s/keys/c.yaml",
		 dir, dir, dir);
	put("keys/a.yaml", "users: [{name: u, user: {token: true, password: ~}},\n"
	    " {name: v, user: {token: null, password: 'changeme'}}, {name: w, user: {token: *none}},\n"
	    " {name: x, user: {token: , password: \"\"}}, {name: y, user: {token: !!bool yes}}]\n"
	    "clusters: [{name: c, cluster: {server: https://k8s.example.net:6443,"
	    " proxy-url: 'http://proxy.example.net:3128'}}]\n");
	put("keys/b.yaml", "users: [{name: u, user: {token: cutT0kenQ8zX2vL5mK9}}\n");
	put(".config/gh/hosts.yml", "{github.com: {user: octocat, git_protocol: https,"
	    " oauth_token: false}}\n");
	put(".yarnrc.yml", "npmRegistries: {\"//npm.example.com\": {npmAlwaysAuth: true}}\n"
	    "npmRegistryServer: \"https://npm.example.com\"\n");
	/* l1 merges l0 three times, l2 l1 three times...: 3^39 values if
	 * aliases were expanded without a bound (merges keep the depth) */
	o = (size_t)snprintf(laughs, sizeof(laughs), "l0: &l0 {token: lolT0kenQ8zX2vL5mK}\n");
	for (i = 1; i < 40; i++)
		o += (size_t)snprintf(laughs + o, sizeof(laughs) - o,
				      "l%zu: &l%zu {<<: *l%zu, <<: *l%zu, <<: *l%zu}\n", i, i, i - 1, i - 1,
				      i - 1);
	snprintf(laughs + o, sizeof(laughs) - o, "users: [{name: u, user: *l39}]\n");
	put("keys/c.yaml", laughs);
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	/* the laughs' one value, once, from the alias at users (bounded replay) */
	ck_assert_uint_le(s.n, 1);
	for (i = 0; i < s.n; i++)
		ck_assert_str_eq(s.v[i].source + strlen(s.v[i].source) - 9, "c.yaml:1");
	brk_secrets_free(&s);
	put("keys/c.yaml", "users: [{name: u, user: {token: strayT0kenQ8zX2vL5}}]]\n");
	collect_none();
}
END_TEST

/* A SQLite image by hand: 512-byte pages, page 1 an empty schema, page 2
 * a table leaf with one row whose 600-byte payload keeps 92 bytes there
 * and the rest on overflow page 3 (the client secret across the cut). */
static size_t sqlite_image(uint8_t *b, const char *json, uint32_t next, uint64_t plen)
{
	static const uint8_t hdr[24] = "SQLite format 3\0\x02\x00\x01\x01\x00\x40\x20\x20";
	size_t jl = strlen(json), cell = 100, i;
	uint8_t pay[600];

	ck_assert_uint_eq(jl, 597);
	memset(b, 0, 3 * 512);
	memcpy(b, hdr, sizeof(hdr));
	b[31] = 3;                           /* pages */
	b[100] = 0x0d;                       /* page 1: empty leaf */
	b[512] = 0x0d;                       /* page 2: a leaf, one cell at 100 */
	b[512 + 4] = 1;
	b[512 + 8] = 0;
	b[512 + 9] = (uint8_t)cell;
	pay[0] = 3;                          /* record header: 3 bytes */
	pay[1] = 0x89;                       /* text of 597 bytes: 13 + 2 * 597 */
	pay[2] = 0x37;
	memcpy(pay + 3, json, jl);
	i = 512 + cell;
	b[i++] = (uint8_t)(0x80 | (plen >> 7));
	b[i++] = (uint8_t)(plen & 0x7f);
	b[i++] = 1;                          /* rowid */
	memcpy(b + i, pay, 92);
	i += 92;
	b[i + 3] = 3;                        /* first overflow page */
	b[1024 + 3] = (uint8_t)next;
	memcpy(b + 1024 + 4, pay + 92, 508);
	return 3 * 512;
}

START_TEST(sqlite_overflow)
{
	static struct brk_secrets s;
	static uint8_t img[3 * 512], wal[32 + 3 * (24 + 512)];
	static char json[600];
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	const struct brk_secret *x;
	char sub[256];
	int n;

	mkdirs(dirs);
	n = snprintf(json, sizeof(json), "{\"type\": \"authorized_user\", \"pad\": \"%.*s\", "
		     "\"client_secret\": \"SpillS3cretQ8zX2vL5mK9\", \"refresh_token\": "
		     "\"1//0gSpillRefr3shQ8zX2vL5mK9tR3w\", \"x\": \"", 44,
		     "padpadpadpadpadpadpadpadpadpadpadpadpadpadpad");
	memset(json + n, 'y', 597 - (size_t)n - 2);
	memcpy(json + 595, "\"}", 3);
	put_bin(".config/gcloud/credentials.db", (const char *)img, sqlite_image(img, json, 0, 600));
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	x = find(&s, "SpillS3cretQ8zX2vL5mK9");
	ck_assert(x && has_home(x, "oauth2.googleapis.com") &&
		  strcmp(x->source, "~/.config/gcloud/credentials.db") == 0);
	ck_assert_ptr_nonnull(find(&s, "1//0gSpillRefr3shQ8zX2vL5mK9tR3w"));
	ck_assert_uint_eq(s.n, 2);
	brk_secrets_free(&s);
	/* a chain that loops (page 3 -> 3) or a payload longer than the file:
	 * the row is dropped, the walk ends */
	put_bin(".config/gcloud/credentials.db", (const char *)img, sqlite_image(img, json, 3, 1600));
	put_bin(".config/gcloud/access_tokens.db", (const char *)img, sqlite_image(img, json, 0, 9000));
	collect_none();
	/* a write-ahead log over it: frames for pages 2 and 3 of the same
	 * row rewritten (another secret); the file's row is superseded; a
	 * frame of an older generation (other salts) is not taken; a frame
	 * claiming page 2^32-1 makes the log no log */
	mkdirs(dirs);
	{
		static uint8_t img2[3 * 512];
		static char json2[600];
		size_t len = sqlite_image(img, json, 0, 600);
		char *p;

		memcpy(json2, json, sizeof(json2));
		p = strstr(json2, "SpillS3cretQ8zX2vL5mK9");
		memcpy(p, "WalS3cretNewQ8zX2vL5mK", 22);
		p = strstr(json2, "1//0gSpillRefr3sh");
		memcpy(p + 5, "WalRe", 5);
		sqlite_image(img2, json2, 0, 600);
		memset(wal, 0, sizeof(wal));
		wal[0] = 0x37; wal[1] = 0x7f; wal[2] = 0x06; wal[3] = 0x82;
		wal[10] = 0x02;                      /* page size 512 */
		memcpy(wal + 16, "saltSALT", 8);
		wal[32 + 3] = 2;                     /* frame 1: page 2 */
		memcpy(wal + 32 + 8, "saltSALT", 8);
		memcpy(wal + 32 + 24, img2 + 512, 512);
		wal[32 + 536 + 3] = 3;               /* frame 2: page 3 */
		memcpy(wal + 32 + 536 + 8, "saltSALT", 8);
		memcpy(wal + 32 + 536 + 24, img2 + 1024, 512);
		wal[32 + 1072 + 3] = 3;              /* frame 3: page 3, old salts */
		memcpy(wal + 32 + 1072 + 8, "oldsOLDS", 8);
		memcpy(wal + 32 + 1072 + 24, img + 1024, 512);
		put_bin(".config/gcloud/credentials.db", (const char *)img, len);
		put_bin(".config/gcloud/credentials.db-wal", (const char *)wal, sizeof(wal));
		ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
		ck_assert_ptr_nonnull(find(&s, "WalS3cretNewQ8zX2vL5mK"));
		ck_assert_ptr_null(find(&s, "SpillS3cretQ8zX2vL5mK9"));
		ck_assert_uint_eq(s.n, 2);
		brk_secrets_free(&s);
		wal[32 + 536] = wal[32 + 537] = wal[32 + 538] = wal[32 + 539] = 0xff;
		put_bin(".config/gcloud/credentials.db-wal", (const char *)wal, sizeof(wal));
		ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
		ck_assert_ptr_nonnull(find(&s, "SpillS3cretQ8zX2vL5mK9"));
		ck_assert_ptr_null(find(&s, "WalS3cretNewQ8zX2vL5mK"));
		brk_secrets_free(&s);
	}
	rmdirs();
	/* the image or its log with 1 to 8 bytes changed, 400 times: page
	 * sizes, types, cell pointers, varints, chains, frame headers
	 * (valgrind and ASan builds see it) */
	mkdirs(dirs);
	{
		uint32_t r = 5;
		size_t len = sqlite_image(img, json, 0, 600), i, k;

		wal[32 + 536] = wal[32 + 537] = wal[32 + 538] = 0;   /* the log valid again */
		wal[32 + 539] = 3;

		for (i = 0; i < 400; i++) {
			static uint8_t m[3 * 512], mw[sizeof(wal)];
			int in_wal = i % 3 == 2;

			memcpy(m, img, len);
			memcpy(mw, wal, sizeof(wal));
			for (k = 0; k < 1 + i % 8; k++) {
				r = r * 1103515245u + 12345u;
				if (in_wal)
					mw[(r >> 8) % (i % 2 ? 96 : sizeof(mw))] = (uint8_t)(r >> 24);
				else
					m[(r >> 8) % (i % 2 ? 128 : len)] = (uint8_t)(r >> 24);
			}
			put_bin(".config/gcloud/credentials.db", (const char *)m, len);
			put_bin(".config/gcloud/credentials.db-wal", (const char *)mw, sizeof(mw));
			ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
			ck_assert_uint_le(s.n, 2);
			brk_secrets_free(&s);
		}
	}
	rmdirs();
}
END_TEST

/* ---- Chrome's Cookies, by hand ---------------------------------------- */

static size_t put_varint(uint8_t *o, uint64_t v)
{
	if (v < 0x80) {
		o[0] = (uint8_t)v;
		return 1;
	}
	ck_assert_uint_lt(v, 1u << 14);
	o[0] = (uint8_t)(0x80 | v >> 7);
	o[1] = (uint8_t)(v & 0x7f);
	return 2;
}

/* A record of ncol columns: 'i' a one-byte integer, 'I' a two-byte one,
 * 't' text, 'b' a blob */
static size_t record(uint8_t *o, const char *types, const void *const *v, const size_t *n)
{
	uint8_t hdr[64], body[4096];
	size_t hl = 0, bl = 0, i;

	for (i = 0; types[i]; i++) {
		if (types[i] == 'i') {
			hl += put_varint(hdr + hl, 1);
			body[bl++] = (uint8_t)n[i];
			continue;
		}
		if (types[i] == 'I') {
			hl += put_varint(hdr + hl, 2);
			body[bl++] = (uint8_t)(n[i] >> 8);
			body[bl++] = (uint8_t)n[i];
			continue;
		}
		hl += put_varint(hdr + hl, (types[i] == 't' ? 13 : 12) + 2 * n[i]);
		memcpy(body + bl, v[i], n[i]);
		bl += n[i];
	}
	ck_assert_uint_lt(hl + 1, 128);
	o[0] = (uint8_t)(hl + 1);
	memcpy(o + 1, hdr, hl);
	memcpy(o + 1 + hl, body, bl);
	return 1 + hl + bl;
}

/* A leaf page's cells at pg (its b-tree header at hd) from offset at */
static void leaf_add(uint8_t *pg, uint8_t *hd, size_t *at, int64_t rowid, const uint8_t *rec,
		     size_t rl)
{
	unsigned nc = (unsigned)hd[3] << 8 | hd[4];
	size_t o = *at;

	hd[8 + 2 * nc] = (uint8_t)(o >> 8);
	hd[9 + 2 * nc] = (uint8_t)o;
	hd[3] = (uint8_t)((nc + 1) >> 8);
	hd[4] = (uint8_t)(nc + 1);
	o += put_varint(pg + o, rl);
	o += put_varint(pg + o, (uint64_t)rowid);
	memcpy(pg + o, rec, rl);
	*at = o + rl;
}

/* v10: AES-128-CBC, PBKDF2-HMAC-SHA1("peanuts", "saltysalt", 1), IV 16
 * spaces, over SHA-256(host) (hashed) and the value */
static size_t chrome_enc(uint8_t *o, const char *host, const char *v, int hashed, const char *pfx)
{
	static const uint8_t iv[16] = "                ";
	uint8_t key[16], pt[512];
	size_t pl = 0;
	int a = 0, b = 0;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

	ck_assert(PKCS5_PBKDF2_HMAC("peanuts", 7, (const unsigned char *)"saltysalt", 9, 1, EVP_sha1(),
				    16, key) == 1);
	if (hashed) {
		EVP_Digest(host, strlen(host), pt, NULL, EVP_sha256(), NULL);
		pl = 32;
	}
	memcpy(pt + pl, v, strlen(v));
	pl += strlen(v);
	memcpy(o, pfx, 3);
	ck_assert(EVP_EncryptInit_ex(x, EVP_aes_128_cbc(), NULL, key, iv) == 1);
	ck_assert(EVP_EncryptUpdate(x, o + 3, &a, pt, (int)pl) == 1);
	ck_assert(EVP_EncryptFinal_ex(x, o + 3 + a, &b) == 1);
	EVP_CIPHER_CTX_free(x);
	return 3 + (size_t)(a + b);
}

/* Chrome's Cookies (4096-byte pages: the schema on page 1, the cookies
 * table's leaf on page 2): v10 values with the host's SHA-256 first
 * (database version 24) and without (older), a plain value column; a
 * tracker and a consent flag (close negatives) and a v11 value (the
 * keyring's key: not read) are not. The rollback journal's old pages of
 * the table too. */
START_TEST(chrome_cookies)
{
	static const char sql[] = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT "
		"NOT NULL,top_frame_site_key TEXT NOT NULL,name TEXT NOT NULL,value TEXT NOT NULL,"
		"encrypted_value BLOB NOT NULL,path TEXT NOT NULL)";
	static const struct {
		const char *host, *name, *value, *pfx;
		int hashed, plain;
	} ck[] = {
		{ "github.com", "user_session", "CSesQ8zX2vL5mK9tR3wY7pN4bHcJ", "v10", 1, 0 },
		{ ".www.linkedin.com", "li_at", "AQEDQ8zX2vL5mK9tR3wY7pN4bHcJfG6dS1aZ", "v10", 0, 0 },
		{ ".corp.example", "auth_token", "plainAuthQ8zX2vL5mK9tR3w", "", 0, 1 },
		{ ".site7.example", "_ga", "GA1.2.1042.7042", "v10", 1, 0 },
		{ ".site7.example", "consent", "yes-all-accepted-v2", "v10", 1, 0 },
		{ ".k.example", "sessionid", "v11SessQ8zX2vL5mK9tR3wY7", "v11", 1, 0 },
	};
	static struct brk_secrets s;
	static uint8_t img[2 * 4096];
	static const char *const cdirs[] = { ".config", ".config/google-chrome",
					     ".config/google-chrome/Default",
					     ".config/google-chrome/Default/Network", "work", NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	const struct brk_secret *x;
	uint8_t rec[2048], enc[600];
	size_t at, rl, i;
	char sub[256];

	/* the collector's constant is this derivation */
	{
		static const uint8_t want[16] = { 0xfd, 0x62, 0x1f, 0xe5, 0xa2, 0xb4, 0x02, 0x53,
						  0x9d, 0xfa, 0x14, 0x7c, 0xa9, 0x27, 0x27, 0x78 };
		uint8_t key[16];

		ck_assert(PKCS5_PBKDF2_HMAC("peanuts", 7, (const unsigned char *)"saltysalt", 9, 1,
					    EVP_sha1(), 16, key) == 1);
		ck_assert(!memcmp(key, want, 16));
	}
	mkdirs(cdirs);
	memcpy(img, "SQLite format 3\0\x10\x00\x01\x01\x00\x40\x20\x20", 24);
	img[31] = 2;
	img[100] = 0x0d;
	at = 1200;
	{
		const void *v[] = { "table", "cookies", "cookies", NULL, sql };
		size_t n[] = { 5, 7, 7, 2, strlen(sql) };

		rl = record(rec, "tttit", v, n);
		leaf_add(img, img + 100, &at, 1, rec, rl);
	}
	img[4096] = 0x0d;
	at = 200;
	for (i = 0; i < sizeof(ck) / sizeof(ck[0]); i++) {
		size_t el = ck[i].plain ? 0 : chrome_enc(enc, ck[i].host, ck[i].value, ck[i].hashed,
							 ck[i].pfx);
		const void *v[] = { NULL, ck[i].host, "", ck[i].name,
				    ck[i].plain ? ck[i].value : "", enc, "/" };
		size_t n[] = { 7, strlen(ck[i].host), 0, strlen(ck[i].name),
			       ck[i].plain ? strlen(ck[i].value) : 0, el, 1 };

		rl = record(rec, "ittttbt", v, n);
		leaf_add(img + 4096, img + 4096, &at, (int64_t)i + 1, rec, rl);
	}
	put_bin(".config/google-chrome/Default/Network/Cookies", (const char *)img, sizeof(img));
	snprintf(sub, sizeof(sub), "%s/work", dir);
	ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
	x = find(&s, "CSesQ8zX2vL5mK9tR3wY7pN4bHcJ");
	ck_assert(x && has_home(x, "github.com") &&
		  !strcmp(x->source, "~/.config/google-chrome/Default/Network/Cookies"));
	x = find(&s, "AQEDQ8zX2vL5mK9tR3wY7pN4bHcJfG6dS1aZ");
	ck_assert(x && has_home(x, "www.linkedin.com") && has_home(x, "*.www.linkedin.com"));
	ck_assert_ptr_nonnull(find(&s, "plainAuthQ8zX2vL5mK9tR3w"));
	ck_assert_uint_eq(s.n, 3);
	brk_secrets_free(&s);
	/* Cookies-journal (PERSIST: the header zeroed, the records kept): the
	 * table's page 2 as it was, with a cookie since deleted; a record of
	 * a page outside the table (7) is not read */
	{
		static uint8_t jr[512 + 2 * (4 + 4096 + 4)], old[4096];
		const void *v[] = { NULL, ".old.example", "", "sessionid", "", enc, "/" };
		size_t n[] = { 7, 12, 0, 9, 0, 0, 1 };

		memcpy(old, img + 4096, 4096);
		at = 3000;
		n[5] = chrome_enc(enc, ".old.example", "JrnlSessQ8zX2vL5mK9tR3wY7", 1, "v10");
		rl = record(rec, "ittttbt", v, n);
		leaf_add(old, old, &at, 99, rec, rl);
		memset(jr, 0, sizeof(jr));
		jr[512 + 3] = 2;
		memcpy(jr + 512 + 4, old, 4096);
		memset(old, 0, sizeof(old));
		old[0] = 0x0d;
		at = 200;
		v[4] = "OutsideTableQ8zX2vL5mK9tR3w";
		n[4] = 27;
		n[5] = 0;
		rl = record(rec, "ittttbt", v, n);
		leaf_add(old, old, &at, 1, rec, rl);
		jr[512 + 4104 + 3] = 7;
		memcpy(jr + 512 + 4104 + 4, old, 4096);
		put_bin(".config/google-chrome/Default/Network/Cookies-journal", (const char *)jr,
			sizeof(jr));
		ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
		x = find(&s, "JrnlSessQ8zX2vL5mK9tR3wY7");
		ck_assert(x && has_home(x, "old.example"));
		ck_assert_uint_eq(s.n, 4);
		brk_secrets_free(&s);
	}
	/* a long-used profile's store past 8 MiB: the table's leaf on page
	 * 2100 (8.2 MiB in), the root the schema names */
	{
		size_t big = 2100 * 4096;
		uint8_t *b = calloc(1, big);
		char jp[300];

		ck_assert_ptr_nonnull(b);
		memcpy(b, img, 4096);
		memcpy(b + 2099 * 4096, img + 4096, 4096);
		b[28] = 0;
		b[29] = 0;
		b[30] = 2100 >> 8;
		b[31] = 2100 & 0xff;
		{
			const void *v[] = { "table", "cookies", "cookies", NULL, sql };
			size_t n[] = { 5, 7, 7, 2100, strlen(sql) };
			uint8_t *hd = b + 100;

			rl = record(rec, "tttIt", v, n);
			hd[3] = hd[4] = 0;
			at = 1200;
			leaf_add(b, hd, &at, 1, rec, rl);
		}
		put_bin(".config/google-chrome/Default/Network/Cookies", (const char *)b, big);
		snprintf(jp, sizeof(jp), "%s/.config/google-chrome/Default/Network/Cookies-journal", dir);
		unlink(jp);
		free(b);
		ck_assert_int_eq(brk_secrets_collect(&s, env, dir, sub), 0);
		ck_assert_ptr_nonnull(find(&s, "CSesQ8zX2vL5mK9tR3wY7pN4bHcJ"));
		ck_assert_uint_eq(s.n, 3);
		brk_secrets_free(&s);
	}
	rmdirs();
}
END_TEST

Suite *secrets_cloud_suite(void)
{
	Suite *s = suite_create("secrets_cloud");
	TCase *tc = tcase_create("collect");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cloud_sources);
	tcase_add_test(tc, close_negatives);
	tcase_add_test(tc, malformed_nothing);
	tcase_add_test(tc, cloud_garbage);
	tcase_add_test(tc, yaml_flow);
	tcase_add_test(tc, yaml_flow_negatives);
	tcase_add_test(tc, yaml_parts);
	tcase_add_test(tc, sqlite_overflow);
	tcase_add_test(tc, chrome_cookies);
	suite_add_tcase(s, tc);
	return s;
}
