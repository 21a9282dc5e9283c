/*
 * The RPC layer: a connection's session, one request from decode to its one
 * response, who the caller is and what it may call, the request's database
 * connection (with its row-level-security scope), and the helpers handlers
 * use for parameters, result rows and pages. Depends on core/ and lib/.
 */
#ifndef PARKD_RPC_H
#define PARKD_RPC_H

#include "core/core.h"
#include "lib/lib.h"
#include "parkd.pb-c.h"

/* auth.c: roles and the principal behind a certificate */
#define ROLE_ADMIN	0x1
#define ROLE_BUREAU	0x2
#define ROLE_OPERATOR	0x4
#define ROLE_VIEWER	0x8
#define ROLE_DISTRICT	0x10	/* reviews its district's declarations */
#define ROLE_EXPERT	0x20	/* scores the parks it is assigned */
#define ROLES_ALL	(ROLE_ADMIN|ROLE_BUREAU|ROLE_OPERATOR|ROLE_VIEWER)
#define ROLE_COUNT	6
/* The role an operator's requests run as, under row-level security. */
#define OPERATOR_ROLE	"parkd_park"
struct principal {
	int64_t	 id;
	char	 name[128];
	int	 role;			/* ROLE_* bit */
	int64_t	 park_id;		/* operators only, else 0 */
	char	 district[64];		/* district reviewers only, else "" */
	int	 known;			/* lookup done */
	int	 found;			/* an enabled principal matched */
	uint64_t loaded_ms;
};

/* session.c: what the RPC layer keeps per client connection */
struct req;
TAILQ_HEAD(reqlist, req);
struct session {
	struct conn		*c;
	struct reqlist		 reqs;		/* in flight */
	struct principal	 principal;	/* cached for auth_cache_seconds */
	void			*push;		/* an open push (svc/sync) */
};
typedef void (*session_hook)(struct session *);
int	 session_event(struct conn *, enum conn_event, const uint8_t *, size_t);
void	 session_on_close(session_hook);
void	 session_send_status(struct session *, uint64_t, int, const char *);

/* step.c: a method as statements and what to do with each result */
struct req;
struct qparams;
#define STEP_NEXT	0	/* on to the next step (or COMMIT and reply) */
#define STEP_DONE	1	/* the request is failed: stop */
struct step {
	int	 stmt;					/* SQL_* of store/sql/ */
	int	(*params)(struct req *, struct qparams *); /* -1: r failed */
	int	(*then)(struct req *, PGresult *);	/* STEP_* */
};
struct plan {
	const char		*what;		/* the method, for errors */
	int			 tx;		/* BEGIN first, COMMIT last */
	const struct step	*steps;		/* ended by then == NULL */
};
void	 step_run(struct req *);
int	 step_pipelined(const struct req *);
int	 step_fail(struct req *, int, const char *);
int	 step_reply(struct req *, const ProtobufCMessage *);
int	 step_reply_row(struct req *, PGresult *,
	     const ProtobufCMessageDescriptor *);
int	 step_reply_list(struct req *, PGresult *, int,
	     const ProtobufCMessageDescriptor *, const char *);
typedef void (*page_fill)(struct req *, PGresult *, int, void *);
int	 step_reply_page(struct req *, PGresult *, int,
	     const ProtobufCMessageDescriptor *, const char *, page_fill);

/* dispatch.c: the methods, from the services' own tables */
typedef void (*method_handler)(struct req *);
/* One entry of a service's method table (svc/svc.h). */
struct method_def {
	const char		*name;		/* as in proto/parkd.proto */
	method_handler		 handler;	/* or: */
	const struct plan	*plan;		/* its steps (step.c) */
	int			 roles;		/* ROLE_* allowed */
	int			 own_conn;	/* brings its own connection */
	int			 ro;		/* reads only: may be pipelined */
};
struct method {
	const char				*name;
	const ProtobufCMessageDescriptor	*input;
	const ProtobufCMessageDescriptor	*output;
	const struct method_def			*def;
	int					 idx;	/* in the table */
};
void			 dispatch_init(const struct method_def *const *);
void			 dispatch_free(void);
size_t			 dispatch_count(void);
const char		*dispatch_name(int);
const struct method	*dispatch_find(const char *);

