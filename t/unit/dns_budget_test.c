/* SPDX-License-Identifier: MIT */
/* dns_budget_test.c - registrable domains, counters, reassembly, threads. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker/dns/dns_budget.h"
#include "broker/dns/dns_msg.h"

START_TEST(split_registrable)
{
	struct brk_dns_name n;

	ck_assert_int_eq(brk_dns_name_split("a.b.Evil.Example", &n), 0);
	ck_assert_str_eq(n.regdom, "evil.example");
	ck_assert_uint_eq(n.nlabels, 4);
	ck_assert_uint_eq(n.reg_first, 2);
	ck_assert_int_eq(brk_dns_name_split("d111abcdef8.cloudfront.net.", &n), 0);
	ck_assert_str_eq(n.regdom, "d111abcdef8.cloudfront.net");
	ck_assert_uint_eq(n.reg_first, 0);
	ck_assert_int_eq(brk_dns_name_split("x.y.foo.co.uk", &n), 0);
	ck_assert_str_eq(n.regdom, "foo.co.uk");
	ck_assert_int_eq(brk_dns_name_split("com", &n), 0);
	ck_assert_str_eq(n.regdom, "com");
	ck_assert_int_eq(brk_dns_name_split("github.io", &n), 0);
	ck_assert_str_eq(n.regdom, "github.io");
	ck_assert_int_eq(brk_dns_name_split(".", &n), 0);
	ck_assert_str_eq(n.regdom, ".");
	/* A binary label never reaches libpsl, the domain is still found. */
	ck_assert_int_eq(brk_dns_name_split("\\255\\000.evil.example", &n), 0);
	ck_assert_str_eq(n.regdom, "evil.example");
	ck_assert_int_eq(n.reg_clean, 1);
	ck_assert_int_eq(brk_dns_name_split("x.\\255.com", &n), 0);
	ck_assert_int_eq(n.reg_clean, 0);
	ck_assert_int_eq(brk_dns_name_split("a..b", &n), -EINVAL);
}
END_TEST

static void rec(struct brk_dns_budget *b, const char *name, uint16_t t,
		size_t he, struct brk_dns_domain_stats *st,
		struct brk_dns_reasm *ra)
{
	struct brk_dns_name n;
	struct brk_dns_obs o = { .name = &n, .qtype = t, .he_bytes = he,
				 .he_labels = he ? 1 : 0 };

	ck_assert_int_eq(brk_dns_name_split(name, &n), 0);
	ck_assert_int_eq(brk_dns_budget_record(b, &o, st, ra), 0);
}

START_TEST(counters_unique_and_bytes)
{
	struct brk_dns_budget *b;
	struct brk_dns_domain_stats st;

	ck_assert_int_eq(brk_dns_budget_new(&b, 0), 0);
	rec(b, "abcdefgh.evil.example", BRK_DNS_T_A, 8, &st, NULL);
	ck_assert_int_eq(st.new_sub, 1);
	rec(b, "ABCDEFGH.evil.example", BRK_DNS_T_AAAA, 8, &st, NULL);
	ck_assert_int_eq(st.new_sub, 1);	/* case is data */
	rec(b, "abcdefgh.evil.example", BRK_DNS_T_AAAA, 8, &st, NULL);
	ck_assert_int_eq(st.new_sub, 0);
	rec(b, "evil.example", BRK_DNS_T_TXT, 0, &st, NULL);
	ck_assert_uint_eq(st.queries, 4);
	ck_assert_uint_eq(st.unique_subs, 2);
	ck_assert_uint_eq(st.unique_he_subs, 2);
	ck_assert_uint_eq(st.he_bytes, 16);
	ck_assert_uint_eq(st.qtype_txt, 1);
	ck_assert_uint_eq(st.tunnel_queries, 1);
	rec(b, "zz.other.example", BRK_DNS_T_A, 5, &st, NULL);
	ck_assert_uint_eq(st.session_he_bytes, 21);
	ck_assert_uint_eq(st.domains, 2);
	ck_assert_int_eq(brk_dns_budget_lookup(b, "evil.example", &st), 0);
	ck_assert_uint_eq(st.queries, 4);
	ck_assert_int_eq(brk_dns_budget_lookup(b, "nope.example", &st), -ENOENT);
	ck_assert_ptr_null(st.blocked);
	ck_assert_int_eq(brk_dns_budget_block(b, "evil.example", "r1"), 0);
	ck_assert_int_eq(brk_dns_budget_block(b, "evil.example", "r2"), 0);
	rec(b, "q.evil.example", BRK_DNS_T_A, 0, &st, NULL);
	ck_assert_str_eq(st.blocked, "r1");
	brk_dns_budget_free(b);
}
END_TEST

