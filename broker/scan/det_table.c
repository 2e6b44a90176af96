/* SPDX-License-Identifier: MIT */
/*
 * det_table.c - THE detector registry: one static const entry per credential
 * type, each with its exact shape, home domains, default action and the
 * positive and negative samples that t/unit/scan_det_test.c walks.
 *
 * Adding a detector = one entry here (plus a check/verify function in
 * detect.c if no existing one fits) and its samples. Ids are stable: policy
 * ("home ID DOMAIN") and events refer to them. Only scan.c and the tests
 * read this table.
 *
 * Sample values are random strings in the real formats (checksums computed
 * where the format has one); none is a live credential.
 */
#include "config.h"

#include <ctype.h>

#include <string.h>
#include <strings.h>

#include "broker/scan/det_table.h"
#include "broker/scan/scan.h"

#define BRK_SCAN_LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Where GitHub credentials go: the site, its API and uploads, and the
 * Packages and container registries (npm, Maven, NuGet, RubyGems, ghcr.io),
 * which take the same tokens as Basic or Bearer. */
#define BRK_SCAN_GITHUB_HOMES BRK_SCAN_LIST("github.com", "api.github.com", "uploads.github.com", \
	"codeload.github.com", "npm.pkg.github.com", "maven.pkg.github.com", "nuget.pkg.github.com", \
	"rubygems.pkg.github.com", "docker.pkg.github.com", "ghcr.io")
#define BRK_SCAN_NPM_HOMES BRK_SCAN_LIST("registry.npmjs.org", "registry.npmjs.com", "registry.yarnpkg.com")

