/*
 * RulesService: policy documents as versioned data (one active per year),
 * and the sweep that reports what the active rules propose on a date.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "svc/svc.h"

static void
policy_out(struct req *r, PGresult *res, int i, Parkd__V1__Policy *p,
    int with_body)
{
	size_t	 n, k;
	char	**ys;

	parkd__v1__policy__init(p);
	p->id = pg_i64(res, i, "id");
	p->name = (char *)pg_get(res, i, "name");
	p->hash = (char *)pg_get(res, i, "hash");
	p->year_from = (int32_t)pg_i64(res, i, "year_from");
	p->year_to = (int32_t)pg_i64(res, i, "year_to");
	p->body = with_body ? (char *)pg_get(res, i, "body") : "";
	p->created_at = (char *)pg_get(res, i, "created_at");
	ys = pg_split(r, pg_get(res, i, "active_years"), &n);
	p->active_years = req_alloc(r, (n ? n : 1) * sizeof(int32_t));
	for (k = 0; p->active_years != NULL && k < n; k++)
		p->active_years[k] = atoi(ys[k]);
	p->n_active_years = p->active_years ? n : 0;
}

/* Row 0 is the policy, with its body. */
static int
policy_row(struct req *r, PGresult *res)
{
	Parkd__V1__Policy	*p;

	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND,
		    "no such policy"));
	if ((p = req_alloc(r, sizeof(*p))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	policy_out(r, res, 0, p, 1);
	return (step_reply(r, &p->base));
}

/* UploadPolicy: a checked document, stored once, active for its years. */
static int
upload_params(struct req *r, struct qparams *q)
{
	Parkd__V1__UploadPolicyRequest	*in = (void *)r->in;
	struct policy			 p;
	char				 err[256], hash[65];

	if (*in->body == '\0' || strlen(in->body) > 256 * 1024 ||
	    !valid_document(in->body)) {
		viols_add(&r->v, "body", "policy.text", "must be 1 to 262144 "
		    "bytes of UTF-8 text");
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "policy refused; the active policy stays");
		return (-1);
	}
	if (policy_parse_isolated(in->body, &p, err, sizeof(err)) != 0) {
		viols_add(&r->v, "body", "policy.document", "%s", err);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "policy refused; the active policy stays");
		return (-1);
	}
	sha256_hex(in->body, strlen(in->body), hash);
	qp_audit(q, r);
	qp_str(q, req_strdup(r, p.name));	/* q outlives p and hash */
	qp_str(q, req_strdup(r, hash));
	qp_str(q, in->body);
	qp_i64(q, p.year_from);
	qp_i64(q, p.year_to);
	qp_str(q, r->internal ? "policy_file" : "upload");
	qp_bool(q, !in->keep_inactive);
	qp_bool(q, in->only_if_new);
	return (0);
}

static const struct plan policy_upload = { "UploadPolicy", 0,
    (const struct step[]) {
	{ SQL_POLICY_UPLOAD, upload_params, policy_row },
	{ 0, NULL, NULL },
} };

/* GetPolicy: the one active for a year (this year by default). */
static int
policy_get_params(struct req *r, struct qparams *q)
{
	Parkd__V1__GetPolicyRequest	*in = (void *)r->in;
	struct ymd			 t;

	today(&t);
	qp_i64(q, in->year ? in->year : t.y);
	return (0);
}

static const struct plan policy_get = { "GetPolicy", 0,
    (const struct step[]) {
	{ SQL_POLICY_GET, policy_get_params, policy_row },
	{ 0, NULL, NULL },
} };

