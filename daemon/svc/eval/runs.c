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

/* A run's summary (JSON): grades, parks not taking part, city, targets. */
static void
run_summary(struct req *r, Parkd__V1__EvaluationRun *o, const char *text)
{
	json_t	*sum, *grades, *g;
	size_t	 k;

	if ((sum = json_loads(text, 0, NULL)) == NULL)
		return;
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
	grades = json_object_get(sum, "absent");
	o->absent = req_alloc(r, (json_array_size(grades) + 1) *
	    sizeof(char *));
	json_array_foreach(grades, k, g) {
		if (o->absent != NULL)
			o->absent[o->n_absent++] = req_strdup(r,
			    json_string_value(g));
	}
	o->city = city_from_json(r, json_object_get(sum, "city"));
	o->targets = city_from_json(r, json_object_get(sum, "targets"));
	json_decref(sum);
}

Parkd__V1__EvaluationRun *
run_from_row(struct req *r, PGresult *res, int i)
{
	Parkd__V1__EvaluationRun	*o = req_alloc(r, sizeof(*o));

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
	o->notice_until = req_strdup(r, pg_get(res, i, "notice_until"));
	o->finalized_at = req_strdup(r, pg_get(res, i, "finalized_at"));
	o->corrects = pg_i64(res, i, "corrects");
	o->superseded_by = pg_i64(res, i, "superseded_by");
	o->notice_days = (int32_t)pg_i64(res, i, "notice_days");
	o->objections = (int32_t)pg_i64(res, i, "objections");
	o->open_objections = (int32_t)pg_i64(res, i, "open_objections");
	run_summary(r, o, pg_get(res, i, "summary"));
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

/* ---- publish, finalize, delete ---- */

/* What a change of a run's status reads first (eval_run_lock). */
struct runlock {
	int64_t		 id;
	int		 year;
	const char	*status;
	const char	*notice_until;
	int64_t		 corrects;
	const char	*corrects_status;
	int64_t		 other;
	const char	*open_objections;
	char		 until[11];	/* publish: the notice's last day */
};

static int
run_lock_params(struct req *r, struct qparams *q)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;

	if ((r->state = req_alloc(r, sizeof(struct runlock))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return (-1);
	}
	qp_i64(q, in->run_id);
	return (0);
}

/* The locked run into r->state; 0, or -1 (r failed) when there is none. */
static int
run_locked(struct req *r, PGresult *res, struct runlock *k)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;

	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no evaluation run %lld",
		    (long long)in->run_id);
		return (-1);
	}
	k->id = pg_i64(res, 0, "id");
	k->year = (int)pg_i64(res, 0, "year");
	k->status = req_strdup(r, pg_get(res, 0, "status"));
	k->notice_until = req_strdup(r, pg_get(res, 0, "notice_until"));
	k->corrects = pg_i64(res, 0, "corrects");
	k->corrects_status = req_strdup(r, pg_get(res, 0, "corrects_status"));
	k->other = pg_i64(res, 0, "other");
	k->open_objections = req_strdup(r, pg_get(res, 0, "open_objections"));
	if (k->status == NULL || k->notice_until == NULL ||
	    k->corrects_status == NULL || k->open_objections == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return (-1);
	}
	return (0);
}

/* A run's status refuses the change: say why, naming the run. */
static int
status_refused(struct req *r, const struct runlock *k, const char *change)
{
	viols_add(&r->v, "run_id", "evaluation.status", "run %lld of %d is %s",
	    (long long)k->id, k->year, k->status);
	if (strcmp(k->status, "provisional") == 0)
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "run %lld is "
		    "provisional (made before the end of %d): it can never be "
		    "%s; evaluate the year again once it has ended",
		    (long long)k->id, k->year, change);
	else
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "run %lld of "
		    "%d is %s: it cannot be %s", (long long)k->id, k->year,
		    k->status, change);
	return (STEP_DONE);
}

/*
 * Publish a draft: its notice opens (the policy's working days from
 * tomorrow); a corrected run supersedes the published run it corrects.
 */
static int
publish_checked(struct req *r, PGresult *res)
{
	struct runlock	*k = r->state;
	struct ymd	 d;

	if (run_locked(r, res, k) != 0)
		return (STEP_DONE);
	if (strcmp(k->status, "draft") != 0)
		return (status_refused(r, k, "published"));
	if (k->other != 0) {
		viols_add(&r->v, "run_id", "evaluation.one_public", "run %lld "
		    "of %d is already published or final", (long long)k->other,
		    k->year);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "run %lld of %d is already published or "
		    "final: a run replacing one under notice is made with "
		    "corrects = its id", (long long)k->other, k->year)));
	}
	if (k->corrects != 0 && strcmp(k->corrects_status, "published") != 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "run %lld corrects run %lld, which is %s: only "
		    "a run under notice can be superseded", (long long)k->id,
		    (long long)k->corrects, k->corrects_status)));
	today(&d);
	d = ymd_add_working_days(d, pg_i64(res, 0, "notice_days"));
	ymd_format(&d, k->until);
	if (pg_i64(res, 0, "notice_days") == 0)
		k->until[0] = '\0';
	return (STEP_NEXT);
}

