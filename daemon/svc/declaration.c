/*
 * DeclarationService: a park's annual declaration (年度申报). Its operator
 * (or the bureau for it) assembles it from what was synced — the park's
 * row of the evaluation's raw-indicator query (store/sql/eval.sql) and its
 * tenants at the year's end — attaches evidence files (kept in PostgreSQL,
 * schema/0009) and submits it, which freezes it. A district reviewer of
 * the park's district approves it or returns it with a comment; a returned
 * one is assembled again and resubmitted. The evaluation of a policy with
 * use_declarations scores the approved figures (svc/eval/create.c). The
 * year's overview of every park's declaration is svc/declstatus.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "svc/svc.h"

#define DECL_COMMENT_MAX	4000	/* bytes of a reviewer's comment */

/* What the first step of a change reads (decl_target). */
struct decl {
	const char	*park_code;
	int		 year;
	int64_t		 park_id;
	int64_t		 decl_id;
	char		 status[16];
	char		 district[64];
	int64_t		 evidence_bytes;
	int64_t		 letters;
	char		*figures;	/* assemble: eval_raw's row as JSON */
	char		 sha[65];	/* evidence */
	const char	*hex;		/* evidence content, hex */
};

static struct decl *
decl_new(struct req *r, const char *park_code, int year)
{
	struct decl	*d;
	struct ymd	 t;

	check_text(r, "park_code", park_code, 1, 32);
	today(&t);
	if (year < 2000 || year > 2100)
		viols_add(&r->v, "year", "range", "must be 2000..2100");
	else if (year >= t.y)
		viols_add(&r->v, "year", "declaration.year_not_ended",
		    "%d has not ended: it is declared from 1 January %d", year,
		    year + 1);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "bad declaration");
		return (NULL);
	}
	if ((d = r->state = req_alloc(r, sizeof(*d))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return (NULL);
	}
	d->park_code = park_code;
	d->year = year;
	return (d);
}

static int
target_params(struct req *r, struct qparams *q, const char *park, int year)
{
	if (decl_new(r, park, year) == NULL)
		return (-1);
	qp_str(q, park);
	qp_i64(q, year);
	return (0);
}

/*
 * The park and its declaration, read and checked: the caller may act on
 * the park (an operator, its own; a district reviewer, its district's), it
 * takes part in the year, and (need_decl) the declaration exists.
 */
static int
target_read(struct req *r, PGresult *res, int need_decl)
{
	struct decl	*d = r->state;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "no park '%s'", d->park_code)));
	d->park_id = pg_i64(res, 0, "park_id");
	d->decl_id = pg_i64(res, 0, "decl_id");
	snprintf(d->status, sizeof(d->status), "%s", pg_get(res, 0, "status"));
	snprintf(d->district, sizeof(d->district), "%s",
	    pg_get(res, 0, "district"));
	d->evidence_bytes = pg_i64(res, 0, "evidence_bytes");
	d->letters = pg_i64(res, 0, "letters");
	if (!auth_park_allowed(r, d->park_id))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator declares for its own park only"));
	if (r->pr.role == ROLE_DISTRICT &&
	    strcmp(r->pr.district, d->district) != 0)
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    fmt_arena(r, "the reviewer of %s may not review %s, a park "
		    "of %s", r->pr.district, d->park_code, d->district)));
	if (!pg_bool(res, 0, "in_year")) {
		viols_add(&r->v, "year", "declaration.not_admitted", "%s was "
		    "not admitted during %d", d->park_code, d->year);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "%s was not admitted during %d: it has nothing "
		    "to declare", d->park_code, d->year)));
	}
	if (need_decl && d->decl_id == 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "%s has no declaration for %d yet: assemble it "
		    "first (AssembleDeclaration)", d->park_code, d->year)));
	return (STEP_NEXT);
}

