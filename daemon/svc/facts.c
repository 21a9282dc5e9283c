/*
 * The facts the rules read about a firm: quarterly reports, equity
 * financing, acquisition/listing events and certifications. Operators may
 * record them only for firms with an active tenancy in their park.
 */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

/* Firm $5 (by credit code), if the caller ($6: operator park, 0) may act. */
#define FIRM_IN_SCOPE_IF(cond)						\
	"f AS (SELECT id FROM firms WHERE credit_code = $5), "		\
	"fs AS (SELECT f.id FROM f WHERE " cond "), "
#define FIRM_IN_SCOPE	FIRM_IN_SCOPE_IF("scope_firm_write($6, f.id)")
#define FIRM_FOUND	"(SELECT count(*) FROM f) AS found"

static void
qp_scope(struct qparams *q, struct req *r, const char *credit_code)
{
	qp_str(q, credit_code);
	qp_i64(q, auth_scope(r));
}

/* Common outcome of a scoped write: NOT_FOUND, PERMISSION_DENIED or a row. */
static int
scoped_row(struct req *r, PGresult *res, const char *what)
{
	if (!pg_ok(r, res, PGRES_TUPLES_OK, what))
		return (0);
	if (PQntuples(res) == 0 || strcmp(pg_get(res, 0, "found"), "0") == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "%s: no such firm", what);
		return (0);
	}
	if (PQgetisnull(res, 0, PQfnumber(res, "id"))) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "%s: the firm "
		    "is not an active tenant of your park (or, for a report, "
		    "was a tenant of another park in that quarter)", what);
		return (0);
	}
	return (1);
}

/* PutFirmReport: one quarter of a firm, where the caller may write it. */
static int
report_params(struct req *r, struct qparams *q)
{
	Parkd__V1__PutFirmReportRequest	*in = (void *)r->in;
	Parkd__V1__FirmReport		*p = in->report;

	if (p == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "report is "
		    "required");
		return (-1);
	}
	check_firm_report(&r->v, "report.", p);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "report is not "
		    "valid");
		return (-1);
	}
	qp_audit(q, r);
	qp_scope(q, r, p->credit_code);
	qp_i64(q, p->year);
	qp_i64(q, p->quarter);
	qp_i64(q, p->revenue);
	qp_i64(q, p->jobs);
	qp_i64(q, p->graduate_jobs);
	qp_i64(q, p->rnd_spend);
	qp_i64(q, p->ip_granted);
	return (0);
}

/* The report as sent, with its stored version. */
static int
report_stored(struct req *r, PGresult *res)
{
	Parkd__V1__PutFirmReportRequest	*in = (void *)r->in;
	Parkd__V1__FirmReport		*out;

	if (!scoped_row(r, res, "PutFirmReport"))
		return (STEP_DONE);
	if ((out = req_alloc(r, sizeof(*out))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	*out = *in->report;
	out->version = pg_i64(res, 0, "version");
	return (step_reply(r, &out->base));
}

static const struct plan report_put = { "PutFirmReport", 0,
    (const struct step[]) {
	{ SQL_FACTS_REPORT_PUT, report_params, report_stored },
	{ 0, NULL, NULL },
} };

static void
financing_done(struct req *r, PGresult *res)
{
	Parkd__V1__AddFinancingRequest	*in = (void *)r->in;
	Parkd__V1__Financing		 out;

	if (!scoped_row(r, res, "AddFinancing"))
		return;
	out = *in->financing;
	out.id = pg_i64(res, 0, "id");
	req_reply(r, &out.base);
}

static void
svc_facts_financing(struct req *r)
{
	Parkd__V1__AddFinancingRequest	*in = (void *)r->in;
	Parkd__V1__Financing		*p = in->financing;
	struct qparams			 q;

	if (p == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "financing is "
		    "required");
		return;
	}
	if (!valid_date(p->date))
		viols_add(&r->v, "financing.date", "date", "not a YYYY-MM-DD "
		    "date");
	viols_range(&r->v, "financing.amount", p->amount, 1, LIMIT_FEN);
	check_text(r, "financing.investor", p->investor, 0, 200);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "financing is "
		    "not valid");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_scope(&q, r, p->credit_code);
	qp_str(&q, p->date);
	qp_i64(&q, p->amount);
	qp_str(&q, p->investor);
	db_query(r, "WITH " FIRM_IN_SCOPE "x AS (INSERT INTO firm_financings "
	    "(firm_id, date, amount, investor) SELECT id, $7, $8, $9 FROM fs "
	    "RETURNING *), aud AS (" AUDIT_SQL("'firm:' || $5",
	    "jsonb_build_object('financing', to_jsonb(x))", "x") ") "
	    "SELECT " FIRM_FOUND ", x.id FROM (SELECT 1) one LEFT JOIN x ON "
	    "true", q.n, q.v, financing_done);
}

