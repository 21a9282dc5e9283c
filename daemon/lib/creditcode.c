/*
 * Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters
 * over 0-9ABCDEFGHJKLMNPQRTUWXY (valued 0..30), weights 3^(i-1) mod 31, check
 * = (31 - sum mod 31) mod 31. Positions 9-17 hold the organisation code of
 * GB 11714 with its own mod-11 check character.
 */
#include <string.h>

#include "lib/lib.h"

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

int
creditcode_char_value(char ch)
{
	const char	*p;

	if (ch == '\0' || (p = strchr(alphabet, ch)) == NULL)
		return (-1);
	return ((int)(p - alphabet));
}

/* The check character for the first 17 characters, or 0 if they are bad. */
char
creditcode_check_char(const char *s)
{
	int	 i, v, w = 1, sum = 0;

	for (i = 0; i < 17; i++) {
		if ((v = creditcode_char_value(s[i])) < 0)
			return (0);
		sum += v * w;
		w = (w * 3) % 31;
	}
	return (alphabet[(31 - sum % 31) % 31]);
}

/* 0 if s is a valid credit code, else -1 with *why set. */
int
creditcode_check(const char *s, const char **why)
{
	size_t	 i, n = strlen(s);

	if (n != 18) {
		*why = "must be 18 characters";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (creditcode_char_value(s[i]) < 0) {
			*why = "may only use 0-9 and the capital letters "
			    "ABCDEFGHJKLMNPQRTUWXY (never I, O, S, V, Z)";
			return (-1);
		}
	}
	if (creditcode_check_char(s) != s[17]) {
		*why = "check character (position 18) does not match "
		    "GB 32100-2015";
		return (-1);
	}
	return (0);
}

static int
orgcode_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'A' && ch <= 'Z')
		return (ch - 'A' + 10);
	return (-1);
}

/* GB 11714 check character for 8 body characters, or 0 if they are bad. */
char
orgcode_check_char(const char *s)
{
	static const int w[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
	int		 i, v, sum = 0, c;

	for (i = 0; i < 8; i++) {
		if ((v = orgcode_value(s[i])) < 0)
			return (0);
		sum += v * w[i];
	}
	c = 11 - sum % 11;
	if (c == 10)
		return ('X');
	if (c == 11)
		return ('0');
	return ((char)('0' + c));
}

/* 0 if the 9-character organisation code s is valid. */
int
orgcode_check(const char *s)
{
	char	 c = orgcode_check_char(s);

	return (c != 0 && c == s[8] ? 0 : -1);
}
