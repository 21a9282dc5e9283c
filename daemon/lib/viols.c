/* Violations collected while checking one request. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

/*
 * Add one violation; on out-of-memory it is dropped, never fatal. One list
 * holds at most VIOLS_MAX: a request with a million bad entries gets the
 * first ones and a note, not a response of a million.
 */
void
viols_add(struct viols *vs, const char *field, const char *rule,
    const char *fmt, ...)
{
	struct viol	*nv, *v;
	va_list		 ap;
	char		*msg = NULL;

	if (vs->n > VIOLS_MAX)
		return;
	if (vs->n == VIOLS_MAX) {
		field = "";
		rule = "violations.more";
		fmt = "more violations were found; only the first ones are "
		    "listed";
	}
	if (vs->n == vs->cap) {
		size_t	 cap = vs->cap ? vs->cap * 2 : 4;

		if ((nv = realloc(vs->v, cap * sizeof(*nv))) == NULL)
			return;
		vs->v = nv;
		vs->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	v = &vs->v[vs->n];
	v->field = strdup(field ? field : "");
	v->rule = strdup(rule ? rule : "");
	v->message = msg;
	if (v->field == NULL || v->rule == NULL || v->message == NULL) {
		free(v->field);
		free(v->rule);
		free(v->message);
		return;
	}
	vs->n++;
}

void
viols_free(struct viols *vs)
{
	size_t	 i;

	for (i = 0; i < vs->n; i++) {
		free(vs->v[i].field);
		free(vs->v[i].rule);
		free(vs->v[i].message);
	}
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

/* Add a violation unless min <= val <= max; 0 when in range. */
int
viols_range(struct viols *vs, const char *field, int64_t val, int64_t min,
    int64_t max)
{
	if (val >= min && val <= max)
		return (0);
	viols_add(vs, field, "range", "%lld is outside %lld..%lld",
	    (long long)val, (long long)min, (long long)max);
	return (-1);
}
