/* Checks and conversions of request fields, into the request's arena. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpc/rpc.h"

/* Join strings with commas into r's arena ("" for none). */
char *
req_join(struct req *r, char **v, size_t n)
{
	size_t	 len = 1, i, l;
	char	*out, *p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((out = p = req_alloc(r, len)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {	/* linear: no strcat from the start */
		if (i > 0)
			*p++ = ',';
		l = strlen(v[i]);
		memcpy(p, v[i], l);
		p += l;
	}
	*p = '\0';
	return (out);
}

/*
 * Check an update mask against the fields that may be updated; returns the
 * mask as a PostgreSQL text[] literal, or NULL after adding violations.
 */
char *
mask_literal(struct req *r, char **mask, size_t n,
    const char *const *allowed)
{
	size_t	 i, j;
	int	 ok = 1;
	char	*lit;

	if (n == 0) {
		viols_add(&r->v, "update_mask", "update_mask.required",
		    "name at least one field to update");
		return (NULL);
	}
	for (j = 0; allowed[j] != NULL; j++)
		;
	if (n > j) {
		viols_add(&r->v, "update_mask", "update_mask.count",
		    "%zu entries; at most the %zu fields that can be updated", n,
		    j);
		return (NULL);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; allowed[j] != NULL; j++) {
			if (strcmp(mask[i], allowed[j]) == 0)
				break;
		}
		if (allowed[j] == NULL) {
			viols_add(&r->v, "update_mask", "update_mask.field",
			    "'%.64s' is not a field that can be updated",
			    mask[i]);
			ok = 0;
		}
	}
	if (!ok || (lit = req_join(r, mask, n)) == NULL)
		return (NULL);
	return (fmt_arena(r, "{%s}", lit));
}

int
mask_has(char **mask, size_t n, const char *field)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(mask[i], field) == 0)
			return (1);
	}
	return (0);
}

/* printf into r's arena. */
char *
fmt_arena(struct req *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*tmp = NULL, *out;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (NULL);
	out = req_strdup(r, tmp);
	free(tmp);
	return (out);
}

/* Credit-code field: check character an error, organisation code a warning. */
void
check_credit_code(struct req *r, const char *field, const char *code)
{
	const char	*why;

	if (creditcode_check(code, &why) != 0) {
		viols_add(&r->v, field, "credit_code.gb32100",
		    "'%.32s' is not a valid unified social credit code: %s",
		    code, why);
		return;
	}
	if (orgcode_check(code + 8) != 0)
		viols_add(&r->warn, field, "credit_code.gb11714",
		    "positions 9-17 of '%s' fail the GB 11714 organisation "
		    "code check", code);
}

void
check_text(struct req *r, const char *field, const char *s, size_t min,
    size_t max)
{
	if (!valid_utf8(s))
		viols_add(&r->v, field, "text.utf8",
		    "must be UTF-8 text without control characters");
	else if (strlen(s) < min)
		viols_add(&r->v, field, "text.required", "is required");
	else if (strlen(s) > max)
		viols_add(&r->v, field, "text.length",
		    "is longer than %zu bytes", max);
}

/* A date field, today if empty; fails r and returns -1 if malformed. */
int
date_or_today(struct req *r, const char *field, const char *s,
    struct ymd *out, char buf[11])
{
	if (*s == '\0')
		today(out);
	else if (ymd_parse(s, out) != 0) {
		viols_add(&r->v, field, "date", "'%.16s' is not a YYYY-MM-DD "
		    "date", s);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "%s is not "
		    "valid", field);
		return (-1);
	}
	ymd_format(out, buf);
	return (0);
}
