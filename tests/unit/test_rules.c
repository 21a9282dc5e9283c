/* Entry and exit rules, each at and around its boundary. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "domain/rules.h"

static struct policy	 pol;
static char		*ind_i65[] = { "I65", "C27" };

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return (buf);
}

static int
setup(void **state)
{
	char	 err[256];
	char	*text = slurp("configs/policy/qingdao-2024.conf");

	(void)state;
	if (policy_parse(text, &pol, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return (-1);
	}
	free(text);
	return (0);
}

static struct park_facts
park(void)
{
	struct park_facts k = { "QD-T-001", 1, 10, 2, ind_i65, 200000, 0,
	    "admitted" };

	return (k);
}

static struct entry_facts
entry(const char *industry, const char *reg, const char *on, int64_t area)
{
	struct entry_facts e;

	memset(&e, 0, sizeof(e));
	e.credit_code = "91512081MA62K0260E";
	e.industry = industry;
	assert_int_equal(ymd_parse(reg, &e.registered), 0);
	assert_int_equal(ymd_parse(on, &e.entry), 0);
	e.area = area;
	e.waiver_source = "";
	return (e);
}

static int
has_rule(const struct viols *v, const char *rule)
{
	size_t	 i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->v[i].rule, rule) == 0)
			return (1);
	}
	return (0);
}

static size_t
entry_viols(struct park_facts *k, struct entry_facts *e, const char *rule,
    int *found)
{
	struct viols	 v = { 0 };
	size_t		 n;

	rules_firm_entry(&pol, k, e, &v);
	*found = rule ? has_rule(&v, rule) : 0;
	n = v.n;
	viols_free(&v);
	return (n);
}

static void
test_policy_file(void **state)
{
	(void)state;
	assert_string_equal(pol.name, "qingdao-2024");
	assert_int_equal(pol.year_from, 2024);
	assert_int_equal(pol.year_to, 2026);
	assert_int_equal(pol.park_min_staff, 10);
	assert_int_equal(pol.reg_months, 24);
	assert_int_equal(pol.reg_months_long, 60);
	assert_int_equal(pol.firm_max_area, 100000);
	assert_int_equal(pol.grad_equity_fen, 500000000);
	assert_int_equal(pol.silent_quarters, 2);
}

static void
test_policy_errors(void **state)
{
	struct policy	 p;
	char		 err[256], *text = slurp("configs/policy/qingdao-2024.conf");
	char		*bad = calloc(1, strlen(text) + 128), *at;

	(void)state;
	assert_int_equal(policy_parse("name = ;", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "policy line 1"));
	sprintf(bad, "%sfirm2: { x = 1; };\n", text);
	assert_int_equal(policy_parse(bad, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'firm2'"));
	strcpy(bad, text);
	at = strstr(bad, "min_staff = 10;");
	memcpy(at, "min_stuff = 10;", 15);
	assert_int_equal(policy_parse(bad, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'park.min_stuff' is unknown"));
	strcpy(bad, text);
	at = strstr(bad, "max_area = 100000;");
	memcpy(at, "max_area = \"big\"; ", 18);
	assert_int_equal(policy_parse(bad, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'firm.max_area' must be an integer"));
	strcpy(bad, text);
	at = strstr(bad, "\"C27\", \"I6520\"];");
	memcpy(at, "\"C27\", \"ZZZZZ\"];", 16);
	assert_int_equal(policy_parse(bad, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'ZZZZZ'"));
	free(bad);
	free(text);
}

static void
test_months(void **state)
{
	struct ymd	 d = { 2024, 1, 31 }, r;

	(void)state;
	r = ymd_add_months(d, 1);
	assert_int_equal(r.m, 2);
	assert_int_equal(r.d, 29);		/* leap year month end */
	r = ymd_add_months(d, 24);
	assert_int_equal(r.y, 2026);
	assert_int_equal(r.m, 1);
	assert_int_equal(r.d, 31);
	assert_int_equal(ymd_days(&d), 19753);
	r = ymd_from_days(19753);
	assert_int_equal(r.y, 2024);
	assert_int_equal(r.d, 31);
	assert_int_equal(ymd_quarter_index(&d), 2024 * 4);
}

