/*
 * One pool connection's life: connect (non-blocking), prepare every
 * statement of store/sql/ in one round trip, send a statement with its
 * deadline, collect the result, and on any failure drop the connection,
 * tell its owner and reconnect with backoff. The loop never waits on
 * PostgreSQL; libpq 15's cancel blocks, so it is never called: a statement
 * past query_timeout_ms loses its connection instead.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dbpool_int.h"

static void	db_event_cb(evutil_socket_t fd, short what, void *arg);

void
db_unwatch(struct dbconn *d)
{
	if (d->ev != NULL) {
		event_free(d->ev);
		d->ev = NULL;
	}
	d->ev_fd = -1;
	d->ev_what = 0;
}

/* Watch the connection's socket; libpq may have changed it, so re-read it. */
void
db_watch(struct dbconn *d, short what)
{
	int	 fd = PQsocket(d->pg);

	if (d->ev != NULL && d->ev_fd == fd && d->ev_what == what)
		return;
	db_unwatch(d);
	if (fd < 0)
		return;
	d->ev = event_new(server->base, fd, what | EV_PERSIST, db_event_cb, d);
	if (d->ev == NULL || event_add(d->ev, NULL) != 0)
		fatalx("db: cannot watch socket");
	d->ev_fd = fd;
	d->ev_what = what;
}

void
db_timer(struct dbconn *d, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(d->timer, &tv);
}

/* The connection is lost: tell its owner, reconnect later. */
void
db_broken(struct dbconn *d, const char *why)
{
	void			*arg = d->arg;
	dbpool_result_cb	 cb = d->cb;
	int			 querying = d->querying;
	int			 wl = (int)strcspn(why, "\n");

	if (d->failures++ == 0)
		log_warnx("db conn=%d lost: %.*s", d->idx, wl, why);
	else
		log_debug("db conn=%d still down: %.*s", d->idx, wl, why);
	/* why may be libpq's, freed with the connection below */
	snprintf(pool.lost_why, sizeof(pool.lost_why), "%.*s", wl, why);
	db_unwatch(d);
	evtimer_del(d->timer);
	d->gen++;
	if (d->pinned) {
		d->pinned = 0;
		pool.npinned--;
	}
	PQclear(d->result);
	d->result = NULL;
	if (d->pg != NULL) {
		PQfinish(d->pg);
		d->pg = NULL;
	}
	d->state = DB_DOWN;
	d->arg = NULL;
	d->cb = NULL;
	d->querying = d->rolling_back = 0;
	d->begin_pipe = 0;
	if (d->pipe)
		db_pipe_lost(d);
	db_timer(d, d->backoff_ms);
	d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    d->backoff_ms * 2;
	if (arg != NULL) {
		if (querying && cb != NULL)
			cb(arg, NULL);
		else if (pool.lost != NULL)
			pool.lost(arg);
	}
	if (db_healthy() == 0 && db_connecting() == 0)
		db_fail_waiters();
}

/* Why the last connection was lost (for a result callback given NULL). */
const char *
dbpool_lost_why(void)
{
	return (pool.lost_why);
}

static void
db_notice(void *arg, const char *msg)
{
	struct dbconn	*d = arg;

	log_debug("db conn=%d notice: %.*s", d->idx,
	    (int)strcspn(msg, "\n"), msg);
}

/*
 * A new connection prepares every statement in one round trip (SQL
 * PREPARE, one simple query), so requests call them by name.
 */
static void
db_prepare(struct dbconn *d)
{
	if (pool.prepare == NULL || d->probe) {
		db_make_idle(d);
		return;
	}
	d->state = DB_PREPARING;
	db_send(d, pool.prepare, -1, NULL, NULL, NULL,
	    CONNECT_DEADLINE_MS);
}