const struct brk_scan_det brk_scan_detectors[] = {
	{
		.id = "aws-access-key-id",
		.desc = "AWS access key id (AKIA long-term, ASIA temporary)",
		.anchors = { "AKIA", "ASIA" },
		.flags = BRK_SCAN_DF_LB,
		.verify = brk_scan_verify_aws,
		.cls = BRK_SCAN_CLS_B32UP, .min = 16, .max = 16,
		/* S3 buckets and access points are tenant-controlled hosts under the
		 * home suffix, in every region and endpoint spelling */
		.home = BRK_SCAN_LIST("*.amazonaws.com", "*.amazonaws.com.cn",
				      "!s3.amazonaws.com", "!*.s3.amazonaws.com",
				      "!s3.*.amazonaws.com", "!*.s3.*.amazonaws.com",
				      "!s3-*.amazonaws.com", "!*.s3-*.amazonaws.com",
				      "!s3.dualstack.*.amazonaws.com", "!*.s3.dualstack.*.amazonaws.com",
				      "!*.s3-accesspoint.*.amazonaws.com",
				      "!*.s3-accesspoint.dualstack.*.amazonaws.com",
				      "!s3.*.amazonaws.com.cn", "!*.s3.*.amazonaws.com.cn"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"AKIA7KLFYYLBEG3RHDSV",
			"ASIA5UCDRD6PM6HU2ZX2"),
		.neg = BRK_SCAN_LIST(
			"AKIA0123456789ABCDEF",
			"AKIAIOSFODNN7EXAMPLE",
			"xAKIAZDQTTIDVZ7ORA35T"),
	},
	{
		.id = "aws-secret-access-key",
		.desc = "AWS secret access key assigned to its usual names",
		.anchors = { "aws_secret_access_key", "aws_secret_key", "secretaccesskey", "aws-secret-access-key", "secret_access_key" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_ENTROPY,
		.check = brk_scan_check_kv,
		.pre_max = 4,
		.cls = BRK_SCAN_CLS_B64, .min = 40, .max = 40,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"aws_secret_access_key = xy85v0eqHp2ERuLGQZx3NAcZCf/jCmhQdY7Ez+zF",
			"\"SecretAccessKey\": \"ZQHNIcOQTBP6tUWfm0kOqpQyP1OlFdyKhlIB3opX\"",
			"AWS_SECRET_ACCESS_KEY=3AKcL1rxIu4sHSC+GUMEPYZNFeHFXlwDpvt1lYmz"),
		.neg = BRK_SCAN_LIST(
			"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"aws_secret_access_key = B5Uvoad/+q5QMegD5vfX3r1HDY0hWokTpXtZVuR",
			"aws_secret_access_key = ${AWS_SECRET}"),
	},
	{
		.id = "gcp-api-key",
		.desc = "Google API key",
		.anchors = { "AIza" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 35, .max = 35,
		.home = BRK_SCAN_LIST("googleapis.com", "*.googleapis.com", "!storage.googleapis.com",
				      "!*.storage.googleapis.com", "!firebasestorage.googleapis.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"AIzaT-L-K4kxegm7LKhgiXWnhiId2BJKKO8NqOm"),
		.neg = BRK_SCAN_LIST(
			"AIzaXFjpzUukMrMTvcfeM_W7nafAf63dXFq9fY ",
			"AIzaVPHyUmvmTVcvFKXMhbzlEd4VvOzuYFl7iKCy"),
	},
	{
		.id = "gcp-service-account",
		.desc = "Google service-account key file (private_key_id)",
		.anchors = { "\"private_key_id\"" },
		.check = brk_scan_check_kv,
		.cls = BRK_SCAN_CLS_HEXLO, .min = 40, .max = 40,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"{\"type\": \"service_account\", \"project_id\": \"p\", \"private_key_id\": \"ca18f87c57aad11420a85d014b567557d391c37f\"}"),
		.neg = BRK_SCAN_LIST(
			"{\"private_key_id\": \"abc\"}"),
	},
	{
		.id = "gcp-oauth-client-secret",
		.desc = "Google OAuth client secret",
		.anchors = { "GOCSPX-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 28, .max = 28,
		.home = BRK_SCAN_LIST("accounts.google.com", "oauth2.googleapis.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"GOCSPX-F4agJo9oRwdBdAfLftoH"),
	},
	{
		.id = "gcp-oauth-access-token",
		.desc = "Google OAuth access token",
		.anchors = { "ya29." },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_B64URL, .min = 40, .max = 2048,
		.home = BRK_SCAN_LIST("googleapis.com", "*.googleapis.com", "!storage.googleapis.com",
				      "!*.storage.googleapis.com", "!firebasestorage.googleapis.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"ya29.a0dYlHl2z9kjNlm0R0KG7kJ5KqhTo4ZCvaFK2THmNUQKie9mUfJthl2FfsSgwfP38B4xpIsVvDQEdtovCngbgxKhBtvGX8CiNtxXkZWI7gAyIuwMUfBu2jN4KBe1BDgMHxHkt2NumGDbneu7Z_GymloP"),
		.neg = BRK_SCAN_LIST(
			"ya29.8M9tJCWiG5GpOuY0Lbzf"),
	},
	{
		.id = "gcp-oauth-refresh-token",
		.desc = "Google OAuth refresh token",
		.anchors = { "1//0" },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_B64URL, .min = 40, .max = 512,
		.home = BRK_SCAN_LIST("oauth2.googleapis.com", "accounts.google.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"1//07B1QG41v9CfNDxlexuamy4D9Ae2zN5NsQN7WfH7BPOeD90hq81vPl6Vs4Bc5V-sWEq582E7pQ2zH2IgRCfFvTY71YeojjdkWRfm"),
		.neg = BRK_SCAN_LIST(
			"1//0JDasSKvPTv"),
	},
	{
		.id = "azure-storage-key",
		.desc = "Azure storage account key (connection string AccountKey)",
		.anchors = { "AccountKey", "account_key", "account-key", "storage_key", "storage-key", "storagekey", "accesskey" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_KEYED,
		.check = brk_scan_check_kv,
		.verify = brk_scan_verify_b64_64,
		.pre_max = 2,
		.cls = BRK_SCAN_CLS_B64PAD, .min = 88, .max = 88,
		.home = BRK_SCAN_LIST("*.core.windows.net"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=NHqU9krJqIMqRkbZ5ciEPRGrUhReW8bw+nvgGSkuQxnkhV2yEDZ0/VpfL/rb8kJLOW/raADtHti/5BJgnDyiYZ==;EndpointSuffix=core.windows.net",
			"{\"accountKey\": \"2d/FOXiFmrop3nmFFieF65f6QDXxX64/sjs1ZgI9zzJEMfmVT2J7cMcSKNCyDOM8JoxfIQFClE617aUdOIGhbw==\"}",
			"<StorageKey>aEr1wwiSl7AzsewJyEPslMJtWVUxnEybcnV4pClDpNIargiajuCmHTuYdyPWU4s002NWKQjbubg+y0nkv6IBZw==</StorageKey>",
			"x-ms-account-key: adjb3lG4+qd7BVV+kv1Jb6klW90/MaWbauiigEmlI4ZHLkgdRXYI1H2COUArO5gfsQblPhqTRLI8bmZLvEKoMA==",
			"storage_account_key=cUMBrjp3c0IWVgMZn0D7aiFJKuzntuOUhZ56brfF2LBwxYKMzCwTKfsodpiaocsN6WR7SLa/yRiPIw+WIShD6A=="),
		.neg = BRK_SCAN_LIST(
			"AccountKey=<your-key>;",
			"\"accountKey\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"",
			"\"accesskey\": \"public-analytics-key\""),
	},
	{
		.id = "azure-ad-client-secret",
		.desc = "Microsoft Entra (Azure AD) client secret",
		.anchors = { "Q~" },
		.verify = brk_scan_verify_azure_ad,
		.pre_cls = BRK_SCAN_CLS_AZSECRET, .pre_min = 4, .pre_max = 4,
		.cls = BRK_SCAN_CLS_AZSECRET, .min = 31, .max = 34,
		.home = BRK_SCAN_LIST("login.microsoftonline.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"\"nCS8Q~lUBb~ez09u_W0Qje4rbp2uqGq1W4LH.MTF\""),
		.neg = BRK_SCAN_LIST(
			"\"abcdQ~PJkxsgsyROx7tsZq0PK7luOXplt6r2DaFI\""),
	},
	{
		.id = "github-pat",
		.desc = "GitHub classic personal access token (CRC32 checked)",
		.anchors = { "ghp_" },
		.verify = brk_scan_verify_crc32_b62,
		/* checksummed: the first 36 decide, a tail glued on does not hide it */
		.flags = BRK_SCAN_DF_NORB,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 36, .max = 36,
		.home = BRK_SCAN_GITHUB_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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",
			"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",
			"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POST"),
		.neg = BRK_SCAN_LIST(
			"ghp_QIoHOETUCDoZmcKPfHHfwpyqxKSvtX0U4XHA",
			"ghp_QIoHOETUCDoZmcKPfHHfwpyqxKSvtX0U4XHAPOST",
			"ghp_mdZte29B66QHYxGj1D2qdFhtF3RjND6pmen"),
	},
	{
		.id = "github-oauth",
		.desc = "GitHub OAuth access token (CRC32 checked)",
		.anchors = { "gho_" },
		.verify = brk_scan_verify_crc32_b62,
		/* checksummed: the first 36 decide, a tail glued on does not hide it */
		.flags = BRK_SCAN_DF_NORB,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 36, .max = 36,
		.home = BRK_SCAN_GITHUB_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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",
			"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"),
		.neg = BRK_SCAN_LIST(
			"gho_x6yjzxBgrNULZXRzERZKwCZezTrj5W0FN3rA",
			"gho_pQ0LW1MQKS4lHWhZ7d5il9DPDJvrxLZtINL"),
	},
	{
		.id = "github-user-to-server",
		.desc = "GitHub App user-to-server token (CRC32 checked)",
		.anchors = { "ghu_" },
		.verify = brk_scan_verify_crc32_b62,
		/* checksummed: the first 36 decide, a tail glued on does not hide it */
		.flags = BRK_SCAN_DF_NORB,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 36, .max = 36,
		.home = BRK_SCAN_GITHUB_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"ghu_RjBv0rGgIkkBb4RUc9x7yuZgW8SvrD48UvJI",
			"ghu_gVf53eYfugPp1R8lzy1d31RLu1n4ZS3KNVgc"),
		.neg = BRK_SCAN_LIST(
			"ghu_rv6XnRe5yXh5G1NUVgLzE01P9VYaHR4UlngA",
			"ghu_lmLTWyGowvGW0xMr4d4PqjC0i5Iz2zx9tlO"),
	},
	{
		.id = "github-server-to-server",
		.desc = "GitHub App installation token (CRC32 checked)",
		.anchors = { "ghs_" },
		.verify = brk_scan_verify_crc32_b62,
		/* checksummed: the first 36 decide, a tail glued on does not hide it */
		.flags = BRK_SCAN_DF_NORB,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 36, .max = 36,
		.home = BRK_SCAN_GITHUB_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"ghs_SZnYfuIBrlI7UtxNrdLRknoxza5bu21APa94",
			"ghs_bcIAxBbE9fVO6kPRbbkFCESN1AxbGg1Tg8Ff"),
		.neg = BRK_SCAN_LIST(
			"ghs_zSxJF56k1y5g69JsXGoXHN86iHs35D1hIqNA",
			"ghs_f0LyJ43i6XStRdK5Dw9siroG2gXtlLadq2E"),
	},
	{
		.id = "github-refresh",
		.desc = "GitHub refresh token (CRC32 checked)",
		.anchors = { "ghr_" },
		.verify = brk_scan_verify_crc32_b62,
		/* checksummed: the first 36 decide, a tail glued on does not hide it */
		.flags = BRK_SCAN_DF_NORB,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 36, .max = 36,
		.home = BRK_SCAN_GITHUB_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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",
			"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"),
		.neg = BRK_SCAN_LIST(
			"ghr_kBDzPzcJ1R40IBOUx9sxCZW4AF7BvF4E2AaA",
			"ghr_HeEqs2hNXsMRymnlNzgyk6TL7Bu7Vepa5rV"),
	},
	{
		.id = "github-fine-grained-pat",
		.desc = "GitHub fine-grained personal access token",
		.anchors = { "github_pat_" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 82, .max = 82,
		.home = BRK_SCAN_GITHUB_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"github_pat_zsJ1XIB7xZJnHlbC5blPWF"),
	},
	{
		.id = "gitlab-pat",
		.desc = "GitLab personal access token",
		.anchors = { "glpat-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 20, .max = 80,
		.home = BRK_SCAN_LIST("gitlab.com", "registry.gitlab.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"glpat-XbVQHAofyzjKGdDSLIK1"),
		.neg = BRK_SCAN_LIST(
			"glpat-uN6XPkzGF1EtrXI"),
	},
	{
		.id = "gitlab-deploy-token",
		.desc = "GitLab deploy token",
		.anchors = { "gldt-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 20, .max = 80,
		.home = BRK_SCAN_LIST("gitlab.com", "registry.gitlab.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"gldt-ItnbSvej8IzWzeSnugdf"),
		.neg = BRK_SCAN_LIST(
			"gldt-Ot7YcqoVcVCHWt1"),
	},
	{
		.id = "gitlab-runner-token",
		.desc = "GitLab runner authentication token",
		.anchors = { "glrt-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 20, .max = 80,
		.home = BRK_SCAN_LIST("gitlab.com", "registry.gitlab.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"glrt-RPunZtQR5luYwVvGyZ5x"),
		.neg = BRK_SCAN_LIST(
			"glrt-9RdP1qLO7ceb3St"),
	},
	{
		.id = "gitlab-pipeline-trigger",
		.desc = "GitLab pipeline trigger token",
		.anchors = { "glptt-" },
		.cls = BRK_SCAN_CLS_HEXLO, .min = 40, .max = 40,
		.home = BRK_SCAN_LIST("gitlab.com", "registry.gitlab.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"glptt-7eeff036c9fd67050a5a20ef0650891e0ab0f750"),
		.neg = BRK_SCAN_LIST(
			"glptt-4b7024e1c2f1a0c426ccea8a6646ae66be4"),
	},
	{
		.id = "npm-token",
		.desc = "npm access token (CRC32 checked)",
		.anchors = { "npm_" },
		.verify = brk_scan_verify_crc32_b62,
		/* checksummed: the first 36 decide, a tail glued on does not hide it */
		.flags = BRK_SCAN_DF_NORB,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 36, .max = 36,
		.home = BRK_SCAN_NPM_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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",
			"//registry.npmjs.org/:_authToken=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"),
		.neg = BRK_SCAN_LIST(
			"npm_KGHlEMwbja3UxG0wuk8qUdows5poNE0dG5HA",
			"npm_BJl13xje4PAFXTqGIOasccpjKFmNyj"),
	},
	{
		.id = "pypi-token",
		.desc = "PyPI API token (macaroon)",
		.anchors = { "pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 50, .max = 400,
		.home = BRK_SCAN_LIST("upload.pypi.org", "pypi.org", "test.pypi.org"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"pypi-AgEIcHlwaS5vcmchopAoJwoOC56z2agiecTirXQSUNiC3Q3PlCReSprMtBrFrvuLs6J6rsIHbgjAe0H80wmVXa5zLd6EpNtVXaoj_rFulKchULo-vd8PJ2yID19zzzSRyRbJH9bS8WjYhy8mq8QQmQmNXfhQ7umc73o6ygsnajA3BJK"),
		.neg = BRK_SCAN_LIST(
			"pypi-AgEIcHlwaS5vcmcs3EnXZ6OGn"),
	},
	{
		.id = "rubygems-api-key",
		.desc = "RubyGems API key",
		.anchors = { "rubygems_" },
		.cls = BRK_SCAN_CLS_HEXLO, .min = 48, .max = 48,
		.home = BRK_SCAN_LIST("rubygems.org"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"rubygems_a0ff7906a7943bbf52ef66dc9bd78f0abf7c75993e67be72"),
		.neg = BRK_SCAN_LIST(
			"rubygems_8b7e8871a3c2f950be540c6ecf4577d4989bf879"),
	},
	{
		.id = "nuget-api-key",
		.desc = "NuGet API key",
		.anchors = { "oy2" },
		.flags = BRK_SCAN_DF_LB,
		.verify = brk_scan_verify_lower,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 43, .max = 43,
		.home = BRK_SCAN_LIST("*.nuget.org", "nuget.org"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"oy2rxos30ld25v7pklwyjh11fbq0ma71bwpugey1wqsyug"),
		.neg = BRK_SCAN_LIST(
			"oy2fgxmaphfgbflibkjodws"),
	},
	{
		.id = "dockerhub-pat",
		.desc = "Docker Hub personal access token",
		.anchors = { "dckr_pat_" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 27, .max = 27,
		.home = BRK_SCAN_LIST("hub.docker.com", "*.docker.io", "docker.io", "*.docker.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"dckr_pat_n3C31EyLNhpju-rwL6xdTfLmoiv"),
		.neg = BRK_SCAN_LIST(
			"dckr_pat_6s9AWdRYAXwU"),
	},
	{
		.id = "slack-token",
		.desc = "Slack bot, user and legacy tokens",
		.anchors = { "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-" },
		.verify = brk_scan_verify_slack,
		.cls = BRK_SCAN_CLS_ALNUMDASH, .min = 20, .max = 250,
		.home = BRK_SCAN_LIST("slack.com", "*.slack.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"xoxb-927990650662-2773250884678-EmN7XDAzRxnjbMmQThwInDET",
			"xoxp-978645234434-8818988805217-9IwveypdDjoaQphY4P0sNw33"),
		.neg = BRK_SCAN_LIST(
			"xoxb-not-a-real-token-at-all",
			"xoxb-FXudKGgzz3473Rzl9q61YRVim5sA5C"),
	},
	{
		.id = "slack-app-token",
		.desc = "Slack app-level token",
		.anchors = { "xapp-" },
		.verify = brk_scan_verify_slack,
		.cls = BRK_SCAN_CLS_ALNUMDASH, .min = 30, .max = 250,
		.home = BRK_SCAN_LIST("slack.com", "*.slack.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"xapp-1-AXYNEJ51EEF-0389199328500-6587b415a21126b3240394da6583b2be65d12d1f428a97876fc25b53c62eb7d2"),
		.neg = BRK_SCAN_LIST(
			"xapp-9olQBdwEzDCFZcgK2rkfxPgRhvMJVs3Sm5SfZVZc"),
	},
	{
		.id = "slack-webhook",
		.desc = "Slack incoming webhook URL",
		.anchors = { "hooks.slack.com/services/" },
		.verify = brk_scan_verify_slack_hook,
		.cls = BRK_SCAN_CLS_ALNUMSLASH, .min = 40, .max = 80,
		.home = BRK_SCAN_LIST("hooks.slack.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"https://hooks.slack.com/services/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"),
		.neg = BRK_SCAN_LIST(
			"https://hooks.slack.com/services/your/webhook/url"),
	},
	{
		.id = "stripe-secret-key",
		.desc = "Stripe live secret key",
		.anchors = { "sk_live_" },
		.cls = BRK_SCAN_CLS_ALNUM, .min = 24, .max = 247,
		.home = BRK_SCAN_LIST("api.stripe.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"sk_live_7jyqde5foT"),
	},
	{
		.id = "stripe-restricted-key",
		.desc = "Stripe live restricted key",
		.anchors = { "rk_live_" },
		.cls = BRK_SCAN_CLS_ALNUM, .min = 24, .max = 247,
		.home = BRK_SCAN_LIST("api.stripe.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"rk_live_saQqpSArxG"),
	},
	{
		.id = "stripe-webhook-secret",
		.desc = "Stripe webhook signing secret",
		.anchors = { "whsec_" },
		.cls = BRK_SCAN_CLS_B64PAD, .min = 32, .max = 64,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"whsec_D2JrRNNvLdzOFgy4zZipLZ5ekW5W4aso"),
		.neg = BRK_SCAN_LIST(
			"whsec_n8A2G81hCuSU"),
	},
	{
		.id = "openai-api-key",
		.desc = "OpenAI project, service-account and admin key",
		.anchors = { "sk-proj-", "sk-svcacct-", "sk-admin-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 40, .max = 250,
		.home = BRK_SCAN_LIST("api.openai.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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",
			"sk-svcacct-rB0CDxTmc56ceeL63xz2zTA3c5XAPMcgaGfHGIH2AWULymI03B2Y_lwo3jHusdYLxu_nezEHcMkN0i1HCsS-M0WjDD2-VxKc1qEvgugMoawizCfRtAXxpZr8boy6i7usSmC58YVAlvqCykM_A_vANJ"),
		.neg = BRK_SCAN_LIST(
			"sk-proj-jDiYpuv6AwQ58jwH6AcE"),
	},
	{
		.id = "openai-api-key-legacy",
		.desc = "OpenAI legacy user key (T3BlbkFJ marker)",
		.anchors = { "sk-" },
		.flags = BRK_SCAN_DF_LB,
		.verify = brk_scan_verify_openai_legacy,
		.cls = BRK_SCAN_CLS_ALNUM, .min = 48, .max = 48,
		.home = BRK_SCAN_LIST("api.openai.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"desk-zTqoHSa4MEr8GYrVk3fET3BlbkFJOLklNgnc7fUv9G3crJ0a",
			"sk-rKNSXSud4cRxYgTrcTJ6Z0KfxLnIiZj0kbaqrsHjXT3iHBQW"),
	},
	{
		.id = "anthropic-api-key",
		.desc = "Anthropic API key",
		.anchors = { "sk-ant-api03-", "sk-ant-oat01-", "sk-ant-ort01-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 80, .max = 120,
		.home = BRK_SCAN_LIST("api.anthropic.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"sk-ant-api03-xvJvscAR8oUc8e_8j0Byf7-FCOTuKwWAYYTMu6ngPuLwRegy8FWsNjv_XTWsvq0vdw4obDtSVx0rTjUQHxw4KTHXRuTwZAA"),
		.neg = BRK_SCAN_LIST(
			"sk-ant-api03-cQgX1fD6HoVKmhKdIkWz"),
	},
	{
		.id = "anthropic-admin-key",
		.desc = "Anthropic admin key",
		.anchors = { "sk-ant-admin01-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 80, .max = 120,
		.home = BRK_SCAN_LIST("api.anthropic.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"sk-ant-admin01-L31egBnZ7THMlZuUM5eQOqJAGKSJMOjgTTESH72jLJg8uRZp6gdgzKO4Eqs9vPqgS1uhQKvCJwgN_fpxAO12g59vFY4r9AA"),
		.neg = BRK_SCAN_LIST(
			"sk-ant-admin01-zQHL92cNUBr3KSVhMa4b"),
	},
	{
		.id = "huggingface-token",
		.desc = "Hugging Face user access token",
		.anchors = { "hf_" },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_ALPHA, .min = 34, .max = 34,
		.home = BRK_SCAN_LIST("huggingface.co", "*.huggingface.co"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"hf_vagZGrpHPIWixkNlalYC",
			"hf_MwOpzqsCAhZmuooQyiNZselCJzbttk1234"),
	},
	{
		.id = "huggingface-org-token",
		.desc = "Hugging Face organization token",
		.anchors = { "api_org_" },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_ALPHA, .min = 34, .max = 34,
		.home = BRK_SCAN_LIST("huggingface.co", "*.huggingface.co"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"api_org_xGsQyoRSGM"),
	},
	{
		.id = "twilio-api-key",
		.desc = "Twilio API key SID",
		.anchors = { "SK" },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_HEXLO, .min = 32, .max = 32,
		.home = BRK_SCAN_LIST("api.twilio.com", "*.twilio.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"SKe850b0220d1ede6b3dde2edb61d33252"),
		.neg = BRK_SCAN_LIST(
			"SK713049255ed76e4a59f0bb0a5ca82cf",
			"XSKd0695b6b4bd3fdc38a3e3d269a1ecad7"),
	},
	{
		.id = "sendgrid-api-key",
		.desc = "SendGrid API key",
		.anchors = { "SG." },
		.flags = BRK_SCAN_DF_LB,
		.verify = brk_scan_verify_sendgrid,
		.cls = BRK_SCAN_CLS_AZSECRET, .min = 66, .max = 66,
		.home = BRK_SCAN_LIST("api.sendgrid.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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"),
		.neg = BRK_SCAN_LIST(
			"SG.ub8qfsDAeYw5HBITPzKcH0vwdtzF82"),
	},
	{
		.id = "mailgun-api-key",
		.desc = "Mailgun API key",
		.anchors = { "key-" },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_HEXLO, .min = 32, .max = 32,
		.home = BRK_SCAN_LIST("api.mailgun.net", "api.eu.mailgun.net"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"key-189868cbf2f6bd4826c6535b012287b5"),
		.neg = BRK_SCAN_LIST(
			"key-f0a08510b64175493424",
			"monkey-abc6c07ba911c779f57820d15b9a45d8"),
	},
	{
		.id = "mailchimp-api-key",
		.desc = "Mailchimp API key",
		.anchors = { "-us" },
		.pre_cls = BRK_SCAN_CLS_HEXLO, .pre_min = 32, .pre_max = 32,
		.cls = BRK_SCAN_CLS_DIGIT, .min = 1, .max = 2,
		.home = BRK_SCAN_LIST("*.api.mailchimp.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"7469f8d4020096d22a463175ef53345e-us14"),
		.neg = BRK_SCAN_LIST(
			"84fd961ce8c5b7571643934c82a471e-us14"),
	},
	{
		.id = "discord-bot-token",
		.desc = "Discord bot token",
		.anchors = { "MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT" },
		.verify = brk_scan_verify_discord,
		.flags = BRK_SCAN_DF_LB,
		.regex = "[A-Za-z0-9_\\-]{22,24}\\.[A-Za-z0-9_\\-]{6}\\.[A-Za-z0-9_\\-]{27}",
		.cls = BRK_SCAN_CLS_AZSECRET, .min = 57, .max = 70,
		.home = BRK_SCAN_LIST("discord.com", "discordapp.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"MTWfmVmI2i2TF7kDH0N6af1I2C.tBRAeh.tkxZNkRwzhAS6B71-1fpo9OBi96lvP5OzFgwWz"),
		.neg = BRK_SCAN_LIST(
			"aa90XJNuj0TyeRYtHDMxW0RLLv.8CeP1h.ilpNEGWqJRWvDsAKfeffV2C3ujYL9S9Uz60CDH"),
	},
	{
		.id = "discord-webhook",
		.desc = "Discord webhook URL",
		.anchors = { "discord.com/api/webhooks/", "discordapp.com/api/webhooks/" },
		.cls = BRK_SCAN_CLS_TOKEN68, .min = 80, .max = 100,
		.home = BRK_SCAN_LIST("discord.com", "discordapp.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"https://discord.com/api/webhooks/769895227365768063/HmU2XXGuewIXeMJAsyRgzSv7keb8dDyYHo3SV5OuqBTJxbPgpdbbjyrwvOfeDrUgItdu"),
		.neg = BRK_SCAN_LIST(
			"https://discord.com/api/webhooks/123/abc"),
	},
	{
		.id = "telegram-bot-token",
		.desc = "Telegram bot token",
		.anchors = { ":AA" },
		.pre_cls = BRK_SCAN_CLS_DIGIT, .pre_min = 8, .pre_max = 10,
		.cls = BRK_SCAN_CLS_B64URL, .min = 33, .max = 33,
		.home = BRK_SCAN_LIST("api.telegram.org"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"9385906445:AAV7XCokmwkdnp0C3VCcKRhWp1GVPgVpGpz"),
		.neg = BRK_SCAN_LIST(
			"23451:AASeT7vQisboyjDvF2hI3TUdgZSkSg3wGmI"),
	},
	{
		.id = "shopify-token",
		.desc = "Shopify access, custom-app, private-app and shared-secret tokens",
		.anchors = { "shpat_", "shpca_", "shppa_", "shpss_" },
		.cls = BRK_SCAN_CLS_HEX, .min = 32, .max = 32,
		.home = BRK_SCAN_LIST("*.myshopify.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"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",
			"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"),
		.neg = BRK_SCAN_LIST(
			"shpat_f82f3d2a24ffaa4c"),
	},
	{
		.id = "digitalocean-token",
		.desc = "DigitalOcean personal, OAuth and refresh tokens",
		.anchors = { "dop_v1_", "doo_v1_", "dor_v1_" },
		.cls = BRK_SCAN_CLS_HEXLO, .min = 64, .max = 64,
		.home = BRK_SCAN_LIST("api.digitalocean.com", "cloud.digitalocean.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"dop_v1_a4f39428d8e9682710bbcaa6a5ba7d02c221f7fce9c8984d9ac6754b3a8b8345"),
		.neg = BRK_SCAN_LIST(
			"dop_v1_89546de399f464fd164d85d62c2fa76851df555c"),
	},
	{
		.id = "heroku-api-key",
		.desc = "Heroku API key",
		.anchors = { "HRKU-" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 40, .max = 80,
		.home = BRK_SCAN_LIST("api.heroku.com", "git.heroku.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"HRKU-AAJcY6Tdc8Uzgudu9IQLXpGyHb1jN_6AgfhI0y8CFbtUrXmhH3Pvp7hprOd4"),
		.neg = BRK_SCAN_LIST(
			"HRKU--VHJA_Q-rg"),
	},
	{
		.id = "databricks-token",
		.desc = "Databricks personal access token",
		.anchors = { "dapi" },
		.flags = BRK_SCAN_DF_LB | BRK_SCAN_DF_NORB,
		.cls = BRK_SCAN_CLS_HEXLO, .min = 32, .max = 32,
		.home = BRK_SCAN_LIST("*.cloud.databricks.com", "*.azuredatabricks.net"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"dapidf9ab0edb4d39a5bad68a16b52e55d31",
			"dapi238b23e648bb972488ab4f2c0c5456fa-2"),
		.neg = BRK_SCAN_LIST(
			"dapiad9f63e3c5269adbad01"),
	},
	{
		.id = "vault-token",
		.desc = "HashiCorp Vault service, batch and recovery token",
		.anchors = { "hvs.", "hvb.", "hvr." },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_B64URL, .min = 24, .max = 200,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"hvs.uPbLvay_1f6X9LZftPHIT6ILpd26yiiUnkFT9p7GSa0nj7YMGySKIMWtlajSENlcs0wR3gOcNuPGcHXXkwieGhpK9F"),
		.neg = BRK_SCAN_LIST(
			"hvs.rb5JKvDmTt"),
	},
	{
		.id = "sentry-auth-token",
		.desc = "Sentry organization and user auth token",
		.anchors = { "sntrys_", "sntryu_" },
		.cls = BRK_SCAN_CLS_TOKEN68, .min = 60, .max = 300,
		.home = BRK_SCAN_LIST("sentry.io", "*.sentry.io"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"sntrys_eyJj1d5utm8inKMF06G0XdjY43Qxbyy8jQqbmCger-JaxysbQ0wNrTr3aeiEB0SzrhT2VJdzaIMGayxNoi7rVsG1srGYHLfVkw1u2wnG8YbSbewiRbFOVupbd9N",
			"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"),
		.neg = BRK_SCAN_LIST(
			"sntrys_rTpPcdbm3hm6Ct3SosLU"),
	},
	{
		.id = "datadog-api-key",
		.desc = "Datadog API key",
		.anchors = { "dd_api_key", "datadog_api_key", "dd-api-key", "datadog-api-key" },
		.flags = BRK_SCAN_DF_NOCASE,
		.check = brk_scan_check_kv,
		.pre_max = 4,
		.cls = BRK_SCAN_CLS_HEXLO, .min = 32, .max = 32,
		.home = BRK_SCAN_LIST("*.datadoghq.com", "*.datadoghq.eu", "*.ddog-gov.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"DD_API_KEY=670dd06cf9ccf50e36637c6acc8d9e74",
			"DD-API-KEY: 1d442e3074c43ad81835fde3ff8bc0db"),
		.neg = BRK_SCAN_LIST(
			"DD_API_KEY=f88206a9ccdea5004850"),
	},
	{
		.id = "datadog-app-key",
		.desc = "Datadog application key",
		.anchors = { "dd_app_key", "dd_application_key", "dd-application-key", "datadog_app_key" },
		.flags = BRK_SCAN_DF_NOCASE,
		.check = brk_scan_check_kv,
		.pre_max = 4,
		.cls = BRK_SCAN_CLS_HEXLO, .min = 40, .max = 40,
		.home = BRK_SCAN_LIST("*.datadoghq.com", "*.datadoghq.eu", "*.ddog-gov.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"DD_APP_KEY=35c088d577f5adc329eaa625b61f0c71c9b93052"),
		.neg = BRK_SCAN_LIST(
			"DD_APP_KEY=452b9e5c9012a53bbc69118d0a04f098"),
	},
	{
		.id = "atlassian-api-token",
		.desc = "Atlassian (Jira, Confluence, Bitbucket) API token",
		.anchors = { "ATATT3", "ATCTT3", "ATBB" },
		.verify = brk_scan_verify_atlassian,
		.cls = BRK_SCAN_CLS_B64URLEQ, .min = 150, .max = 260,
		.home = BRK_SCAN_LIST("*.atlassian.net", "api.atlassian.com", "api.bitbucket.org"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"ATATT3xFfGF0ylg7_Mek0TePShCeYK8hAcd2hF2rZTB5nTdGhuLfMMC9d7cn6RyUP2gTTL4j1EqTcngRksByap1z7lyTcX8BLAxmw_Q9NcjwpWsF63DhmdCOtDA9IDWZTtrOtZu54AkxV8OsIYvFBDLbwCNeoWpzmaGVgNAVNAxIUHZdf6hijL=8B435909"),
		.neg = BRK_SCAN_LIST(
			"ATATT3xFfGF0zdtrVS81fKPCOdt_g8EYT1O80r55c96F4rLeBYEAqAPn6tttm3hlXOjSdDUx075kH7osjgMv8_7wwLjR_3rbEx3iMkAxC_nf4eWkbwkyMiY1UrIcuZ82CpUn9Xqfg1TdGf7-GrrqwCs2l3gHmc7miGfLUI3idkbAkfKRFQUxwb"),
	},
	{
		.id = "linear-api-key",
		.desc = "Linear API key",
		.anchors = { "lin_api_" },
		.cls = BRK_SCAN_CLS_ALNUM, .min = 40, .max = 40,
		.home = BRK_SCAN_LIST("api.linear.app"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"lin_api_XLTzQGL5qyQ6EbvVTuDBLOaX8coESD7lAx9d2x3m"),
		.neg = BRK_SCAN_LIST(
			"lin_api_n1ykCWszGh0fh997cdWF"),
	},
	{
		.id = "doppler-token",
		.desc = "Doppler service, personal, CLI and service-account token",
		.anchors = { "dp.pt.", "dp.st.", "dp.ct.", "dp.sa." },
		.cls = BRK_SCAN_CLS_ALNUM, .min = 40, .max = 44,
		.home = BRK_SCAN_LIST("api.doppler.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"dp.pt.VT4q4mJXlFLyc6ooiXtPn1orqDD7msPWZxa9irMw5g6"),
		.neg = BRK_SCAN_LIST(
			"dp.pt.4CZjVNQqL2"),
	},
	{
		.id = "pulumi-token",
		.desc = "Pulumi access token",
		.anchors = { "pul-" },
		.flags = BRK_SCAN_DF_LB,
		.cls = BRK_SCAN_CLS_HEXLO, .min = 40, .max = 40,
		.home = BRK_SCAN_LIST("api.pulumi.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"pul-113bfcace04844989bc215dff1e11547fcbc11ba"),
		.neg = BRK_SCAN_LIST(
			"pul-89812b1c73ca3a136fc60734db484e"),
	},
	{
		.id = "terraform-cloud-token",
		.desc = "Terraform Cloud / Enterprise API token",
		.anchors = { ".atlasv1." },
		.pre_cls = BRK_SCAN_CLS_ALNUM, .pre_min = 14, .pre_max = 14,
		.cls = BRK_SCAN_CLS_B64URL, .min = 60, .max = 70,
		.home = BRK_SCAN_LIST("app.terraform.io"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"mH6S4gYe2Jt2TU.atlasv1.dYaulm5gxxH0dxILljN_xRcSAbCBPdab35EGNyzdW2G9omjHTrzFqU6XvU8n9y6fttB"),
		.neg = BRK_SCAN_LIST(
			"2aaBHtQZ411bpt.atlasv1.7Z28UUFD1VwCUhP_k33e"),
	},
	{
		.id = "grafana-service-account",
		.desc = "Grafana service account token",
		.anchors = { "glsa_" },
		.cls = BRK_SCAN_CLS_B64URL, .min = 41, .max = 41,
		.home = BRK_SCAN_LIST("*.grafana.net"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"glsa_1jXfkeqrz0wKh9ot3ahQovKP571qUIZi_9b53081c"),
		.neg = BRK_SCAN_LIST(
			"glsa_CIhb5JBdoDdW"),
	},
	{
		.id = "newrelic-user-key",
		.desc = "New Relic user API key",
		.anchors = { "NRAK-" },
		.cls = BRK_SCAN_CLS_UPNUM, .min = 27, .max = 27,
		.home = BRK_SCAN_LIST("api.newrelic.com", "api.eu.newrelic.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"NRAK-WR0LN3XQN6XYDGJO941NCX0D8LE"),
		.neg = BRK_SCAN_LIST(
			"NRAK-BJRHBZEDEV"),
	},
	{
		.id = "postman-api-key",
		.desc = "Postman API key",
		.anchors = { "PMAK-" },
		.cls = BRK_SCAN_CLS_ALNUMDASH, .min = 59, .max = 59,
		.home = BRK_SCAN_LIST("api.getpostman.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"PMAK-ebe401cd7df3b919cd91380c-2ef61e6e4d782dfc833ad45a25ef8eebea"),
		.neg = BRK_SCAN_LIST(
			"PMAK-b3f8a40620377e674d0ca0ea"),
	},
	{
		.id = "age-secret-key",
		.desc = "age encryption secret key",
		.anchors = { "AGE-SECRET-KEY-1" },
		.cls = BRK_SCAN_CLS_BECH32, .min = 58, .max = 58,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"AGE-SECRET-KEY-1DTQ20T9ZWNLSRYEAM9EXEQMTP86QKGLZPCWAGEX0LPFLHU58XLESW03X69"),
		.neg = BRK_SCAN_LIST(
			"AGE-SECRET-KEY-1R92CG7T2W5R6QAM3UUK9"),
	},
	{
		.id = "jwt",
		.desc = "JSON Web Token (signed)",
		.anchors = { "eyJ" },
		.flags = BRK_SCAN_DF_LB,
		.check = brk_scan_check_jwt,
		.regex = "[A-Za-z0-9_\\-]{7,}\\.[A-Za-z0-9_\\-]{10,}\\.[A-Za-z0-9_\\-]{16}",
		.maxlen = 4096,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiMDYzMzA3NjM5MyIsICJuYW1lIjogIkphbmUiLCAiaWF0IjogMTUxNjIzOTAyMn0.xVGudwVgY_yeK9trCv9kkkNZat7xoAKnZz3CugepfTs",
			"Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiNTk4NjY3OTUyOSIsICJuYW1lIjogIkphbmUiLCAiaWF0IjogMTUxNjIzOTAyMn0.LTAzRZK7sNMlpdOzC_DPJ83t4W58aKwajl7WUm_5BGb"),
		.neg = BRK_SCAN_LIST(
			"eyJhbGciOiJIUzI1NiJ9",
			"eyJr9jtgW9K7xFAQEKNPJHw.QcXhY8cooevu4HX2B9mf.smn6BWncGE8epp8uOlwHj-Sqt_eTl8"),
	},
	{
		.id = "postgres-uri",
		.desc = "PostgreSQL connection URI with password",
		.anchors = { "postgres://", "postgresql://" },
		.check = brk_scan_check_uri,
		.regex = "[^:@/\\s]{0,128}:[^@/\\s]{1,256}@",
		.maxlen = 420,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"postgres://app:6zsYsK2Puzia15TvYc@db.internal:5432/app"),
		.neg = BRK_SCAN_LIST(
			"postgres://user:password@localhost/db",
			"postgres://localhost:5432/db",
			"postgres://${USER}:${PASS}@host/db"),
	},
	{
		.id = "mysql-uri",
		.desc = "MySQL connection URI with password",
		.anchors = { "mysql://", "mysql2://", "mariadb://" },
		.check = brk_scan_check_uri,
		.regex = "[^:@/\\s]{0,128}:[^@/\\s]{1,256}@",
		.maxlen = 420,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"mysql://app:Dkpl03ATCepQMYdZ4Z@db.internal:3306/app"),
		.neg = BRK_SCAN_LIST(
			"mysql://user:password@localhost/db",
			"mysql://localhost:5432/db",
			"mysql://${USER}:${PASS}@host/db"),
	},
	{
		.id = "mongodb-uri",
		.desc = "MongoDB connection URI with password",
		.anchors = { "mongodb://", "mongodb+srv://" },
		.check = brk_scan_check_uri,
		.regex = "[^:@/\\s]{0,128}:[^@/\\s]{1,256}@",
		.maxlen = 420,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"mongodb://app:CjYpfIVWHrfsvAoLYv@cluster0.abcde.mongodb.net/app"),
		.neg = BRK_SCAN_LIST(
			"mongodb://user:password@localhost/db",
			"mongodb://localhost:5432/db",
			"mongodb://${USER}:${PASS}@host/db"),
	},
	{
		.id = "redis-uri",
		.desc = "Redis connection URI with password",
		.anchors = { "redis://", "rediss://" },
		.check = brk_scan_check_uri,
		.regex = "[^:@/\\s]{0,128}:[^@/\\s]{1,256}@",
		.maxlen = 420,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"redis://app:zJR0YcCTPFRxGwiLz5@cache.internal:6379/0"),
		.neg = BRK_SCAN_LIST(
			"redis://user:password@localhost/db",
			"redis://localhost:5432/db",
			"redis://${USER}:${PASS}@host/db"),
	},
	{
		.id = "amqp-uri",
		.desc = "AMQP (RabbitMQ) URI with password",
		.anchors = { "amqp://", "amqps://" },
		.check = brk_scan_check_uri,
		.regex = "[^:@/\\s]{0,128}:[^@/\\s]{1,256}@",
		.maxlen = 420,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"amqp://app:uzQF2lsZR1zMzrVTFk@mq.internal:5672/vhost"),
		.neg = BRK_SCAN_LIST(
			"amqp://user:password@localhost/db",
			"amqp://localhost:5432/db",
			"amqp://${USER}:${PASS}@host/db"),
	},
	{
		.id = "rsa-private-key",
		.desc = "PEM rsa private key block",
		.anchors = { "-----BEGIN RSA PRIVATE KEY-----" },
		.check = brk_scan_check_pem,
		.regex = "",
		.maxlen = 400,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"-----BEGIN RSA PRIVATE KEY-----\ncrkiK74a/djOQdJgUI1xPhl7W9UjHJSn+ernxuK6Dv1Pw0YC6ybFqDLRy0EP1C9d\nPprMUL3NIIeLCESosW4xp7JtnSIRlFe/VoRtucxmGqkeKpaIS+M6ai1Z00z5edUv\n9DurzkGsqWkC737wyTLqD1ep7ddX/tpYF2mEUDEAhpG8W0ZKGSohNC+EOMkvDcc5\n-----END RSA PRIVATE KEY-----",
			"-----BEGIN RSA PRIVATE KEY-----crkiK74a/djOQdJgUI1xPhl7W9UjHJSn+ernxuK6Dv1Pw0YC6ybFqDLRy0EP1C9dPprMUL3NIIeLCESosW4xp7JtnSIRlFe/VoRtucxmGqkeKpaIS+M6ai1Z00z5edUv9DurzkGsqWkC737wyTLqD1ep7ddX/tpYF2mEUDEAhpG8W0ZKGSohNC+EOMkvDcc5-----END RSA PRIVATE KEY-----",
			"-----BEGIN RSA PRIVATE KEY-----\\ncrkiK74a/djOQdJgUI1xPhl7W9UjHJSn+ernxuK6Dv1Pw0YC6ybFqDLRy0EP1C9d\\nPprMUL3NIIeLCESosW4xp7JtnSIRlFe/VoRtucxmGqkeKpaIS+M6ai1Z00z5edUv\\n9DurzkGsqWkC737wyTLqD1ep7ddX/tpYF2mEUDEAhpG8W0ZKGSohNC+EOMkvDcc5\\n-----END RSA PRIVATE KEY-----"),
		.neg = BRK_SCAN_LIST(
			"-----BEGIN RSA PRIVATE KEY-----\\n\"+e+\"\\n-----END RSA PRIVATE KEY-----"),
	},
	{
		.id = "ec-private-key",
		.desc = "PEM ec private key block",
		.anchors = { "-----BEGIN EC PRIVATE KEY-----" },
		.check = brk_scan_check_pem,
		.regex = "",
		.maxlen = 400,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"-----BEGIN EC PRIVATE KEY-----\nlJDDeGBQ8vgGiZTMthtxJqDZ0+k28NakPE+MOM+gN503trnnx94erzJ2OTJaspmA\n3kUAhkCpgpg1cOOjZs/E3sdpv20k6aObJLAIpTluPN1MLEwsCb/UuBVfZRfuKq03\nOgeILTs1qGcmSJVj7AHkXosfH8jDP3GHLtnUar9qb7Ceh7rFD6gVs6qJNLYTzp8/\n-----END EC PRIVATE KEY-----",
			"-----BEGIN EC PRIVATE KEY-----lJDDeGBQ8vgGiZTMthtxJqDZ0+k28NakPE+MOM+gN503trnnx94erzJ2OTJaspmA3kUAhkCpgpg1cOOjZs/E3sdpv20k6aObJLAIpTluPN1MLEwsCb/UuBVfZRfuKq03OgeILTs1qGcmSJVj7AHkXosfH8jDP3GHLtnUar9qb7Ceh7rFD6gVs6qJNLYTzp8/-----END EC PRIVATE KEY-----",
			"-----BEGIN EC PRIVATE KEY-----\\nlJDDeGBQ8vgGiZTMthtxJqDZ0+k28NakPE+MOM+gN503trnnx94erzJ2OTJaspmA\\n3kUAhkCpgpg1cOOjZs/E3sdpv20k6aObJLAIpTluPN1MLEwsCb/UuBVfZRfuKq03\\nOgeILTs1qGcmSJVj7AHkXosfH8jDP3GHLtnUar9qb7Ceh7rFD6gVs6qJNLYTzp8/\\n-----END EC PRIVATE KEY-----"),
		.neg = BRK_SCAN_LIST(
			"-----BEGIN EC PRIVATE KEY-----\\n\"+e+\"\\n-----END EC PRIVATE KEY-----"),
	},
	{
		.id = "dsa-private-key",
		.desc = "PEM dsa private key block",
		.anchors = { "-----BEGIN DSA PRIVATE KEY-----" },
		.check = brk_scan_check_pem,
		.regex = "",
		.maxlen = 400,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"-----BEGIN DSA PRIVATE KEY-----\nzqrle0DcmcyVDi78Psq1aCcODENth+2MxCLdD3OOB2hPT/yghlaVgipKq2A7Xaga\n0jW6R3qbsmH1OHlpz9ssLahIWYpvgVzh4K1YkUgZ9e2RdoHUw6sdF9arf6dRo48I\n/aJ4lvlcNlPsKwNfGSEWVhYN/AoF5M8zK9LC03D0VMdgu1Vv0oAsj3krVESGAeDb\n-----END DSA PRIVATE KEY-----",
			"-----BEGIN DSA PRIVATE KEY-----zqrle0DcmcyVDi78Psq1aCcODENth+2MxCLdD3OOB2hPT/yghlaVgipKq2A7Xaga0jW6R3qbsmH1OHlpz9ssLahIWYpvgVzh4K1YkUgZ9e2RdoHUw6sdF9arf6dRo48I/aJ4lvlcNlPsKwNfGSEWVhYN/AoF5M8zK9LC03D0VMdgu1Vv0oAsj3krVESGAeDb-----END DSA PRIVATE KEY-----",
			"-----BEGIN DSA PRIVATE KEY-----\\nzqrle0DcmcyVDi78Psq1aCcODENth+2MxCLdD3OOB2hPT/yghlaVgipKq2A7Xaga\\n0jW6R3qbsmH1OHlpz9ssLahIWYpvgVzh4K1YkUgZ9e2RdoHUw6sdF9arf6dRo48I\\n/aJ4lvlcNlPsKwNfGSEWVhYN/AoF5M8zK9LC03D0VMdgu1Vv0oAsj3krVESGAeDb\\n-----END DSA PRIVATE KEY-----"),
		.neg = BRK_SCAN_LIST(
			"-----BEGIN DSA PRIVATE KEY-----\\n\"+e+\"\\n-----END DSA PRIVATE KEY-----"),
	},
	{
		.id = "openssh-private-key",
		.desc = "PEM openssh private key block",
		.anchors = { "-----BEGIN OPENSSH PRIVATE KEY-----" },
		.check = brk_scan_check_pem,
		.regex = "",
		.maxlen = 400,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"-----BEGIN OPENSSH PRIVATE KEY-----\nBh5jwLvHf2F0pc54CSwEzXR8l8fYwEuc7GUcLW+JvSNCvR0F5YdDKbqS/jJUL3bd\nUl9YHPgspMdnO6B2q2LQHf6puG0cBokuPy10gFfrPnIo8D3+z2R/En1zwq/SoTMB\n6xS8sbC7QUvz4dLfgsqXL8x8sILjSvHPjXl9oJjxrkAb08v41zwS0S6bb6AE4ORM\n-----END OPENSSH PRIVATE KEY-----",
			"-----BEGIN OPENSSH PRIVATE KEY-----Bh5jwLvHf2F0pc54CSwEzXR8l8fYwEuc7GUcLW+JvSNCvR0F5YdDKbqS/jJUL3bdUl9YHPgspMdnO6B2q2LQHf6puG0cBokuPy10gFfrPnIo8D3+z2R/En1zwq/SoTMB6xS8sbC7QUvz4dLfgsqXL8x8sILjSvHPjXl9oJjxrkAb08v41zwS0S6bb6AE4ORM-----END OPENSSH PRIVATE KEY-----",
			"-----BEGIN OPENSSH PRIVATE KEY-----\\nBh5jwLvHf2F0pc54CSwEzXR8l8fYwEuc7GUcLW+JvSNCvR0F5YdDKbqS/jJUL3bd\\nUl9YHPgspMdnO6B2q2LQHf6puG0cBokuPy10gFfrPnIo8D3+z2R/En1zwq/SoTMB\\n6xS8sbC7QUvz4dLfgsqXL8x8sILjSvHPjXl9oJjxrkAb08v41zwS0S6bb6AE4ORM\\n-----END OPENSSH PRIVATE KEY-----"),
		.neg = BRK_SCAN_LIST(
			"-----BEGIN OPENSSH PRIVATE KEY-----\\n\"+e+\"\\n-----END OPENSSH PRIVATE KEY-----"),
	},
	{
		.id = "pkcs8-private-key",
		.desc = "PEM private key block",
		.anchors = { "-----BEGIN PRIVATE KEY-----" },
		.check = brk_scan_check_pem,
		.regex = "",
		.maxlen = 400,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"-----BEGIN PRIVATE KEY-----\nYSeZKiUXLZqk8TwqIJw8mrOPQG52JtKfrnn9wUEmF0iQWz2AZzZQ8wWanKwNYdZb\n7kY86BOETmNyB5uDEDrEgQxjHH1wtpG00bTSzOpMAUjFBmcU2d1ZDRD7iDBxIIYF\nxqRUp9wlXTx7RGP6H+XuquCC7K/lZjq2OGxg6fmIGr7wsZccCeDPPxw3iTPHWuNs\n-----END PRIVATE KEY-----",
			"-----BEGIN PRIVATE KEY-----YSeZKiUXLZqk8TwqIJw8mrOPQG52JtKfrnn9wUEmF0iQWz2AZzZQ8wWanKwNYdZb7kY86BOETmNyB5uDEDrEgQxjHH1wtpG00bTSzOpMAUjFBmcU2d1ZDRD7iDBxIIYFxqRUp9wlXTx7RGP6H+XuquCC7K/lZjq2OGxg6fmIGr7wsZccCeDPPxw3iTPHWuNs-----END PRIVATE KEY-----",
			"-----BEGIN PRIVATE KEY-----\\nYSeZKiUXLZqk8TwqIJw8mrOPQG52JtKfrnn9wUEmF0iQWz2AZzZQ8wWanKwNYdZb\\n7kY86BOETmNyB5uDEDrEgQxjHH1wtpG00bTSzOpMAUjFBmcU2d1ZDRD7iDBxIIYF\\nxqRUp9wlXTx7RGP6H+XuquCC7K/lZjq2OGxg6fmIGr7wsZccCeDPPxw3iTPHWuNs\\n-----END PRIVATE KEY-----"),
		.neg = BRK_SCAN_LIST(
			"-----BEGIN PRIVATE KEY-----\\n\"+e+\"\\n-----END PRIVATE KEY-----"),
	},
	{
		.id = "pkcs8-encrypted-private-key",
		.desc = "PEM encrypted private key block",
		.anchors = { "-----BEGIN ENCRYPTED PRIVATE KEY-----" },
		.check = brk_scan_check_pem,
		.regex = "",
		.maxlen = 400,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"-----BEGIN ENCRYPTED PRIVATE KEY-----\nJvV7rVPj0u5Dx6lj+cv6DiDOiaCkDFf3fBIZ/X0al/e+iqAbnaRiaF9o2HPKwbvP\nR2NkqlQG/4UKRFbDwZ5muS7IIToQnLBf6yLcHgeFUMPo6CdyFkaJ9AjlPMmT+1tF\nS9ujvWKOkL0ddBOZaoYjETe4WJycMjlficVvGJWxuKuCF+AXwE/xexA3ftEQSuac\n-----END ENCRYPTED PRIVATE KEY-----",
			"-----BEGIN ENCRYPTED PRIVATE KEY-----JvV7rVPj0u5Dx6lj+cv6DiDOiaCkDFf3fBIZ/X0al/e+iqAbnaRiaF9o2HPKwbvPR2NkqlQG/4UKRFbDwZ5muS7IIToQnLBf6yLcHgeFUMPo6CdyFkaJ9AjlPMmT+1tFS9ujvWKOkL0ddBOZaoYjETe4WJycMjlficVvGJWxuKuCF+AXwE/xexA3ftEQSuac-----END ENCRYPTED PRIVATE KEY-----",
			"-----BEGIN ENCRYPTED PRIVATE KEY-----\\nJvV7rVPj0u5Dx6lj+cv6DiDOiaCkDFf3fBIZ/X0al/e+iqAbnaRiaF9o2HPKwbvP\\nR2NkqlQG/4UKRFbDwZ5muS7IIToQnLBf6yLcHgeFUMPo6CdyFkaJ9AjlPMmT+1tF\\nS9ujvWKOkL0ddBOZaoYjETe4WJycMjlficVvGJWxuKuCF+AXwE/xexA3ftEQSuac\\n-----END ENCRYPTED PRIVATE KEY-----"),
		.neg = BRK_SCAN_LIST(
			"-----BEGIN ENCRYPTED PRIVATE KEY-----\\n\"+e+\"\\n-----END ENCRYPTED PRIVATE KEY-----"),
	},
	{
		.id = "pgp-private-key",
		.desc = "PEM pgp private key block block",
		.anchors = { "-----BEGIN PGP PRIVATE KEY BLOCK-----" },
		.check = brk_scan_check_pem,
		.regex = "",
		.maxlen = 400,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"-----BEGIN PGP PRIVATE KEY BLOCK-----\nx+X5hOrpZ1iNL6zocXkVsxH87qMKsLe2ibvd1KBybQ3HXM9oXzBDj9UyrIlmW24y\nV0Fxdl3gAQbeC4lvRZSqe/XyL08aCLNEdxBOAz+UpVQf5SD8tMRa48Osl6BbFnlH\nkfWhSOsu5JiEecFA53AopCupfAR7a7BaRCQ4bFiREAc9jAcRvNK+blEeJlOOiupZ\n-----END PGP PRIVATE KEY BLOCK-----",
			"-----BEGIN PGP PRIVATE KEY BLOCK-----x+X5hOrpZ1iNL6zocXkVsxH87qMKsLe2ibvd1KBybQ3HXM9oXzBDj9UyrIlmW24yV0Fxdl3gAQbeC4lvRZSqe/XyL08aCLNEdxBOAz+UpVQf5SD8tMRa48Osl6BbFnlHkfWhSOsu5JiEecFA53AopCupfAR7a7BaRCQ4bFiREAc9jAcRvNK+blEeJlOOiupZ-----END PGP PRIVATE KEY BLOCK-----",
			"-----BEGIN PGP PRIVATE KEY BLOCK-----\\nx+X5hOrpZ1iNL6zocXkVsxH87qMKsLe2ibvd1KBybQ3HXM9oXzBDj9UyrIlmW24y\\nV0Fxdl3gAQbeC4lvRZSqe/XyL08aCLNEdxBOAz+UpVQf5SD8tMRa48Osl6BbFnlH\\nkfWhSOsu5JiEecFA53AopCupfAR7a7BaRCQ4bFiREAc9jAcRvNK+blEeJlOOiupZ\\n-----END PGP PRIVATE KEY BLOCK-----"),
		.neg = BRK_SCAN_LIST(
			"-----BEGIN PGP PRIVATE KEY BLOCK-----\\n\"+e+\"\\n-----END PGP PRIVATE KEY BLOCK-----"),
	},
	{
		.id = "bearer-token",
		.desc = "Authorization: Bearer credential (any token)",
		.anchors = { "bearer" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_LB | BRK_SCAN_DF_GENERIC,
		.check = brk_scan_check_bearer,
		.regex = "[ \\t]+[A-Za-z0-9._~+/=\\-]{20}",
		.min = 20, .max = 2048,
		.maxlen = 2100,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"Authorization: Bearer iJfF6rU8NqgSHM9hw8ctBKdG2QpXFUSNQiSFE1lz"),
		.neg = BRK_SCAN_LIST(
			"Authorization: Bearer <token>",
			"the bearer of this letter is fine",
			"Authorization: Bearer ${TOKEN}"),
	},
	{
		.id = "basic-auth",
		.desc = "Authorization: Basic credential",
		.anchors = { "authorization:" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_GENERIC,
		.check = brk_scan_check_basic,
		.regex = "[ \\t]*basic[ \\t]+[A-Za-z0-9+/=]{8}",
		.maxlen = 300,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"Authorization: Basic ZGVwbG95Olg4RjR2cWc0eGlJcEJSb1k=",
			"Authorization: Basic OjdiM2U5ZjIxLTVjNGQtNGE4ZS1iMWY2LTkyZDBjN2U0YTM1OA==",
			"Authorization: Basic cms3UXo5TW0yVng0S3A4V3MzTG42Og=="),
		.neg = BRK_SCAN_LIST(
			"Authorization: Basic anVzdHVzZXI=",
			"Authorization: Basic Z3Vlc3Q6",
			"Authorization: Basic"),
	},
	{
		.id = "cookie-secret",
		.desc = "Cookie whose name says secret (api_key, token, password, auth) "
			"with a random value; session, CSRF and analytics cookies pass",
		.anchors = { "cookie:" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_LB | BRK_SCAN_DF_GENERIC,
		.check = brk_scan_check_cookie,
		.regex = "[ \\t]*[!-~]",
		.cls = BRK_SCAN_CLS_SECRET, .min = 16, .max = 512,
		.maxlen = 4096,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"Cookie: api_key=9f86d081884c7d659a2feaa0c55ad015; theme=dark",
			"Cookie: _ga=GA1.2.3; access_token=Pa5WGidNXynxt1Q7Gi1W6IgRQI0gDoQw",
			"cookie: sid=1; db_password=1bUya8evpFBP22vpDFq5f09T; x=1",
			"Cookie: AUTH=\"cHz7nEt4BiiNG1WFmSPWmWwvTghgL3Xu\""),
		.neg = BRK_SCAN_LIST(
			"Cookie: PHPSESSID=9f86d081884c7d659a2feaa0c55ad015; theme=dark",
			"Cookie: session=Pa5WGidNXynxt1Q7Gi1W6IgRQI0gDoQw",
			"Cookie: csrftoken=cHz7nEt4BiiNG1WFmSPWmWwvTghgL3Xu; sessionid=1bUya8evpFBP22vpDFq5f09T",
			"Cookie: _ga=GA1.2.1716451276.1700000000; _gid=GA1.2.1923.1700000000",
			"Cookie: next-auth.session-token=Pa5WGidNXynxt1Q7Gi1W6IgRQI0gDoQw",
			"Cookie: XSRF-TOKEN=Pa5WGidNXynxt1Q7Gi1W6IgRQI0gDoQw",
			"Cookie: auth_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2lnbmF0dXJl",
			"Cookie: token_type=bearer; theme=dark",
			"Set-Cookie: api_key=9f86d081884c7d659a2feaa0c55ad015; Path=/"),
	},
	{
		.id = "generic-secret",
		.desc = "Random-looking value assigned to a secret-named key",
		.anchors = { "password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "access_key", "auth_key", "private_key" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_GENERIC | BRK_SCAN_DF_ENTROPY | BRK_SCAN_DF_KEYED,
		.check = brk_scan_check_kv,
		.pre_max = 24,
		.cls = BRK_SCAN_CLS_SECRET, .min = 16, .max = 256,
		.action = BRK_SCAN_WARN,
		.pos = BRK_SCAN_LIST(
			"{\"client_secret\": \"Pa5WGidNXynxt1Q7Gi1W6IgRQI0gDoQw\"}",
			"MY_APP_TOKEN=s2FUjsNUwStX3gcal2h2czqTrK8UTaczGyyEAFG1",
			"db_password: 1bUya8evpFBP22vpDFq5f09T",
			"<client_secret>9rsvu97FsHitj7874KnKZqnQRwaaN70Q</client_secret>",
			"Cookie: api_key=9f86d081884c7d659a2feaa0c55ad015; theme=dark",
			"Cookie: app_token=Pa5WGidNXynxt1Q7.Gi1W6IgRQI0gDoQw"),
		.neg = BRK_SCAN_LIST(
			/* a session cookie is the site's own (cookie-secret) */
			"Cookie: session_token=Pa5WGidNXynxt1Q7.Gi1W6IgRQI0gDoQw",
			"Cookie: a=1; csrf_token=Pa5WGidNXynxt1Q7Gi1W6IgRQI0gDoQw; b=2",
			"\"js-tokens\": \"^4.0.0\"",
			"<token>Bearer</token><password>Password must be set</password>",
			"const secret = k8Hx2Lq9Pz4Vn7Ws.toString();",
			"token = Zq8Wm3Rk5Tn7Yp2Lx.services.auth.getToken(user)",
			"api_key=0000000000000000000000000000000a",
			"password: \"Password must be at least 8 characters\"",
			"token=aaaaaaaaaaaaaaaaaaaaaaaa",
			"\"secret\": \"${SECRET_VALUE_FROM_ENV}\""),
	},
	{
		.id = "npm-token-legacy",
		.desc = "npm legacy (UUID) auth token, by its key name",
		.anchors = { "_authToken", "npm_token", "npmtoken", "npm-token", "npm_auth_token", "npm-auth-token", "npmAuthToken", "node_auth_token", "node-auth-token" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_KEYED,
		.check = brk_scan_check_kv,
		.verify = brk_scan_verify_uuid,
		.pre_max = 2,
		.cls = BRK_SCAN_CLS_ALNUMDASH, .min = 36, .max = 36,
		.home = BRK_SCAN_NPM_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"//registry.npmjs.org/:_authToken=7b3e9f21-5c4d-4a8e-b1f6-92d0c7e4a358",
			"{\"NPM_TOKEN\": \"e41c8a07-93bd-4f25-a6e1-0d7f2b95c3a4\"}",
			"<npmAuthToken>5f2d7c91-0ae4-4b38-9c6f-e1a8b3d47025</npmAuthToken>",
			"NODE_AUTH_TOKEN=c9a04e7b-62f1-4d8c-bb35-7e19f0a6d2c8"),
		.neg = BRK_SCAN_LIST(
			"//registry.npmjs.org/:_authToken=00000000-0000-0000-0000-000000000000",
			"//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
			"{\"id\": \"7b3e9f21-5c4d-4a8e-b1f6-92d0c7e4a358\"}"),
	},
	{
		.id = "heroku-api-key-legacy",
		.desc = "Heroku API key (UUID format), by its key name",
		.anchors = { "heroku_api_key", "herokuapikey", "heroku-api-key", "heroku_api_token", "heroku-api-token", "heroku_auth_token", "heroku_token", "heroku-token", "heroku_key" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_KEYED,
		.check = brk_scan_check_kv,
		.verify = brk_scan_verify_uuid,
		.pre_max = 2,
		.cls = BRK_SCAN_CLS_ALNUMDASH, .min = 36, .max = 36,
		.home = BRK_SCAN_LIST("api.heroku.com", "git.heroku.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"HEROKU_API_KEY=3d8f1a6c-94e2-47b0-a5c3-e7f1092b6d84",
			"{\"herokuApiKey\":\"a17c5e92-3b0d-4f6a-8e24-c9d5f0b7a613\"}"),
		.neg = BRK_SCAN_LIST(
			"HEROKU_API_KEY=ffffffff-ffff-ffff-ffff-ffffffffffff",
			"heroku_app_id=3d8f1a6c-94e2-47b0-a5c3-e7f1092b6d84"),
	},
	{
		.id = "twilio-auth-token",
		.desc = "Twilio auth token (32 hex), by its key name",
		.anchors = { "auth_token", "authtoken", "auth-token" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_KEYED,
		.check = brk_scan_check_kv,
		.verify = brk_scan_verify_hex_mixed,
		.pre_max = 2,
		.cls = BRK_SCAN_CLS_HEX, .min = 32, .max = 32,
		.home = BRK_SCAN_LIST("api.twilio.com", "*.twilio.com"),
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"TWILIO_AUTH_TOKEN=4f9c2e71a8d35b60e1c7f94a2d8b063e",
			"{\"authToken\": \"9a1e5c3f7b2d4068e9f1a3c5b7d90e2f\"}",
			"<AuthToken>c82f4a9e16b7d3059f4e8a2c6b1d7e30</AuthToken>",
			"X-Twilio-Auth-Token: 7e3b9d1f5a2c8046b7e9d3f1a5c28b40"),
		.neg = BRK_SCAN_LIST(
			"auth_token=00000000000000000000000000000000",
			"auth_token=deadbeefdeadbeefdeadbeefdeadbeef",
			"\"authTokenExpiry\": \"1700000000\""),
	},
	{
		.id = "npm-auth-basic",
		.desc = "npm _auth: base64 user:password for a registry",
		.anchors = { "_auth" },
		.flags = BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_KEYED,
		.check = brk_scan_check_kv,
		.verify = brk_scan_verify_userpass,
		.cls = BRK_SCAN_CLS_B64PAD, .min = 8, .max = 400,
		.home = BRK_SCAN_NPM_HOMES,
		.action = BRK_SCAN_BLOCK,
		.pos = BRK_SCAN_LIST(
			"_auth=YWxpY2U6czNjcjN0UDRzc3cwcmRYcTk=",
			"//npm.example.com/:_auth = \"ZGVwbG95OnE4bUZ2WjJrUnRMOXdY\"",
			"{\"_auth\":\"Y2k6N0tmcVp3M3hOOXBFMm1SYg==\"}"),
		.neg = BRK_SCAN_LIST(
			"_auth=${NPM_AUTH}",
			"_authToken=YWxpY2U6czNjcjN0UDRzc3cwcmRYcTk=",
			"_auth=bm9jb2xvbmhlcmVhdGFsbA=="),
	},
};

const size_t brk_scan_ndetectors = sizeof(brk_scan_detectors) / sizeof(brk_scan_detectors[0]);

int brk_scan_det_specific_at(const uint8_t *buf, size_t len, size_t lo, size_t hi, int final,
			     int want)
{
	size_t i, k, at;

	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];
		brk_scan_check_fn *fn = d->check ? d->check : brk_scan_check_shape;

		if (d->flags & BRK_SCAN_DF_GENERIC)
			continue;
		for (k = 0; k < BRK_SCAN_MAX_ANCHORS && d->anchors[k]; k++) {
			const char *a = d->anchors[k];
			size_t al = strlen(a), s = 0, e = 0;
			int nocase = !!(d->flags & BRK_SCAN_DF_NOCASE);
			unsigned char a0 = (unsigned char)tolower((unsigned char)a[0]);

			/* the next candidate position by memmem() (or a first-byte
			 * test): the same positions in the same order as comparing
			 * at every byte, which cost ~4 M instructions per start over
			 * the environment's values (brk_known_recognize()) */
			for (at = lo; at < hi && at + al <= len; at++) {
				const uint8_t *f;

				if (!al)
					break;
				if (!nocase) {
					f = memmem(buf + at, len - at < hi - at + al - 1 ? len - at
						   : hi - at + al - 1, a, al);
					if (!f)
						break;
					at = (size_t)(f - buf);
				} else if ((unsigned char)tolower(buf[at]) != a0 ||
					   strncasecmp((const char *)buf + at, a, al) != 0) {
					continue;
				}
				if (fn(d, buf, len, at, (unsigned)k, final, &s, &e) == want)
					return (int)i;
			}
		}
	}
	return -1;
}

const struct brk_scan_det *brk_scan_det_find(const char *id)
{
	size_t i;

	for (i = 0; i < brk_scan_ndetectors; i++)
		if (strcmp(brk_scan_detectors[i].id, id) == 0)
			return &brk_scan_detectors[i];
	return NULL;
}
