/*
 * SyncService: an operator's push of many records of one kind for one park.
 * BeginSync opens a transaction on a pool connection that stays pinned to
 * the client connection; each SyncChunk validates its rows, applies the good
 * ones with one set-based statement (unnest of array parameters) and records
 * the refused ones; CommitSync stores the outcome under the idempotency key
 * and commits. A push cut short rolls back whole; a committed key replays
 * its stored outcome. Chunks of one push run one at a time, in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkd.h"

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
};
struct firmcache {
	struct fcent	*v;
	size_t		 cap;
	size_t		 n;
};

struct sync_session {
	struct conn		*c;		/* NULL once the peer is gone */
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
	int			 busy;
	int			 tenancies;	/* rows entered: check at commit */
	struct firmcache	*fc;		/* firm_reports: code -> firm */
	TAILQ_HEAD(, waiting)	 waiting;
	int64_t			 principal_id;
	TAILQ_ENTRY(sync_session) entry;	/* in sessions */
};

/* Every open push of this parkd, for the per-principal cap. */
static TAILQ_HEAD(, sync_session) sessions = TAILQ_HEAD_INITIALIZER(sessions);

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

struct chunk {
	struct sync_session	*s;
	struct rowerrs		 errs;
	struct pgarray		 cols[SYNC_MAX_COLS + 1];	/* [0] row_no */
	int64_t			 nrows;
	int64_t			 nvalid;
};

/* The state of a firm_reports chunk. */
struct rstate {
	struct chunk	 k;		/* must be first: r->state is both */
	unsigned char	*ok;		/* per record: passed the checks */
};

typedef void (*row_fn)(struct req *, struct chunk *, size_t, int64_t,
    const char **, char (*)[40]);

/*
 * A kind of record: row checks one record into the chunk's columns (NULL:
 * apply checks them itself), apply writes the checked rows, sql is the
 * statement of the generic apply (chunk_apply).
 */
struct sync_kind {
	const char	*name;
	int		 ncols;
	row_fn		 row;
	size_t		 (*count)(const Parkd__V1__SyncChunkRequest *);
	void		 (*apply)(struct req *);
	const char	*sql;
};

static int64_t	 next_sync_id;

/* ---- helpers ---- */

static void
chunk_free(struct chunk *k)
{
	size_t	 i;

	for (i = 0; i <= SYNC_MAX_COLS; i++)
		pgarray_free(&k->cols[i]);
	for (i = 0; i < k->errs.n; i++)
		viols_free(&k->errs.e[i].v);
	free(k->errs.e);
	memset(k, 0, sizeof(*k));
}

static struct viols *
rowerr_new(struct chunk *k, int64_t row)
{
	struct rowerr	*ne;

	if (k->errs.n == k->errs.cap) {
		size_t cap = k->errs.cap ? k->errs.cap * 2 : 16;

		if ((ne = realloc(k->errs.e, cap * sizeof(*ne))) == NULL)
			return (NULL);
		k->errs.e = ne;
		k->errs.cap = cap;
	}
	memset(&k->errs.e[k->errs.n], 0, sizeof(k->errs.e[0]));
	k->errs.e[k->errs.n].row = row;
	return (&k->errs.e[k->errs.n++].v);
}

/* Keep the row if it had no violation, else record them against it. */
static void
row_done(struct chunk *k, struct viols *v, int64_t row, const char **vals,
    int ncols)
{
	struct viols	*dst;
	char		 rb[24];
	int		 i;

	if (v->n > 0) {
		if ((dst = rowerr_new(k, row)) != NULL)
			*dst = *v;
		else
			viols_free(v);
		memset(v, 0, sizeof(*v));
		return;
	}
	snprintf(rb, sizeof(rb), "%lld", (long long)row);
	pgarray_add(&k->cols[0], rb);
	for (i = 0; i < ncols; i++)
		pgarray_add(&k->cols[i + 1], vals[i]);
	k->nvalid++;
}

static const char *
i64s(char *b, int64_t v)
{
	snprintf(b, 40, "%lld", (long long)v);
	return (b);
}

static void
check_code(struct viols *v, const char *code)
{
	const char	*why;

	if (creditcode_check(code, &why) != 0)
		viols_add(v, "credit_code", "credit_code.gb32100", "'%.32s': %s",
		    code, why);
}

static void
check_not_future(struct viols *v, const char *field, const char *date)
{
	struct ymd	 t, d;

	today(&t);
	if (ymd_parse(date, &d) != 0)
		viols_add(v, field, "date", "'%.16s' is not a YYYY-MM-DD date",
		    date);
	else if (ymd_days(&d) > ymd_days(&t))
		viols_add(v, field, "date.future", "%s is in the future", date);
}

static void
check_park(struct viols *v, struct sync_session *s, const char *code)
{
	if (*code != '\0' && strcmp(code, s->park_code) != 0)
		viols_add(v, "park_code", "sync.park", "row is for %s but this "
		    "push is for %s", code, s->park_code);
}

/* ---- kinds: validation of one row, in column order ---- */

static void
row_park_report(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__ParkReport		*p = in->park_reports[i];
	struct viols			 v = { 0 };

	check_park(&v, k->s, p->park_code);
	check_quarter(&v, "quarter", p->year, p->quarter);
	viols_range(&v, "staff", p->staff, 0, LIMIT_COUNT);
	viols_range(&v, "services_delivered", p->services_delivered, 0,
	    LIMIT_COUNT);
	viols_range(&v, "interns_hosted", p->interns_hosted, 0, LIMIT_COUNT);
	vals[0] = i64s(b[0], p->year);
	vals[1] = i64s(b[1], p->quarter);
	vals[2] = i64s(b[2], p->staff);
	vals[3] = i64s(b[3], p->services_delivered);
	vals[4] = i64s(b[4], p->interns_hosted);
	row_done(k, &v, row, vals, 5);
}

static const char *const activity_kinds[] = { "roadshow", "salon",
    "lecture", "training_camp", "competition", "specialist_visit",
    "matchmaking", "other", NULL };

static void
row_activity(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__Activity		*p = in->activities[i];
	struct viols			 v = { 0 };
	int				 j, known = 0;

	check_park(&v, k->s, p->park_code);
	for (j = 0; activity_kinds[j] != NULL; j++)
		known |= strcmp(p->kind, activity_kinds[j]) == 0;
	if (!known)
		viols_add(&v, "kind", "activity.kind", "'%.32s' is not one of "
		    "roadshow, salon, lecture, training_camp, competition, "
		    "specialist_visit, matchmaking, other", p->kind);
	check_not_future(&v, "date", p->date);
	if (!valid_text(p->title, 1, 200))
		viols_add(&v, "title", "text", "1-200 bytes of UTF-8 text");
	viols_range(&v, "participants", p->participants, 0, LIMIT_COUNT);
	vals[0] = p->kind;
	vals[1] = p->date;
	vals[2] = p->title;
	vals[3] = i64s(b[3], p->participants);
	row_done(k, &v, row, vals, 4);
}

static void
row_firm(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__Firm			*p = in->firms[i];
	struct viols			 v = { 0 };

	(void)b;
	check_code(&v, p->credit_code);
	if (!valid_text(p->name, 1, 200))
		viols_add(&v, "name", "text", "1-200 bytes of UTF-8 text");
	if (!valid_industry_code(p->industry_code))
		viols_add(&v, "industry_code", "industry_code.gb4754", "'%.16s' "
		    "is not a GB/T 4754-2017 code", p->industry_code);
	check_not_future(&v, "registered_on", p->registered_on);
	vals[0] = p->credit_code;
	vals[1] = p->name;
	vals[2] = p->industry_code;
	vals[3] = p->registered_on;
	vals[4] = p->tech_based ? "t" : "f";
	vals[5] = p->srdi ? "t" : "f";
	row_done(k, &v, row, vals, 6);
}

static void
row_certification(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__Certification	*p = in->certifications[i];
	struct viols			 v = { 0 };

	(void)b;
	check_certification(&v, "", p);
	vals[0] = p->credit_code;
	vals[1] = p->kind;
	vals[2] = p->number;
	vals[3] = p->valid_from;
	vals[4] = p->valid_to;
	row_done(k, &v, row, vals, 5);
}