START_TEST(table_full)
{
	struct brk_dns_budget *b;
	struct brk_dns_domain_stats st;
	char name[64];
	int i;

	ck_assert_int_eq(brk_dns_budget_new(&b, 20), 0);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "www.d%d.example", i);
		rec(b, name, BRK_DNS_T_A, 0, &st, NULL);
		ck_assert_int_eq(st.table_full, 0);
	}
	rec(b, "www.d99.example", BRK_DNS_T_A, 0, &st, NULL);
	ck_assert_int_eq(st.table_full, 1);
	rec(b, "www.d3.example", BRK_DNS_T_A, 0, &st, NULL);
	ck_assert_int_eq(st.table_full, 0);
	brk_dns_budget_free(b);
}
END_TEST

struct found {
	int hit;
	unsigned depth;
};

static int on_reasm(unsigned depth, const struct brk_dns_candidate *c,
		    void *ctx)
{
	struct found *f = ctx;

	if (c->printable == 1.0 && memmem(c->data, c->len, "AKIA", 4)) {
		f->hit = 1;
		f->depth = depth;
		return 1;
	}
	return 0;
}

/* base32("AKIAIOSFODNN7EXAMPLE") sent 4 characters per query, with a
 * sequence number label in front: the per-depth stream reassembles it. */
START_TEST(reassembly_across_queries)
{
	static const char enc[] = "IFFUSQKJJ5JUMT2EJZHDORKYIFGVATCF";
	struct brk_dns_budget *b;
	struct brk_dns_domain_stats st;
	struct brk_dns_reasm ra;
	struct found f = { 0, 0 };
	char name[128];
	size_t i;

	ck_assert_int_eq(brk_dns_budget_new(&b, 0), 0);
	for (i = 0; i + 4 <= sizeof(enc) - 1 && !f.hit; i += 4) {
		snprintf(name, sizeof(name), "%.4s.%zu.evil.example", enc + i, i);
		rec(b, name, BRK_DNS_T_A, 0, &st, &ra);
		ck_assert_int_eq(brk_dns_reasm_walk(&ra, 0, 16, on_reasm, &f) >= 0, 1);
	}
	ck_assert_int_eq(f.hit, 1);
	ck_assert_uint_eq(f.depth, 2);
	/* A repeated name adds nothing. */
	rec(b, name, BRK_DNS_T_AAAA, 0, &st, &ra);
	ck_assert_int_eq(st.new_sub, 0);
	brk_dns_budget_free(b);
}
END_TEST

/* The same secret with the counter inside the label ("IFFU-0", "SQKJ-4"):
 * the counter-free twin of the depth stream reassembles it, and the
 * counter run grows with every piece, one ahead for an offset counter
 * (k 0, 3) and for an index that starts the drip at 0 with step 1 (k 1, 2). */
START_TEST(reassembly_with_counters)
{
	static const char enc[] = "IFFUSQKJJ5JUMT2EJZHDORKYIFGVATCF";
	size_t i, k;

	for (k = 0; k < 4; k++) {
		struct brk_dns_budget *b;
		struct brk_dns_domain_stats st;
		struct brk_dns_reasm ra;
		struct found f = { 0, 0 };
		char name[128];

		ck_assert_int_eq(brk_dns_budget_new(&b, 0), 0);
		for (i = 0; i + 4 <= sizeof(enc) - 1 && !f.hit; i += 4) {
			if (k == 0)
				snprintf(name, sizeof(name), "%.4s-%zu.x.evil.example", enc + i, i);
			else if (k == 1)
				snprintf(name, sizeof(name), "%zu-%.4s.x.evil.example", i / 4, enc + i);
			else if (k == 2)
				snprintf(name, sizeof(name), "p%zu_%.4s.x.evil.example", i / 4, enc + i);
			else
				snprintf(name, sizeof(name), "%.4s--%03zu.x.evil.example", enc + i, i);
			rec(b, name, BRK_DNS_T_A, 0, &st, &ra);
			ck_assert_uint_eq(st.counter_run, i == 0 ? 1 : i / 4 + 2);
			ck_assert_int_eq(brk_dns_reasm_walk(&ra, 0, 16, on_reasm, &f) >= 0, 1);
		}
		ck_assert_msg(f.hit, "form %zu not reassembled", k);
		ck_assert_uint_eq(f.depth, BRK_DNS_REASM_DEPTHS + 1 + 2);
		brk_dns_budget_free(b);
	}
}
END_TEST

