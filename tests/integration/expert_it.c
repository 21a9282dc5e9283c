/*
 * Integration tests of the expert scores: assignment by the bureau,
 * scoring once, what an expert may read before and after its own scores,
 * a declared conflict of interest, and the evaluation's aggregate.
 *
 * The test years 2015-2016 have their own policy (it-2015: two expert
 * indicators in the services dimension, plain mean) and parks EX-A, EX-B
 * (西海岸新区); experts ex1, ex2, ex3.
 */
#include "it.h"

#define EX_YEAR	2016

static void
ex_policy(void)
{
	const char *const edits[][2] = {
	    { "name = \"qingdao-2024\";", "name = \"it-2015\";" },
	    { "years = [2024, 2026];", "years = [2015, 2016];" },
	    { "use_declarations = false;", "use_declarations = false;\n"
	      "    expert_aggregation = \"mean\";" },
	    { expert_indicators_edit[0], expert_indicators_edit[1] } };

	upload_policy_variant(edits, sizeof(edits) / sizeof(edits[0]));
}

static int
reviews(struct parkc *pc, const char *park, struct parkc_result *res)
{
	Parkd__V1__ListScoresRequest	 req =
	    PARKD__V1__LIST_SCORES_REQUEST__INIT;

	req.park_code = (char *)park;
	req.year = EX_YEAR;
	return (call(pc, "ListScores", &req.base, res));
}

