/*
 * Integration tests of the evaluation: a run over the test parks, publish
 * then attempts to change it, the same inputs recomputed, and an operator
 * reading another park's result. Included by integration.c.
 */

#include "it.h"

static int64_t	 eval_run_id;

/* The evaluation's test years, 2019-2023 (ended), and their policy. */
#define EV_YEAR		2021
#define EV_CHAIN_YEAR	2020

static int64_t
create_run_req(struct parkc *pc, Parkd__V1__CreateEvaluationRunRequest *req,
    Parkd__V1__EvaluationRun *copy)
{
	struct parkc_result	 res;
	int64_t			 id;

	if (call(pc, "CreateEvaluationRun", &req->base, &res) != 0)
		fail_msg("CreateEvaluationRun %d: %s", req->year, res.message);
	id = ((Parkd__V1__EvaluationRun *)res.body)->id;
	if (copy != NULL) {
		Parkd__V1__EvaluationRun *r =
		    (Parkd__V1__EvaluationRun *)res.body;

		copy->parks = r->parks;
		copy->total_fen = r->total_fen;
		copy->requested_fen = r->requested_fen;
		copy->budget_fen = r->budget_fen;
		copy->remainder_fen = r->remainder_fen;
		copy->status = strcmp(r->status, "provisional") == 0 ?
		    "provisional" : strcmp(r->status, "draft") == 0 ? "draft" :
		    "other";
	}
	parkc_result_free(&res);
	return (id);
}

static int64_t
create_run(struct parkc *pc, int year, Parkd__V1__EvaluationRun *copy)
{
	Parkd__V1__CreateEvaluationRunRequest req =
	    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;

	req.year = year;
	return (create_run_req(pc, &req, copy));
}

/* A run-changing call; its reply's status and warned list, or the code. */
static int
run_change(struct parkc *pc, const char *method, int64_t run, char *status,
    size_t slen, char *warned, size_t wlen, struct parkc_result *keep)
{
	Parkd__V1__EvaluationRunRequest	 req =
	    PARKD__V1__EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationRun	*o;
	struct parkc_result		 res;
	size_t				 i;
	int				 code;

	req.run_id = run;
	code = call(pc, method, &req.base, &res);
	if (code == 0) {
		o = (Parkd__V1__EvaluationRun *)res.body;
		snprintf(status, slen, "%s", o->status);
		warned[0] = '\0';
		for (i = 0; i < o->n_warned; i++) {
			strncat(warned, o->warned[i], wlen - strlen(warned) - 1);
			strncat(warned, ",", wlen - strlen(warned) - 1);
		}
	}
	if (keep != NULL)
		*keep = res;
	else
		parkc_result_free(&res);
	return (code);
}

static void
publish_run(struct parkc *pc, int64_t id)
{
	char	 st[16], w[512];

	if (run_change(pc, "PublishEvaluationRun", id, st, sizeof(st), w,
	    sizeof(w), NULL) != 0)
		fail_msg("PublishEvaluationRun %lld refused", (long long)id);
	assert_string_equal(st, "published");
}

/*
 * The notice of run id ends yesterday: time passes in the database (the
 * superuser, triggers off for this one change), as no test waits a week.
 */
static void
notice_over(int64_t id)
{
	char	 q[256];

	snprintf(q, sizeof(q), "SET session_replication_role = replica; WITH "
	    "u AS (UPDATE evaluation_runs SET notice_until = current_date - 1 "
	    "WHERE id = %lld RETURNING 1) SELECT count(*) FROM u",
	    (long long)id);
	assert_int_equal(sql_int(q), 1);
}

static void
finalize_run(struct parkc *pc, int64_t id, char *warned, size_t wlen)
{
	char	 st[16];

	notice_over(id);
	if (run_change(pc, "FinalizeEvaluationRun", id, st, sizeof(st), warned,
	    wlen, NULL) != 0)
		fail_msg("FinalizeEvaluationRun %lld refused", (long long)id);
	assert_string_equal(st, "final");
}

/*
 * The policy of the test years 2019-2023: the shipped one, with 不合格
 * paying 10,000 yuan (so a gate's cut shows beside the grade's amount) and
 * two expert indicators in the services dimension.
 */
