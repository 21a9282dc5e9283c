/* ParkService: create, get, list and update incubation parks. */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

static const char *const park_levels[] = { "base", "high_level", NULL };
static const char *const park_statuses[] = { "applied", "admitted",
    "warned", "exited", NULL };

/* Fields UpdatePark may change; operators only the first four. */
static const char *const park_updatable[] = { "operator_name",
    "operator_credit_code", "operator_legal_person", "staff_count", "name",
    "district", "total_area", "leading_industries", "level", NULL };
#define PARK_OPERATOR_UPDATABLE	4

static void
park_from_row(struct req *r, PGresult *res, int i, Parkd__V1__Park *p)
{
	parkd__v1__park__init(p);
	p->id = pg_i64(res, i, "id");
	p->code = (char *)pg_get(res, i, "code");
	p->name = (char *)pg_get(res, i, "name");
	p->district = (char *)pg_get(res, i, "district");
	p->operator_name = (char *)pg_get(res, i, "operator_name");
	p->operator_credit_code = (char *)pg_get(res, i,
	    "operator_credit_code");
	p->operator_legal_person = pg_bool(res, i, "operator_legal_person");
	p->staff_count = (int32_t)pg_i64(res, i, "staff_count");
	p->total_area = pg_i64(res, i, "total_area");
	p->leading_industries = pg_split(r, pg_get(res, i,
	    "leading_industries"), &p->n_leading_industries);
	p->level = (char *)pg_get(res, i, "level");
	p->status = (char *)pg_get(res, i, "status");
	p->applied_on = (char *)pg_get(res, i, "applied_on");
	p->admitted_on = (char *)pg_get(res, i, "admitted_on");
	p->warned_on = (char *)pg_get(res, i, "warned_on");
	p->exited_on = (char *)pg_get(res, i, "exited_on");
	p->status_reason = (char *)pg_get(res, i, "status_reason");
	p->version = pg_i64(res, i, "version");
	p->created_at = (char *)pg_get(res, i, "created_at");
	p->updated_at = (char *)pg_get(res, i, "updated_at");
}

static void
check_park_code(struct req *r, const char *field, const char *s)
{
	size_t	 i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			break;
	}
	if (n == 0 || n > 32 || i < n)
		viols_add(&r->v, field, "park.code",
		    "must be 1-32 letters, digits, '-' or '_'");
}

static void
check_industries(struct req *r, char **v, size_t n)
{
	size_t	 i, j;

	if (n > 10)
		viols_add(&r->v, "park.leading_industries",
		    "park.leading_industries.count", "at most 10 codes");
	for (i = 0; i < n && i < 10; i++) {
		if (!valid_industry_prefix(v[i]))
			viols_add(&r->v, "park.leading_industries",
			    "industry_code.gb4754", "'%.16s' is not a GB/T "
			    "4754-2017 code or prefix (e.g. C27, I65)", v[i]);
		for (j = 0; j < i; j++) {
			if (strcmp(v[i], v[j]) == 0)
				viols_add(&r->v, "park.leading_industries",
				    "park.leading_industries.duplicate",
				    "'%.16s' is listed twice", v[i]);
		}
	}
}

/* Check the fields of p that are being written (all, or those in mask). */
static void
park_check(struct req *r, const Parkd__V1__Park *p, char **mask, size_t nm)
{
#define W(f)	(mask == NULL || mask_has(mask, nm, f))
	if (W("name"))
		check_text(r, "park.name", p->name, 1, 200);
	if (W("district"))
		check_text(r, "park.district", p->district, 1, 64);
	if (W("operator_name"))
		check_text(r, "park.operator_name", p->operator_name, 1, 200);
	if (W("operator_credit_code"))
		check_credit_code(r, "park.operator_credit_code",
		    p->operator_credit_code);
	if (W("staff_count"))
		viols_range(&r->v, "park.staff_count", p->staff_count, 0,
		    LIMIT_COUNT);
	if (W("total_area"))
		viols_range(&r->v, "park.total_area", p->total_area, 0,
		    LIMIT_AREA);
	if (W("leading_industries"))
		check_industries(r, p->leading_industries,
		    p->n_leading_industries);
	if (W("level") && (mask != NULL || *p->level != '\0') &&
	    !str_in_list(p->level, park_levels))
		viols_add(&r->v, "park.level", "park.level",
		    "must be base or high_level");
#undef W
}

