/*
 * The pool's insides, shared by dbconn.c (one connection's life: connect,
 * prepare, send, results, loss) and dbpool.c (lending connections out:
 * waiters, pins, the probe). Nothing outside core/ includes this.
 */
#ifndef PARKD_DBPOOL_INT_H
#define PARKD_DBPOOL_INT_H

#include "core/core.h"

enum db_state { DB_DOWN, DB_CONNECTING, DB_PREPARING, DB_IDLE, DB_OWNED,
    DB_PIPE };

struct pipeq;
TAILQ_HEAD(pipeqs, pipeq);

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
	int		 pipe;		/* pipelined, shared by reads (dbpipe.c) */
	int		 begin_pipe;	/* BEGIN + a statement out together */
	int		 begin_ends;	/* of their results, ends seen */
	int		 replica;	/* its index in pool.reps, or -1 */
	struct pipeqs	 unsent;	/* submitted, not sent yet */
	struct pipeqs	 sent;		/* sent, results not all in */
	struct pipeqs	 retry;		/* skipped: again after the Sync */
	int		 pipe_n;	/* statements submitted, not answered */
	int		 syncs;		/* batches out */
	int64_t		 tag;		/* the owner's session state */
	uint64_t	 gen;		/* bumped each time the connection breaks */
	PGresult	*result;
};

struct waiter {
	void			*arg;
	dbpool_conn_cb		 cb;
	uint64_t		 since_us;	/* queued at (now_us) */
	int			 push;		/* for a push connection */
	TAILQ_ENTRY(waiter)	 entry;
};

/* A read replica (a hot standby) and what its lag probe last said. */
struct replica {
	struct dbconf	 conf;
	int		 ok;		/* answered, within the lag bound */
	int64_t		 lag_ms;
	uint64_t	 probed_ms;	/* when it last answered */
	int		 probing;
};

/* The primary's WAL position at a moment (dbpipe.c's replica lag). */
struct walsample {
	uint64_t	 ms;
	int64_t		 lsn;
};

struct dbpool {
	struct dbconn			*conns;	/* n for requests, then npush */
	int				 n;
	int				 npush;
	int				 npipe;		/* after the push ones,
							   per server */
	int				 nrep;		/* read replicas */
	struct replica			*reps;
	int				 max_lag_ms;
	struct walsample		*wal;		/* a ring, every second */
	int				 walcap;
	int				 walhead;	/* the next slot */
	int				 wallen;
	int				 walprobing;
	int				 queue_max;
	struct dbconf			 conf;
	struct dbconf			 pipe_conf;	/* the read pipelines' */
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
	uint64_t			 pipe_statements;
	uint64_t			 pipe_batches;
	uint64_t			 pipe_retries;
	uint64_t			 replica_statements;
	char				*prepare;	/* PREPARE them all */
	char				 lost_why[256];
};
extern struct dbpool pool;

#define CONNECT_DEADLINE_MS	5000
#define PROBE_DEADLINE_MS	1000
#define PROBE_FRESH_MS		3000
#define BACKOFF_MIN_MS		200
#define BACKOFF_MAX_MS		5000

/* dbconn.c and dbpool.c */
void	 db_broken(struct dbconn *d, const char *why);
void	 db_connect_start(struct dbconn *d);
int	 db_connecting(void);
void	 db_fail_waiters(void);
int	 db_healthy(void);
void	 db_flush(struct dbconn *d);
int	 db_send_stmt(PGconn *, int, int, const char *const *, const int *,
	    const int *);
void	 db_make_idle(struct dbconn *d);
void	 db_send(struct dbconn *d, const char *sql, int n,
	     const char *const *params, dbpool_result_cb cb, void *arg, int ms);
void	 db_timer(struct dbconn *d, int ms);
void	 db_timer_cb(evutil_socket_t fd, short what, void *arg);
void	 db_unwatch(struct dbconn *d);
void	 db_watch(struct dbconn *d, short what);

/* The pipelined connections: npipe on the primary, then npipe per replica. */
#define PIPE_FIRST	(pool.n + pool.npush)
#define PIPE_END	(pool.n + pool.npush + pool.npipe * (1 + pool.nrep))

/* dbpipe.c */
void	 db_pipe_probe_replicas(void);
int	 db_replica_usable(int);
void	 db_pipe_start(void);
void	 db_pipe_stop(void);
void	 db_pipe_ready(struct dbconn *d);
void	 db_pipe_read(struct dbconn *d);
void	 db_pipe_lost(struct dbconn *d);

#endif /* PARKD_DBPOOL_INT_H */