static void
old_years_policy(void)
{
	const char *const edits[][2] = {
	    { "name = \"qingdao-2024\";", "name = \"it-2019\";" },
	    { "years = [2024, 2026];", "years = [2019, 2023];" },
	    { "min_score = 0; amount_fen = 0;",
	      "min_score = 0; amount_fen = 1000000;" },
	    { expert_indicators_edit[0], expert_indicators_edit[1] } };

	upload_policy_variant(edits, sizeof(edits) / sizeof(edits[0]));
}

static void
ev_park(struct parkc *bu, const char *code, const char *admitted)
{
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;

	park_init(&p, code, "城阳区");
	p.admitted_on = (char *)admitted;
	cp.park = &p;
	expect(bu, "CreatePark", &cp.base, 0);
}

static Parkd__V1__EvaluationResult *
get_result(struct parkc *pc, int64_t run, const char *park,
    struct parkc_result *res)
{
	Parkd__V1__GetEvaluationResultRequest g =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;

	g.run_id = run;
	g.park_code = (char *)park;
	if (call(pc, "GetEvaluationResult", &g.base, res) != 0)
		fail_msg("GetEvaluationResult %s: %s", park, res->message);
	return ((Parkd__V1__EvaluationResult *)res->body);
}

static int
has_reason(const Parkd__V1__EvaluationResult *o, const char *part)
{
	size_t	 i;

	for (i = 0; i < o->n_reasons; i++)
		if (strstr(o->reasons[i], part) != NULL)
			return (1);
	return (0);
}

/*
 * GetEvaluationResult reads a result of the older form (schema 0012: its
 * indicators as JSON, no arrays) as it read the new one, and a result
 * whose figures do not match its run's indicators gives INTERNAL with the
 * run and park named, not a crash. The row is put back as it was.
 */
static void
check_result_forms(struct parkc *bu, int64_t run, const char *park)
{
	Parkd__V1__EvaluationResult	*a, *b;
	struct parkc_result		 ra, rb;
	char				 q[1024], where[128];
	size_t				 i;

	snprintf(where, sizeof(where), "WHERE run_id = %lld AND park_code = "
	    "'%s'", (long long)run, park);
	a = get_result(bu, run, park, &ra);
	assert_true(a->n_indicators > 0);
	/* the reply's figures are the stored ones, each in its place */
	for (i = 0; i < a->n_indicators; i++) {
		snprintf(q, sizeof(q), "SELECT raw * 3 + score_cp * 5 + "
		    "contribution_cp * 7 + weight * 11 FROM "
		    "evaluation_result_indicators %s AND key = '%s'", where,
		    a->indicators[i]->key);
		assert_int_equal(sql_int(q), a->indicators[i]->raw * 3 +
		    a->indicators[i]->score_cp * 5 +
		    a->indicators[i]->contribution_cp * 7 +
		    a->indicators[i]->weight * 11);
	}
	snprintf(q, sizeof(q), "WITH u AS (UPDATE evaluation_results er SET "
	    "indicators = (SELECT jsonb_agg(jsonb_build_object('key', i.key, "
	    "'name', i.name, 'dimension', i.dimension, 'raw', i.raw, 'unit', "
	    "i.unit, 'score_cp', i.score_cp, 'weight', i.weight, "
	    "'contribution_cp', i.contribution_cp) ORDER BY i.n) FROM "
	    "evaluation_result_indicators i WHERE i.run_id = er.run_id AND "
	    "i.park_id = er.park_id), raw = NULL, score_cp = NULL, "
	    "contribution_cp = NULL %s RETURNING 1) SELECT count(*) FROM u",
	    where);
	assert_int_equal(sql_int(q), 1);
	b = get_result(bu, run, park, &rb);
	assert_int_equal(b->n_indicators, a->n_indicators);
	for (i = 0; i < a->n_indicators; i++) {
		assert_string_equal(b->indicators[i]->key, a->indicators[i]->key);
		assert_string_equal(b->indicators[i]->name,
		    a->indicators[i]->name);
		assert_string_equal(b->indicators[i]->unit,
		    a->indicators[i]->unit);
		assert_int_equal(b->indicators[i]->raw, a->indicators[i]->raw);
		assert_int_equal(b->indicators[i]->weight,
		    a->indicators[i]->weight);
		assert_int_equal(b->indicators[i]->score_cp,
		    a->indicators[i]->score_cp);
		assert_int_equal(b->indicators[i]->contribution_cp,
		    a->indicators[i]->contribution_cp);
	}
	parkc_result_free(&rb);
	/* back to the arrays, one figure too many */
	snprintf(q, sizeof(q), "WITH u AS (UPDATE evaluation_results er SET "
	    "raw = (SELECT array_agg(i.raw ORDER BY i.n) || 0::bigint FROM "
	    "evaluation_result_indicators i WHERE i.run_id = er.run_id AND "
	    "i.park_id = er.park_id), score_cp = (SELECT array_agg(i.score_cp "
	    "ORDER BY i.n) FROM evaluation_result_indicators i WHERE i.run_id "
	    "= er.run_id AND i.park_id = er.park_id), contribution_cp = "
	    "(SELECT array_agg(i.contribution_cp ORDER BY i.n) FROM "
	    "evaluation_result_indicators i WHERE i.run_id = er.run_id AND "
	    "i.park_id = er.park_id) %s RETURNING 1) SELECT count(*) FROM u",
	    where);
	assert_int_equal(sql_int(q), 1);
	snprintf(q, sizeof(q), "WITH u AS (UPDATE evaluation_results SET "
	    "indicators = NULL %s RETURNING 1) SELECT count(*) FROM u", where);
	assert_int_equal(sql_int(q), 1);
	{
		Parkd__V1__GetEvaluationResultRequest g =
		    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;

		g.run_id = run;
		g.park_code = (char *)park;
		assert_int_equal(call(bu, "GetEvaluationResult", &g.base, &rb),
		    CODE(INTERNAL));
		assert_non_null(strstr(rb.message, park));
		assert_non_null(strstr(rb.message, "does not match"));
		parkc_result_free(&rb);
	}
	snprintf(q, sizeof(q), "WITH u AS (UPDATE evaluation_results SET raw "
	    "= raw[1:array_length(raw, 1) - 1] %s RETURNING 1) SELECT count(*) "
	    "FROM u", where);
	assert_int_equal(sql_int(q), 1);
	b = get_result(bu, run, park, &rb);
	assert_int_equal(b->n_indicators, a->n_indicators);
	assert_int_equal(b->indicators[0]->raw, a->indicators[0]->raw);
	parkc_result_free(&rb);
	parkc_result_free(&ra);
}