void
test_experts(void **state)
{
	struct parkc		*admin = as("admin", addr1);
	struct parkc		*bu = as("bureau", addr1);
	struct parkc		*e1, *e2, *e3, *op = as("opA", addr1);
	Parkd__V1__CreateParkRequest cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park		 p;
	Parkd__V1__ListScoresResponse *ls;
	struct parkc_result	 res;
	static const char *const keys[] = { "service_quality",
	    "industry_focus" };
	static const char *const bad[] = { "service_quality", "tenants" };
	static const int	 s1[] = { 8000, 6000 }, s2[] = { 9000, 7000 };
	static const int	 over[] = { 10001, 10 };
	size_t			 i;
	int			 seen = 0;

	(void)state;
	ex_policy();
	park_init(&p, "EX-A", "西海岸新区");
	p.admitted_on = "2014-01-01";
	cp.park = &p;
	expect(bu, "CreatePark", &cp.base, 0);
	park_init(&p, "EX-B", "西海岸新区");
	p.admitted_on = "2014-01-01";
	expect(bu, "CreatePark", &cp.base, 0);
	add_principal(admin, "ex1", "expert", "");
	add_principal(admin, "ex2", "expert", "");
	add_principal(admin, "ex3", "expert", "");
	parkc_close(admin);
	e1 = as("ex1", addr1);
	e2 = as("ex2", addr2);
	e3 = as("ex3", addr1);

	/* the bureau assigns; once per expert, park and year */
	assert_int_equal(assign_expert(bu, EX_YEAR, "ex1", "EX-A"), 0);
	assert_int_equal(assign_expert(bu, EX_YEAR, "ex2", "EX-A"), 0);
	assert_int_equal(assign_expert(bu, EX_YEAR, "ex3", "EX-A"), 0);
	assert_int_equal(assign_expert(bu, EX_YEAR, "ex1", "EX-B"), 0);
	assert_int_equal(assign_expert(bu, EX_YEAR, "ex1", "EX-B"),
	    CODE(ALREADY_EXISTS));
	assert_int_equal(assign_expert(bu, EX_YEAR, "nobody-here", "EX-B"),
	    CODE(NOT_FOUND));
	assert_int_equal(assign_expert(bu, EX_YEAR, "opA", "EX-B"),
	    CODE(NOT_FOUND));
	assert_int_equal(assign_expert(op, EX_YEAR, "ex2", "EX-B"),
	    CODE(PERMISSION_DENIED));
	assert_int_equal(assign_expert(e1, EX_YEAR, "ex2", "EX-B"),
	    CODE(PERMISSION_DENIED));

	/* no score of an unassigned park; no peeking before one's own */
	assert_int_equal(submit_scores(e2, EX_YEAR, "EX-B", keys, s2, 2, NULL),
	    CODE(PERMISSION_DENIED));
	assert_int_equal(reviews(e1, "EX-A", &res), CODE(PERMISSION_DENIED));
	parkc_result_free(&res);
	assert_int_equal(reviews(e2, "EX-B", &res), CODE(PERMISSION_DENIED));
	parkc_result_free(&res);
	assert_int_equal(reviews(op, "EX-A", &res), CODE(PERMISSION_DENIED));
	parkc_result_free(&res);

	/* every expert indicator once, 0..10000 */
	assert_int_equal(submit_scores(e1, EX_YEAR, "EX-A", keys, s1, 1, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "scores", "expert.missing"));
	parkc_result_free(&res);
	assert_int_equal(submit_scores(e1, EX_YEAR, "EX-A", bad, s1, 2, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "scores[1]", "expert.indicator"));
	parkc_result_free(&res);
	assert_int_equal(submit_scores(e1, EX_YEAR, "EX-A", keys, over, 2, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "scores[0]", "range"));
	parkc_result_free(&res);
	if (submit_scores(e1, EX_YEAR, "EX-A", keys, s1, 2, &res) != 0)
		fail_msg("SubmitScores: %s (%s)", res.message,
		    res.status && res.status->n_violations ?
		    res.status->violations[0]->message : "");
	parkc_result_free(&res);
	assert_int_equal(submit_scores(e1, EX_YEAR, "EX-A", keys, s2, 2, NULL),
	    CODE(FAILED_PRECONDITION));

	/* its own in: the others' are visible (ex2 has none yet) */
	assert_int_equal(reviews(e1, "EX-A", &res), 0);
	ls = (Parkd__V1__ListScoresResponse *)res.body;
	assert_int_equal(ls->n_reviews, 3);
	for (i = 0; i < ls->n_reviews; i++) {
		if (strcmp(ls->reviews[i]->expert, "ex1") == 0) {
			assert_int_equal(ls->reviews[i]->n_scores, 2);
			seen++;
		}
		if (strcmp(ls->reviews[i]->expert, "ex2") == 0) {
			assert_int_equal(ls->reviews[i]->n_scores, 0);
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	parkc_result_free(&res);

	/* a conflict of interest: declared, then no score */
	{
		Parkd__V1__DeclareConflictRequest dc =
		    PARKD__V1__DECLARE_CONFLICT_REQUEST__INIT;

		dc.park_code = "EX-A";
		dc.year = EX_YEAR;
		dc.reason = "曾任该园区运营机构顾问";
		expect(e3, "DeclareConflict", &dc.base, 0);
		expect(e3, "DeclareConflict", &dc.base,
		    CODE(FAILED_PRECONDITION));
	}
	assert_int_equal(submit_scores(e3, EX_YEAR, "EX-A", keys, s2, 2, NULL),
	    CODE(FAILED_PRECONDITION));
	assert_int_equal(submit_scores(e2, EX_YEAR, "EX-A", keys, s2, 2, NULL),
	    0);
	/* the bureau sees every expert's scores, and the conflict */
	assert_int_equal(reviews(bu, "EX-A", &res), 0);
	ls = (Parkd__V1__ListScoresResponse *)res.body;
	for (seen = 0, i = 0; i < ls->n_reviews; i++)
		seen += *ls->reviews[i]->conflict != '\0';
	assert_int_equal(seen, 1);
	parkc_result_free(&res);
	{
		Parkd__V1__ListAssignmentsRequest la =
		    PARKD__V1__LIST_ASSIGNMENTS_REQUEST__INIT;

		la.year = EX_YEAR;
		assert_int_equal(call(e1, "ListAssignments", &la.base, &res), 0);
		assert_int_equal(((Parkd__V1__ListAssignmentsResponse *)
		    res.body)->n_assignments, 2);
		parkc_result_free(&res);
		assert_int_equal(call(bu, "ListAssignments", &la.base, &res), 0);
		assert_int_equal(((Parkd__V1__ListAssignmentsResponse *)
		    res.body)->n_assignments, 4);
		parkc_result_free(&res);
	}

	/* the evaluation: the mean of the two experts who scored */
	{
		Parkd__V1__CreateEvaluationRunRequest cr =
		    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
		Parkd__V1__GetEvaluationResultRequest g =
		    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
		Parkd__V1__EvaluationResult	*o;
		int				 found = 0;

		cr.year = EX_YEAR;
		assert_int_equal(call(bu, "CreateEvaluationRun", &cr.base,
		    &res), 0);
		g.run_id = ((Parkd__V1__EvaluationRun *)res.body)->id;
		parkc_result_free(&res);
		g.park_code = "EX-A";
		assert_int_equal(call(bu, "GetEvaluationResult", &g.base, &res),
		    0);
		o = (Parkd__V1__EvaluationResult *)res.body;
		for (i = 0; i < o->n_indicators; i++) {
			if (strcmp(o->indicators[i]->key, "service_quality") ==
			    0) {
				assert_int_equal(o->indicators[i]->raw, 8500);
				assert_int_equal(o->indicators[i]->score_cp,
				    8500);
				assert_string_equal(o->indicators[i]->unit, "cp");
				found++;
			}
			if (strcmp(o->indicators[i]->key, "industry_focus") ==
			    0) {
				assert_int_equal(o->indicators[i]->raw, 6500);
				found++;
			}
		}
		assert_int_equal(found, 2);
		parkc_result_free(&res);
		g.park_code = "EX-B";		/* ex1 never scored it */
		assert_int_equal(call(bu, "GetEvaluationResult", &g.base, &res),
		    0);
		o = (Parkd__V1__EvaluationResult *)res.body;
		for (found = 0, i = 0; i < o->n_reasons; i++)
			found += strstr(o->reasons[i], "无专家评分") != NULL;
		assert_int_equal(found, 1);
		parkc_result_free(&res);
	}
	parkc_close(e1);
	parkc_close(e2);
	parkc_close(e3);
	parkc_close(op);
	parkc_close(bu);
}
