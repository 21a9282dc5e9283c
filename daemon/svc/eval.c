/*
 * EvaluationService: the yearly evaluation runs. A run measures every
 * park's raw indicators for the year with one set-based query (under one
 * REPEATABLE READ snapshot), scores them with the pure code in eval.c
 * against the policy active for the year, and stores park by park every
 * figure, score, weight, contribution, grade, subsidy and reason. Drafts can
 * be deleted; a published run is immutable (also enforced by triggers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "svc/svc.h"

/* The raw indicators of every park evaluated for year $1 ($2..$3). */

#define RUN_COLS							\
	"ru.id, ru.year, (SELECT name FROM policies WHERE id = ru.policy_id) " \
	"AS policy, (SELECT hash FROM policies WHERE id = ru.policy_id) AS " \
	"policy_hash, ru.status, coalesce(ru.budget, -1) AS budget, "	\
	"ru.requested, ru.total, ru.remainder, ru.parks, ru.downgraded, " \
	"ru.summary::text AS summary, " TS_COL("ru.created_at") " AS "	\
	"created_at, coalesce(" TS_COL("ru.published_at") ", '') AS "	\
	"published_at"

struct evrun {
	int			 year;
	char			 start[11];
	char			 end[11];
	const struct policy	*pol;
	int64_t			 budget;
	Parkd__V1__EvaluationRun *out;
};

/* ---- the run message ---- */

static Parkd__V1__CityFigures *
city_from_json(struct req *r, json_t *o)
{
	Parkd__V1__CityFigures	*c = req_alloc(r, sizeof(*c));

	if (c == NULL)
		return (NULL);
	parkd__v1__city_figures__init(c);
#define G(f) c->f = json_integer_value(json_object_get(o, #f))
	G(parks); G(firms); G(area); G(revenue_fen); G(jobs); G(high_tech);
	G(srdi); G(tech_share_bp);
#undef G
	return (c);
}

static Parkd__V1__EvaluationRun *
run_from_row(struct req *r, PGresult *res, int i)
{
	Parkd__V1__EvaluationRun	*o = req_alloc(r, sizeof(*o));
	json_t				*sum, *grades, *g;
	size_t				 k;

	if (o == NULL)
		return (NULL);
	parkd__v1__evaluation_run__init(o);
	o->id = pg_i64(res, i, "id");
	o->year = (int32_t)pg_i64(res, i, "year");
	o->policy = req_strdup(r, pg_get(res, i, "policy"));
	o->policy_hash = req_strdup(r, pg_get(res, i, "policy_hash"));
	o->status = req_strdup(r, pg_get(res, i, "status"));
	o->budget_fen = pg_i64(res, i, "budget");
	o->requested_fen = pg_i64(res, i, "requested");
	o->total_fen = pg_i64(res, i, "total");
	o->remainder_fen = pg_i64(res, i, "remainder");
	o->parks = (int32_t)pg_i64(res, i, "parks");
	o->downgraded = (int32_t)pg_i64(res, i, "downgraded");
	o->created_at = req_strdup(r, pg_get(res, i, "created_at"));
	o->published_at = req_strdup(r, pg_get(res, i, "published_at"));
	if ((sum = json_loads(pg_get(res, i, "summary"), 0, NULL)) == NULL)
		return (o);
	grades = json_object_get(sum, "grades");
	o->grades = req_alloc(r, (json_array_size(grades) + 1) *
	    sizeof(void *));
	json_array_foreach(grades, k, g) {
		Parkd__V1__GradeCount *gc = req_alloc(r, sizeof(*gc));

		if (gc == NULL || o->grades == NULL)
			break;
		parkd__v1__grade_count__init(gc);
		gc->grade = req_strdup(r, json_string_value(json_object_get(g,
		    "grade")));
		gc->name = req_strdup(r, json_string_value(json_object_get(g,
		    "name")));
		gc->parks = (int32_t)json_integer_value(json_object_get(g,
		    "parks"));
		o->grades[o->n_grades++] = gc;
	}
	o->city = city_from_json(r, json_object_get(sum, "city"));
	o->targets = city_from_json(r, json_object_get(sum, "targets"));
	json_decref(sum);
	return (o);
}

