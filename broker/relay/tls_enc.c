/* SPDX-License-Identifier: MIT */
/*
 * tls_enc.c - reseal one TLS record on the key path (tls_enc.h): OpenSSL
 * EVP AEAD with the nonce and additional data tls_dec.c used to open it.
 */
#include "config.h"

#include <errno.h>

#include "broker/relay/tls_enc.h"

EVP_CIPHER_CTX *rl_seal_new(const char *cipher, const uint8_t *key)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
	EVP_CIPHER_CTX *cx = c ? EVP_CIPHER_CTX_new() : NULL;

	if (cx && EVP_EncryptInit_ex(cx, c, NULL, key, NULL) <= 0) {
		EVP_CIPHER_CTX_free(cx);
		cx = NULL;
	}
	EVP_CIPHER_free(c);
	return cx;
}

int rl_seal(EVP_CIPHER_CTX *cx, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
	    const uint8_t *pt, size_t n, uint8_t *ct, uint8_t tag[16])
{
	int outl = 0, fl = 0;

	if (!cx || EVP_EncryptInit_ex(cx, NULL, NULL, NULL, nonce) <= 0 ||
	    EVP_EncryptUpdate(cx, NULL, &outl, aad, (int)aadlen) <= 0 ||
	    EVP_EncryptUpdate(cx, ct, &outl, pt, (int)n) <= 0 ||
	    EVP_EncryptFinal_ex(cx, ct + outl, &fl) <= 0 || (size_t)(outl + fl) != n ||
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_AEAD_GET_TAG, 16, tag) <= 0)
		return -EPROTO;
	return 0;
}
