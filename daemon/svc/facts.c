/*
 * The facts the rules read about a firm: quarterly reports, equity
 * financing, acquisition/listing events and certifications. Operators may
 * record them only for firms with an active tenancy in their park.
 */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

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

/* A fact stored: the reply is the fact as sent, with its new id. */
static int
fact_added(struct req *r, PGresult *res, const ProtobufCMessage *in)
{
	const ProtobufCMessageDescriptor	*d = in->descriptor;
	const ProtobufCFieldDescriptor		*id;
	ProtobufCMessage			*out;

	if (!scoped_row(r, res, r->plan->what))
		return (STEP_DONE);
	id = protobuf_c_message_descriptor_get_field_by_name(d, "id");
	if ((out = req_alloc(r, d->sizeof_message)) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	memcpy(out, in, d->sizeof_message);
	*(int64_t *)((char *)out + id->offset) = pg_i64(res, 0, "id");
	return (step_reply(r, out));
}

/* AddFinancing: an equity round of a firm the caller may write. */
static int
financing_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddFinancingRequest	*in = (void *)r->in;
	Parkd__V1__Financing		*p = in->financing;

	if (p == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "financing is "
		    "required");
		return (-1);
	}
	if (!valid_date(p->date))
		viols_add(&r->v, "financing.date", "date", "not a YYYY-MM-DD "
		    "date");
	viols_range(&r->v, "financing.amount", p->amount, 1, LIMIT_FEN);
	check_text(r, "financing.investor", p->investor, 0, 200);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "financing is "
		    "not valid");
		return (-1);
	}
	qp_audit(q, r);
	qp_scope(q, r, p->credit_code);
	qp_str(q, p->date);
	qp_i64(q, p->amount);
	qp_str(q, p->investor);
	return (0);
}

static int
financing_added(struct req *r, PGresult *res)
{
	Parkd__V1__AddFinancingRequest	*in = (void *)r->in;

	return (fact_added(r, res, &in->financing->base));
}

static const struct plan financing_add = { "AddFinancing", 0,
    (const struct step[]) {
	{ SQL_FACTS_FINANCING_ADD, financing_params, financing_added },
	{ 0, NULL, NULL },
} };

/* AddFirmEvent: an acquisition or a listing. */
static int
event_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddFirmEventRequest	*in = (void *)r->in;
	Parkd__V1__FirmEvent		*p = in->event;

	if (p == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "event is "
		    "required");
		return (-1);
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
		return (-1);
	}
	qp_audit(q, r);
	qp_scope(q, r, p->credit_code);
	qp_str(q, p->kind);
	qp_str(q, p->date);
	qp_str(q, p->detail);
	return (0);
}

static int
event_added(struct req *r, PGresult *res)
{
	Parkd__V1__AddFirmEventRequest	*in = (void *)r->in;

	return (fact_added(r, res, &in->event->base));
}

static const struct plan firm_event_add = { "AddFirmEvent", 0,
    (const struct step[]) {
	{ SQL_FACTS_EVENT_ADD, event_params, event_added },
	{ 0, NULL, NULL },
} };

/* AddCertification: a high-tech or SRDI certificate of a firm. */
static int
cert_add_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddCertificationRequest	*in = (void *)r->in;
	Parkd__V1__Certification		*c = in->certification;

	if (c == NULL) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "certification "
		    "is required");
		return (-1);
	}
	check_certification(&r->v, "certification.", c);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "certification "
		    "is not valid");
		return (-1);
	}
	qp_audit(q, r);
	qp_scope(q, r, c->credit_code);
	qp_str(q, c->kind);
	qp_str(q, c->number);
	qp_str(q, c->valid_from);
	qp_str(q, c->valid_to);
	return (0);
}

static int
cert_added(struct req *r, PGresult *res)
{
	if (!scoped_row(r, res, "AddCertification"))
		return (STEP_DONE);
	return (step_reply_row(r, res, &parkd__v1__certification__descriptor));
}

static const struct plan cert_add = { "AddCertification", 0,
    (const struct step[]) {
	{ SQL_FACTS_CERT_ADD, cert_add_params, cert_added },
	{ 0, NULL, NULL },
} };

/* ListCertifications: a firm's, as far as the caller may read them. */
static int
cert_list_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ListCertificationsRequest	*in = (void *)r->in;

	qp_str(q, in->credit_code);
	qp_i64(q, auth_scope(r));
	return (0);
}

static int
cert_listed(struct req *r, PGresult *res)
{
	return (step_reply_list(r, res, INT32_MAX,
	    &parkd__v1__list_certifications_response__descriptor, NULL));
}

static const struct plan cert_list = { "ListCertifications", 0,
    (const struct step[]) {
	{ SQL_FACTS_CERT_LIST, cert_list_params, cert_listed },
	{ 0, NULL, NULL },
} };

/* ExpireCertification (the bureau): from a date on, it no longer counts. */
static int
cert_expire_params(struct req *r, struct qparams *q)
{
	Parkd__V1__ExpireCertificationRequest	*in = (void *)r->in;
	struct ymd				 d;
	char					 ds[11];

	if (date_or_today(r, "expired_on", in->expired_on, &d, ds) != 0)
		return (-1);
	qp_audit(q, r);
	qp_i64(q, in->id);
	qp_str(q, req_strdup(r, ds));	/* q outlives ds */
	return (0);
}

static int
cert_expired(struct req *r, PGresult *res)
{
	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no such certification"));
	return (step_reply_row(r, res, &parkd__v1__certification__descriptor));
}

static const struct plan cert_expire = { "ExpireCertification", 0,
    (const struct step[]) {
	{ SQL_FACTS_CERT_EXPIRE, cert_expire_params, cert_expired },
	{ 0, NULL, NULL },
} };

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_facts_methods[] = {
	{ .name = "PutFirmReport", .plan = &report_put,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AddFinancing", .plan = &financing_add,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AddFirmEvent", .plan = &firm_event_add,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "AddCertification", .plan = &cert_add,
	    .roles = ROLE_BUREAU | ROLE_OPERATOR },
	{ .name = "ListCertifications", .ro = 1, .plan = &cert_list,
	    .roles = ROLES_ALL },
	{ .name = "ExpireCertification", .plan = &cert_expire,
	    .roles = ROLE_BUREAU },
	{ .name = NULL }
};