static int
supersede_params(struct req *r, struct qparams *q)
{
	struct runlock	*k = r->state;

	qp_i64(q, k->corrects);
	qp_i64(q, k->id);
	return (0);
}

static int
superseded(struct req *r, PGresult *res)
{
	(void)r;
	(void)res;
	return (STEP_NEXT);
}

static int
publish_params(struct req *r, struct qparams *q)
{
	struct runlock	*k = r->state;

	qp_audit(q, r);
	qp_i64(q, k->id);
	if (k->until[0] != '\0')
		qp_str(q, k->until);
	else
		qp_null(q);
	return (0);
}

/* The run after its change, with the parks it warns (or will). */
static int
run_changed(struct req *r, PGresult *res)
{
	Parkd__V1__EvaluationRun	*o;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "the run changed "
		    "meanwhile; ask again"));
	if ((o = run_from_row(r, res, 0)) == NULL ||
	    (*pg_get(res, 0, "warned") != '\0' &&
	    (o->warned = pg_split(r, pg_get(res, 0, "warned"),
	    &o->n_warned)) == NULL))
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, &o->base));
}

static const struct plan publish = { "PublishEvaluationRun", 1,
    (const struct step[]) {
	{ SQL_EVAL_RUN_LOCK, run_lock_params, publish_checked },
	{ SQL_EVAL_RUN_SUPERSEDE, supersede_params, superseded },
	{ SQL_EVAL_RUN_PUBLISH, publish_params, run_changed },
	{ 0, NULL, NULL },
} };

/*
 * Final: once the notice has ended and every objection is answered; the
 * parks it grades failing are warned now, not at publication.
 */
static int
finalize_checked(struct req *r, PGresult *res)
{
	struct runlock	*k = r->state;
	struct ymd	 d;
	char		 now[11];

	if (run_locked(r, res, k) != 0)
		return (STEP_DONE);
	if (strcmp(k->status, "published") != 0)
		return (status_refused(r, k, "made final (only a published "
		    "run under notice can)"));
	today(&d);
	ymd_format(&d, now);
	if (k->notice_until[0] != '\0' && strcmp(now, k->notice_until) <= 0) {
		viols_add(&r->v, "run_id", "evaluation.notice", "the notice "
		    "runs until %s", k->notice_until);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "run %lld is under public notice until %s: "
		    "it can become final from the day after", (long long)k->id,
		    k->notice_until)));
	}
	if (k->open_objections[0] != '\0') {
		viols_add(&r->v, "run_id", "evaluation.objections", "objections "
		    "not answered: %s", k->open_objections);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "run %lld has objections not answered yet "
		    "(%s): answer each first", (long long)k->id,
		    k->open_objections)));
	}
	return (STEP_NEXT);
}

static int
finalize_params(struct req *r, struct qparams *q)
{
	struct runlock	*k = r->state;

	qp_audit(q, r);
	qp_i64(q, k->id);
	return (0);
}

static const struct plan finalize = { "FinalizeEvaluationRun", 1,
    (const struct step[]) {
	{ SQL_EVAL_RUN_LOCK, run_lock_params, finalize_checked },
	{ SQL_EVAL_RUN_FINALIZE, finalize_params, run_changed },
	{ 0, NULL, NULL },
} };

/* Delete a draft or a provisional run; a public one stays for good. */
static int
delete_params(struct req *r, struct qparams *q)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;

	qp_audit(q, r);
	qp_i64(q, in->run_id);
	return (0);
}

static int
deleted(struct req *r, PGresult *res)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;
	const char			*st;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, "no such run"));
	st = pg_get(res, 0, "status");
	if (strcmp(st, "draft") != 0 && strcmp(st, "provisional") != 0) {
		viols_add(&r->v, "run_id", "evaluation.immutable", "run %lld is "
		    "%s: its results can no longer change",
		    (long long)in->run_id, st);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "a published run is kept for good"));
	}
	return (run_row(r, res));
}

static const struct plan delete = { "DeleteEvaluationRun", 1,
    (const struct step[]) {
	{ SQL_EVAL_RUN_DELETE, delete_params, deleted },
	{ 0, NULL, NULL },
} };

/* GetEvaluationRun: operators see public runs only. */
static int
run_get_params(struct req *r, struct qparams *q)
{
	Parkd__V1__EvaluationRunRequest	*in = (void *)r->in;

	qp_i64(q, in->run_id);
	qp_i64(q, auth_scope(r));
	return (0);
}

static const struct plan run_get = { "GetEvaluationRun", 0,
    (const struct step[]) {
	{ SQL_EVAL_RUN_GET, run_get_params, run_row },
	{ 0, NULL, NULL },
} };

/* ListEvaluationRuns: of a year or all; operators, public ones. */
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

