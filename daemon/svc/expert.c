/*
 * ExpertService: experts (role expert) assigned to parks by the bureau
 * score the policy's qualitative indicators (expert = true) once each, or
 * declare a conflict of interest and never score that park. An expert
 * reads the other experts' scores of a park only once its own are in; the
 * bureau reads every score. The evaluation aggregates the submitted scores
 * (svc/eval/create.c, domain/eval.c's eval_aggregate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "svc/svc.h"

#define EXPERT_TEXT_MAX	4000	/* bytes of a comment or a reason */

/* The caller's assignment (expert_mine). */
struct mine {
	int64_t		 id;
	const char	*park_code;
	int		 year;
	const char	*keys;		/* SubmitScores: the indicators, */
	const char	*cps;		/* their scores (array literals) */
};

static int
year_ok(struct req *r, int year)
{
	viols_range(&r->v, "year", year, 2000, 2100);
	return (r->v.n == 0);
}

/* ---- AssignExpert (bureau) ---- */

static int
target_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AssignExpertRequest	*in = (void *)r->in;

	check_text(r, "expert", in->expert, 1, 120);
	check_text(r, "park_code", in->park_code, 1, 32);
	if (!year_ok(r, in->year)) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad assignment");
		return (-1);
	}
	qp_str(q, in->expert);
	qp_str(q, in->park_code);
	return (0);
}

static int
target_read(struct req *r, PGresult *res)
{
	Parkd__V1__AssignExpertRequest	*in = (void *)r->in;
	int64_t				*ids;

	if (pg_i64(res, 0, "experts") != 1)
		return (step_fail(r, pg_i64(res, 0, "experts") == 0 ?
		    PARKD__V1__CODE__NOT_FOUND :
		    PARKD__V1__CODE__FAILED_PRECONDITION, fmt_arena(r,
		    pg_i64(res, 0, "experts") == 0 ? "no enabled principal "
		    "'%s' of role expert" : "more than one expert is named "
		    "'%s': rename one", in->expert)));
	if (pg_i64(res, 0, "park_id") == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "no park '%s'", in->park_code)));
	if ((ids = r->state = req_alloc(r, 2 * sizeof(int64_t))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	ids[0] = pg_i64(res, 0, "expert_id");
	ids[1] = pg_i64(res, 0, "park_id");
	return (STEP_NEXT);
}

static int
assign_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AssignExpertRequest	*in = (void *)r->in;
	int64_t				*ids = r->state;

	qp_audit(q, r);
	qp_i64(q, ids[0]);
	qp_i64(q, ids[1]);
	qp_i64(q, in->year);
	return (0);
}

static int
assignment_reply(struct req *r, PGresult *res)
{
	Parkd__V1__ExpertAssignment	*a;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__ALREADY_EXISTS,
		    "the expert is already assigned to that park and year (or "
		    "has scored it, or declared a conflict, meanwhile)"));
	if ((a = req_alloc(r, sizeof(*a))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__expert_assignment__init(a);
	a->id = pg_i64(res, 0, "id");
	a->year = (int32_t)pg_i64(res, 0, "year");
#define S(f) a->f = req_strdup(r, pg_get(res, 0, #f))
	S(expert); S(park_code); S(assigned_by); S(assigned_at); S(conflict);
	S(submitted_at);
#undef S
	if (a->submitted_at == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, &a->base));
}

static const struct plan assign = { "AssignExpert", 1,
    (const struct step[]) {
	{ SQL_EXPERT_TARGET, target_params, target_read },
	{ SQL_EXPERT_ASSIGN, assign_params, assignment_reply },
	{ 0, NULL, NULL },
} };

/* ---- ListAssignments: an expert's own; the bureau's, all ---- */

static int
list_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListAssignmentsRequest	*in = (void *)r->in;

	qp_i64(q, in->year);
	qp_i64(q, r->pr.role == ROLE_EXPERT ? r->pr.id : 0);
	return (0);
}

static int
listed(struct req *r, PGresult *res)
{
	return (step_reply_list(r, res, PQntuples(res),
	    &parkd__v1__list_assignments_response__descriptor, NULL));
}

static const struct plan list = { "ListAssignments", 0,
    (const struct step[]) {
	{ SQL_EXPERT_ASSIGNMENT_LIST, list_params, listed },
	{ 0, NULL, NULL },
} };

/* ---- the caller's own assignment: DeclareConflict, SubmitScores ---- */

static int
mine_params(struct req *r, struct qparams *q, const char *park, int year)
{
	struct mine	*m;

	check_text(r, "park_code", park, 1, 32);
	if (!year_ok(r, year)) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad request");
		return (-1);
	}
	if ((m = r->state = req_alloc(r, sizeof(*m))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return (-1);
	}
	m->park_code = park;
	m->year = year;
	qp_i64(q, r->pr.id);
	qp_str(q, park);
	qp_i64(q, year);
	return (0);
}