static void
row_tenancy(struct req *r, struct chunk *k, size_t i, int64_t row,
    const char **vals, char (*b)[40])
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__EnterFirmRequest	*p = in->tenancies[i];
	struct viols			 v = { 0 };

	check_park(&v, k->s, p->park_code);
	check_code(&v, p->credit_code);
	check_not_future(&v, "entry_date", p->entry_date);
	viols_range(&v, "area", p->area, 1, LIMIT_AREA);
	if (!valid_text(p->waiver_source, 0, 32))
		viols_add(&v, "waiver_source", "text", "at most 32 bytes");
	vals[0] = p->credit_code;
	vals[1] = p->entry_date;
	vals[2] = i64s(b[2], p->area);
	vals[3] = p->waiver_source;
	row_done(k, &v, row, vals, 4);
}

static void	chunk_apply(struct req *);
static void	tenancy_chunk(struct req *);
static void	reports_chunk(struct req *);

#define N(f) \
static size_t count_##f(const Parkd__V1__SyncChunkRequest *c) \
{ return (c->n_##f); }
N(firm_reports)
N(park_reports)
N(activities)
N(firms)
N(certifications)
N(tenancies)
#undef N

/* Each statement returns applied, updated, superseded, refused. */
#define SYNC_OUT(x, total, d)						\
	"SELECT (SELECT count(*) FROM " x " WHERE ins) AS applied, "	\
	"(SELECT count(*) FROM " x " WHERE NOT ins) AS updated, "	\
	"(SELECT count(*) FROM " total ") - (SELECT count(*) FROM " d	\
	") AS superseded, "
/* The push's park is its scope (schema/0005_scope.sql), whoever pushes. */
#define IN_PARK(fid) "scope_firm_write($1, " fid ")"
#define REFUSED_FIRMS(m)						\
	"coalesce((SELECT string_agg(row_no || E'\\t' || CASE WHEN "	\
	"firm_id IS NULL THEN 'unknown_firm' ELSE 'not_in_park' END, "	\
	"E'\\n' ORDER BY row_no) FROM " m " WHERE NOT ok), '')"

static const struct sync_kind kinds[] = {
	{ "firm_reports", 8, NULL, count_firm_reports, reports_chunk, NULL },
	{ "park_reports", 5, row_park_report, count_park_reports,
	    chunk_apply,
	    "WITH s AS (SELECT * FROM unnest($2::bigint[], $3::int[], "
	    "$4::int[], $5::int[], $6::int[], $7::int[]) AS s(row_no, year, "
	    "quarter, staff, services_delivered, interns_hosted)), "
	    "d AS (SELECT DISTINCT ON (year, quarter) * FROM s ORDER BY year, "
	    "quarter, row_no DESC), "
	    "x AS (INSERT INTO park_reports AS r (park_id, year, quarter, "
	    "staff, services_delivered, interns_hosted) SELECT $1, year, "
	    "quarter, staff, services_delivered, interns_hosted FROM d ON "
	    "CONFLICT (park_id, year, quarter) DO UPDATE SET staff = "
	    "EXCLUDED.staff, services_delivered = EXCLUDED.services_delivered, "
	    "interns_hosted = EXCLUDED.interns_hosted, version = r.version + 1, "
	    "updated_at = now() RETURNING (xmax = 0) AS ins) "
	    SYNC_OUT("x", "s", "d") "'' AS refused" },
	{ "activities", 4, row_activity, count_activities, chunk_apply,
	    "WITH s AS (SELECT * FROM unnest($2::bigint[], $3::text[], "
	    "$4::date[], $5::text[], $6::int[]) AS s(row_no, kind, date, title, "
	    "participants)), "
	    "d AS (SELECT DISTINCT ON (kind, date, title) * FROM s ORDER BY "
	    "kind, date, title, row_no DESC), "
	    "x AS (INSERT INTO activities AS a (park_id, kind, date, title, "
	    "participants) SELECT $1, kind, date, title, participants FROM d "
	    "ON CONFLICT (park_id, kind, date, title) DO UPDATE SET "
	    "participants = EXCLUDED.participants, version = a.version + 1 "
	    "RETURNING (xmax = 0) AS ins) "
	    SYNC_OUT("x", "s", "d") "'' AS refused" },
	{ "firms", 6, row_firm, count_firms, chunk_apply,
	    "WITH s AS (SELECT * FROM unnest($2::bigint[], $3::text[], "
	    "$4::text[], $5::text[], $6::date[], $7::boolean[], $8::boolean[]) "
	    "AS s(row_no, credit_code, name, industry_code, registered_on, "
	    "tech_based, srdi)), "
	    "d AS (SELECT DISTINCT ON (credit_code) * FROM s ORDER BY "
	    "credit_code, row_no DESC), "
	    /* a firm out of scope is never sent to ON CONFLICT (RLS) */
	    "e AS (SELECT d.* FROM d LEFT JOIN firms g ON g.credit_code = "
	    "d.credit_code WHERE g.id IS NULL OR scope_firm_identity_write($1, "
	    "g.id)), "
	    "x AS (INSERT INTO firms AS f (credit_code, name, industry_code, "
	    "registered_on, tech_based, srdi, registered_by) SELECT "
	    "credit_code, name, industry_code, registered_on, tech_based, "
	    "srdi, $1 FROM e ON CONFLICT "
	    "(credit_code) DO UPDATE SET name = EXCLUDED.name, industry_code = "
	    "EXCLUDED.industry_code, registered_on = EXCLUDED.registered_on, "
	    "tech_based = EXCLUDED.tech_based, srdi = EXCLUDED.srdi, version = "
	    "f.version + 1, updated_at = now() WHERE "
	    "scope_firm_identity_write($1, f.id) RETURNING f.credit_code, "
	    "(xmax = 0) AS ins) "
	    SYNC_OUT("x", "s", "d") "coalesce((SELECT string_agg(row_no || "
	    "E'\\tnot_yours', E'\\n' ORDER BY row_no) FROM d WHERE "
	    "credit_code NOT IN (SELECT credit_code FROM x)), '') AS refused" },
	{ "certifications", 5, row_certification, count_certifications,
	    chunk_apply,
	    "WITH s AS (SELECT * FROM unnest($2::bigint[], $3::text[], "
	    "$4::text[], $5::text[], $6::date[], $7::date[]) AS s(row_no, "
	    "credit_code, kind, number, valid_from, valid_to)), "
	    "m AS (SELECT s.*, f.id AS firm_id, f.id IS NOT NULL AND "
	    IN_PARK("f.id") " AS ok FROM s LEFT JOIN firms f ON f.credit_code "
	    "= s.credit_code), "
	    "d AS (SELECT DISTINCT ON (kind, number) * FROM m WHERE ok ORDER BY "
	    "kind, number, row_no DESC), "
	    /* another firm's certificate is never sent to ON CONFLICT (RLS) */
	    "e AS (SELECT * FROM d WHERE NOT EXISTS (SELECT 1 FROM "
	    "certifications o WHERE o.kind = d.kind AND o.number = d.number AND "
	    "o.firm_id <> d.firm_id)), "
	    "x AS (INSERT INTO certifications AS c (firm_id, kind, number, "
	    "valid_from, valid_to) SELECT firm_id, kind, number, valid_from, "
	    "valid_to FROM e ON CONFLICT (kind, number) DO UPDATE SET "
	    "valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, "
	    "version = c.version + 1 WHERE c.firm_id = EXCLUDED.firm_id "
	    "RETURNING c.kind, c.number, (xmax = 0) AS ins) "
	    SYNC_OUT("x", "m WHERE ok", "d") "concat_ws(E'\\n', nullif("
	    REFUSED_FIRMS("m") ", ''), (SELECT string_agg(row_no || "
	    "E'\\tother_firm', E'\\n' ORDER BY row_no) FROM d WHERE (kind, "
	    "number) NOT IN (SELECT kind, number FROM x))) AS refused" },
	{ "tenancies", 4, row_tenancy, count_tenancies, tenancy_chunk, NULL },
};
#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

static const struct sync_kind *
kind_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKINDS; i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return (&kinds[i]);
	}
	return (NULL);
}

