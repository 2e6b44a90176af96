/* SPDX-License-Identifier: MIT */
/* redact.c - prefix + mask + SHA-256 tag + length (see redact.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#include "common/redact.h"

size_t dlp_redact(const uint8_t *p, size_t len, char *dst, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char pre[5];
	size_t npre = len / 4, i;
	int n;

	if (cap == 0)
		return 0;
	if (npre > 4)
		npre = 4;
	for (i = 0; i < npre; i++)
		pre[i] = (p[i] >= 0x21 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			 ? (char)p[i] : '?';
	pre[npre] = '\0';
	if (!EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 4)
		memset(md, 0, 4);
	n = snprintf(dst, cap, "%s" DLP_REDACT_MASK "%02x%02x%02x%02x (len=%zu)",
		     pre, md[0], md[1], md[2], md[3], len);
	if (n < 0)
		return 0;
	return (size_t)n >= cap ? cap - 1 : (size_t)n;
}