static void
run_reply(struct req *r, PGresult *res, const char *what)
{
	Parkd__V1__EvaluationRun	*o;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, what))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no such evaluation run");
		return;
	}
	if ((o = run_from_row(r, res, 0)) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	req_reply(r, &o->base);
}

/* ---- CreateEvaluationRun ---- */

static json_t *
indicators_json(const struct eval_policy *ep, const struct eval_park *p,
    const struct eval_result *res)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < ep->ninds; i++) {
		const struct eval_indicator *ind = &ep->inds[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:s, "
		    "s:i, s:i, s:i}", "key", ind->key, "name", ind->name,
		    "dimension", ep->dims[ind->dim].name, "raw",
		    (json_int_t)p->raw[ind->raw], "unit",
		    eval_raw_units[ind->raw], "score_cp", res->score_cp[i],
		    "weight", ind->weight, "contribution_cp",
		    res->contrib_cp[i]));
	}
	return (a);
}

static json_t *
reasons_json(const struct eval_result *res)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < res->nreasons; i++)
		json_array_append_new(a, json_string(res->reasons[i]));
	return (a);
}

/* Append a JSON value to a colbuf-like string list (owned text). */
static char *
dump(json_t *j)
{
	char	*s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	return (s);
}

static json_t *
city_json(int64_t parks, int64_t firms, int64_t area, int64_t revenue,
    int64_t jobs, int64_t ht, int64_t srdi, int64_t share)
{
	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "parks",
	    (json_int_t)parks, "firms", (json_int_t)firms, "area",
	    (json_int_t)area, "revenue_fen", (json_int_t)revenue, "jobs",
	    (json_int_t)jobs, "high_tech", (json_int_t)ht, "srdi",
	    (json_int_t)srdi, "tech_share_bp", (json_int_t)share));
}

/* A sum of bounded inputs, clamped to what an int64 can hold. */
static int64_t
sat64(__int128 v)
{
	return (v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN :
	    (int64_t)v);
}

/* Grade counts, the city's figures at the year's end, and the targets. */
static char *
summary_json(const struct eval_policy *ep, const struct eval_totals *t,
    const struct eval_park *parks, PGresult *res, size_t n)
{
	json_t	*g = json_array();
	__int128 firms = 0, a = 0, rev = 0, jobs = 0, ht = 0, srdi = 0, tech = 0;
	size_t	 i;
	int	 k;

	for (k = 0; k < ep->ngrades; k++)
		json_array_append_new(g, json_pack("{s:s, s:s, s:i}", "grade",
		    ep->grades[k].grade, "name", ep->grades[k].name, "parks",
		    t->grade_count[k]));
	for (i = 0; i < n; i++) {
		firms += parks[i].raw[RAW_TENANTS];
		a += pg_i64(res, (int)i, "total_area");
		rev += parks[i].raw[RAW_REVENUE];
		jobs += parks[i].raw[RAW_JOBS];
		ht += parks[i].raw[RAW_HIGH_TECH];
		srdi += parks[i].raw[RAW_SRDI];
		tech += pg_i64(res, (int)i, "tech");
	}
	return (dump(json_pack("{s:o, s:o, s:o}", "grades", g, "city",
	    city_json((int64_t)n, sat64(firms), sat64(a), sat64(rev),
	    sat64(jobs), sat64(ht), sat64(srdi), firms ? sat64(tech * 10000 /
	    firms) : 0), "targets", city_json(ep->t_parks,
	    ep->t_firms, ep->t_area_m2 * 100, ep->t_revenue_yuan * 100,
	    ep->t_jobs, ep->t_high_tech, ep->t_srdi, ep->t_tech_pct * 100))));
}

static void
create_committed(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;

	if (pg_ok(r, res, PGRES_COMMAND_OK, "CreateEvaluationRun"))
		req_reply(r, &e->out->base);
}

