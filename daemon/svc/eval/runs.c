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

#include "svc/eval/eval.h"

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

Parkd__V1__EvaluationRun *
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

void
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

/* GetEvaluationRun: operators see published runs only. */
static int
run_get_params(struct req *r, struct qparams *q)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;

	qp_i64(q, in->run_id);
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
run_row(struct req *r, PGresult *res)
{
	Parkd__V1__EvaluationRun	*o;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no such evaluation run"));
	if ((o = run_from_row(r, res, 0)) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, &o->base));
}

static const struct plan run_get = { "GetEvaluationRun", 0,
    (const struct step[]) {
	{ SQL_EVAL_RUN_GET, run_get_params, run_row },
	{ 0, NULL, NULL },
} };

/* ListEvaluationRuns: of a year or all; operators, published ones. */
static int
run_list_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListEvaluationRunsRequest	*in = (void *)r->in;

	qp_i64(q, in->year);
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
runs_listed(struct req *r, PGresult *res)
{
	Parkd__V1__ListEvaluationRunsResponse	*out;
	int					 i, n = PQntuples(res);

	if ((out = req_alloc(r, sizeof(*out))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__list_evaluation_runs_response__init(out);
	out->runs = req_alloc(r, (size_t)(n ? n : 1) * sizeof(void *));
	for (i = 0; out->runs != NULL && i < n; i++)
		if ((out->runs[i] = run_from_row(r, res, i)) == NULL)
			break;
	if (out->runs == NULL || i < n)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	out->n_runs = (size_t)n;
	return (step_reply(r, &out->base));
}

static const struct plan run_list = { "ListEvaluationRuns", 0,
    (const struct step[]) {
	{ SQL_EVAL_RUN_LIST, run_list_params, runs_listed },
	{ 0, NULL, NULL },
} };

static int
results_page(int32_t n)
{
	return (n <= 0 ? 1000 : n > 5000 ? 5000 : n);
}

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

/* ListEvaluationResults: a run's, by rank, page by page. */
static int
results_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListEvaluationResultsRequest	*in = (void *)r->in;
	int64_t					 after;

	if (page_after(r, in->page_token, &after) != 0)
		return (-1);
	qp_i64(q, in->run_id);
	qp_i64(q, after);
	qp_i64(q, results_page(in->page_size) + 1);
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
results_listed(struct req *r, PGresult *res)
{
	Parkd__V1__ListEvaluationResultsRequest	*in = (void *)r->in;
	Parkd__V1__ListEvaluationResultsResponse *out;

	if ((out = req_alloc(r, sizeof(*out))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__list_evaluation_results_response__init(out);
	out->results = (Parkd__V1__EvaluationResult **)page_build(r, res,
	    results_page(in->page_size), sizeof(Parkd__V1__EvaluationResult),
	    result_fill, "rank", &out->n_results, &out->next_page_token);
	if (out->results == NULL)
		return (STEP_DONE);		/* page_build failed r */
	return (step_reply(r, &out->base));
}

static const struct plan results_list = { "ListEvaluationResults", 0,
    (const struct step[]) {
	{ SQL_EVAL_RESULT_LIST, results_params, results_listed },
	{ 0, NULL, NULL },
} };

/* The indicators column (JSON) into o's indicators. */
static void
result_indicators(struct req *r, const char *json,
    Parkd__V1__EvaluationResult *o)
{
	json_t	*a, *v;
	size_t	 k;

	if ((a = json_loads(json, 0, NULL)) == NULL)
		return;
	o->indicators = req_alloc(r, (json_array_size(a) + 1) *
	    sizeof(void *));
	json_array_foreach(a, k, v) {
		Parkd__V1__IndicatorResult *x = req_alloc(r, sizeof(*x));

		if (x == NULL || o->indicators == NULL)
			break;
		parkd__v1__indicator_result__init(x);
#define S(f) x->f = req_strdup(r, json_string_value(json_object_get(v, #f)))
#define I(f) x->f = json_integer_value(json_object_get(v, #f))
		S(key); S(name); S(dimension); I(raw); S(unit); I(score_cp);
		I(weight); I(contribution_cp);
#undef S
#undef I
		o->indicators[o->n_indicators++] = x;
	}
	json_decref(a);
}

/* GetEvaluationResult: operators, their park's result of published runs. */
static int
result_params(struct req *r, struct qparams *q)
{
	Parkd__V1__GetEvaluationResultRequest	*in = (void *)r->in;

	qp_i64(q, in->run_id);
	qp_str(q, in->park_code);
	return (0);
}

static int
result_row(struct req *r, PGresult *res)
{
	Parkd__V1__EvaluationResult	*o;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no result for that run and park"));
	if (auth_scope(r) != 0 &&
	    (pg_i64(res, 0, "park_id") != auth_scope(r) ||
	    strcmp(pg_get(res, 0, "status"), "published") != 0))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may read only its own park's results of "
		    "published runs"));
	if ((o = req_alloc(r, sizeof(*o))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	result_from_row(r, res, 0, o);
	result_indicators(r, pg_get(res, 0, "indicators"), o);
	return (step_reply(r, &o->base));
}

static const struct plan result_get = { "GetEvaluationResult", 0,
    (const struct step[]) {
	{ SQL_EVAL_RESULT_GET, result_params, result_row },
	{ 0, NULL, NULL },
} };

/* SetEvaluationBudget: the year's total; runs scale to it. */
static int
budget_params(struct req *r, struct qparams *q)
{
	Parkd__V1__SetEvaluationBudgetRequest	*in = (void *)r->in;

	viols_range(&r->v, "year", in->year, 2000, 2100);
	viols_range(&r->v, "amount_fen", in->amount_fen, 0, LIMIT_FEN);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad budget");
		return (-1);
	}
	qp_audit(q, r);
	qp_i64(q, in->year);
	qp_i64(q, in->amount_fen);
	return (0);
}

static int
budget_set(struct req *r, PGresult *res)
{
	Parkd__V1__SetEvaluationBudgetRequest	*in = (void *)r->in;
	Parkd__V1__SetEvaluationBudgetResponse	*o;

	(void)res;
	if ((o = req_alloc(r, sizeof(*o))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__set_evaluation_budget_response__init(o);
	o->year = in->year;
	o->amount_fen = in->amount_fen;
	return (step_reply(r, &o->base));
}

static const struct plan budget = { "SetEvaluationBudget", 0,
    (const struct step[]) {
	{ SQL_EVAL_BUDGET_SET, budget_params, budget_set },
	{ 0, NULL, NULL },
} };

/* AddAward: an award a park holds (a subsidy is never paid on top). */
static int
award_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddAwardRequest	*in = (void *)r->in;
	Parkd__V1__Award		*a = in->award;

	if (a == NULL || a->year < 2000 || a->year > 2100 ||
	    a->amount_fen < 0 || a->amount_fen > LIMIT_FEN ||
	    !valid_text(a->kind, 1, 32)) {
		viols_add(&r->v, "award", "award", "park_code, year 2000..2100, "
		    "kind and amount_fen 0..%lld", LIMIT_FEN);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad award");
		return (-1);
	}
	qp_audit(q, r);
	qp_str(q, a->park_code);
	qp_i64(q, a->year);
	qp_str(q, a->kind);
	qp_i64(q, a->amount_fen);
	return (0);
}

static int
award_added(struct req *r, PGresult *res)
{
	Parkd__V1__AddAwardRequest	*in = (void *)r->in;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "no park '%s'", in->award->park_code)));
	return (step_reply(r, &in->award->base));
}

static const struct plan award = { "AddAward", 0, (const struct step[]) {
	{ SQL_EVAL_AWARD_ADD, award_params, award_added },
	{ 0, NULL, NULL },
} };

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_eval_methods[] = {
	{ .name = "CreateEvaluationRun", .handler = svc_eval_create,
	    .roles = ROLE_BUREAU },
	{ .name = "PublishEvaluationRun", .handler = svc_eval_publish,
	    .roles = ROLE_BUREAU },
	{ .name = "DeleteEvaluationRun", .handler = svc_eval_delete,
	    .roles = ROLE_BUREAU },
	{ .name = "GetEvaluationRun", .ro = 1, .plan = &run_get,
	    .roles = ROLES_ALL },
	{ .name = "ListEvaluationRuns", .ro = 1, .plan = &run_list,
	    .roles = ROLES_ALL },
	{ .name = "ListEvaluationResults", .ro = 1, .plan = &results_list,
	    .roles = ROLES_ALL },
	{ .name = "GetEvaluationResult", .ro = 1, .plan = &result_get,
	    .roles = ROLES_ALL },
	{ .name = "SetEvaluationBudget", .plan = &budget,
	    .roles = ROLE_BUREAU },
	{ .name = "AddAward", .plan = &award,
	    .roles = ROLE_BUREAU },
	{ .name = NULL }
};