/* The assignment exists, is not scored and has no conflict. */
static int
mine_open(struct req *r, PGresult *res)
{
	struct mine	*m = r->state;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    fmt_arena(r, "you are not assigned to %s for %d",
		    m->park_code, m->year)));
	m->id = pg_i64(res, 0, "id");
	if (*pg_get(res, 0, "conflict") != '\0')
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "you declared a conflict of interest with %s: "
		    "you do not score it", m->park_code)));
	if (*pg_get(res, 0, "submitted_at") != '\0')
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "your scores of %s for %d were submitted at "
		    "%s and stay as they are", m->park_code, m->year,
		    pg_get(res, 0, "submitted_at"))));
	return (STEP_NEXT);
}

static int
conflict_mine_params(struct req *r, struct qparams *q)
{
	Parkd__V1__DeclareConflictRequest	*in = (void *)r->in;

	check_text(r, "reason", in->reason, 1, EXPERT_TEXT_MAX);
	return (mine_params(r, q, in->park_code, in->year));
}

static int
conflict_params(struct req *r, struct qparams *q)
{
	Parkd__V1__DeclareConflictRequest	*in = (void *)r->in;
	struct mine				*m = r->state;

	qp_audit(q, r);
	qp_i64(q, m->id);
	qp_str(q, in->reason);
	return (0);
}

static const struct plan conflict = { "DeclareConflict", 1,
    (const struct step[]) {
	{ SQL_EXPERT_MINE, conflict_mine_params, mine_open },
	{ SQL_EXPERT_CONFLICT, conflict_params, assignment_reply },
	{ 0, NULL, NULL },
} };

static int
submit_mine_params(struct req *r, struct qparams *q)
{
	Parkd__V1__SubmitScoresRequest	*in = (void *)r->in;

	if (*in->comment != '\0')
		check_text(r, "comment", in->comment, 1, EXPERT_TEXT_MAX);
	return (mine_params(r, q, in->park_code, in->year));
}

/* The scores as two array literals, in the request's arena. */
static int
score_arrays(struct req *r, const Parkd__V1__SubmitScoresRequest *in,
    struct mine *m)
{
	struct pgarray	 keys, cps;
	const char	*k, *c;
	size_t		 i;

	memset(&keys, 0, sizeof(keys));
	memset(&cps, 0, sizeof(cps));
	for (i = 0; i < in->n_scores; i++) {
		pgarray_add(&keys, in->scores[i]->indicator);
		pgarray_add_i64(&cps, in->scores[i]->score_cp);
	}
	k = pgarray_finish(&keys);
	c = pgarray_finish(&cps);
	m->keys = k != NULL ? req_strdup(r, k) : NULL;
	m->cps = c != NULL ? req_strdup(r, c) : NULL;
	pgarray_free(&keys);
	pgarray_free(&cps);
	if (m->keys == NULL || m->cps == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (STEP_NEXT);
}

/* Every expert indicator of the year's policy scored once, 0..10000. */
static int
submit_checked(struct req *r, PGresult *res)
{
	Parkd__V1__SubmitScoresRequest	*in = (void *)r->in;
	struct mine			*m = r->state;
	const struct policy		*p;
	const struct eval_policy	*ep;
	int				 seen[EVAL_MAX_EXPERT] = { 0 }, k;
	size_t				 i;

	if (mine_open(r, res) != STEP_NEXT)
		return (STEP_DONE);
	if ((p = policy_from_row(r, res, 0, m->year)) == NULL)
		return (STEP_DONE);
	ep = &p->eval;
	if (ep->nexpert == 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "the policy of %d has no expert indicators",
		    m->year)));
	for (i = 0; i < in->n_scores; i++) {
		Parkd__V1__ExpertScore	*s = in->scores[i];
		char			 f[32];

		snprintf(f, sizeof(f), "scores[%zu]", i);
		if ((k = eval_expert_find(ep, s->indicator)) < 0)
			viols_add(&r->v, f, "expert.indicator", "'%s' is not an "
			    "expert indicator of the %d policy", s->indicator,
			    m->year);
		else if (seen[k]++)
			viols_add(&r->v, f, "expert.indicator", "'%s' is "
			    "scored twice", s->indicator);
		if (s->score_cp < 0 || s->score_cp > 10000)
			viols_add(&r->v, f, "range", "score_cp must be "
			    "0..10000 (0.00..100.00 points)");
	}
	for (k = 0; k < ep->nexpert; k++)
		if (!seen[k])
			viols_add(&r->v, "scores", "expert.missing", "'%s' (%s) "
			    "is not scored", ep->inds[ep->expert_ind[k]].key,
			    ep->inds[ep->expert_ind[k]].name);
	if (r->v.n > 0)
		return (step_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "bad scores"));
	return (score_arrays(r, in, m));
}

