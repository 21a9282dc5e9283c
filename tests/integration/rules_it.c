/*
 * Integration tests of the rules issue: entry refusals with every broken
 * rule, the race for the last free area, policy changes by RPC, the sweep,
 * graduation and the park lifecycle. Included by integration.c.
 */

#include "it.h"





static void
decide(struct parkc *pc, const char *method, const char *park,
    const char *reason, int want)
{
	Parkd__V1__ParkDecisionRequest	 req =
	    PARKD__V1__PARK_DECISION_REQUEST__INIT;

	req.park_code = (char *)park;
	req.date = "2026-03-01";
	req.reason = (char *)reason;
	expect(pc, method, &req.base, want);
}

/* Park IT-C: applied with 9 staff, refused; 10 staff, admitted. */
static void
story_admission(void **state)
{
	struct parkc			*bu = as("bureau", addr1);
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__ParkDecisionRequest	 ad =
	    PARKD__V1__PARK_DECISION_REQUEST__INIT;
	Parkd__V1__Park			 p;
	struct parkc_result		 res;
	int				 staff;
	int64_t				 id, ver;

	(void)state;
	park_init(&p, "IT-C", "城阳区");
	p.status = "applied";
	p.applied_on = "2026-01-15";	/* before its admission below */
	p.staff_count = 9;
	cp.park = &p;
	assert_int_equal(call(bu, "CreatePark", &cp.base, &res), 0);
	id = ((Parkd__V1__Park *)res.body)->id;
	parkc_result_free(&res);
	ad.park_code = "IT-C";
	ad.date = "2026-02-01";
	assert_int_equal(call(bu, "AdmitPark", &ad.base, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "park.staff_count", "park.min_staff"));
	assert_non_null(strstr(res.status->violations[0]->message,
	    "9 professional staff"));
	parkc_result_free(&res);
	get_park(bu, id, &staff, &ver);
	update_staff(bu, id, ver, 10, 0);
	assert_int_equal(call(bu, "AdmitPark", &ad.base, &res), 0);
	assert_string_equal(((Parkd__V1__Park *)res.body)->status, "admitted");
	assert_string_equal(((Parkd__V1__Park *)res.body)->admitted_on,
	    "2026-02-01");
	parkc_result_free(&res);
	expect(bu, "AdmitPark", &ad.base, CODE(FAILED_PRECONDITION));
	parkc_close(bu);
}

/* Three (and more) broken rules: every one is listed, nothing changes. */
static void
story_entry_refusals(void **state)
{
	struct parkc		*bu = as("bureau", addr1), *op = as("opA", addr1);
	Parkd__V1__ListTenanciesRequest lt =
	    PARKD__V1__LIST_TENANCIES_REQUEST__INIT;
	struct parkc_result	 res;
	char			 c1[19], c2[19];

	(void)state;
	create_firm(bu, code_for(101, c1), "I651", "2025-01-01");
	create_firm(bu, code_for(102, c2), "C3011", "2020-01-01");
	assert_int_equal(enter(bu, "IT-C", c2, "2026-03-10", 2000000, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "firm.industry_code",
	    "firm.industry_in_park"));
	assert_true(has_violation(&res, "firm.industry_code",
	    "firm.backward_industry"));
	assert_true(has_violation(&res, "area", "firm.area_cap"));
	assert_true(has_violation(&res, "area", "park.free_area"));
	assert_true(has_violation(&res, "firm.registered_on",
	    "firm.registration_age"));
	assert_int_equal(res.status->n_violations, 5);
	parkc_result_free(&res);
	lt.credit_code = c2;
	assert_int_equal(call(bu, "ListTenancies", &lt.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListTenanciesResponse *)res.body)->
	    n_tenancies, 0);
	parkc_result_free(&res);

	enter_ok(bu, "IT-C", c1, "2026-03-10", 5000);
	assert_int_equal(enter(bu, "IT-A", c1, "2026-03-11", 5000, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "credit_code", "firm.active_elsewhere"));
	parkc_result_free(&res);
	/* an operator only admits into its own park */
	assert_int_equal(enter(op, "IT-C", c2, "2026-03-10", 100, &res),
	    CODE(PERMISSION_DENIED));
	parkc_result_free(&res);
	expect(bu, "EnterFirm", &lt.base, CODE(INVALID_ARGUMENT));
	parkc_close(bu);
	parkc_close(op);
}

/* Two entries race for the last free area, on two parkd: exactly one wins. */
static void
story_last_free_area(void **state)
{
	struct parkc	*bu = as("bureau", addr1);
	struct parkc	*p1 = as("bureau", addr1);
	struct parkc	*p2 = as("bureau", addr2);

	(void)state;
	assert_int_equal(race_last_free_area(bu, p1, p2, "IT-D", 200, 5), 0);
	parkc_close(bu);
	parkc_close(p1);
	parkc_close(p2);
}

