/*
 * Integration tests of the evaluation: a run over the test parks, publish
 * then attempts to change it, the same inputs recomputed, and an operator
 * reading another park's result. Included by integration.c.
 */

#include "it.h"

static int64_t	 eval_run_id;

static int64_t
create_run(struct parkc *pc, int year, Parkd__V1__EvaluationRun *copy)
{
	Parkd__V1__CreateEvaluationRunRequest req =
	    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
	struct parkc_result	 res;
	int64_t			 id;

	req.year = year;
	if (call(pc, "CreateEvaluationRun", &req.base, &res) != 0)
		fail_msg("CreateEvaluationRun: %s", res.message);
	id = ((Parkd__V1__EvaluationRun *)res.body)->id;
	if (copy != NULL) {
		Parkd__V1__EvaluationRun *r =
		    (Parkd__V1__EvaluationRun *)res.body;

		copy->parks = r->parks;
		copy->total_fen = r->total_fen;
		copy->requested_fen = r->requested_fen;
		copy->budget_fen = r->budget_fen;
		copy->remainder_fen = r->remainder_fen;
	}
	parkc_result_free(&res);
	return (id);
}

static void
story_eval_run(void **state)
{
	struct parkc		*bu = as("bureau", addr1);
	Parkd__V1__AddAwardRequest aw = PARKD__V1__ADD_AWARD_REQUEST__INIT;
	Parkd__V1__Award	 a;
	Parkd__V1__SetEvaluationBudgetRequest b =
	    PARKD__V1__SET_EVALUATION_BUDGET_REQUEST__INIT;
	Parkd__V1__GetEvaluationResultRequest g =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	Parkd__V1__EvaluationRun r = PARKD__V1__EVALUATION_RUN__INIT;
	Parkd__V1__EvaluationResult *o;
	struct parkc_result	 res;
	char			 q[256];
	size_t			 i;
	int			 found = 0;

	(void)state;
	parkd__v1__award__init(&a);
	a.park_code = "IT-A";
	a.year = 2026;
	a.kind = "incubation_base";
	a.amount_fen = 100000000;
	aw.award = &a;
	expect(bu, "AddAward", &aw.base, 0);
	b.year = 2026;
	b.amount_fen = 25000000;			/* 250,000.00 yuan */
	expect(bu, "SetEvaluationBudget", &b.base, 0);
	eval_run_id = create_run(bu, 2026, &r);
	assert_true(r.parks >= 3);
	assert_int_equal(r.budget_fen, 25000000);
	assert_true(r.total_fen <= 25000000);
	assert_int_equal(r.remainder_fen, 25000000 - r.total_fen);
	/* the stored results add up to the run's total, each within the cap */
	snprintf(q, sizeof(q), "SELECT sum(subsidy) FROM evaluation_results "
	    "WHERE run_id = %lld", (long long)eval_run_id);
	assert_int_equal(sql_int(q), r.total_fen);
	snprintf(q, sizeof(q), "SELECT count(*) FROM evaluation_results WHERE "
	    "run_id = %lld AND (subsidy > 50000000 OR subsidy < 0 OR subsidy > "
	    "amount)", (long long)eval_run_id);
	assert_int_equal(sql_int(q), 0);
	/* IT-A holds the award: nothing on top of it, and says why */
	g.run_id = eval_run_id;
	g.park_code = "IT-A";
	assert_int_equal(call(bu, "GetEvaluationResult", &g.base, &res), 0);
	o = (Parkd__V1__EvaluationResult *)res.body;
	assert_int_equal(o->subsidy_fen, 0);
	assert_int_equal(o->n_indicators, 16);
	for (i = 0; i < o->n_reasons; i++)
		found |= strstr(o->reasons[i], "不重复享受") != NULL ||
		    strstr(o->reasons[i], "门槛") != NULL;
	assert_true(found);
	/* every indicator explains itself */
	assert_string_equal(o->indicators[0]->key, "tenants");
	assert_true(o->indicators[0]->raw >= 1);
	parkc_result_free(&res);
	parkc_close(bu);
}