/* A notice of n working days: weekends are not counted. */
static void
test_working_days(void **state)
{
	struct ymd	 fri = { 2026, 11, 20 }, wed = { 2026, 12, 30 }, r;

	(void)state;
	r = ymd_add_working_days(fri, 1);	/* Friday + 1: Monday */
	assert_int_equal(r.m, 11);
	assert_int_equal(r.d, 23);
	r = ymd_add_working_days(fri, 5);	/* the next Friday */
	assert_int_equal(r.d, 27);
	r = ymd_add_working_days(fri, 6);	/* over two weekends */
	assert_int_equal(r.m, 11);
	assert_int_equal(r.d, 30);
	r = ymd_add_working_days(wed, 3);	/* over the year's end */
	assert_int_equal(r.y, 2027);
	assert_int_equal(r.m, 1);
	assert_int_equal(r.d, 4);
	r = ymd_add_working_days(fri, 0);
	assert_int_equal(r.d, 20);
}

/* Registered for at most 24 months: exactly 24 passes, a day more fails. */
static void
test_registration_age(void **state)
{
	struct park_facts	 k = park();
	struct entry_facts	 e;
	int			 f;

	(void)state;
	e = entry("I651", "2023-03-15", "2025-03-15", 10000);
	assert_int_equal(entry_viols(&k, &e, NULL, &f), 0);
	e = entry("I651", "2023-03-15", "2025-03-16", 10000);
	assert_int_equal(entry_viols(&k, &e, "firm.registration_age", &f), 1);
	assert_true(f);
	/* biomedicine: 60 months */
	e = entry("C2710", "2020-03-15", "2025-03-15", 10000);
	assert_int_equal(entry_viols(&k, &e, NULL, &f), 0);
	e = entry("C2710", "2020-03-15", "2025-03-16", 10000);
	assert_int_equal(entry_viols(&k, &e, "firm.registration_age", &f), 1);
	/* waived for roadshow and competition selections */
	e = entry("I651", "2019-01-01", "2025-03-16", 10000);
	e.waiver_source = "roadshow";
	assert_int_equal(entry_viols(&k, &e, NULL, &f), 0);
	e.waiver_source = "friend";
	assert_int_equal(entry_viols(&k, &e, "firm.registration_age", &f), 1);
	/* entry before registration */
	e = entry("I651", "2025-03-15", "2025-03-14", 10000);
	assert_int_equal(entry_viols(&k, &e, "firm.registration_age", &f), 1);
}

/* Per-firm area cap: exactly 1,000 m2 passes; 3,000 for aerospace. */
static void
test_area_cap(void **state)
{
	struct park_facts	 k = park();
	struct entry_facts	 e;
	static char		*aero[] = { "C37", "A01" };
	int			 f;

	(void)state;
	k.total_area = 1000000;
	e = entry("I651", "2024-01-01", "2025-01-01", 100000);
	assert_int_equal(entry_viols(&k, &e, NULL, &f), 0);
	e.area = 100001;
	assert_int_equal(entry_viols(&k, &e, "firm.area_cap", &f), 1);
	assert_true(f);
	k.industries = aero;
	e = entry("C3741", "2024-01-01", "2025-01-01", 300000);
	assert_int_equal(entry_viols(&k, &e, NULL, &f), 0);
	e.area = 300001;
	assert_int_equal(entry_viols(&k, &e, "firm.area_cap", &f), 1);
	e = entry("A0141", "2024-01-01", "2025-01-01", 300000);
	assert_int_equal(entry_viols(&k, &e, NULL, &f), 0);
}

