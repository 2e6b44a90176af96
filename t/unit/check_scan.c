/* SPDX-License-Identifier: MIT */
/*
 * check_scan.c - runs the scanning engine's Check suites (broker/scan/).
 * One row per suite; a new scan_*_test.c adds a row here.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

Suite *scan_det_suite(void);
Suite *scan_decode_suite(void);
Suite *scan_engine_suite(void);
Suite *scan_corpus_suite(void);
Suite *scan_home_suite(void);
Suite *scan_bounds_suite(void);
Suite *scan_cache_suite(void);
Suite *scan_known_suite(void);
Suite *secrets_suite(void);
Suite *secrets_cloud_suite(void);
Suite *scan_once_suite(void);
Suite *scan_shortcut_suite(void);
Suite *scan_redteam_suite(void);
Suite *scan_fixed_suite(void);
Suite *scan_known5_suite(void);
Suite *scan_known6_suite(void);
Suite *scan_unsep_suite(void);
Suite *scan_gaps8_suite(void);

static Suite *(*const brk_scan_suites[])(void) = {
	scan_det_suite,
	scan_decode_suite,
	scan_engine_suite,
	scan_corpus_suite,
	scan_home_suite,
	scan_bounds_suite,
	scan_cache_suite,
	scan_known_suite,
	scan_once_suite,
	scan_shortcut_suite,
	scan_redteam_suite,
	scan_fixed_suite,
	scan_known5_suite,
	scan_known6_suite,
	scan_unsep_suite,
	scan_gaps8_suite,
	secrets_suite,
	secrets_cloud_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < sizeof(brk_scan_suites) / sizeof(brk_scan_suites[0]); i++)
		srunner_add_suite(sr, brk_scan_suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
