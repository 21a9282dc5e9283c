/*
 * The role x method matrix over objects (issue 8): every principal kind on
 * the firms of two parks, on single calls, pushes of each firm kind, export
 * and lists; the audit log holds every allowed write and no refused one.
 * Part of the integration suite (it.h).
 *
 * Objects (parks SC-A and SC-B):
 *   fa  active tenant of SC-A since 2026-01-10
 *   fx  tenant of SC-A 2025-04-01..2026-03-31, of SC-B since 2026-04-01
 *   fb  active tenant of SC-B since 2026-01-10
 *   fn  never in any park (registered by the bureau)
 */

#include "it.h"

char sc_code[NOBJ][19];

/* Principals of the matrix, in column order. */
enum { P_ADMIN, P_BUREAU, P_VIEWER, P_OPA, P_OPB, P_GONE, P_NOBODY, NPR };
static const char *const sc_who[NPR] = { "admin", "bureau", "viewer", "scA",
    "scB", "scGone", "nobody" };

#define OK	0
#define DEN	CODE(PERMISSION_DENIED)
#define UNA	CODE(UNAUTHENTICATED)
#define NF	CODE(NOT_FOUND)


static void
sc_firm(struct parkc *bu, int i, const char *name)
{
	Parkd__V1__CreateFirmRequest	 req = PARKD__V1__CREATE_FIRM_REQUEST__INIT;
	Parkd__V1__Firm			 f;

	code_for(800 + i, sc_code[i]);
	parkd__v1__firm__init(&f);
	f.credit_code = sc_code[i];
	f.name = (char *)name;
	f.industry_code = "I651";
	f.registered_on = "2025-01-02";
	req.firm = &f;
	expect(bu, "CreateFirm", &req.base, 0);
}

/* The parks, principals and firms above, made once (any test may ask). */
void
scope_fixture(void)
{
	static int			 done;
	struct parkc			*bu, *ad;
	Parkd__V1__ExitFirmRequest	 ex = PARKD__V1__EXIT_FIRM_REQUEST__INIT;
	Parkd__V1__DisablePrincipalRequest dp =
	    PARKD__V1__DISABLE_PRINCIPAL_REQUEST__INIT;
	Parkd__V1__ListPrincipalsRequest lp =
	    PARKD__V1__LIST_PRINCIPALS_REQUEST__INIT;
	struct parkc_result		 res;

	if (done++)
		return;
	bu = as("bureau", addr1);
	ad = as("admin", addr1);
	create_park(bu, "SC-A", "黄岛区");
	create_park(bu, "SC-B", "城阳区");
	add_principal(ad, "scA", "operator", "SC-A");
	add_principal(ad, "scB", "operator", "SC-B");
	add_principal(ad, "scGone", "operator", "SC-A");
	assert_int_equal(call(ad, "ListPrincipals", &lp.base, &res), 0);
	{
		Parkd__V1__ListPrincipalsResponse *l = (void *)res.body;
		size_t	 i;

		for (i = 0; i < l->n_principals; i++)
			if (strcmp(l->principals[i]->name, "scGone") == 0)
				dp.id = l->principals[i]->id;
	}
	parkc_result_free(&res);
	assert_true(dp.id > 0);
	expect(ad, "DisablePrincipal", &dp.base, 0);
	sc_firm(bu, FA, "范围测试甲科技有限公司");
	sc_firm(bu, FX, "范围测试乙科技有限公司");
	sc_firm(bu, FB, "范围测试丙科技有限公司");
	sc_firm(bu, FN, "范围测试丁科技有限公司");
	enter_ok(bu, "SC-A", sc_code[FA], "2026-01-10", 5000);
	enter_ok(bu, "SC-A", sc_code[FX], "2025-04-01", 5000);
	ex.credit_code = sc_code[FX];
	ex.kind = "leave";
	ex.exit_date = "2026-03-31";
	ex.reason = "moved";
	expect(bu, "ExitFirm", &ex.base, 0);
	enter_ok(bu, "SC-B", sc_code[FX], "2026-04-01", 5000);
	enter_ok(bu, "SC-B", sc_code[FB], "2026-01-10", 5000);
	parkc_close(bu);
	parkc_close(ad);
}