static void
create_stored(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	if ((e->out = run_from_row(r, res, 0)) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	log_info("evaluation run=%lld year=%d parks=%d total_fen=%lld",
	    (long long)e->out->id, e->year, e->out->parks,
	    (long long)e->out->total_fen);
	db_query(r, "COMMIT", 0, NULL, create_committed);
}

static int64_t
ratio_bp(int64_t num, int64_t den)
{
	return (den > 0 ? sat64((__int128)num * 10000 / den) : 0);
}

static void
raw_from_row(PGresult *res, int i, struct eval_park *p)
{
	int64_t	 tenants = pg_i64(res, i, "tenants");
	int64_t	 rev = pg_i64(res, i, "revenue");
	int64_t	 prev = pg_i64(res, i, "revenue_prev");

	memset(p, 0, sizeof(*p));
	p->park_id = pg_i64(res, i, "id");
	p->code = pg_get(res, i, "code");
	p->raw[RAW_TENANTS] = tenants;
	p->raw[RAW_OCCUPANCY] = ratio_bp(pg_i64(res, i, "occupied"),
	    pg_i64(res, i, "total_area"));
	p->raw[RAW_NEW_ENTRIES] = pg_i64(res, i, "new_entries");
	p->raw[RAW_GRADUATES] = pg_i64(res, i, "graduates");
	p->raw[RAW_REVENUE] = rev;
	p->raw[RAW_REVENUE_GROWTH] = prev > 0 ? ratio_bp(rev - prev, prev) : 0;
	p->raw[RAW_TECH_SHARE] = ratio_bp(pg_i64(res, i, "tech"), tenants);
	p->raw[RAW_HIGH_TECH] = pg_i64(res, i, "high_tech");
	p->raw[RAW_SRDI] = pg_i64(res, i, "srdi");
	p->raw[RAW_IP] = pg_i64(res, i, "ip");
	p->raw[RAW_JOBS] = pg_i64(res, i, "jobs");
	p->raw[RAW_GRADUATE_JOBS] = pg_i64(res, i, "graduate_jobs");
	p->raw[RAW_INTERNS] = pg_i64(res, i, "interns");
	p->raw[RAW_ACTIVITIES] = pg_i64(res, i, "activities");
	p->raw[RAW_ROADSHOWS] = pg_i64(res, i, "roadshows");
	p->raw[RAW_SERVICES] = pg_i64(res, i, "services");
	p->admitted = pg_bool(res, i, "admitted");
	p->legal_person = pg_bool(res, i, "operator_legal_person");
	p->staff = (int)pg_i64(res, i, "staff_count");
	p->roadshow_quarters = (int)pg_i64(res, i, "roadshow_quarters");
	p->has_award = pg_bool(res, i, "has_award");
	p->prev_fails = (int)pg_i64(res, i, "prev_fails");
}

#define NCOLS	14	/* array columns of the results insert */

/* Add one json text to an array column; 0 unless memory ran out. */
static int
add_json(struct pgarray *col, json_t *j)
{
	char	*t = dump(j);

	if (t == NULL)
		return (-1);
	pgarray_add(col, t);
	free(t);
	return (0);
}

/* The NCOLS array columns of the results insert; 0 on success. */
static int
build_cols(const struct eval_policy *ep, PGresult *res,
    const struct eval_park *parks, const struct eval_result *out, size_t n,
    struct pgarray *cols)
{
	size_t	 i;
	int	 i2;

	for (i = 0; i < n; i++) {
		i2 = (int)i;
		pgarray_add_i64(&cols[0], parks[i].park_id);
		pgarray_add(&cols[1], pg_get(res, i2, "code"));
		pgarray_add(&cols[2], pg_get(res, i2, "name"));
		pgarray_add(&cols[3], pg_get(res, i2, "district"));
		pgarray_add_i64(&cols[4], out[i].rank);
		pgarray_add_i64(&cols[5], out[i].total_cp);
		pgarray_add(&cols[6], out[i].grade);
		pgarray_add(&cols[7], out[i].grade_name);
		pgarray_add(&cols[8], out[i].eligible ? "t" : "f");
		pgarray_add_i64(&cols[9], out[i].amount_fen);
		pgarray_add_i64(&cols[10], out[i].subsidy_fen);
		pgarray_add_i64(&cols[11], out[i].consecutive_fails);
		if (add_json(&cols[12], reasons_json(&out[i])) != 0 ||
		    add_json(&cols[13], indicators_json(ep, &parks[i],
		    &out[i])) != 0)
			return (-1);
	}
	return (0);
}

/* The raw figures are in: score, grade, pay, and store the run. */
static void
create_scored(struct req *r, PGresult *res)
{
	struct evrun		*e = r->state;
	const struct eval_policy *ep = &e->pol->eval;
	struct eval_park	*parks = NULL;
	struct eval_result	*out = NULL;
	struct eval_totals	 t;
	struct qparams		 q;
	struct pgarray		 cols[NCOLS];
	char			*summary = NULL;
	const char		*params[32];
	size_t			 n, i, c;
	int			 k, ok = 0;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	memset(cols, 0, sizeof(cols));
	n = (size_t)PQntuples(res);
	if (n == 0) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "no park was "
		    "admitted during %d: nothing to evaluate", e->year);
		return;
	}
	parks = calloc(n, sizeof(*parks));
	out = calloc(n, sizeof(*out));
	if (parks == NULL || out == NULL)
		goto out;
	for (i = 0; i < n; i++)
		raw_from_row(res, (int)i, &parks[i]);
	eval_run(ep, e->year, parks, n, e->budget, out, &t);
	if (build_cols(ep, res, parks, out, n, cols) != 0 ||
	    (summary = summary_json(ep, &t, parks, res, n)) == NULL)
		goto out;
	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, e->year);				/* $5 */
	qp_str(&q, e->pol->hash);
	if (e->budget >= 0)
		qp_i64(&q, e->budget);
	else
		qp_null(&q);
	qp_i64(&q, t.requested_fen);
	qp_i64(&q, t.total_fen);
	qp_i64(&q, t.remainder_fen);			/* $10 */
	qp_i64(&q, (int64_t)n);
	qp_i64(&q, t.downgraded);
	qp_str(&q, summary);
	qp_str(&q, ep->grades[ep->ngrades - 1].grade);	/* $14 */
	for (k = 0; k < q.n; k++)
		params[k] = q.v[k];
	for (c = 0; c < NCOLS; c++)			/* $15..$28 */
		if ((params[q.n + (int)c] = pgarray_finish(&cols[c])) == NULL)
			goto out;
	db_query(r, "WITH ru AS (INSERT INTO evaluation_runs (year, policy_id, "
	    "budget, requested, total, remainder, parks, downgraded, summary, "
	    "fail_grade, created_by) VALUES ($5, (SELECT id FROM policies "
	    "WHERE hash = $6), $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $2) "
	    "RETURNING *), res AS (INSERT INTO evaluation_results SELECT "
	    "(SELECT id FROM ru), * FROM unnest($15::bigint[], $16::text[], "
	    "$17::text[], $18::text[], $19::int[], $20::int[], $21::text[], "
	    "$22::text[], $23::boolean[], $24::bigint[], $25::bigint[], "
	    "$26::int[], $27::jsonb[], $28::jsonb[]) RETURNING 1), "
	    "aud AS (" AUDIT_SQL("'evaluation_run:' || ru.id",
	    "jsonb_build_object('year', ru.year, 'total', ru.total, "
	    "'parks', ru.parks)", "ru") ") "
	    "SELECT " RUN_COLS " FROM ru", q.n + NCOLS, params, create_stored);
	ok = 1;
