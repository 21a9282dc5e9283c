/*
 * The PostgreSQL pool: libpq connections in non-blocking mode, each one more
 * evented socket on the loop. An owner holds a connection from
 * dbpool_acquire to dbpool_release and runs one statement at a time on it
 * with dbpool_query; the loop
 * never waits on PostgreSQL. Broken connections are retried with backoff;
 * while none is healthy, requests get UNAVAILABLE at once.
 *
 * Every statement has a deadline in parkd itself (query_timeout_ms): past
 * it the connection is dropped and replaced (libpq 15's cancel blocks, so
 * it is never called), and the request gets UNAVAILABLE. A request waits
 * for a connection no longer than that either. One more connection, never
 * lent to requests, runs a probe every second for /healthz.
 *
 * Pushes (sync) hold a connection and its transaction between requests:
 * they get their own push_pool_size connections after the request pool,
 * so no push ever takes a connection a read needs.
 *
 * The pool knows nothing of requests: it hands connections to
 * cb(arg, d, ...) and results to cb(arg, PGresult *). Each connection
 * carries a tag the layer above uses for the session state it set
 * (rpc/reqdb.c: the row-level-security scope); a new connection has none.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

enum db_state { DB_DOWN, DB_CONNECTING, DB_PREPARING, DB_IDLE, DB_OWNED };

struct dbconn {
	int		 idx;
	enum db_state	 state;
	PGconn		*pg;
	struct event	*ev;
	int		 ev_fd;
	short		 ev_what;
	struct event	*timer;		/* retry, or connect deadline */
	int		 backoff_ms;
	int		 failures;
	void		*arg;		/* the owner's, while owned */
	dbpool_result_cb cb;
	int		 querying;
	int		 rolling_back;
	int		 pinned;	/* held by a sync push between requests */
	int		 probe;		/* the /healthz connection */
	int64_t		 tag;		/* the owner's session state */
	uint64_t	 gen;		/* bumped each time the connection breaks */
	PGresult	*result;
};

struct waiter {
	void			*arg;
	dbpool_conn_cb		 cb;
	uint64_t		 since_ms;
	int			 push;		/* for a push connection */
	TAILQ_ENTRY(waiter)	 entry;
};

static struct {
	struct dbconn			*conns;	/* n for requests, then npush */
	int				 n;
	int				 npush;
	int				 queue_max;
	struct dbconf			 conf;
	TAILQ_HEAD(, waiter)		 waiters;
	int				 nwait;
	int				 npinned;
	struct event			*handoff;
	int				 query_timeout_ms;
	struct dbconn			 probe;
	struct event			*probe_timer;
	uint64_t			 probe_ok_ms;	/* last answer */
	dbpool_lost_cb			 lost;
	const struct dbpool_stmt	*stmts;		/* NULL-terminated */
	char				*prepare;	/* PREPARE them all */
	char				 lost_why[256];
} pool;

#define CONNECT_DEADLINE_MS	5000
#define PROBE_DEADLINE_MS	1000
#define PROBE_FRESH_MS		3000
#define BACKOFF_MIN_MS		200
#define BACKOFF_MAX_MS		5000

static void	db_event_cb(evutil_socket_t, short, void *);
static void	db_give(struct dbconn *, void *, dbpool_conn_cb);
static struct dbconn *db_idle(int);
static void	db_wait(void *, dbpool_conn_cb, int);
static void	db_send(struct dbconn *, const char *, int, const char *const *,
		    dbpool_result_cb, void *, int);
static void	db_release_conn(struct dbconn *);
static void	db_connect_start(struct dbconn *);
static void	db_flush(struct dbconn *);
static void	db_prepare(struct dbconn *);
static void	db_prepared(struct dbconn *, PGresult *);

static void
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
static void
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

static void
db_timer(struct dbconn *d, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(d->timer, &tv);
}

static int
db_healthy(void)
{
	int	 i, n = 0;

	for (i = 0; i < pool.n; i++)
		n += pool.conns[i].state == DB_IDLE ||
		    pool.conns[i].state == DB_OWNED;
	return (n);
}

static int
db_connecting(void)
{
	int	 i, n = 0;

	for (i = 0; i < pool.n; i++)
		n += pool.conns[i].state == DB_CONNECTING ||
		    pool.conns[i].state == DB_PREPARING;
	return (n);
}

