/*
 * Pipelined read connections: read_pool_size connections of the pool in
 * libpq's pipeline mode, shared by every read that needs no transaction.
 * A read does not hold a connection: it submits one statement
 * (dbpool_submit) and gets its result back. Everything submitted during
 * one turn of the loop goes out on a connection together, ended by one
 * Sync: one send(2) and, usually, one recv(2) for the lot, and one wake-up
 * of the PostgreSQL backend instead of one per statement. While a batch is
 * out, what comes in waits for it to answer and goes out as the next one
 * (PIPE_OUT batches out at most): under load batches grow instead of
 * each statement costing its own round of system calls on both sides.
 *
 * Isolation between the statements of a batch: PostgreSQL runs a batch as
 * one implicit transaction, and after an error it skips the rest of the
 * batch (PGRES_PIPELINE_ABORTED). A statement that failed gets its own
 * error; the ones skipped after it are sent again in the next batch. Every
 * batch answers at least one statement for good (the first one that
 * failed), so this ends. Only reads come here: one that ran before the
 * error has its rows already, and a rolled back read loses nothing.
 *
 * Scope: a statement carries the tag (rpc/reqdb.c: the row-level-security
 * scope) it must run under. A connection runs only statements of the tag
 * it has; to change it, it waits until nothing is out, sends the tag's own
 * statement as a batch of its own, and sends the rest once that answered
 * (a failed batch rolls back what it set, so the tag is never changed in
 * a batch with other statements). Submissions prefer a connection that
 * has their tag already.
 *
 * Read replicas (read_replicas): read_pool_size more connections to each
 * hot standby. A read goes to a standby while one is usable: its lag probe
 * (every second) answered within 3 s and said it is no further behind
 * than replica_max_lag_ms; else to the primary's. When a standby's
 * connection breaks, the reads it carried go to another connection, not
 * back to the client as errors.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dbpool_int.h"

/*
 * Two: the backend has the next batch while parkd reads the answers of the
 * one before (bench-serve, 16 connections: 6,100-6,800 reads/s with one
 * out, 7,100-7,400 with two).
 */
#define PIPE_OUT	2

struct pipeq {
	struct dbsubmit		 s;
	int			 set_tag;	/* the tag's statement, no caller */
	int			 aborted;
	PGresult		*res;
	TAILQ_ENTRY(pipeq)	 entry;
};

static struct event	*pipe_flush_ev;

/*
 * The pipelined connection for a statement of tag: the least busy, where a
 * connection that would have to change its tag first counts as if it had
 * PIPE_TAG_COST statements more (the change costs a round trip); NULL if
 * none is up. So one scope's reads spread over every connection as soon as
 * one is busier than that, and scopes that alternate do not thrash.
 */
#define PIPE_TAG_COST	4
static struct dbconn *
db_pipe_pick(int64_t tag)
{
	struct dbconn	*d, *best = NULL;
	int		 i, load, best_load = 0, rep = 0;

	for (i = 0; i < pool.nrep && !rep; i++)
		rep = db_replica_usable(i);
	for (i = PIPE_FIRST; i < PIPE_END; i++) {
		d = &pool.conns[i];
		if (d->state != DB_PIPE || (rep ? d->replica < 0 ||
		    !db_replica_usable(d->replica) : d->replica >= 0))
			continue;
		load = d->pipe_n + (tag == DBPOOL_TAG_NONE || d->tag == tag ?
		    0 : PIPE_TAG_COST);
		if (best == NULL || load < best_load) {
			best = d;
			best_load = load;
		}
	}
	return (best);
}

static void
db_pipe_flush_soon(void)
{
	if (pipe_flush_ev != NULL)
		event_active(pipe_flush_ev, EV_TIMEOUT, 0);
}

static void
db_pipe_queue(struct dbconn *d, struct pipeq *q)
{
	TAILQ_INSERT_TAIL(&d->unsent, q, entry);
	d->pipe_n++;
	if (q->s.sql == NULL) {		/* not the lag probe */
		pool.pipe_statements++;
		if (d->replica >= 0)
			pool.replica_statements++;
	}
	db_pipe_flush_soon();
}

/*
 * Queue statement s->stmt for s->cb(s->arg, result) on a pipelined
 * connection; 0, or -1 when none is up (the caller takes a connection of
 * its own instead). s->params must stay until the result comes.
 */