/* Refusals found by the database: "row\treason" lines. */
static void
db_refusals(struct chunk *k, const char *text)
{
	const char	*p = text, *tab, *nl;
	struct viols	*v;
	char		 reason[32];
	int64_t		 row;

	while (*p != '\0') {
		row = strtoll(p, NULL, 10);
		tab = strchr(p, '\t');
		nl = strchr(p, '\n');
		if (tab == NULL)
			break;
		snprintf(reason, sizeof(reason), "%.*s", (int)((nl ? nl :
		    tab + strlen(tab)) - tab - 1), tab + 1);
		if ((v = rowerr_new(k, row)) != NULL) {
			if (strcmp(reason, "unknown_firm") == 0)
				viols_add(v, "credit_code", "sync.unknown_firm",
				    "no firm with this credit code; push it "
				    "first (kind firms)");
			else if (strcmp(reason, "not_in_park") == 0)
				viols_add(v, "credit_code", "sync.not_in_park",
				    "the firm is not an active tenant of %s",
				    k->s->park_code);
			else if (strcmp(reason, "other_park") == 0)
				viols_add(v, "quarter", "sync.quarter_scope",
				    "the firm was not a tenant of %s in this "
				    "quarter, or was one of another park",
				    k->s->park_code);
			else if (strcmp(reason, "not_yours") == 0)
				viols_add(v, "credit_code", "sync.not_in_park",
				    "the firm is not an active tenant of %s "
				    "(nor registered by it and never in a park)",
				    k->s->park_code);
			else
				viols_add(v, "number", "sync.other_firm",
				    "this certificate belongs to another firm");
		}
		p = nl ? nl + 1 : tab + strlen(tab);
	}
}

/* ---- session ---- */

static void	sync_kick(struct sync_session *);
static void	begin_push(struct req *);
static void	sync_detach(struct sync_session *);
static void	commit_park_locked(struct req *, PGresult *);
static void	commit_record(struct req *);
static void	commit_check_firms(struct req *);
static void	commit_firms_checked(struct req *, PGresult *);
static void	reports_insert(struct req *, int);
static void	sync_fail(struct req *, struct sync_session *, int,
		    const char *, ...) PRINTFLIKE(4, 5);
static int	sync_open_count(int64_t);

/* The push no longer belongs to a connection: it ends when it is idle. */
static void
sync_detach(struct sync_session *s)
{
	if (s->c != NULL)
		s->c->sync = NULL;
	s->c = NULL;
}

static void
sync_free(struct sync_session *s)
{
	struct waiting	*w;

	sync_detach(s);
	if (s->db != NULL)
		db_unpin(s->db, s->gen);
	s->db = NULL;
	if (s->fc != NULL)
		free(s->fc->v);
	free(s->fc);
	while ((w = TAILQ_FIRST(&s->waiting)) != NULL) {
		TAILQ_REMOVE(&s->waiting, w, entry);
		req_fail(w->r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "the push was closed; start again with BeginSync and the "
		    "same idempotency_key");
		free(w);
	}
	log_debug("sync closed key=%s rows=%lld", s->key, (long long)s->rows);
	TAILQ_REMOVE(&sessions, s, entry);
	free(s);
}

/* The peer is gone: nothing of the push will be committed. */
void
sync_conn_closed(struct conn *c)
{
	struct sync_session	*s = c->sync;

	sync_detach(s);
	if (!s->busy)
		sync_free(s);
}

/* Run fn for r when the session's connection is free. */
static void
sync_run(struct sync_session *s, struct req *r, method_handler fn)
{
	struct waiting	*w;

	if (s->busy) {
		if ((w = calloc(1, sizeof(*w))) == NULL) {
			req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "out of memory");
			return;
		}
		w->r = r;
		w->fn = fn;
		TAILQ_INSERT_TAIL(&s->waiting, w, entry);
		return;
	}
	if (db_attach(r, s->db, s->gen) != 0) {
		s->db = NULL;
		req_fail(r, PARKD__V1__CODE__UNAVAILABLE, "the database "
		    "connection of this push was lost; start again with "
		    "BeginSync and the same idempotency_key");
		sync_free(s);
		return;
	}
	s->busy = 1;
	fn(r);
}

static void
sync_kick(struct sync_session *s)
{
	struct waiting	*w;
	struct req	*r;
	method_handler	 fn;

	if (s->busy)
		return;
	if (s->c == NULL) {
		sync_free(s);
		return;
	}
	if ((w = TAILQ_FIRST(&s->waiting)) == NULL)
		return;
	TAILQ_REMOVE(&s->waiting, w, entry);
	r = w->r;
	fn = w->fn;
	free(w);
	sync_run(s, r, fn);
}

/* r is done with the session's connection; then reply (or fail). */
static void
sync_release(struct req *r, struct sync_session *s)
{
	if (r->db == NULL)		/* lost during the request */
		s->db = NULL;
	db_detach(r);
	s->busy = 0;
}

/* The push ends with code and message; its transaction is rolled back. */
static void
sync_fail(struct req *r, struct sync_session *s, int code, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sync_release(r, s);
	req_fail(r, code, "%s", msg);
	sync_detach(s);
	sync_kick(s);
}

static void
sync_reply(struct req *r, struct sync_session *s, const ProtobufCMessage *m)
{
	sync_release(r, s);
	req_reply(r, m);
	sync_kick(s);
}

/*
 * The push is over: a failed statement (res) aborted its transaction, or
 * parkd could not go on (why, e.g. out of memory). r is answered, the
 * session closed and its transaction rolled back.
 */
static void
sync_abort(struct req *r, struct sync_session *s, PGresult *res,
    const char *why)
{
	sync_release(r, s);
	if (why != NULL)
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "%s: %s; the "
		    "push was closed, start again with the same "
		    "idempotency_key", r->m->name, why);
	else
		req_fail_pg(r, res, r->m->name);
	sync_detach(s);
	sync_kick(s);
}

/* The same for a chunk, whose buffers live outside r's arena. */
static void
chunk_abort(struct req *r, PGresult *res, const char *why)
{
	struct chunk	 keep = *(struct chunk *)r->state;

	sync_abort(r, keep.s, res, why);
	chunk_free(&keep);
}

static struct sync_session *
session_of(struct req *r, int64_t id)
{
	struct sync_session	*s = r->c != NULL ? r->c->sync : NULL;

	if (s == NULL || s->id != id) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "no open push "
		    "%lld on this connection; start with BeginSync",
		    (long long)id);
		return (NULL);
	}
	return (s);
}

/* ---- BeginSync ---- */

struct begin {
	const struct sync_kind	*kind;
	int64_t			 park_id;
	int64_t			 rows, applied, updated, refused;
};

static Parkd__V1__SyncRowError **
pack_rowerrs(struct req *r, PGresult *res, size_t *n)
{
	Parkd__V1__SyncRowError	**out;
	Parkd__V1__Violation	 *v;
	int			  i, rows = res ? PQntuples(res) : 0;

	*n = 0;
	if (rows == 0 || (out = req_alloc(r, (size_t)rows * sizeof(*out))) ==
	    NULL)
		return (NULL);
	for (i = 0; i < rows; i++) {
		if ((out[i] = req_alloc(r, sizeof(**out))) == NULL ||
		    (v = req_alloc(r, sizeof(*v))) == NULL ||
		    (out[i]->violations = req_alloc(r, sizeof(v))) == NULL)
			break;
		parkd__v1__sync_row_error__init(out[i]);
		parkd__v1__violation__init(v);
		out[i]->row = pg_i64(res, i, "row_no");
		v->field = (char *)pg_get(res, i, "field");
		v->rule = (char *)pg_get(res, i, "rule");
		v->message = (char *)pg_get(res, i, "message");
		out[i]->violations = req_alloc(r, sizeof(v));
		if (out[i]->violations == NULL)
			break;
		out[i]->violations[0] = v;
		out[i]->n_violations = 1;
	}
	*n = (size_t)i;
	return (out);
}

#define REFUSALS_SQL							\
	"SELECT row_no, field, rule, message FROM sync_refusals WHERE "	\
	"idempotency_key = $1 AND principal_id = $2 ORDER BY row_no LIMIT 1000"

static void
begin_replay_done(struct req *r, PGresult *res)
{
	struct begin			*b = r->state;
	Parkd__V1__BeginSyncResponse	 out =
	    PARKD__V1__BEGIN_SYNC_RESPONSE__INIT;
	Parkd__V1__SyncOutcome		 o = PARKD__V1__SYNC_OUTCOME__INIT;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "BeginSync"))
		return;
	o.rows = b->rows;
	o.applied = b->applied;
	o.updated = b->updated;
	o.refused = b->refused;
	o.replayed = 1;
	o.refusals = pack_rowerrs(r, res, &o.n_refusals);
	out.done = 1;
	out.outcome = &o;
	req_reply(r, &out.base);
}

