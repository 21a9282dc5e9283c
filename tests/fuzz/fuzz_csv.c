/*
 * libFuzzer: parkctl's CSV reader (clients/csvread.c) as a push reads a
 * file: the first byte picks the kind, the rest is the file. Every row is
 * parsed by libcsv, mapped by the header and converted (yuan and m2 with two
 * decimals, integers, booleans) without a server.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "parkctl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "firms", "tenancies",
	    "certifications", "firm_reports", "park_reports", "activities" };
	int64_t	 rows, refused;

	if (size < 1)
		return (0);
	(void)csv_read_dry(kinds[data[0] % 6], (const char *)data + 1,
	    size - 1, &rows, &refused);
	if (refused > rows)
		abort();
	return (0);
}