out:
	for (c = 0; c < NCOLS; c++)
		pgarray_free(&cols[c]);
	free(summary);
	free(parks);
	free(out);
	if (!ok)
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory "
		    "scoring %zu parks", n);
}

static void
create_policy(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;
	struct qparams	 q;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	if ((e->pol = policy_from_row(r, res, 0, e->year)) == NULL)
		return;
	e->budget = PQgetisnull(res, 0, PQfnumber(res, "budget")) ? -1 :
	    pg_i64(res, 0, "budget");
	qp_init(&q);
	qp_i64(&q, e->year);
	qp_str(&q, e->start);
	qp_str(&q, e->end);
	qp_str(&q, e->pol->eval.award_kind);
	qp_str(&q, e->pol->eval.grades[e->pol->eval.ngrades - 1].grade);
	db_exec(r, SQL_EVAL_RAW, q.n, q.v, create_scored);
}

static void
create_begun(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;
	struct qparams	 q;

	if (!pg_ok(r, res, PGRES_COMMAND_OK, "CreateEvaluationRun"))
		return;
	qp_init(&q);
	qp_i64(&q, e->year);
	db_query(r, "SELECT " POLICY_COLS("$1") ", (SELECT amount FROM "
	    "evaluation_budgets WHERE year = $1) AS budget", q.n, q.v,
	    create_policy);
}