/* The park's free area: the last square metre fits, one more does not. */
static void
test_free_area(void **state)
{
	struct park_facts	 k = park();
	struct entry_facts	 e = entry("I651", "2024-01-01", "2025-01-01",
				    50000);
	int			 f;

	(void)state;
	k.total_area = 200000;
	k.occupied_area = 150000;
	assert_int_equal(entry_viols(&k, &e, NULL, &f), 0);
	k.occupied_area = 150001;
	assert_int_equal(entry_viols(&k, &e, "park.free_area", &f), 1);
	assert_true(f);
}

/* Three broken rules: all three are reported. */
static void
test_all_violations(void **state)
{
	struct park_facts	 k = park();
	struct entry_facts	 e = entry("C3011", "2020-01-01", "2025-01-01",
				    200000);
	struct viols		 v = { 0 };
	int			 found;

	(void)state;
	e.active_park = "QD-X-002";
	k.occupied_area = 1;
	rules_firm_entry(&pol, &k, &e, &v);
	assert_true(has_rule(&v, "firm.industry_in_park"));
	assert_true(has_rule(&v, "firm.backward_industry"));
	assert_true(has_rule(&v, "firm.area_cap"));
	assert_true(has_rule(&v, "park.free_area"));
	assert_true(has_rule(&v, "firm.active_elsewhere"));
	assert_true(has_rule(&v, "firm.registration_age"));
	assert_int_equal(v.n, 6);
	viols_free(&v);
	k.status = "exited";
	e = entry("I651", "2024-01-01", "2025-01-01", 100);
	assert_int_equal(entry_viols(&k, &e, "park.status", &found), 1);
	assert_true(found);
}

static void
test_park_admission(void **state)
{
	struct park_facts	 k = park();
	struct viols		 v = { 0 };
	static char		*four[] = { "I65", "C27", "C39", "M73" };

	(void)state;
	rules_park_admission(&pol, &k, &v);
	assert_int_equal(v.n, 0);		/* exactly 10 staff */
	k.staff = 9;
	k.legal_person = 0;
	k.industries = four;
	k.n_industries = 4;
	k.total_area = 99999;
	rules_park_admission(&pol, &k, &v);
	assert_true(has_rule(&v, "park.min_staff"));
	assert_true(has_rule(&v, "park.operator_legal_person"));
	assert_true(has_rule(&v, "park.leading_industries"));
	assert_true(has_rule(&v, "park.min_total_area"));
	assert_non_null(strstr(v.v[1].message, "9 professional staff"));
	viols_free(&v);
	k = park();
	k.n_industries = 0;
	rules_park_admission(&pol, &k, &v);
	assert_true(has_rule(&v, "park.leading_industries"));
	viols_free(&v);
}

static struct tenancy_facts
tenancy(const char *entry_on)
{
	struct tenancy_facts t;

	memset(&t, 0, sizeof(t));
	t.park_code = "QD-T-001";
	t.credit_code = "91512081MA62K0260E";
	t.industry = "I651";
	t.park_industries = ind_i65;
	t.n_park_industries = 2;
	assert_int_equal(ymd_parse(entry_on, &t.entry), 0);
	t.last_report_qi = 2025 * 4 + 2;	/* 2025Q3 */
	return (t);
}

static int
sweep_has(struct tenancy_facts *t, const char *as_of, const char *rule)
{
	struct proposals ps = { 0 };
	struct ymd	 d;
	size_t		 i;
	int		 found = 0;

	assert_int_equal(ymd_parse(as_of, &d), 0);
	rules_tenancy_sweep(&pol, t, &d, &ps);
	for (i = 0; i < ps.n; i++)
		found |= strcmp(ps.v[i].rule, rule) == 0;
	if (rule == NULL)
		found = (int)ps.n;
	proposals_free(&ps);
	return (found);
}