static void
event_done(struct req *r, PGresult *res)
{
	Parkd__V1__AddFirmEventRequest	*in = (void *)r->in;
	Parkd__V1__FirmEvent		 out;

	if (!scoped_row(r, res, "AddFirmEvent"))
		return;
	out = *in->event;
	out.id = pg_i64(res, 0, "id");
	req_reply(r, &out.base);
}

static void
svc_facts_event(struct req *r)
{
	Parkd__V1__AddFirmEventRequest	*in = (void *)r->in;
	Parkd__V1__FirmEvent		*p = in->event;
	struct qparams			 q;

	if (p == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "event is "
		    "required");
		return;
	}
	if (strcmp(p->kind, "acquired") != 0 && strcmp(p->kind, "listed") != 0)
		viols_add(&r->v, "event.kind", "event.kind", "must be acquired "
		    "or listed");
	if (!valid_date(p->date))
		viols_add(&r->v, "event.date", "date", "not a YYYY-MM-DD date");
	check_text(r, "event.detail", p->detail, 0, 500);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "event is not "
		    "valid");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_scope(&q, r, p->credit_code);
	qp_str(&q, p->kind);
	qp_str(&q, p->date);
	qp_str(&q, p->detail);
	db_query(r, "WITH " FIRM_IN_SCOPE "x AS (INSERT INTO firm_events "
	    "(firm_id, kind, date, detail) SELECT id, $7, $8, $9 FROM fs "
	    "RETURNING *), aud AS (" AUDIT_SQL("'firm:' || $5",
	    "jsonb_build_object('event', to_jsonb(x))", "x") ") "
	    "SELECT " FIRM_FOUND ", x.id FROM (SELECT 1) one LEFT JOIN x ON "
	    "true", q.n, q.v, event_done);
}

#define CERT_COLS							\
	"c.id, f.credit_code, c.kind, c.number, c.valid_from::text AS "	\
	"valid_from, c.valid_to::text AS valid_to, " DATE_COL("c.expired_on") \
	" AS expired_on"

static void
cert_from_row(PGresult *res, int i, Parkd__V1__Certification *c)
{
	parkd__v1__certification__init(c);
	c->id = pg_i64(res, i, "id");
	c->credit_code = (char *)pg_get(res, i, "credit_code");
	c->kind = (char *)pg_get(res, i, "kind");
	c->number = (char *)pg_get(res, i, "number");
	c->valid_from = (char *)pg_get(res, i, "valid_from");
	c->valid_to = (char *)pg_get(res, i, "valid_to");
	c->expired_on = (char *)pg_get(res, i, "expired_on");
}

static void
cert_add_done(struct req *r, PGresult *res)
{
	Parkd__V1__Certification	 c;

	if (!scoped_row(r, res, "AddCertification"))
		return;
	cert_from_row(res, 0, &c);
	req_reply(r, &c.base);
}

