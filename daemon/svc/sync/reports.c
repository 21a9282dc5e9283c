/*
 * firm_reports: the fast path of the big quarterly pushes, with a
 * per-push cache of credit code -> firm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

static void	reports_insert(struct req *r, int anychk);

/* ---- firm_reports: the fast path of the big quarterly pushes ---- */

#define REPORTS_UPSERT							\
	"ON CONFLICT (firm_id, year, quarter) DO UPDATE SET revenue = "	\
	"EXCLUDED.revenue, jobs = EXCLUDED.jobs, graduate_jobs = "	\
	"EXCLUDED.graduate_jobs, rnd_spend = EXCLUDED.rnd_spend, "	\
	"ip_granted = EXCLUDED.ip_granted, version = r.version + 1, "	\
	"updated_at = now() RETURNING (xmax = 0) AS ins"

static uint64_t
fc_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

static struct fcent *
fc_slot(struct firmcache *fc, const char *code)
{
	size_t	 i = fc_hash(code) & (fc->cap - 1);

	while (fc->v[i].code[0] != '\0' && strcmp(fc->v[i].code, code) != 0)
		i = (i + 1) & (fc->cap - 1);
	return (&fc->v[i]);
}

/* The entry for code, NULL if not cached; add creates it (id 0). */
static struct fcent *
fc_get(struct sync_session *s, const char *code, int add)
{
	struct firmcache	*fc = s->fc;
	struct fcent		*e, *old;
	size_t			 i, ocap;

	if (fc == NULL) {
		if (!add || (fc = s->fc = calloc(1, sizeof(*fc))) == NULL)
			return (NULL);
		fc->cap = 1024;
		if ((fc->v = calloc(fc->cap, sizeof(*fc->v))) == NULL)
			return (NULL);
	}
	e = fc_slot(fc, code);
	if (e->code[0] != '\0' || !add)
		return (e->code[0] != '\0' ? e : NULL);
	if ((fc->n + 1) * 2 > fc->cap) {
		if (fc->cap >= (1u << 22))
			return (NULL);		/* a bound on one push */
		old = fc->v;
		ocap = fc->cap;
		if ((fc->v = calloc(ocap * 2, sizeof(*fc->v))) == NULL) {
			fc->v = old;
			return (NULL);
		}
		fc->cap = ocap * 2;
		for (i = 0; i < ocap; i++) {
			if (old[i].code[0] != '\0')
				*fc_slot(fc, old[i].code) = old[i];
		}
		free(old);
		e = fc_slot(fc, code);
	}
	snprintf(e->code, sizeof(e->code), "%s", code);
	e->id = 0;
	fc->n++;
	return (e);
}

static int64_t
rec_row(const Parkd__V1__SyncChunkRequest *in, size_t i)
{
	return (in->n_rows ? in->rows[i] : in->first_row + (int64_t)i);
}

/* Key of a report for the in-chunk duplicate check. */
static uint64_t
rep_key(int64_t firm, int year, int quarter)
{
	return (((uint64_t)firm << 16) ^ ((uint64_t)year << 2) ^
	    (uint64_t)(quarter - 1));
}

/*
 * Keep report i only if its firm is one of the park's (else refuse it
 * with the reason) and no later row of the chunk is for the same quarter
 * (seen: an open-addressing set of cap slots). 1 to keep, 0 if dropped.
 */
static int
reports_keep(struct req *r, size_t i, uint64_t *seen, size_t cap,
    int64_t *superseded)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct rstate			*rs = r->state;
	struct chunk			*k = &rs->k;
	Parkd__V1__FirmReport		*f = in->firm_reports[i];
	struct fcent			*e = fc_get(k->s, f->credit_code, 0);
	struct viols			*v;
	uint64_t			 key;
	size_t				 h;

	if (e == NULL || e->id <= 0) {
		if ((v = rowerr_new(k, rec_row(in, i))) == NULL)
			return (0);
		if (e != NULL && e->id < 0)
			viols_add(v, "credit_code", "sync.not_in_park", "the "
			    "firm has never been a tenant of %s",
			    k->s->park_code);
		else
			viols_add(v, "credit_code", "sync.unknown_firm", "no "
			    "firm with this credit code; push it first (kind "
			    "firms)");
		return (0);
	}
	key = rep_key(e->id, f->year, f->quarter) + 1;	/* never 0 */
	for (h = (key * 0x9E3779B97F4A7C15ULL) & (cap - 1);
	    seen[h] != 0 && seen[h] != key; h = (h + 1) & (cap - 1))
		;
	if (seen[h] == key) {
		(*superseded)++;
		return (0);
	}
	seen[h] = key;
	return (1);
}