/* A declaration that is submitted or approved takes no change. */
static int
frozen(struct req *r, const char *what)
{
	struct decl	*d = r->state;

	viols_add(&r->v, "park_code", "declaration.frozen", "the %d "
	    "declaration of %s is %s", d->year, d->park_code, d->status);
	return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, fmt_arena(r,
	    "the %d declaration of %s is %s: %s is refused (a returned one "
	    "can be corrected)", d->year, d->park_code, d->status, what)));
}

static int
changeable(const struct decl *d)
{
	return (d->decl_id == 0 || strcmp(d->status, "draft") == 0 ||
	    strcmp(d->status, "returned") == 0);
}

/* ---- the reply: the whole declaration (decl_get) ---- */

static int
get_params(struct req *r, struct qparams *q)
{
	struct decl	*d = r->state;

	qp_str(q, d->park_code);
	qp_i64(q, d->year);
	return (0);
}

static char *
jstr(struct req *r, json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (req_strdup(r, s ? s : ""));
}

/* A JSON array of objects into n messages, each filled by fill. */
static void **
json_list(struct req *r, const char *text, size_t size, size_t *n,
    void (*fill)(struct req *, json_t *, void *))
{
	json_t	*a, *v;
	void	**out;
	size_t	 i;

	*n = 0;
	if ((a = json_loads(text, 0, NULL)) == NULL)
		return (NULL);
	out = req_alloc(r, (json_array_size(a) + 1) * sizeof(void *));
	json_array_foreach(a, i, v) {
		if (out == NULL || (out[i] = req_alloc(r, size)) == NULL)
			break;
		fill(r, v, out[i]);
		(*n)++;
	}
	json_decref(a);
	return (out);
}

static void
fill_tenant(struct req *r, json_t *v, void *m)
{
	Parkd__V1__DeclaredTenant	*t = m;

	parkd__v1__declared_tenant__init(t);
	t->credit_code = jstr(r, v, "credit_code");
	t->name = jstr(r, v, "name");
	t->entry_date = jstr(r, v, "entry_date");
	t->area = json_integer_value(json_object_get(v, "area"));
}

static void
fill_evidence(struct req *r, json_t *v, void *m)
{
	Parkd__V1__Evidence	*e = m;

	parkd__v1__evidence__init(e);
	e->id = json_integer_value(json_object_get(v, "id"));
	e->kind = jstr(r, v, "kind");
	e->name = jstr(r, v, "name");
	e->media_type = jstr(r, v, "media_type");
	e->size = json_integer_value(json_object_get(v, "size"));
	e->sha256 = jstr(r, v, "sha256");
	e->added_by = jstr(r, v, "added_by");
	e->added_at = jstr(r, v, "added_at");
}

static void
fill_event(struct req *r, json_t *v, void *m)
{
	Parkd__V1__DeclarationEvent	*e = m;

	parkd__v1__declaration_event__init(e);
	e->action = jstr(r, v, "action");
	e->actor = jstr(r, v, "actor");
	e->at = jstr(r, v, "at");
	e->comment = jstr(r, v, "comment");
}

static int
decl_reply(struct req *r, PGresult *res)
{
	struct decl			*d = r->state;
	Parkd__V1__Declaration		*o;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "%s has no declaration for %d", d->park_code, d->year)));
	if (!auth_park_allowed(r, pg_i64(res, 0, "park_id")) ||
	    (r->pr.role == ROLE_DISTRICT &&
	    strcmp(r->pr.district, pg_get(res, 0, "district")) != 0))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "a declaration is read by its park, its district and the "
		    "bureau"));
	if ((o = req_alloc(r, sizeof(*o))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__declaration__init(o);
	o->id = pg_i64(res, 0, "id");
	o->year = (int32_t)pg_i64(res, 0, "year");
#define S(f) o->f = req_strdup(r, pg_get(res, 0, #f))
	S(park_code); S(park_name); S(district); S(status); S(figures);
	S(assembled_at); S(submitted_at); S(decided_at);
#undef S
	o->tenants = (Parkd__V1__DeclaredTenant **)json_list(r,
	    pg_get(res, 0, "tenants"), sizeof(Parkd__V1__DeclaredTenant),
	    &o->n_tenants, fill_tenant);
	o->evidence = (Parkd__V1__Evidence **)json_list(r,
	    pg_get(res, 0, "evidence"), sizeof(Parkd__V1__Evidence),
	    &o->n_evidence, fill_evidence);
	o->events = (Parkd__V1__DeclarationEvent **)json_list(r,
	    pg_get(res, 0, "events"), sizeof(Parkd__V1__DeclarationEvent),
	    &o->n_events, fill_event);
	if (o->park_code == NULL || o->figures == NULL ||
	    o->decided_at == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, &o->base));
}

