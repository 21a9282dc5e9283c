/*
 * A year's budget and its awards (SetEvaluationBudget, AddAward): what the
 * year's runs have to share out, and the incubation-base awards that rule
 * out a park's subsidy (a park takes one or the other, never both).
 */
#include <stdio.h>
#include <string.h>

#include "svc/eval/eval.h"

/*
 * A budget or an award of a year changes what its runs pay: refused once
 * the year has a final run; while one is under notice, accepted with a
 * note that the published figures do not include it (a corrected run
 * would). The run row is locked: it cannot become final meanwhile.
 */
static int
year_lock_params(struct req *r, struct qparams *q, int year, int64_t fen,
    const char *field)
{
	viols_range(&r->v, field, year, 2000, 2100);
	viols_range(&r->v, "amount_fen", fen, 0, LIMIT_FEN);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad %s",
		    strcmp(field, "year") == 0 ? "budget" : "award");
		return (-1);
	}
	qp_i64(q, year);
	return (0);
}

/* The note for the reply (r->state), or STEP_DONE if refused. */
static int
year_checked(struct req *r, PGresult *res, int year, const char *what)
{
	const char	*st;

	r->state = (void *)"";
	if (PQntuples(res) == 0)
		return (STEP_NEXT);
	st = pg_get(res, 0, "status");
	if (strcmp(st, "final") == 0) {
		viols_add(&r->v, "year", "evaluation.final", "run %s of %d is "
		    "final (since %s)", pg_get(res, 0, "id"), year,
		    pg_get(res, 0, "finalized_on"));
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "the evaluation of %d is final (run %s, since "
		    "%s): its %s can no longer change", year, pg_get(res, 0,
		    "id"), pg_get(res, 0, "finalized_on"), what)));
	}
	r->state = fmt_arena(r, "run %s of %d is published (notice until "
	    "%s) and does not include this change: a corrected run "
	    "(CreateEvaluationRun with corrects = %s) would", pg_get(res, 0,
	    "id"), year, *pg_get(res, 0, "notice_until") ? pg_get(res, 0,
	    "notice_until") : "none", pg_get(res, 0, "id"));
	if (r->state == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (STEP_NEXT);
}

/* SetEvaluationBudget: the year's total; runs scale to it. */
static int
budget_lock_params(struct req *r, struct qparams *q)
{
	Parkd__V1__SetEvaluationBudgetRequest	*in = (void *)r->in;

	return (year_lock_params(r, q, in->year, in->amount_fen, "year"));
}

static int
budget_year(struct req *r, PGresult *res)
{
	Parkd__V1__SetEvaluationBudgetRequest	*in = (void *)r->in;

	return (year_checked(r, res, in->year, "budget"));
}

static int
budget_params(struct req *r, struct qparams *q)
{
	Parkd__V1__SetEvaluationBudgetRequest	*in = (void *)r->in;

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
	o->note = r->state;
	return (step_reply(r, &o->base));
}

const struct plan eval_budget = { "SetEvaluationBudget", 1,
    (const struct step[]) {
	{ SQL_EVAL_YEAR_LOCK, budget_lock_params, budget_year },
	{ SQL_EVAL_BUDGET_SET, budget_params, budget_set },
	{ 0, NULL, NULL },
} };

/* AddAward: an award a park holds (a subsidy is never paid on top). */
static int
award_lock_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddAwardRequest	*in = (void *)r->in;
	Parkd__V1__Award		*a = in->award;

	if (a == NULL || !valid_text(a->kind, 1, 32)) {
		viols_add(&r->v, "award", "award", "park_code, year 2000..2100, "
		    "kind and amount_fen 0..%lld", LIMIT_FEN);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad award");
		return (-1);
	}
	return (year_lock_params(r, q, a->year, a->amount_fen, "award.year"));
}

static int
award_year(struct req *r, PGresult *res)
{
	Parkd__V1__AddAwardRequest	*in = (void *)r->in;

	return (year_checked(r, res, in->award->year, "awards"));
}

static int
award_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddAwardRequest	*in = (void *)r->in;
	Parkd__V1__Award		*a = in->award;

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
	in->award->note = r->state;
	return (step_reply(r, &in->award->base));
}

const struct plan eval_award = { "AddAward", 1, (const struct step[]) {
	{ SQL_EVAL_YEAR_LOCK, award_lock_params, award_year },
	{ SQL_EVAL_AWARD_ADD, award_params, award_added },
	{ 0, NULL, NULL },
} };
