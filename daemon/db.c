/*
 * The PostgreSQL pool: libpq connections in non-blocking mode, each one more
 * evented socket on the loop. A request owns a connection from db_acquire to
 * db_release and runs one statement at a time on it with db_query; the loop
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
 * Before a request uses a connection, the session's parkd.scope is made
 * the request's (row-level security, schema/0006_rls.sql): one more round
 * trip only when it changes. A new connection has none: it sees nothing.
 */
#include <sys/socket.h>
#include <netdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkd.h"

enum db_state { DB_DOWN, DB_CONNECTING, DB_IDLE, DB_OWNED };

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
	struct req	*owner;
	db_result_cb	 cb;
	int		 querying;
	int		 rolling_back;
	int		 pinned;	/* held by a sync push between requests */
	int		 probe;		/* the /healthz connection */
	int64_t		 scope;		/* parkd.scope set; SCOPE_NONE */
	uint64_t	 gen;		/* bumped each time the connection breaks */
	PGresult	*result;
};

struct waiter {
	struct req		*r;
	db_acquire_cb		 cb;
	uint64_t		 since_ms;
	int			 push;		/* for a push connection */
	TAILQ_ENTRY(waiter)	 entry;
};

static struct {
	struct dbconn			*conns;	/* n for requests, then npush */
	int				 n;
	int				 npush;
	int				 queue_max;
	char				**kw;
	char				**val;
	int				 nkw;
	TAILQ_HEAD(, waiter)		 waiters;
	int				 nwait;
	int				 npinned;
	struct event			*handoff;
	int				 query_timeout_ms;
	struct dbconn			 probe;
	struct event			*probe_timer;
	uint64_t			 probe_ok_ms;	/* last answer */
} pool;

#define CONNECT_DEADLINE_MS	5000
#define PROBE_DEADLINE_MS	1000
#define PROBE_FRESH_MS		3000
#define SCOPE_NONE		INT64_MIN
#define BACKOFF_MIN_MS		200
#define BACKOFF_MAX_MS		5000

static void	db_event_cb(evutil_socket_t, short, void *);
static void	db_give(struct dbconn *, struct req *, db_acquire_cb);
static void	db_scoped(struct req *, db_acquire_cb);
static void	db_scope_done(struct req *, PGresult *);
static struct dbconn *db_idle(int);
static void	db_wait(struct req *, db_acquire_cb, int);
static void	db_send(struct dbconn *, const char *, int, const char *const *,
		    db_result_cb, int);
static void	db_release_conn(struct dbconn *);
static void	db_connect_start(struct dbconn *);

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
		n += pool.conns[i].state == DB_CONNECTING;
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
		req_fail(w->r, PARKD__V1__CODE__UNAVAILABLE,
		    "database unavailable; retry later");
		free(w);
	}
}

/* The connection is lost: tell its owner, reconnect later. */
static void
db_broken(struct dbconn *d, const char *why)
{
	struct req	*owner = d->owner;
	db_result_cb	 cb = d->cb;
	int		 querying = d->querying;

	int		 wl = (int)strcspn(why, "\n");
	char		 what[256];

	if (d->failures++ == 0)
		log_warnx("db conn=%d lost: %.*s", d->idx, wl, why);
	else
		log_debug("db conn=%d still down: %.*s", d->idx, wl, why);
	snprintf(what, sizeof(what), "%.*s", wl, why);	/* why may be libpq's */
	db_unwatch(d);
	evtimer_del(d->timer);
	d->gen++;
	if (d->pinned) {
		d->pinned = 0;
		pool.npinned--;
	}
	if (d->result != NULL) {
		PQclear(d->result);
		d->result = NULL;
	}
	if (d->pg != NULL) {
		PQfinish(d->pg);
		d->pg = NULL;
	}
	d->state = DB_DOWN;
	d->owner = NULL;
	d->cb = NULL;
	d->querying = d->rolling_back = 0;
	db_timer(d, d->backoff_ms);
	d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    d->backoff_ms * 2;
	if (owner != NULL) {
		owner->db = NULL;
		owner->db_error = req_strdup(owner, what);
		if (querying && cb != NULL)
			cb(owner, NULL);
		else
			req_fail(owner, PARKD__V1__CODE__UNAVAILABLE,
			    "database connection lost; retry later");
	}
	if (db_healthy() == 0 && db_connecting() == 0)
		db_fail_waiters();
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
	d->owner = NULL;
	d->cb = NULL;
	db_watch(d, EV_READ);
	if (!TAILQ_EMPTY(&pool.waiters) && !d->probe)
		event_active(pool.handoff, EV_TIMEOUT, 0);
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
		db_make_idle(d);
		return;
	default:
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
}