static void
svc_eval_create(struct req *r)
{
	Parkd__V1__CreateEvaluationRunRequest	*in = (void *)r->in;
	struct evrun				*e;

	if (in->year < 2000 || in->year > 2100) {
		viols_add(&r->v, "year", "range", "must be 2000..2100");
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad year");
		return;
	}
	if ((e = r->state = req_alloc(r, sizeof(*e))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	e->year = in->year;
	snprintf(e->start, sizeof(e->start), "%04u-01-01", (unsigned)in->year % 10000u);
	snprintf(e->end, sizeof(e->end), "%04u-12-31", (unsigned)in->year % 10000u);
	/* one snapshot: the data as of this moment, consistently */
	db_query(r, "BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE", 0, NULL,
	    create_begun);
}

/* ---- publish, delete, get, list ---- */

static void
publish_done(struct req *r, PGresult *res)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "run %lld does "
		    "not exist or is already published", (long long)in->run_id);
		return;
	}
	if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR &&
	    strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23505") == 0) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "another run "
		    "for that year is already published");
		return;
	}
	run_reply(r, res, "PublishEvaluationRun");
}

/* Publish: immutable from now on; 不合格 parks are warned. */
static void
svc_eval_publish(struct req *r)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;
	struct qparams			 q;

	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, in->run_id);
	db_query(r, "WITH ru AS (UPDATE evaluation_runs SET status = "
	    "'published', published_at = now() WHERE id = $5 AND status = "
	    "'draft' RETURNING *), "
	    "w AS (UPDATE parks p SET status = 'warned', warned_on = "
	    "current_date, status_reason = 'evaluation ' || ru.year || ': ' || "
	    "er.grade_name, version = p.version + 1, updated_at = now() FROM "
	    "ru, evaluation_results er WHERE er.run_id = ru.id AND er.park_id "
	    "= p.id AND er.grade = ru.fail_grade AND p.status = 'admitted' "
	    "RETURNING p.code), "
	    "aud AS (" AUDIT_SQL("'evaluation_run:' || ru.id",
	    "jsonb_build_object('published', true, 'warned', (SELECT "
	    "coalesce(jsonb_agg(code), '[]') FROM w))", "ru") ") "
	    "SELECT " RUN_COLS " FROM ru", q.n, q.v, publish_done);
}

static void
delete_done(struct req *r, PGresult *res)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "DeleteEvaluationRun"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no such run");
		return;
	}
	if (strcmp(pg_get(res, 0, "status"), "published") == 0) {
		viols_add(&r->v, "run_id", "evaluation.immutable", "run %lld is "
		    "published: its results can no longer change",
		    (long long)in->run_id);
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "a published "
		    "run is immutable");
		return;
	}
	run_reply(r, res, "DeleteEvaluationRun");
}

