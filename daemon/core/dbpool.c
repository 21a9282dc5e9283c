/*
 * The PostgreSQL pool: libpq connections in non-blocking mode, each one more
 * evented socket on the loop (one connection's life: dbconn.c). An owner
 * holds a connection from dbpool_acquire to dbpool_release and runs one
 * statement at a time on it with dbpool_query or dbpool_exec. Broken
 * connections are retried with backoff; while none is healthy, owners are
 * refused at once.
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

#include "core/dbpool_int.h"

struct dbpool	pool;

static void	db_give(struct dbconn *d, void *arg, dbpool_conn_cb cb);
static struct dbconn *	db_idle(int push);
static void	db_wait(void *arg, dbpool_conn_cb cb, int push);
static void	db_release_conn(struct dbconn *d);

int
db_healthy(void)
{
	int	 i, n = 0;

	for (i = 0; i < pool.n; i++)
		n += pool.conns[i].state == DB_IDLE ||
		    pool.conns[i].state == DB_OWNED;
	return (n);
}

int
db_connecting(void)
{
	int	 i, n = 0;

	for (i = 0; i < pool.n; i++)
		n += pool.conns[i].state == DB_CONNECTING ||
		    pool.conns[i].state == DB_PREPARING;
	return (n);
}

/* No connection can serve the queue: refuse everyone waiting. */
void
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

void
db_make_idle(struct dbconn *d)
{
	if (d->pipe) {
		db_pipe_ready(d);
		return;
	}
	d->state = DB_IDLE;
	d->arg = NULL;
	d->cb = NULL;
	db_watch(d, EV_READ);
	if (!TAILQ_EMPTY(&pool.waiters) && !d->probe)
		event_active(pool.handoff, EV_TIMEOUT, 0);
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
		stats_hist_add(&stats.db_wait, now_us() - w->since_us);
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
		stats_hist_add(&stats.db_wait, 0);
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
	w->since_us = now_us();
	w->push = push;
	TAILQ_INSERT_TAIL(&pool.waiters, w, entry);
	pool.nwait++;
	if (db_idle(push) != NULL)	/* queued behind the other pool's */
		event_active(pool.handoff, EV_TIMEOUT, 0);
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
	for (i = PIPE_FIRST; i < PIPE_END; i++) {
		st->pipe_up += pool.conns[i].state == DB_PIPE;
		st->pipe_depth += pool.conns[i].pipe_n;
	}
	st->pipe_statements = pool.pipe_statements;
	st->pipe_batches = pool.pipe_batches;
	st->pipe_retries = pool.pipe_retries;
	st->replica_statements = pool.replica_statements;
	for (i = 0; i < pool.nrep; i++)
		st->replicas_usable += db_replica_usable(i);
}

/* Send the health probe every second unless one is out already. */
static void
db_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dbconn	*d = &pool.probe;

	(void)fd;
	(void)what;
	(void)arg;
	db_pipe_probe_replicas();
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
		if (now - w->since_us / 1000 < (uint64_t)pool.query_timeout_ms)
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
	d->pipe = idx >= PIPE_FIRST && idx < PIPE_END;
	d->replica = d->pipe && pool.npipe > 0 ?
	    (idx - PIPE_FIRST) / pool.npipe - 1 : -1;
	TAILQ_INIT(&d->unsent);
	TAILQ_INIT(&d->sent);
	TAILQ_INIT(&d->retry);
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

/* The index of the statement called name; -1 if there is none. */
int
dbpool_stmt_index(const char *name)
{
	int	 i;

	for (i = 0; pool.stmts != NULL && pool.stmts[i].name != NULL; i++)
		if (strcmp(pool.stmts[i].name, name) == 0)
			return (i);
	return (-1);
}

/* The read_replicas of cfg, one dbconf each. */
static int
db_replicas_start(const struct config *cfg, char **cause)
{
	char	*list, *dsn, *save = NULL;

	if (*cfg->read_replicas == '\0' || cfg->read_pool_size == 0)
		return (0);
	if ((list = strdup(cfg->read_replicas)) == NULL)
		fatal("db pool");
	for (dsn = strtok_r(list, "\n", &save); dsn != NULL;
	    dsn = strtok_r(NULL, "\n", &save)) {
		struct replica	*r;

		if ((r = reallocarray(pool.reps, (size_t)pool.nrep + 1,
		    sizeof(*r))) == NULL)
			fatal("db pool");
		pool.reps = r;
		memset(&r[pool.nrep], 0, sizeof(*r));
		if (dbconf_build_dsn(&r[pool.nrep].conf, dsn, cfg, 1,
		    cause) != 0) {
			free(list);
			return (-1);
		}
		pool.nrep++;
	}
	free(list);
	/* a second's samples of the primary's WAL, as far back as the bound */
	pool.walcap = pool.max_lag_ms / 1000 + 8;
	if ((pool.wal = calloc((size_t)pool.walcap, sizeof(*pool.wal))) == NULL)
		fatal("db pool");
	return (0);
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
		if (!stmts->per_call)	/* sent as text (db_send_stmt) */
			fprintf(f, "PREPARE %s AS %s;\n", stmts->name,
			    stmts->sql);
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
	if (dbconf_build(&pool.conf, cfg, 0, cause) != 0 ||
	    dbconf_build(&pool.pipe_conf, cfg, 1, cause) != 0)
		return (-1);
	pool.n = cfg->pool_size;
	pool.npush = cfg->push_pool_size;
	pool.npipe = cfg->read_pool_size;
	pool.max_lag_ms = cfg->replica_max_lag_ms;
	if (db_replicas_start(cfg, cause) != 0)
		return (-1);
	db_pipe_start();
	if ((pool.conns = calloc((size_t)PIPE_END, sizeof(*pool.conns))) ==
	    NULL)
		fatal("db pool");
	pool.handoff = event_new(server->base, -1, 0, db_handoff_cb, NULL);
	if (pool.handoff == NULL)
		fatalx("db pool: event_new");
	for (i = 0; i < PIPE_END; i++)
		db_conn_init(&pool.conns[i], i);
	pool.probe.probe = 1;
	db_conn_init(&pool.probe, PIPE_END);
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

	db_pipe_stop();		/* nothing is sent again from here */
	for (i = 0; i < PIPE_END; i++) {
		if (pool.conns[i].pipe)
			db_pipe_lost(&pool.conns[i]);
		db_conn_free(&pool.conns[i]);
	}
	for (i = 0; i < pool.nrep; i++)
		dbconf_free(&pool.reps[i].conf);
	free(pool.reps);
	pool.reps = NULL;
	pool.nrep = 0;
	free(pool.wal);
	pool.wal = NULL;
	pool.walcap = pool.walhead = pool.wallen = pool.walprobing = 0;
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
	dbconf_free(&pool.pipe_conf);
	free(pool.prepare);
	pool.prepare = NULL;
}