/* A JSON array of strings into r's arena. */
static char **
json_strings(struct req *r, const char *text, size_t *n)
{
	json_t	*a, *v;
	char	**out;
	size_t	 k;

	*n = 0;
	if ((a = json_loads(text, 0, NULL)) == NULL)
		return (NULL);
	out = req_alloc(r, (json_array_size(a) + 1) * sizeof(char *));
	json_array_foreach(a, k, v) {
		if (out != NULL)
			out[(*n)++] = req_strdup(r, json_string_value(v));
	}
	json_decref(a);
	return (out);
}

static void
result_from_row(struct req *r, PGresult *res, int i,
    Parkd__V1__EvaluationResult *o)
{
	parkd__v1__evaluation_result__init(o);
	o->run_id = pg_i64(res, i, "run_id");
	o->park_code = (char *)pg_get(res, i, "park_code");
	o->park_name = (char *)pg_get(res, i, "park_name");
	o->district = (char *)pg_get(res, i, "district");
	o->rank = (int32_t)pg_i64(res, i, "rank");
	o->position = (int32_t)pg_i64(res, i, "position");
	o->total_cp = (int32_t)pg_i64(res, i, "total_cp");
	o->grade = (char *)pg_get(res, i, "grade");
	o->grade_name = (char *)pg_get(res, i, "grade_name");
	o->eligible = pg_bool(res, i, "eligible");
	o->grade_amount_fen = pg_i64(res, i, "grade_amount");
	o->amount_fen = pg_i64(res, i, "amount");
	o->subsidy_fen = pg_i64(res, i, "subsidy");
	o->consecutive_fails = (int32_t)pg_i64(res, i, "consecutive_fails");
	o->reasons = json_strings(r, pg_get(res, i, "reasons"), &o->n_reasons);
	o->reason_codes = json_strings(r, pg_get(res, i, "reason_codes"),
	    &o->n_reason_codes);
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
	if (auth_scope(r) != 0)
		qp_stmt(q, SQL_EVAL_RESULT_LIST_SCOPED);
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

	return (step_reply_page(r, res, results_page(in->page_size),
	    &parkd__v1__list_evaluation_results_response__descriptor,
	    "position", result_fill));
}

static const struct plan results_list = { "ListEvaluationResults", 0,
    (const struct step[]) {
	{ SQL_EVAL_RESULT_LIST, results_params, results_listed },
	{ 0, NULL, NULL },
} };

/* Published, final or superseded: seen by the parks it grades. */
static int
run_public(const char *status)
{
	return (strcmp(status, "published") == 0 ||
	    strcmp(status, "final") == 0 || strcmp(status, "superseded") == 0);
}

/* GetEvaluationResult: operators, their park's result of public runs. */
static int
result_params(struct req *r, struct qparams *q)
{
	Parkd__V1__GetEvaluationResultRequest	*in = (void *)r->in;

	qp_i64(q, in->run_id);
	qp_str(q, in->park_code);
	qp_bool(q, run_defs_kept(in->run_id) == NULL);
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
	    !run_public(pg_get(res, 0, "status"))))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may read only its own park's results of "
		    "published runs"));
	if ((o = req_alloc(r, sizeof(*o))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	result_from_row(r, res, 0, o);
	if (result_indicators(r, res, o) != 0)
		return (STEP_DONE);
	return (step_reply(r, &o->base));
}

static const struct plan result_get = { "GetEvaluationResult", 0,
    (const struct step[]) {
	{ SQL_EVAL_RESULT_GET, result_params, result_row },
	{ 0, NULL, NULL },
} };

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_eval_methods[] = {
	{ .name = "CreateEvaluationRun", .handler = svc_eval_create,
	    .roles = ROLE_BUREAU },
	{ .name = "PublishEvaluationRun", .plan = &publish,
	    .roles = ROLE_BUREAU },
	{ .name = "FinalizeEvaluationRun", .plan = &finalize,
	    .roles = ROLE_BUREAU },
	{ .name = "DeleteEvaluationRun", .plan = &delete,
	    .roles = ROLE_BUREAU },
	{ .name = "GetEvaluationRun", .ro = 1, .plan = &run_get,
	    .roles = ROLES_ALL },
	{ .name = "ListEvaluationRuns", .ro = 1, .plan = &run_list,
	    .roles = ROLES_ALL },
	{ .name = "ListEvaluationResults", .ro = 1, .plan = &results_list,
	    .roles = ROLES_ALL },
	{ .name = "GetEvaluationResult", .ro = 1, .plan = &result_get,
	    .roles = ROLES_ALL },
	{ .name = "SetEvaluationBudget", .plan = &eval_budget,
	    .roles = ROLE_BUREAU },
	{ .name = "AddAward", .plan = &eval_award,
	    .roles = ROLE_BUREAU },
	{ .name = "FileObjection", .plan = &objection_file,
	    .roles = ROLE_OPERATOR },
	{ .name = "AnswerObjection", .plan = &objection_answer,
	    .roles = ROLE_BUREAU },
	{ .name = "ListObjections", .ro = 1, .plan = &objection_list,
	    .roles = ROLES_ALL },
	{ .name = "GetObjectionEvidence", .plan = &objection_evidence,
	    .roles = ROLE_ADMIN | ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = NULL }
};