static void
story_eval_run(void **state)
{
	struct parkc		*bu = as("bureau", addr1);
	struct parkc		*admin = as("admin", addr1);
	Parkd__V1__AddAwardRequest aw = PARKD__V1__ADD_AWARD_REQUEST__INIT;
	Parkd__V1__Award	 a;
	Parkd__V1__SetEvaluationBudgetRequest b =
	    PARKD__V1__SET_EVALUATION_BUDGET_REQUEST__INIT;
	Parkd__V1__CreateEvaluationRunRequest cr =
	    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationRun r = PARKD__V1__EVALUATION_RUN__INIT;
	Parkd__V1__EvaluationResult *o, *o2;
	struct parkc_result	 res, res2;
	char			 q[256], st[16], w[256];
	int64_t			 prov;

	(void)state;
	old_years_policy();
	ev_park(bu, "EV-A", "2020-01-01");
	ev_park(bu, "EV-B", "2020-01-01");
	ev_park(bu, "EV-L", "2021-03-01");	/* admitted during the year */
	add_principal(admin, "evA", "operator", "EV-A");
	add_principal(admin, "evB", "operator", "EV-B");
	add_principal(admin, "ex4", "expert", "");
	parkc_close(admin);
	/* one expert scores EV-A and EV-B alike (they stay tied) */
	{
		static const char *const keys[] = { "service_quality",
		    "industry_focus" };
		static const int	 cp[] = { 8000, 7000 };
		struct parkc		*ex = as("ex4", addr2);

		assert_int_equal(assign_expert(bu, EV_YEAR, "ex4", "EV-A"), 0);
		assert_int_equal(assign_expert(bu, EV_YEAR, "ex4", "EV-B"), 0);
		assert_int_equal(submit_scores(ex, EV_YEAR, "EV-A", keys, cp, 2,
		    NULL), 0);
		assert_int_equal(submit_scores(ex, EV_YEAR, "EV-B", keys, cp, 2,
		    NULL), 0);
		parkc_close(ex);
	}

	/* this year (2026) has not ended: refused, or provisional only */
	cr.year = 2026;
	assert_int_equal(call(bu, "CreateEvaluationRun", &cr.base, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "year", "evaluation.year_not_ended"));
	assert_non_null(strstr(res.message, "has not ended"));
	parkc_result_free(&res);
	cr.provisional = 1;
	prov = create_run_req(bu, &cr, &r);
	assert_string_equal(r.status, "provisional");
	assert_int_equal(run_change(bu, "PublishEvaluationRun", prov, st,
	    sizeof(st), w, sizeof(w), &res), CODE(FAILED_PRECONDITION));
	assert_non_null(strstr(res.message, "provisional"));
	assert_non_null(strstr(res.message, "never"));
	parkc_result_free(&res);

	parkd__v1__award__init(&a);
	a.park_code = "EV-A";
	a.year = EV_YEAR;
	a.kind = "incubation_base";
	a.amount_fen = 100000000;
	aw.award = &a;
	expect(bu, "AddAward", &aw.base, 0);
	b.year = EV_YEAR;
	b.amount_fen = 25000000;			/* 250,000.00 yuan */
	expect(bu, "SetEvaluationBudget", &b.base, 0);
	eval_run_id = create_run(bu, EV_YEAR, &r);
	assert_string_equal(r.status, "draft");
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
	    "amount OR amount > grade_amount)", (long long)eval_run_id);
	assert_int_equal(sql_int(q), 0);
	/* EV-A holds the award: nothing on top of it, and says why */
	o = get_result(bu, eval_run_id, "EV-A", &res);
	assert_int_equal(o->subsidy_fen, 0);
	assert_int_equal(o->n_indicators, 18);
	assert_int_equal(o->total_cp, 300);	/* 80.00 x 2 + 70.00 x 2 */
	assert_true(has_reason(o, "不重复享受") || has_reason(o, "门槛"));
	assert_string_equal(o->indicators[0]->key, "tenants");
	/* equal totals share a rank; the order among them stays fixed */
	o2 = get_result(bu, eval_run_id, "EV-B", &res2);
	assert_int_equal(o->total_cp, o2->total_cp);
	assert_int_equal(o->rank, o2->rank);
	assert_true(o->position != o2->position);
	assert_int_equal(o2->grade_amount_fen, 1000000);
	parkc_result_free(&res);
	parkc_result_free(&res2);
	/* admitted on 2021-03-01: not all year, the gate says so; the
	 * grade's amount is kept beside the amount asked (0) */
	o = get_result(bu, eval_run_id, "EV-L", &res);
	assert_false(o->eligible);
	assert_int_equal(o->grade_amount_fen, 1000000);
	assert_int_equal(o->amount_fen, 0);
	assert_int_equal(o->subsidy_fen, 0);
	assert_true(has_reason(o, "2021-03-01 才认定"));
	assert_true(o->n_reasons >= 3);		/* gates, 不合格 warning */
	parkc_result_free(&res);
	check_result_forms(bu, eval_run_id, "EV-A");
	parkc_close(bu);
}