int
dbpool_submit(const struct dbsubmit *s)
{
	struct dbconn	*d;
	struct pipeq	*q;

	if ((d = db_pipe_pick(s->tag)) == NULL || (q = calloc(1, sizeof(*q))) ==
	    NULL)
		return (-1);
	q->s = *s;
	db_pipe_queue(d, q);
	return (0);
}

/* Does q run under d's tag as it is? */
static int
db_pipe_tag_ok(const struct dbconn *d, const struct pipeq *q)
{
	return (q->s.tag == DBPOOL_TAG_NONE || q->s.tag == d->tag);
}

/* Send the tag q needs as a batch of its own; q waits for its answer. */
static int
db_pipe_send_tag(struct dbconn *d, struct pipeq *q)
{
	struct pipeq	*t;
	const char	*p[1];

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (-1);
	t->set_tag = 1;
	t->s.tag = q->s.tag;
	p[0] = q->s.tag_param;
	if (PQsendQueryPrepared(d->pg, pool.stmts[q->s.tag_stmt].name, 1, p,
	    NULL, NULL, 0) == 0) {
		free(t);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&d->sent, t, entry);
	return (0);
}

/*
 * Send d's queued statements that may run under its tag, and one Sync; or,
 * when the first needs another tag and nothing is out, that tag alone.
 */
static void
db_pipe_send(struct dbconn *d)
{
	struct pipeq	*q;
	int		 was_idle = d->syncs == 0, n = 0;

	if (d->syncs >= PIPE_OUT)
		return;		/* when a batch out has answered */
	while ((q = TAILQ_FIRST(&d->unsent)) != NULL) {
		if (!db_pipe_tag_ok(d, q)) {
			if (n > 0 || d->syncs > 0)
				break;	/* once what is out has answered */
			if (db_pipe_send_tag(d, q) != 0)
				goto broken;
			n++;
			break;
		}
		if ((q->s.sql != NULL ? PQsendQueryParams(d->pg, q->s.sql,
		    q->s.n, NULL, q->s.params, NULL, NULL, 0) :
		    db_send_stmt(d->pg, q->s.stmt, q->s.n, q->s.params, NULL,
		    NULL)) == 0)
			goto broken;
		TAILQ_REMOVE(&d->unsent, q, entry);
		TAILQ_INSERT_TAIL(&d->sent, q, entry);
		n++;
	}
	if (n == 0)
		return;
	if (PQpipelineSync(d->pg) != 1)
		goto broken;
	d->syncs++;
	pool.pipe_batches++;
	d->querying = 1;
	if (was_idle)
		db_timer(d, pool.query_timeout_ms);
	db_flush(d);		/* PQpipelineSync sent most; the rest */
	return;
broken:
	db_broken(d, PQerrorMessage(d->pg));
}

static void
db_pipe_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dbconn	*d;
	int		 i;

	(void)fd;
	(void)what;
	(void)arg;
	for (i = PIPE_FIRST; i < PIPE_END; i++) {
		d = &pool.conns[i];
		if (d->state == DB_PIPE && !TAILQ_EMPTY(&d->unsent))
			db_pipe_send(d);
	}
}

/*
 * The tag's statement answered: d has the tag now; or it failed, and the
 * statements waiting for it get its error.
 */
static void
db_pipe_tagged(struct dbconn *d, int64_t tag, PGresult *res)
{
	struct pipeq	*q;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
		d->tag = tag;
		return;
	}
	d->tag = DBPOOL_TAG_NONE;
	while ((q = TAILQ_FIRST(&d->unsent)) != NULL && q->s.tag == tag) {
		TAILQ_REMOVE(&d->unsent, q, entry);
		d->pipe_n--;
		q->s.cb(q->s.arg, res);
		free(q);
	}
}

/* q's results are all in: deliver, or send again if it was skipped. */
static void
db_pipe_done(struct dbconn *d, struct pipeq *q)
{
	PGresult	*res = q->res;

	TAILQ_REMOVE(&d->sent, q, entry);
	q->res = NULL;
	if (q->set_tag) {
		db_pipe_tagged(d, q->s.tag, res);
		PQclear(res);
		free(q);
		return;
	}
	if (q->aborted) {
		/* skipped after another statement's error: again, in order */
		q->aborted = 0;
		pool.pipe_retries++;
		TAILQ_INSERT_TAIL(&d->retry, q, entry);
		PQclear(res);
		return;
	}
	d->pipe_n--;
	q->s.cb(q->s.arg, res);
	PQclear(res);
	free(q);
}

