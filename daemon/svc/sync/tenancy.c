/*
 * Tenancies in a push: every entry rule, row by row, with the same
 * checks as EnterFirm (the park lock is taken at commit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

/* ---- tenancies: every entry rule, row by row, under the park lock ---- */

struct tpending {
	struct pgarray	 ins[4];	/* firm_id, entry_date, area, waiver */
	struct pgarray	 upd[3];	/* tenancy id, area, waiver */
};

/* A chunk's row numbers sorted, with each one's record: one lookup each. */
struct rowix {
	int64_t	 row;
	size_t	 idx;
};

static int
rowix_cmp(const void *a, const void *b)
{
	const struct rowix	*x = a, *y = b;

	return (x->row < y->row ? -1 : x->row > y->row);
}

/* Index of the chunk's explicit row numbers (NULL: numbered by first_row). */
static struct rowix *
tenancy_rowix(struct req *r, const Parkd__V1__SyncChunkRequest *in, int *oom)
{
	struct rowix	*ix;
	size_t		 i;

	*oom = 0;
	if (in->n_rows == 0)
		return (NULL);
	if ((ix = req_alloc(r, in->n_rows * sizeof(*ix))) == NULL) {
		*oom = 1;
		return (NULL);
	}
	for (i = 0; i < in->n_rows; i++) {
		ix[i].row = in->rows[i];
		ix[i].idx = i;
	}
	qsort(ix, in->n_rows, sizeof(*ix), rowix_cmp);	/* n log n, any order */
	return (ix);
}

/* The record of row number row. */
static size_t
tenancy_index(const Parkd__V1__SyncChunkRequest *in, const struct rowix *ix,
    int64_t row)
{
	size_t	 lo = 0, hi = in->n_rows, mid;

	if (ix == NULL)
		return ((size_t)(row - in->first_row));
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ix[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < in->n_rows && ix[lo].row == row ? ix[lo].idx : 0);
}

/* Firm ids seen in a chunk: open addressing, capacity a power of two. */
struct idset {
	int64_t	*v;		/* 0: empty (firm ids are positive) */
	size_t	 cap;
};

/* Add id; 1 if it was there already. */
static int
idset_add(struct idset *set, int64_t id)
{
	size_t	 h = ((uint64_t)id * 0x9E3779B97F4A7C15ULL) & (set->cap - 1);

	while (set->v[h] != 0 && set->v[h] != id)
		h = (h + 1) & (set->cap - 1);
	if (set->v[h] == id)
		return (1);
	set->v[h] = id;
	return (0);
}

/* The policy active for row i's entry year; NULL with v saying why. */
static const struct policy *
row_policy(PGresult *res, int i, const char *entry_date, struct viols *v)
{
	const struct policy	*pol;

	if (PQgetisnull(res, i, PQfnumber(res, "policy_hash"))) {
		viols_add(v, "entry_date", "policy.missing", "no policy is "
		    "active for %.4s", entry_date);
		return (NULL);
	}
	pol = policy_cached(pg_get(res, i, "policy_hash"),
	    PQgetisnull(res, i, PQfnumber(res, "policy_body")) ? NULL :
	    pg_get(res, i, "policy_body"));
	if (pol == NULL)
		viols_add(v, "entry_date", "policy.unreadable", "the policy "
		    "for this year cannot be read");
	return (pol);
}

/* Stage an entry that passed: an update of the same tenancy, or a new one. */
static void
tenancy_stage(struct tpending *tp, PGresult *res, int i,
    const Parkd__V1__EnterFirmRequest *t, int64_t firm_id, int same)
{
	char	 b[3][40];

	if (same) {
		pgarray_add(&tp->upd[0], pg_get(res, i, "same_id"));
		pgarray_add(&tp->upd[1], i64s(b[0], t->area));
		pgarray_add(&tp->upd[2], t->waiver_source);
	} else {
		pgarray_add(&tp->ins[0], i64s(b[1], firm_id));
		pgarray_add(&tp->ins[1], t->entry_date);
		pgarray_add(&tp->ins[2], i64s(b[2], t->area));
		pgarray_add(&tp->ins[3], t->waiver_source);
	}
}

/*
 * Row i of the state query: the entry rules for one tenancy of the chunk
 * (the same as EnterFirm's, store/facts.c); 1 and staged if it passes,
 * else 0 and refused with its reasons.
 */