/* ---- AssembleDeclaration ---- */

static int
assemble_params(struct req *r, struct qparams *q)
{
	Parkd__V1__DeclarationRequest	*in = (void *)r->in;

	return (target_params(r, q, in->park_code, in->year));
}

static int
assemble_target(struct req *r, PGresult *res)
{
	struct decl	*d = r->state;

	if (target_read(r, res, 0) != STEP_NEXT)
		return (STEP_DONE);
	if (!changeable(d))
		return (frozen(r, "assembling it again"));
	return (STEP_NEXT);
}

/* eval_raw for the park alone: its year's figures. */
static int
raw_params(struct req *r, struct qparams *q)
{
	struct decl	*d = r->state;

	qp_i64(q, d->year);
	qp_str(q, fmt_arena(r, "%04d-01-01", d->year));
	qp_str(q, fmt_arena(r, "%04d-12-31", d->year));
	qp_str(q, "");		/* no award kind: awards are the bureau's */
	qp_str(q, "");		/* no failing grade: nor are past results */
	qp_i64(q, d->park_id);
	return (0);
}

/* Every column of eval_raw's row, as the declaration's figures. */
static int
raw_read(struct req *r, PGresult *res)
{
	struct decl	*d = r->state;
	json_t		*o;
	char		*t;
	int		 c;

	if (PQntuples(res) != 1)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "%s has no figures for %d", d->park_code,
		    d->year)));
	if ((o = json_object()) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	for (c = 0; c < PQnfields(res); c++) {
		const char	*k = PQfname(res, c), *v = PQgetvalue(res, 0, c);

		/* who the park is, and what the bureau decides, stay out */
		if (strcmp(k, "id") == 0 || strcmp(k, "code") == 0 ||
		    strcmp(k, "name") == 0 || strcmp(k, "district") == 0 ||
		    strcmp(k, "admitted") == 0 || strcmp(k, "admitted_on") == 0 ||
		    strcmp(k, "has_award") == 0 || strcmp(k, "prev_fails") == 0)
			continue;
		if (PQftype(res, c) == 16)		/* bool */
			json_object_set_new(o, k, json_boolean(*v == 't'));
		else
			json_object_set_new(o, k, json_integer(strtoll(v,
			    NULL, 10)));
	}
	t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (t == NULL || (d->figures = req_strdup(r, t)) == NULL) {
		free(t);
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	}
	free(t);
	return (STEP_NEXT);
}

static int
save_params(struct req *r, struct qparams *q)
{
	struct decl	*d = r->state;

	qp_audit(q, r);
	qp_i64(q, d->park_id);
	qp_i64(q, d->year);
	qp_str(q, d->figures);
	return (0);
}

static int
saved(struct req *r, PGresult *res)
{
	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "the declaration was submitted meanwhile"));
	return (STEP_NEXT);
}

static const struct plan assemble = { "AssembleDeclaration", 1,
    (const struct step[]) {
	{ SQL_DECL_TARGET, assemble_params, assemble_target },
	{ SQL_EVAL_RAW, raw_params, raw_read },
	{ SQL_DECL_SAVE, save_params, saved },
	{ SQL_DECL_GET, get_params, decl_reply },
	{ 0, NULL, NULL },
} };

/* ---- AddEvidence ---- */

