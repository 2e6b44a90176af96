/* SPDX-License-Identifier: MIT */
/*
 * dns_corpus_test.c - false-positive rate of brk_dns_judge() on the benign
 * hostname corpus and detection rate on the exfiltration corpus
 * (t/dns/benign-hosts.txt, t/dns/exfil-cases.txt, made by
 * t/dns/gen-corpus.py). Fails if FP > 1% or detection < 99%; prints both.
 * Detection here uses the built-in rules only: no scanner hook is set, so
 * the figures do not lean on the credential detectors.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/dns/dns_budget.h"
#include "broker/dns/dns_msg.h"
#include "broker/dns/dns_policy.h"

static FILE *brk_dns_t_open(const char *rel)
{
	char path[4096];
	const char *dir = getenv("srcdir");
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", rel);
	f = fopen(path, "r");
	if (!f) {
		/* Run from t/unit or the build tree of a VPATH build. */
		snprintf(path, sizeof(path), "%s/../../%s", dir ? dir : ".", rel);
		f = fopen(path, "r");
	}
	return f;
}

static int brk_dns_t_verbose(void)
{
	return getenv("DNS_CORPUS_VERBOSE") != NULL;
}

START_TEST(benign_fp_rate)
{
	char line[1024];
	unsigned total = 0, fp = 0, sess_fp = 0;
	struct brk_dns_state *sess = NULL;
	FILE *f = brk_dns_t_open("t/dns/benign-hosts.txt");

	ck_assert_msg(f != NULL, "t/dns/benign-hosts.txt not found (srcdir?)");
	ck_assert_int_eq(brk_dns_state_new(&sess, NULL), 0);
	while (fgets(line, sizeof(line), f)) {
		struct brk_dns_state *st = NULL;
		struct brk_dns_verdict v;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		total++;
		ck_assert_int_eq(brk_dns_state_new(&st, NULL), 0);
		if (brk_dns_judge(st, line, BRK_DNS_T_A, &v) != BRK_DNS_ALLOW) {
			fp++;
			if (brk_dns_t_verbose())
				printf("FP %s: %s\n", line, v.reason);
		}
		brk_dns_state_free(st);
		/* The whole corpus as one long session, A then AAAA. */
		if (brk_dns_judge(sess, line, BRK_DNS_T_A, &v) != BRK_DNS_ALLOW ||
		    brk_dns_judge(sess, line, BRK_DNS_T_AAAA, &v) != BRK_DNS_ALLOW) {
			sess_fp++;
			if (brk_dns_t_verbose())
				printf("SESSION-FP %s: %s\n", line, v.reason);
		}
	}
	fclose(f);
	brk_dns_state_free(sess);
	ck_assert_uint_ge(total, 500);
	printf("dns corpus: benign names %u, false positives %u (%.2f%%); "
	       "as one session %u (%.2f%%)\n", total, fp, 100.0 * fp / total,
	       sess_fp, 100.0 * sess_fp / total);
	ck_assert_msg(fp * 100 <= total, "FP rate %.2f%% > 1%%",
		      100.0 * fp / total);
}
END_TEST

/* Which rule denied each detected case first, for the printed summary. */
struct rule_tally {
	const char *rule[24];
	unsigned n[24];
	unsigned used;
};

static void tally(struct rule_tally *t, const char *rule)
{
	unsigned i;

	for (i = 0; i < t->used; i++) {
		if (strcmp(t->rule[i], rule) == 0) {
			t->n[i]++;
			return;
		}
	}
	if (t->used < 24) {
		t->rule[t->used] = rule;
		t->n[t->used++] = 1;
	}
}