/* The writable fields of a park, in one order for create and update. */
static void
qp_park_fields(struct qparams *q, struct req *r, const Parkd__V1__Park *p)
{
	qp_str(q, p->name);
	qp_str(q, p->district);
	qp_str(q, p->operator_name);
	qp_str(q, p->operator_credit_code);
	qp_bool(q, p->operator_legal_person);
	qp_i64(q, p->staff_count);
	qp_i64(q, p->total_area);
	qp_str(q, req_join(r, p->leading_industries,
	    p->n_leading_industries));
	qp_str(q, p->level);
}

static void
park_reply_row(struct req *r, PGresult *res)
{
	Parkd__V1__Park	 p;

	park_from_row(r, res, 0, &p);
	req_reply(r, &p.base);
}

static void
park_create_done(struct req *r, PGresult *res)
{
	if (pg_ok(r, res, PGRES_TUPLES_OK, "CreatePark"))
		park_reply_row(r, res);
}

static void
park_check_status(struct req *r, const Parkd__V1__Park *p)
{
	if (*p->status != '\0' && !str_in_list(p->status, park_statuses))
		viols_add(&r->v, "park.status", "park.status",
		    "must be applied, admitted, warned or exited");
	if (*p->applied_on != '\0' && !valid_date(p->applied_on))
		viols_add(&r->v, "park.applied_on", "date", "not a YYYY-MM-DD "
		    "date");
	if (*p->admitted_on != '\0' && !valid_date(p->admitted_on))
		viols_add(&r->v, "park.admitted_on", "date", "not a YYYY-MM-DD "
		    "date");
	else if (*p->applied_on != '\0' && *p->admitted_on != '\0' &&
	    strcmp(p->applied_on, p->admitted_on) > 0)
		viols_add(&r->v, "park.applied_on", "park.dates", "applied on "
		    "%s, after its admission on %s", p->applied_on,
		    p->admitted_on);
	check_text(r, "park.status_reason", p->status_reason, 0, 500);
}

static void
svc_park_create(struct req *r)
{
	Parkd__V1__CreateParkRequest	*in = (void *)r->in;
	Parkd__V1__Park			*p = in->park;
	struct qparams			 q;

	if (p == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "park is required");
		return;
	}
	check_park_code(r, "park.code", p->code);
	park_check(r, p, NULL, 0);
	park_check_status(r, p);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "park is not valid");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_str(&q, p->code);
	qp_park_fields(&q, r, p);
	q.v[q.n - 1] = *p->level ? p->level : "base";
	qp_str(&q, *p->status ? p->status : "applied");
	qp_str_or_null(&q, p->applied_on);
	qp_str_or_null(&q, p->admitted_on);
	qp_str(&q, p->status_reason);
	db_exec(r, SQL_PARK_INSERT, q.n, q.v, park_create_done);
}

/* GetPark: by id or by code; an operator reads only its own park. */
static int
park_get_params(struct req *r, struct qparams *q)
{
	Parkd__V1__GetParkRequest	*in = (void *)r->in;

	if ((in->id == 0) == (*in->code == '\0')) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "give exactly one of id and code");
		return (-1);
	}
	if (in->id != 0)
		qp_i64(q, in->id);
	else {
		qp_stmt(q, SQL_PARK_GET_BY_CODE);
		qp_str(q, in->code);
	}
	return (0);
}

static int
park_get_row(struct req *r, PGresult *res)
{
	Parkd__V1__Park	*p;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no such park"));
	if (!auth_park_allowed(r, pg_i64(res, 0, "id")))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may only read its own park"));
	if ((p = req_alloc(r, sizeof(*p))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	park_from_row(r, res, 0, p);
	return (step_reply(r, &p->base));
}

static const struct plan park_get = { "GetPark", 0, (const struct step[]) {
	{ SQL_PARK_GET, park_get_params, park_get_row },
	{ 0, NULL, NULL },
} };

static void
park_fill(struct req *r, PGresult *res, int i, void *m)
{
	park_from_row(r, res, i, m);
}

/*
 * ListParks with no filter, city-wide: a statement per page size, the limit
 * in its text (rpc/page.c); with a filter or for an operator, park_list
 * (planned per call, the page size + 1 its $6).
 */
static const struct page_stmt park_pages[] = PAGES_OF(SQL_PARK_LIST_PAGE);

/* ListParks: a page, filtered; an operator sees its own park only. */
static int
park_list_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListParksRequest	*in = (void *)r->in;
	int64_t				 after;

	if (page_after(r, in->page_token, &after) != 0)
		return (-1);
	check_text(r, "district", in->district, 0, 64);
	if (*in->status != '\0' && !str_in_list(in->status, park_statuses))
		viols_add(&r->v, "status", "park.status", "'%.16s' is not a "
		    "park status: applied, admitted, warned or exited",
		    in->status);
	if (*in->level != '\0' && !str_in_list(in->level, park_levels))
		viols_add(&r->v, "level", "park.level", "'%.16s' is not a "
		    "park level: base or high_level", in->level);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "filter is not valid");
		return (-1);
	}
	qp_str(q, in->district);
	qp_str(q, in->status);
	qp_str(q, in->level);
	qp_i64(q, after);
	qp_i64(q, auth_scope(r));
	qp_page(q, park_pages, page_size_clamp(in->page_size),
	    *in->district == '\0' && *in->status == '\0' &&
	    *in->level == '\0' && auth_scope(r) == 0);
	return (0);
}

