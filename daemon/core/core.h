/*
 * The core: configuration, logging, TLS, the event loop and its listener,
 * client connections and the PostgreSQL pool. It knows nothing of requests
 * or services: connections report to an owner through one callback, the pool
 * hands results to cb(arg, PGresult *). Depends on lib/ only.
 */
#ifndef PARKD_CORE_H
#define PARKD_CORE_H

#include <sys/queue.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <libpq-fe.h>
#include <openssl/ssl.h>

#include "lib/lib.h"

#define PARKD_VERSION "0.1.0"

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif
#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* config.c */
struct config {
	char	*path;
	char	*listen_host;
	int	 listen_port;
	char	*tls_cert;
	char	*tls_key;
	char	*tls_ca;
	char	*tls_min_version;
	char	*database;
	int	 pool_size;
	int	 push_pool_size;
	int	 read_pool_size;
	char	*read_plan_cache_mode;	/* of the pipelined reads */
	int	 slow_request_ms;
	char	*read_replicas;		/* DSNs, one per line; "" none */
	int	 replica_max_lag_ms;
	int	 push_per_principal;
	int	 db_queue_max;
	int	 statement_timeout_ms;
	int	 query_timeout_ms;
	int	 max_connections;
	int	 max_handshakes;
	int	 max_per_address;
	int	 max_frame_size;
	int	 evidence_max_kb;
	int	 declaration_evidence_max_mb;
	int	 max_inflight;
	int	 decode_budget_factor;
	int	 max_decode_memory_mb;
	int	 handshake_timeout;
	int	 idle_timeout;
	int	 read_timeout;
	int	 shutdown_timeout;
	int	 auth_cache_seconds;
	char	*log_level;
	char	*policy_file;
	char	*http_listen;
	int	 refs;
};
struct config	*config_load(const char *, char **);
void		 config_unref(struct config *);
void		 config_print(const struct config *, FILE *);
int		 config_diff_unreloadable(const struct config *,
		     const struct config *, char **);

/* log.c */
enum { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
int	 log_level_parse(const char *);
void	 log_setlevel(int);
int	 log_enabled(int);
void	 log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	 log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) PRINTFLIKE(1, 2);
void	 log_debug(const char *, ...) PRINTFLIKE(1, 2);
__dead void fatal(const char *, ...) PRINTFLIKE(1, 2);
__dead void fatalx(const char *, ...) PRINTFLIKE(1, 2);

/* tls.c */
SSL_CTX	*tls_server_ctx(const struct config *, char **);
int	 tls_peer_fingerprint(SSL *, char [65]);
int	 tls_cert_fingerprint_pem(const char *, size_t, char [65], char **);
int	 tls_cert_fingerprint_file(const char *, char [65], char **);

/* clock.c */
uint64_t now_ms(void);
uint64_t now_us(void);

/* stats.c: counters the core and the layers above bump; read by /metrics */
#define STATS_NCODES	17
/* A latency histogram: counts per bucket (upper bounds in stats_bucket_us),
 * the last one +Inf, and the sum. */
#define STATS_NBUCKETS	15
struct stats_hist {
	uint64_t	 n[STATS_NBUCKETS];
	uint64_t	 sum_us;
	uint64_t	 count;
};
extern const uint64_t stats_bucket_us[STATS_NBUCKETS - 1];
struct stats {
	uint64_t	*req_count;	/* [slot][code] */
	uint64_t	*req_ms;	/* [slot] total milliseconds */
	struct stats_hist *req_hist;	/* [slot] request latency */
	size_t		 nslots;	/* methods + 1 (unknown) */
	uint64_t	 conns_opened;
	uint64_t	 conns_closed;
	int		 conns;		/* open now */
	int		 inflight;	/* requests alive now */
	struct stats_hist db_wait;	/* waits for a pool connection */
	uint64_t	 sync_rows[3];	/* applied, updated, refused */
	uint64_t	 sync_commits;
	struct stats_hist eval_run;	/* CreateEvaluationRun, end to end */
	uint64_t	 slow_requests;
};
extern struct stats stats;
void	 stats_init(size_t);
void	 stats_free(void);
void	 stats_request(int, int, uint64_t);
void	 stats_hist_add(struct stats_hist *, uint64_t);
void	 stats_conn(int);

/* server.c */
struct conn;
enum conn_event {
	CONN_OPEN,		/* accepted: the owner attaches itself */
	CONN_FRAME,		/* one complete frame (data, len) */
	CONN_OVERSIZE,		/* a frame past max_frame_size (data: why) */
	CONN_CLOSED,		/* the connection is gone */
};
/* The owner of connections: 0, or -1 to refuse CONN_OPEN. */
typedef int (*conn_handler)(struct conn *, enum conn_event, const uint8_t *,
	     size_t);
typedef void (*reload_hook)(const struct config *);
struct server {
	struct event_base	*base;
	struct config		*cfg;		/* current snapshot */
	SSL_CTX			*ssl_ctx;	/* for new connections */
	struct evconnlistener	*listener;
	int			 draining;
	uint64_t		 next_conn_id;
	conn_handler		 conn_cb;	/* set by main */
	reload_hook		 reload[4];	/* set by main */
	int			 nreload;
};
extern struct server *server;
void	 server_raise_fd_limit(void);
int	 server_listen(char **);
void	 server_on_reload(reload_hook);
void	 server_reload(void);
void	 server_drain(void);
void	 server_maybe_exit(void);
void	 server_free(void);

