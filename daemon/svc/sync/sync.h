/*
 * The push (SyncService) split by concern: kinds.c (what a record kind
 * is), session.c (the pinned connection and the per-connection FIFO),
 * begin.c, chunk.c, commit.c (the three methods), tenancy.c (the entry
 * rules inside a push), reports.c (the firm_reports fast path).
 */
#ifndef PARKD_SYNC_H
#define PARKD_SYNC_H

#include "svc/svc.h"

struct waiting {
	struct req		*r;
	method_handler		 fn;
	TAILQ_ENTRY(waiting)	 entry;
};

struct sync_kind;

/*
 * Credit code -> firm id for one push (firm_reports): > 0 a firm that is or
 * was a tenant of the push's park, 0 no such firm, -1 not the park's.
 */
struct fcent {
	char	 code[19];
	int64_t	 id;
	int	 chk;		/* check each quarter: not only ever an
				   active tenant here (0005_scope.sql) */
	int32_t	 last;		/* its latest quarter stored or written by
				   this push (year * 4 + quarter - 1), -1 */
};
struct firmcache {
	struct fcent	*v;
	size_t		 cap;
	size_t		 n;
};

/*
 * A push's life (push_set in session.c says which moves exist):
 *   IDLE     on its connection, nothing running      -> BUSY, CLOSED
 *   BUSY     a request of it runs on the pinned one  -> IDLE, CLOSING
 *   CLOSING  its client went away while it ran       -> CLOSED
 *   CLOSED   over: freed (its transaction rolled back unless committed)
 */
enum push_state { PUSH_IDLE, PUSH_BUSY, PUSH_CLOSING, PUSH_CLOSED };

struct sync_session {
	struct session		*ss;		/* NULL once the peer is gone */
	int64_t			 id;
	struct dbconn		*db;
	uint64_t		 gen;
	char			 key[256];
	char			 principal[40];	/* keys are per principal */
	int64_t			 park_id;
	char			 park_code[40];
	const struct sync_kind	*kind;
	int64_t			 rows;
	int64_t			 applied;
	int64_t			 updated;
	int64_t			 refused;
	enum push_state		 st;
	int			 tenancies;	/* rows entered: check at commit */
	struct firmcache	*fc;		/* firm_reports: code -> firm */
	TAILQ_HEAD(, waiting)	 waiting;
	int64_t			 principal_id;
	TAILQ_ENTRY(sync_session) entry;	/* in sessions */
};

/* Every open push of this parkd, for the per-principal cap. */
TAILQ_HEAD(sync_sessions, sync_session);
extern struct sync_sessions sessions;

/* One refused row. */
struct rowerr {
	int64_t		 row;
	struct viols	 v;
};

struct rowerrs {
	struct rowerr	*e;
	size_t		 n;
	size_t		 cap;
};

#define SYNC_MAX_COLS	10
#define SYNC_BIN_COLS	11

struct chunk {
	struct sync_session	*s;
	struct rowerrs		 errs;
	struct pgarray		 cols[SYNC_MAX_COLS + 1];	/* [0] row_no */
	int64_t			 nrows;
	int64_t			 nvalid;
	struct pgbin		 bin[SYNC_BIN_COLS];	/* firm_reports' */
};

/* The state of a firm_reports chunk. */
struct rstate {
	struct chunk	 k;		/* must be first: r->state is both */
	unsigned char	*ok;		/* per record: passed the checks */
	struct fcent	**ent;		/* per record kept: its firm's entry */
	int		 moved;		/* the cache grew: ent is stale */
	int		 stale;		/* a report is not known fresh */
};

typedef void (*row_fn)(struct req *, struct chunk *, size_t, int64_t,
    const char **, char (*)[40]);

/*
 * A kind of record: row checks one record into the chunk's columns (NULL:
 * apply checks them itself), apply writes the checked rows, sql is the
 * statement of the generic apply (chunk_apply).
 */
struct sync_kind {
	const char	*name;			/* as in lib/kinds.c */
	row_fn		 row;
	void		 (*apply)(struct req *);
	int		 stmt;			/* chunk_apply's, or -1 */
};

extern int64_t	 next_sync_id;

/* begin.c */
Parkd__V1__SyncRowError **pack_rowerrs(struct req *, PGresult *, size_t *);
void	 svc_sync_begin(struct req *r);

/* chunk.c */
void	 chunk_record_refusals(struct req *r);
void	 chunk_applied(struct req *r, PGresult *res);
void	 chunk_apply(struct req *r);
void	 svc_sync_chunk(struct req *r);

/* kinds.c */
void	 chunk_free(struct chunk *k);
struct viols *rowerr_new(struct chunk *k, int64_t row);
const char *i64s(char *b, int64_t v);
const struct sync_kind *kind_find(const char *name);
size_t	 kind_others(const struct sync_kind *,
	     const Parkd__V1__SyncChunkRequest *);
size_t	 kind_count(const struct sync_kind *,
	     const Parkd__V1__SyncChunkRequest *);
int	 kind_ncols(const struct sync_kind *);
void	 db_refusals(struct chunk *k, const char *text);

/* reports.c */
void	 reports_chunk(struct req *r);

/* session.c */
void	 sync_detach(struct sync_session *s);
void	 sync_run(struct sync_session *s, struct req *r, method_handler fn);
void	 sync_kick(struct sync_session *s);
void	 sync_release(struct req *r, struct sync_session *s);
void	 sync_fail(struct req *r, struct sync_session *s, int code, const char *fmt, ...)
	     PRINTFLIKE(4, 5);
void	 sync_reply(struct req *r, struct sync_session *s, const ProtobufCMessage *m);
void	 sync_abort(struct req *r, struct sync_session *s, PGresult *res, const char *why);
void	 chunk_abort(struct req *r, PGresult *res, const char *why);
void	 sync_abort_as(struct req *, struct sync_session *, PGresult *,
	    Parkd__V1__Code, const char *);
void	 chunk_abort_as(struct req *, PGresult *, Parkd__V1__Code,
	    const char *);
struct sync_session *session_of(struct req *r, int64_t id);

/* tenancy.c */
void	 tenancy_chunk(struct req *r);
#endif /* PARKD_SYNC_H */
