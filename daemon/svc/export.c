/*
 * Export: a park's rows of one record kind, in the shapes a push takes,
 * page by page (parkctl export). A read path: what it returns is what the
 * caller may read of that park (schema/0005_scope.sql).
 */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

/* A park's export holds what its operator may read (0005_scope.sql). */
#define TENANT_OF_PARK(fid, d1, d2) "scope_firm_read(p.id, " fid ", " d1 \
	", " d2 ")"

static const struct {
	const char	*kind;
	const char	*sql;		/* $1 park code, $2 limit, $3 offset */
} exports[] = {
	{ "firm_reports", "SELECT f.credit_code, r.year, r.quarter, r.revenue, "
	    "r.jobs, r.graduate_jobs, r.rnd_spend, r.ip_granted FROM parks p "
	    "JOIN tenancies t ON t.park_id = p.id JOIN firms f ON f.id = "
	    "t.firm_id JOIN firm_reports r ON r.firm_id = f.id WHERE p.code = "
	    "$1 AND " TENANT_OF_PARK("f.id", "quarter_first(r.year, "
	    "r.quarter)", "quarter_last(r.year, r.quarter)") " GROUP BY "
	    "f.credit_code, r.firm_id, r.year, r.quarter ORDER BY "
	    "f.credit_code, r.year, r.quarter LIMIT $2 OFFSET $3" },
	{ "park_reports", "SELECT r.year, r.quarter, r.staff, "
	    "r.services_delivered, r.interns_hosted FROM park_reports r JOIN "
	    "parks p ON p.id = r.park_id WHERE p.code = $1 ORDER BY r.year, "
	    "r.quarter LIMIT $2 OFFSET $3" },
	{ "activities", "SELECT a.kind, a.date::text AS date, a.title, "
	    "a.participants FROM activities a JOIN parks p ON p.id = a.park_id "
	    "WHERE p.code = $1 ORDER BY a.date, a.kind, a.title LIMIT $2 "
	    "OFFSET $3" },
	{ "firms", "SELECT f.credit_code, f.name, f.industry_code, "
	    "f.registered_on::text AS registered_on, f.tech_based, f.srdi FROM "
	    "firms f, parks p WHERE p.code = $1 AND " TENANT_OF_PARK("f.id",
	    "NULL", "NULL")
	    " ORDER BY f.credit_code LIMIT $2 OFFSET $3" },
	{ "tenancies", "SELECT f.credit_code, t.entry_date::text AS "
	    "entry_date, t.area, t.waiver_source FROM tenancies t JOIN firms f "
	    "ON f.id = t.firm_id JOIN parks p ON p.id = t.park_id WHERE p.code "
	    "= $1 AND t.status = 'active' ORDER BY f.credit_code LIMIT $2 "
	    "OFFSET $3" },
	{ "certifications", "SELECT f.credit_code, c.kind, c.number, "
	    "c.valid_from::text AS valid_from, c.valid_to::text AS valid_to "
	    "FROM certifications c JOIN firms f ON f.id = c.firm_id, parks p "
	    "WHERE p.code = $1 AND " TENANT_OF_PARK("f.id", "c.valid_from",
	    "c.valid_to") " ORDER BY "
	    "f.credit_code, c.kind, c.number LIMIT $2 OFFSET $3" },
};

#define S(col)	((char *)pg_get(res, i, col))
#define I(col)	pg_i64(res, i, col)

static void
export_row(struct req *r, const char *kind, PGresult *res, int i,
    Parkd__V1__SyncChunkRequest *o)
{
	if (strcmp(kind, "firm_reports") == 0) {
		Parkd__V1__FirmReport *x = req_alloc(r, sizeof(*x));

		parkd__v1__firm_report__init(x);
		x->credit_code = S("credit_code");
		x->year = (int32_t)I("year");
		x->quarter = (int32_t)I("quarter");
		x->revenue = I("revenue");
		x->jobs = (int32_t)I("jobs");
		x->graduate_jobs = (int32_t)I("graduate_jobs");
		x->rnd_spend = I("rnd_spend");
		x->ip_granted = (int32_t)I("ip_granted");
		o->firm_reports[o->n_firm_reports++] = x;
	} else if (strcmp(kind, "park_reports") == 0) {
		Parkd__V1__ParkReport *x = req_alloc(r, sizeof(*x));

		parkd__v1__park_report__init(x);
		x->year = (int32_t)I("year");
		x->quarter = (int32_t)I("quarter");
		x->staff = (int32_t)I("staff");
		x->services_delivered = (int32_t)I("services_delivered");
		x->interns_hosted = (int32_t)I("interns_hosted");
		o->park_reports[o->n_park_reports++] = x;
	} else if (strcmp(kind, "activities") == 0) {
		Parkd__V1__Activity *x = req_alloc(r, sizeof(*x));

		parkd__v1__activity__init(x);
		x->kind = S("kind");
		x->date = S("date");
		x->title = S("title");
		x->participants = (int32_t)I("participants");
		o->activities[o->n_activities++] = x;
	} else if (strcmp(kind, "firms") == 0) {
		Parkd__V1__Firm *x = req_alloc(r, sizeof(*x));

		parkd__v1__firm__init(x);
		x->credit_code = S("credit_code");
		x->name = S("name");
		x->industry_code = S("industry_code");
		x->registered_on = S("registered_on");
		x->tech_based = pg_bool(res, i, "tech_based");
		x->srdi = pg_bool(res, i, "srdi");
		o->firms[o->n_firms++] = x;
	} else if (strcmp(kind, "tenancies") == 0) {
		Parkd__V1__EnterFirmRequest *x = req_alloc(r, sizeof(*x));

		parkd__v1__enter_firm_request__init(x);
		x->credit_code = S("credit_code");
		x->entry_date = S("entry_date");
		x->area = I("area");
		x->waiver_source = S("waiver_source");
		o->tenancies[o->n_tenancies++] = x;
	} else {
		Parkd__V1__Certification *x = req_alloc(r, sizeof(*x));

		parkd__v1__certification__init(x);
		x->credit_code = S("credit_code");
		x->kind = S("kind");
		x->number = S("number");
		x->valid_from = S("valid_from");
		x->valid_to = S("valid_to");
		x->expired_on = "";
		o->certifications[o->n_certifications++] = x;
	}
}
#undef S
#undef I