/* A budget or award change of year: its code, the reply's note/message. */
static int
change_year(struct parkc *pc, int year, const char *kind, char *text,
    size_t len)
{
	Parkd__V1__AddAwardRequest aw = PARKD__V1__ADD_AWARD_REQUEST__INIT;
	Parkd__V1__Award	 a;
	Parkd__V1__SetEvaluationBudgetRequest b =
	    PARKD__V1__SET_EVALUATION_BUDGET_REQUEST__INIT;
	struct parkc_result	 res;
	int			 code;

	if (kind == NULL) {
		b.year = year;
		b.amount_fen = 25000000;	/* unchanged */
		code = call(pc, "SetEvaluationBudget", &b.base, &res);
		snprintf(text, len, "%s", code ? res.message :
		    ((Parkd__V1__SetEvaluationBudgetResponse *)res.body)->note);
	} else {
		parkd__v1__award__init(&a);
		a.park_code = "EV-B";
		a.year = year;
		a.kind = (char *)kind;
		a.amount_fen = 100;
		aw.award = &a;
		code = call(pc, "AddAward", &aw.base, &res);
		snprintf(text, len, "%s", code ? res.message :
		    ((Parkd__V1__Award *)res.body)->note);
	}
	parkc_result_free(&res);
	return (code);
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
	char				 q[1024], st[16], w[512], id[32];
	int64_t				 again;

	(void)state;
	snprintf(id, sizeof(id), "run %lld", (long long)eval_run_id);
	/* publication opens the notice and names the parks the final run
	 * will warn; nobody is warned yet */
	assert_int_equal(run_change(bu, "PublishEvaluationRun", eval_run_id, st,
	    sizeof(st), w, sizeof(w), &res), 0);
	assert_string_equal(st, "published");
	assert_true(*((Parkd__V1__EvaluationRun *)res.body)->notice_until);
	assert_int_equal(((Parkd__V1__EvaluationRun *)res.body)->notice_days, 5);
	parkc_result_free(&res);
	assert_non_null(strstr(w, "EV-B,"));
	snprintf(q, sizeof(q), "SELECT count(*) FROM parks WHERE code = 'EV-B' "
	    "AND status = 'admitted'");
	assert_int_equal(sql_int(q), 1);
	req.run_id = eval_run_id;
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
	snprintf(q, sizeof(q), "UPDATE evaluation_runs SET total = 1 "
	    "WHERE id = %lld", (long long)eval_run_id);
	x = PQexec(pg, q);
	assert_int_equal(PQresultStatus(x), PGRES_FATAL_ERROR);
	PQclear(x);
	PQfinish(pg);
	/* under notice, a budget or award of the year is taken with a note
	 * naming the run it does not reach */
	assert_int_equal(change_year(bu, EV_YEAR, NULL, q, sizeof(q)), 0);
	assert_non_null(strstr(q, id));
	assert_int_equal(change_year(bu, EV_YEAR, "other_award", q,
	    sizeof(q)), 0);
	assert_non_null(strstr(q, "does not include"));
	/* EV-B's operator objects; the bureau answers */
	{
		Parkd__V1__FileObjectionRequest	 fo =
		    PARKD__V1__FILE_OBJECTION_REQUEST__INIT;
		Parkd__V1__AnswerObjectionRequest ao =
		    PARKD__V1__ANSWER_OBJECTION_REQUEST__INIT;
		struct parkc			*eb = as("evB", addr1);

		Parkd__V1__ObjectionEvidenceRequest oe =
		    PARKD__V1__OBJECTION_EVIDENCE_REQUEST__INIT;
		struct parkc			*ea = as("evA", addr2);
		static uint8_t			 photo[70 * 1024];

		fo.run_id = eval_run_id;
		fo.park_code = "EV-B";
		fo.body = "专家评分未计入第四季度服务记录。";
		/* with an evidence file: within evidence_max_kb (64 here) */
		fo.evidence_name = "签到表.jpg";
		fo.evidence_media_type = "image/jpeg";
		fo.evidence.data = photo;
		fo.evidence.len = sizeof(photo);
		assert_int_equal(call(eb, "FileObjection", &fo.base, &res),
		    CODE(INVALID_ARGUMENT));
		assert_true(has_violation(&res, "evidence",
		    "evidence.too_large"));
		parkc_result_free(&res);
		memset(photo, 0xd8, 1000);
		fo.evidence.len = 1000;
		assert_int_equal(call(eb, "FileObjection", &fo.base, &res), 0);
		ao.objection_id = ((Parkd__V1__Objection *)res.body)->id;
		assert_int_equal(((Parkd__V1__Objection *)res.body)->
		    evidence_size, 1000);
		parkc_result_free(&res);
		oe.objection_id = ao.objection_id;
		assert_int_equal(call(bu, "GetObjectionEvidence", &oe.base,
		    &res), 0);
		assert_int_equal(((Parkd__V1__Evidence *)res.body)->content.len,
		    1000);
		assert_memory_equal(((Parkd__V1__Evidence *)res.body)->
		    content.data, photo, 1000);
		parkc_result_free(&res);
		assert_int_equal(call(ea, "GetObjectionEvidence", &oe.base,
		    &res), CODE(NOT_FOUND));	/* another park's */
		parkc_result_free(&res);
		parkc_close(ea);
		parkc_close(eb);
		ao.answer = "经复核，专家评分依据完整，维持原结果。";
		expect(bu, "AnswerObjection", &ao.base, 0);
	}
	/* not final before the notice has ended */
	assert_int_equal(run_change(bu, "FinalizeEvaluationRun", eval_run_id,
	    st, sizeof(st), w, sizeof(w), &res), CODE(FAILED_PRECONDITION));
	assert_non_null(strstr(res.message, "notice until"));
	parkc_result_free(&res);
	/* final: the 不合格 parks are warned now */
	finalize_run(bu, eval_run_id, w, sizeof(w));
	assert_non_null(strstr(w, "EV-B,"));
	snprintf(q, sizeof(q), "SELECT count(*) FROM evaluation_results er "
	    "JOIN parks p ON p.id = er.park_id WHERE er.run_id = %lld AND "
	    "er.grade = 'D' AND p.status NOT IN ('warned', 'exited')",
	    (long long)eval_run_id);
	assert_int_equal(sql_int(q), 0);
	/* the year is closed: budget and awards refused, naming the run */
	assert_int_equal(change_year(bu, EV_YEAR, NULL, q, sizeof(q)),
	    CODE(FAILED_PRECONDITION));
	assert_non_null(strstr(q, id));
	assert_non_null(strstr(q, "final"));
	assert_int_equal(change_year(bu, EV_YEAR, "late_award", q, sizeof(q)),
	    CODE(FAILED_PRECONDITION));
	assert_non_null(strstr(q, id));
	assert_int_equal(sql_int("SELECT count(*) FROM awards WHERE kind = "
	    "'late_award'"), 0);
	/* a run can no longer correct it */
	{
		Parkd__V1__CreateEvaluationRunRequest cr =
		    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;

		cr.year = EV_YEAR;
		cr.corrects = eval_run_id;
		assert_int_equal(call(bu, "CreateEvaluationRun", &cr.base,
		    &res), CODE(FAILED_PRECONDITION));
		assert_true(has_violation(&res, "corrects",
		    "evaluation.corrects"));
		parkc_result_free(&res);
	}

	/* the same inputs again: identical, to the fen */
	again = create_run(bu, EV_YEAR, &r2);
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
	/* a draft can go; the final one stays, and a second cannot join it */
	req.run_id = again;
	expect(bu, "PublishEvaluationRun", &req.base,
	    CODE(FAILED_PRECONDITION));
	expect(bu, "DeleteEvaluationRun", &req.base, 0);
	parkc_close(bu);
}

