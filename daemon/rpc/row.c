/* Values of result rows, by column name, and the status of a result. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpc/rpc.h"

const char *
pg_get(PGresult *res, int row, const char *col)
{
	int	 c = PQfnumber(res, col);

	if (c < 0)
		fatalx("result has no column %s", col);
	return (PQgetvalue(res, row, c));
}

int64_t
pg_i64(PGresult *res, int row, const char *col)
{
	return (strtoll(pg_get(res, row, col), NULL, 10));
}

int
pg_bool(PGresult *res, int row, const char *col)
{
	return (pg_get(res, row, col)[0] == 't');
}

/* Split a comma-separated value into strings in r's arena. */
char **
pg_split(struct req *r, const char *s, size_t *n)
{
	size_t	 cap = 1, i = 0;
	char	**out, *copy, *tok, *save = NULL;

	*n = 0;
	if (*s == '\0')
		return (NULL);
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	if ((out = req_alloc(r, cap * sizeof(*out))) == NULL ||
	    (copy = req_strdup(r, s)) == NULL)
		return (NULL);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && i < cap;
	    tok = strtok_r(NULL, ",", &save))
		out[i++] = tok;
	*n = i;
	return (out);
}

/* Did the statement succeed? If not, fail r (lost connection included). */
int
pg_ok(struct req *r, PGresult *res, ExecStatusType want, const char *what)
{
	if (res != NULL && PQresultStatus(res) == want)
		return (1);
	req_fail_pg(r, res, what);
	return (0);
}
