/* What the entry and exit rules read about a tenancy, from its row. */
#include <string.h>

#include "store/store.h"

int
tenancy_facts_from_row(struct req *r, PGresult *res, int i,
    struct tenancy_facts *t)
{
	size_t	 n;

	memset(t, 0, sizeof(*t));
	t->tenancy_id = pg_i64(res, i, "id");
	t->park_code = pg_get(res, i, "park_code");
	t->credit_code = pg_get(res, i, "credit_code");
	t->industry = pg_get(res, i, "industry_code");
	t->park_industries = pg_split(r, pg_get(res, i, "park_industries"),
	    &n);
	t->n_park_industries = (int)n;
	t->high_tech = pg_bool(res, i, "high_tech");
	t->equity_fen = pg_i64(res, i, "equity");
	t->revenue_2y_fen = pg_i64(res, i, "revenue_2y");
	t->acquired_or_listed = pg_bool(res, i, "acquired_or_listed");
	t->last_report_qi = (int)pg_i64(res, i, "last_qi");
	return (ymd_parse(pg_get(res, i, "entry_date"), &t->entry));
}