static void
export_done(struct req *r, PGresult *res)
{
	Parkd__V1__ExportRequest	*in = (void *)r->in;
	Parkd__V1__ExportResponse	 out = PARKD__V1__EXPORT_RESPONSE__INIT;
	Parkd__V1__SyncChunkRequest	 rows =
	    PARKD__V1__SYNC_CHUNK_REQUEST__INIT;
	int				 i, n, size = *(int *)r->state;
	int64_t				 offset = 0;
	void				**slots;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "Export"))
		return;
	page_token_parse(r, in->page_token, &offset);
	n = PQntuples(res) > size ? size : PQntuples(res);
	if ((slots = req_alloc(r, (size_t)(n ? n : 1) * sizeof(void *))) ==
	    NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rows.firm_reports = (void *)slots;
	rows.park_reports = (void *)slots;
	rows.activities = (void *)slots;
	rows.firms = (void *)slots;
	rows.tenancies = (void *)slots;
	rows.certifications = (void *)slots;
	for (i = 0; i < n; i++)
		export_row(r, in->kind, res, i, &rows);
	/* only the kind's array is non-empty */
	if (rows.n_firm_reports == 0) rows.firm_reports = NULL;
	if (rows.n_park_reports == 0) rows.park_reports = NULL;
	if (rows.n_activities == 0) rows.activities = NULL;
	if (rows.n_firms == 0) rows.firms = NULL;
	if (rows.n_tenancies == 0) rows.tenancies = NULL;
	if (rows.n_certifications == 0) rows.certifications = NULL;
	out.rows = &rows;
	out.next_page_token = "";
	if (PQntuples(res) > size)
		out.next_page_token = fmt_arena(r, "%lld",
		    (long long)(offset + size));
	req_reply(r, &out.base);
}

/* Run the kind's export query (the caller may read that park). */
static void
export_query(struct req *r)
{
	Parkd__V1__ExportRequest	*in = (void *)r->in;
	struct qparams			 q;
	int64_t				 offset;
	int				*size = r->state;
	size_t				 i;

	for (i = 0; strcmp(exports[i].kind, in->kind) != 0; i++)
		;
	page_token_parse(r, in->page_token, &offset);
	qp_init(&q);
	qp_str(&q, in->park_code);
	qp_i64(&q, *size + 1);
	qp_i64(&q, offset);
	db_query(r, exports[i].sql, q.n, q.v, export_done);
}

static void
export_scoped(struct req *r, PGresult *res)
{
	if (!pg_ok(r, res, PGRES_TUPLES_OK, "Export"))
		return;
	if (PQntuples(res) == 0 || pg_i64(res, 0, "id") != r->pr.park_id) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "an operator may "
		    "export only its own park");
		return;
	}
	export_query(r);
}

static void
svc_export(struct req *r)
{
	Parkd__V1__ExportRequest	*in = (void *)r->in;
	int64_t				 offset;
	int				*size;
	size_t				 i;
	const char			*p[1] = { in->park_code };

	for (i = 0; i < sizeof(exports) / sizeof(exports[0]); i++) {
		if (strcmp(exports[i].kind, in->kind) == 0)
			break;
	}
	if (i == sizeof(exports) / sizeof(exports[0]) ||
	    page_token_parse(r, in->page_token, &offset) != 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "kind must be "
		    "firms, tenancies, certifications, firm_reports, "
		    "park_reports or activities, with a page_token from a "
		    "previous page");
		return;
	}
	if ((size = r->state = req_alloc(r, sizeof(int))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	*size = in->page_size <= 0 ? 1000 : in->page_size > 10000 ? 10000 :
	    in->page_size;
	if (r->pr.role == ROLE_OPERATOR)
		db_query(r, "SELECT id FROM parks WHERE code = $1", 1, p,
		    export_scoped);
	else
		export_query(r);
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_export_methods[] = {
	{ .name = "Export", .handler = svc_export,
	    .roles = ROLES_ALL },
	{ .name = NULL }
};