/* The batch's Sync came back: skipped statements go out again first. */
static void
db_pipe_synced(struct dbconn *d)
{
	struct pipeq	*q;

	d->syncs--;
	if (!TAILQ_EMPTY(&d->unsent))
		db_pipe_flush_soon();	/* some may wait for this */
	while ((q = TAILQ_LAST(&d->retry, pipeqs)) != NULL) {
		TAILQ_REMOVE(&d->retry, q, entry);
		TAILQ_INSERT_HEAD(&d->unsent, q, entry);
		db_pipe_flush_soon();
	}
}

/* Read every result libpq has complete, in the order sent. */
void
db_pipe_read(struct dbconn *d)
{
	struct pipeq	*q;
	PGresult	*res;
	uint64_t	 gen = d->gen;

	while (d->gen == gen && d->syncs > 0 && !PQisBusy(d->pg)) {
		q = TAILQ_FIRST(&d->sent);
		res = PQgetResult(d->pg);
		if (q == NULL) {		/* only the Sync is left */
			if (res == NULL)
				break;
			if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
				db_pipe_synced(d);
			PQclear(res);
			continue;
		}
		if (res == NULL) {		/* the end of q's results */
			db_pipe_done(d, q);
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			/* an earlier batch's Sync, its statements all done */
			db_pipe_synced(d);
			PQclear(res);
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
			q->aborted = 1;
		if (q->res != NULL && PQresultStatus(q->res) ==
		    PGRES_FATAL_ERROR)
			PQclear(res);		/* keep the first error */
		else {
			PQclear(q->res);
			q->res = res;
		}
	}
	if (d->gen != gen)
		return;
	if (d->syncs == 0) {
		d->querying = 0;
		evtimer_del(d->timer);
		db_watch(d, EV_READ);
	} else
		db_timer(d, pool.query_timeout_ms);	/* it is answering */
}

/* d is connected and prepared: into pipeline mode, ready for reads. */
void
db_pipe_ready(struct dbconn *d)
{
	if (PQenterPipelineMode(d->pg) != 1) {
		db_broken(d, "cannot enter pipeline mode");
		return;
	}
	d->state = DB_PIPE;
	d->syncs = 0;
	db_watch(d, EV_READ);
	if (!TAILQ_EMPTY(&d->unsent))
		db_pipe_flush_soon();
}

/*
 * d broke: what it carried fails (cb(arg, NULL)); a standby's reads go to
 * another connection instead (the standby counts as unusable until its
 * probe answers again).
 */
void
db_pipe_lost(struct dbconn *d)
{
	struct dbconn	*to;
	struct pipeq	*q;

	TAILQ_CONCAT(&d->unsent, &d->retry, entry);
	TAILQ_CONCAT(&d->sent, &d->unsent, entry);
	d->syncs = 0;
	if (d->replica >= 0) {
		pool.reps[d->replica].ok = 0;
		pool.reps[d->replica].probing = 0;
	}
	while ((q = TAILQ_FIRST(&d->sent)) != NULL) {
		TAILQ_REMOVE(&d->sent, q, entry);
		PQclear(q->res);
		q->res = NULL;
		q->aborted = 0;
		if (q->set_tag) {
			free(q);
			continue;
		}
		d->pipe_n--;
		if (d->replica >= 0 && q->s.sql == NULL && pipe_flush_ev !=
		    NULL && (to = db_pipe_pick(q->s.tag)) != NULL) {
			log_debug("db conn=%d lost: a read goes to conn=%d",
			    d->idx, to->idx);
			db_pipe_queue(to, q);
			continue;
		}
		q->s.cb(q->s.arg, NULL);
		free(q);
	}
}

/* May reads go to replica i now? */
int
db_replica_usable(int i)
{
	struct replica	*r = &pool.reps[i];

	return (r->ok && r->lag_ms <= pool.max_lag_ms &&
	    now_ms() - r->probed_ms <= 3000);
}

/*
 * How far behind a standby is. Its own view (the time since the last
 * transaction it replayed, while WAL it received waits for replay) misses
 * a standby cut off from the primary: it receives nothing, so it replays
 * everything it has and looks caught up. So parkd also samples the
 * primary's WAL position every second (a ring reaching back past
 * replica_max_lag_ms): a standby whose replay position is short of what
 * the primary had written at time t is at least now - t behind. No role
 * beyond parkd's own is needed for either.
 */
#define PRIMARY_LSN_SQL	"SELECT (pg_current_wal_lsn() - '0/0')::bigint"
#define REPLICA_LAG_SQL	"SELECT CASE WHEN NOT pg_is_in_recovery() OR " \
	"pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 " \
	"ELSE coalesce((extract(epoch FROM now() - " \
	"pg_last_xact_replay_timestamp()) * 1000)::bigint, 0) END, " \
	"pg_is_in_recovery(), coalesce((pg_last_wal_replay_lsn() - " \
	"'0/0')::bigint, 0)"

static void
db_primary_lsn_cb(void *arg, PGresult *res)
{
	struct walsample	*w;

	(void)arg;
	pool.walprobing = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1 || pool.walcap == 0)
		return;
	w = &pool.wal[pool.walhead];
	w->ms = now_ms();
	w->lsn = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	pool.walhead = (pool.walhead + 1) % pool.walcap;
	if (pool.wallen < pool.walcap)
		pool.wallen++;
}