static void
svc_eval_delete(struct req *r)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;
	struct qparams			 q;

	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, in->run_id);
	db_query(r, "WITH cur AS (SELECT * FROM evaluation_runs WHERE id = $5), "
	    "dr AS (DELETE FROM evaluation_results WHERE run_id = $5 AND "
	    "(SELECT status FROM cur) = 'draft' RETURNING 1), "
	    "d AS (DELETE FROM evaluation_runs WHERE id = $5 AND status = "
	    "'draft' AND (SELECT count(*) FROM dr) >= 0 RETURNING id), "
	    "aud AS (" AUDIT_SQL("'evaluation_run:' || d.id",
	    "jsonb_build_object('deleted', true)", "d") ") "
	    "SELECT " RUN_COLS " FROM cur ru", q.n, q.v, delete_done);
}

static void
get_run_done(struct req *r, PGresult *res)
{
	run_reply(r, res, "GetEvaluationRun");
}

static void
svc_eval_get_run(struct req *r)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;
	struct qparams			 q;

	qp_init(&q);
	qp_i64(&q, in->run_id);
	qp_i64(&q, auth_scope(r));
	/* an operator sees published runs only, as in ListEvaluationRuns */
	db_query(r, "SELECT " RUN_COLS " FROM evaluation_runs ru WHERE ru.id = "
	    "$1 AND ($2::bigint = 0 OR ru.status = 'published')", q.n, q.v,
	    get_run_done);
}

static void
list_runs_done(struct req *r, PGresult *res)
{
	Parkd__V1__ListEvaluationRunsResponse out =
	    PARKD__V1__LIST_EVALUATION_RUNS_RESPONSE__INIT;
	int	 i, n;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ListEvaluationRuns"))
		return;
	n = PQntuples(res);
	out.runs = req_alloc(r, (size_t)(n ? n : 1) * sizeof(void *));
	for (i = 0; out.runs != NULL && i < n; i++)
		if ((out.runs[i] = run_from_row(r, res, i)) == NULL)
			break;
	if (i < n) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	out.n_runs = (size_t)n;
	req_reply(r, &out.base);
}

static void
svc_eval_list_runs(struct req *r)
{
	Parkd__V1__ListEvaluationRunsRequest	*in = (void *)r->in;
	struct qparams				 q;

	qp_init(&q);
	qp_i64(&q, in->year);
	qp_i64(&q, auth_scope(r));
	db_query(r, "SELECT " RUN_COLS " FROM evaluation_runs ru WHERE ($1 = 0 "
	    "OR ru.year = $1) AND ($2 = 0 OR ru.status = 'published') ORDER BY "
	    "ru.id", q.n, q.v, list_runs_done);
}

static int
results_page(int32_t n)
{
	return (n <= 0 ? 1000 : n > 5000 ? 5000 : n);
}

#define RESULT_COLS							\
	"er.run_id, er.park_code, er.park_name, er.district, er.rank, "	\
	"er.total_cp, er.grade, er.grade_name, er.eligible, er.amount, "	\
	"er.subsidy, er.consecutive_fails, er.reasons::text AS reasons"

static void
result_from_row(struct req *r, PGresult *res, int i,
    Parkd__V1__EvaluationResult *o)
{
	json_t	*a, *v;
	size_t	 k;

	parkd__v1__evaluation_result__init(o);
	o->run_id = pg_i64(res, i, "run_id");
	o->park_code = (char *)pg_get(res, i, "park_code");
	o->park_name = (char *)pg_get(res, i, "park_name");
	o->district = (char *)pg_get(res, i, "district");
	o->rank = (int32_t)pg_i64(res, i, "rank");
	o->total_cp = (int32_t)pg_i64(res, i, "total_cp");
	o->grade = (char *)pg_get(res, i, "grade");
	o->grade_name = (char *)pg_get(res, i, "grade_name");
	o->eligible = pg_bool(res, i, "eligible");
	o->amount_fen = pg_i64(res, i, "amount");
	o->subsidy_fen = pg_i64(res, i, "subsidy");
	o->consecutive_fails = (int32_t)pg_i64(res, i, "consecutive_fails");
	if ((a = json_loads(pg_get(res, i, "reasons"), 0, NULL)) == NULL)
		return;
	o->reasons = req_alloc(r, (json_array_size(a) + 1) * sizeof(char *));
	json_array_foreach(a, k, v) {
		if (o->reasons != NULL)
			o->reasons[o->n_reasons++] = req_strdup(r,
			    json_string_value(v));
	}
	json_decref(a);
}

