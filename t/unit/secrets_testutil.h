/* SPDX-License-Identifier: MIT */
/*
 * secrets_testutil.h - what the collector tests (secrets_test.c,
 * secrets_cloud_test.c) share: a fake HOME (dir), writing a file in it,
 * finding a collected value and one of its homes. Statics: each test file
 * has its own copy.
 */
#ifndef DLP_T_UNIT_SECRETS_TESTUTIL_H
#define DLP_T_UNIT_SECRETS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "broker/secrets.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const struct brk_secret *find(const struct brk_secrets *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].len == strlen(v) && memcmp(s->v[i].value, v, s->v[i].len) == 0)
			return &s->v[i];
	return NULL;
}

static int has_home(const struct brk_secret *x, const char *h)
{
	size_t i;

	for (i = 0; x && i < x->nhome; i++)
		if (strcmp(x->home[i], h) == 0)
			return 1;
	return 0;
}

#endif /* DLP_T_UNIT_SECRETS_TESTUTIL_H */
