/* FirmService: tenant firms, identified by their unified social credit code. */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

static const char *const firm_updatable[] = { "name", "industry_code",
    "registered_on", "tech_based", "srdi", NULL };

static void
firm_check(struct req *r, const Parkd__V1__Firm *f, char **mask, size_t nm)
{
#define W(x)	(mask == NULL || mask_has(mask, nm, x))
	if (W("name"))
		check_text(r, "firm.name", f->name, 1, 200);
	if (W("industry_code") && !valid_industry_code(f->industry_code))
		viols_add(&r->v, "firm.industry_code", "industry_code.gb4754",
		    "'%.16s' is not a GB/T 4754-2017 code: a section letter "
		    "A-T and 2-4 digits, e.g. I65", f->industry_code);
	if (W("registered_on") && !valid_date(f->registered_on))
		viols_add(&r->v, "firm.registered_on", "date",
		    "'%.16s' is not a YYYY-MM-DD date", f->registered_on);
#undef W
}

/* CreateFirm: a new firm; an operator's is registered by its park. */
static int
firm_create_params(struct req *r, struct qparams *q)
{
	Parkd__V1__CreateFirmRequest	*in = (void *)r->in;
	Parkd__V1__Firm			*f = in->firm;

	if (f == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "firm is required");
		return (-1);
	}
	check_credit_code(r, "firm.credit_code", f->credit_code);
	firm_check(r, f, NULL, 0);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "firm is not valid");
		return (-1);
	}
	qp_audit(q, r);
	qp_str(q, f->credit_code);
	qp_str(q, f->name);
	qp_str(q, f->industry_code);
	qp_str(q, f->registered_on);
	qp_bool(q, f->tech_based);
	qp_bool(q, f->srdi);
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
firm_row(struct req *r, PGresult *res)
{
	return (step_reply_row(r, res, &parkd__v1__firm__descriptor));
}

static const struct plan firm_create = { "CreateFirm", 0,
    (const struct step[]) {
	{ SQL_FIRM_CREATE, firm_create_params, firm_row },
	{ 0, NULL, NULL },
} };

/* GetFirm: by id or credit code; an operator reads its park's firms. */
static int
firm_get_params(struct req *r, struct qparams *q)
{
	Parkd__V1__GetFirmRequest	*in = (void *)r->in;

	if ((in->id == 0) == (*in->credit_code == '\0')) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "give exactly one of id and credit_code");
		return (-1);
	}
	if (in->id != 0)
		qp_i64(q, in->id);
	else {
		qp_stmt(q, SQL_FIRM_GET_BY_CODE);
		qp_str(q, in->credit_code);
	}
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
firm_get_row(struct req *r, PGresult *res)
{
	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no such firm"));
	if (!pg_bool(res, 0, "in_scope"))
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "an operator may read only firms that are or were tenants "
		    "of its park"));
	return (step_reply_row(r, res, &parkd__v1__firm__descriptor));
}

static const struct plan firm_get = { "GetFirm", 0, (const struct step[]) {
	{ SQL_FIRM_GET, firm_get_params, firm_get_row },
	{ 0, NULL, NULL },
} };

/*
 * ListFirms with no filter, city-wide: a statement per page size, the limit
 * in its text (rpc/page.c); with a filter or for an operator, firm_list
 * (the page size + 1 its $5).
 */
static const struct page_stmt firm_pages[] = PAGES_OF(SQL_FIRM_LIST_PAGE);

/* ListFirms: a page, filtered; an operator sees its park's firms. */
static int
firm_list_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListFirmsRequest	*in = (void *)r->in;
	int64_t				 after;

	if (page_after(r, in->page_token, &after) != 0)
		return (-1);
	check_text(r, "name_contains", in->name_contains, 0, 200);
	if (*in->industry_prefix != '\0' &&
	    !valid_industry_prefix(in->industry_prefix))
		viols_add(&r->v, "industry_prefix", "industry_code.gb4754",
		    "is not a GB/T 4754-2017 code or prefix");
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "filter is not valid");
		return (-1);
	}
	qp_str(q, in->industry_prefix);
	qp_str(q, in->name_contains);
	qp_i64(q, after);
	qp_i64(q, auth_scope(r));
	qp_page(q, firm_pages, page_size_clamp(in->page_size),
	    *in->industry_prefix == '\0' && *in->name_contains == '\0' &&
	    auth_scope(r) == 0);
	return (0);
}

static int
firm_listed(struct req *r, PGresult *res)
{
	Parkd__V1__ListFirmsRequest	*in = (void *)r->in;

	return (step_reply_list(r, res, page_size_clamp(in->page_size),
	    &parkd__v1__list_firms_response__descriptor, "id"));
}

static const struct plan firm_list = { "ListFirms", 0, (const struct step[]) {
	{ SQL_FIRM_LIST, firm_list_params, firm_listed },
	{ 0, NULL, NULL },
} };

/* UpdateFirm: the masked fields, at the version the caller read. */
static int
firm_update_params(struct req *r, struct qparams *q)
{
	Parkd__V1__UpdateFirmRequest	*in = (void *)r->in;
	Parkd__V1__Firm			*f = in->firm;
	char				*mask;

	if (f == NULL || (f->id == 0 && *f->credit_code == '\0') ||
	    f->version <= 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "firm.id (or firm.credit_code) and firm.version are "
		    "required");
		return (-1);
	}
	if ((mask = mask_literal(r, in->update_mask, in->n_update_mask,
	    firm_updatable)) != NULL)
		firm_check(r, f, in->update_mask, in->n_update_mask);
	if (mask == NULL || r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "update is not valid");
		return (-1);
	}
	qp_audit(q, r);
	qp_i64(q, f->id);				/* $5 */
	qp_str(q, f->credit_code);
	qp_i64(q, f->version);
	qp_str(q, mask);				/* $8 */
	qp_str(q, f->name);
	qp_str(q, f->industry_code);
	qp_str_or_null(q, f->registered_on);
	qp_bool(q, f->tech_based);
	qp_bool(q, f->srdi);				/* $13 */
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
firm_updated(struct req *r, PGresult *res)
{
	Parkd__V1__UpdateFirmRequest	*in = (void *)r->in;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no such firm"));
	if (strcmp(pg_get(res, 0, "outcome"), "denied") == 0)
		return (step_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "an "
		    "operator may only update firms with an active tenancy in "
		    "its park (or that it registered and that never entered a "
		    "park)"));
	if (strcmp(pg_get(res, 0, "outcome"), "stale") == 0) {
		viols_add(&r->v, "firm.version", "version.stale",
		    "you sent version %lld but the firm is at version %lld",
		    (long long)in->firm->version,
		    (long long)pg_i64(res, 0, "version"));
		return (step_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "firm was changed since you read it; read it again and "
		    "retry"));
	}
	return (firm_row(r, res));
}

static const struct plan firm_update = { "UpdateFirm", 0,
    (const struct step[]) {
	{ SQL_FIRM_UPDATE, firm_update_params, firm_updated },
	{ 0, NULL, NULL },
} };

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_firm_methods[] = {
	{ .name = "CreateFirm", .plan = &firm_create,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "GetFirm", .ro = 1, .plan = &firm_get,
	    .roles = ROLES_ALL },
	{ .name = "ListFirms", .ro = 1, .plan = &firm_list,
	    .roles = ROLES_ALL },
	{ .name = "UpdateFirm", .plan = &firm_update,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = NULL }
};
