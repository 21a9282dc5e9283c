/*
 * Money and area as people write them: yuan (or m²) with two decimals,
 * exactly, from and to the integer hundredths the wire and the database
 * keep (fen, m² × 100). Shared by parkd's messages and parkctl.
 */
#include <inttypes.h>
#include <stdio.h>

#include "lib/lib.h"

/* "1,234.5" -> 123450 (hundredths), exactly; -1 if malformed. */
int
parse_hundredths(const char *s, int64_t *out)
{
	int64_t	 v = 0;
	int	 dec = -1, neg = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (*s == ',' && dec < 0)
			continue;	/* thousands separator */
		/* room for this digit and the scaling to hundredths below */
		if (*s < '0' || *s > '9' || dec == 2 || v > INT64_MAX / 1000)
			return (-1);
		v = v * 10 + (*s - '0');
		if (dec >= 0)
			dec++;
	}
	for (; dec < 2; dec = dec < 0 ? 1 : dec + 1)
		v *= 10;
	*out = neg ? -v : v;
	return (0);
}

/* 123450 -> "1234.50" */
void
fmt_hundredths(int64_t v, char *buf, size_t n)
{
	snprintf(buf, n, "%s%" PRId64 ".%02" PRId64, v < 0 ? "-" : "",
	    (v < 0 ? -v : v) / 100, (v < 0 ? -v : v) % 100);
}

/* 123456789 fen -> "1,234,567.89" (yuan with thousands separators) */
const char *
fmt_yuan(int64_t fen, char *buf, size_t len)
{
	char	 digits[24], out[32];
	int64_t	 y = (fen < 0 ? -fen : fen) / 100;
	int	 n, i, o = 0;

	n = snprintf(digits, sizeof(digits), "%" PRId64, y);
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, len, "%s%s.%02" PRId64, fen < 0 ? "-" : "", out,
	    (fen < 0 ? -fen : fen) % 100);
	return (buf);
}
