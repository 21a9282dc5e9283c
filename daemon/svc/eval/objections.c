/*
 * Objections (异议) during a run's public notice (公示): a park's operator
 * files one on its own park's result while the notice runs (to its last
 * day, or, with no fixed length, until the run is final); the bureau
 * answers each once (upheld or not). A run becomes final only when every
 * objection is answered (runs.c). The run row is locked while an objection
 * is filed, so a run never becomes final with one it has not seen.
 */
#include <stdio.h>
#include <string.h>

#include "svc/eval/eval.h"

#define OBJECTION_MAX	4000	/* bytes of a text or an answer */

/* ---- FileObjection ---- */

static int
target_params(struct req *r, struct qparams *q)
{
	Parkd__V1__FileObjectionRequest	*in = (void *)r->in;

	if (!valid_text(in->body, 1, OBJECTION_MAX))
		viols_add(&r->v, "body", "text", "1..%d bytes of UTF-8",
		    OBJECTION_MAX);
	if (!valid_text(in->park_code, 1, 32))
		viols_add(&r->v, "park_code", "required", "the park objecting");
	if (in->evidence.len > 0 || *in->evidence_name != '\0')
		file_check(r, "evidence", in->evidence_name,
		    in->evidence_media_type, &in->evidence);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad objection");
		return (-1);
	}
	qp_i64(q, in->run_id);
	qp_str(q, in->park_code);
	return (0);
}

static int
target_checked(struct req *r, PGresult *res)
{
	Parkd__V1__FileObjectionRequest	*in = (void *)r->in;
	const char			*st, *until;
	char				 now[11];
	struct ymd			 d;
	int64_t				 park;

	/* drafts are the bureau's alone: an operator does not see them */
	if (PQntuples(res) == 0 ||
	    strcmp(pg_get(res, 0, "status"), "draft") == 0 ||
	    strcmp(pg_get(res, 0, "status"), "provisional") == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "no evaluation run %lld", (long long)in->run_id)));
	st = pg_get(res, 0, "status");
	until = pg_get(res, 0, "notice_until");
	park = pg_i64(res, 0, "park_id");
	if (park == 0 || park != auth_scope(r))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    fmt_arena(r, "an operator objects to its own park's result "
		    "only (run %lld has none for '%s' in your scope)",
		    (long long)in->run_id, in->park_code)));
	today(&d);
	ymd_format(&d, now);
	/* a notice without a fixed length (notice_working_days = 0) runs
	 * until the bureau makes the run final */
	if (strcmp(st, "published") != 0 ||
	    (*until != '\0' && strcmp(now, until) > 0)) {
		viols_add(&r->v, "run_id", "evaluation.notice", "run %lld is "
		    "%s%s%s", (long long)in->run_id, st, *until ? ", notice "
		    "until " : "", until);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "objections are filed during a run's public "
		    "notice: run %lld is %s%s%s", (long long)in->run_id, st,
		    *until ? " and its notice ran until " : "", until)));
	}
	return (STEP_NEXT);
}

static int
file_params(struct req *r, struct qparams *q)
{
	Parkd__V1__FileObjectionRequest	*in = (void *)r->in;
	char				 sha[65];
	const char			*hex;

	qp_audit(q, r);
	qp_i64(q, in->run_id);
	qp_i64(q, auth_scope(r));
	qp_str(q, in->body);
	if (in->evidence.len == 0) {
		qp_null(q);
		qp_null(q);
		qp_null(q);
		qp_null(q);
		qp_null(q);
		return (0);
	}
	if ((hex = file_hex(r, &in->evidence, sha)) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return (-1);
	}
	qp_str(q, in->evidence_name);
	qp_str(q, *in->evidence_media_type ? in->evidence_media_type :
	    "application/octet-stream");
	qp_i64(q, (int64_t)in->evidence.len);
	qp_str(q, req_strdup(r, sha));
	qp_str(q, hex);
	return (0);
}