static int
sc_report(struct parkc *pc, int obj, int year, int quarter)
{
	Parkd__V1__PutFirmReportRequest	 req =
	    PARKD__V1__PUT_FIRM_REPORT_REQUEST__INIT;
	Parkd__V1__FirmReport		 r;
	struct parkc_result		 res;
	int				 code;

	parkd__v1__firm_report__init(&r);
	r.credit_code = sc_code[obj];
	r.year = year;
	r.quarter = quarter;
	r.revenue = 123400;
	r.jobs = 7;
	req.report = &r;
	code = call(pc, "PutFirmReport", &req.base, &res);
	parkc_result_free(&res);
	return (code);
}

static int
sc_cert(struct parkc *pc, int obj, const char *number, const char *from,
    const char *to)
{
	Parkd__V1__AddCertificationRequest req =
	    PARKD__V1__ADD_CERTIFICATION_REQUEST__INIT;
	Parkd__V1__Certification	 c;
	struct parkc_result		 res;
	int				 code;

	parkd__v1__certification__init(&c);
	c.credit_code = sc_code[obj];
	c.kind = "tech_sme";
	c.number = (char *)number;
	c.valid_from = (char *)from;
	c.valid_to = (char *)to;
	req.certification = &c;
	code = call(pc, "AddCertification", &req.base, &res);
	parkc_result_free(&res);
	return (code);
}

static int
sc_get(struct parkc *pc, int obj, int64_t *version)
{
	Parkd__V1__GetFirmRequest	 req = PARKD__V1__GET_FIRM_REQUEST__INIT;
	struct parkc_result		 res;
	int				 code;

	req.credit_code = sc_code[obj];
	code = call(pc, "GetFirm", &req.base, &res);
	if (code == 0 && version != NULL)
		*version = ((Parkd__V1__Firm *)res.body)->version;
	parkc_result_free(&res);
	return (code);
}

static int
sc_update(struct parkc *pc, int obj)
{
	struct parkc			*bu = as("bureau", addr1);
	Parkd__V1__UpdateFirmRequest	 req = PARKD__V1__UPDATE_FIRM_REQUEST__INIT;
	Parkd__V1__Firm			 f;
	struct parkc_result		 res;
	char				*mask[] = { "tech_based" };
	int				 code;

	parkd__v1__firm__init(&f);
	assert_int_equal(sc_get(bu, obj, &f.version), 0);
	parkc_close(bu);
	f.credit_code = sc_code[obj];
	f.tech_based = 1;
	req.firm = &f;
	req.update_mask = mask;
	req.n_update_mask = 1;
	code = call(pc, "UpdateFirm", &req.base, &res);
	parkc_result_free(&res);
	return (code);
}

static int
sc_financing(struct parkc *pc, int obj)
{
	Parkd__V1__AddFinancingRequest	 req =
	    PARKD__V1__ADD_FINANCING_REQUEST__INIT;
	Parkd__V1__Financing		 f;
	struct parkc_result		 res;
	int				 code;

	parkd__v1__financing__init(&f);
	f.credit_code = sc_code[obj];
	f.date = "2026-05-01";
	f.amount = 100000;
	req.financing = &f;
	code = call(pc, "AddFinancing", &req.base, &res);
	parkc_result_free(&res);
	return (code);
}

static int
sc_event(struct parkc *pc, int obj)
{
	Parkd__V1__AddFirmEventRequest	 req =
	    PARKD__V1__ADD_FIRM_EVENT_REQUEST__INIT;
	Parkd__V1__FirmEvent		 e;
	struct parkc_result		 res;
	int				 code;

	parkd__v1__firm_event__init(&e);
	e.credit_code = sc_code[obj];
	e.kind = "acquired";
	e.date = "2026-05-02";
	e.detail = "matrix";
	req.event = &e;
	code = call(pc, "AddFirmEvent", &req.base, &res);
	parkc_result_free(&res);
	return (code);
}

/* ListTenancies of one firm: the code, and how many it shows. */
static int
sc_tenancies(struct parkc *pc, int obj, int *n)
{
	Parkd__V1__ListTenanciesRequest	 req =
	    PARKD__V1__LIST_TENANCIES_REQUEST__INIT;
	struct parkc_result		 res;
	int				 code;

	req.credit_code = sc_code[obj];
	*n = -1;
	if ((code = call(pc, "ListTenancies", &req.base, &res)) == 0)
		*n = (int)((Parkd__V1__ListTenanciesResponse *)res.body)->
		    n_tenancies;
	parkc_result_free(&res);
	return (code);
}