static void
begin_open_done(struct req *r, PGresult *res)
{
	Parkd__V1__BeginSyncRequest	*in = (void *)r->in;
	struct begin			*b = r->state;
	Parkd__V1__BeginSyncResponse	 out =
	    PARKD__V1__BEGIN_SYNC_RESPONSE__INIT;
	struct sync_session		*s;

	if (!pg_ok(r, res, PGRES_COMMAND_OK, "BeginSync"))
		return;
	if (r->c == NULL || r->c->sync != NULL) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "a push is "
		    "already open on this connection");
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if ((s->db = db_pin(r, &s->gen)) == NULL) {
		free(s);
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "too many "
		    "pushes in progress on this parkd; retry shortly");
		return;
	}
	TAILQ_INIT(&s->waiting);
	s->principal_id = r->pr.id;
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	s->c = r->c;
	s->id = ++next_sync_id;
	s->kind = b->kind;
	s->park_id = b->park_id;
	snprintf(s->park_code, sizeof(s->park_code), "%s", in->park_code);
	snprintf(s->key, sizeof(s->key), "%s", r->idem_key);
	i64s(s->principal, r->pr.id);
	r->c->sync = s;
	log_info("sync open cid=%llu park=%s kind=%s key=%s",
	    (unsigned long long)r->cid, s->park_code, s->kind->name, s->key);
	out.sync_id = s->id;
	req_reply(r, &out.base);
}

static void
begin_checked(struct req *r, PGresult *res)
{
	Parkd__V1__BeginSyncRequest	*in = (void *)r->in;
	struct begin			*b = r->state;
	const char			*p[2];
	char				 pid[40];

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "BeginSync"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no park '%s'",
		    in->park_code);
		return;
	}
	b->park_id = pg_i64(res, 0, "park_id");
	if (!auth_park_allowed(r, b->park_id)) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "an operator "
		    "may only push data for its own park");
		return;
	}
	if (!PQgetisnull(res, 0, PQfnumber(res, "kind"))) {
		if (pg_i64(res, 0, "b_park") != b->park_id ||
		    strcmp(pg_get(res, 0, "kind"), b->kind->name) != 0) {
			req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
			    "idempotency_key '%s' was used for another push "
			    "(%s)", r->idem_key, pg_get(res, 0, "kind"));
			return;
		}
		b->rows = pg_i64(res, 0, "rows");
		b->applied = pg_i64(res, 0, "applied");
		b->updated = pg_i64(res, 0, "updated");
		b->refused = pg_i64(res, 0, "refused");
		p[0] = r->idem_key;
		p[1] = i64s(pid, r->pr.id);
		db_query(r, REFUSALS_SQL, 2, p, begin_replay_done);
		return;
	}
	if (sync_open_count(r->pr.id) >= server->cfg->push_per_principal) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "%s already "
		    "has %d push(es) open on this parkd (push_per_principal); "
		    "commit one first", r->pr.name,
		    server->cfg->push_per_principal);
		return;
	}
	db_acquire_push(r, begin_push);
}

/* A push connection of its own: the push's transaction begins. */
static void
begin_push(struct req *r)
{
	db_query(r, "BEGIN", 0, NULL, begin_open_done);
}

/* Pushes open now by one principal. */
static int
sync_open_count(int64_t principal_id)
{
	struct sync_session	*s;
	int			 n = 0;

	TAILQ_FOREACH(s, &sessions, entry)
		n += s->principal_id == principal_id;
	return (n);
}

void
svc_sync_begin(struct req *r)
{
	Parkd__V1__BeginSyncRequest	*in = (void *)r->in;
	struct begin			*b;
	const char			*p[3];
	char				 pid[40];

	if ((b = r->state = req_alloc(r, sizeof(*b))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if ((b->kind = kind_find(in->kind)) == NULL)
		viols_add(&r->v, "kind", "sync.kind", "must be firms, "
		    "tenancies, certifications, firm_reports, park_reports or "
		    "activities");
	if (*r->idem_key == '\0')
		viols_add(&r->v, "idempotency_key", "sync.key", "a push needs "
		    "an idempotency_key, reused when it is retried");
	if (r->c != NULL && r->c->sync != NULL)
		viols_add(&r->v, "", "sync.open", "a push is already open on "
		    "this connection; commit it first");
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "BeginSync is not "
		    "valid");
		return;
	}
	p[0] = in->park_code;
	p[1] = r->idem_key;
	p[2] = i64s(pid, r->pr.id);
	db_query(r, "SELECT p.id AS park_id, b.kind, b.park_id AS b_park, "
	    "b.rows, b.applied, b.updated, b.refused FROM parks p LEFT JOIN "
	    "sync_batches b ON b.idempotency_key = $2 AND b.principal_id = $3 "
	    "WHERE p.code = $1", 3, p,
	    begin_checked);
}

/* ---- SyncChunk ---- */

static void
chunk_reply(struct req *r)
{
	struct chunk			*k = r->state;
	struct sync_session		*s = k->s;
	Parkd__V1__SyncChunkResponse	 out =
	    PARKD__V1__SYNC_CHUNK_RESPONSE__INIT;
	Parkd__V1__SyncRowError		*e;
	size_t				 i, j;

	struct chunk			 keep = *k;

	out.accepted = k->nrows - (int64_t)k->errs.n;
	out.refused = req_alloc(r, (k->errs.n ? k->errs.n : 1) *
	    sizeof(void *));
	e = req_alloc(r, (k->errs.n ? k->errs.n : 1) * sizeof(*e));
	for (i = 0; out.refused != NULL && e != NULL && i < k->errs.n; i++) {
		struct viols *vs = &k->errs.e[i].v;

		parkd__v1__sync_row_error__init(&e[i]);
		e[i].row = k->errs.e[i].row;
		e[i].violations = req_alloc(r, (vs->n ? vs->n : 1) *
		    sizeof(void *));
		for (j = 0; e[i].violations != NULL && j < vs->n; j++) {
			Parkd__V1__Violation *v = req_alloc(r, sizeof(*v));

			if (v == NULL)
				break;
			parkd__v1__violation__init(v);
			v->field = vs->v[j].field;
			v->rule = vs->v[j].rule;
			v->message = vs->v[j].message;
			e[i].violations[e[i].n_violations++] = v;
		}
		out.refused[out.n_refused++] = &e[i];
	}
	s->rows += k->nrows;
	s->refused += (int64_t)k->errs.n;
	sync_reply(r, s, &out.base);	/* frees r and k */
	chunk_free(&keep);		/* what k pointed to outside the arena */
}

static void
chunk_refusals_done(struct req *r, PGresult *res)
{
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	chunk_reply(r);
}

/* Record this chunk's refused rows with the push (same transaction). */
static void
chunk_record_refusals(struct req *r)
{
	struct chunk	*k = r->state;
	struct pgarray	 c[5];
	const char	*p[6];
	char		 rb[24];
	size_t		 i, j;
	int		 n;

	if (k->errs.n == 0) {
		chunk_reply(r);
		return;
	}
	memset(c, 0, sizeof(c));
	for (i = 0; i < k->errs.n; i++) {
		for (j = 0; j < k->errs.e[i].v.n; j++) {
			snprintf(rb, sizeof(rb), "%lld",
			    (long long)k->errs.e[i].row);
			pgarray_add(&c[0], rb);
			pgarray_add(&c[1], k->errs.e[i].v.v[j].field);
			pgarray_add(&c[2], k->errs.e[i].v.v[j].rule);
			pgarray_add(&c[3], k->errs.e[i].v.v[j].message);
		}
	}
	p[0] = k->s->key;
	for (n = 0; n < 4; n++)
		p[n + 1] = pgarray_finish(&c[n]);
	if (p[1] == NULL || p[2] == NULL || p[3] == NULL || p[4] == NULL) {
		for (n = 0; n < 4; n++)
			pgarray_free(&c[n]);
		chunk_reply(r);		/* still answered; not recorded */
		return;
	}
	p[5] = k->s->principal;
	db_query(r, "INSERT INTO sync_refusals (idempotency_key, row_no, "
	    "field, rule, message, principal_id) SELECT $1, *, $6 FROM unnest("
	    "$2::bigint[], $3::text[], $4::text[], $5::text[])", 6, p,
	    chunk_refusals_done);
	for (n = 0; n < 4; n++)
		pgarray_free(&c[n]);
}