/* Collect results; deliver the query's outcome once libpq has all of it. */
static void
db_read_results(struct dbconn *d)
{
	PGresult	*res;
	struct req	*owner;
	db_result_cb	 cb;

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
		owner = d->owner;
		cb = d->cb;
		cb(owner, res);
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
	d->pg = PQconnectStartParams((const char *const *)pool.kw,
	    (const char *const *)pool.val, 0);
	if (d->pg == NULL) {
		db_broken(d, "out of memory");
		return;
	}
	if (PQstatus(d->pg) == CONNECTION_BAD) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	d->state = DB_CONNECTING;
	d->scope = SCOPE_NONE;
	db_timer(d, CONNECT_DEADLINE_MS);
	db_watch(d, EV_WRITE);
}

/* Give idle connections to waiting requests (run from the loop). */
static void
db_handoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter	*w, *next;
	struct req	*r;
	db_acquire_cb	 cb;

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
		r = w->r;
		cb = w->cb;
		free(w);
		if (r->c == NULL && !r->internal) {
			req_fail(r, PARKD__V1__CODE__UNAVAILABLE, "peer gone");
			next = TAILQ_FIRST(&pool.waiters);
			continue;
		}
		db_give(d, r, cb);
		next = TAILQ_FIRST(&pool.waiters);	/* cb may change it */
	}
}

/* d is r's now; cb(r) once the session has r's scope. */
static void
db_give(struct dbconn *d, struct req *r, db_acquire_cb cb)
{
	d->state = DB_OWNED;
	d->owner = r;
	r->db = d;
	db_scoped(r, cb);
}

/* Set r's scope on its connection if it is not already there, then cb. */
static void
db_scoped(struct req *r, db_acquire_cb cb)
{
	struct dbconn	*d = r->db;
	char		 v[24];
	const char	*p[1] = { v };

	if (!r->scoped || d->scope == r->scope) {
		cb(r);
		return;
	}
	/* an operator: OPERATOR_ROLE, under row-level security; else none */
	if (r->scope == 0)
		snprintf(v, sizeof(v), "all");
	else
		snprintf(v, sizeof(v), "%lld", (long long)r->scope);
	r->db_next = cb;
	db_send(d, "SELECT set_config('role', CASE WHEN $1 = 'all' THEN 'none' "
	    "ELSE '" OPERATOR_ROLE "' END, false), set_config('parkd.scope', "
	    "$1, false)", 1, p, db_scope_done, pool.query_timeout_ms);
}

static void
db_scope_done(struct req *r, PGresult *res)
{
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		req_fail_pg(r, res, "setting the request's scope");
		return;
	}
	r->db->scope = r->scope;
	r->db_next(r);
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

void
db_acquire(struct req *r, db_acquire_cb cb)
{
	int		 i;

	if (r->db != NULL) {
		db_scoped(r, cb);
		return;
	}
	for (i = 0; i < pool.n; i++) {
		struct dbconn *d = &pool.conns[i];

		if (d->state == DB_IDLE && TAILQ_EMPTY(&pool.waiters)) {
			db_give(d, r, cb);
			return;
		}
	}
	if (db_healthy() == 0 && db_connecting() == 0) {
		req_fail(r, PARKD__V1__CODE__UNAVAILABLE,
		    "database unavailable; retry later");
		return;
	}
	db_wait(r, cb, 0);
}

/* Queue r for a connection (of the push pool if push). */
static void
db_wait(struct req *r, db_acquire_cb cb, int push)
{
	struct waiter	*w;

	if (pool.nwait >= pool.queue_max ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "server busy: %d requests waiting for the database",
		    pool.nwait);
		return;
	}
	w->r = r;
	w->cb = cb;
	w->since_ms = now_ms();
	w->push = push;
	TAILQ_INSERT_TAIL(&pool.waiters, w, entry);
	pool.nwait++;
	if (db_idle(push) != NULL)	/* queued behind the other pool's */
		event_active(pool.handoff, EV_TIMEOUT, 0);
}