static int
evidence_target_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddEvidenceRequest	*in = (void *)r->in;

	if (strcmp(in->kind, "commitment_letter") != 0 &&
	    strcmp(in->kind, "other") != 0)
		viols_add(&r->v, "kind", "evidence.kind", "commitment_letter "
		    "or other");
	file_check(r, "content", in->name, in->media_type, &in->content);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad evidence");
		return (-1);
	}
	return (target_params(r, q, in->park_code, in->year));
}

static int
evidence_target(struct req *r, PGresult *res)
{
	Parkd__V1__AddEvidenceRequest	*in = (void *)r->in;
	struct decl			*d = r->state;
	int64_t				 cap;

	if (target_read(r, res, 1) != STEP_NEXT)
		return (STEP_DONE);
	if (!changeable(d))
		return (frozen(r, "adding evidence"));
	cap = (int64_t)server->cfg->declaration_evidence_max_mb * 1048576;
	if (d->evidence_bytes + (int64_t)in->content.len > cap) {
		viols_add(&r->v, "content", "evidence.declaration_full", "%lld "
		    "bytes attached, %zu more would pass the %d MiB of a "
		    "declaration (declaration_evidence_max_mb)",
		    (long long)d->evidence_bytes, in->content.len,
		    server->cfg->declaration_evidence_max_mb);
		return (step_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "the declaration's evidence is full"));
	}
	if ((d->hex = file_hex(r, &in->content, d->sha)) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (STEP_NEXT);
}

static int
evidence_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddEvidenceRequest	*in = (void *)r->in;
	struct decl			*d = r->state;

	qp_audit(q, r);
	qp_i64(q, d->decl_id);
	qp_str(q, in->kind);
	qp_str(q, in->name);
	qp_str(q, *in->media_type ? in->media_type :
	    "application/octet-stream");
	qp_i64(q, (int64_t)in->content.len);
	qp_str(q, d->sha);
	qp_str(q, d->hex);
	return (0);
}


static int
evidence_added(struct req *r, PGresult *res)
{
	struct decl		*d = r->state;
	Parkd__V1__Evidence	*e;

	if (PQntuples(res) == 0) {
		viols_add(&r->v, "content", "evidence.duplicate", "sha256 %s",
		    d->sha);
		return (step_fail(r, PARKD__V1__CODE__ALREADY_EXISTS,
		    "the same file is already attached to this declaration"));
	}
	if ((e = req_alloc(r, sizeof(*e))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	evidence_from_row(r, res, e);
	if (e->added_at == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, &e->base));
}

static const struct plan evidence_add = { "AddEvidence", 1,
    (const struct step[]) {
	{ SQL_DECL_TARGET, evidence_target_params, evidence_target },
	{ SQL_DECL_EVIDENCE_ADD, evidence_params, evidence_added },
	{ 0, NULL, NULL },
} };

/* ---- GetEvidence: the file, for its park, its district, the bureau ---- */

static int
evidence_get_params(struct req *r, struct qparams *q)
{
	Parkd__V1__GetEvidenceRequest	*in = (void *)r->in;

	qp_i64(q, in->id);
	return (0);
}


static int
evidence_got(struct req *r, PGresult *res)
{
	if (PQntuples(res) == 0 ||
	    !auth_park_allowed(r, pg_i64(res, 0, "park_id")) ||
	    (r->pr.role == ROLE_DISTRICT &&
	    strcmp(r->pr.district, pg_get(res, 0, "district")) != 0))
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no such evidence (or not yours to read)"));
	return (file_reply(r, res));
}

static const struct plan evidence_get = { "GetEvidence", 0,
    (const struct step[]) {
	{ SQL_DECL_EVIDENCE_GET, evidence_get_params, evidence_got },
	{ 0, NULL, NULL },
} };

/* ---- GetDeclaration ---- */

static int
decl_get_params(struct req *r, struct qparams *q)
{
	Parkd__V1__DeclarationRequest	*in = (void *)r->in;

	if (decl_new(r, in->park_code, in->year) == NULL)
		return (-1);
	return (get_params(r, q));
}

static const struct plan decl_get = { "GetDeclaration", 0,
    (const struct step[]) {
	{ SQL_DECL_GET, decl_get_params, decl_reply },
	{ 0, NULL, NULL },
} };

/* ---- SubmitDeclaration, ReviewDeclaration ---- */

static int
submit_target(struct req *r, PGresult *res)
{
	struct decl	*d = r->state;

	if (target_read(r, res, 1) != STEP_NEXT)
		return (STEP_DONE);
	if (!changeable(d))
		return (frozen(r, "submitting it again"));
	if (d->letters == 0) {
		viols_add(&r->v, "evidence", "declaration.commitment_letter",
		    "attach the stamped commitment letter (承诺书) as evidence "
		    "of kind commitment_letter");
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "a declaration is submitted with its stamped commitment "
		    "letter"));
	}
	return (STEP_NEXT);
}