static void
chunk_applied(struct req *r, PGresult *res)
{
	struct chunk	*k = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	k->s->applied += pg_i64(res, 0, "applied");
	k->s->updated += pg_i64(res, 0, "updated") +
	    pg_i64(res, 0, "superseded");
	db_refusals(k, pg_get(res, 0, "refused"));
	chunk_record_refusals(r);
}

/* Apply the chunk's valid rows with the kind's statement. */
static void
chunk_apply(struct req *r)
{
	struct chunk	*k = r->state;
	const char	*p[SYNC_MAX_COLS + 2];
	char		 pid[24];
	int		 i;

	if (k->nvalid == 0) {
		chunk_record_refusals(r);
		return;
	}
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	for (i = 0; i <= k->s->kind->ncols; i++) {
		if ((p[i + 1] = pgarray_finish(&k->cols[i])) == NULL) {
			chunk_abort(r, NULL, "out of memory");
			return;
		}
	}
	db_query(r, k->s->kind->sql, k->s->kind->ncols + 2, p, chunk_applied);
}


/* Rows the client could not read are refused as they were reported. */
static void
add_unreadable(struct req *r, struct chunk *k)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	size_t				 i, j;

	for (i = 0; i < in->n_unreadable && i < 100000; i++) {
		Parkd__V1__SyncRowError	*u = in->unreadable[i];
		struct viols		*v = rowerr_new(k, u->row);

		for (j = 0; v != NULL && j < u->n_violations && j < 16; j++)
			viols_add(v, u->violations[j]->field,
			    u->violations[j]->rule, "%.500s",
			    u->violations[j]->message);
		if (v != NULL && v->n == 0)
			viols_add(v, "", "sync.unreadable", "unreadable row");
	}
}

/* Check every row of the chunk, then apply it (holding the session). */
static void
chunk_start(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct chunk			*k = r->state;
	const struct sync_kind		*kind = k->s->kind;
	const char			*vals[SYNC_MAX_COLS];
	char				 b[SYNC_MAX_COLS][40];
	size_t				 i, n = kind->count(in);

	add_unreadable(r, k);
	k->nrows = (int64_t)(n + in->n_unreadable);
	for (i = 0; kind->row != NULL && i < n; i++)
		kind->row(r, k, i, in->n_rows ? in->rows[i] :
		    in->first_row + (int64_t)i, vals, b);
	kind->apply(r);
}

void
svc_sync_chunk(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct sync_session		*s;
	struct chunk			*k;
	size_t				 i, other = 0;

	if ((s = session_of(r, in->sync_id)) == NULL)
		return;
	for (i = 0; i < NKINDS; i++) {
		if (&kinds[i] != s->kind)
			other += kinds[i].count(in);
	}
	if (other > 0 || (in->n_rows == 0 && in->first_row < 1) ||
	    (in->n_rows > 0 && in->n_rows != s->kind->count(in))) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "this push "
		    "carries %s only, numbered by first_row >= 1 or by one "
		    "entry of rows per record", s->kind->name);
		return;
	}
	/* (a struct rstate begins with the struct chunk) */
	if ((k = r->state = req_alloc(r, sizeof(struct rstate))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	k->s = s;
	sync_run(s, r, chunk_start);
}

/* ---- tenancies: every entry rule, row by row, under the park lock ---- */

struct tpending {
	struct pgarray	 ins[4];	/* firm_id, entry_date, area, waiver */
	struct pgarray	 upd[3];	/* tenancy id, area, waiver */
};

/* A chunk's row numbers sorted, with each one's record: one lookup each. */
struct rowix {
	int64_t	 row;
	size_t	 idx;
};

static int
rowix_cmp(const void *a, const void *b)
{
	const struct rowix	*x = a, *y = b;

	return (x->row < y->row ? -1 : x->row > y->row);
}

/* Index of the chunk's explicit row numbers (NULL: numbered by first_row). */
static struct rowix *
tenancy_rowix(struct req *r, const Parkd__V1__SyncChunkRequest *in, int *oom)
{
	struct rowix	*ix;
	size_t		 i;

	*oom = 0;
	if (in->n_rows == 0)
		return (NULL);
	if ((ix = req_alloc(r, in->n_rows * sizeof(*ix))) == NULL) {
		*oom = 1;
		return (NULL);
	}
	for (i = 0; i < in->n_rows; i++) {
		ix[i].row = in->rows[i];
		ix[i].idx = i;
	}
	qsort(ix, in->n_rows, sizeof(*ix), rowix_cmp);	/* n log n, any order */
	return (ix);
}

/* The record of row number row. */
static size_t
tenancy_index(const Parkd__V1__SyncChunkRequest *in, const struct rowix *ix,
    int64_t row)
{
	size_t	 lo = 0, hi = in->n_rows, mid;

	if (ix == NULL)
		return ((size_t)(row - in->first_row));
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ix[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < in->n_rows && ix[lo].row == row ? ix[lo].idx : 0);
}

/* Firm ids seen in a chunk: open addressing, capacity a power of two. */
struct idset {
	int64_t	*v;		/* 0: empty (firm ids are positive) */
	size_t	 cap;
};

/* Add id; 1 if it was there already. */
static int
idset_add(struct idset *set, int64_t id)
{
	size_t	 h = ((uint64_t)id * 0x9E3779B97F4A7C15ULL) & (set->cap - 1);

	while (set->v[h] != 0 && set->v[h] != id)
		h = (h + 1) & (set->cap - 1);
	if (set->v[h] == id)
		return (1);
	set->v[h] = id;
	return (0);
}

static int
tenancy_row(struct req *r, struct chunk *k, PGresult *res, int i,
    int64_t *occupied, struct tpending *tp, struct idset *seen,
    const struct rowix *ix)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	Parkd__V1__EnterFirmRequest	*t;
	const struct policy		*pol;
	struct park_facts		 pk;
	struct entry_facts		 e;
	struct viols			 v = { 0 }, *dst;
	int64_t				 row = pg_i64(res, i, "row_no");
	int64_t				 firm_id, same_area = 0, delta;
	size_t				 n;
	char				 b[3][40];
	int				 same;

	t = in->tenancies[tenancy_index(in, ix, row)];
	if (PQgetisnull(res, i, PQfnumber(res, "firm_id"))) {
		viols_add(&v, "credit_code", "sync.unknown_firm", "no firm with "
		    "this credit code; push it first (kind firms)");
		goto refuse;
	}
	firm_id = pg_i64(res, i, "firm_id");
	if (idset_add(seen, firm_id)) {
		viols_add(&v, "credit_code", "sync.duplicate", "the firm "
		    "appears earlier in this chunk");
		goto refuse;
	}
	if (PQgetisnull(res, i, PQfnumber(res, "policy_hash"))) {
		viols_add(&v, "entry_date", "policy.missing", "no policy is "
		    "active for %.4s", t->entry_date);
		goto refuse;
	}
	pol = policy_cached(pg_get(res, i, "policy_hash"),
	    PQgetisnull(res, i, PQfnumber(res, "policy_body")) ? NULL :
	    pg_get(res, i, "policy_body"));
	if (pol == NULL) {
		viols_add(&v, "entry_date", "policy.unreadable", "the policy "
		    "for this year cannot be read");
		goto refuse;
	}
	same = !PQgetisnull(res, i, PQfnumber(res, "same_id"));
	if (same)
		same_area = pg_i64(res, i, "same_area");
	delta = t->area - same_area;
	memset(&pk, 0, sizeof(pk));
	pk.code = pg_get(res, i, "code");
	pk.status = pg_get(res, i, "status");
	pk.total_area = pg_i64(res, i, "total_area");
	pk.occupied_area = *occupied - same_area;
	pk.industries = pg_split(r, pg_get(res, i, "industries"), &n);
	pk.n_industries = (int)n;
	memset(&e, 0, sizeof(e));
	e.credit_code = t->credit_code;
	e.industry = pg_get(res, i, "industry_code");
	ymd_parse(pg_get(res, i, "registered_on"), &e.registered);
	ymd_parse(t->entry_date, &e.entry);
	e.area = t->area;
	e.waiver_source = t->waiver_source;
	if (!PQgetisnull(res, i, PQfnumber(res, "active_park")))
		e.active_park = pg_get(res, i, "active_park");
	if (same)		/* already a tenant here: the area may change */
		e.registered = e.entry;
	rules_firm_entry(pol, &pk, &e, &v);
	if (v.n > 0)
		goto refuse;
	*occupied += delta;
	if (same) {
		pgarray_add(&tp->upd[0], pg_get(res, i, "same_id"));
		pgarray_add(&tp->upd[1], i64s(b[0], t->area));
		pgarray_add(&tp->upd[2], t->waiver_source);
	} else {
		pgarray_add(&tp->ins[0], i64s(b[1], firm_id));
		pgarray_add(&tp->ins[1], t->entry_date);
		pgarray_add(&tp->ins[2], i64s(b[2], t->area));
		pgarray_add(&tp->ins[3], t->waiver_source);
	}
	return (1);
refuse:
	if ((dst = rowerr_new(k, row)) != NULL)
		*dst = v;
	else
		viols_free(&v);
	return (0);
}