/* How many of ListFirms' answer (every page) are the matrix's firms. */
static int
sc_list_count(struct parkc *pc, int *code)
{
	Parkd__V1__ListFirmsRequest	 req = PARKD__V1__LIST_FIRMS_REQUEST__INIT;
	Parkd__V1__ListFirmsResponse	*l;
	struct parkc_result		 res;
	char				 tok[32] = "";
	size_t				 i;
	int				 n = 0, o;

	req.page_size = 1000;
	do {
		req.page_token = tok;
		if ((*code = call(pc, "ListFirms", &req.base, &res)) != 0) {
			parkc_result_free(&res);
			return (0);
		}
		l = (Parkd__V1__ListFirmsResponse *)res.body;
		for (i = 0; i < l->n_firms; i++)
			for (o = 0; o < NOBJ; o++)
				n += strcmp(l->firms[i]->credit_code,
				    sc_code[o]) == 0;
		snprintf(tok, sizeof(tok), "%s", l->next_page_token);
		parkc_result_free(&res);
	} while (tok[0] != '\0');
	return (n);
}

static int
sc_certs_count(struct parkc *pc, int obj, int *code)
{
	Parkd__V1__ListCertificationsRequest req =
	    PARKD__V1__LIST_CERTIFICATIONS_REQUEST__INIT;
	struct parkc_result		 res;
	int				 n = 0;

	req.credit_code = sc_code[obj];
	if ((*code = call(pc, "ListCertifications", &req.base, &res)) == 0) {
		Parkd__V1__ListCertificationsResponse *l = (void *)res.body;
		size_t	 i;

		/* the matrix's own ("SC..."), not the push test's ("sc-...") */
		for (i = 0; i < l->n_certifications; i++)
			n += strncmp(l->certifications[i]->number, "SC", 2) == 0;
	}
	parkc_result_free(&res);
	return (n);
}

/* A connection as who; NULL when the handshake itself is refused. */
static struct parkc *
sc_as(int p)
{
	char	 err[512];

	return (connect_cert(addr1, tlsdir, sc_who[p], err, sizeof(err)));
}

/*
 * An unregistered or disabled certificate is refused once, then its
 * connection is closed: such a principal reconnects for every cell.
 */
static void
sc_fresh(struct parkc **pc, int p)
{
	if (p < P_GONE || p >= NPR)
		return;
	parkc_close(*pc);
	if ((*pc = sc_as(p)) == NULL)
		fail_msg("reconnect refused");
}

/* A write cell: the code wanted, and one audit row iff it is allowed. */
#define WRITE_CELL(pc, want, what, expr) do {				\
	int64_t	 a0 = audit_rows();					\
	sc_fresh(&pc, p);						\
	int	 got = (expr);						\
	if (got != (want))						\
		fail_msg("%s as %s: want %s, got %s", what, sc_who[p],	\
		    parkc_code_name(want), parkc_code_name(got));	\
	assert_int_equal(audit_rows() - a0, (want) == OK ? 1 : 0);	\
	cells++;							\
} while (0)
#define READ_CELL(want, what, expr) do {				\
	int	 got;							\
	sc_fresh(&pc, p);						\
	got = (expr);							\
	if (got != (want))						\
		fail_msg("%s as %s: want %s, got %s", what, sc_who[p],	\
		    parkc_code_name(want), parkc_code_name(got));	\
	cells++;							\
} while (0)

static int	 cells;

