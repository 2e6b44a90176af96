/* SPDX-License-Identifier: MIT */
/*
 * check_dns.c - runs the DNS module's Check suites (broker/dns/). One row
 * per suite; a new dns_*_test.c adds a row here.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

Suite *dns_msg_suite(void);
Suite *dns_entropy_suite(void);
Suite *dns_budget_suite(void);
Suite *dns_policy_suite(void);
Suite *dns_corpus_suite(void);

static Suite *(*const brk_dns_suites[])(void) = {
	dns_msg_suite,
	dns_entropy_suite,
	dns_budget_suite,
	dns_policy_suite,
	dns_corpus_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < sizeof(brk_dns_suites) / sizeof(brk_dns_suites[0]); i++)
		srunner_add_suite(sr, brk_dns_suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