static int
park_list_page(struct req *r, PGresult *res)
{
	Parkd__V1__ListParksRequest	*in = (void *)r->in;

	return (step_reply_page(r, res, page_size_clamp(in->page_size),
	    &parkd__v1__list_parks_response__descriptor, "id", park_fill));
}

static const struct plan park_list = { "ListParks", 0,
    (const struct step[]) {
	{ SQL_PARK_LIST, park_list_params, park_list_page },
	{ 0, NULL, NULL },
} };

static void
park_update_done(struct req *r, PGresult *res)
{
	Parkd__V1__UpdateParkRequest	*in = (void *)r->in;
	const char			*outcome;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "UpdatePark"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no such park");
		return;
	}
	outcome = pg_get(res, 0, "outcome");
	if (strcmp(outcome, "denied") == 0) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may only update its own park");
		return;
	}
	if (strcmp(outcome, "stale") == 0) {
		viols_add(&r->v, "park.version", "version.stale",
		    "you sent version %lld but the park is at version %lld",
		    (long long)in->park->version,
		    (long long)pg_i64(res, 0, "version"));
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "park was changed since you read it; read it again and "
		    "retry");
		return;
	}
	park_reply_row(r, res);
}

/* Operators may only change their operator's own particulars. */
static int
park_mask_allowed(struct req *r, char **mask, size_t n)
{
	size_t	 i, j;

	if (r->pr.role != ROLE_OPERATOR)
		return (1);
	for (i = 0; i < n; i++) {
		for (j = 0; j < PARK_OPERATOR_UPDATABLE; j++) {
			if (strcmp(mask[i], park_updatable[j]) == 0)
				break;
		}
		if (j == PARK_OPERATOR_UPDATABLE) {
			req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
			    "an operator may not change park.%.64s", mask[i]);
			return (0);
		}
	}
	return (1);
}

static void
svc_park_update(struct req *r)
{
	Parkd__V1__UpdateParkRequest	*in = (void *)r->in;
	Parkd__V1__Park			*p = in->park;
	struct qparams			 q;
	char				*mask;

	if (p == NULL || (p->id == 0 && *p->code == '\0') || p->version <= 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "park.id (or park.code) and park.version are required");
		return;
	}
	mask = mask_literal(r, in->update_mask, in->n_update_mask,
	    park_updatable);
	if (mask == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "update_mask is not valid");
		return;
	}
	if (!park_mask_allowed(r, in->update_mask, in->n_update_mask))
		return;
	park_check(r, p, in->update_mask, in->n_update_mask);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "park is not valid");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, p->id);				/* $5 */
	qp_str(&q, p->code);
	qp_i64(&q, p->version);
	qp_i64(&q, auth_scope(r));
	qp_str(&q, mask);				/* $9 */
	qp_park_fields(&q, r, p);			/* $10..$18 */
	db_exec(r, SQL_PARK_UPDATE, q.n, q.v, park_update_done);
}

/* ---- lifecycle: applied -> admitted -> warned -> exited ---- */

struct decision {
	const char	*to;
	const char	*from;		/* text[] literal of allowed states */
	int64_t		 version;	/* admission: the version checked */
	struct ymd	 date;
	char		 date_s[11];
};

static void
decision_done(struct req *r, PGresult *res)
{
	Parkd__V1__ParkDecisionRequest	*in = (void *)r->in;
	struct decision			*d = r->state;
	Parkd__V1__ExitParkResponse	 out =
	    PARKD__V1__EXIT_PARK_RESPONSE__INIT;
	Parkd__V1__Park			 p;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, r->m->name))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no park '%s'",
		    in->park_code);
		return;
	}
	park_from_row(r, res, 0, &p);
	if (strcmp(pg_get(res, 0, "outcome"), "done") != 0) {
		viols_add(&r->v, "park.status", "park.lifecycle", "%s is '%s'; "
		    "%s needs a park that is %s", p.code, p.status, r->m->name,
		    d->from);
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "%s refused for %s", r->m->name, p.code);
		return;
	}
	if (strcmp(d->to, "exited") != 0) {
		req_reply(r, &p.base);
		return;
	}
	out.park = &p;
	out.tenancies_closed = (int32_t)pg_i64(res, 0, "closed");
	req_reply(r, &out.base);
}