void
test_scope_matrix(void **state)
{
	/* writes: [principal][object] for PutFirmReport 2026Q2 etc. */
	static const int w_fact[NPR][NOBJ] = {
		[P_ADMIN] = { DEN, DEN, DEN, DEN },
		[P_BUREAU] = { OK, OK, OK, OK },
		[P_VIEWER] = { DEN, DEN, DEN, DEN },
		[P_OPA] = { OK, DEN, DEN, DEN },
		[P_OPB] = { DEN, OK, OK, DEN },
		[P_GONE] = { UNA, UNA, UNA, UNA },
		[P_NOBODY] = { UNA, UNA, UNA, UNA },
	};
	static const int r_get[NPR][NOBJ] = {
		[P_ADMIN] = { OK, OK, OK, OK },
		[P_BUREAU] = { OK, OK, OK, OK },
		[P_VIEWER] = { OK, OK, OK, OK },
		[P_OPA] = { OK, OK, DEN, DEN },
		[P_OPB] = { DEN, OK, OK, DEN },
		[P_GONE] = { UNA, UNA, UNA, UNA },
		[P_NOBODY] = { UNA, UNA, UNA, UNA },
	};
	static const int list_n[NPR] = { 4, 4, 4, 2, 2, -1, -1 };
	/* tenancies of each firm each principal is shown (fx: one per park) */
	static const int ten_n[NPR][NOBJ] = {
		[P_ADMIN] = { 1, 2, 1, 0 },
		[P_BUREAU] = { 1, 2, 1, 0 },
		[P_VIEWER] = { 1, 2, 1, 0 },
		[P_OPA] = { 1, 1, 0, 0 },
		[P_OPB] = { 0, 1, 1, 0 },
		[P_GONE] = { -1, -1, -1, -1 },
		[P_NOBODY] = { -1, -1, -1, -1 },
	};
	struct parkc	*pc;
	char		 num[32];
	int		 p, o, code, n;

	(void)state;
	scope_fixture();
	for (p = 0; p < NPR; p++) {
		if ((pc = sc_as(p)) == NULL)
			fail_msg("connect as %s refused", sc_who[p]);
		for (o = 0; o < NOBJ; o++) {
			WRITE_CELL(pc, w_fact[p][o], "PutFirmReport",
			    sc_report(pc, o, 2026, 2));
			snprintf(num, sizeof(num), "SC%d-%d", p, o);
			WRITE_CELL(pc, w_fact[p][o], "AddCertification",
			    sc_cert(pc, o, num, "2026-05-01", "2027-04-30"));
			WRITE_CELL(pc, w_fact[p][o], "AddFinancing",
			    sc_financing(pc, o));
			WRITE_CELL(pc, w_fact[p][o], "UpdateFirm",
			    sc_update(pc, o));
			WRITE_CELL(pc, w_fact[p][o], "AddFirmEvent",
			    sc_event(pc, o));
			READ_CELL(r_get[p][o], "GetFirm", sc_get(pc, o, NULL));
			READ_CELL(ten_n[p][o] < 0 ? UNA : OK, "ListTenancies",
			    sc_tenancies(pc, o, &n));
			if (n != ten_n[p][o])
				fail_msg("ListTenancies of object %d as %s: %d, "
				    "want %d", o, sc_who[p], n, ten_n[p][o]);
		}
		sc_fresh(&pc, p);
		n = sc_list_count(pc, &code);
		READ_CELL(list_n[p] < 0 ? UNA : OK, "ListFirms", code);
		if (list_n[p] >= 0 && n != list_n[p])
			fail_msg("ListFirms as %s: %d firms, want %d",
			    sc_who[p], n, list_n[p]);
		parkc_close(pc);
	}
	/*
	 * quarters: fx's 2025Q3 was spent in SC-A, so SC-B may not write it,
	 * and SC-A may, though fx has left it (a report pushed after the
	 * quarter ended)
	 */
	p = P_OPB;
	pc = sc_as(p);
	WRITE_CELL(pc, DEN, "PutFirmReport fx 2025Q3", sc_report(pc, FX, 2025, 3));
	parkc_close(pc);
	p = P_OPA;
	pc = sc_as(p);
	WRITE_CELL(pc, OK, "PutFirmReport fx 2025Q3", sc_report(pc, FX, 2025, 3));
	WRITE_CELL(pc, DEN, "PutFirmReport fx 2026Q3", sc_report(pc, FX, 2026, 3));
	/* fa's 2025Q4, before it entered SC-A and in no other park */
	WRITE_CELL(pc, OK, "PutFirmReport fa 2025Q4", sc_report(pc, FA, 2025, 4));
	parkc_close(pc);
	p = P_BUREAU;
	pc = sc_as(p);
	WRITE_CELL(pc, OK, "PutFirmReport fx 2025Q3", sc_report(pc, FX, 2025, 3));
	WRITE_CELL(pc, OK, "AddCertification fx 2025", sc_cert(pc, FX,
	    "SC-FX-2025", "2025-05-01", "2025-12-31"));
	parkc_close(pc);
	/* fx's certificates: SC-A sees the one of its days only */
	p = P_OPA;
	pc = sc_as(p);
	n = sc_certs_count(pc, FX, &code);
	READ_CELL(OK, "ListCertifications fx", code);
	assert_int_equal(n, 1);
	n = sc_certs_count(pc, FB, &code);
	assert_int_equal(n, 0);
	n = sc_certs_count(pc, FA, &code);
	assert_int_equal(n, 2);		/* the bureau's and its own */
	parkc_close(pc);
	print_message("scope matrix: %d cells\n", cells);
}