static void
db_connect_poll(struct dbconn *d)
{
	switch (PQconnectPoll(d->pg)) {
	case PGRES_POLLING_READING:
		db_watch(d, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		db_watch(d, EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		evtimer_del(d->timer);
		if (PQsetnonblocking(d->pg, 1) != 0) {
			db_broken(d, "cannot set non-blocking mode");
			return;
		}
		PQsetNoticeProcessor(d->pg, db_notice, d);
		if (d->failures > 0)
			log_info("db conn=%d connected again", d->idx);
		else
			log_debug("db conn=%d connected", d->idx);
		d->failures = 0;
		d->backoff_ms = BACKOFF_MIN_MS;
		db_prepare(d);
		return;
	default:
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
}

static void
db_prepared(struct dbconn *d, PGresult *res)
{
	char	 why[512];

	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		db_make_idle(d);
		return;
	}
	snprintf(why, sizeof(why), "preparing statements: %s",
	    PQresultErrorMessage(res));
	PQclear(res);
	db_broken(d, why);
}

/* Keep res as the statement's outcome: the first error, else the last. */
static void
db_keep(struct dbconn *d, PGresult *res)
{
	if (d->result != NULL && PQresultStatus(d->result) == PGRES_FATAL_ERROR)
		PQclear(res);
	else {
		PQclear(d->result);
		d->result = res;
	}
}

static void	db_deliver(struct dbconn *);

/*
 * Results of BEGIN and a statement sent together (dbpool_exec_begin): BEGIN's
 * own answer is dropped unless it failed, the statement's kept; at the Sync
 * the connection leaves pipeline mode and the outcome is delivered.
 */
static void
db_read_begun(struct dbconn *d)
{
	PGresult	*res;

	while (!PQisBusy(d->pg)) {
		if ((res = PQgetResult(d->pg)) == NULL) {
			d->begin_ends++;	/* BEGIN's, then the statement's */
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			d->begin_pipe = 0;
			if (PQexitPipelineMode(d->pg) != 1) {
				db_broken(d, PQerrorMessage(d->pg));
				return;
			}
			db_deliver(d);
			return;
		}
		if (d->begin_ends == 0 &&
		    PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);		/* BEGIN went through */
			continue;
		}
		db_keep(d, res);
	}
}

/* Collect results; deliver the query's outcome once libpq has all of it. */
static void
db_read_results(struct dbconn *d)
{
	PGresult		*res;

	if (d->begin_pipe) {
		db_read_begun(d);
		return;
	}
	while (!PQisBusy(d->pg)) {
		if ((res = PQgetResult(d->pg)) != NULL) {
			db_keep(d, res);
			continue;
		}
		db_deliver(d);
		return;
	}
}

/* The statement out on d is answered: to its owner (or the pool's own). */
static void
db_deliver(struct dbconn *d)
{
	PGresult		*res;
	dbpool_result_cb	 cb;

	res = d->result;
	d->result = NULL;
	d->querying = 0;
	evtimer_del(d->timer);
	db_watch(d, EV_READ);
	if (d->probe) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			pool.probe_ok_ms = now_ms();
		PQclear(res);
		d->state = DB_IDLE;
		return;
	}
	if (d->rolling_back) {
		d->rolling_back = 0;
		PQclear(res);
		db_make_idle(d);
		return;
	}
	if (d->state == DB_PREPARING) {
		db_prepared(d, res);
		return;
	}
	cb = d->cb;
	assert(d->state == DB_OWNED && cb != NULL);
	cb(d->arg, res);
	PQclear(res);
}

static void
db_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dbconn	*d = arg;
	int		 rc;

	(void)fd;
	if (d->state == DB_CONNECTING) {
		db_connect_poll(d);
		return;
	}
	if ((what & EV_WRITE) && (d->querying || d->state == DB_PIPE)) {
		if ((rc = PQflush(d->pg)) < 0) {
			db_broken(d, PQerrorMessage(d->pg));
			return;
		}
		if (rc == 0)
			db_watch(d, EV_READ);
	}
	if (!(what & EV_READ))
		return;
	if (PQconsumeInput(d->pg) == 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	if (d->state == DB_PIPE) {
		db_pipe_read(d);
		return;
	}
	if (d->querying) {
		db_read_results(d);
		return;
	}
	if (PQstatus(d->pg) != CONNECTION_OK)
		db_broken(d, "server closed the connection");
}

void
db_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dbconn	*d = arg;

	(void)fd;
	(void)what;
	if (d->state == DB_CONNECTING)
		db_broken(d, "connect timed out");
	else if (d->state == DB_DOWN)
		db_connect_start(d);
	else if (d->querying)
		db_broken(d, d->probe ? "health probe: no answer within 1000 ms"
		    : "no answer from PostgreSQL within query_timeout_ms; the "
		    "connection was dropped");
}