static void
story_eval_publish_immutable(void **state)
{
	struct parkc			*bu = as("bureau", addr2);
	Parkd__V1__EvaluationRunRequest	 req =
	    PARKD__V1__EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationRun	 r2 = PARKD__V1__EVALUATION_RUN__INIT;
	struct parkc_result		 res;
	PGconn				*pg;
	PGresult			*x;
	char				 q[1024];
	int64_t				 again;

	(void)state;
	req.run_id = eval_run_id;
	assert_int_equal(call(bu, "PublishEvaluationRun", &req.base, &res), 0);
	assert_string_equal(((Parkd__V1__EvaluationRun *)res.body)->status,
	    "published");
	parkc_result_free(&res);
	expect(bu, "PublishEvaluationRun", &req.base,
	    CODE(FAILED_PRECONDITION));
	assert_int_equal(call(bu, "DeleteEvaluationRun", &req.base, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "run_id", "evaluation.immutable"));
	parkc_result_free(&res);
	/* not even the database lets it change */
	pg = PQconnectdb(getenv("PARKD_DSN"));
	snprintf(q, sizeof(q), "UPDATE evaluation_results SET subsidy = 1 "
	    "WHERE run_id = %lld", (long long)eval_run_id);
	x = PQexec(pg, q);
	assert_int_equal(PQresultStatus(x), PGRES_FATAL_ERROR);
	assert_non_null(strstr(PQerrorMessage(pg), "immutable"));
	PQclear(x);
	PQfinish(pg);
	/* 不合格 parks were warned */
	snprintf(q, sizeof(q), "SELECT count(*) FROM evaluation_results er "
	    "JOIN parks p ON p.id = er.park_id WHERE er.run_id = %lld AND "
	    "er.grade = 'D' AND p.status NOT IN ('warned', 'exited')",
	    (long long)eval_run_id);
	assert_int_equal(sql_int(q), 0);

	/* the same inputs again: identical, to the fen */
	again = create_run(bu, 2026, &r2);
	snprintf(q, sizeof(q), "SELECT count(*) FROM ((SELECT park_id, rank, "
	    "total_cp, grade, eligible, amount, subsidy, reasons, indicators "
	    "FROM evaluation_results WHERE run_id = %lld EXCEPT SELECT park_id, "
	    "rank, total_cp, grade, eligible, amount, subsidy, reasons, "
	    "indicators FROM evaluation_results WHERE run_id = %lld) UNION ALL "
	    "(SELECT park_id, rank, total_cp, grade, eligible, amount, subsidy, "
	    "reasons, indicators FROM evaluation_results WHERE run_id = %lld "
	    "EXCEPT SELECT park_id, rank, total_cp, grade, eligible, amount, "
	    "subsidy, reasons, indicators FROM evaluation_results WHERE run_id "
	    "= %lld)) d", (long long)eval_run_id, (long long)again,
	    (long long)again, (long long)eval_run_id);
	assert_int_equal(sql_int(q), 0);
	snprintf(q, sizeof(q), "SELECT total FROM evaluation_runs WHERE id = "
	    "%lld", (long long)eval_run_id);
	assert_int_equal(sql_int(q), r2.total_fen);
	/* a draft can go; the published one stays */
	req.run_id = again;
	expect(bu, "DeleteEvaluationRun", &req.base, 0);
	parkc_close(bu);
}

