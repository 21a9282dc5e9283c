/*
 * The kinds of record a push carries: per-kind row checks, the columns
 * they fill and the statement that applies a chunk of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

/* ---- helpers ---- */

void
chunk_free(struct chunk *k)
{
	size_t	 i;

	for (i = 0; i <= SYNC_MAX_COLS; i++)
		pgarray_free(&k->cols[i]);
	for (i = 0; i < k->errs.n; i++)
		viols_free(&k->errs.e[i].v);
	free(k->errs.e);
	for (i = 0; i < SYNC_BIN_COLS; i++)
		pgbin_free(&k->bin[i]);
	memset(k, 0, sizeof(*k));
}

struct viols *
rowerr_new(struct chunk *k, int64_t row)
{
	struct rowerr	*ne;

	if (k->errs.n == k->errs.cap) {
		size_t cap = k->errs.cap ? k->errs.cap * 2 : 16;

		if ((ne = realloc(k->errs.e, cap * sizeof(*ne))) == NULL)
			return (NULL);
		k->errs.e = ne;
		k->errs.cap = cap;
	}
	memset(&k->errs.e[k->errs.n], 0, sizeof(k->errs.e[0]));
	k->errs.e[k->errs.n].row = row;
	return (&k->errs.e[k->errs.n++].v);
}

/* Keep the row if it had no violation, else record them against it. */
static void
row_done(struct chunk *k, struct viols *v, int64_t row, const char **vals,
    int ncols)
{
	struct viols	*dst;
	char		 rb[24];
	int		 i;

	if (v->n > 0) {
		if ((dst = rowerr_new(k, row)) != NULL)
			*dst = *v;
		else
			viols_free(v);
		memset(v, 0, sizeof(*v));
		return;
	}
	snprintf(rb, sizeof(rb), "%lld", (long long)row);
	pgarray_add(&k->cols[0], rb);
	for (i = 0; i < ncols; i++)
		pgarray_add(&k->cols[i + 1], vals[i]);
	k->nvalid++;
}

const char *
i64s(char *b, int64_t v)
{
	snprintf(b, 40, "%lld", (long long)v);
	return (b);
}

static void
check_credit_code_row(struct viols *v, const char *code)
{
	const char	*why;

	if (creditcode_check(code, &why) != 0)
		viols_add(v, "credit_code", "credit_code.gb32100", "'%.32s': %s",
		    code, why);
}

static void
check_not_future(struct viols *v, const char *field, const char *date)
{
	struct ymd	 t, d;

	today(&t);
	if (ymd_parse(date, &d) != 0)
		viols_add(v, field, "date", "'%.16s' is not a YYYY-MM-DD date",
		    date);
	else if (ymd_days(&d) > ymd_days(&t))
		viols_add(v, field, "date.future", "%s is in the future", date);
}

static void
check_park(struct viols *v, struct sync_session *s, const char *code)
{
	if (*code != '\0' && strcmp(code, s->park_code) != 0)
		viols_add(v, "park_code", "sync.park", "row is for %s but this "
		    "push is for %s", code, s->park_code);
}

/* ---- kinds: validation of one row, in column order ---- */

static void
row_park_report(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__ParkReport		*p = in->park_reports[i];
	struct viols			 v = { 0 };

	check_park(&v, k->s, p->park_code);
	check_quarter(&v, "quarter", p->year, p->quarter);
	viols_range(&v, "staff", p->staff, 0, LIMIT_COUNT);
	viols_range(&v, "services_delivered", p->services_delivered, 0,
	    LIMIT_COUNT);
	viols_range(&v, "interns_hosted", p->interns_hosted, 0, LIMIT_COUNT);
	vals[0] = i64s(b[0], p->year);
	vals[1] = i64s(b[1], p->quarter);
	vals[2] = i64s(b[2], p->staff);
	vals[3] = i64s(b[3], p->services_delivered);
	vals[4] = i64s(b[4], p->interns_hosted);
	row_done(k, &v, row, vals, 5);
}

static const char *const activity_kinds[] = { "roadshow", "salon",
    "lecture", "training_camp", "competition", "specialist_visit",
    "matchmaking", "other", NULL };

static void
row_activity(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__Activity		*p = in->activities[i];
	struct viols			 v = { 0 };
	int				 j, known = 0;

	check_park(&v, k->s, p->park_code);
	for (j = 0; activity_kinds[j] != NULL; j++)
		known |= strcmp(p->kind, activity_kinds[j]) == 0;
	if (!known)
		viols_add(&v, "kind", "activity.kind", "'%.32s' is not one of "
		    "roadshow, salon, lecture, training_camp, competition, "
		    "specialist_visit, matchmaking, other", p->kind);
	check_not_future(&v, "date", p->date);
	if (!valid_text(p->title, 1, 200))
		viols_add(&v, "title", "text", "1-200 bytes of UTF-8 text");
	viols_range(&v, "participants", p->participants, 0, LIMIT_COUNT);
	vals[0] = p->kind;
	vals[1] = p->date;
	vals[2] = p->title;
	vals[3] = i64s(b[3], p->participants);
	row_done(k, &v, row, vals, 4);
}