static void
story_eval_operator(void **state)
{
	struct parkc			*op = as("evA", addr1);
	struct parkc			*bu = as("bureau", addr1);
	Parkd__V1__GetEvaluationResultRequest g =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	Parkd__V1__ListEvaluationResultsRequest l =
	    PARKD__V1__LIST_EVALUATION_RESULTS_REQUEST__INIT;
	struct parkc_result		 res;
	int64_t				 draft;
	char				 q[128];

	(void)state;
	g.run_id = eval_run_id;
	g.park_code = "EV-B";
	expect(op, "GetEvaluationResult", &g.base, CODE(PERMISSION_DENIED));
	g.park_code = "EV-A";
	expect(op, "GetEvaluationResult", &g.base, 0);
	/* a draft: not even its own park (drafts are the bureau's alone) */
	draft = create_run(bu, EV_YEAR, NULL);
	g.run_id = draft;
	expect(op, "GetEvaluationResult", &g.base, CODE(NOT_FOUND));
	/* the ranking shows an operator its own park only */
	l.run_id = eval_run_id;
	assert_int_equal(call(op, "ListEvaluationResults", &l.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListEvaluationResultsResponse *)
	    res.body)->n_results, 1);
	assert_string_equal(((Parkd__V1__ListEvaluationResultsResponse *)
	    res.body)->results[0]->park_code, "EV-A");
	parkc_result_free(&res);
	/* and nothing of a draft (eval_result_list_scoped) */
	l.run_id = draft;
	assert_int_equal(call(op, "ListEvaluationResults", &l.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListEvaluationResultsResponse *)
	    res.body)->n_results, 0);
	parkc_result_free(&res);
	/* the bureau sees the draft's whole ranking */
	assert_int_equal(call(bu, "ListEvaluationResults", &l.base, &res), 0);
	snprintf(q, sizeof(q), "SELECT count(*) FROM evaluation_results "
	    "WHERE run_id = %lld", (long long)draft);
	assert_true(sql_int(q) > 1);
	assert_int_equal(((Parkd__V1__ListEvaluationResultsResponse *)
	    res.body)->n_results, sql_int(q));
	parkc_result_free(&res);
	expect(op, "CreateEvaluationRun", &l.base, CODE(PERMISSION_DENIED));
	parkc_close(op);
	parkc_close(bu);
}