START_TEST(exfil_detection_rate)
{
	struct rule_tally rules;
	unsigned ri;
	char line[1024], prev[32] = "";
	unsigned cases = 0, detected = 0, queries = 0, allowed_before = 0;
	unsigned case_q = 0, case_denied = 0, case_first = 0;
	/* counter/separator drips ("c<n>" cases): cut off how early? */
	unsigned cq_cases = 0, cq_detected = 0, cq_quarter = 0, cq_long = 0;
	unsigned cq_short = 0, cq_short_two = 0;  /* under 8 queries; 2+ of them allowed */
	double cq_leak_sum = 0.0, cq_leak_max = 0.0;
	struct brk_dns_state *st = NULL;
	double leak_sum = 0.0;
	FILE *f = brk_dns_t_open("t/dns/exfil-cases.txt");
	char lastname[1024] = "";

	ck_assert_msg(f != NULL, "t/dns/exfil-cases.txt not found (srcdir?)");
	memset(&rules, 0, sizeof(rules));
	for (;;) {
		char id[32], qt[16], qname[1024];
		int eof = !fgets(line, sizeof(line), f);

		if (!eof && (line[0] == '#' || line[0] == '\n'))
			continue;
		if (!eof && sscanf(line, "%31s %15s %1023s", id, qt, qname) != 3)
			continue;
		if (eof || strcmp(id, prev) != 0) {
			if (st) {
				cases++;
				if (prev[0] == 'c') {
					double sh = case_denied ? (double)case_first / case_q : 1.0;

					cq_cases++;
					cq_detected += case_denied > 0;
					/* a quarter of fewer than 8 pieces is under
					 * 2 queries: counted apart */
					if (case_q >= 8) {
						cq_long++;
						cq_quarter += sh <= 0.25;
					} else {
						cq_short++;
						cq_short_two += !case_denied || case_first >= 2;
					}
					cq_leak_sum += sh;
					if (sh > cq_leak_max)
						cq_leak_max = sh;
					if (sh > 0.25 && brk_dns_t_verbose())
						printf("LATE case %s: %u of %u queries allowed, %s\n", prev,
						       case_first, case_q, lastname);
				}
				if (case_denied) {
					detected++;
					leak_sum += (double)case_first / case_q;
				} else if (brk_dns_t_verbose()) {
					printf("MISS case %s (%u queries) %s\n",
					       prev, case_q, lastname);
				}
				brk_dns_state_free(st);
				st = NULL;
			}
			if (eof)
				break;
			ck_assert_int_eq(brk_dns_state_new(&st, NULL), 0);
			snprintf(prev, sizeof(prev), "%s", id);
			case_q = case_denied = case_first = 0;
		}
		{
			struct brk_dns_verdict v;
			uint16_t t = strcmp(qt, "TXT") == 0 ? BRK_DNS_T_TXT
							    : BRK_DNS_T_A;

			queries++;
			case_q++;
			snprintf(lastname, sizeof(lastname), "%s", qname);
			if (brk_dns_judge(st, qname, t, &v) == BRK_DNS_DENY) {
				if (!case_denied) {
					case_first = case_q - 1;
					tally(&rules, v.rule);
				}
				case_denied++;
			} else if (!case_denied) {
				allowed_before++;
			}
		}
	}
	fclose(f);
	ck_assert_uint_gt(cases, 0);
	printf("dns corpus: exfil cases %u (%u queries), detected %u (%.2f%%); "
	       "mean share of a case's queries allowed before the first deny "
	       "%.1f%%\n", cases, queries, detected, 100.0 * detected / cases,
	       detected ? 100.0 * leak_sum / detected : 0.0);
	printf("dns corpus: first rule to deny each detected case:");
	for (ri = 0; ri < rules.used; ri++)
		printf(" %s=%u", rules.rule[ri], rules.n[ri]);
	printf("\n");
	ck_assert_msg(detected * 100 >= cases * 99, "detection %.2f%% < 99%%",
		      100.0 * detected / cases);
	ck_assert_uint_gt(cq_cases, 0);
	printf("dns corpus: counter/separator drips %u, detected %u; of the %u with 8 or more "
	       "queries, cut off within the first quarter %u (%.2f%%); share allowed before "
	       "the first deny: mean %.1f%%, max %.1f%%\n", cq_cases, cq_detected, cq_long,
	       cq_quarter, cq_long ? 100.0 * cq_quarter / cq_long : 0.0,
	       100.0 * cq_leak_sum / cq_cases, 100.0 * cq_leak_max);
	printf("dns corpus: short counter drips (under 8 queries) %u, with 2 or more queries "
	       "allowed %u\n", cq_short, cq_short_two);
	ck_assert_uint_eq(cq_short_two, 0);
	ck_assert_uint_eq(cq_detected, cq_cases);
	ck_assert_uint_gt(cq_long, cq_cases / 2);
	ck_assert_msg(cq_quarter * 100 >= cq_long * 99,
		      "counter drips cut off within the first quarter: %.2f%% < 99%%",
		      100.0 * cq_quarter / cq_long);
	ck_assert_msg(cq_leak_sum <= 0.25 * cq_cases, "counter drips: mean share %.1f%% > 25%%",
		      100.0 * cq_leak_sum / cq_cases);
}
END_TEST

Suite *dns_corpus_suite(void)
{
	Suite *s = suite_create("dns_corpus");
	TCase *tc = tcase_create("corpus");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, benign_fp_rate);
	tcase_add_test(tc, exfil_detection_rate);
	suite_add_tcase(s, tc);
	return s;
}
