/*
 * parkd internal header: one section per daemon source file. The wire
 * contract lives apart in proto/parkd.proto.
 */
#ifndef PARKD_H
#define PARKD_H

#include <sys/queue.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>
#include <openssl/ssl.h>
#include <protobuf-c/protobuf-c.h>

#include "parkd.pb-c.h"
#include "pure.h"
#include "rules.h"
#include "checks.h"

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
	int	 push_per_principal;
	int	 db_queue_max;
	int	 statement_timeout_ms;
	int	 query_timeout_ms;
	int	 max_connections;
	int	 max_handshakes;
	int	 max_per_address;
	int	 max_frame_size;
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

/* server.c */
struct server {
	struct event_base	*base;
	struct config		*cfg;		/* current snapshot */
	SSL_CTX			*ssl_ctx;	/* for new connections */
	struct evconnlistener	*listener;
	int			 draining;
	uint64_t		 next_conn_id;
};
extern struct server *server;
int	 server_listen(char **);
void	 server_reload(void);
void	 server_drain(void);
void	 server_maybe_exit(void);
void	 server_free(void);

/* conn.c */
struct req;
TAILQ_HEAD(reqlist, req);
struct principal {
	int64_t	 id;
	char	 name[128];
	int	 role;			/* ROLE_* bit */
	int64_t	 park_id;		/* operators only, else 0 */
	int	 known;			/* lookup done */
	int	 found;			/* an enabled principal matched */
	uint64_t loaded_ms;
};
struct conn {
	uint64_t		 id;
	struct bufferevent	*bev;
	SSL			*ssl;
	char			 peer[64];
	char			 addr[48];	/* peer's IP address */
	char			 fingerprint[65];
	int			 tls_ready;
	int			 authed;	/* a request was authenticated */
	struct event		*more;		/* frames left for the next turn */
	int			 paused;	/* not reading: in-flight cap */
	int			 in_input;	/* inside conn_process_input */
	int			 closing;	/* close once output drained */
	int			 inflight;
	struct reqlist		 reqs;
	struct principal	 principal;
	struct sync_session	*sync;		/* open push, if any */
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
uint64_t now_ms(void);

/* req.c */
struct method;
struct sync_session;
struct req {
	struct conn		*c;		/* NULL once the peer is gone */
	uint64_t		 cid;		/* connection id, for logs */
	uint64_t		 id;
	char			*method_name;
	const struct method	*m;
	struct arena		*arena;
	ProtobufCMessage	*in;
	char			*idem_key;
	struct dbconn		*db;
	struct principal	 pr;
	struct viols		 v;
	struct viols		 warn;
	void			*state;		/* handler's own */
	uint64_t		 start_ms;
	int			 internal;	/* parkd's own */
	const char		*db_error;	/* why the database failed it */
	int			 scoped;	/* scope below is known */
	int64_t			 scope;		/* 0: all parks; else one */
	void			(*db_next)(struct req *);
	size_t			 decoded;	/* arena bytes counted */
	TAILQ_ENTRY(req)	 centry;
};
extern int nreqs;
void	 req_start(struct conn *, const uint8_t *, size_t);
void	 req_reply(struct req *, const ProtobufCMessage *);
void	 req_fail(struct req *, int, const char *, ...) PRINTFLIKE(3, 4);
void	 req_fail_pg(struct req *, PGresult *, const char *);
void	 req_orphan(struct req *);
int	 req_internal(const char *, const ProtobufCMessage *);
void	*req_alloc(struct req *, size_t);
char	*req_strdup(struct req *, const char *);
void	 conn_send_status(struct conn *, uint64_t, int, const char *);

/* dispatch.c */
typedef void (*method_handler)(struct req *);
struct method {
	const char				*name;
	const ProtobufCMessageDescriptor	*input;
	const ProtobufCMessageDescriptor	*output;
	method_handler				 handler;
	int					 roles;
	int					 nodb;	/* brings its own connection */
	int					 idx;	/* in the method table */
};
void			 dispatch_init(void);
void			 dispatch_free(void);
size_t			 dispatch_count(void);
const char		*dispatch_name(int);
const struct method	*dispatch_find(const char *);

/* auth.c */
#define ROLE_ADMIN	0x1
#define ROLE_BUREAU	0x2
#define ROLE_OPERATOR	0x4
#define ROLE_VIEWER	0x8
#define ROLES_ALL	(ROLE_ADMIN|ROLE_BUREAU|ROLE_OPERATOR|ROLE_VIEWER)
int		 auth_role_parse(const char *);
const char	*auth_role_name(int);
void		 auth_begin(struct req *);
int		 auth_park_allowed(struct req *, int64_t);
int64_t		 auth_scope(const struct req *);

/* db.c */
struct dbconn;
typedef void (*db_result_cb)(struct req *, PGresult *);
typedef void (*db_acquire_cb)(struct req *);
int	 db_pool_start(const struct config *, char **);
void	 db_pool_stop(void);
void	 db_acquire(struct req *, db_acquire_cb);
void	 db_acquire_push(struct req *, db_acquire_cb);
void	 db_query(struct req *, const char *, int, const char *const *,
	     db_result_cb);
void	 db_release(struct req *);
struct dbconn *db_pin(struct req *, uint64_t *);
int	 db_attach(struct req *, struct dbconn *, uint64_t);
void	 db_detach(struct req *);
void	 db_unpin(struct dbconn *, uint64_t);
struct db_stats {
	int	 total;
	int	 healthy;
	int	 busy;
	int	 pinned;
	int	 waiting;
};
void	 db_stats(struct db_stats *);
int	 db_probe_ok(const char **);
void	 db_janitor(uint64_t);

/* metrics.c */
void	 metrics_request(const struct method *, int, uint64_t);
void	 metrics_conn(int);
int	 metrics_start(const struct config *, char **);
void	 metrics_stop(void);

/* migrate.c (migrations.c is generated from schema/ at build time) */
struct migration {
	const char	*name;
	const char	*sql;
};
extern const struct migration migrations[];
extern const size_t nmigrations;
/* The role an operator's requests run as, under row-level security. */
#define OPERATOR_ROLE	"parkd_park"
int	 migrate_run(PGconn *, char **);
PGconn	*migrate_connect(const char *, int, char **);

/* params.c: query parameters built from request fields */
struct qparams {
	int		 n;
	const char	*v[48];
	char		 buf[48][32];
};
void	 qp_init(struct qparams *);
void	 qp_str(struct qparams *, const char *);
void	 qp_str_or_null(struct qparams *, const char *);
void	 qp_i64(struct qparams *, int64_t);
void	 qp_bool(struct qparams *, int);
void	 qp_null(struct qparams *);
void	 qp_audit(struct qparams *, struct req *);
const char *pg_get(PGresult *, int, const char *);
int64_t	 pg_i64(PGresult *, int, const char *);
int	 pg_bool(PGresult *, int, const char *);
char	**pg_split(struct req *, const char *, size_t *);
char	*req_join(struct req *, char **, size_t);
char	*mask_literal(struct req *, char **, size_t, const char *const *);
int	 mask_has(char **, size_t, const char *);
char	*fmt_arena(struct req *, const char *, ...) PRINTFLIKE(2, 3);
int	 pg_ok(struct req *, PGresult *, ExecStatusType, const char *);
void	 check_credit_code(struct req *, const char *, const char *);
void	 check_text(struct req *, const char *, const char *, size_t, size_t);
int	 page_token_parse(struct req *, const char *, int64_t *);
int	 page_size_clamp(int32_t);
typedef void (*page_fill)(struct req *, PGresult *, int, void *);
void	**page_build(struct req *, PGresult *, int, size_t, page_fill,
	     const char *, size_t *, char **);
int	 page_after(struct req *, const char *, int64_t *);
struct pgarray {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 n;
	int	 oom;
};
void	 pgarray_add(struct pgarray *, const char *);
void	 pgarray_add_i64(struct pgarray *, int64_t);
const char *pgarray_finish(struct pgarray *);
void	 pgarray_free(struct pgarray *);
int	 date_or_today(struct req *, const char *, const char *, struct ymd *,
	     char [11]);
void	 sha256_hex(const char *, size_t, char [65]);
#define TS_COL(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define DATE_COL(col) "coalesce(" col "::text, '')"
/* Mutations put qp_audit's four parameters first: $1..$4. */
#define AUDIT_SQL(objexpr, changeexpr, from)				\
	"INSERT INTO audit_log (principal_id, principal_name, method, "	\
	"object, idempotency_key, change) SELECT nullif($1::bigint, 0), "	\
	"$2, $3, " objexpr ", $4, " changeexpr " FROM " from

/* svc_park.c */
void	 svc_park_create(struct req *);
void	 svc_park_get(struct req *);
void	 svc_park_list(struct req *);
void	 svc_park_update(struct req *);
void	 svc_park_admit(struct req *);
void	 svc_park_warn(struct req *);
void	 svc_park_exit(struct req *);

/* svc_firm.c */
void	 svc_firm_create(struct req *);
void	 svc_firm_get(struct req *);
void	 svc_firm_list(struct req *);
void	 svc_firm_update(struct req *);

/* svc_rules.c */
#define POLICY_COLS(yearparam)						\
	"(SELECT pp.hash FROM policy_years py JOIN policies pp ON "	\
	"pp.id = py.policy_id WHERE py.year = " yearparam ") AS policy_hash, " \
	"(SELECT pp.body FROM policy_years py JOIN policies pp ON "	\
	"pp.id = py.policy_id WHERE py.year = " yearparam ") AS policy_body"
const struct policy *policy_from_row(struct req *, PGresult *, int, int);
const struct policy *policy_cached(const char *, const char *);
void	 policy_cache_free(void);
int	 policy_file_load(const struct config *, PGconn *, char **);
void	 policy_file_reload(const struct config *);
void	 svc_rules_upload(struct req *);
void	 svc_rules_get(struct req *);
void	 svc_rules_list(struct req *);
void	 svc_rules_sweep(struct req *);
int	 tenancy_facts_from_row(struct req *, PGresult *, int,
	     struct tenancy_facts *);
#define TENANCY_FACTS_SQL(asof, qi, tid)				\
	"SELECT t.id, p.code AS park_code, array_to_string("		\
	"p.leading_industries, ',') AS park_industries, f.credit_code, " \
	"f.industry_code, t.entry_date::text AS entry_date, "		\
	"EXISTS (SELECT 1 FROM certifications c WHERE c.firm_id = f.id AND " \
	"c.kind = 'high_tech' AND c.valid_from <= " asof " AND c.valid_to >= " \
	asof " AND (c.expired_on IS NULL OR c.expired_on > " asof ")) "	\
	"AS high_tech, (SELECT coalesce(sum(x.amount), 0) FROM "	\
	"firm_financings x WHERE x.firm_id = f.id AND x.date <= " asof	\
	") AS equity, (SELECT coalesce(sum(r.revenue), 0) FROM "	\
	"firm_reports r WHERE r.firm_id = f.id AND r.year * 4 + r.quarter " \
	"- 1 BETWEEN " qi " - 8 AND " qi " - 1) AS revenue_2y, EXISTS ("	\
	"SELECT 1 FROM firm_events e WHERE e.firm_id = f.id AND e.date <= " \
	asof ") AS acquired_or_listed, coalesce((SELECT max(r.year * 4 + " \
	"r.quarter - 1) FROM firm_reports r WHERE r.firm_id = f.id AND "	\
	"r.year * 4 + r.quarter - 1 < " qi "), -1) AS last_qi "		\
	"FROM tenancies t JOIN parks p ON p.id = t.park_id "		\
	"JOIN firms f ON f.id = t.firm_id WHERE t.status = 'active' AND " \
	"(" tid "::bigint = 0 OR t.id = " tid ")"

/* svc_tenancy.c */
void	 svc_tenancy_enter(struct req *);
void	 svc_tenancy_exit(struct req *);
void	 svc_tenancy_list(struct req *);

/* svc_facts.c */
void	 svc_facts_report(struct req *);
void	 svc_facts_financing(struct req *);
void	 svc_facts_event(struct req *);
void	 svc_facts_cert_add(struct req *);
void	 svc_facts_cert_list(struct req *);
void	 svc_facts_cert_expire(struct req *);

/* svc_sync.c */
void	 svc_sync_begin(struct req *);
void	 svc_sync_chunk(struct req *);
void	 svc_sync_commit(struct req *);

/* svc_export.c */
void	 svc_export(struct req *);
void	 sync_conn_closed(struct conn *);

/* svc_eval.c */
extern const char eval_raw_sql[];
void	 svc_eval_create(struct req *);
void	 svc_eval_publish(struct req *);
void	 svc_eval_delete(struct req *);
void	 svc_eval_get_run(struct req *);
void	 svc_eval_list_runs(struct req *);
void	 svc_eval_results(struct req *);
void	 svc_eval_result(struct req *);
void	 svc_eval_budget(struct req *);
void	 svc_eval_award(struct req *);

/* svc_principal.c */
void	 svc_principal_add(struct req *);
void	 svc_principal_list(struct req *);
void	 svc_principal_disable(struct req *);
void	 svc_principal_whoami(struct req *);
int	 fingerprint_normalise(const char *, char [65]);
int	 svc_principal_add_cli(const struct config *, const char *,
	     const char *, const char *, const char *, char **);

#endif /* PARKD_H */