/*
 * Send one statement for r on its connection; cb gets the result, or NULL
 * if the connection was lost. The caller returns right after this call.
 */
void
db_query(struct req *r, const char *sql, int n, const char *const *params,
    db_result_cb cb)
{
	db_send(r->db, sql, n, params, cb, pool.query_timeout_ms);
}

/* Send one statement on d with a deadline of ms milliseconds. */
static void
db_send(struct dbconn *d, const char *sql, int n, const char *const *params,
    db_result_cb cb, int ms)
{
	int		 rc;

	d->cb = cb;
	d->querying = 1;
	db_timer(d, ms);
	if (PQsendQueryParams(d->pg, sql, n, NULL, params, NULL, NULL, 0) == 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	if ((rc = PQflush(d->pg)) < 0) {
		db_broken(d, PQerrorMessage(d->pg));
		return;
	}
	db_watch(d, rc == 1 ? EV_READ | EV_WRITE : EV_READ);
}

/* r is done with its connection; roll back anything left open. */
void
db_release(struct req *r)
{
	struct dbconn	*d = r->db;

	r->db = NULL;
	db_release_conn(d);
}

/*
 * Swap r's request connection for an idle push connection, then cb(r);
 * RESOURCE_EXHAUSTED at once when all push connections are in pushes.
 */
void
db_acquire_push(struct req *r, db_acquire_cb cb)
{
	struct dbconn	*d;
	int		 i, pinned = 0;

	if (r->db != NULL)
		db_release(r);
	if ((d = db_idle(1)) != NULL) {
		db_give(d, r, cb);
		return;
	}
	for (i = pool.n; i < pool.n + pool.npush; i++)
		pinned += pool.conns[i].pinned;
	if (pinned < pool.npush) {	/* reconnecting or rolling back */
		db_wait(r, cb, 1);
		return;
	}
	req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "all %d push "
	    "connections of this parkd are in pushes; retry shortly",
	    pool.npush);
}

/*
 * Keep r's connection (and its open transaction) beyond r, for a sync push;
 * *gen identifies this incarnation of the connection. NULL if refused.
 */
struct dbconn *
db_pin(struct req *r, uint64_t *gen)
{
	struct dbconn	*d = r->db;

	if (d == NULL || d->idx < pool.n)	/* only push connections */
		return (NULL);
	r->db = NULL;
	d->owner = NULL;
	d->cb = NULL;
	d->pinned = 1;
	pool.npinned++;
	*gen = d->gen;
	return (d);
}

/* Lend a pinned connection to r; -1 if it broke since it was pinned. */
int
db_attach(struct req *r, struct dbconn *d, uint64_t gen)
{
	if (d->gen != gen || d->state != DB_OWNED || !d->pinned)
		return (-1);
	d->owner = r;
	r->db = d;
	return (0);
}

/* Take a pinned connection back from r (between requests of a push). */
void
db_detach(struct req *r)
{
	if (r->db != NULL)
		r->db->owner = NULL;
	r->db = NULL;
}

/* The push is over: return the connection (rolling back if still open). */
void
db_unpin(struct dbconn *d, uint64_t gen)
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
	d->owner = NULL;
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
db_stats(struct db_stats *st)
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

static int
kw_set(const char *k, const char *v)
{
	int	 i;

	for (i = 0; i < pool.nkw; i++) {
		if (strcmp(pool.kw[i], k) == 0) {
			free(pool.val[i]);
			return ((pool.val[i] = strdup(v)) == NULL ? -1 : 0);
		}
	}
	pool.kw[pool.nkw] = strdup(k);
	pool.val[pool.nkw] = strdup(v);
	if (pool.kw[pool.nkw] == NULL || pool.val[pool.nkw] == NULL)
		return (-1);
	pool.nkw++;
	return (0);
}

static const char *
kw_get(const char *k)
{
	int	 i;

	for (i = 0; i < pool.nkw; i++) {
		if (strcmp(pool.kw[i], k) == 0)
			return (pool.val[i]);
	}
	return (NULL);
}