static int
upload(struct parkc *pc, const char *body, struct parkc_result *res)
{
	Parkd__V1__UploadPolicyRequest	 req =
	    PARKD__V1__UPLOAD_POLICY_REQUEST__INIT;

	req.body = (char *)body;
	return (call(pc, "UploadPolicy", &req.base, res));
}

static char *
active_hash(struct parkc *pc)
{
	Parkd__V1__GetPolicyRequest	 g = PARKD__V1__GET_POLICY_REQUEST__INIT;
	struct parkc_result		 res;
	char				*h;

	g.year = 2026;
	assert_int_equal(call(pc, "GetPolicy", &g.base, &res), 0);
	h = strdup(((Parkd__V1__Policy *)res.body)->hash);
	parkc_result_free(&res);
	return (h);
}

/* A policy uploaded by RPC rules the next decision, on every parkd. */
static void
story_policy_change(void **state)
{
	struct parkc		*admin = as("admin", addr1);
	struct parkc		*bu2 = as("bureau", addr2);
	struct parkc_result	 res;
	char			*orig = read_file("configs/policy/qingdao-2024.conf");
	char			*text = strdup(orig), *at, *h0, *h1, c[19];

	(void)state;
	h0 = active_hash(bu2);
	create_firm(bu2, code_for(301, c), "I653", "2026-01-01");
	/* per-firm cap down to 40 m2 */
	at = strstr(text, "max_area = 100000;");
	assert_non_null(at);
	memcpy(at, "max_area =   4000;", 18);
	assert_int_equal(upload(admin, text, &res), 0);
	assert_int_equal(((Parkd__V1__Policy *)res.body)->n_active_years, 3);
	parkc_result_free(&res);
	h1 = active_hash(bu2);
	assert_string_not_equal(h0, h1);
	assert_int_equal(enter(bu2, "IT-C", c, "2026-05-01", 5000, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "area", "firm.area_cap"));
	assert_non_null(strstr(res.status->violations[0]->message, "40.00 m2"));
	parkc_result_free(&res);

	/* a bad document is refused whole; the active one stays */
	assert_int_equal(upload(admin, "name = \"x\";\nyears = [2026, 2026];\n"
	    "park: { min_staff = \"ten\"; };\n", &res), CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "body", "policy.document"));
	assert_non_null(strstr(res.status->violations[0]->message, "line 3"));
	parkc_result_free(&res);
	/* documents that make libconfig leak are refused without a leak
	 * (parsed in a child; the ASan build checks parkd at exit) */
	{
		/* on parkd #2, which is stopped cleanly at the end */
		struct parkc *a2 = as("admin", addr2);

		assert_int_equal(upload(a2, "C\"\"", &res),
		    CODE(INVALID_ARGUMENT));
		parkc_result_free(&res);
		assert_int_equal(upload(a2, "k:\"\",\"\"", &res),
		    CODE(INVALID_ARGUMENT));
		parkc_result_free(&res);
		parkc_close(a2);
	}
	free(h0);
	h0 = active_hash(bu2);
	assert_string_equal(h0, h1);

	/* the original again: the same firm now enters */
	assert_int_equal(upload(admin, orig, &res), 0);
	parkc_result_free(&res);
	enter_ok(bu2, "IT-C", c, "2026-05-01", 5000);
	free(h0);
	free(h1);
	free(text);
	free(orig);
	parkc_close(admin);
	parkc_close(bu2);
}