START_TEST(label_counter_forms)
{
	static const struct {
		const char *l;
		int form, ok;
		const char *data;
		unsigned long ctr;
	} t[] = {
		{ "6768-0", 0, 1, "6768", 0 }, { "705f-4", 0, 1, "705f", 4 },
		{ "QUtJ_12", 0, 1, "QUtJ", 12 }, { "ab--007", 0, 1, "ab", 7 },
		{ "3-QUtJ", 1, 1, "QUtJ", 3 }, { "p3-QUtJ", 1, 1, "QUtJ", 3 },
		{ "cdn-01", 0, 1, "cdn", 1 },
		/* numbered names, not data: ip-10-0-0-1, shard-3-of-8 */
		{ "ip-10-0-0-1", 0, 0, NULL, 0 }, { "shard-3-of-8", 0, 0, NULL, 0 },
		{ "a-1", 0, 0, NULL, 0 }, { "abcdef", 0, 0, NULL, 0 }, { "1234567-ab", 1, 0, NULL, 0 },
		{ "x-1234567", 0, 0, NULL, 0 }, { "-12", 0, 0, NULL, 0 },
	};
	size_t i, off, len;
	unsigned long c;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = brk_dns_label_counter((const uint8_t *)t[i].l, strlen(t[i].l), t[i].form,
					      &off, &len, &c);

		ck_assert_msg(r == t[i].ok, "%s: %d", t[i].l, r);
		if (!r)
			continue;
		ck_assert_uint_eq(len, strlen(t[i].data));
		ck_assert(memcmp(t[i].l + off, t[i].data, len) == 0);
		ck_assert_uint_eq(c, t[i].ctr);
	}
}
END_TEST

/* A constant suspect-looking word in every name ("static" in
 * cdn-NN.static.example.com) counts once; new data labels each time. */
START_TEST(constant_labels_count_once)
{
	struct brk_dns_budget *b;
	struct brk_dns_domain_stats st;
	struct brk_dns_name n;
	uint16_t he[BRK_DNS_MAX_LABELS] = { 0 };
	struct brk_dns_obs o = { .name = &n, .qtype = BRK_DNS_T_A, .he_bytes = 6, .he_labels = 1,
				 .label_he = he };
	char name[96];
	int i;

	ck_assert_int_eq(brk_dns_budget_new(&b, 0), 0);
	for (i = 1; i <= 40; i++) {
		snprintf(name, sizeof(name), "cdn-%02d.static.example.com", i);
		ck_assert_int_eq(brk_dns_name_split(name, &n), 0);
		he[0] = 0;
		he[1] = 6;	/* "static" */
		ck_assert_int_eq(brk_dns_budget_record(b, &o, &st, NULL), 0);
	}
	ck_assert_uint_eq(st.unique_subs, 40);
	ck_assert_uint_eq(st.unique_he_subs, 1);
	ck_assert_uint_eq(st.he_bytes, 6);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "%08x%08x.static.example.com", (unsigned)i * 2654435761u,
			 (unsigned)i * 40503u + 7u);
		ck_assert_int_eq(brk_dns_name_split(name, &n), 0);
		he[0] = 16;
		he[1] = 6;
		ck_assert_int_eq(brk_dns_budget_record(b, &o, &st, NULL), 0);
	}
	ck_assert_uint_eq(st.unique_he_subs, 11);
	ck_assert_uint_eq(st.he_bytes, 6 + 10 * 16);
	brk_dns_budget_free(b);
}
END_TEST

struct thr {
	struct brk_dns_budget *b;
	int id;
};

static void *hammer(void *arg)
{
	struct thr *t = arg;
	struct brk_dns_domain_stats st;
	struct brk_dns_name n;
	struct brk_dns_obs o = { .name = &n, .qtype = BRK_DNS_T_A, .he_bytes = 1,
				 .he_labels = 1 };
	char name[64];
	int i;

	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "t%d-%d.d%d.example", t->id, i, i % 50);
		if (brk_dns_name_split(name, &n) < 0 ||
		    brk_dns_budget_record(t->b, &o, &st, NULL) < 0)
			return (void *)1;
	}
	return NULL;
}

START_TEST(threads)
{
	struct brk_dns_budget *b;
	struct brk_dns_domain_stats st;
	pthread_t th[4];
	struct thr t[4];
	unsigned long q = 0;
	char name[32];
	int i;
	void *r;

	ck_assert_int_eq(brk_dns_budget_new(&b, 0), 0);
	for (i = 0; i < 4; i++) {
		t[i].b = b;
		t[i].id = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &t[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], &r), 0);
		ck_assert_ptr_null(r);
	}
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "d%d.example", i);
		ck_assert_int_eq(brk_dns_budget_lookup(b, name, &st), 0);
		ck_assert_uint_eq(st.unique_subs, st.queries);
		q += st.queries;
	}
	ck_assert_uint_eq(q, 8000);
	ck_assert_uint_eq(st.session_he_bytes, 8000);
	brk_dns_budget_free(b);
}
END_TEST

Suite *dns_budget_suite(void)
{
	Suite *s = suite_create("dns_budget");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, split_registrable);
	tcase_add_test(tc, counters_unique_and_bytes);
	tcase_add_test(tc, table_full);
	tcase_add_test(tc, reassembly_across_queries);
	tcase_add_test(tc, reassembly_with_counters);
	tcase_add_test(tc, label_counter_forms);
	tcase_add_test(tc, constant_labels_count_once);
	tcase_add_test(tc, threads);
	suite_add_tcase(s, tc);
	return s;
}
