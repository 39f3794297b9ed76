/* SPDX-License-Identifier: ISC */
/*
 * fuzz_group_hdr: the header of group messages (group_hdr.c) from any
 * bytes. What parses must be two valid names whose re-encoding is the
 * same header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "group_hdr.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char group[SVC_NAME_MAX + 1], service[SVC_NAME_MAX + 1];
	uint8_t again[GROUP_HDR_MAX];
	size_t hl, n;

	if (group_hdr_parse(data, len, group, service, &hl) == -1)
		return 0;
	if (hl > len || !p2p_name_valid(group) || !p2p_name_valid(service))
		abort();
	n = group_hdr_write(again, group, service);
	if (n != hl || memcmp(again, data, n) != 0)
		abort();
	return 0;
}