/* One chunk of firm_reports / certifications / firms for park, 4 objects. */
static Parkd__V1__SyncOutcome
sc_push(const char *who, const char *park, const char *kind, const char *key)
{
	struct parkc			*pc = as(who, addr1);
	Parkd__V1__SyncChunkRequest	 ch = PARKD__V1__SYNC_CHUNK_REQUEST__INIT;
	Parkd__V1__SyncOutcome		 out = PARKD__V1__SYNC_OUTCOME__INIT;
	Parkd__V1__FirmReport		 fr[NOBJ], *frp[NOBJ];
	Parkd__V1__Certification	 ce[NOBJ], *cep[NOBJ];
	Parkd__V1__Firm			 fi[NOBJ], *fip[NOBJ];
	struct parkc_result		 res;
	char				 num[NOBJ][32];
	int64_t				 id;
	int				 o, done;

	for (o = 0; o < NOBJ; o++) {
		parkd__v1__firm_report__init(&fr[o]);
		fr[o].credit_code = sc_code[o];
		fr[o].year = 2026;
		fr[o].quarter = 2;
		fr[o].revenue = 999999999;
		frp[o] = &fr[o];
		parkd__v1__certification__init(&ce[o]);
		snprintf(num[o], sizeof(num[o]), "%s-%s-%d", key, park, o);
		ce[o].credit_code = sc_code[o];
		ce[o].kind = "high_tech";
		ce[o].number = num[o];
		ce[o].valid_from = "2026-01-01";
		ce[o].valid_to = "2028-12-31";
		cep[o] = &ce[o];
		parkd__v1__firm__init(&fi[o]);
		fi[o].credit_code = sc_code[o];
		fi[o].name = "被改名的公司";
		fi[o].industry_code = "I651";
		fi[o].registered_on = "2025-01-02";
		fip[o] = &fi[o];
	}
	id = begin_sync(pc, park, kind, key, &done, NULL);
	ch.sync_id = id;
	ch.first_row = 1;
	if (strcmp(kind, "firm_reports") == 0) {
		ch.firm_reports = frp;
		ch.n_firm_reports = NOBJ;
	} else if (strcmp(kind, "certifications") == 0) {
		ch.certifications = cep;
		ch.n_certifications = NOBJ;
	} else {
		ch.firms = fip;
		ch.n_firms = NOBJ;
	}
	if (call(pc, "SyncChunk", &ch.base, &res) != 0)
		fail_msg("SyncChunk: %s", res.message);
	parkc_result_free(&res);
	commit_sync(pc, id, &out);
	parkc_close(pc);
	return (out);
}

/*
 * Pushes of every firm kind by each park's operator: only active tenants
 * (and, for reports, quarters not spent in another park) are applied.
 */