static void
story_eval_operator(void **state)
{
	struct parkc			*op = as("opA", addr1);
	struct parkc			*bu = as("bureau", addr1);
	Parkd__V1__GetEvaluationResultRequest g =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	Parkd__V1__ListEvaluationResultsRequest l =
	    PARKD__V1__LIST_EVALUATION_RESULTS_REQUEST__INIT;
	struct parkc_result		 res;
	int64_t				 draft;

	(void)state;
	g.run_id = eval_run_id;
	g.park_code = "IT-B";
	expect(op, "GetEvaluationResult", &g.base, CODE(PERMISSION_DENIED));
	g.park_code = "IT-A";
	expect(op, "GetEvaluationResult", &g.base, 0);
	/* a draft: not even its own park (drafts are the bureau's alone) */
	draft = create_run(bu, 2026, NULL);
	g.run_id = draft;
	expect(op, "GetEvaluationResult", &g.base, CODE(NOT_FOUND));
	/* the ranking shows an operator its own park only */
	l.run_id = eval_run_id;
	assert_int_equal(call(op, "ListEvaluationResults", &l.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListEvaluationResultsResponse *)
	    res.body)->n_results, 1);
	parkc_result_free(&res);
	expect(op, "CreateEvaluationRun", &l.base, CODE(PERMISSION_DENIED));
	parkc_close(op);
	parkc_close(bu);
}

static void
publish_run(struct parkc *pc, int64_t id)
{
	Parkd__V1__EvaluationRunRequest	 req =
	    PARKD__V1__EVALUATION_RUN_REQUEST__INIT;

	req.run_id = id;
	expect(pc, "PublishEvaluationRun", &req.base, 0);
}

static int
result_fails(struct parkc *pc, int64_t run, const char *park, char *grade)
{
	Parkd__V1__GetEvaluationResultRequest g =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	struct parkc_result	 res;
	int			 n;

	g.run_id = run;
	g.park_code = (char *)park;
	if (call(pc, "GetEvaluationResult", &g.base, &res) != 0)
		fail_msg("GetEvaluationResult %s: %s", park, res.message);
	n = ((Parkd__V1__EvaluationResult *)res.body)->consecutive_fails;
	snprintf(grade, 4, "%s", ((Parkd__V1__EvaluationResult *)res.body)->grade);
	parkc_result_free(&res);
	return (n);
}

/*
 * 不合格 two years running proposes the exit; so does a year in which an
 * admitted park did not take part, followed by a 不合格.
 */
void
test_eval_consecutive_fails(void **state)
{
	struct parkc			*bu = as("bureau", addr1);
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;
	int64_t				 r24, r25;
	char				 g[4];

	(void)state;
	rules_city();
	park_init(&p, "IT-F", "莱西市");
	p.admitted_on = "2023-06-01";
	cp.park = &p;
	expect(bu, "CreatePark", &cp.base, 0);
	r24 = create_run(bu, 2024, NULL);
	assert_int_equal(result_fails(bu, r24, "IT-F", g), 1);
	assert_string_equal(g, "D");		/* no tenants, no activity */
	publish_run(bu, r24);
	/* IT-G existed in 2024 but was not in its published run */
	park_init(&p, "IT-G", "莱西市");
	p.admitted_on = "2023-06-01";
	expect(bu, "CreatePark", &cp.base, 0);
	r25 = create_run(bu, 2025, NULL);
	assert_int_equal(result_fails(bu, r25, "IT-F", g), 2);
	assert_int_equal(result_fails(bu, r25, "IT-G", g), 2);
	publish_run(bu, r25);
	assert_true(sweep_has(bu, "2026-06-01", "IT-F", "park.exit_evaluation"));
	assert_true(sweep_has(bu, "2026-06-01", "IT-G", "park.exit_evaluation"));
	assert_false(sweep_has(bu, "2026-06-01", "IT-A", "park.exit_evaluation"));
	parkc_close(bu);
}

/*
 * The first three tests are one story over the city of rules_it.c: a run
 * (eval_run_id), its publication, an operator reading it. A test runs the
 * steps before its own first, so the tests may run in any order.
 */
static void (*const story[])(void **) = { story_eval_run,
    story_eval_publish_immutable, story_eval_operator };
static size_t	 story_done;

static void
story_to(size_t step)
{
	rules_city();
	while (story_done <= step)
		story[story_done++](NULL);
}

void
test_eval_run(void **state)
{
	(void)state;
	story_to(0);
}

void
test_eval_publish_immutable(void **state)
{
	(void)state;
	story_to(1);
}

void
test_eval_operator(void **state)
{
	(void)state;
	story_to(2);
}