static void
svc_facts_cert_add(struct req *r)
{
	Parkd__V1__AddCertificationRequest	*in = (void *)r->in;
	Parkd__V1__Certification		*c = in->certification;
	struct qparams				 q;

	if (c == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "certification "
		    "is required");
		return;
	}
	check_certification(&r->v, "certification.", c);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "certification "
		    "is not valid");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_scope(&q, r, c->credit_code);
	qp_str(&q, c->kind);
	qp_str(&q, c->number);
	qp_str(&q, c->valid_from);
	qp_str(&q, c->valid_to);
	db_query(r, "WITH " FIRM_IN_SCOPE "x AS (INSERT INTO certifications "
	    "(firm_id, kind, number, valid_from, valid_to) SELECT id, $7, $8, "
	    "$9, $10 FROM fs RETURNING *), aud AS (" AUDIT_SQL("'firm:' || $5",
	    "jsonb_build_object('certification', to_jsonb(x))", "x") ") "
	    "SELECT " FIRM_FOUND ", x.id, $5 AS credit_code, x.kind, x.number, "
	    "x.valid_from::text AS valid_from, x.valid_to::text AS valid_to, "
	    "'' AS expired_on FROM (SELECT 1) one LEFT JOIN x ON true", q.n,
	    q.v, cert_add_done);
}

static void
cert_fill(struct req *r, PGresult *res, int i, void *m)
{
	(void)r;
	cert_from_row(res, i, m);
}

static void
cert_list_done(struct req *r, PGresult *res)
{
	Parkd__V1__ListCertificationsResponse out =
	    PARKD__V1__LIST_CERTIFICATIONS_RESPONSE__INIT;
	char	*next;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ListCertifications"))
		return;
	out.certifications = (Parkd__V1__Certification **)page_build(r, res,
	    INT32_MAX, sizeof(Parkd__V1__Certification), cert_fill, NULL,
	    &out.n_certifications, &next);
	if (out.certifications != NULL)
		req_reply(r, &out.base);
}

static void
svc_facts_cert_list(struct req *r)
{
	Parkd__V1__ListCertificationsRequest	*in = (void *)r->in;
	struct qparams				 q;

	qp_init(&q);
	qp_str(&q, in->credit_code);
	qp_i64(&q, auth_scope(r));
	db_query(r, "SELECT " CERT_COLS " FROM certifications c JOIN firms f "
	    "ON f.id = c.firm_id WHERE f.credit_code = $1 AND scope_firm_read("
	    "$2, f.id, c.valid_from, c.valid_to) ORDER BY c.id", q.n, q.v,
	    cert_list_done);
}

static void
cert_expire_done(struct req *r, PGresult *res)
{
	Parkd__V1__Certification	 c;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ExpireCertification"))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "no such certification");
		return;
	}
	cert_from_row(res, 0, &c);
	req_reply(r, &c.base);
}

static void
svc_facts_cert_expire(struct req *r)
{
	Parkd__V1__ExpireCertificationRequest	*in = (void *)r->in;
	struct qparams				 q;
	struct ymd				 d;
	char					 ds[11];

	if (date_or_today(r, "expired_on", in->expired_on, &d, ds) != 0)
		return;
	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, in->id);
	qp_str(&q, ds);
	db_query(r, "WITH c AS (UPDATE certifications SET expired_on = $6, "
	    "version = version + 1 WHERE id = $5 RETURNING *), aud AS ("
	    AUDIT_SQL("'certification:' || c.id", "jsonb_build_object("
	    "'expired_on', c.expired_on)", "c") ") SELECT " CERT_COLS
	    " FROM c JOIN firms f ON f.id = c.firm_id", q.n, q.v,
	    cert_expire_done);
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_facts_methods[] = {
	{ .name = "PutFirmReport", .plan = &report_put,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AddFinancing", .handler = svc_facts_financing,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AddFirmEvent", .handler = svc_facts_event,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AddCertification", .handler = svc_facts_cert_add,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "ListCertifications", .handler = svc_facts_cert_list,
	    .roles = ROLES_ALL },
	{ .name = "ExpireCertification", .handler = svc_facts_cert_expire,
	    .roles = ROLE_BUREAU },
	{ .name = NULL }
};