static void
tenancy_state_done(struct req *r, PGresult *res)
{
	struct chunk	*k = r->state;
	struct tpending	 tp;
	struct rowix	*ix;
	const char	*p[8];
	char		 pid[24];
	struct idset	 seen;
	int64_t		 occupied;
	int		 i, j, ok = 1, oom;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	memset(&tp, 0, sizeof(tp));
	occupied = PQntuples(res) ? pg_i64(res, 0, "occupied") : 0;
	for (seen.cap = 16; seen.cap < (size_t)PQntuples(res) * 2;)
		seen.cap *= 2;
	seen.v = req_alloc(r, seen.cap * sizeof(*seen.v));
	ix = tenancy_rowix(r, (void *)r->in, &oom);
	for (i = j = 0; seen.v != NULL && !oom && i < PQntuples(res); i++)
		j += tenancy_row(r, k, res, i, &occupied, &tp, &seen, ix) ?
		    1 : 0;
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	for (i = 0; i < 4; i++)
		ok &= (p[i + 1] = pgarray_finish(&tp.ins[i])) != NULL;
	for (i = 0; i < 3; i++)
		ok &= (p[i + 5] = pgarray_finish(&tp.upd[i])) != NULL;
	if (seen.v == NULL || oom || !ok) /* never drop checked rows silently */
		chunk_abort(r, NULL, "out of memory");
	else if (j > 0)
		db_query(r, "WITH ins AS (INSERT INTO tenancies (firm_id, "
		    "park_id, entry_date, area, waiver_source) SELECT firm_id, "
		    "$1, entry_date, area, waiver FROM unnest($2::bigint[], "
		    "$3::date[], $4::bigint[], $5::text[]) AS u(firm_id, "
		    "entry_date, area, waiver) RETURNING 1), upd AS (UPDATE "
		    "tenancies t SET area = u.area, waiver_source = u.waiver, "
		    "version = t.version + 1, updated_at = now() FROM unnest("
		    "$6::bigint[], $7::bigint[], $8::text[]) AS u(id, area, "
		    "waiver) WHERE t.id = u.id RETURNING 1) SELECT (SELECT "
		    "count(*) FROM ins) AS applied, (SELECT count(*) FROM upd) "
		    "AS updated, 0 AS superseded, '' AS refused", 8, p,
		    chunk_applied);
	else
		chunk_record_refusals(r);
	for (i = 0; i < 4; i++)
		pgarray_free(&tp.ins[i]);
	for (i = 0; i < 3; i++)
		pgarray_free(&tp.upd[i]);
}

static void
tenancy_state(struct req *r, PGresult *res)
{
	struct chunk	*k = r->state;
	const char	*p[4];
	char		 pid[24];
	int		 i;

	if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	k->s->tenancies = 1;
	if (k->nvalid == 0) {
		chunk_record_refusals(r);
		return;
	}
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	/* cols: [0] row_no, [1] credit_code, [2] entry_date */
	for (i = 0; i < 3; i++) {
		if ((p[i + 1] = pgarray_finish(&k->cols[i])) == NULL) {
			chunk_abort(r, NULL, "out of memory");
			return;
		}
	}
	db_query(r, "SELECT s.row_no, f.id AS firm_id, f.industry_code, "
	    "f.registered_on::text AS registered_on, (SELECT p2.code FROM "
	    "tenancies t2 JOIN parks p2 ON p2.id = t2.park_id WHERE "
	    "t2.firm_id = f.id AND t2.status = 'active' AND t2.park_id <> $1) "
	    "AS active_park, (SELECT t3.id FROM tenancies t3 WHERE t3.firm_id "
	    "= f.id AND t3.status = 'active' AND t3.park_id = $1) AS same_id, "
	    "(SELECT t3.area FROM tenancies t3 WHERE t3.firm_id = f.id AND "
	    "t3.status = 'active' AND t3.park_id = $1) AS same_area, pol.hash "
	    "AS policy_hash, CASE WHEN row_number() OVER (PARTITION BY "
	    "pol.hash ORDER BY s.row_no) = 1 THEN pol.body END AS policy_body, "
	    "p.code, p.status, p.total_area, array_to_string("
	    "p.leading_industries, ',') AS industries, (SELECT coalesce(sum("
	    "area), 0) FROM tenancies WHERE park_id = $1 AND status = "
	    "'active') AS occupied FROM unnest($2::bigint[], $3::text[], "
	    "$4::date[]) AS s(row_no, credit_code, entry_date) LEFT JOIN "
	    "firms f ON f.credit_code = s.credit_code LEFT JOIN LATERAL ("
	    "SELECT pp.hash, pp.body FROM policy_years py JOIN policies pp ON "
	    "pp.id = py.policy_id WHERE py.year = extract(year FROM "
	    "s.entry_date)::int) pol ON true CROSS JOIN parks p WHERE p.id = "
	    "$1 ORDER BY s.row_no", 4, p, tenancy_state_done);
}

/*
 * Read the chunk's state and check it. The park is not locked across the
 * client's round trips: CommitSync locks it and checks the area again.
 */
static void
tenancy_chunk(struct req *r)
{
	tenancy_state(r, NULL);
}

/* ---- CommitSync ---- */

struct commit {
	struct sync_session	*s;
	Parkd__V1__SyncOutcome	*o;
};

static void
commit_done(struct req *r, PGresult *res)
{
	struct commit		*cm = r->state;
	struct sync_session	*s = cm->s;

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		sync_abort(r, s, res, NULL);
		return;
	}
	log_info("sync committed cid=%llu park=%s kind=%s key=%s rows=%lld "
	    "applied=%lld updated=%lld refused=%lld",
	    (unsigned long long)r->cid, s->park_code, s->kind->name, s->key,
	    (long long)s->rows, (long long)s->applied, (long long)s->updated,
	    (long long)s->refused);
	sync_release(r, s);
	sync_detach(s);
	req_reply(r, &cm->o->base);
	sync_kick(s);		/* frees the session, returning the connection */
}

static void
commit_refusals(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	if ((cm->o = req_alloc(r, sizeof(*cm->o))) == NULL) {
		sync_abort(r, cm->s, NULL, "out of memory");
		return;
	}
	parkd__v1__sync_outcome__init(cm->o);
	cm->o->rows = cm->s->rows;
	cm->o->applied = cm->s->applied;
	cm->o->updated = cm->s->updated;
	cm->o->refused = cm->s->refused;
	/* the refusals must outlive res: copy the strings */
	cm->o->refusals = pack_rowerrs(r, res, &cm->o->n_refusals);
	for (size_t i = 0; i < cm->o->n_refusals; i++) {
		Parkd__V1__Violation *v = cm->o->refusals[i]->violations[0];

		v->field = req_strdup(r, v->field);
		v->rule = req_strdup(r, v->rule);
		v->message = req_strdup(r, v->message);
	}
	db_query(r, "COMMIT", 0, NULL, commit_done);
}

static void
commit_recorded(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;
	const char	*p[2] = { cm->s->key, cm->s->principal };

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	db_query(r, REFUSALS_SQL, 2, p, commit_refusals);
}

/*
 * A tenancies push, at commit: the park locked now (for this statement's
 * transaction only), its entries since the push began may not have
 * overfilled it, nor may it have left admission.
 */