static void
test_graduation(void **state)
{
	struct tenancy_facts	 t = tenancy("2024-01-10");

	(void)state;
	assert_int_equal(sweep_has(&t, "2025-11-01", NULL), 0);
	t.equity_fen = 500000000;		/* not above 5 million */
	assert_false(sweep_has(&t, "2025-11-01",
	    "firm.graduate.equity_financing"));
	t.equity_fen = 500000001;
	assert_true(sweep_has(&t, "2025-11-01",
	    "firm.graduate.equity_financing"));
	t.revenue_2y_fen = 1000000000;
	assert_false(sweep_has(&t, "2025-11-01", "firm.graduate.revenue"));
	t.revenue_2y_fen = 1000000001;
	assert_true(sweep_has(&t, "2025-11-01", "firm.graduate.revenue"));
	t.high_tech = 1;
	assert_true(sweep_has(&t, "2025-11-01", "firm.graduate.high_tech"));
	t.acquired_or_listed = 1;
	assert_true(sweep_has(&t, "2025-11-01",
	    "firm.graduate.acquired_or_listed"));
	assert_true(rules_graduation_met(&pol, &t, "firm.graduate.high_tech"));
	assert_false(rules_graduation_met(&pol, &t, "firm.graduate.magic"));
}

/* 48 months of incubation: the day after the end it is due. */
static void
test_incubation_period(void **state)
{
	struct tenancy_facts	 t = tenancy("2021-11-01");

	(void)state;
	t.last_report_qi = 2025 * 4 + 3;
	assert_false(sweep_has(&t, "2025-11-01", "firm.incubation_period"));
	assert_true(sweep_has(&t, "2025-11-02", "firm.incubation_period"));
	t.industry = "C2710";			/* biomedicine: 60 months */
	t.park_industries = ind_i65;
	assert_false(sweep_has(&t, "2025-11-02", "firm.incubation_period"));
	assert_true(sweep_has(&t, "2026-11-02", "firm.incubation_period"));
}

/* Two consecutive quarters without a report: proposed for clearing. */
static void
test_silent_quarters(void **state)
{
	struct tenancy_facts	 t = tenancy("2024-01-10");

	(void)state;
	/* as of 2025-11-01 (Q4), last completed quarters are Q3 and Q2 */
	t.last_report_qi = 2025 * 4 + 1;	/* reported 2025Q2 */
	assert_false(sweep_has(&t, "2025-11-01", "firm.clear.no_reports"));
	t.last_report_qi = 2025 * 4 + 0;	/* last 2025Q1: Q2, Q3 silent */
	assert_true(sweep_has(&t, "2025-11-01", "firm.clear.no_reports"));
	t.last_report_qi = -1;
	assert_true(sweep_has(&t, "2025-11-01", "firm.clear.no_reports"));
	/* a firm that entered in Q2 has had only one full quarter */
	t = tenancy("2025-05-01");
	t.last_report_qi = -1;
	assert_false(sweep_has(&t, "2025-11-01", "firm.clear.no_reports"));
	t = tenancy("2025-03-31");
	t.last_report_qi = -1;
	assert_true(sweep_has(&t, "2025-11-01", "firm.clear.no_reports"));
}

static void
test_clearing_industry(void **state)
{
	struct tenancy_facts	 t = tenancy("2024-01-10");

	(void)state;
	t.industry = "C3011";
	assert_true(sweep_has(&t, "2025-11-01", "firm.clear.industry_mismatch"));
	assert_true(sweep_has(&t, "2025-11-01", "firm.clear.backward_industry"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_file),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_months),
		cmocka_unit_test(test_working_days),
		cmocka_unit_test(test_registration_age),
		cmocka_unit_test(test_area_cap),
		cmocka_unit_test(test_free_area),
		cmocka_unit_test(test_all_violations),
		cmocka_unit_test(test_park_admission),
		cmocka_unit_test(test_graduation),
		cmocka_unit_test(test_incubation_period),
		cmocka_unit_test(test_silent_quarters),
		cmocka_unit_test(test_clearing_industry),
	};

	return (cmocka_run_group_tests_name("rules", tests, setup, NULL));
}