static int
submit_params(struct req *r, struct qparams *q)
{
	Parkd__V1__SubmitScoresRequest	*in = (void *)r->in;
	struct mine			*m = r->state;

	qp_audit(q, r);
	qp_i64(q, m->id);
	qp_str(q, in->comment);
	qp_str(q, m->keys);
	qp_str(q, m->cps);
	return (0);
}

static int
submitted(struct req *r, PGresult *res)
{
	Parkd__V1__SubmitScoresRequest	*in = (void *)r->in;
	Parkd__V1__ExpertReview		*o;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "the assignment changed meanwhile; ask again"));
	if ((o = req_alloc(r, sizeof(*o))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__expert_review__init(o);
	o->expert = r->pr.name;
	o->park_code = in->park_code;
	o->year = in->year;
	o->scores = in->scores;
	o->n_scores = in->n_scores;
	o->comment = in->comment;
	if ((o->submitted_at = req_strdup(r, pg_get(res, 0,
	    "submitted_at"))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, &o->base));
}

static const struct plan submit = { "SubmitScores", 1,
    (const struct step[]) {
	{ SQL_EXPERT_MINE, submit_mine_params, submit_checked },
	{ SQL_EXPERT_SUBMIT, submit_params, submitted },
	{ 0, NULL, NULL },
} };

/* ---- ListScores: the bureau's; an expert's, once its own are in ---- */

static int
scores_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListScoresRequest	*in = (void *)r->in;

	check_text(r, "park_code", in->park_code, 1, 32);
	if (!year_ok(r, in->year)) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad request");
		return (-1);
	}
	qp_str(q, in->park_code);
	qp_i64(q, in->year);
	qp_i64(q, r->pr.id);
	return (0);
}

static Parkd__V1__ExpertReview *
review_from_row(struct req *r, PGresult *res, int i)
{
	Parkd__V1__ListScoresRequest	*in = (void *)r->in;
	Parkd__V1__ExpertReview		*o;
	json_t				*a, *v;
	size_t				 k;

	if ((o = req_alloc(r, sizeof(*o))) == NULL)
		return (NULL);
	parkd__v1__expert_review__init(o);
	o->park_code = in->park_code;
	o->year = in->year;
#define S(f) o->f = req_strdup(r, pg_get(res, i, #f))
	S(expert); S(comment); S(conflict); S(submitted_at);
#undef S
	if ((a = json_loads(pg_get(res, i, "scores"), 0, NULL)) == NULL)
		return (o);
	o->scores = req_alloc(r, (json_array_size(a) + 1) * sizeof(void *));
	json_array_foreach(a, k, v) {
		Parkd__V1__ExpertScore *s = req_alloc(r, sizeof(*s));

		if (s == NULL || o->scores == NULL)
			break;
		parkd__v1__expert_score__init(s);
		s->indicator = req_strdup(r, json_string_value(
		    json_object_get(v, "indicator")));
		s->score_cp = (int32_t)json_integer_value(json_object_get(v,
		    "score_cp"));
		o->scores[o->n_scores++] = s;
	}
	json_decref(a);
	return (o);
}

static int
scores_listed(struct req *r, PGresult *res)
{
	Parkd__V1__ListScoresRequest	*in = (void *)r->in;
	Parkd__V1__ListScoresResponse	*out;
	int				 i, n = PQntuples(res), mine = -1;

	for (i = 0; i < n; i++)
		if (pg_bool(res, i, "mine"))
			mine = i;
	if (r->pr.role == ROLE_EXPERT) {
		if (mine < 0)
			return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
			    fmt_arena(r, "you are not assigned to %s for %d",
			    in->park_code, in->year)));
		if (*pg_get(res, mine, "submitted_at") == '\0')
			return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
			    "the other experts' scores are shown once yours "
			    "are submitted"));
	}
	if ((out = req_alloc(r, sizeof(*out))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__list_scores_response__init(out);
	if ((out->reviews = req_alloc(r, (size_t)(n + 1) *
	    sizeof(void *))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	for (i = 0; i < n; i++)
		if ((out->reviews[out->n_reviews++] = review_from_row(r, res,
		    i)) == NULL)
			return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "out of memory"));
	return (step_reply(r, &out->base));
}

static const struct plan scores = { "ListScores", 0,
    (const struct step[]) {
	{ SQL_EXPERT_REVIEW_LIST, scores_params, scores_listed },
	{ 0, NULL, NULL },
} };

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_expert_methods[] = {
	{ .name = "AssignExpert", .plan = &assign, .roles = ROLE_BUREAU },
	{ .name = "ListAssignments", .plan = &list,
	    .roles = ROLE_ADMIN | ROLE_BUREAU | ROLE_EXPERT },
	{ .name = "DeclareConflict", .plan = &conflict, .roles = ROLE_EXPERT },
	{ .name = "SubmitScores", .plan = &submit, .roles = ROLE_EXPERT },
	{ .name = "ListScores", .plan = &scores,
	    .roles = ROLE_ADMIN | ROLE_BUREAU | ROLE_EXPERT },
	{ .name = NULL }
};