static void
commit_lock_park(struct req *r)
{
	struct commit	*cm = r->state;
	char		 pid[24];
	const char	*p[1] = { pid };

	snprintf(pid, sizeof(pid), "%lld", (long long)cm->s->park_id);
	db_query(r, "SELECT p.status, p.total_area, (SELECT coalesce(sum("
	    "t.area), 0) FROM tenancies t WHERE t.park_id = p.id AND t.status "
	    "= 'active') AS occupied FROM parks p WHERE p.id = $1 FOR NO KEY "
	    "UPDATE",
	    1, p, commit_park_locked);
}

static void
commit_park_locked(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		sync_fail(r, cm->s, PARKD__V1__CODE__NOT_FOUND, "park %s is "
		    "gone", cm->s->park_code);
		return;
	}
	if (pg_i64(res, 0, "occupied") > pg_i64(res, 0, "total_area") ||
	    strcmp(pg_get(res, 0, "status"), "exited") == 0 ||
	    strcmp(pg_get(res, 0, "status"), "applied") == 0) {
		sync_fail(r, cm->s, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "park %s changed during the push (status %s, %lld of %lld "
		    "m2 x 100 occupied); nothing was applied: push again with "
		    "the same idempotency_key", cm->s->park_code,
		    pg_get(res, 0, "status"), (long long)pg_i64(res, 0,
		    "occupied"), (long long)pg_i64(res, 0, "total_area"));
		return;
	}
	commit_record(r);
}

static void
commit_start(struct req *r)
{
	struct commit	*cm = r->state;

	if (cm->s->tenancies)
		commit_lock_park(r);
	else if (cm->s->fc != NULL && cm->s->fc->n > 0)
		commit_check_firms(r);
	else
		commit_record(r);
}

/*
 * A firm_reports push wrote the reports of firms that had never been a
 * tenant elsewhere without checking each quarter: if one has become a
 * tenant of another park since the push looked it up, the push fails.
 */
static void
commit_check_firms(struct req *r)
{
	struct commit		*cm = r->state;
	struct firmcache	*fc = cm->s->fc;
	struct pgarray		 ids;
	const char		*p[2];
	char			 b[40];
	size_t			 i;

	memset(&ids, 0, sizeof(ids));
	for (i = 0; i < fc->cap; i++) {
		if (fc->v[i].code[0] != '\0' && fc->v[i].id > 0 &&
		    !fc->v[i].chk)
			pgarray_add_i64(&ids, fc->v[i].id);
	}
	if ((p[0] = pgarray_finish(&ids)) == NULL) {
		pgarray_free(&ids);
		sync_abort(r, cm->s, NULL, "out of memory");
		return;
	}
	p[1] = i64s(b, cm->s->park_id);
	db_query(r, "SELECT f.credit_code FROM tenancies t JOIN firms f ON "
	    "f.id = t.firm_id WHERE t.firm_id = ANY($1::bigint[]) AND "
	    "t.park_id <> $2 LIMIT 1", 2, p, commit_firms_checked);
	pgarray_free(&ids);
}

static void
commit_firms_checked(struct req *r, PGresult *res)
{
	struct commit	*cm = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_abort(r, cm->s, res, NULL);
		return;
	}
	if (PQntuples(res) > 0) {
		sync_fail(r, cm->s, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "firm %s became a tenant of another park during the push; "
		    "nothing was applied: push again (the same key) and its "
		    "quarters will be checked", PQgetvalue(res, 0, 0));
		return;
	}
	commit_record(r);
}

static void
commit_record(struct req *r)
{
	struct commit		*cm = r->state;
	struct sync_session	*s = cm->s;
	struct qparams		 q;

	qp_init(&q);
	qp_audit(&q, r);
	qp_str(&q, s->key);
	qp_i64(&q, s->park_id);
	qp_str(&q, s->kind->name);
	qp_i64(&q, s->rows);
	qp_i64(&q, s->applied);
	qp_i64(&q, s->updated);
	qp_i64(&q, s->refused);
	q.v[3] = s->key;	/* the push's key, for the audit row */
	db_query(r, "WITH b AS (INSERT INTO sync_batches (idempotency_key, "
	    "principal_id, park_id, kind, rows, applied, updated, refused) "
	    "VALUES ($5, $1::bigint, $6, $7, $8, $9, $10, $11) "
	    "RETURNING *), aud AS (" AUDIT_SQL("'park:' || (SELECT code FROM "
	    "parks WHERE id = b.park_id)", "jsonb_build_object('sync', "
	    "to_jsonb(b))", "b") ") SELECT 1 FROM b", q.n, q.v,
	    commit_recorded);
}

