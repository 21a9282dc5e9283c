/*
 * SyncChunk: check a chunk's rows, apply the good ones with one
 * set-based statement, record the refused ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

/* ---- SyncChunk ---- */

static void
chunk_reply(struct req *r)
{
	struct chunk			*k = r->state;
	struct sync_session		*s = k->s;
	Parkd__V1__SyncChunkResponse	 out =
	    PARKD__V1__SYNC_CHUNK_RESPONSE__INIT;
	Parkd__V1__SyncRowError		*e;
	size_t				 i, j;

	struct chunk			 keep = *k;

	out.accepted = k->nrows - (int64_t)k->errs.n;
	out.refused = req_alloc(r, (k->errs.n ? k->errs.n : 1) *
	    sizeof(void *));
	e = req_alloc(r, (k->errs.n ? k->errs.n : 1) * sizeof(*e));
	for (i = 0; out.refused != NULL && e != NULL && i < k->errs.n; i++) {
		struct viols *vs = &k->errs.e[i].v;

		parkd__v1__sync_row_error__init(&e[i]);
		e[i].row = k->errs.e[i].row;
		e[i].violations = req_alloc(r, (vs->n ? vs->n : 1) *
		    sizeof(void *));
		for (j = 0; e[i].violations != NULL && j < vs->n; j++) {
			Parkd__V1__Violation *v = req_alloc(r, sizeof(*v));

			if (v == NULL)
				break;
			parkd__v1__violation__init(v);
			v->field = vs->v[j].field;
			v->rule = vs->v[j].rule;
			v->message = vs->v[j].message;
			e[i].violations[e[i].n_violations++] = v;
		}
		out.refused[out.n_refused++] = &e[i];
	}
	s->rows += k->nrows;
	s->refused += (int64_t)k->errs.n;
	sync_reply(r, s, &out.base);	/* frees r and k */
	chunk_free(&keep);		/* what k pointed to outside the arena */
}

static void
chunk_refusals_done(struct req *r, PGresult *res)
{
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	chunk_reply(r);
}

/* Record this chunk's refused rows with the push (same transaction). */
void
chunk_record_refusals(struct req *r)
{
	struct chunk	*k = r->state;
	struct pgarray	 c[5];
	const char	*p[6];
	char		 rb[24];
	size_t		 i, j;
	int		 n;

	if (k->errs.n == 0) {
		chunk_reply(r);
		return;
	}
	memset(c, 0, sizeof(c));
	for (i = 0; i < k->errs.n; i++) {
		for (j = 0; j < k->errs.e[i].v.n; j++) {
			snprintf(rb, sizeof(rb), "%lld",
			    (long long)k->errs.e[i].row);
			pgarray_add(&c[0], rb);
			pgarray_add(&c[1], k->errs.e[i].v.v[j].field);
			pgarray_add(&c[2], k->errs.e[i].v.v[j].rule);
			pgarray_add(&c[3], k->errs.e[i].v.v[j].message);
		}
	}
	p[0] = k->s->key;
	for (n = 0; n < 4; n++)
		p[n + 1] = pgarray_finish(&c[n]);
	if (p[1] == NULL || p[2] == NULL || p[3] == NULL || p[4] == NULL) {
		for (n = 0; n < 4; n++)
			pgarray_free(&c[n]);
		chunk_reply(r);		/* still answered; not recorded */
		return;
	}
	p[5] = k->s->principal;
	db_exec(r, SQL_SYNC_REFUSALS_INSERT, 6, p, chunk_refusals_done);
	for (n = 0; n < 4; n++)
		pgarray_free(&c[n]);
}

void
chunk_applied(struct req *r, PGresult *res)
{
	struct chunk	*k = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	k->s->applied += pg_i64(res, 0, "applied");
	k->s->updated += pg_i64(res, 0, "updated") +
	    pg_i64(res, 0, "superseded");
	db_refusals(k, pg_get(res, 0, "refused"));
	chunk_record_refusals(r);
}

/* Apply the chunk's valid rows with the kind's statement. */
void
chunk_apply(struct req *r)
{
	struct chunk	*k = r->state;
	const char	*p[SYNC_MAX_COLS + 2];
	char		 pid[24];
	int		 i;

	if (k->nvalid == 0) {
		chunk_record_refusals(r);
		return;
	}
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	for (i = 0; i <= kind_ncols(k->s->kind); i++) {
		if ((p[i + 1] = pgarray_finish(&k->cols[i])) == NULL) {
			chunk_abort(r, NULL, "out of memory");
			return;
		}
	}
	db_exec(r, k->s->kind->stmt, kind_ncols(k->s->kind) + 2, p,
	    chunk_applied);
}


/* Rows the client could not read are refused as they were reported. */
static void
add_unreadable(struct req *r, struct chunk *k)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	size_t				 i, j;

	for (i = 0; i < in->n_unreadable && i < 100000; i++) {
		Parkd__V1__SyncRowError	*u = in->unreadable[i];
		struct viols		*v = rowerr_new(k, u->row);

		for (j = 0; v != NULL && j < u->n_violations && j < 16; j++)
			viols_add(v, u->violations[j]->field,
			    u->violations[j]->rule, "%.500s",
			    u->violations[j]->message);
		if (v != NULL && v->n == 0)
			viols_add(v, "", "sync.unreadable", "unreadable row");
	}
}

/* Check every row of the chunk, then apply it (holding the session). */
static void
chunk_start(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct chunk			*k = r->state;
	const struct sync_kind		*kind = k->s->kind;
	const char			*vals[SYNC_MAX_COLS];
	char				 b[SYNC_MAX_COLS][40];
	size_t				 i, n = kind_count(kind, in);

	add_unreadable(r, k);
	k->nrows = (int64_t)(n + in->n_unreadable);
	for (i = 0; kind->row != NULL && i < n; i++)
		kind->row(r, k, i, in->n_rows ? in->rows[i] :
		    in->first_row + (int64_t)i, vals, b);
	kind->apply(r);
}

void
svc_sync_chunk(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct sync_session		*s;
	struct chunk			*k;

	if ((s = session_of(r, in->sync_id)) == NULL)
		return;
	if (kind_others(s->kind, in) > 0 || (in->n_rows == 0 && in->first_row < 1) ||
	    (in->n_rows > 0 && in->n_rows != kind_count(s->kind, in))) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "this push "
		    "carries %s only, numbered by first_row >= 1 or by one "
		    "entry of rows per record", s->kind->name);
		return;
	}
	/* (a struct rstate begins with the struct chunk) */
	if ((k = r->state = req_alloc(r, sizeof(struct rstate))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	k->s = s;
	sync_run(s, r, chunk_start);
}