/* conn.c */
struct conn {
	uint64_t		 id;
	int			 fd;
	SSL			*ssl;		/* NULL once closed */
	struct event		*rev;		/* armed unless paused */
	struct event		*wev;		/* armed while output waits */
	struct evbuffer		*in;		/* decrypted, not yet framed */
	struct evbuffer		*out;		/* framed, not yet written */
	int			 write_wait;	/* wev is armed */
	char			 peer[64];
	char			 addr[48];	/* peer's IP address */
	char			 fingerprint[65];
	int			 tls_ready;
	int			 authed;	/* a request was authenticated */
	struct event		*more;		/* frames left for the next turn */
	int			 paused;	/* not reading: in-flight cap */
	int			 in_input;	/* inside conn_process_input */
	int			 closing;	/* close once output drained */
	int			 inflight;	/* frames handed up, not done */
	void			*owner;		/* the conn_handler's own */
	uint64_t		 accepted_ms;
	uint64_t		 active_ms;	/* last frame in or out */
	uint64_t		 partial_ms;	/* when a partial frame began */
	TAILQ_ENTRY(conn)	 entry;
};
TAILQ_HEAD(connlist, conn);
extern struct connlist conns;
extern int nconns;
int	 conn_admit(const char *, const char *);
void	 conn_accept(int, const char *, const char *);
void	 conn_close_when_done(struct conn *);
void	 conn_send_frame(struct conn *, const uint8_t *, size_t);
void	 conn_close(struct conn *, const char *);
void	 conn_req_done(struct conn *);
void	 conn_janitor(uint64_t);
void	 conn_drain_all(void);
void	 conn_reap(void);
void	 conn_shutdown(void);

/* dbconf.c: the pool's libpq connection keywords */
struct dbconf {
	char	**kw;
	char	**val;
	int	  n;
};
int	 dbconf_build(struct dbconf *, const struct config *, int, char **);
int	 dbconf_build_dsn(struct dbconf *, const char *, const struct config *,
	     int, char **);
void	 dbconf_free(struct dbconf *);

/* dbpool.c: non-blocking libpq connections on the loop */
struct dbconn;
/* A statement's result; NULL when the connection was lost (see why). */
typedef void (*dbpool_result_cb)(void *, PGresult *);
/* A connection, or NULL: refused (busy: too many waiting), why says. */
typedef void (*dbpool_conn_cb)(void *, struct dbconn *, int busy,
	     const char *why);
/* A connection held between statements was lost. */
typedef void (*dbpool_lost_cb)(void *);
#define DBPOOL_TAG_NONE	INT64_MIN
/* A statement every connection prepares once, called by its index. */
struct dbpool_stmt {
	const char	*name;
	const char	*sql;
	int		 per_call;	/* sent as text, planned per call */
};
int	 dbpool_start(const struct config *, dbpool_lost_cb,
	     const struct dbpool_stmt *, char **);
void	 dbpool_stop(void);
void	 dbpool_acquire(int, dbpool_conn_cb, void *);
void	 dbpool_query(struct dbconn *, const char *, int, const char *const *,
	     dbpool_result_cb, void *);
void	 dbpool_exec_bin(struct dbconn *, int, int, const char *const *,
	    const int *, const int *, dbpool_result_cb, void *);
void	 dbpool_exec(struct dbconn *, int, int, const char *const *,
	     dbpool_result_cb, void *);
void	 dbpool_exec_begin(struct dbconn *, const char *, int, int,
	     const char *const *, dbpool_result_cb, void *);
const char *dbpool_lost_why(void);
int	 dbpool_stmt_index(const char *);
void	 dbpool_release(struct dbconn *);
int64_t	 dbpool_tag(const struct dbconn *);
void	 dbpool_set_tag(struct dbconn *, int64_t);
uint64_t dbpool_pin(struct dbconn *);
int	 dbpool_attach(struct dbconn *, uint64_t, void *);
void	 dbpool_detach(struct dbconn *);
void	 dbpool_unpin(struct dbconn *, uint64_t);
/* A statement for a pipelined read connection (dbpipe.c). */
struct dbsubmit {
	int			 stmt;		/* of the pool's statements */
	const char		*sql;		/* or this text (not prepared) */
	int			 n;
	const char *const	*params;	/* kept until the result */
	int64_t			 tag;		/* to run under; or TAG_NONE */
	int			 tag_stmt;	/* sets the tag, from: */
	const char		*tag_param;
	dbpool_result_cb	 cb;
	void			*arg;
};
int	 dbpool_submit(const struct dbsubmit *);
struct db_stats {
	int	 total;
	int	 healthy;
	int	 busy;
	int	 pinned;
	int	 waiting;
	int	 pipe_up;		/* pipelined read connections up */
	int	 pipe_depth;		/* statements submitted, not answered */
	uint64_t pipe_statements;	/* submitted, ever */
	uint64_t pipe_batches;		/* batches (Syncs) sent */
	uint64_t pipe_retries;		/* skipped after an error, sent again */
	uint64_t replica_statements;	/* reads sent to a read replica */
	int	 replicas_usable;	/* up and within replica_max_lag_ms */
};
void	 dbpool_stats(struct db_stats *);
int	 dbpool_probe_ok(const char **);
void	 dbpool_janitor(uint64_t);

#endif /* PARKD_CORE_H */