/* Move the park from one of d->from to d->to, closing tenancies on exit. */
static void
decision_write(struct req *r)
{
	Parkd__V1__ParkDecisionRequest	*in = (void *)r->in;
	struct decision			*d = r->state;
	struct qparams			 q;

	qp_init(&q);
	qp_audit(&q, r);
	qp_str(&q, in->park_code);
	qp_str(&q, d->to);
	qp_str(&q, d->date_s);
	qp_str(&q, in->reason);
	qp_str(&q, d->from);
	qp_i64(&q, d->version);
	db_exec(r, SQL_PARK_DECIDE, q.n, q.v, decision_done);
}

static struct decision *
decision_start(struct req *r, const char *to, const char *from,
    int need_reason)
{
	Parkd__V1__ParkDecisionRequest	*in = (void *)r->in;
	struct decision			*d;

	if ((d = req_alloc(r, sizeof(*d))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return (NULL);
	}
	r->state = d;
	d->to = to;
	d->from = from;
	check_text(r, "park_code", in->park_code, 1, 32);
	check_text(r, "reason", in->reason, need_reason ? 1 : 0, 500);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "%s is not valid",
		    r->m->name);
		return (NULL);
	}
	if (date_or_today(r, "date", in->date, &d->date, d->date_s) != 0)
		return (NULL);
	return (d);
}

/* Admission: every admission rule of the year's policy must hold. */
static void
admit_checked(struct req *r, PGresult *res)
{
	struct decision		*d = r->state;
	const struct policy	*pol;
	struct park_facts	 k;
	size_t			 n;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "AdmitPark"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no such park");
		return;
	}
	if ((pol = policy_from_row(r, res, 0, d->date.y)) == NULL)
		return;
	memset(&k, 0, sizeof(k));
	k.code = pg_get(res, 0, "code");
	k.legal_person = pg_bool(res, 0, "operator_legal_person");
	k.staff = (int)pg_i64(res, 0, "staff_count");
	k.industries = pg_split(r, pg_get(res, 0, "leading_industries"), &n);
	k.n_industries = (int)n;
	k.total_area = pg_i64(res, 0, "total_area");
	rules_park_admission(pol, &k, &r->v);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "admission of "
		    "%s refused by policy %s: %zu rule(s) broken", k.code,
		    pol->name, r->v.n);
		return;
	}
	d->version = pg_i64(res, 0, "version");
	decision_write(r);
}

static void
svc_park_admit(struct req *r)
{
	Parkd__V1__ParkDecisionRequest	*in = (void *)r->in;
	struct decision			*d;
	struct qparams			 q;

	if ((d = decision_start(r, "admitted", "{applied}", 0)) == NULL)
		return;
	qp_init(&q);
	qp_str(&q, in->park_code);
	qp_i64(&q, d->date.y);
	db_exec(r, SQL_PARK_ADMIT_FACTS, q.n, q.v, admit_checked);
}

static void
svc_park_warn(struct req *r)
{
	if (decision_start(r, "warned", "{admitted}", 1) != NULL)
		decision_write(r);
}

static void
svc_park_exit(struct req *r)
{
	if (decision_start(r, "exited", "{applied,admitted,warned}", 1) != NULL)
		decision_write(r);
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_park_methods[] = {
	{ .name = "CreatePark", .handler = svc_park_create,
	    .roles = ROLE_BUREAU },
	{ .name = "GetPark", .ro = 1, .plan = &park_get,
	    .roles = ROLES_ALL },
	{ .name = "ListParks", .ro = 1, .plan = &park_list,
	    .roles = ROLES_ALL },
	{ .name = "UpdatePark", .handler = svc_park_update,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AdmitPark", .handler = svc_park_admit,
	    .roles = ROLE_BUREAU },
	{ .name = "WarnPark", .handler = svc_park_warn,
	    .roles = ROLE_BUREAU },
	{ .name = "ExitPark", .handler = svc_park_exit,
	    .roles = ROLE_BUREAU },
	{ .name = NULL }
};