void
test_scope_pushes(void **state)
{
	static const char *const kinds[] = { "firm_reports", "certifications",
	    "firms" };
	Parkd__V1__SyncOutcome	 o;
	char			 key[64], q[512];
	int64_t			 a0;
	size_t			 k;

	scope_fixture();
	(void)state;
	for (k = 0; k < 3; k++) {
		snprintf(key, sizeof(key), "sc-%s", kinds[k]);
		a0 = audit_rows();
		o = sc_push("scA", "SC-A", kinds[k], key);
		assert_int_equal(o.rows, NOBJ);
		if (o.applied + o.updated != 1 || o.refused != NOBJ - 1)
			fail_msg("push %s as scA: applied %lld updated %lld "
			    "refused %lld, want 1 and %d refused", kinds[k],
			    (long long)o.applied, (long long)o.updated,
			    (long long)o.refused, NOBJ - 1);
		assert_int_equal(audit_rows() - a0, 1);	/* the push's row */
		/* the same key is scB's own: no clash, no replay */
		o = sc_push("scB", "SC-B", kinds[k], key);
		assert_false(o.replayed);
		assert_int_equal(o.applied + o.updated, 2);	/* fx, fb */
	}
	/* nothing of SC-A's push reached fx, fb or fn */
	snprintf(q, sizeof(q), "SELECT count(*) FROM firm_reports r JOIN firms "
	    "f ON f.id = r.firm_id WHERE r.revenue = 999999999 AND "
	    "f.credit_code IN ('%s', '%s', '%s', '%s')", sc_code[FA],
	    sc_code[FX], sc_code[FB], sc_code[FN]);
	assert_int_equal(sql_int(q), 3);	/* fa by A; fx, fb by B */
	snprintf(q, sizeof(q), "SELECT count(*) FROM certifications c JOIN "
	    "firms f ON f.id = c.firm_id WHERE c.number LIKE 'sc-%%-SC-A-%%'");
	assert_int_equal(sql_int(q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM firms WHERE name = "
	    "'被改名的公司' AND credit_code = '%s'", sc_code[FN]);
	assert_int_equal(sql_int(q), 0);
}

/* Export of SC-A holds fx's reports only for the quarters it spent there. */
void
test_scope_export(void **state)
{
	struct parkc			*pc = as("scA", addr1);
	Parkd__V1__ExportRequest	 req = PARKD__V1__EXPORT_REQUEST__INIT;
	Parkd__V1__ExportResponse	*out;
	struct parkc_result		 res;
	size_t				 i;
	int				 fx_2025q3 = 0, fx_2026q2 = 0, fb_any = 0;

	scope_fixture();
	{
		/* the reports this test reads: FX in SC-A (2025 Q3) and in
		 * SC-B (2026 Q2), FB in SC-B */
		struct parkc	*bu = as("bureau", addr1);

		assert_int_equal(sc_report(bu, FX, 2025, 3), 0);
		assert_int_equal(sc_report(bu, FX, 2026, 2), 0);
		assert_int_equal(sc_report(bu, FB, 2026, 2), 0);
		parkc_close(bu);
	}
	(void)state;
	req.park_code = "SC-A";
	req.kind = "firm_reports";
	assert_int_equal(call(pc, "Export", &req.base, &res), 0);
	out = (Parkd__V1__ExportResponse *)res.body;
	for (i = 0; i < out->rows->n_firm_reports; i++) {
		Parkd__V1__FirmReport *r = out->rows->firm_reports[i];

		if (strcmp(r->credit_code, sc_code[FX]) == 0 && r->year == 2025 &&
		    r->quarter == 3)
			fx_2025q3 = 1;
		if (strcmp(r->credit_code, sc_code[FX]) == 0 && r->year == 2026 &&
		    r->quarter == 2)
			fx_2026q2 = 1;
		if (strcmp(r->credit_code, sc_code[FB]) == 0)
			fb_any = 1;
	}
	parkc_result_free(&res);
	assert_true(fx_2025q3);
	assert_false(fx_2026q2);
	assert_false(fb_any);
	req.park_code = "SC-B";
	expect(pc, "Export", &req.base, DEN);
	parkc_close(pc);
}

/* A draft evaluation run is the bureau's: an operator gets NOT_FOUND. */
void
test_scope_draft_run(void **state)
{
	struct parkc			*bu = as("bureau", addr1);
	struct parkc			*op = as("scA", addr1);
	Parkd__V1__CreateEvaluationRunRequest cr =
	    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationRunRequest	 g = PARKD__V1__EVALUATION_RUN_REQUEST__INIT;
	struct parkc_result		 res;

	scope_fixture();
	(void)state;
	{
		/* a park admitted before 2025, so the year has one to evaluate */
		Parkd__V1__CreateParkRequest	 cp =
		    PARKD__V1__CREATE_PARK_REQUEST__INIT;
		Parkd__V1__Park			 p;
		int				 code;

		park_init(&p, "SC-RUN", "黄岛区");
		p.admitted_on = "2024-01-01";
		cp.park = &p;
		code = call(bu, "CreatePark", &cp.base, &res);
		parkc_result_free(&res);
		assert_true(code == 0 || code == CODE(ALREADY_EXISTS));
	}
	cr.year = 2025;
	if (call(bu, "CreateEvaluationRun", &cr.base, &res) != 0)
		fail_msg("CreateEvaluationRun: %s", res.message);
	g.run_id = ((Parkd__V1__EvaluationRun *)res.body)->id;
	parkc_result_free(&res);
	expect(bu, "GetEvaluationRun", &g.base, OK);
	expect(op, "GetEvaluationRun", &g.base, NF);
	expect(bu, "DeleteEvaluationRun", &g.base, OK);
	parkc_close(bu);
	parkc_close(op);
}

/* One statement as parkd's own database role, with parkd.scope set. */
static int
app_sql(PGconn *pg, const char *q, int64_t *count)
{
	PGresult	*r = PQexec(pg, q);
	int		 ok = PQresultStatus(r) == PGRES_TUPLES_OK ||
			    PQresultStatus(r) == PGRES_COMMAND_OK;

	if (count != NULL)
		*count = PQresultStatus(r) == PGRES_TUPLES_OK ?
		    strtoll(PQgetvalue(r, 0, 0), NULL, 10) :
		    strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return (ok ? 0 : -1);
}

/*
 * The second enforcement: queries with no scope check at all, run as an
 * operator's requests are (role parkd_park, SC-A's scope), cannot read or
 * write across parks.
 */
void
test_scope_rls(void **state)
{
	PGconn	*pg = PQconnectdb(getenv("PARKD_APP_DSN"));
	char	 q[512];
	int64_t	 n, sca, scb, fb, all;

	scope_fixture();
	sca = sql_int("SELECT id FROM parks WHERE code = 'SC-A'");
	scb = sql_int("SELECT id FROM parks WHERE code = 'SC-B'");
	(void)state;
	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	/* what parkd does for an operator's request */
	assert_int_equal(app_sql(pg, "SET ROLE parkd_park", NULL), 0);
	snprintf(q, sizeof(q), "SELECT id FROM firms WHERE credit_code = "
	    "'%s'", sc_code[FB]);
	fb = sql_int(q);
	/* nothing at all without a scope */
	assert_int_equal(app_sql(pg, "SELECT count(*) FROM firm_reports", &n),
	    0);
	assert_int_equal(n, 0);
	snprintf(q, sizeof(q), "SELECT set_config('parkd.scope', '%lld', "
	    "false)", (long long)sca);
	assert_int_equal(app_sql(pg, q, NULL), 0);
	/* fb is SC-B's: its reports, certificates and events are not seen */
	snprintf(q, sizeof(q), "SELECT count(*) FROM firm_reports WHERE "
	    "firm_id = %lld", (long long)fb);
	assert_int_equal(app_sql(pg, q, &n), 0);
	assert_int_equal(n, 0);
	snprintf(q, sizeof(q), "SELECT count(*) FROM certifications WHERE "
	    "firm_id = %lld", (long long)fb);
	assert_int_equal(app_sql(pg, q, &n), 0);
	assert_int_equal(n, 0);
	snprintf(q, sizeof(q), "UPDATE firm_reports SET revenue = 1 WHERE "
	    "firm_id = %lld", (long long)fb);
	assert_int_equal(app_sql(pg, q, &n), 0);
	assert_int_equal(n, 0);
	snprintf(q, sizeof(q), "INSERT INTO firm_reports (firm_id, year, "
	    "quarter) VALUES (%lld, 2026, 1)", (long long)fb);
	assert_int_equal(app_sql(pg, q, NULL), -1);
	snprintf(q, sizeof(q), "INSERT INTO park_reports (park_id, year, "
	    "quarter) VALUES (%lld, 2026, 1)", (long long)scb);
	assert_int_equal(app_sql(pg, q, NULL), -1);
	snprintf(q, sizeof(q), "UPDATE parks SET staff_count = 1 WHERE id = "
	    "%lld", (long long)scb);
	assert_int_equal(app_sql(pg, q, &n), 0);
	assert_int_equal(n, 0);
	snprintf(q, sizeof(q), "UPDATE firms SET name = 'x' WHERE id = %lld",
	    (long long)fb);
	assert_int_equal(app_sql(pg, q, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(app_sql(pg, "SELECT count(*) FROM evaluation_runs "
	    "WHERE status = 'draft'", &n), 0);
	assert_int_equal(n, 0);
	/* its own tenant fa is seen; the city-wide scope sees everything */
	snprintf(q, sizeof(q), "SELECT count(*) FROM firm_reports r JOIN firms "
	    "f ON f.id = r.firm_id WHERE f.credit_code = '%s'", sc_code[FA]);
	assert_int_equal(app_sql(pg, q, &n), 0);
	assert_true(n > 0);
	/* city-wide requests run as the owner, which RLS leaves alone */
	assert_int_equal(app_sql(pg, "RESET ROLE", NULL), 0);
	assert_int_equal(app_sql(pg, "SELECT count(*) FROM firm_reports",
	    &all), 0);
	assert_int_equal(all, sql_int("SELECT count(*) FROM firm_reports"));
	PQfinish(pg);
}