/* Report i into the chunk's columns; 1 if its quarter must be checked. */
static int
reports_column(struct req *r, size_t i)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct chunk			*k = &((struct rstate *)r->state)->k;
	Parkd__V1__FirmReport		*f = in->firm_reports[i];
	struct fcent			*e = fc_get(k->s, f->credit_code, 0);
	char				 b[9][40];

	pgarray_add(&k->cols[0], i64s(b[0], e->id));
	pgarray_add(&k->cols[1], i64s(b[1], f->year));
	pgarray_add(&k->cols[2], i64s(b[2], f->quarter));
	pgarray_add(&k->cols[3], i64s(b[3], f->revenue));
	pgarray_add(&k->cols[4], i64s(b[4], f->jobs));
	pgarray_add(&k->cols[5], i64s(b[5], f->graduate_jobs));
	pgarray_add(&k->cols[6], i64s(b[6], f->rnd_spend));
	pgarray_add(&k->cols[7], i64s(b[7], f->ip_granted));
	pgarray_add(&k->cols[8], i64s(b[8], rec_row(in, i)));
	pgarray_add(&k->cols[9], e->chk ? "t" : "f");
	k->nvalid++;
	return (e->chk);
}

/* Every firm is resolved: refuse strangers, drop superseded, apply. */
static void
reports_apply(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct rstate			*rs = r->state;
	struct chunk			*k = &rs->k;
	uint64_t			*seen;
	size_t				 i, n = in->n_firm_reports, cap;
	int64_t				 superseded = 0;
	int				 anychk = 0;

	cap = 16;
	while (cap < n * 2)
		cap *= 2;
	if ((seen = req_alloc(r, cap * sizeof(*seen))) == NULL) {
		chunk_abort(r, NULL, "out of memory");
		return;
	}
	/* walk backwards: of two rows for one quarter the later wins */
	for (i = n; i-- > 0;) {
		if (rs->ok[i] && !reports_keep(r, i, seen, cap, &superseded))
			rs->ok[i] = 0;
	}
	for (i = 0; i < n; i++) {
		if (rs->ok[i])
			anychk |= reports_column(r, i);
	}
	k->s->updated += superseded;
	if (k->nvalid == 0) {
		chunk_record_refusals(r);
		return;
	}
	reports_insert(r, anychk);
}

/* Insert the chunk's reports (checking quarters if anychk). */
static void
reports_insert(struct req *r, int anychk)
{
	struct chunk	*k = &((struct rstate *)r->state)->k;
	const char	*p[11];
	char		 pid[40];
	int		 i;

	for (i = 0; i < 10; i++) {
		if ((p[i] = pgarray_finish(&k->cols[i])) == NULL) {
			chunk_abort(r, NULL, "out of memory");
			return;
		}
	}
	p[10] = i64s(pid, k->s->park_id);
	if (!anychk) {		/* every firm: an active tenant only ever here */
		db_query(r, "WITH x AS (INSERT INTO firm_reports AS r (firm_id, "
		    "year, quarter, revenue, jobs, graduate_jobs, rnd_spend, "
		    "ip_granted) SELECT firm_id, year, quarter, revenue, jobs, "
		    "graduate_jobs, rnd_spend, ip_granted FROM unnest("
		    "$1::bigint[], $2::int[], $3::int[], $4::bigint[], "
		    "$5::int[], $6::int[], $7::bigint[], $8::int[]) AS u("
		    "firm_id, year, quarter, revenue, jobs, graduate_jobs, "
		    "rnd_spend, ip_granted) " REPORTS_UPSERT ") SELECT count(*) "
		    "FILTER (WHERE ins) AS applied, count(*) FILTER (WHERE NOT "
		    "ins) AS updated, 0 AS superseded, '' AS refused FROM x", 8,
		    p, chunk_applied);
		return;
	}
	/* some were: each of their quarters is checked (0005_scope.sql) */
	db_query(r, "WITH u AS (SELECT * FROM unnest($1::bigint[], $2::int[], "
	    "$3::int[], $4::bigint[], $5::int[], $6::int[], $7::bigint[], "
	    "$8::int[], $9::bigint[], $10::boolean[]) AS u(firm_id, year, "
	    "quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted, "
	    "row_no, chk)), "
	    "m AS (SELECT u.*, (NOT chk OR scope_report_write($11, firm_id, "
	    "year, quarter)) AS ok FROM u), "
	    "x AS (INSERT INTO firm_reports AS r (firm_id, year, "
	    "quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted) "
	    "SELECT firm_id, year, quarter, revenue, jobs, graduate_jobs, "
	    "rnd_spend, ip_granted FROM m WHERE ok " REPORTS_UPSERT ") "
	    "SELECT (SELECT count(*) FILTER (WHERE ins) FROM x) AS applied, "
	    "(SELECT count(*) FILTER (WHERE NOT ins) FROM x) AS updated, 0 AS "
	    "superseded, coalesce((SELECT string_agg(row_no || "
	    "E'\\tother_park', E'\\n' ORDER BY row_no) FROM m WHERE NOT ok), "
	    "'') AS refused", 11, p, chunk_applied);
}