void
svc_sync_commit(struct req *r)
{
	Parkd__V1__CommitSyncRequest	*in = (void *)r->in;
	struct sync_session		*s;
	struct commit			*cm;

	if ((s = session_of(r, in->sync_id)) == NULL)
		return;
	if ((cm = r->state = req_alloc(r, sizeof(*cm))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	cm->s = s;
	sync_run(s, r, commit_start);
}

/* ---- firm_reports: the fast path of the big quarterly pushes ---- */

#define REPORTS_UPSERT							\
	"ON CONFLICT (firm_id, year, quarter) DO UPDATE SET revenue = "	\
	"EXCLUDED.revenue, jobs = EXCLUDED.jobs, graduate_jobs = "	\
	"EXCLUDED.graduate_jobs, rnd_spend = EXCLUDED.rnd_spend, "	\
	"ip_granted = EXCLUDED.ip_granted, version = r.version + 1, "	\
	"updated_at = now() RETURNING (xmax = 0) AS ins"

static uint64_t
fc_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

static struct fcent *
fc_slot(struct firmcache *fc, const char *code)
{
	size_t	 i = fc_hash(code) & (fc->cap - 1);

	while (fc->v[i].code[0] != '\0' && strcmp(fc->v[i].code, code) != 0)
		i = (i + 1) & (fc->cap - 1);
	return (&fc->v[i]);
}

/* The entry for code, NULL if not cached; add creates it (id 0). */
static struct fcent *
fc_get(struct sync_session *s, const char *code, int add)
{
	struct firmcache	*fc = s->fc;
	struct fcent		*e, *old;
	size_t			 i, ocap;

	if (fc == NULL) {
		if (!add || (fc = s->fc = calloc(1, sizeof(*fc))) == NULL)
			return (NULL);
		fc->cap = 1024;
		if ((fc->v = calloc(fc->cap, sizeof(*fc->v))) == NULL)
			return (NULL);
	}
	e = fc_slot(fc, code);
	if (e->code[0] != '\0' || !add)
		return (e->code[0] != '\0' ? e : NULL);
	if ((fc->n + 1) * 2 > fc->cap) {
		if (fc->cap >= (1u << 22))
			return (NULL);		/* a bound on one push */
		old = fc->v;
		ocap = fc->cap;
		if ((fc->v = calloc(ocap * 2, sizeof(*fc->v))) == NULL) {
			fc->v = old;
			return (NULL);
		}
		fc->cap = ocap * 2;
		for (i = 0; i < ocap; i++) {
			if (old[i].code[0] != '\0')
				*fc_slot(fc, old[i].code) = old[i];
		}
		free(old);
		e = fc_slot(fc, code);
	}
	snprintf(e->code, sizeof(e->code), "%s", code);
	e->id = 0;
	fc->n++;
	return (e);
}

static int64_t
rec_row(const Parkd__V1__SyncChunkRequest *in, size_t i)
{
	return (in->n_rows ? in->rows[i] : in->first_row + (int64_t)i);
}

/* Key of a report for the in-chunk duplicate check. */
static uint64_t
rep_key(int64_t firm, int year, int quarter)
{
	return (((uint64_t)firm << 16) ^ ((uint64_t)year << 2) ^
	    (uint64_t)(quarter - 1));
}

/* Every firm is resolved: refuse strangers, drop superseded, apply. */
static void
reports_apply(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct rstate			*rs = r->state;
	struct chunk			*k = &rs->k;
	struct fcent			*e;
	struct viols			*v;
	uint64_t			*seen, key;
	size_t				 i, n = in->n_firm_reports, cap, h;
	int64_t				 superseded = 0;
	int				 anychk = 0;
	char				 b[9][40];

	cap = 16;
	while (cap < n * 2)
		cap *= 2;
	if ((seen = req_alloc(r, cap * sizeof(*seen))) == NULL) {
		chunk_abort(r, NULL, "out of memory");
		return;
	}
	/* walk backwards: of two rows for one quarter the later wins */
	for (i = n; i-- > 0;) {
		Parkd__V1__FirmReport *f = in->firm_reports[i];

		if (!rs->ok[i])
			continue;
		e = fc_get(k->s, f->credit_code, 0);
		if (e == NULL || e->id <= 0) {
			rs->ok[i] = 0;
			if ((v = rowerr_new(k, rec_row(in, i))) == NULL)
				continue;
			if (e != NULL && e->id < 0)
				viols_add(v, "credit_code", "sync.not_in_park",
				    "the firm has never been a tenant of %s",
				    k->s->park_code);
			else
				viols_add(v, "credit_code", "sync.unknown_firm",
				    "no firm with this credit code; push it "
				    "first (kind firms)");
			continue;
		}
		key = rep_key(e->id, f->year, f->quarter) + 1;	/* never 0 */
		for (h = (key * 0x9E3779B97F4A7C15ULL) & (cap - 1);
		    seen[h] != 0 && seen[h] != key; h = (h + 1) & (cap - 1))
			;
		if (seen[h] == key) {
			rs->ok[i] = 0;
			superseded++;
			continue;
		}
		seen[h] = key;
	}
	for (i = 0; i < n; i++) {
		Parkd__V1__FirmReport *f = in->firm_reports[i];

		if (!rs->ok[i])
			continue;
		e = fc_get(k->s, f->credit_code, 0);
		pgarray_add(&k->cols[0], i64s(b[0], e->id));
		pgarray_add(&k->cols[1], i64s(b[1], f->year));
		pgarray_add(&k->cols[2], i64s(b[2], f->quarter));
		pgarray_add(&k->cols[3], i64s(b[3], f->revenue));
		pgarray_add(&k->cols[4], i64s(b[4], f->jobs));
		pgarray_add(&k->cols[5], i64s(b[5], f->graduate_jobs));
		pgarray_add(&k->cols[6], i64s(b[6], f->rnd_spend));
		pgarray_add(&k->cols[7], i64s(b[7], f->ip_granted));
		pgarray_add(&k->cols[8], i64s(b[0], rec_row(in, i)));
		pgarray_add(&k->cols[9], e->chk ? "t" : "f");
		anychk |= e->chk;
		k->nvalid++;
	}
	k->s->updated += superseded;
	if (k->nvalid == 0) {
		chunk_record_refusals(r);
		return;
	}
	reports_insert(r, anychk);
}

/* Insert the chunk's reports (checking quarters if anychk). */
static void
reports_insert(struct req *r, int anychk)
{
	struct chunk	*k = &((struct rstate *)r->state)->k;
	const char	*p[11];
	char		 pid[40];
	int		 i;

	for (i = 0; i < 10; i++) {
		if ((p[i] = pgarray_finish(&k->cols[i])) == NULL) {
			chunk_abort(r, NULL, "out of memory");
			return;
		}
	}
	p[10] = i64s(pid, k->s->park_id);
	if (!anychk) {		/* every firm: an active tenant only ever here */
		db_query(r, "WITH x AS (INSERT INTO firm_reports AS r (firm_id, "
		    "year, quarter, revenue, jobs, graduate_jobs, rnd_spend, "
		    "ip_granted) SELECT firm_id, year, quarter, revenue, jobs, "
		    "graduate_jobs, rnd_spend, ip_granted FROM unnest("
		    "$1::bigint[], $2::int[], $3::int[], $4::bigint[], "
		    "$5::int[], $6::int[], $7::bigint[], $8::int[]) AS u("
		    "firm_id, year, quarter, revenue, jobs, graduate_jobs, "
		    "rnd_spend, ip_granted) " REPORTS_UPSERT ") SELECT count(*) "
		    "FILTER (WHERE ins) AS applied, count(*) FILTER (WHERE NOT "
		    "ins) AS updated, 0 AS superseded, '' AS refused FROM x", 8,
		    p, chunk_applied);
		return;
	}
	/* some were: each of their quarters is checked (0005_scope.sql) */
	db_query(r, "WITH u AS (SELECT * FROM unnest($1::bigint[], $2::int[], "
	    "$3::int[], $4::bigint[], $5::int[], $6::int[], $7::bigint[], "
	    "$8::int[], $9::bigint[], $10::boolean[]) AS u(firm_id, year, "
	    "quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted, "
	    "row_no, chk)), "
	    "m AS (SELECT u.*, (NOT chk OR scope_report_write($11, firm_id, "
	    "year, quarter)) AS ok FROM u), "
	    "x AS (INSERT INTO firm_reports AS r (firm_id, year, "
	    "quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted) "
	    "SELECT firm_id, year, quarter, revenue, jobs, graduate_jobs, "
	    "rnd_spend, ip_granted FROM m WHERE ok " REPORTS_UPSERT ") "
	    "SELECT (SELECT count(*) FILTER (WHERE ins) FROM x) AS applied, "
	    "(SELECT count(*) FILTER (WHERE NOT ins) FROM x) AS updated, 0 AS "
	    "superseded, coalesce((SELECT string_agg(row_no || "
	    "E'\\tother_park', E'\\n' ORDER BY row_no) FROM m WHERE NOT ok), "
	    "'') AS refused", 11, p, chunk_applied);
}

/* The lookup of firms new to this push came back: cache them. */
static void
reports_resolved(struct req *r, PGresult *res)
{
	struct rstate	*rs = r->state;
	struct fcent	*e;
	int		 i;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		chunk_abort(r, res, NULL);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		if ((e = fc_get(rs->k.s, PQgetvalue(res, i, 0), 1)) == NULL)
			continue;
		/* 2: an active tenant here, 3: ever here, 4: ever elsewhere */
		if (PQgetisnull(res, i, 1))
			e->id = 0;
		else if (PQgetvalue(res, i, 3)[0] != 't')
			e->id = -1;
		else
			e->id = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		/* each quarter checked unless an active tenant only ever here */
		e->chk = PQgetvalue(res, i, 4)[0] == 't' ||
		    PQgetvalue(res, i, 2)[0] != 't';
	}
	reports_apply(r);
}

/* Check every report; look up the credit codes this push has not seen. */
static void
reports_chunk(struct req *r)
{
	Parkd__V1__SyncChunkRequest	*in = (void *)r->in;
	struct rstate			*rs = r->state;
	struct chunk			*k = &rs->k;
	struct pgarray			 codes;
	struct viols			 v = { 0 }, *dst;
	size_t				 i, n = in->n_firm_reports;
	const char			*p[2];
	char				 pid[24];

	memset(&codes, 0, sizeof(codes));
	if ((rs->ok = req_alloc(r, n + 1)) == NULL) {
		chunk_abort(r, NULL, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const char *code = in->firm_reports[i]->credit_code;

		check_firm_report(&v, "", in->firm_reports[i]);
		if (v.n > 0) {
			if ((dst = rowerr_new(k, rec_row(in, i))) != NULL)
				*dst = v;
			else
				viols_free(&v);
			memset(&v, 0, sizeof(v));
			continue;
		}
		rs->ok[i] = 1;
		if (fc_get(k->s, code, 0) == NULL) {
			if (fc_get(k->s, code, 1) == NULL) {
				chunk_abort(r, NULL, "too many firms in one "
				    "push");
				pgarray_free(&codes);
				return;
			}
			fc_get(k->s, code, 0)->id = 0;
			pgarray_add(&codes, code);
		}
	}
	if (codes.n == 0) {
		reports_apply(r);
		return;
	}
	snprintf(pid, sizeof(pid), "%lld", (long long)k->s->park_id);
	p[0] = pid;
	if ((p[1] = pgarray_finish(&codes)) == NULL) {
		chunk_abort(r, NULL, "out of memory");
		return;
	}
	/*
	 * One join, not the scope functions per firm (they cannot be
	 * inlined): an active tenant only ever here is applied unchecked,
	 * which scope_report_write allows for every quarter; any other firm
	 * that was a tenant here is checked quarter by quarter.
	 */
	db_query(r, "SELECT c.code, f.id, coalesce(bool_or(t.park_id = $1 AND "
	    "t.status = 'active'), false), coalesce(bool_or(t.park_id = $1), "
	    "false), coalesce(bool_or(t.park_id <> $1), false) FROM "
	    "unnest($2::text[]) AS c(code) LEFT JOIN firms f ON f.credit_code "
	    "= c.code LEFT JOIN tenancies t ON t.firm_id = f.id GROUP BY "
	    "c.code, f.id", 2, p,
	    reports_resolved);
	pgarray_free(&codes);
}
