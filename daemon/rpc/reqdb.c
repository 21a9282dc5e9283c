/*
 * A request's database connection: taken from the pool (core/dbpool.c),
 * put in the request's park scope, one statement at a time, given back when
 * the request finishes. The pool knows nothing of requests; this file
 * turns its cb(arg, ...) into the request's own callbacks and failures.
 *
 * Scope: before a request uses a connection, the session's role and
 * parkd.scope are made the request's (row-level security,
 * schema/0006_rls.sql): one more round trip only when they change. A new
 * connection has none: it sees nothing until it is set.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "rpc/rpc.h"

static void	db_scoped(struct req *, db_acquire_cb);

/* The statement that sets a scope: scope_set of store/sql/scope.sql. */
static int
db_scope_stmt(void)
{
	static int	 stmt = -1;

	if (stmt < 0 && (stmt = dbpool_stmt_index("scope_set")) < 0)
		fatalx("statement scope_set is missing");
	return (stmt);
}

/* r's scope as scope_set (store/sql/scope.sql) takes it. */
static const char *
db_scope_param(struct req *r, char v[24])
{
	/* an operator: OPERATOR_ROLE, under row-level security; else none */
	if (r->scope == 0)
		snprintf(v, 24, "all");
	else
		snprintf(v, 24, "%lld", (long long)r->scope);
	return (v);
}

static void
db_scope_done(struct req *r, PGresult *res)
{
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		req_fail_pg(r, res, "setting the request's scope");
		return;
	}
	dbpool_set_tag(r->db, r->scope);
	db_scoped(r, r->db_next);
}

/* Set r's scope on its connection if it is not already there, then cb. */
static void
db_scoped(struct req *r, db_acquire_cb cb)
{
	char		 v[24];
	const char	*p[1] = { v };

	if (!r->scoped || dbpool_tag(r->db) == r->scope) {
		cb(r);
		return;
	}
	db_scope_param(r, v);
	r->db_next = cb;
	db_exec(r, db_scope_stmt(), 1, p, db_scope_done);
}

static void
db_got(void *arg, struct dbconn *d, int busy, const char *why)
{
	struct req	*r = arg;

	assert((r->st == REQ_AUTH || r->st == REQ_RUN) && r->db == NULL);
	if (d == NULL) {
		req_fail(r, busy ? PARKD__V1__CODE__RESOURCE_EXHAUSTED :
		    PARKD__V1__CODE__UNAVAILABLE, "%s", why);
		return;
	}
	r->db = d;
	if (r->s == NULL && !r->internal) {
		req_fail(r, PARKD__V1__CODE__UNAVAILABLE, "peer gone");
		return;
	}
	db_scoped(r, r->db_next);
}

/* cb(r) once r holds a connection of the request pool in its scope. */
void
db_acquire(struct req *r, db_acquire_cb cb)
{
	if (r->db != NULL) {
		db_scoped(r, cb);
		return;
	}
	r->db_next = cb;
	dbpool_acquire(0, db_got, r);
}

/*
 * Swap r's request connection for an idle push connection, then cb(r);
 * RESOURCE_EXHAUSTED at once when all push connections are in pushes.
 */
void
db_acquire_push(struct req *r, db_acquire_cb cb)
{
	if (r->db != NULL)
		db_release(r);
	r->db_next = cb;
	dbpool_acquire(1, db_got, r);
}

static void
db_result(void *arg, PGresult *res)
{
	struct req	*r = arg;

	assert((r->st == REQ_RUN || r->st == REQ_AUTH) && r->db != NULL);
	if (res == NULL) {		/* the connection is gone */
		r->db = NULL;
		r->db_error = req_strdup(r, dbpool_lost_why());
	}
	r->db_cb(r, res);
}

static void
db_submitted(void *arg, PGresult *res)
{
	struct req	*r = arg;

	assert(r->st == REQ_RUN && r->db == NULL);
	if (res == NULL)
		r->db_error = req_strdup(r, dbpool_lost_why());
	r->db_cb(r, res);
}

/*
 * Send one statement for r on its connection; cb gets the result, or NULL
 * if the connection was lost. The caller returns right after this call.
 */
void
db_query(struct req *r, const char *sql, int n, const char *const *params,
    db_result_cb cb)
{
	assert(r->db != NULL);
	r->db_cb = cb;
	dbpool_query(r->db, sql, n, params, db_result, r);
}

/* Like db_query, for a statement every connection prepared (store/sql/). */
void
db_exec(struct req *r, int stmt, int n, const char *const *params,
    db_result_cb cb)
{
	db_exec_bin(r, stmt, n, params, NULL, NULL, cb);
}

/* Like db_exec, with some parameters in binary (dbpool_exec_bin). */
void
db_exec_bin(struct req *r, int stmt, int n, const char *const *params,
    const int *lens, const int *fmts, db_result_cb cb)
{
	assert(r->db != NULL);
	r->db_cb = cb;
	dbpool_exec_bin(r->db, stmt, n, params, lens, fmts, db_result, r);
}

/*
 * Send statement stmt for r on a pipelined read connection, in r's scope,
 * without taking a connection (core/dbpipe.c): for a read that needs no
 * transaction. 0, or -1 when no such connection is up.
 */
int
db_submit(struct req *r, int stmt, int n, const char *const *params,
    db_result_cb cb)
{
	struct dbsubmit	 s;
	char		 v[24];

	assert(r->db == NULL);
	memset(&s, 0, sizeof(s));
	s.stmt = stmt;
	s.n = n;
	s.params = params;
	s.tag = r->scoped ? r->scope : DBPOOL_TAG_NONE;
	s.tag_stmt = db_scope_stmt();
	if (r->scoped && (s.tag_param = req_strdup(r, db_scope_param(r, v))) ==
	    NULL)
		return (-1);
	s.cb = db_submitted;
	s.arg = r;
	r->db_cb = cb;
	return (dbpool_submit(&s));
}

/* BEGIN, then stmt, in one round trip: the first statement of a transaction. */
void
db_exec_begin(struct req *r, int stmt, int n, const char *const *params,
    db_result_cb cb)
{
	assert(r->db != NULL);
	r->db_cb = cb;
	dbpool_exec_begin(r->db, "BEGIN", stmt, n, params, db_result, r);
}

/* A connection r held between statements was lost. */
void
db_lost(void *arg)
{
	struct req	*r = arg;

	r->db = NULL;
	req_fail(r, PARKD__V1__CODE__UNAVAILABLE,
	    "database connection lost; retry later");
}

/* r is done with its connection; anything left open is rolled back. */
void
db_release(struct req *r)
{
	struct dbconn	*d = r->db;

	r->db = NULL;
	dbpool_release(d);
}

/*
 * Keep r's connection (and its open transaction) beyond r, for a push;
 * *gen identifies this incarnation of the connection. NULL if refused.
 */
struct dbconn *
db_pin(struct req *r, uint64_t *gen)
{
	struct dbconn	*d = r->db;

	if (d == NULL || (*gen = dbpool_pin(d)) == 0)
		return (NULL);
	r->db = NULL;
	return (d);
}

/* Lend a pinned connection to r; -1 if it broke since it was pinned. */
int
db_attach(struct req *r, struct dbconn *d, uint64_t gen)
{
	if (dbpool_attach(d, gen, r) != 0)
		return (-1);
	r->db = d;
	return (0);
}

/* Take a pinned connection back from r (between requests of a push). */
void
db_detach(struct req *r)
{
	dbpool_detach(r->db);
	r->db = NULL;
}

void
db_unpin(struct dbconn *d, uint64_t gen)
{
	dbpool_unpin(d, gen);
}
