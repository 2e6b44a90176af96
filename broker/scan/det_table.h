/* SPDX-License-Identifier: MIT */
/*
 * det_table.h - access to the detector registry (det_table.c).
 * Internal to broker/scan/ and its tests.
 */
#ifndef DLP_BROKER_SCAN_DET_TABLE_H
#define DLP_BROKER_SCAN_DET_TABLE_H

#include <stddef.h>

#include "broker/scan/detect.h"

extern const struct brk_scan_det brk_scan_detectors[];
extern const size_t brk_scan_ndetectors;

/* The entry with this id, or NULL. */
const struct brk_scan_det *brk_scan_det_find(const char *id);

#endif /* DLP_BROKER_SCAN_DET_TABLE_H */