/* File an objection: the code; *id the objection's id on success. */
static int
object(struct parkc *pc, int64_t run, const char *park, const char *body,
    int64_t *id)
{
	Parkd__V1__FileObjectionRequest	 req =
	    PARKD__V1__FILE_OBJECTION_REQUEST__INIT;
	struct parkc_result		 res;
	int				 code;

	req.run_id = run;
	req.park_code = (char *)park;
	req.body = (char *)body;
	code = call(pc, "FileObjection", &req.base, &res);
	if (code == 0 && id != NULL)
		*id = ((Parkd__V1__Objection *)res.body)->id;
	parkc_result_free(&res);
	return (code);
}

static int
answer(struct parkc *pc, int64_t id, const char *text, int upheld)
{
	Parkd__V1__AnswerObjectionRequest req =
	    PARKD__V1__ANSWER_OBJECTION_REQUEST__INIT;

	req.objection_id = id;
	req.answer = (char *)text;
	req.upheld = upheld;
	return (call_keep(pc, "AnswerObjection", &req.base, NULL));
}

static size_t
objections_of(struct parkc *pc, int64_t run)
{
	Parkd__V1__ListObjectionsRequest req =
	    PARKD__V1__LIST_OBJECTIONS_REQUEST__INIT;
	struct parkc_result		 res;
	size_t				 n;

	req.run_id = run;
	assert_int_equal(call(pc, "ListObjections", &req.base, &res), 0);
	n = ((Parkd__V1__ListObjectionsResponse *)res.body)->n_objections;
	parkc_result_free(&res);
	return (n);
}

