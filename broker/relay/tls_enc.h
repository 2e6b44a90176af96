/* SPDX-License-Identifier: MIT */
/*
 * tls_enc.h - the key path's reseal (issue 15): a record whose plaintext
 * the border swap changed (swap_rl.h) is encrypted again with the
 * session's own key, nonce and additional data, so it keeps its length,
 * its header and its sequence number and the peer cannot tell it from the
 * record its own side sent. EVP AEAD only (AES-GCM, ChaCha20-Poly1305).
 * Caller: tls_dec.c, right after it opened the record.
 */
#ifndef DLP_BROKER_RELAY_TLS_ENC_H
#define DLP_BROKER_RELAY_TLS_ENC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* An encryption context for the cipher name and key (NULL on failure). */
EVP_CIPHER_CTX *rl_seal_new(const char *cipher, const uint8_t *key);

/*
 * Encrypt pt[0..n) under nonce (12 bytes) and aad into ct[0..n) and the
 * 16-byte tag. 0 or -EPROTO.
 */
int rl_seal(EVP_CIPHER_CTX *cx, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
	    const uint8_t *pt, size_t n, uint8_t *ct, uint8_t tag[16]);

#endif /* DLP_BROKER_RELAY_TLS_ENC_H */
