/* List pages: the page token (last id seen) and page building. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpc/rpc.h"

/* page_token is the last id of the previous page, in decimal. */
int
page_token_parse(struct req *r, const char *tok, int64_t *after)
{
	char	*end;

	*after = 0;
	if (*tok == '\0')
		return (0);
	*after = strtoll(tok, &end, 10);
	if (*end != '\0' || *after < 0) {
		viols_add(&r->v, "page_token", "page_token.format",
		    "is not a token returned by a previous page");
		return (-1);
	}
	return (0);
}

int
page_size_clamp(int32_t n)
{
	if (n <= 0)
		return (100);
	return (n > 1000 ? 1000 : n);
}

/*
 * The messages of one page: at most size rows of res (the query fetched one
 * more to tell whether a next page follows), each sz bytes, filled by fill.
 * *next is keycol of the last row when another page follows, else "".
 * NULL, after failing r, when memory runs out.
 */
void **
page_build(struct req *r, PGresult *res, int size, size_t sz,
    page_fill fill, const char *keycol, size_t *n, char **next)
{
	void	**v;
	char	*mem;
	int	 i, rows = PQntuples(res) > size ? size : PQntuples(res);

	*n = 0;
	*next = "";
	v = req_alloc(r, (size_t)(rows ? rows : 1) * sizeof(void *));
	mem = req_alloc(r, (size_t)(rows ? rows : 1) * sz);
	if (v == NULL || mem == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory building the page");
		return (NULL);
	}
	for (i = 0; i < rows; i++) {
		v[i] = mem + (size_t)i * sz;
		fill(r, res, i, v[i]);
	}
	*n = (size_t)rows;
	if (keycol != NULL && PQntuples(res) > size && rows > 0)
		*next = req_strdup(r, pg_get(res, rows - 1, keycol));
	return (v);
}

/* The page_token of a list request; fails r if it is not one of ours. */
int
page_after(struct req *r, const char *tok, int64_t *after)
{
	if (page_token_parse(r, tok, after) == 0)
		return (0);
	req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad page_token");
	return (-1);
}