static int
submit_params(struct req *r, struct qparams *q)
{
	struct decl	*d = r->state;

	qp_audit(q, r);
	qp_i64(q, d->decl_id);
	qp_str(q, "submitted");
	qp_str(q, "");
	qp_str(q, "{draft,returned}");
	return (0);
}

static int
status_set(struct req *r, PGresult *res)
{
	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "the declaration changed meanwhile; ask again"));
	return (STEP_NEXT);
}

static const struct plan submit = { "SubmitDeclaration", 1,
    (const struct step[]) {
	{ SQL_DECL_TARGET, assemble_params, submit_target },
	{ SQL_DECL_STATUS_SET, submit_params, status_set },
	{ SQL_DECL_GET, get_params, decl_reply },
	{ 0, NULL, NULL },
} };

static int
review_target_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ReviewDeclarationRequest	*in = (void *)r->in;

	if (!in->approve && *in->comment == '\0')
		viols_add(&r->v, "comment", "declaration.return_comment",
		    "say what is to be corrected");
	else if (*in->comment != '\0')
		check_text(r, "comment", in->comment, 1, DECL_COMMENT_MAX);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad review");
		return (-1);
	}
	return (target_params(r, q, in->park_code, in->year));
}

static int
review_target(struct req *r, PGresult *res)
{
	struct decl	*d = r->state;

	if (target_read(r, res, 1) != STEP_NEXT)
		return (STEP_DONE);
	if (strcmp(d->status, "submitted") != 0) {
		viols_add(&r->v, "park_code", "declaration.not_submitted",
		    "the %d declaration of %s is %s", d->year, d->park_code,
		    d->status);
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    fmt_arena(r, "the %d declaration of %s is %s: only a "
		    "submitted declaration is reviewed", d->year, d->park_code,
		    d->status)));
	}
	return (STEP_NEXT);
}

static int
review_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ReviewDeclarationRequest	*in = (void *)r->in;
	struct decl				*d = r->state;

	qp_audit(q, r);
	qp_i64(q, d->decl_id);
	qp_str(q, in->approve ? "approved" : "returned");
	qp_str(q, in->comment);
	qp_str(q, "{submitted}");
	return (0);
}

static const struct plan review = { "ReviewDeclaration", 1,
    (const struct step[]) {
	{ SQL_DECL_TARGET, review_target_params, review_target },
	{ SQL_DECL_STATUS_SET, review_params, status_set },
	{ SQL_DECL_GET, get_params, decl_reply },
	{ 0, NULL, NULL },
} };

#define DECL_READERS	(ROLE_ADMIN | ROLE_BUREAU | ROLE_OPERATOR |	\
    ROLE_VIEWER | ROLE_DISTRICT)

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_declaration_methods[] = {
	{ .name = "AssembleDeclaration", .plan = &assemble,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AddEvidence", .plan = &evidence_add,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "GetDeclaration", .plan = &decl_get, .roles = DECL_READERS },
	{ .name = "GetEvidence", .plan = &evidence_get, .roles = DECL_READERS },
	{ .name = "SubmitDeclaration", .plan = &submit,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "ReviewDeclaration", .plan = &review,
	    .roles = ROLE_DISTRICT },
	{ .name = NULL }
};
