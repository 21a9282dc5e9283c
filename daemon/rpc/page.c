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

/* The page_token of a list request; fails r if it is not one of ours. */
int
page_after(struct req *r, const char *tok, int64_t *after)
{
	if (page_token_parse(r, tok, after) == 0)
		return (0);
	req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad page_token");
	return (-1);
}

/*
 * The statement of tab (PAGES_OF) of the smallest page that holds size
 * rows. Why a list has
 * one statement per page size: with "LIMIT $n" PostgreSQL costs a cached
 * plan as if it returned a tenth of the rows the filter leaves, so for a
 * table of more than a few hundred rows it rejects its cached plan and
 * plans every call anew (0.1-0.6 ms, more than running it); with the limit
 * in the text, the cached plan costs what a fresh one does and is kept.
 */
int
page_stmt(const struct page_stmt *tab, int size)
{
	int	 i;

	for (i = 0; i + 1 < NPAGES && size > tab[i].size; i++)
		;
	return (tab[i].stmt);
}