/* The lookup of firms new to this push came back: cache them. */
static void
reports_resolved(struct req *r, PGresult *res)
{
	struct rstate	*rs = r->state;
	struct fcent	*e;
	int		 i;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		if ((e = fc_get(rs->k.s, PQgetvalue(res, i, 0), 1)) == NULL)
			continue;
		/* 2: an active tenant here, 3: ever here, 4: ever elsewhere */
		if (PQgetisnull(res, i, 1))
			e->id = 0;
		else if (PQgetvalue(res, i, 3)[0] != 't')
			e->id = -1;
		else
			e->id = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		/* each quarter checked unless an active tenant only ever here */
		e->chk = PQgetvalue(res, i, 4)[0] == 't' ||
		    PQgetvalue(res, i, 2)[0] != 't';
	}
	reports_apply(r);
}

/*
 * Check every report into rs->ok; the credit codes this push has not seen
 * go into codes. -1 once the chunk is aborted.
 */
static int
reports_check(struct req *r, struct pgarray *codes)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct rstate			*rs = r->state;
	struct chunk			*k = &rs->k;
	struct viols			 v = { 0 }, *dst;
	size_t				 i;

	for (i = 0; i < in->n_firm_reports; i++) {
		const char *code = in->firm_reports[i]->credit_code;

		check_firm_report(&v, "", in->firm_reports[i]);
		if (v.n > 0) {
			if ((dst = rowerr_new(k, rec_row(in, i))) != NULL)
				*dst = v;
			else
				viols_free(&v);
			memset(&v, 0, sizeof(v));
			continue;
		}
		rs->ok[i] = 1;
		if (fc_get(k->s, code, 0) != NULL)
			continue;
		if (fc_get(k->s, code, 1) == NULL) {
			chunk_abort(r, NULL, "too many firms in one push");
			return (-1);
		}
		fc_get(k->s, code, 0)->id = 0;
		pgarray_add(codes, code);
	}
	return (0);
}

/* Check every report; look up the credit codes this push has not seen. */
void
reports_chunk(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct rstate			*rs = r->state;
	struct chunk			*k = &rs->k;
	struct pgarray			 codes;
	const char			*p[2];
	char				 pid[24];

	memset(&codes, 0, sizeof(codes));
	if ((rs->ok = req_alloc(r, in->n_firm_reports + 1)) == NULL) {
		chunk_abort(r, NULL, "out of memory");
		return;
	}
	if (reports_check(r, &codes) != 0) {
		pgarray_free(&codes);
		return;
	}
	if (codes.n == 0) {
		reports_apply(r);
		return;
	}
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	if ((p[1] = pgarray_finish(&codes)) == NULL) {
		chunk_abort(r, NULL, "out of memory");
		return;
	}
	/*
	 * One join, not the scope functions per firm (they cannot be
	 * inlined): an active tenant only ever here is applied unchecked,
	 * which scope_report_write allows for every quarter; any other firm
	 * that was a tenant here is checked quarter by quarter.
	 */
	db_query(r, "SELECT c.code, f.id, coalesce(bool_or(t.park_id = $1 AND "
	    "t.status = 'active'), false), coalesce(bool_or(t.park_id = $1), "
	    "false), coalesce(bool_or(t.park_id <> $1), false) FROM "
	    "unnest($2::text[]) AS c(code) LEFT JOIN firms f ON f.credit_code "
	    "= c.code LEFT JOIN tenancies t ON t.firm_id = f.id GROUP BY "
	    "c.code, f.id", 2, p,
	    reports_resolved);
	pgarray_free(&codes);
}