/* Graduation needs its criterion to hold; the sweep proposes, calls decide. */
static void
story_graduation_and_sweep(void **state)
{
	struct parkc			*bu = as("bureau", addr1);
	Parkd__V1__ExitFirmRequest	 ex = PARKD__V1__EXIT_FIRM_REQUEST__INIT;
	Parkd__V1__AddCertificationRequest ac =
	    PARKD__V1__ADD_CERTIFICATION_REQUEST__INIT;
	Parkd__V1__Certification	 cert;
	struct parkc_result		 res;
	char				 c[19], s[19];

	(void)state;
	code_for(101, c);			/* active in IT-C since 03-10 */
	ex.credit_code = c;
	ex.kind = "graduate";
	ex.rule = "firm.graduate.high_tech";
	ex.exit_date = "2026-10-01";
	assert_int_equal(call(bu, "ExitFirm", &ex.base, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "rule", "firm.graduate.high_tech"));
	parkc_result_free(&res);
	assert_false(sweep_has(bu, "2026-10-01", c, "firm.graduate.high_tech"));

	parkd__v1__certification__init(&cert);
	cert.credit_code = c;
	cert.kind = "high_tech";
	cert.number = "GR202637000101";
	cert.valid_from = "2026-06-01";
	cert.valid_to = "2026-12-01";
	ac.certification = &cert;
	expect(bu, "AddCertification", &ac.base, 0);
	expect(bu, "AddCertification", &ac.base, CODE(ALREADY_EXISTS));
	assert_true(sweep_has(bu, "2026-10-01", c, "firm.graduate.high_tech"));
	/* expiring within 90 days of 2026-10-01 */
	assert_true(sweep_has(bu, "2026-10-01", c, "certificate.expiring"));
	/* not valid yet in May */
	assert_false(sweep_has(bu, "2026-05-01", c, "firm.graduate.high_tech"));

	/* a firm silent for two quarters is proposed for clearing */
	create_firm(bu, code_for(401, s), "C391", "2025-06-01");
	enter_ok(bu, "IT-A", s, "2026-01-05", 3000);
	{
		/* now opA's tenant: opA may update it */
		struct parkc *op = as("opA", addr2);
		Parkd__V1__UpdateFirmRequest uf =
		    PARKD__V1__UPDATE_FIRM_REQUEST__INIT;
		Parkd__V1__Firm f;
		char *mask[] = { "tech_based" };

		parkd__v1__firm__init(&f);
		f.credit_code = s;
		f.version = 1;
		f.tech_based = 1;
		uf.firm = &f;
		uf.update_mask = mask;
		uf.n_update_mask = 1;
		expect(op, "UpdateFirm", &uf.base, 0);
		parkc_close(op);
	}
	assert_true(sweep_has(bu, "2026-10-01", s, "firm.clear.no_reports"));
	assert_false(sweep_has(bu, "2026-06-01", s, "firm.clear.no_reports"));

	assert_int_equal(call(bu, "ExitFirm", &ex.base, &res), 0);
	assert_string_equal(((Parkd__V1__Tenancy *)res.body)->status,
	    "graduated");
	assert_string_equal(((Parkd__V1__Tenancy *)res.body)->exit_rule,
	    "firm.graduate.high_tech");
	parkc_result_free(&res);
	expect(bu, "ExitFirm", &ex.base, CODE(NOT_FOUND));
	parkc_close(bu);
}

/*
 * Every tenancy of status st city-wide, two a page (tenancy_list_by_status,
 * planned per call): each of that status and after the one before; how
 * many.
 */
static int64_t
tenancies_of_status(struct parkc *pc, const char *st)
{
	Parkd__V1__ListTenanciesRequest	 lt =
	    PARKD__V1__LIST_TENANCIES_REQUEST__INIT;
	Parkd__V1__ListTenanciesResponse *lr;
	struct parkc_result		 res;
	char				 token[64] = "";
	int64_t				 n = 0, last = 0;
	size_t				 i;
	int				 pages = 0;

	lt.status = (char *)st;
	lt.page_size = 2;
	do {
		lt.page_token = token;
		assert_int_equal(call(pc, "ListTenancies", &lt.base, &res), 0);
		lr = (Parkd__V1__ListTenanciesResponse *)res.body;
		for (i = 0; i < lr->n_tenancies; i++, n++) {
			assert_string_equal(lr->tenancies[i]->status, st);
			assert_true(lr->tenancies[i]->id > last);
			last = lr->tenancies[i]->id;
		}
		snprintf(token, sizeof(token), "%s", lr->next_page_token);
		parkc_result_free(&res);
	} while (*token != '\0' && ++pages < 10000);
	return (n);
}

