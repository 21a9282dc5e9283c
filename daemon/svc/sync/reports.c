/*
 * firm_reports: the fast path of the big quarterly pushes, with a
 * per-push cache of credit code -> firm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

static void	reports_insert(struct req *r);

/* ---- firm_reports: the fast path of the big quarterly pushes ---- */

/*
 * A chunk's reports go to PostgreSQL as arrays in binary (lib/pgbin.c): no
 * text to write here or to parse there. A report is fresh when this push
 * knows its quarter is not stored: its firm is only ever an active tenant
 * here (all its reports are visible to the push) and the quarter comes
 * after the firm's latest stored at the firm's first lookup and after any
 * this push wrote. A chunk of fresh reports only is one plain INSERT
 * (sync_reports_fresh: the cost of COPY, minus the parsing); otherwise
 * sync_reports_write inserts the fresh ones and upserts the others (ON
 * CONFLICT's speculative insertion cost a third more per row than a plain
 * insert, and less than finding a stored row and updating it). A
 * concurrent insert of a quarter thought fresh fails the push
 * (reports_written).
 */
#define REPORTS_NBIN	11

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
	e->last = -1;
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
	struct fcent			*e = rs->ent[i] = rs->moved ?
					    fc_get(k->s, f->credit_code, 0) :
					    rs->ent[i];
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

/* Report i into the chunk's columns; 0 if it is fresh, 1 if not. */
static int
reports_column(struct req *r, size_t i)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct chunk			*k = &((struct rstate *)r->state)->k;
	Parkd__V1__FirmReport		*f = in->firm_reports[i];
	struct fcent			*e = ((struct rstate *)r->state)->ent[i];
	struct pgbin			*b = k->bin;
	int32_t				 q = f->year * 4 + f->quarter - 1;
	int				 fresh = !e->chk && q > e->last;

	if (q > e->last)
		e->last = q;
	pgbin_i64(&b[0], e->id);
	pgbin_i32(&b[1], f->year);
	pgbin_i32(&b[2], f->quarter);
	pgbin_i64(&b[3], f->revenue);
	pgbin_i32(&b[4], f->jobs);
	pgbin_i32(&b[5], f->graduate_jobs);
	pgbin_i64(&b[6], f->rnd_spend);
	pgbin_i32(&b[7], f->ip_granted);
	pgbin_i64(&b[8], rec_row(in, i));
	pgbin_bool(&b[9], e->chk);
	pgbin_bool(&b[10], fresh);
	k->nvalid++;
	return (!fresh);
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
			rs->stale |= reports_column(r, i);
	}
	k->s->updated += superseded;
	if (k->nvalid == 0) {
		chunk_record_refusals(r);
		return;
	}
	reports_insert(r);
}

/*
 * Written. A quarter that another request inserted after this push looked
 * (a unique violation) ends the push, which can be pushed again.
 */
static void
reports_written(struct req *r, PGresult *res)
{
	const char	*st = NULL;

	if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR)
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (st != NULL && strcmp(st, "23505") == 0) {
		chunk_abort_as(r, res, PARKD__V1__CODE__UNAVAILABLE, "another "
		    "request wrote a report of the same firm and quarter at "
		    "the same moment");
		return;
	}
	chunk_applied(r, res);
}

/* Write the chunk's reports: fresh ones only, or any. */
static void
reports_insert(struct req *r)
{
	struct rstate	*rs = r->state;
	struct chunk	*k = &rs->k;
	const char	*p[REPORTS_NBIN + 1];
	int		 len[REPORTS_NBIN + 1], fmt[REPORTS_NBIN + 1];
	char		 num[24];
	int		 i;

	for (i = 0; i < REPORTS_NBIN; i++) {
		if (pgbin_end(&k->bin[i]) != 0) {
			chunk_abort(r, NULL, "out of memory");
			return;
		}
		p[i] = (const char *)k->bin[i].b;
		len[i] = (int)k->bin[i].len;
		fmt[i] = 1;
	}
	len[i] = fmt[i] = 0;
	if (!rs->stale) {
		p[8] = i64s(num, k->nvalid);
		fmt[8] = len[8] = 0;
		db_exec_bin(r, SQL_SYNC_REPORTS_FRESH, 9, p, len, fmt,
		    reports_written);
		return;
	}
	p[REPORTS_NBIN] = i64s(num, k->s->park_id);
	db_exec_bin(r, SQL_SYNC_REPORTS_WRITE, REPORTS_NBIN + 1, p, len, fmt,
	    reports_written);
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
		e->last = PQgetisnull(res, i, 5) ? -1 :
		    (int32_t)strtol(PQgetvalue(res, i, 5), NULL, 10);
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
	struct fcent			*e;
	size_t				 i, cap = k->s->fc ? k->s->fc->cap : 0;

	for (i = 0; i < in->n_firm_reports; i++) {
		Parkd__V1__FirmReport *f = in->firm_reports[i];

		/* a cached code passed its check in an earlier row */
		if ((e = fc_get(k->s, f->credit_code, 0)) != NULL)
			check_firm_report_figures(&v, "", f);
		else
			check_firm_report(&v, "", f);
		if (v.n > 0) {
			if ((dst = rowerr_new(k, rec_row(in, i))) != NULL)
				*dst = v;
			else
				viols_free(&v);
			memset(&v, 0, sizeof(v));
			continue;
		}
		rs->ok[i] = 1;
		if ((rs->ent[i] = e) != NULL)
			continue;
		if ((rs->ent[i] = fc_get(k->s, f->credit_code, 1)) == NULL) {
			chunk_abort(r, NULL, "too many firms in one push");
			return (-1);
		}
		pgarray_add(codes, f->credit_code);
	}
	/* a table that grew moved its entries: look them up again */
	rs->moved = k->s->fc == NULL || k->s->fc->cap != cap;
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
	if ((rs->ok = req_alloc(r, in->n_firm_reports + 1)) == NULL ||
	    (rs->ent = req_alloc(r, (in->n_firm_reports + 1) *
	    sizeof(*rs->ent))) == NULL) {
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
	db_exec(r, SQL_SYNC_REPORT_FIRMS, 2, p, reports_resolved);
	pgarray_free(&codes);
}