static int
tenancy_row(struct req *r, struct chunk *k, PGresult *res, int i,
    int64_t *occupied, struct tpending *tp, struct idset *seen,
    const struct rowix *ix)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__EnterFirmRequest	*t;
	const struct policy		*pol;
	struct park_facts		 pk;
	struct entry_facts		 e;
	struct viols			 v = { 0 }, *dst;
	int64_t				 row = pg_i64(res, i, "row_no");
	int64_t				 firm_id, same_area = 0;
	int				 same;

	t = in->tenancies[tenancy_index(in, ix, row)];
	if (PQgetisnull(res, i, PQfnumber(res, "firm_id"))) {
		viols_add(&v, "credit_code", "sync.unknown_firm", "no firm with "
		    "this credit code; push it first (kind firms)");
		goto refuse;
	}
	firm_id = pg_i64(res, i, "firm_id");
	if (idset_add(seen, firm_id)) {
		viols_add(&v, "credit_code", "sync.duplicate", "the firm "
		    "appears earlier in this chunk");
		goto refuse;
	}
	if ((pol = row_policy(res, i, t->entry_date, &v)) == NULL)
		goto refuse;
	if ((same = !PQgetisnull(res, i, PQfnumber(res, "same_id"))))
		same_area = pg_i64(res, i, "same_area");
	entry_facts_from_row(r, res, i, &pk, &e);
	pk.occupied_area = *occupied - same_area;
	entry_facts_request(&e, t->credit_code, t->area, t->waiver_source);
	ymd_parse(t->entry_date, &e.entry);
	if (same)		/* already a tenant here: the area may change */
		e.registered = e.entry;
	rules_firm_entry(pol, &pk, &e, &v);
	if (v.n > 0)
		goto refuse;
	*occupied += t->area - same_area;
	tenancy_stage(tp, res, i, t, firm_id, same);
	return (1);
refuse:
	if ((dst = rowerr_new(k, row)) != NULL)
		*dst = v;
	else
		viols_free(&v);
	return (0);
}

static void
tenancy_state_done(struct req *r, PGresult *res)
{
	struct chunk	*k = r->state;
	struct tpending	 tp;
	struct rowix	*ix;
	const char	*p[8];
	char		 pid[24];
	struct idset	 seen;
	int64_t		 occupied;
	int		 i, j, ok = 1, oom;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	memset(&tp, 0, sizeof(tp));
	occupied = PQntuples(res) ? pg_i64(res, 0, "occupied") : 0;
	for (seen.cap = 16; seen.cap < (size_t)PQntuples(res) * 2;)
		seen.cap *= 2;
	seen.v = req_alloc(r, seen.cap * sizeof(*seen.v));
	ix = tenancy_rowix(r, (void *)r->in, &oom);
	for (i = j = 0; seen.v != NULL && !oom && i < PQntuples(res); i++)
		j += tenancy_row(r, k, res, i, &occupied, &tp, &seen, ix) ?
		    1 : 0;
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	for (i = 0; i < 4; i++)
		ok &= (p[i + 1] = pgarray_finish(&tp.ins[i])) != NULL;
	for (i = 0; i < 3; i++)
		ok &= (p[i + 5] = pgarray_finish(&tp.upd[i])) != NULL;
	if (seen.v == NULL || oom || !ok) /* never drop checked rows silently */
		chunk_abort(r, NULL, "out of memory");
	else if (j > 0)
		db_exec(r, SQL_SYNC_TENANCIES_WRITE, 8, p, chunk_applied);
	else
		chunk_record_refusals(r);
	for (i = 0; i < 4; i++)
		pgarray_free(&tp.ins[i]);
	for (i = 0; i < 3; i++)
		pgarray_free(&tp.upd[i]);
}

static void
tenancy_state(struct req *r, PGresult *res)
{
	struct chunk	*k = r->state;
	const char	*p[4];
	char		 pid[24];
	int		 i;

	if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	k->s->tenancies = 1;
	if (k->nvalid == 0) {
		chunk_record_refusals(r);
		return;
	}
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	/* cols: [0] row_no, [1] credit_code, [2] entry_date */
	for (i = 0; i < 3; i++) {
		if ((p[i + 1] = pgarray_finish(&k->cols[i])) == NULL) {
			chunk_abort(r, NULL, "out of memory");
			return;
		}
	}
	db_exec(r, SQL_SYNC_TENANCIES_CHECK, 4, p, tenancy_state_done);
}

/*
 * Read the chunk's state and check it. The park is not locked across the
 * client's round trips: CommitSync locks it and checks the area again.
 */
void
tenancy_chunk(struct req *r)
{
	tenancy_state(r, NULL);
}
