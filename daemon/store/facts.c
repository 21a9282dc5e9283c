/* What the entry and exit rules read about a park, a firm and a tenancy. */
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

/*
 * The park and the firm of an entry, from row i of a query with the
 * columns code, status, total_area, industries (comma-separated),
 * industry_code, registered_on and active_park (NULL: none). The caller
 * sets the park's occupied area and the entry's own fields: EnterFirm and
 * the tenancies of a push check the same rules from the same facts.
 */
void
entry_facts_from_row(struct req *r, PGresult *res, int i,
    struct park_facts *pk, struct entry_facts *e)
{
	size_t	 n;

	memset(pk, 0, sizeof(*pk));
	pk->code = pg_get(res, i, "code");
	pk->status = pg_get(res, i, "status");
	pk->total_area = pg_i64(res, i, "total_area");
	pk->industries = pg_split(r, pg_get(res, i, "industries"), &n);
	pk->n_industries = (int)n;
	memset(e, 0, sizeof(*e));
	e->industry = pg_get(res, i, "industry_code");
	ymd_parse(pg_get(res, i, "registered_on"), &e->registered);
	if (!PQgetisnull(res, i, PQfnumber(res, "active_park")))
		e->active_park = pg_get(res, i, "active_park");
}

/* The fields of the entry request itself. */
void
entry_facts_request(struct entry_facts *e, const char *credit_code,
    int64_t area, const char *waiver_source)
{
	e->credit_code = credit_code;
	e->area = area;
	e->waiver_source = waiver_source;
}