/* ListPolicies: every stored document, without its body. */
static int
policy_listed(struct req *r, PGresult *res)
{
	Parkd__V1__ListPoliciesResponse	*out;
	int				 i, n = PQntuples(res);

	if ((out = req_alloc(r, sizeof(*out))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	parkd__v1__list_policies_response__init(out);
	out->policies = req_alloc(r, (size_t)(n ? n : 1) * sizeof(void *));
	for (i = 0; out->policies != NULL && i < n; i++) {
		if ((out->policies[i] = req_alloc(r,
		    sizeof(Parkd__V1__Policy))) == NULL)
			break;
		policy_out(r, res, i, out->policies[i], 0);
	}
	if (out->policies == NULL || i < n)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	out->n_policies = (size_t)n;
	return (step_reply(r, &out->base));
}

static const struct plan policy_list = { "ListPolicies", 0,
    (const struct step[]) {
	{ SQL_POLICY_LIST, NULL, policy_listed },
	{ 0, NULL, NULL },
} };

/* ---- the sweep ---- */

struct sweep {
	struct ymd		 as_of;
	char			 as_of_s[11];
	const struct policy	*pol;
	struct proposals	 ps;
};

/* Like pg_ok; the proposals live outside the arena req_fail frees. */
static int
sweep_ok(struct req *r, PGresult *res)
{
	struct sweep		*s = r->state;
	struct proposals	 ps = s->ps;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
		return (1);
	req_fail_pg(r, res, "RunSweep");
	proposals_free(&ps);
	return (0);
}

static void
sweep_reply(struct req *r)
{
	Parkd__V1__RunSweepResponse	 out =
	    PARKD__V1__RUN_SWEEP_RESPONSE__INIT;
	struct sweep			*s = r->state;
	struct proposals		 ps = s->ps;
	Parkd__V1__Proposal		*pv;
	size_t				 i;

	out.as_of = s->as_of_s;
	out.policy = (char *)s->pol->name;
	out.proposals = req_alloc(r, (s->ps.n ? s->ps.n : 1) * sizeof(void *));
	pv = req_alloc(r, (s->ps.n ? s->ps.n : 1) * sizeof(*pv));
	if (out.proposals == NULL || pv == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory");
		proposals_free(&ps);
		return;
	}
	for (i = 0; i < s->ps.n; i++) {
		parkd__v1__proposal__init(&pv[i]);
		pv[i].kind = s->ps.v[i].kind;
		pv[i].rule = s->ps.v[i].rule;
		pv[i].subject = s->ps.v[i].subject;
		pv[i].park_code = s->ps.v[i].park;
		pv[i].detail = s->ps.v[i].detail;
		out.proposals[i] = &pv[i];
	}
	out.n_proposals = s->ps.n;
	req_reply(r, &out.base);	/* frees r and s */
	proposals_free(&ps);
}

static void
sweep_certs_done(struct req *r, PGresult *res)
{
	struct sweep	*s = r->state;
	int		 i;

	if (!sweep_ok(r, res))
		return;
	for (i = 0; i < PQntuples(res); i++)
		proposals_add(&s->ps, "certificate", "certificate.expiring",
		    pg_get(res, i, "credit_code"), pg_get(res, i, "park_code"),
		    "%s certificate %s expires on %s (within %d days)",
		    pg_get(res, i, "kind"), pg_get(res, i, "number"),
		    pg_get(res, i, "valid_to"), s->pol->cert_warn_days);
	sweep_reply(r);
}

static void
sweep_parks_done(struct req *r, PGresult *res)
{
	struct sweep		*s = r->state;
	struct park_facts	 k;
	struct qparams		 q;
	size_t			 n;
	int			 i;

	if (!sweep_ok(r, res))
		return;
	for (i = 0; i < PQntuples(res); i++) {
		memset(&k, 0, sizeof(k));
		k.code = pg_get(res, i, "code");
		k.legal_person = pg_bool(res, i, "operator_legal_person");
		k.staff = (int)pg_i64(res, i, "staff_count");
		k.industries = pg_split(r, pg_get(res, i, "industries"), &n);
		k.n_industries = (int)n;
		k.total_area = pg_i64(res, i, "total_area");
		k.status = pg_get(res, i, "status");
		rules_park_sweep(s->pol, &k, &s->ps);
		if (pg_i64(res, i, "fails") >= s->pol->eval.fail_exit_after)
			proposals_add(&s->ps, "park", "park.exit_evaluation",
			    k.code, k.code, "graded %s in %lld consecutive "
			    "evaluations (policy: exit after %d)",
			    s->pol->eval.grades[s->pol->eval.ngrades - 1].name,
			    (long long)pg_i64(res, i, "fails"),
			    s->pol->eval.fail_exit_after);
	}
	qp_init(&q);
	qp_str(&q, s->as_of_s);
	qp_i64(&q, s->pol->cert_warn_days);
	db_exec(r, SQL_SWEEP_CERTS, q.n, q.v, sweep_certs_done);
}

static void
sweep_tenancies_done(struct req *r, PGresult *res)
{
	struct sweep		*s = r->state;
	struct tenancy_facts	 t;
	int			 i;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "RunSweep"))
		return;
	if (PQntuples(res) == 0 || (s->pol = policy_from_row(r, res, 0,
	    s->as_of.y)) == NULL) {
		if (PQntuples(res) == 0)
			req_fail(r, PARKD__V1__CODE__INTERNAL, "sweep: no row");
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, PQfnumber(res, "id")))
			continue;	/* the row that only carries the policy */
		if (tenancy_facts_from_row(r, res, i, &t) == 0)
			rules_tenancy_sweep(s->pol, &t, &s->as_of, &s->ps);
	}
	db_exec(r, SQL_SWEEP_PARKS, 0, NULL, sweep_parks_done);
}

/* RunSweep(as_of): every proposal of the active rules; changes nothing. */
static void
svc_rules_sweep(struct req *r)
{
	Parkd__V1__RunSweepRequest	*in = (void *)r->in;
	struct sweep			*s;
	struct qparams			 q;

	if ((s = req_alloc(r, sizeof(*s))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	r->state = s;
	if (date_or_today(r, "as_of", in->as_of, &s->as_of, s->as_of_s) != 0)
		return;
	qp_init(&q);
	qp_str(&q, s->as_of_s);
	qp_i64(&q, ymd_quarter_index(&s->as_of));
	qp_i64(&q, 0);
	qp_i64(&q, s->as_of.y);
	/* one extra row carries the policy even when there is no tenancy */
	db_exec(r, SQL_SWEEP_TENANCY_FACTS, q.n, q.v, sweep_tenancies_done);
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_rules_methods[] = {
	{ .name = "UploadPolicy", .plan = &policy_upload,
	    .roles = ROLE_ADMIN | ROLE_BUREAU },
	{ .name = "GetPolicy", .ro = 1, .plan = &policy_get,
	    .roles = ROLES_ALL },
	{ .name = "ListPolicies", .ro = 1, .plan = &policy_list,
	    .roles = ROLES_ALL },
	{ .name = "RunSweep", .handler = svc_rules_sweep,
	    .roles = ROLE_BUREAU },
	{ .name = NULL }
};
