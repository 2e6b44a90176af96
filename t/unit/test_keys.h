/* SPDX-License-Identifier: MIT */
/*
 * test_keys.h - private keys for the known-secret tests (scan_known_test.c,
 * scan_corpus_test.c; their public forms are in t/corpus/keys/). Generated
 * for these tests and never used anywhere.
 */
#ifndef DLP_T_UNIT_TEST_KEYS_H
#define DLP_T_UNIT_TEST_KEYS_H

/* test keys (generated for this test, never used anywhere): ssh-keygen -t
 * ed25519, ssh-keygen -t rsa -b 1024, openssl genpkey EC P-256; and their
 * public keys */
static const char KEY_ED[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACBzPGPt6WqseoyIN/0wFzgbSgjE05IvlnkqxEh3fonuqQAAAJDLyzCHy8sw\n"
	"hwAAAAtzc2gtZWQyNTUxOQAAACBzPGPt6WqseoyIN/0wFzgbSgjE05IvlnkqxEh3fonuqQ\n"
	"AAAEAC2yELIX+1pDZvydiRnxKVj2g8TEHqT2CQmtymYGzUg3M8Y+3paqx6jIg3/TAXOBtK\n"
	"CMTTki+WeSrESHd+ie6pAAAADHRlc3RAZGxwamFpbAE=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char PUB_ED[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8Y+3paqx6jIg3/TAXOBtKCMTTki+WeSrESHd+ie6p test@dlpjail\n";
static const char KEY_RSA[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAlwAAAAdzc2gtcn\n"
	"NhAAAAAwEAAQAAAIEAu9YP6RIpZ2ZJa35PpR+mVT+YAJskh37j7tMI3bEI3ca8Jr5YIlV/\n"
	"RqBrZxJAsyUHSj3ELFR85jK2RnlN8jVNMXu+xd+EoSC/2tiT25TLFuFH+iC+rAzOgO7uNe\n"
	"xoc2hPTnF+YN9FtnUK04keZFEW7a1Nj31Zs0xApQI8OigPmsMAAAII65WQMuuVkDIAAAAH\n"
	"c3NoLXJzYQAAAIEAu9YP6RIpZ2ZJa35PpR+mVT+YAJskh37j7tMI3bEI3ca8Jr5YIlV/Rq\n"
	"BrZxJAsyUHSj3ELFR85jK2RnlN8jVNMXu+xd+EoSC/2tiT25TLFuFH+iC+rAzOgO7uNexo\n"
	"c2hPTnF+YN9FtnUK04keZFEW7a1Nj31Zs0xApQI8OigPmsMAAAADAQABAAAAgH4qhn1Sya\n"
	"S+O8qMCQssexj/oiWmD59DR+5+qZHe+8mbV33elGxbaSYTUpDk3bh2wrLHUiFEjrBAl9Y2\n"
	"XHi3/KR9Q5Y6mrmcd4DzEEVFMLYlui7dtaG+hOc08r1rndlvYJmLL9ZdBZ5gwVkwv9a/Yp\n"
	"TUe9KQUR5MsI1wgyHZvPghAAAAQQDQvgkeODexIagGa6jdlQTASUIF4qkK5Jkr54iciacg\n"
	"nYH/HATCRz6ozoPv8Pxmwa0JKtUy/4lc1Zacyo947fI6AAAAQQDl7W5nh3MVmzU2xpFieV\n"
	"PKNNM1JbOJ2muNEwlUIwBNlMH+/ByzBOMy5AZloH6XYvQ9ubiF6xjT5AmVFNaizWoPAAAA\n"
	"QQDRIsMc+105T+ITUGqpetjNhJkdZh9zlcTKmCRkkFMKwlAVUAjHkyFV7Q2n2PLHrQSJjr\n"
	"pCnf8Xe0cMYUZGY0gNAAAADHRlc3RAZGxwamFpbAECAwQFBg==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char PUB_RSA[] =
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC71g/pEilnZklrfk+lH6ZVP5gAmySHfuPu0wjdsQjdxrwmvlgiVX9GoGtnEkCzJQdKPcQsVHzmMrZGeU3yNU0xe77F34ShIL/a2JPblMsW4Uf6IL6sDM6A7u417GhzaE9OcX5g30W2dQrTiR5kURbtrU2PfVmzTEClAjw6KA+aww== test@dlpjail\n";
static const char KEY_EC[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghAcEIV8Gm+XmeUA5\n"
	"NFLYr9+EHGnDcIC4uL2/6IZJSrmhRANCAASCYsZwyRriPm0J39R1xoR8INzduOoO\n"
	"ppcr4MsDQWYGbmUK+DDALOfOM752Y4v5lR78sVs+RA+7sGluhCSAQvzv\n"
	"-----END PRIVATE KEY-----\n";
static const char PUB_EC[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgmLGcMka4j5tCd/UdcaEfCDc3bjq\n"
	"DqaXK+DLA0FmBm5lCvgwwCznzjO+dmOL+ZUe/LFbPkQPu7BpboQkgEL87w==\n"
	"-----END PUBLIC KEY-----\n";

#endif /* DLP_T_UNIT_TEST_KEYS_H */
