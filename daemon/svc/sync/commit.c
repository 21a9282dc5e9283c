/*
 * CommitSync: re-check under the park lock, store the outcome under the
 * idempotency key and commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

static void	commit_park_locked(struct req *r, PGresult *res);
static void	commit_check_firms(struct req *r);
static void	commit_firms_checked(struct req *r, PGresult *res);
static void	commit_record(struct req *r);

/* ---- CommitSync ---- */

struct commit {
	struct sync_session	*s;
	Parkd__V1__SyncOutcome	*o;
};

static void
commit_stored(struct req *r, PGresult *res)
{
	struct commit		*cm = r->state;
	struct sync_session	*s = cm->s;

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		sync_abort(r, s, res, NULL);
		return;
	}
	log_info("sync committed cid=%llu park=%s kind=%s key=%s rows=%lld "
	    "applied=%lld updated=%lld refused=%lld",
	    (unsigned long long)r->cid, s->park_code, s->kind->name, s->key,
	    (long long)s->rows, (long long)s->applied, (long long)s->updated,
	    (long long)s->refused);
	stats.sync_commits++;
	stats.sync_rows[0] += (uint64_t)s->applied;
	stats.sync_rows[1] += (uint64_t)s->updated;
	stats.sync_rows[2] += (uint64_t)s->refused;
	sync_release(r, s);
	sync_detach(s);
	req_reply(r, &cm->o->base);
	sync_kick(s);		/* frees the session, returning the connection */
}

static void
commit_refusals(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	if ((cm->o = req_alloc(r, sizeof(*cm->o))) == NULL) {
		sync_abort(r, cm->s, NULL, "out of memory");
		return;
	}
	parkd__v1__sync_outcome__init(cm->o);
	cm->o->rows = cm->s->rows;
	cm->o->applied = cm->s->applied;
	cm->o->updated = cm->s->updated;
	cm->o->refused = cm->s->refused;
	/* the refusals must outlive res: copy the strings */
	cm->o->refusals = pack_rowerrs(r, res, &cm->o->n_refusals);
	for (size_t i = 0; i < cm->o->n_refusals; i++) {
		Parkd__V1__Violation *v = cm->o->refusals[i]->violations[0];

		v->field = req_strdup(r, v->field);
		v->rule = req_strdup(r, v->rule);
		v->message = req_strdup(r, v->message);
	}
	db_query(r, "COMMIT", 0, NULL, commit_stored);
}

static void
commit_recorded(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;
	const char	*p[2] = { cm->s->key, cm->s->principal };

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	db_exec(r, SQL_SYNC_REFUSALS_LIST, 2, p, commit_refusals);
}

/*
 * A tenancies push, at commit: the park locked now (for this statement's
 * transaction only), its entries since the push began may not have
 * overfilled it, nor may it have left admission.
 */
static void
commit_lock_park(struct req *r)
{
	struct commit	*cm = r->state;
	char		 pid[24];
	const char	*p[1] = { pid };

	snprintf(pid, sizeof(pid), "%lld", (long long)cm->s->park_id);
	db_exec(r, SQL_SYNC_COMMIT_PARK_LOCK, 1, p, commit_park_locked);
}

static void
commit_park_locked(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		sync_fail(r, cm->s, PARKD__V1__CODE__NOT_FOUND, "park %s is "
		    "gone", cm->s->park_code);
		return;
	}
	if (pg_i64(res, 0, "occupied") > pg_i64(res, 0, "total_area") ||
	    strcmp(pg_get(res, 0, "status"), "exited") == 0 ||
	    strcmp(pg_get(res, 0, "status"), "applied") == 0) {
		sync_fail(r, cm->s, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "park %s changed during the push (status %s, %lld of %lld "
		    "m2 x 100 occupied); nothing was applied: push again with "
		    "the same idempotency_key", cm->s->park_code,
		    pg_get(res, 0, "status"), (long long)pg_i64(res, 0,
		    "occupied"), (long long)pg_i64(res, 0, "total_area"));
		return;
	}
	commit_record(r);
}

static void
commit_start(struct req *r)
{
	struct commit	*cm = r->state;

	if (cm->s->tenancies)
		commit_lock_park(r);
	else if (cm->s->fc != NULL && cm->s->fc->n > 0)
		commit_check_firms(r);
	else
		commit_record(r);
}

/*
 * A firm_reports push wrote the reports of firms that had never been a
 * tenant elsewhere without checking each quarter: if one has become a
 * tenant of another park since the push looked it up, the push fails.
 */
static void
commit_check_firms(struct req *r)
{
	struct commit		*cm = r->state;
	struct firmcache	*fc = cm->s->fc;
	struct pgarray		 ids;
	const char		*p[2];
	char			 b[40];
	size_t			 i;

	memset(&ids, 0, sizeof(ids));
	for (i = 0; i < fc->cap; i++) {
		if (fc->v[i].code[0] != '\0' && fc->v[i].id > 0 &&
		    !fc->v[i].chk)
			pgarray_add_i64(&ids, fc->v[i].id);
	}
	if ((p[0] = pgarray_finish(&ids)) == NULL) {
		pgarray_free(&ids);
		sync_abort(r, cm->s, NULL, "out of memory");
		return;
	}
	p[1] = i64s(b, cm->s->park_id);
	db_exec(r, SQL_SYNC_COMMIT_FIRMS_ELSEWHERE, 2, p, commit_firms_checked);
	pgarray_free(&ids);
}

static void
commit_firms_checked(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	if (PQntuples(res) > 0) {
		sync_fail(r, cm->s, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "firm %s became a tenant of another park during the push; "
		    "nothing was applied: push again (the same key) and its "
		    "quarters will be checked", PQgetvalue(res, 0, 0));
		return;
	}
	commit_record(r);
}

static void
commit_record(struct req *r)
{
	struct commit		*cm = r->state;
	struct sync_session	*s = cm->s;
	struct qparams		 q;

	qp_init(&q);
	qp_audit(&q, r);
	qp_str(&q, s->key);
	qp_i64(&q, s->park_id);
	qp_str(&q, s->kind->name);
	qp_i64(&q, s->rows);
	qp_i64(&q, s->applied);
	qp_i64(&q, s->updated);
	qp_i64(&q, s->refused);
	q.v[3] = s->key;	/* the push's key, for the audit row */
	db_exec(r, SQL_SYNC_COMMIT_BATCH, q.n, q.v, commit_recorded);
}

static void
svc_sync_commit(struct req *r)
{
	Parkd__V1__CommitSyncRequest	*in = (void *)r->in;
	struct sync_session		*s;
	struct commit			*cm;

	if ((s = session_of(r, in->sync_id)) == NULL)
		return;
	if ((cm = r->state = req_alloc(r, sizeof(*cm))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	cm->s = s;
	sync_run(s, r, commit_start);
}
/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_sync_methods[] = {
	{ .name = "BeginSync", .handler = svc_sync_begin,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "SyncChunk", .handler = svc_sync_chunk,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR, .own_conn = 1 },
	{ .name = "CommitSync", .handler = svc_sync_commit,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR, .own_conn = 1 },
	{ .name = NULL }
};