/*
 * The public notice: operators object to their own park's result while
 * it runs; the run is final only after it and once every objection is
 * answered; a corrected run supersedes the published one, link kept.
 */
static void
story_eval_notice(void **state)
{
	struct parkc			*bu = as("bureau", addr1);
	struct parkc			*ea = as("evA", addr2);
	struct parkc			*eb = as("evB", addr1);
	Parkd__V1__CreateEvaluationRunRequest cr =
	    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationRunRequest	 g = PARKD__V1__EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationRun	*o;
	struct parkc_result		 res;
	int64_t				 run, fixed, oa = 0, ob = 0;
	char				 st[16], w[512], q[256];

	(void)state;
	run = create_run(bu, EV_CHAIN_YEAR, NULL);
	/* a draft: an operator does not see it, let alone object */
	assert_int_equal(object(ea, run, "EV-A", "草稿不可异议", NULL),
	    CODE(NOT_FOUND));
	publish_run(bu, run);
	/* only to its own park's result, with a text, by an operator */
	assert_int_equal(object(ea, run, "EV-B", "不是我的园区", NULL),
	    CODE(PERMISSION_DENIED));
	assert_int_equal(object(ea, run, "EV-A", "", NULL),
	    CODE(INVALID_ARGUMENT));
	assert_int_equal(object(bu, run, "EV-A", "局方不能异议", NULL),
	    CODE(PERMISSION_DENIED));
	assert_int_equal(object(ea, run, "EV-A", "第三季度路演记录遗漏，"
	    "附活动照片。", &oa), 0);
	assert_int_equal(object(eb, run, "EV-B", "从业人员数有误。", &ob), 0);
	assert_int_equal(objections_of(ea, run), 1);	/* its own only */
	assert_int_equal(objections_of(bu, run), 2);
	/* after the notice: no new objection; not final while two wait */
	notice_over(run);
	assert_int_equal(object(ea, run, "EV-A", "迟到的异议", NULL),
	    CODE(FAILED_PRECONDITION));
	assert_int_equal(run_change(bu, "FinalizeEvaluationRun", run, st,
	    sizeof(st), w, sizeof(w), &res), CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "run_id", "evaluation.objections"));
	parkc_result_free(&res);
	/* the bureau answers, once each */
	assert_int_equal(answer(bu, oa, "经核实，路演记录补录，予以更正。", 1),
	    0);
	assert_int_equal(answer(bu, oa, "再答一次", 0),
	    CODE(FAILED_PRECONDITION));
	assert_int_equal(answer(ea, ob, "运营方不能答复", 0),
	    CODE(PERMISSION_DENIED));
	/* an upheld objection: a corrected run replaces the published one */
	cr.year = EV_CHAIN_YEAR;
	cr.corrects = run;
	fixed = create_run_req(bu, &cr, NULL);
	publish_run(bu, fixed);
	g.run_id = run;
	assert_int_equal(call(bu, "GetEvaluationRun", &g.base, &res), 0);
	o = (Parkd__V1__EvaluationRun *)res.body;
	assert_string_equal(o->status, "superseded");
	assert_int_equal(o->superseded_by, fixed);
	assert_int_equal(o->objections, 2);
	assert_int_equal(o->open_objections, 1);
	parkc_result_free(&res);
	g.run_id = fixed;
	assert_int_equal(call(ea, "GetEvaluationRun", &g.base, &res), 0);
	assert_int_equal(((Parkd__V1__EvaluationRun *)res.body)->corrects, run);
	parkc_result_free(&res);
	/* the old run's objections stay with it, answered or not; the
	 * corrected run has its own notice, and becomes final once the
	 * objections to the run it replaces are answered too */
	assert_int_equal(objections_of(bu, run), 2);
	assert_int_equal(objections_of(bu, fixed), 0);
	notice_over(fixed);
	assert_int_equal(run_change(bu, "FinalizeEvaluationRun", fixed, st,
	    sizeof(st), w, sizeof(w), &res), CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "run_id", "evaluation.objections"));
	parkc_result_free(&res);
	assert_int_equal(answer(bu, ob, "已由更正批次处理。", 0), 0);
	finalize_run(bu, fixed, w, sizeof(w));
	snprintf(q, sizeof(q), "SELECT count(*) FROM evaluation_runs WHERE "
	    "year = %d AND status IN ('published', 'final')", EV_CHAIN_YEAR);
	assert_int_equal(sql_int(q), 1);
	parkc_close(bu);
	parkc_close(ea);
	parkc_close(eb);
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
	char				 g[4], w[512];

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
	finalize_run(bu, r24, w, sizeof(w));
	/* IT-G existed in 2024 but was not in its published run */
	park_init(&p, "IT-G", "莱西市");
	p.admitted_on = "2023-06-01";
	expect(bu, "CreatePark", &cp.base, 0);
	r25 = create_run(bu, 2025, NULL);
	assert_int_equal(result_fails(bu, r25, "IT-F", g), 2);
	assert_int_equal(result_fails(bu, r25, "IT-G", g), 2);
	publish_run(bu, r25);
	/* exits follow the final run, not the notice */
	assert_false(sweep_has(bu, "2026-06-01", "IT-F", "park.exit_evaluation"));
	finalize_run(bu, r25, w, sizeof(w));
	assert_true(sweep_has(bu, "2026-06-01", "IT-F", "park.exit_evaluation"));
	assert_true(sweep_has(bu, "2026-06-01", "IT-G", "park.exit_evaluation"));
	assert_false(sweep_has(bu, "2026-06-01", "IT-A", "park.exit_evaluation"));
	parkc_close(bu);
}

/*
 * The first four tests are one story over the city of rules_it.c and the
 * parks EV-A, EV-B, EV-L of the test years 2019-2023 (their own policy): a
 * run (eval_run_id), its notice and final state, an operator reading it,
 * objections and a corrected run. A test runs the
 * steps before its own first, so the tests may run in any order.
 */
static void (*const story[])(void **) = { story_eval_run,
    story_eval_publish_immutable, story_eval_operator, story_eval_notice };
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

void
test_eval_notice(void **state)
{
	(void)state;
	story_to(3);
}
