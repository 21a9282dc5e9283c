/*
 * DeclarationStatus: the overview of a year's declarations (svc/
 * declaration.c) for the bureau, or for a district reviewer its district's:
 * every park's status and dates, counts by district, and whether a
 * district is late (past the policy's deadline with parks not approved).
 */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

struct overview {
	char	 deadline[16];		/* YYYY-MM-DD, in the next year */
	int	 year;
};

static int
overview_params(struct req *r, struct qparams *q)
{
	Parkd__V1__DeclarationStatusRequest	*in = (void *)r->in;
	struct overview				*o;

	viols_range(&r->v, "year", in->year, 2000, 2100);
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad year");
		return (-1);
	}
	if ((o = r->state = req_alloc(r, sizeof(*o))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return (-1);
	}
	o->year = in->year;
	qp_i64(q, in->year);
	return (0);
}

static int
overview_policy(struct req *r, PGresult *res)
{
	struct overview		*o = r->state;
	const struct policy	*p;

	if ((p = policy_from_row(r, res, 0, o->year)) == NULL)
		return (STEP_DONE);
	snprintf(o->deadline, sizeof(o->deadline), "%04d-%s",
	    (o->year + 1) % 10000, p->eval.decl_deadline);
	return (STEP_NEXT);
}

static int
rows_params(struct req *r, struct qparams *q)
{
	struct overview	*o = r->state;

	qp_i64(q, o->year);
	qp_str(q, r->pr.role == ROLE_DISTRICT ? r->pr.district : "");
	return (0);
}

static Parkd__V1__DistrictStatus *
district_of(struct req *r, Parkd__V1__DeclarationStatusResponse *out,
    const char *name)
{
	Parkd__V1__DistrictStatus	*ds;

	if (out->n_districts > 0 && strcmp(out->districts[out->n_districts -
	    1]->district, name) == 0)
		return (out->districts[out->n_districts - 1]);
	if ((ds = req_alloc(r, sizeof(*ds))) == NULL)
		return (NULL);
	parkd__v1__district_status__init(ds);
	ds->district = req_strdup(r, name);
	out->districts[out->n_districts++] = ds;
	return (ds);
}

static int
overview_rows(struct req *r, PGresult *res)
{
	struct overview				*o = r->state;
	Parkd__V1__DeclarationStatusResponse	*out;
	Parkd__V1__DistrictStatus		*ds;
	struct ymd				 t;
	char					 now[11];
	int					 i, n = PQntuples(res);

	today(&t);
	ymd_format(&t, now);
	if ((out = req_alloc(r, sizeof(*out))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__declaration_status_response__init(out);
	out->year = o->year;
	out->deadline = req_strdup(r, o->deadline);
	out->parks = req_alloc(r, (size_t)(n + 1) * sizeof(void *));
	out->districts = req_alloc(r, (size_t)(n + 1) * sizeof(void *));
	if (out->parks == NULL || out->districts == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	for (i = 0; i < n; i++) {
		Parkd__V1__DeclarationStatusRow	*row;
		const char			*st = pg_get(res, i, "status");

		if ((row = req_alloc(r, sizeof(*row))) == NULL ||
		    (ds = district_of(r, out, pg_get(res, i, "district"))) ==
		    NULL)
			return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "out of memory"));
		parkd__v1__declaration_status_row__init(row);
#define S(f) row->f = req_strdup(r, pg_get(res, i, #f))
		S(park_code); S(park_name); S(district); S(status);
		S(submitted_at); S(decided_at);
#undef S
		out->parks[out->n_parks++] = row;
		ds->parks++;
		ds->not_started += strcmp(st, "not_started") == 0;
		ds->draft += strcmp(st, "draft") == 0;
		ds->submitted += strcmp(st, "submitted") == 0;
		ds->returned += strcmp(st, "returned") == 0;
		ds->approved += strcmp(st, "approved") == 0;
		ds->late = strcmp(now, o->deadline) > 0 &&
		    ds->approved < ds->parks;
	}
	return (step_reply(r, &out->base));
}

static const struct plan overview = { "DeclarationStatus", 0,
    (const struct step[]) {
	{ SQL_DECL_POLICY, overview_params, overview_policy },
	{ SQL_DECL_STATUS_LIST, rows_params, overview_rows },
	{ 0, NULL, NULL },
} };

/* The method this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_declstatus_methods[] = {
	{ .name = "DeclarationStatus", .plan = &overview,
	    .roles = ROLE_ADMIN | ROLE_BUREAU | ROLE_VIEWER | ROLE_DISTRICT },
	{ .name = NULL }
};
