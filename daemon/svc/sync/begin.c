/*
 * BeginSync: open a push (or replay a committed key's outcome).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

static void	begin_push(struct req *r);
static int	sync_open_count(int64_t principal_id);

/* ---- BeginSync ---- */

struct begin {
	const struct sync_kind	*kind;
	int64_t			 park_id;
	int64_t			 rows, applied, updated, refused;
};

Parkd__V1__SyncRowError **
pack_rowerrs(struct req *r, PGresult *res, size_t *n)
{
	Parkd__V1__SyncRowError	**out;
	Parkd__V1__Violation	 *v;
	int			  i, rows = res ? PQntuples(res) : 0;

	*n = 0;
	if (rows == 0 || (out = req_alloc(r, (size_t)rows * sizeof(*out))) ==
	    NULL)
		return (NULL);
	for (i = 0; i < rows; i++) {
		if ((out[i] = req_alloc(r, sizeof(**out))) == NULL ||
		    (v = req_alloc(r, sizeof(*v))) == NULL ||
		    (out[i]->violations = req_alloc(r, sizeof(v))) == NULL)
			break;
		parkd__v1__sync_row_error__init(out[i]);
		parkd__v1__violation__init(v);
		out[i]->row = pg_i64(res, i, "row_no");
		v->field = (char *)pg_get(res, i, "field");
		v->rule = (char *)pg_get(res, i, "rule");
		v->message = (char *)pg_get(res, i, "message");
		out[i]->violations = req_alloc(r, sizeof(v));
		if (out[i]->violations == NULL)
			break;
		out[i]->violations[0] = v;
		out[i]->n_violations = 1;
	}
	*n = (size_t)i;
	return (out);
}

static void
begin_replay_done(struct req *r, PGresult *res)
{
	struct begin			*b = r->state;
	Parkd__V1__BeginSyncResponse	 out =
	    PARKD__V1__BEGIN_SYNC_RESPONSE__INIT;
	Parkd__V1__SyncOutcome		 o = PARKD__V1__SYNC_OUTCOME__INIT;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "BeginSync"))
		return;
	o.rows = b->rows;
	o.applied = b->applied;
	o.updated = b->updated;
	o.refused = b->refused;
	o.replayed = 1;
	o.refusals = pack_rowerrs(r, res, &o.n_refusals);
	out.done = 1;
	out.outcome = &o;
	req_reply(r, &out.base);
}

static void
begin_open_done(struct req *r, PGresult *res)
{
	Parkd__V1__BeginSyncRequest	*in = (void *)r->in;
	struct begin			*b = r->state;
	Parkd__V1__BeginSyncResponse	 out =
	    PARKD__V1__BEGIN_SYNC_RESPONSE__INIT;
	struct sync_session		*s;

	if (!pg_ok(r, res, PGRES_COMMAND_OK, "BeginSync"))
		return;
	if (r->s == NULL || r->s->push != NULL) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "a push is "
		    "already open on this connection");
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if ((s->db = db_pin(r, &s->gen)) == NULL) {
		free(s);
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "too many "
		    "pushes in progress on this parkd; retry shortly");
		return;
	}
	TAILQ_INIT(&s->waiting);
	s->principal_id = r->pr.id;
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	s->ss = r->s;
	s->id = ++next_sync_id;
	s->kind = b->kind;
	s->park_id = b->park_id;
	snprintf(s->park_code, sizeof(s->park_code), "%s", in->park_code);
	snprintf(s->key, sizeof(s->key), "%s", r->idem_key);
	i64s(s->principal, r->pr.id);
	r->s->push = s;
	log_info("sync open cid=%llu park=%s kind=%s key=%s",
	    (unsigned long long)r->cid, s->park_code, s->kind->name, s->key);
	out.sync_id = s->id;
	req_reply(r, &out.base);
}

static void
begin_checked(struct req *r, PGresult *res)
{
	Parkd__V1__BeginSyncRequest	*in = (void *)r->in;
	struct begin			*b = r->state;
	const char			*p[2];
	char				 pid[40];

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "BeginSync"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no park '%s'",
		    in->park_code);
		return;
	}
	b->park_id = pg_i64(res, 0, "park_id");
	if (!auth_park_allowed(r, b->park_id)) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "an operator "
		    "may only push data for its own park");
		return;
	}
	if (!PQgetisnull(res, 0, PQfnumber(res, "kind"))) {
		if (pg_i64(res, 0, "b_park") != b->park_id ||
		    strcmp(pg_get(res, 0, "kind"), b->kind->name) != 0) {
			req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
			    "idempotency_key '%s' was used for another push "
			    "(%s)", r->idem_key, pg_get(res, 0, "kind"));
			return;
		}
		b->rows = pg_i64(res, 0, "rows");
		b->applied = pg_i64(res, 0, "applied");
		b->updated = pg_i64(res, 0, "updated");
		b->refused = pg_i64(res, 0, "refused");
		p[0] = r->idem_key;
		p[1] = i64s(pid, r->pr.id);
		db_exec(r, SQL_SYNC_REFUSALS_LIST, 2, p, begin_replay_done);
		return;
	}
	if (sync_open_count(r->pr.id) >= server->cfg->push_per_principal) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "%s already "
		    "has %d push(es) open on this parkd (push_per_principal); "
		    "commit one first", r->pr.name,
		    server->cfg->push_per_principal);
		return;
	}
	db_acquire_push(r, begin_push);
}

/* A push connection of its own: the push's transaction begins. */
static void
begin_push(struct req *r)
{
	db_query(r, "BEGIN", 0, NULL, begin_open_done);
}

/* Pushes open now by one principal. */
static int
sync_open_count(int64_t principal_id)
{
	struct sync_session	*s;
	int			 n = 0;

	TAILQ_FOREACH(s, &sessions, entry)
		n += s->principal_id == principal_id;
	return (n);
}

void
svc_sync_begin(struct req *r)
{
	Parkd__V1__BeginSyncRequest	*in = (void *)r->in;
	struct begin			*b;
	const char			*p[3];
	char				 pid[40];

	if ((b = r->state = req_alloc(r, sizeof(*b))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if ((b->kind = kind_find(in->kind)) == NULL)
		viols_add(&r->v, "kind", "sync.kind", "must be firms, "
		    "tenancies, certifications, firm_reports, park_reports or "
		    "activities");
	if (*r->idem_key == '\0')
		viols_add(&r->v, "idempotency_key", "sync.key", "a push needs "
		    "an idempotency_key, reused when it is retried");
	if (r->s != NULL && r->s->push != NULL)
		viols_add(&r->v, "", "sync.open", "a push is already open on "
		    "this connection; commit it first");
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "BeginSync is not "
		    "valid");
		return;
	}
	p[0] = in->park_code;
	p[1] = r->idem_key;
	p[2] = i64s(pid, r->pr.id);
	db_exec(r, SQL_SYNC_BEGIN_LOOKUP, 3, p, begin_checked);
}