static int
objection_reply(struct req *r, PGresult *res)
{
	Parkd__V1__Objection	*o;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "the objection "
		    "changed meanwhile; ask again"));
	if ((o = req_alloc(r, sizeof(*o))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__objection__init(o);
	o->id = pg_i64(res, 0, "id");
	o->run_id = pg_i64(res, 0, "run_id");
	o->upheld = pg_bool(res, 0, "upheld");
	o->evidence_size = pg_i64(res, 0, "evidence_size");
#define S(f) if ((o->f = req_strdup(r, pg_get(res, 0, #f))) == NULL) \
	return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory"))
	S(park_code); S(body); S(filed_by); S(filed_at); S(answer);
	S(answered_by); S(answered_at); S(evidence_name); S(evidence_sha256);
#undef S
	return (step_reply(r, &o->base));
}

const struct plan objection_file = { "FileObjection", 1,
    (const struct step[]) {
	{ SQL_OBJECTION_TARGET, target_params, target_checked },
	{ SQL_OBJECTION_FILE, file_params, objection_reply },
	{ 0, NULL, NULL },
} };

/* ---- AnswerObjection ---- */

static int
lock_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AnswerObjectionRequest	*in = (void *)r->in;

	if (!valid_text(in->answer, 1, OBJECTION_MAX)) {
		viols_add(&r->v, "answer", "text", "1..%d bytes of UTF-8",
		    OBJECTION_MAX);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad answer");
		return (-1);
	}
	qp_i64(q, in->objection_id);
	return (0);
}

static int
lock_checked(struct req *r, PGresult *res)
{
	Parkd__V1__AnswerObjectionRequest	*in = (void *)r->in;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "no objection %lld", (long long)in->objection_id)));
	if (pg_bool(res, 0, "answered")) {
		viols_add(&r->v, "objection_id", "objection.answered",
		    "answered by %s", pg_get(res, 0, "answered_by"));
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "objection %lld is already answered (by %s): "
		    "an answer is kept as given", (long long)in->objection_id,
		    pg_get(res, 0, "answered_by"))));
	}
	return (STEP_NEXT);
}

static int
answer_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AnswerObjectionRequest	*in = (void *)r->in;

	qp_audit(q, r);
	qp_i64(q, in->objection_id);
	qp_str(q, in->answer);
	qp_str(q, in->upheld ? "t" : "f");
	return (0);
}

const struct plan objection_answer = { "AnswerObjection", 1,
    (const struct step[]) {
	{ SQL_OBJECTION_LOCK, lock_params, lock_checked },
	{ SQL_OBJECTION_ANSWER, answer_params, objection_reply },
	{ 0, NULL, NULL },
} };

/* ---- ListObjections: a run's; an operator, its own park's ---- */

static int
list_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListObjectionsRequest	*in = (void *)r->in;

	qp_i64(q, in->run_id);
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
listed(struct req *r, PGresult *res)
{
	return (step_reply_list(r, res, PQntuples(res),
	    &parkd__v1__list_objections_response__descriptor, NULL));
}

/* ---- GetObjectionEvidence: its park and the bureau ---- */

static int
evidence_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ObjectionEvidenceRequest	*in = (void *)r->in;

	qp_i64(q, in->objection_id);
	return (0);
}

static int
evidence_got(struct req *r, PGresult *res)
{
	if (PQntuples(res) == 0 ||
	    !auth_park_allowed(r, pg_i64(res, 0, "park_id")) ||
	    *pg_get(res, 0, "sha256") == '\0')
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no evidence file with that objection (or not yours to "
		    "read)"));
	return (file_reply(r, res));
}

const struct plan objection_evidence = { "GetObjectionEvidence", 0,
    (const struct step[]) {
	{ SQL_OBJECTION_EVIDENCE, evidence_params, evidence_got },
	{ 0, NULL, NULL },
} };

const struct plan objection_list = { "ListObjections", 0,
    (const struct step[]) {
	{ SQL_OBJECTION_LIST, list_params, listed },
	{ 0, NULL, NULL },
} };