/* No connection can serve the queue: refuse everyone waiting. */
static void
db_fail_waiters(void)
{
	struct waiter	*w;

	while ((w = TAILQ_FIRST(&pool.waiters)) != NULL) {
		TAILQ_REMOVE(&pool.waiters, w, entry);
		pool.nwait--;
		w->cb(w->arg, NULL, 0, "database unavailable; retry later");
		free(w);
	}
}

/* The connection is lost: tell its owner, reconnect later. */
static void
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

static void
db_make_idle(struct dbconn *d)
{
	d->state = DB_IDLE;
	d->arg = NULL;
	d->cb = NULL;
	db_watch(d, EV_READ);
	if (!TAILQ_EMPTY(&pool.waiters) && !d->probe)
		event_active(pool.handoff, EV_TIMEOUT, 0);
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

/* Collect results; deliver the query's outcome once libpq has all of it. */
static void
db_read_results(struct dbconn *d)
{
	PGresult		*res;
	dbpool_result_cb	 cb;

	while (!PQisBusy(d->pg)) {
		if ((res = PQgetResult(d->pg)) != NULL) {
			/* Keep the first error, else the last result. */
			if (d->result != NULL &&
			    PQresultStatus(d->result) == PGRES_FATAL_ERROR)
				PQclear(res);
			else {
				PQclear(d->result);
				d->result = res;
			}
			continue;
		}
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
		return;
	}
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
	if ((what & EV_WRITE) && d->querying) {
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
	if (d->querying) {
		db_read_results(d);
		return;
	}
	if (PQstatus(d->pg) != CONNECTION_OK)
		db_broken(d, "server closed the connection");
}

static void
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

static void
db_connect_start(struct dbconn *d)
{
	d->pg = PQconnectStartParams(
	    (const char *const *)pool.conf.kw,
	    (const char *const *)pool.conf.val, 0);
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

/* Give idle connections to waiting owners (run from the loop). */
static void
db_handoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter	*w, *next;

	(void)fd;
	(void)what;
	(void)arg;
	for (w = TAILQ_FIRST(&pool.waiters); w != NULL; w = next) {
		struct dbconn *d = db_idle(w->push);

		next = TAILQ_NEXT(w, entry);
		if (d == NULL)
			continue;
		TAILQ_REMOVE(&pool.waiters, w, entry);
		pool.nwait--;
		db_give(d, w->arg, w->cb);
		free(w);
		next = TAILQ_FIRST(&pool.waiters);	/* cb may change it */
	}
}

/* d is arg's now. */
static void
db_give(struct dbconn *d, void *arg, dbpool_conn_cb cb)
{
	d->state = DB_OWNED;
	d->arg = arg;
	cb(arg, d, 0, NULL);
}

/* An idle connection of the request pool, or of the push pool. */
static struct dbconn *
db_idle(int push)
{
	int	 i, from = push ? pool.n : 0, to = push ? pool.n + pool.npush :
	    pool.n;

	for (i = from; i < to; i++) {
		if (pool.conns[i].state == DB_IDLE)
			return (&pool.conns[i]);
	}
	return (NULL);
}

/*
 * A connection for arg: of the request pool, or (push) of the push pool;
 * cb(arg, d) now or once one is free, or cb(arg, NULL, busy, why).
 */
void
dbpool_acquire(int push, dbpool_conn_cb cb, void *arg)
{
	struct dbconn	*d;
	int		 i, pinned = 0;

	if ((d = db_idle(push)) != NULL &&
	    (push || TAILQ_EMPTY(&pool.waiters))) {
		db_give(d, arg, cb);
		return;
	}
	if (push) {
		for (i = pool.n; i < pool.n + pool.npush; i++)
			pinned += pool.conns[i].pinned;
		if (pinned < pool.npush)	/* reconnecting, rolling back */
			db_wait(arg, cb, 1);
		else
			cb(arg, NULL, 1, "all push connections of this parkd "
			    "are in pushes; retry shortly");
		return;
	}
	if (db_healthy() == 0 && db_connecting() == 0) {
		cb(arg, NULL, 0, "database unavailable; retry later");
		return;
	}
	db_wait(arg, cb, 0);
}

/* Queue arg for a connection (of the push pool if push). */
static void
db_wait(void *arg, dbpool_conn_cb cb, int push)
{
	struct waiter	*w;
	char		 why[128];

	if (pool.nwait >= pool.queue_max ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(why, sizeof(why), "server busy: %d requests waiting "
		    "for the database", pool.nwait);
		cb(arg, NULL, 1, why);
		return;
	}
	w->arg = arg;
	w->cb = cb;
	w->since_ms = now_ms();
	w->push = push;
	TAILQ_INSERT_TAIL(&pool.waiters, w, entry);
	pool.nwait++;
	if (db_idle(push) != NULL)	/* queued behind the other pool's */
		event_active(pool.handoff, EV_TIMEOUT, 0);
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
	d->arg = arg;
	db_send(d, sql, n, params, cb, arg, pool.query_timeout_ms);
}

/* Send one statement on d with a deadline of ms milliseconds. */
static void
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
	assert(d->state == DB_OWNED && !d->querying);
	d->cb = cb;
	d->arg = arg;
	d->querying = 1;
	db_timer(d, pool.query_timeout_ms);
	if (PQsendQueryPrepared(d->pg, pool.stmts[stmt].name, n, params, NULL,
	    NULL, 0) == 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	db_flush(d);
}

/* Push what libpq buffered; watch for writability while some is left. */
static void
db_flush(struct dbconn *d)
{
	int	 rc;

	if ((rc = PQflush(d->pg)) < 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	db_watch(d, rc == 1 ? EV_READ | EV_WRITE : EV_READ);
}

/* The owner is done with d; anything left open is rolled back. */
void
dbpool_release(struct dbconn *d)
{
	db_release_conn(d);
}

/* The owner's session state on d (DBPOOL_TAG_NONE on a new connection). */
int64_t
dbpool_tag(const struct dbconn *d)
{
	return (d->tag);
}

void
dbpool_set_tag(struct dbconn *d, int64_t tag)
{
	d->tag = tag;
}

/*
 * Keep d (and its open transaction) beyond its owner, for a push; the
 * result identifies this incarnation of the connection. 0 if refused:
 * only push connections are pinned.
 */
uint64_t
dbpool_pin(struct dbconn *d)
{
	if (d == NULL || d->idx < pool.n)
		return (0);
	d->arg = NULL;
	d->cb = NULL;
	d->pinned = 1;
	pool.npinned++;
	return (d->gen);
}

/* Lend a pinned connection to arg; -1 if it broke since it was pinned. */
int
dbpool_attach(struct dbconn *d, uint64_t gen, void *arg)
{
	if (d->gen != gen || d->state != DB_OWNED || !d->pinned)
		return (-1);
	d->arg = arg;
	return (0);
}

/* Take a pinned connection back from its borrower. */
void
dbpool_detach(struct dbconn *d)
{
	if (d != NULL)
		d->arg = NULL;
}

/* The push is over: return the connection (rolling back if still open). */
void
dbpool_unpin(struct dbconn *d, uint64_t gen)
{
	if (d->gen != gen || !d->pinned)
		return;
	d->pinned = 0;
	pool.npinned--;
	db_release_conn(d);
}

static void
db_release_conn(struct dbconn *d)
{
	if (d == NULL || d->state != DB_OWNED)
		return;
	d->arg = NULL;
	d->cb = NULL;
	if (d->querying || PQtransactionStatus(d->pg) != PQTRANS_IDLE) {
		if (d->querying) {
			/* Abandoned mid-query: the result is not wanted. */
			db_broken(d, "query abandoned");
			return;
		}
		d->rolling_back = 1;
		d->querying = 1;
		db_timer(d, pool.query_timeout_ms);
		if (PQsendQuery(d->pg, "ROLLBACK") == 0 || PQflush(d->pg) < 0) {
			db_broken(d, PQerrorMessage(d->pg));
			return;
		}
		db_watch(d, EV_READ | EV_WRITE);
		return;
	}
	db_make_idle(d);
}

void
dbpool_stats(struct db_stats *st)
{
	int	 i;

	memset(st, 0, sizeof(*st));
	st->total = pool.n;
	st->healthy = db_healthy();
	st->pinned = pool.npinned;
	st->waiting = pool.nwait;
	for (i = 0; i < pool.n; i++)
		st->busy += pool.conns[i].state == DB_OWNED;
}

/* Send the health probe every second unless one is out already. */
static void
db_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dbconn	*d = &pool.probe;

	(void)fd;
	(void)what;
	(void)arg;
	if (d->state != DB_IDLE || d->querying)
		return;
	d->state = DB_OWNED;
	db_send(d, "SELECT 1", 0, NULL, NULL, NULL, PROBE_DEADLINE_MS);
}

/*
 * Did PostgreSQL answer the probe lately? 1 if so; else 0 and *why says
 * what /healthz reports.
 */
int
dbpool_probe_ok(const char **why)
{
	uint64_t	 now = now_ms();

	if (pool.probe_ok_ms != 0 && now - pool.probe_ok_ms <= PROBE_FRESH_MS)
		return (1);
	*why = pool.probe.state == DB_DOWN || pool.probe.state ==
	    DB_CONNECTING ? "database unavailable" : "database does not answer";
	return (0);
}

/* Requests that waited for a connection past query_timeout_ms give up. */
void
dbpool_janitor(uint64_t now)
{
	struct waiter	*w, *next;

	for (w = TAILQ_FIRST(&pool.waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (now - w->since_ms < (uint64_t)pool.query_timeout_ms)
			continue;
		TAILQ_REMOVE(&pool.waiters, w, entry);
		pool.nwait--;
		snprintf(pool.lost_why, sizeof(pool.lost_why), "no database "
		    "connection free within query_timeout_ms (%d ms); retry "
		    "later", pool.query_timeout_ms);
		w->cb(w->arg, NULL, 0, pool.lost_why);
		free(w);
	}
}

static void
db_conn_init(struct dbconn *d, int idx)
{
	d->idx = idx;
	d->gen = 1;			/* dbpool_pin: 0 means refused */
	d->ev_fd = -1;
	d->backoff_ms = BACKOFF_MIN_MS;
	d->timer = evtimer_new(server->base, db_timer_cb, d);
	if (d->timer == NULL)
		fatalx("db pool: evtimer_new");
	db_connect_start(d);
}

static void
db_conn_free(struct dbconn *d)
{
	db_unwatch(d);
	if (d->timer != NULL)
		event_free(d->timer);
	d->timer = NULL;
	PQclear(d->result);
	d->result = NULL;
	if (d->pg != NULL)
		PQfinish(d->pg);
	d->pg = NULL;
}

/* One simple query that prepares every statement of stmts. */
static char *
db_prepare_sql(const struct dbpool_stmt *stmts)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*f;

	if (stmts == NULL || stmts[0].name == NULL)
		return (NULL);
	if ((f = open_memstream(&s, &len)) == NULL)
		fatal("db pool");
	for (; stmts->name != NULL; stmts++)
		fprintf(f, "PREPARE %s AS %s;\n", stmts->name, stmts->sql);
	if (fclose(f) != 0)
		fatal("db pool");
	return (s);
}

int
dbpool_start(const struct config *cfg, dbpool_lost_cb lost,
    const struct dbpool_stmt *stmts, char **cause)
{
	struct timeval	 sec = { 1, 0 };
	int		 i;

	TAILQ_INIT(&pool.waiters);
	pool.lost = lost;
	pool.stmts = stmts;
	pool.prepare = db_prepare_sql(stmts);
	pool.queue_max = cfg->db_queue_max;
	pool.query_timeout_ms = cfg->query_timeout_ms;
	if (dbconf_build(&pool.conf, cfg, cause) != 0)
		return (-1);
	pool.n = cfg->pool_size;
	pool.npush = cfg->push_pool_size;
	if ((pool.conns = calloc((size_t)(pool.n + pool.npush),
	    sizeof(*pool.conns))) == NULL)
		fatal("db pool");
	pool.handoff = event_new(server->base, -1, 0, db_handoff_cb, NULL);
	if (pool.handoff == NULL)
		fatalx("db pool: event_new");
	for (i = 0; i < pool.n + pool.npush; i++)
		db_conn_init(&pool.conns[i], i);
	pool.probe.probe = 1;
	db_conn_init(&pool.probe, pool.n + pool.npush);
	pool.probe_timer = event_new(server->base, -1, EV_PERSIST, db_probe_cb,
	    NULL);
	if (pool.probe_timer == NULL || event_add(pool.probe_timer, &sec) != 0)
		fatalx("db pool: probe timer");
	return (0);
}

void
dbpool_stop(void)
{
	int	 i;

	for (i = 0; i < pool.n + pool.npush; i++)
		db_conn_free(&pool.conns[i]);
	db_conn_free(&pool.probe);
	if (pool.probe_timer != NULL)
		event_free(pool.probe_timer);
	pool.probe_timer = NULL;
	free(pool.conns);
	pool.conns = NULL;
	pool.n = 0;
	db_fail_waiters();
	if (pool.handoff != NULL)
		event_free(pool.handoff);
	pool.handoff = NULL;
	dbconf_free(&pool.conf);
	free(pool.prepare);
	pool.prepare = NULL;
}
