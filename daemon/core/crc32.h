/* SPDX-License-Identifier: ISC */
/*
 * crc32.h: CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as STUN's
 * FINGERPRINT needs (RFC 8489 §14.7). libsodium has none; this one is a
 * small table-driven loop with the table computed at compile time.
 */
#ifndef P2P_CRC32_H
#define P2P_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 of p[0..len); crc32_ieee("123456789", 9) == 0xCBF43926. */
uint32_t	crc32_ieee(const void *p, size_t len);

#endif /* P2P_CRC32_H */