/* Exit: every active tenancy closed in the same statement, once. */
static void
story_park_exit(void **state)
{
	struct parkc			*bu = as("bureau", addr1);
	Parkd__V1__ParkDecisionRequest	 d = PARKD__V1__PARK_DECISION_REQUEST__INIT;
	Parkd__V1__ListTenanciesRequest	 lt =
	    PARKD__V1__LIST_TENANCIES_REQUEST__INIT;
	Parkd__V1__ListTenanciesResponse *lr;
	struct parkc_result		 res;
	size_t				 i, active;
	char				 c[19];

	(void)state;
	create_firm(bu, code_for(501, c), "C392", "2026-01-01");
	enter_ok(bu, "IT-C", c, "2026-06-01", 2000);
	lt.park_code = "IT-C";
	lt.status = "active";
	assert_int_equal(call(bu, "ListTenancies", &lt.base, &res), 0);
	active = ((Parkd__V1__ListTenanciesResponse *)res.body)->n_tenancies;
	assert_true(active >= 2);
	parkc_result_free(&res);

	decide(bu, "ExitPark", "IT-C", "", CODE(INVALID_ARGUMENT));
	decide(bu, "WarnPark", "IT-C", "graded D in 2025", 0);
	d.park_code = "IT-C";
	d.date = "2026-09-30";
	d.reason = "operator unable to continue";
	assert_int_equal(call(bu, "ExitPark", &d.base, &res), 0);
	assert_int_equal(((Parkd__V1__ExitParkResponse *)res.body)->
	    tenancies_closed, (int)active);
	assert_string_equal(((Parkd__V1__ExitParkResponse *)res.body)->park->
	    status, "exited");
	parkc_result_free(&res);
	assert_int_equal(call(bu, "ListTenancies", &lt.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListTenanciesResponse *)res.body)->
	    n_tenancies, 0);
	parkc_result_free(&res);
	lt.status = "left";
	assert_int_equal(call(bu, "ListTenancies", &lt.base, &res), 0);
	lr = (Parkd__V1__ListTenanciesResponse *)res.body;
	assert_int_equal(lr->n_tenancies, active);
	for (i = 0; i < lr->n_tenancies; i++) {
		assert_string_equal(lr->tenancies[i]->exit_reason,
		    "park_exited");
		assert_string_equal(lr->tenancies[i]->exit_date, "2026-09-30");
	}
	parkc_result_free(&res);
	/* the same status city-wide: every one, and only those */
	assert_true(tenancies_of_status(bu, "left") >= (int64_t)active);
	assert_int_equal(tenancies_of_status(bu, "left"),
	    sql_int("SELECT count(*) FROM tenancies WHERE status = 'left'"));
	assert_int_equal(tenancies_of_status(bu, "active"),
	    sql_int("SELECT count(*) FROM tenancies WHERE status = 'active'"));
	/* a status there is none of is a mistake, not an empty list */
	lt.status = "exited";
	assert_int_equal(call(bu, "ListTenancies", &lt.base, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "status", "tenancy.status"));
	parkc_result_free(&res);
	expect(bu, "ExitPark", &d.base, CODE(FAILED_PRECONDITION));
	/* an exited park takes nobody */
	assert_int_equal(enter(bu, "IT-C", c, "2026-10-01", 100, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "park", "park.status"));
	parkc_result_free(&res);
	parkc_close(bu);
}

/* SIGHUP re-reads policy_file: new content is stored and activated. */
void
test_policy_file_reload(void **state)
{
	struct parkc		*bu = as("bureau", addr1);
	struct parkc		*admin = as("admin", addr1);
	struct parkc_result	 res;
	const char		*path = getenv("PARKD_POLICY");
	char			*orig = read_file(path), *text = strdup(orig);
	char			*h0, *h1, *h2, *at;

	(void)state;
	h0 = active_hash(bu);
	/* a broken file: ignored, the active policy stays */
	write_text(path, "name = ;\n");
	hup();
	h1 = active_hash(bu);
	assert_string_equal(h0, h1);
	free(h1);
	/* new content: activated for its years */
	at = strstr(text, "min_staff = 10;");
	assert_non_null(at);
	memcpy(at, "min_staff = 12;", 15);
	write_text(path, text);
	hup();
	h1 = active_hash(bu);
	assert_string_not_equal(h0, h1);
	/* unchanged content on the next SIGHUP is not re-activated */
	assert_int_equal(upload(admin, orig, &res), 0);
	parkc_result_free(&res);
	hup();
	h2 = active_hash(bu);
	assert_string_equal(h0, h2);
	write_text(path, orig);
	free(h0);
	free(h1);
	free(h2);
	free(text);
	free(orig);
	parkc_close(bu);
	parkc_close(admin);
}

/*
 * The tests above are one story of a city (a park admitted, firms entering
 * it, the last free area, a policy change, graduation, the park's exit):
 * each step builds on the one before. A test runs the steps before its own
 * first if no test has yet, so the tests may run in any order, and the
 * evaluation's tests can ask for the whole city (rules_city).
 */
static void (*const story[])(void **) = { story_admission,
    story_entry_refusals, story_last_free_area, story_policy_change,
    story_graduation_and_sweep, story_park_exit };
static size_t	 story_done;

static void
story_to(size_t step)
{
	while (story_done <= step)
		story[story_done++](NULL);
}

void
rules_city(void)
{
	story_to(sizeof(story) / sizeof(story[0]) - 1);
}

void
test_admission(void **state)
{
	(void)state;
	story_to(0);
}

void
test_entry_refusals(void **state)
{
	(void)state;
	story_to(1);
}

void
test_last_free_area(void **state)
{
	(void)state;
	story_to(2);
}

void
test_policy_change(void **state)
{
	(void)state;
	story_to(3);
}

void
test_graduation_and_sweep(void **state)
{
	(void)state;
	story_to(4);
}

void
test_park_exit(void **state)
{
	(void)state;
	story_to(5);
}