void
db_connect_start(struct dbconn *d)
{
	const struct dbconf	*dc = d->replica >= 0 ?
				    &pool.reps[d->replica].conf : d->pipe ?
				    &pool.pipe_conf : &pool.conf;

	d->pg = PQconnectStartParams((const char *const *)dc->kw,
	    (const char *const *)dc->val, 0);
	if (d->pg == NULL) {
		db_broken(d, "out of memory");
		return;
	}
	if (PQstatus(d->pg) == CONNECTION_BAD) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	d->state = DB_CONNECTING;
	d->tag = DBPOOL_TAG_NONE;
	db_timer(d, CONNECT_DEADLINE_MS);
	db_watch(d, EV_WRITE);
}

/*
 * Send one statement on d; cb(arg, result), or cb(arg, NULL) if the
 * connection was lost. The caller returns right after this call.
 */
void
dbpool_query(struct dbconn *d, const char *sql, int n,
    const char *const *params, dbpool_result_cb cb, void *arg)
{
	assert(d->state == DB_OWNED && !d->querying);
	db_send(d, sql, n, params, cb, arg, pool.query_timeout_ms);
}

/* Send one statement on d with a deadline of ms milliseconds. */
void
db_send(struct dbconn *d, const char *sql, int n, const char *const *params,
    dbpool_result_cb cb, void *arg, int ms)
{
	d->cb = cb;
	d->arg = arg;
	d->querying = 1;
	db_timer(d, ms);
	if ((n < 0 ? PQsendQuery(d->pg, sql) :
	    PQsendQueryParams(d->pg, sql, n, NULL, params, NULL, NULL, 0)) == 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	db_flush(d);
}

/* Statement stmt, prepared on every connection: like dbpool_query. */
void
dbpool_exec(struct dbconn *d, int stmt, int n, const char *const *params,
    dbpool_result_cb cb, void *arg)
{
	dbpool_exec_bin(d, stmt, n, params, NULL, NULL, cb, arg);
}

/*
 * Send statement stmt (libpq's PQsend*: 1, or 0 on failure): by its
 * prepared name; or, for one marked "-- planned per call" in store/sql/,
 * as text (an unnamed statement), so that PostgreSQL plans it for this
 * call's parameters and never caches a generic plan for it. That is for a
 * filter whose best plan depends on the value: a rare status wants its
 * index, a common one the primary key, and no single plan serves both.
 */
int
db_send_stmt(PGconn *pg, int stmt, int n, const char *const *params,
    const int *lens, const int *fmts)
{
	const struct dbpool_stmt	*st = &pool.stmts[stmt];

	if (st->per_call)
		return (PQsendQueryParams(pg, st->sql, n, NULL, params, lens,
		    fmts, 0));
	return (PQsendQueryPrepared(pg, st->name, n, params, lens, fmts, 0));
}

/*
 * The same with parameters in binary where fmts[i] is 1 (lens[i] bytes,
 * e.g. lib/pgbin.c's arrays), in text where it is 0.
 */
void
dbpool_exec_bin(struct dbconn *d, int stmt, int n, const char *const *params,
    const int *lens, const int *fmts, dbpool_result_cb cb, void *arg)
{
	assert(d->state == DB_OWNED && !d->querying);
	d->cb = cb;
	d->arg = arg;
	d->querying = 1;
	db_timer(d, pool.query_timeout_ms);
	if (db_send_stmt(d->pg, stmt, n, params, lens, fmts) == 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	db_flush(d);
}

/*
 * BEGIN and then statement stmt in one round trip (libpq's pipeline mode,
 * one Sync): for the first statement of a transaction. cb gets the
 * statement's result, or BEGIN's error.
 */
void
dbpool_exec_begin(struct dbconn *d, const char *begin, int stmt, int n,
    const char *const *params, dbpool_result_cb cb, void *arg)
{
	assert(d->state == DB_OWNED && !d->querying);
	d->cb = cb;
	d->arg = arg;
	d->querying = 1;
	d->begin_pipe = 1;
	d->begin_ends = 0;
	db_timer(d, pool.query_timeout_ms);
	if (PQenterPipelineMode(d->pg) != 1 ||
	    PQsendQueryParams(d->pg, begin, 0, NULL, NULL, NULL, NULL, 0) == 0 ||
	    db_send_stmt(d->pg, stmt, n, params, NULL, NULL) == 0 ||
	    PQpipelineSync(d->pg) != 1) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	db_flush(d);
}

/* Push what libpq buffered; watch for writability while some is left. */
void
db_flush(struct dbconn *d)
{
	int	 rc;

	if ((rc = PQflush(d->pg)) < 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	db_watch(d, rc == 1 ? EV_READ | EV_WRITE : EV_READ);
}
