/* libFuzzer: the field validators (credit codes, dates, codes, UTF-8). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*why;
	char		*s;
	int32_t		 days;
	struct ymd	 d;

	if ((s = malloc(size + 1)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	if (creditcode_check(s, &why) == 0 && orgcode_check(s + 8) == 0 &&
	    creditcode_check_char(s) != s[17])
		abort();		/* a valid code checks out */
	(void)valid_date(s);
	if (date_to_days(s, &days) == 0) {
		d = ymd_from_days(days);
		if (ymd_days(&d) != days)
			abort();	/* the calendar round-trips */
	}
	(void)valid_industry_code(s);
	(void)valid_industry_prefix(s);
	(void)valid_utf8(s);
	(void)valid_document(s);
	free(s);
	return (0);
}
