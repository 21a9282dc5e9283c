/* Formats of input fields: dates, industry codes, text. */
#include <string.h>

#include "lib/lib.h"

static int	utf8_check(const char *, int);

static int
is_leap(int y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

static int
days_in_month(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return (m == 2 && is_leap(y) ? 29 : d[m - 1]);
}

/* Parse a strict YYYY-MM-DD (LIMIT_YEAR_MIN..MAX) into y/m/d; 0 on success. */
static int
date_parse(const char *s, int *y, int *m, int *d)
{
	int	 i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return (-1);
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return (-1);
	}
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	if (*y < LIMIT_YEAR_MIN || *y > LIMIT_YEAR_MAX || *m < 1 || *m > 12 ||
	    *d < 1 ||
	    *d > days_in_month(*y, *m))
		return (-1);
	return (0);
}

int
valid_date(const char *s)
{
	int	 y, m, d;

	return (date_parse(s, &y, &m, &d) == 0);
}

/* Days since 1970-01-01 (civil calendar), for date arithmetic in rules. */
int
date_to_days(const char *s, int32_t *out)
{
	int	 y, m, d;

	if (date_parse(s, &y, &m, &d) != 0)
		return (-1);
	*out = civil_days(y, m, d);
	return (0);
}

/* Howard Hinnant's days_from_civil. */
int32_t
civil_days(int y, int m, int d)
{
	int	 era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/*
 * A GB/T 4754-2017 code: a section letter A-T followed by 2 to 4 digits
 * (division, group, class), e.g. C27, I651, C3911.
 */
int
valid_industry_code(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n < 3 || n > 5 || s[0] < 'A' || s[0] > 'T')
		return (0);
	for (i = 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (1);
}

/* A code prefix: a section letter alone, or a code as above. */
int
valid_industry_prefix(const char *s)
{
	if (strlen(s) == 1)
		return (s[0] >= 'A' && s[0] <= 'T');
	return (valid_industry_code(s));
}

/* Well-formed UTF-8 without overlongs, surrogates or control characters. */
int
valid_utf8(const char *s)
{
	return (utf8_check(s, 0));
}

/* The same, allowing tab, newline and carriage return (documents). */
int
valid_document(const char *s)
{
	return (utf8_check(s, 1));
}

static int
utf8_check(const char *s, int ws)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned int		 cp;
	int			 n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			if ((*p < 0x20 || *p == 0x7f) && !(ws && (*p == '\n' ||
			    *p == '\t' || *p == '\r')))
				return (0);
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
		} else
			return (0);
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		p += n + 1;
	}
	return (1);
}

/* Is s one of list (NULL-terminated)? */
int
str_in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return (1);
	return (0);
}

/* Text of min..max bytes of clean UTF-8. */
int
valid_text(const char *s, size_t min, size_t max)
{
	size_t	 n = strlen(s);

	return (n >= min && n <= max && valid_utf8(s));
}