static void
result_fill(struct req *r, PGresult *res, int i, void *m)
{
	result_from_row(r, res, i, m);
}

static void
results_done(struct req *r, PGresult *res)
{
	Parkd__V1__ListEvaluationResultsRequest	*in = (void *)r->in;
	Parkd__V1__ListEvaluationResultsResponse out =
	    PARKD__V1__LIST_EVALUATION_RESULTS_RESPONSE__INIT;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ListEvaluationResults"))
		return;
	out.results = (Parkd__V1__EvaluationResult **)page_build(r, res,
	    results_page(in->page_size), sizeof(Parkd__V1__EvaluationResult),
	    result_fill, "rank", &out.n_results, &out.next_page_token);
	if (out.results != NULL)
		req_reply(r, &out.base);
}

static void
svc_eval_results(struct req *r)
{
	Parkd__V1__ListEvaluationResultsRequest	*in = (void *)r->in;
	struct qparams				 q;
	int64_t					 after;

	if (page_after(r, in->page_token, &after) != 0)
		return;
	qp_init(&q);
	qp_i64(&q, in->run_id);
	qp_i64(&q, after);
	qp_i64(&q, results_page(in->page_size) + 1);
	qp_i64(&q, auth_scope(r));
	db_query(r, "SELECT " RESULT_COLS " FROM evaluation_results er JOIN "
	    "evaluation_runs ru ON ru.id = er.run_id WHERE er.run_id = $1 AND "
	    "er.rank > $2 AND ($4::bigint = 0 OR (er.park_id = $4 AND "
	    "ru.status = 'published')) ORDER BY er.rank LIMIT $3", q.n, q.v,
	    results_done);
}

static void
result_done(struct req *r, PGresult *res)
{
	Parkd__V1__EvaluationResult	 o;
	json_t				*a, *v;
	size_t				 k;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "GetEvaluationResult"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no result for that run "
		    "and park");
		return;
	}
	if (auth_scope(r) != 0 &&
	    (pg_i64(res, 0, "park_id") != auth_scope(r) ||
	    strcmp(pg_get(res, 0, "status"), "published") != 0)) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "an operator may "
		    "read only its own park's results of published runs");
		return;
	}
	result_from_row(r, res, 0, &o);
	if ((a = json_loads(pg_get(res, 0, "indicators"), 0, NULL)) == NULL) {
		req_reply(r, &o.base);
		return;
	}
	o.indicators = req_alloc(r, (json_array_size(a) + 1) * sizeof(void *));
	json_array_foreach(a, k, v) {
		Parkd__V1__IndicatorResult *x = req_alloc(r, sizeof(*x));

		if (x == NULL || o.indicators == NULL)
			break;
		parkd__v1__indicator_result__init(x);
#define S(f) x->f = req_strdup(r, json_string_value(json_object_get(v, #f)))
#define I(f) x->f = json_integer_value(json_object_get(v, #f))
		S(key); S(name); S(dimension); I(raw); S(unit); I(score_cp);
		I(weight); I(contribution_cp);
#undef S
#undef I
		o.indicators[o.n_indicators++] = x;
	}
	json_decref(a);
	req_reply(r, &o.base);
}

static void
svc_eval_result(struct req *r)
{
	Parkd__V1__GetEvaluationResultRequest	*in = (void *)r->in;
	struct qparams				 q;

	qp_init(&q);
	qp_i64(&q, in->run_id);
	qp_str(&q, in->park_code);
	db_query(r, "SELECT " RESULT_COLS ", er.park_id, er.indicators::text "
	    "AS indicators, ru.status FROM evaluation_results er JOIN "
	    "evaluation_runs ru ON ru.id = er.run_id WHERE er.run_id = $1 AND "
	    "er.park_code = $2", q.n, q.v, result_done);
}