/* req.c */
enum req_state {
	REQ_DECODED,		/* decoding envelope and body */
	REQ_AUTH,		/* finding the principal and checking the role */
	REQ_RUN,		/* the method's handler and its statements */
	REQ_DONE,		/* response sent (or peer gone): freed */
};
struct req {
	enum req_state		 st;
	struct session		*s;		/* NULL once the peer is gone */
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
	uint64_t		 start_us;
	int			 internal;	/* parkd's own */
	const char		*db_error;	/* why the database failed it */
	int			 scoped;	/* scope below is known */
	int64_t			 scope;		/* 0: all parks; else one */
	void			(*db_next)(struct req *);
	void			(*db_cb)(struct req *, PGresult *);
	const struct plan	*plan;		/* step.c: its steps, */
	int			 step;		/* the one running, */
	struct qparams		*qp;		/* its parameters, */
	const ProtobufCMessage	*reply;		/* the reply kept */
	size_t			 decoded;	/* arena bytes counted */
	TAILQ_ENTRY(req)	 centry;
};
void	 req_start(struct session *, const uint8_t *, size_t);
void	 req_set_state(struct req *, enum req_state);
void	 req_run(struct req *);
void	 req_reply(struct req *, const ProtobufCMessage *);
void	 req_fail(struct req *, int, const char *, ...) PRINTFLIKE(3, 4);
void	 req_fail_pg(struct req *, PGresult *, const char *);
void	 req_orphan(struct req *);
int	 req_internal(const char *, const ProtobufCMessage *);
void	*req_alloc(struct req *, size_t);
char	*req_strdup(struct req *, const char *);

/* auth.c */
int		 auth_role_parse(const char *);
const char	*auth_role_name(int);
void		 auth_init(int);
void		 auth_begin(struct req *);
int		 auth_park_allowed(struct req *, int64_t);
int64_t		 auth_scope(const struct req *);

/* reqdb.c: a request's database connection, in its park scope */
typedef void (*db_result_cb)(struct req *, PGresult *);
typedef void (*db_acquire_cb)(struct req *);
void	 db_acquire(struct req *, db_acquire_cb);
void	 db_acquire_push(struct req *, db_acquire_cb);
void	 db_query(struct req *, const char *, int, const char *const *,
	     db_result_cb);
void	 db_exec_bin(struct req *, int, int, const char *const *,
	    const int *, const int *, db_result_cb);
void	 db_exec(struct req *, int, int, const char *const *, db_result_cb);
int	 db_submit(struct req *, int, int, const char *const *, db_result_cb);
void	 db_exec_begin(struct req *, int, int, const char *const *,
	     db_result_cb);
void	 db_release(struct req *);
void	 db_lost(void *);
struct dbconn *db_pin(struct req *, uint64_t *);
int	 db_attach(struct req *, struct dbconn *, uint64_t);
void	 db_detach(struct req *);
void	 db_unpin(struct dbconn *, uint64_t);

/* qparams.c: statement parameters built from request fields */
struct qparams {
	int		 stmt;		/* -1: the step's own statement */
	int		 n;
	const char	*v[48];
	char		 buf[48][32];
};
struct page_stmt;
void	 qp_init(struct qparams *);
void	 qp_stmt(struct qparams *, int);
void	 qp_str(struct qparams *, const char *);
void	 qp_str_or_null(struct qparams *, const char *);
void	 qp_i64(struct qparams *, int64_t);
void	 qp_bool(struct qparams *, int);
void	 qp_null(struct qparams *);
void	 qp_audit(struct qparams *, struct req *);
void	 qp_page(struct qparams *, const struct page_stmt *, int, int);
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

/* row.c: values of result rows, by column name */
const char *pg_get(PGresult *, int, const char *);
int64_t	 pg_i64(PGresult *, int, const char *);
int	 pg_bool(PGresult *, int, const char *);
char	**pg_split(struct req *, const char *, size_t *);
int	 pg_ok(struct req *, PGresult *, ExecStatusType, const char *);
int	*pg_message_columns(struct req *, const ProtobufCMessageDescriptor *,
	     PGresult *);
ProtobufCMessage *pg_message(struct req *, const ProtobufCMessageDescriptor *,
	     PGresult *, int, const int *);

/* fields.c: checks and conversions of request fields */
char	*req_join(struct req *, char **, size_t);
char	*mask_literal(struct req *, char **, size_t, const char *const *);
int	 mask_has(char **, size_t, const char *);
char	*fmt_arena(struct req *, const char *, ...) PRINTFLIKE(2, 3);
void	 check_credit_code(struct req *, const char *, const char *);
void	 check_text(struct req *, const char *, const char *, size_t, size_t);
int	 date_or_today(struct req *, const char *, const char *, struct ymd *,
	     char [11]);

/* page.c: list pages and their tokens */
int	 page_token_parse(struct req *, const char *, int64_t *);
int	 page_size_clamp(int32_t);
int	 page_after(struct req *, const char *, int64_t *);
/*
 * A list's statements with the limit in their text ("-- pages: 20 100
 * 1000" in store/sql/: the size + 1), by the largest page each holds;
 * PAGES_OF(SQL_NAME) is NAME_20, _100 and _1000, page_size_clamp's sizes.
 */
struct page_stmt {
	int	 size;
	int	 stmt;
};
#define PAGES_OF(n)	{ { 20, n##_20 }, { 100, n##_100 }, { 1000, n##_1000 } }
#define NPAGES		3
int	 page_stmt(const struct page_stmt *, int);

#endif /* PARKD_RPC_H */