/* A host name would make libpq resolve it, blocking: resolve it now. */
static int
kw_resolve_host(char **cause)
{
	const char	*host = kw_get("host");
	struct addrinfo	 hints, *ai;
	char		 addr[NI_MAXHOST];
	int		 rc;

	if (host == NULL || host[0] == '/' || host[0] == '@' ||
	    kw_get("hostaddr") != NULL || strchr(host, ',') != NULL)
		return (0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
		asprintf(cause, "database host '%s': %s", host,
		    gai_strerror(rc));
		return (-1);
	}
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
	    NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (rc != 0 || kw_set("hostaddr", addr) != 0) {
		asprintf(cause, "database host '%s': cannot resolve", host);
		return (-1);
	}
	return (0);
}

/* Connection keywords: the configured string plus what the pool needs. */
static int
db_build_params(const struct config *cfg, char **cause)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, extra[256], *options;
	const char		*old;
	int			 n = 0, rc;

	if ((opts = PQconninfoParse(cfg->database, &err)) == NULL) {
		asprintf(cause, "key 'database': %s", err ? err :
		    "out of memory");
		PQfreemem(err);
		return (-1);
	}
	for (o = opts; o->keyword != NULL; o++)
		n++;
	pool.kw = calloc((size_t)n + 16, sizeof(char *));
	pool.val = calloc((size_t)n + 16, sizeof(char *));
	rc = pool.kw == NULL || pool.val == NULL ? -1 : 0;
	for (o = opts; rc == 0 && o->keyword != NULL; o++) {
		if (o->val != NULL && o->val[0] != '\0')
			rc = kw_set(o->keyword, o->val);
	}
	PQconninfoFree(opts);
	snprintf(extra, sizeof(extra), "-c statement_timeout=%d "
	    "-c DateStyle=ISO -c TimeZone=UTC", cfg->statement_timeout_ms);
	old = kw_get("options");
	if (rc == 0 && asprintf(&options, "%s%s%s", old ? old : "",
	    old ? " " : "", extra) != -1) {
		rc = kw_set("options", options);
		free(options);
	}
	if (rc == 0)
		rc = kw_set("keepalives", "1") | kw_set("keepalives_idle", "10") |
		    kw_set("keepalives_interval", "5") |
		    kw_set("keepalives_count", "3") |
		    kw_set("tcp_user_timeout", "20000") |
		    kw_set("gssencmode", "disable") |
		    kw_set("application_name", "parkd");
	if (rc != 0) {
		asprintf(cause, "database parameters: out of memory");
		return (-1);
	}
	return (kw_resolve_host(cause));
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
	db_send(d, "SELECT 1", 0, NULL, NULL, PROBE_DEADLINE_MS);
}

/*
 * Did PostgreSQL answer the probe lately? 1 if so; else 0 and *why says
 * what /healthz reports.
 */
int
db_probe_ok(const char **why)
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
db_janitor(uint64_t now)
{
	struct waiter	*w, *next;

	for (w = TAILQ_FIRST(&pool.waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (now - w->since_ms < (uint64_t)pool.query_timeout_ms)
			continue;
		TAILQ_REMOVE(&pool.waiters, w, entry);
		pool.nwait--;
		req_fail(w->r, PARKD__V1__CODE__UNAVAILABLE, "no database "
		    "connection free within query_timeout_ms (%d ms); retry "
		    "later", pool.query_timeout_ms);
		free(w);
	}
}

static void
db_conn_init(struct dbconn *d, int idx)
{
	d->idx = idx;
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

int
db_pool_start(const struct config *cfg, char **cause)
{
	struct timeval	 sec = { 1, 0 };
	int		 i;

	TAILQ_INIT(&pool.waiters);
	pool.queue_max = cfg->db_queue_max;
	pool.query_timeout_ms = cfg->query_timeout_ms;
	if (db_build_params(cfg, cause) != 0)
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
db_pool_stop(void)
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
	for (i = 0; i < pool.nkw; i++) {
		free(pool.kw[i]);
		free(pool.val[i]);
	}
	free(pool.kw);
	free(pool.val);
	pool.kw = pool.val = NULL;
	pool.nkw = 0;
}