static void
row_firm(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__Firm			*p = in->firms[i];
	struct viols			 v = { 0 };

	(void)b;
	check_credit_code_row(&v, p->credit_code);
	if (!valid_text(p->name, 1, 200))
		viols_add(&v, "name", "text", "1-200 bytes of UTF-8 text");
	if (!valid_industry_code(p->industry_code))
		viols_add(&v, "industry_code", "industry_code.gb4754", "'%.16s' "
		    "is not a GB/T 4754-2017 code", p->industry_code);
	check_not_future(&v, "registered_on", p->registered_on);
	vals[0] = p->credit_code;
	vals[1] = p->name;
	vals[2] = p->industry_code;
	vals[3] = p->registered_on;
	vals[4] = p->tech_based ? "t" : "f";
	vals[5] = p->srdi ? "t" : "f";
	row_done(k, &v, row, vals, 6);
}

static void
row_certification(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__Certification	*p = in->certifications[i];
	struct viols			 v = { 0 };

	(void)b;
	check_certification(&v, "", p);
	vals[0] = p->credit_code;
	vals[1] = p->kind;
	vals[2] = p->number;
	vals[3] = p->valid_from;
	vals[4] = p->valid_to;
	row_done(k, &v, row, vals, 5);
}

static void
row_tenancy(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__EnterFirmRequest	*p = in->tenancies[i];
	struct viols			 v = { 0 };

	check_park(&v, k->s, p->park_code);
	check_credit_code_row(&v, p->credit_code);
	check_not_future(&v, "entry_date", p->entry_date);
	viols_range(&v, "area", p->area, 1, LIMIT_AREA);
	if (!valid_text(p->waiver_source, 0, 32))
		viols_add(&v, "waiver_source", "text", "at most 32 bytes");
	vals[0] = p->credit_code;
	vals[1] = p->entry_date;
	vals[2] = i64s(b[2], p->area);
	vals[3] = p->waiver_source;
	row_done(k, &v, row, vals, 4);
}


/*
 * The kinds: what each is (its columns and their types) is lib/kinds.c's,
 * shared with parkctl; here, how parkd checks a row (row) and applies a
 * chunk (apply: chunk_apply runs the kind's statement of store/sql/sync.sql;
 * firm reports and tenancies have their own paths).
 */
static const struct sync_kind kinds[] = {
	{ "firm_reports", NULL, reports_chunk, -1 },
	{ "park_reports", row_park_report, chunk_apply,
	    SQL_SYNC_APPLY_PARK_REPORTS },
	{ "activities", row_activity, chunk_apply, SQL_SYNC_APPLY_ACTIVITIES },
	{ "firms", row_firm, chunk_apply, SQL_SYNC_APPLY_FIRMS },
	{ "certifications", row_certification, chunk_apply,
	    SQL_SYNC_APPLY_CERTIFICATIONS },
	{ "tenancies", row_tenancy, tenancy_chunk, -1 },
};
#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

/* How many records of kinds other than k a chunk carries. */
size_t
kind_others(const struct sync_kind *k, const Parkd__V1__SyncChunkRequest *in)
{
	size_t	 i, n = 0;

	for (i = 0; i < NKINDS; i++) {
		if (&kinds[i] != k)
			n += kind_count(&kinds[i], in);
	}
	return (n);
}

/* How many records of kind k a chunk carries. */
size_t
kind_count(const struct sync_kind *k, const Parkd__V1__SyncChunkRequest *in)
{
	return (record_kind_count(record_kind_find(k->name), &in->base));
}

/* How many columns a record of kind k has (lib/kinds.c). */
int
kind_ncols(const struct sync_kind *k)
{
	return (record_kind_find(k->name)->ncols);
}

const struct sync_kind *
kind_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKINDS; i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return (&kinds[i]);
	}
	return (NULL);
}

/* Refusals found by the database: "row\treason" lines. */
void
db_refusals(struct chunk *k, const char *text)
{
	const char	*p = text, *tab, *nl;
	struct viols	*v;
	char		 reason[32];
	int64_t		 row;

	while (*p != '\0') {
		row = strtoll(p, NULL, 10);
		tab = strchr(p, '\t');
		nl = strchr(p, '\n');
		if (tab == NULL)
			break;
		snprintf(reason, sizeof(reason), "%.*s", (int)((nl ? nl :
		    tab + strlen(tab)) - tab - 1), tab + 1);
		if ((v = rowerr_new(k, row)) != NULL) {
			if (strcmp(reason, "unknown_firm") == 0)
				viols_add(v, "credit_code", "sync.unknown_firm",
				    "no firm with this credit code; push it "
				    "first (kind firms)");
			else if (strcmp(reason, "not_in_park") == 0)
				viols_add(v, "credit_code", "sync.not_in_park",
				    "the firm is not an active tenant of %s",
				    k->s->park_code);
			else if (strcmp(reason, "other_park") == 0)
				viols_add(v, "quarter", "sync.quarter_scope",
				    "the firm was not a tenant of %s in this "
				    "quarter, or was one of another park",
				    k->s->park_code);
			else if (strcmp(reason, "not_yours") == 0)
				viols_add(v, "credit_code", "sync.not_in_park",
				    "the firm is not an active tenant of %s "
				    "(nor registered by it and never in a park)",
				    k->s->park_code);
			else
				viols_add(v, "number", "sync.other_firm",
				    "this certificate belongs to another firm");
		}
		p = nl ? nl + 1 : tab + strlen(tab);
	}
}
