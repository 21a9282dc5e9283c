/* FirmService: tenant firms, identified by their unified social credit code. */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

#define FIRM_COLS							\
	"f.id, f.credit_code, f.name, f.industry_code, "		\
	DATE_COL("f.registered_on") " AS registered_on, f.tech_based, "	\
	"f.srdi, f.version, " TS_COL("f.created_at") " AS created_at, "	\
	TS_COL("f.updated_at") " AS updated_at"

/* Operators ($14 = their park): see schema/0005_scope.sql. */
#define FIRM_SCOPE(fid) "scope_firm_identity_write($14, " fid ")"

static const char *const firm_updatable[] = { "name", "industry_code",
    "registered_on", "tech_based", "srdi", NULL };

static void
firm_from_row(PGresult *res, int i, Parkd__V1__Firm *f)
{
	parkd__v1__firm__init(f);
	f->id = pg_i64(res, i, "id");
	f->credit_code = (char *)pg_get(res, i, "credit_code");
	f->name = (char *)pg_get(res, i, "name");
	f->industry_code = (char *)pg_get(res, i, "industry_code");
	f->registered_on = (char *)pg_get(res, i, "registered_on");
	f->tech_based = pg_bool(res, i, "tech_based");
	f->srdi = pg_bool(res, i, "srdi");
	f->version = pg_i64(res, i, "version");
	f->created_at = (char *)pg_get(res, i, "created_at");
	f->updated_at = (char *)pg_get(res, i, "updated_at");
}

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

static void
firm_reply_row(struct req *r, PGresult *res)
{
	Parkd__V1__Firm	 f;

	firm_from_row(res, 0, &f);
	req_reply(r, &f.base);
}

static void
firm_create_done(struct req *r, PGresult *res)
{
	if (pg_ok(r, res, PGRES_TUPLES_OK, "CreateFirm"))
		firm_reply_row(r, res);
}

static void
svc_firm_create(struct req *r)
{
	Parkd__V1__CreateFirmRequest	*in = (void *)r->in;
	Parkd__V1__Firm			*f = in->firm;
	struct qparams			 q;

	if (f == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "firm is required");
		return;
	}
	check_credit_code(r, "firm.credit_code", f->credit_code);
	firm_check(r, f, NULL, 0);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "firm is not valid");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_str(&q, f->credit_code);
	qp_str(&q, f->name);
	qp_str(&q, f->industry_code);
	qp_str(&q, f->registered_on);
	qp_bool(&q, f->tech_based);
	qp_bool(&q, f->srdi);
	qp_i64(&q, auth_scope(r));
	db_query(r, "WITH ins AS (INSERT INTO firms (credit_code, name, "
	    "industry_code, registered_on, tech_based, srdi, registered_by) "
	    "VALUES ($5, $6, $7, $8, $9, $10, nullif($11::bigint, 0)) "
	    "RETURNING *), "
	    "aud AS (" AUDIT_SQL("'firm:' || ins.credit_code",
	    "jsonb_build_object('after', to_jsonb(ins))", "ins") ") "
	    "SELECT " FIRM_COLS " FROM ins f", q.n, q.v, firm_create_done);
}

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
	qp_i64(q, in->id);
	qp_str(q, in->credit_code);
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

static void
firm_fill(struct req *r, PGresult *res, int i, void *m)
{
	(void)r;
	firm_from_row(res, i, m);
}

static void
firm_list_done(struct req *r, PGresult *res)
{
	Parkd__V1__ListFirmsRequest	*in = (void *)r->in;
	Parkd__V1__ListFirmsResponse	 out = PARKD__V1__LIST_FIRMS_RESPONSE__INIT;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ListFirms"))
		return;
	out.firms = (Parkd__V1__Firm **)page_build(r, res,
	    page_size_clamp(in->page_size), sizeof(Parkd__V1__Firm), firm_fill,
	    "id", &out.n_firms, &out.next_page_token);
	if (out.firms != NULL)
		req_reply(r, &out.base);
}