static void
budget_done(struct req *r, PGresult *res)
{
	Parkd__V1__SetEvaluationBudgetRequest	*in = (void *)r->in;
	Parkd__V1__SetEvaluationBudgetResponse	 o =
	    PARKD__V1__SET_EVALUATION_BUDGET_RESPONSE__INIT;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "SetEvaluationBudget"))
		return;
	o.year = in->year;
	o.amount_fen = in->amount_fen;
	req_reply(r, &o.base);
}

static void
svc_eval_budget(struct req *r)
{
	Parkd__V1__SetEvaluationBudgetRequest	*in = (void *)r->in;
	struct qparams				 q;

	viols_range(&r->v, "year", in->year, 2000, 2100);
	viols_range(&r->v, "amount_fen", in->amount_fen, 0, LIMIT_FEN);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad budget");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, in->year);
	qp_i64(&q, in->amount_fen);
	db_query(r, "WITH b AS (INSERT INTO evaluation_budgets (year, amount) "
	    "VALUES ($5, $6) ON CONFLICT (year) DO UPDATE SET amount = "
	    "EXCLUDED.amount, set_at = now() RETURNING *), aud AS ("
	    AUDIT_SQL("'budget:' || b.year", "to_jsonb(b)", "b") ") "
	    "SELECT year FROM b", q.n, q.v, budget_done);
}

static void
award_done(struct req *r, PGresult *res)
{
	Parkd__V1__AddAwardRequest	*in = (void *)r->in;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "AddAward"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no park '%s'",
		    in->award->park_code);
		return;
	}
	req_reply(r, &in->award->base);
}

static void
svc_eval_award(struct req *r)
{
	Parkd__V1__AddAwardRequest	*in = (void *)r->in;
	Parkd__V1__Award		*a = in->award;
	struct qparams			 q;

	if (a == NULL || a->year < 2000 || a->year > 2100 ||
	    a->amount_fen < 0 || a->amount_fen > LIMIT_FEN ||
	    !valid_text(a->kind, 1, 32)) {
		viols_add(&r->v, "award", "award", "park_code, year 2000..2100, "
		    "kind and amount_fen 0..%lld", LIMIT_FEN);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad award");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_str(&q, a->park_code);
	qp_i64(&q, a->year);
	qp_str(&q, a->kind);
	qp_i64(&q, a->amount_fen);
	db_query(r, "WITH x AS (INSERT INTO awards (park_id, year, kind, "
	    "amount) SELECT id, $6, $7, $8 FROM parks WHERE code = $5 RETURNING "
	    "*), aud AS (" AUDIT_SQL("'park:' || $5", "jsonb_build_object("
	    "'award', to_jsonb(x))", "x") ") SELECT id FROM x", q.n, q.v,
	    award_done);
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_eval_methods[] = {
	{ .name = "CreateEvaluationRun", .handler = svc_eval_create,
	    .roles = ROLE_BUREAU },
	{ .name = "PublishEvaluationRun", .handler = svc_eval_publish,
	    .roles = ROLE_BUREAU },
	{ .name = "DeleteEvaluationRun", .handler = svc_eval_delete,
	    .roles = ROLE_BUREAU },
	{ .name = "GetEvaluationRun", .handler = svc_eval_get_run,
	    .roles = ROLES_ALL },
	{ .name = "ListEvaluationRuns", .handler = svc_eval_list_runs,
	    .roles = ROLES_ALL },
	{ .name = "ListEvaluationResults", .handler = svc_eval_results,
	    .roles = ROLES_ALL },
	{ .name = "GetEvaluationResult", .handler = svc_eval_result,
	    .roles = ROLES_ALL },
	{ .name = "SetEvaluationBudget", .handler = svc_eval_budget,
	    .roles = ROLE_BUREAU },
	{ .name = "AddAward", .handler = svc_eval_award,
	    .roles = ROLE_BUREAU },
	{ .name = NULL }
};