/*
 * Milliseconds since the primary first held WAL beyond replay (from the
 * samples, oldest first); 0 if it held none.
 */
static int64_t
db_wal_lag(int64_t replay)
{
	int	 i, k;

	for (i = 0; i < pool.wallen; i++) {
		k = (pool.walhead - pool.wallen + i + pool.walcap) %
		    pool.walcap;
		if (pool.wal[k].lsn > replay)
			return ((int64_t)(now_ms() - pool.wal[k].ms));
	}
	return (0);
}

static void
db_replica_lag_cb(void *arg, PGresult *res)
{
	struct replica	*r = arg;
	int		 was = r->ok && r->lag_ms <= pool.max_lag_ms;
	int64_t		 wl;

	r->probing = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		r->ok = 0;
		return;
	}
	r->lag_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (PQgetvalue(res, 0, 1)[0] == 't' &&
	    (wl = db_wal_lag(strtoll(PQgetvalue(res, 0, 2), NULL, 10))) >
	    r->lag_ms)
		r->lag_ms = wl;
	r->probed_ms = now_ms();
	r->ok = 1;
	if (was != (r->lag_ms <= pool.max_lag_ms))
		log_info("db replica=%d lag_ms=%lld: %s", (int)(r - pool.reps),
		    (long long)r->lag_ms, r->lag_ms <= pool.max_lag_ms ?
		    "serving reads" : "behind: reads go to the primary");
}

/* A pipelined connection up to replica r (-1: the primary), or NULL. */
static struct dbconn *
db_pipe_conn_of(int r)
{
	int	 i;

	for (i = PIPE_FIRST; i < PIPE_END; i++)
		if (pool.conns[i].replica == r &&
		    pool.conns[i].state == DB_PIPE)
			return (&pool.conns[i]);
	return (NULL);
}

/* Queue probe sql on a connection up to replica r (-1: the primary). */
static int
db_pipe_probe(int r, const char *sql, dbpool_result_cb cb, void *arg)
{
	struct dbconn	*d;
	struct pipeq	*q;

	if ((d = db_pipe_conn_of(r)) == NULL ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return (-1);
	q->s.sql = sql;
	q->s.tag = DBPOOL_TAG_NONE;
	q->s.cb = cb;
	q->s.arg = arg;
	db_pipe_queue(d, q);
	return (0);
}

/*
 * Every second: sample the primary's WAL position (for db_wal_lag) and ask
 * each standby how far behind it is.
 */
void
db_pipe_probe_replicas(void)
{
	int	 r;

	if (pool.nrep > 0 && !pool.walprobing)
		pool.walprobing = db_pipe_probe(-1, PRIMARY_LSN_SQL,
		    db_primary_lsn_cb, NULL) == 0;
	for (r = 0; r < pool.nrep; r++) {
		if (pool.reps[r].probing)
			continue;
		if (db_pipe_probe(r, REPLICA_LAG_SQL, db_replica_lag_cb,
		    &pool.reps[r]) != 0)
			pool.reps[r].ok = 0;
		else
			pool.reps[r].probing = 1;
	}
}

void
db_pipe_start(void)
{
	pipe_flush_ev = event_new(server->base, -1, 0, db_pipe_flush_cb, NULL);
	if (pipe_flush_ev == NULL)
		fatalx("db pool: event_new");
}

void
db_pipe_stop(void)
{
	if (pipe_flush_ev != NULL)
		event_free(pipe_flush_ev);
	pipe_flush_ev = NULL;
}