static void
svc_firm_list(struct req *r)
{
	Parkd__V1__ListFirmsRequest	*in = (void *)r->in;
	struct qparams			 q;
	int64_t				 after;

	if (page_after(r, in->page_token, &after) != 0)
		return;
	check_text(r, "name_contains", in->name_contains, 0, 200);
	if (*in->industry_prefix != '\0' &&
	    !valid_industry_prefix(in->industry_prefix))
		viols_add(&r->v, "industry_prefix", "industry_code.gb4754",
		    "is not a GB/T 4754-2017 code or prefix");
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "filter is not valid");
		return;
	}
	qp_init(&q);
	qp_str(&q, in->industry_prefix);
	qp_str(&q, in->name_contains);
	qp_i64(&q, after);
	qp_i64(&q, page_size_clamp(in->page_size) + 1);
	qp_i64(&q, auth_scope(r));
	db_query(r, "SELECT " FIRM_COLS " FROM firms f WHERE "
	    "($1 = '' OR f.industry_code LIKE $1 || '%') AND "
	    "($2 = '' OR strpos(f.name, $2) > 0) AND f.id > $3 AND "
	    "($5::bigint = 0 OR scope_firm_read($5, f.id, NULL, NULL)) "
	    "ORDER BY f.id LIMIT $4", q.n, q.v, firm_list_done);
}

static void
firm_update_done(struct req *r, PGresult *res)
{
	Parkd__V1__UpdateFirmRequest	*in = (void *)r->in;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "UpdateFirm"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no such firm");
		return;
	}
	if (strcmp(pg_get(res, 0, "outcome"), "denied") == 0) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "an operator "
		    "may only update firms with an active tenancy in its park "
		    "(or that it registered and that never entered a park)");
		return;
	}
	if (strcmp(pg_get(res, 0, "outcome"), "stale") == 0) {
		viols_add(&r->v, "firm.version", "version.stale",
		    "you sent version %lld but the firm is at version %lld",
		    (long long)in->firm->version,
		    (long long)pg_i64(res, 0, "version"));
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "firm was changed since you read it; read it again and "
		    "retry");
		return;
	}
	firm_reply_row(r, res);
}

static void
svc_firm_update(struct req *r)
{
	Parkd__V1__UpdateFirmRequest	*in = (void *)r->in;
	Parkd__V1__Firm			*f = in->firm;
	struct qparams			 q;
	char				*mask;

	if (f == NULL || (f->id == 0 && *f->credit_code == '\0') ||
	    f->version <= 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "firm.id (or firm.credit_code) and firm.version are "
		    "required");
		return;
	}
	if ((mask = mask_literal(r, in->update_mask, in->n_update_mask,
	    firm_updatable)) != NULL)
		firm_check(r, f, in->update_mask, in->n_update_mask);
	if (mask == NULL || r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "update is not valid");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, f->id);				/* $5 */
	qp_str(&q, f->credit_code);
	qp_i64(&q, f->version);
	qp_str(&q, mask);				/* $8 */
	qp_str(&q, f->name);
	qp_str(&q, f->industry_code);
	qp_str_or_null(&q, f->registered_on);
	qp_bool(&q, f->tech_based);
	qp_bool(&q, f->srdi);				/* $13 */
	qp_i64(&q, auth_scope(r));
#define SET(col, val) col " = CASE WHEN '" col "' = ANY($8::text[]) THEN " \
	val " ELSE f." col " END, "
	db_query(r, "WITH old AS (SELECT * FROM firms WHERE "
	    "($5::bigint <> 0 AND id = $5) OR ($5 = 0 AND credit_code = $6)), "
	    "upd AS (UPDATE firms f SET "
	    SET("name", "$9") SET("industry_code", "$10")
	    SET("registered_on", "$11::date") SET("tech_based", "$12::boolean")
	    SET("srdi", "$13::boolean")
	    "version = f.version + 1, updated_at = now() FROM old "
	    "WHERE f.id = old.id AND f.version = $7 AND " FIRM_SCOPE("f.id")
	    " RETURNING f.*), "
	    "aud AS (" AUDIT_SQL("'firm:' || upd.credit_code",
	    "jsonb_build_object('fields', $8::text[], 'before', to_jsonb(old), "
	    "'after', to_jsonb(upd))", "upd, old") ") "
	    "SELECT 'updated' AS outcome, " FIRM_COLS " FROM upd f "
	    "UNION ALL SELECT CASE WHEN " FIRM_SCOPE("f.id") " THEN 'stale' "
	    "ELSE 'denied' END, " FIRM_COLS " FROM old f "
	    "WHERE NOT EXISTS (SELECT 1 FROM upd)", q.n, q.v, firm_update_done);
#undef SET
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_firm_methods[] = {
	{ .name = "CreateFirm", .handler = svc_firm_create,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "GetFirm", .plan = &firm_get,
	    .roles = ROLES_ALL },
	{ .name = "ListFirms", .handler = svc_firm_list,
	    .roles = ROLES_ALL },
	{ .name = "UpdateFirm", .handler = svc_firm_update,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = NULL }
};
