/* The evaluation: scales, grades, the quota, the award, the cap, budgets. */
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

static int
setup(void **state)
{
	FILE	*f = fopen("configs/policy/qingdao-2024.conf", "r");
	char	*buf = calloc(1, 1 << 16), err[256];

	(void)state;
	if (f == NULL || fread(buf, 1, (1 << 16) - 1, f) == 0)
		return (-1);
	fclose(f);
	if (policy_parse(buf, &pol, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return (-1);
	}
	free(buf);
	return (0);
}

static const struct eval_indicator *
ind(const char *key)
{
	int	 i;

	for (i = 0; i < pol.eval.ninds; i++) {
		if (strcmp(pol.eval.inds[i].key, key) == 0)
			return (&pol.eval.inds[i]);
	}
	fail_msg("no indicator %s", key);
	return (NULL);
}

static void
test_policy(void **state)
{
	(void)state;
	assert_int_equal(pol.eval.ndims, 4);
	assert_int_equal(pol.eval.ninds, 16);
	assert_int_equal(pol.eval.ngrades, 4);
	assert_int_equal(pol.eval.grades[0].min_cp, 9000);
	assert_int_equal(pol.eval.grades[1].amount_fen, 30000000);
	assert_int_equal(pol.eval.cap_fen, 50000000);
	assert_int_equal(pol.eval.quota_pct, 40);
	assert_int_equal(ind("revenue")->target, 20000000000LL);
}

/* Each scale at its floor, target and beyond. */
static void
test_scales(void **state)
{
	const struct eval_indicator *t = ind("tenants"), *g = ind("graduates");

	(void)state;
	assert_int_equal(eval_score_cp(t, 5), 0);		/* floor */
	assert_int_equal(eval_score_cp(t, 0), 0);		/* below */
	assert_int_equal(eval_score_cp(t, 6), 400);
	assert_int_equal(eval_score_cp(t, 30), 10000);		/* target */
	assert_int_equal(eval_score_cp(t, 31), 10000);		/* capped */
	assert_int_equal(eval_score_cp(t, 1000000), 10000);
	assert_int_equal(eval_score_cp(ind("srdi"), 1), 3333);	/* floor div */
	assert_int_equal(eval_score_cp(g, 0), 0);		/* bands */
	assert_int_equal(eval_score_cp(g, 1), 6000);
	assert_int_equal(eval_score_cp(g, 2), 8000);
	assert_int_equal(eval_score_cp(g, 3), 10000);
	assert_int_equal(eval_score_cp(g, 99), 10000);
}

/* A park every score of which is computed by hand in the comments. */
static struct eval_park
hand_park(void)
{
	struct eval_park p;

	memset(&p, 0, sizeof(p));
	p.park_id = 7;
	p.code = "QD-HAND";
	p.raw[RAW_TENANTS] = 30;		/* 100.00 x 8  = 80000 */
	p.raw[RAW_OCCUPANCY] = 5500;		/*  50.00 x 6  = 30000 */
	p.raw[RAW_NEW_ENTRIES] = 4;		/*  40.00 x 5  = 20000 */
	p.raw[RAW_GRADUATES] = 2;		/*  80.00 x 4  = 32000 */
	p.raw[RAW_REVENUE] = 5000000000LL;	/*  25.00 x 7  = 17500 */
	p.raw[RAW_REVENUE_GROWTH] = 1000;	/*  50.00 x 5  = 25000 */
	p.raw[RAW_TECH_SHARE] = 8500;		/* 100.00 x 8  = 80000 */
	p.raw[RAW_HIGH_TECH] = 2;		/*  40.00 x 7  = 28000 */
	p.raw[RAW_SRDI] = 1;			/*  33.33 x 5  = 16665 */
	p.raw[RAW_IP] = 10;			/*  50.00 x 5  = 25000 */
	p.raw[RAW_JOBS] = 175;			/*  50.00 x 10 = 50000 */
	p.raw[RAW_GRADUATE_JOBS] = 55;		/*  50.00 x 10 = 50000 */
	p.raw[RAW_INTERNS] = 30;		/*  50.00 x 5  = 25000 */
	p.raw[RAW_ACTIVITIES] = 24;		/* 100.00 x 5  = 50000 */
	p.raw[RAW_ROADSHOWS] = 8;		/* 100.00 x 5  = 50000 */
	p.raw[RAW_SERVICES] = 400;		/* 100.00 x 5  = 50000 */
	p.admitted = 1;				/* sum 629165 -> 62.91 */
	p.legal_person = 1;
	p.staff = 12;
	p.roadshow_quarters = 4;
	return (p);
}

static void
test_hand_computed(void **state)
{
	struct eval_park	 p = hand_park();
	struct eval_result	 r;
	struct eval_totals	 t;
	struct eval_policy	 lin = pol.eval;

	(void)state;
	eval_run(&pol.eval, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.total_cp, 6291);
	assert_string_equal(r.grade, "C");
	assert_string_equal(r.grade_name, "合格");
	assert_int_equal(r.subsidy_fen, 10000000);		/* 100,000.00 */
	assert_int_equal(r.score_cp[8], 3333);			/* srdi */
	assert_int_equal(r.contrib_cp[8], 166);
	assert_true(r.eligible);
	assert_int_equal(r.nreasons, 0);
	/* linear mode: 500,000.00 x 62.91 / 100 = 314,550.00 */
	lin.mode = MODE_LINEAR;
	eval_run(&lin, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.subsidy_fen, 31455000);
	assert_int_equal(t.total_fen, 31455000);
	lin.linear_min_cp = 6300;
	eval_run(&lin, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.subsidy_fen, 0);
}

/* Score exactly t centi-points: a one-indicator policy. */
static struct eval_policy
single(void)
{
	struct eval_policy	 ep = pol.eval;

	ep.ndims = 1;
	ep.dims[0].weight = 100;
	ep.ninds = 1;
	ep.inds[0] = *ind("tenants");
	ep.inds[0].raw = RAW_TENANTS;
	ep.inds[0].weight = 100;
	ep.inds[0].dim = 0;
	ep.inds[0].floor = 0;
	ep.inds[0].target = 10000;		/* raw == centi-points */
	return (ep);
}

static struct eval_park
at(const char *code, int cp)
{
	struct eval_park p = hand_park();

	p.code = code;
	p.raw[RAW_TENANTS] = cp;
	return (p);
}

/* Grade boundaries exactly at 90, 80 and 60. */
static void
test_grade_boundaries(void **state)
{
	struct eval_policy	 ep = single();
	static const struct { int cp; const char *g; int64_t fen; } c[] = {
		{ 10000, "A", 50000000 }, { 9000, "A", 50000000 },
		{ 8999, "B", 30000000 }, { 8000, "B", 30000000 },
		{ 7999, "C", 10000000 }, { 6000, "C", 10000000 },
		{ 5999, "D", 0 }, { 0, "D", 0 },
	};
	struct eval_park	 p;
	struct eval_result	 r;
	struct eval_totals	 t;
	size_t			 i;

	(void)state;
	ep.quota_pct = 0;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		p = at("QD-X", c[i].cp);
		eval_run(&ep, 2025, &p, 1, -1, &r, &t);
		assert_int_equal(r.total_cp, c[i].cp);
		assert_string_equal(r.grade, c[i].g);
		assert_int_equal(r.subsidy_fen, c[i].fen);
	}
}

/* Ten parks, 40 % quota = 4 A/B places; a tie sits on the cut. */
static void
test_quota_tie(void **state)
{
	struct eval_policy	 ep = single();
	struct eval_park	 p[10];
	struct eval_result	 r[10];
	struct eval_totals	 t;
	static const int	 cp[10] = { 9500, 9100, 8800, 8500, 8500, 8200,
				    7000, 6500, 5000, 4000 };
	char			 codes[10][16];
	int			 i, ab;

	(void)state;
	for (i = 0; i < 10; i++) {
		snprintf(codes[i], sizeof(codes[i]), "P%02d", i);
		p[i] = at(codes[i], cp[i]);
	}
	/* none_in: both parks tied at 85.00 drop; 3 keep A/B */
	ep.tie_rule = TIE_NONE_IN;
	eval_run(&ep, 2025, p, 10, -1, r, &t);
	for (ab = 0, i = 0; i < 10; i++)
		ab += strcmp(r[i].grade, "A") == 0 || strcmp(r[i].grade, "B") == 0;
	assert_int_equal(ab, 3);
	assert_string_equal(r[3].grade, "C");
	assert_string_equal(r[4].grade, "C");
	assert_string_equal(r[5].grade, "C");
	assert_int_equal(r[3].subsidy_fen, 10000000);
	assert_non_null(strstr(r[3].reasons[0], "优良比例限额"));
	assert_int_equal(t.downgraded, 3);
	/* all_in: both tied parks keep B; 5 in all */
	ep.tie_rule = TIE_ALL_IN;
	eval_run(&ep, 2025, p, 10, -1, r, &t);
	for (ab = 0, i = 0; i < 10; i++)
		ab += strcmp(r[i].grade, "A") == 0 || strcmp(r[i].grade, "B") == 0;
	assert_int_equal(ab, 5);
	assert_string_equal(r[4].grade, "B");
	assert_string_equal(r[5].grade, "C");
	/* indicator: the tie is broken by revenue */
	ep.tie_rule = TIE_INDICATOR;
	ep.tie_raw = RAW_REVENUE;
	p[4].raw[RAW_REVENUE] = p[3].raw[RAW_REVENUE] + 1;
	eval_run(&ep, 2025, p, 10, -1, r, &t);
	assert_string_equal(r[4].grade, "B");
	assert_string_equal(r[3].grade, "C");
	/* order of input does not matter */
	{
		struct eval_park	 q[10];
		struct eval_result	 s[10];

		for (i = 0; i < 10; i++)
			q[i] = p[9 - i];
		eval_run(&ep, 2025, q, 10, -1, s, &t);
		for (i = 0; i < 10; i++) {
			assert_string_equal(s[i].grade, r[9 - i].grade);
			assert_int_equal(s[i].subsidy_fen, r[9 - i].subsidy_fen);
			assert_int_equal(s[i].rank, r[9 - i].rank);
		}
	}
}

/* Gates, the award exclusion, the cap. */
static void
test_gates_award_cap(void **state)
{
	struct eval_policy	 ep = single();
	struct eval_park	 p = at("QD-G", 9500);
	struct eval_result	 r;
	struct eval_totals	 t;

	(void)state;
	ep.quota_pct = 0;
	p.roadshow_quarters = 3;
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_string_equal(r.grade, "A");		/* still scored */
	assert_false(r.eligible);
	assert_int_equal(r.subsidy_fen, 0);
	assert_non_null(strstr(r.reasons[0], "仅 3 个季度开展项目路演"));
	p = at("QD-G", 9500);
	p.staff = 9;
	p.legal_person = 0;
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.nreasons, 2);
	assert_int_equal(r.subsidy_fen, 0);
	p = at("QD-G", 9500);
	p.has_award = 1;
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.subsidy_fen, 0);
	assert_non_null(strstr(r.reasons[0], "不重复享受"));
	/* the cap: an amount above it is cut to it */
	p = at("QD-G", 9500);
	ep.grades[0].amount_fen = 60000000;
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.subsidy_fen, 50000000);
	assert_non_null(strstr(r.reasons[0], "按上限 500000.00 元核定"));
	assert_string_equal(r.reason_codes[0], "cap");
	/* failing twice: exit proposed */
	p = at("QD-G", 1000);
	p.prev_fails = 1;
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.consecutive_fails, 2);
	assert_non_null(strstr(r.reasons[0], "建议退出"));
}

/*
 * Equal totals share a rank (competition ranking: 1, 2, 2, 2, 5); the
 * positions stay 1..n, in the tie rule's order then by park code.
 */
static void
test_shared_rank(void **state)
{
	struct eval_policy	 ep = single();
	struct eval_park	 p[5];
	struct eval_result	 r[5];
	struct eval_totals	 t;
	static const int	 cp[5] = { 10000, 9000, 9000, 9000, 5000 };
	static const int	 rank[5] = { 1, 2, 2, 2, 5 };
	char			 codes[5][16];
	int			 i;

	(void)state;
	ep.quota_pct = 0;
	for (i = 0; i < 5; i++) {
		snprintf(codes[i], sizeof(codes[i]), "P%02d", 4 - i);
		p[i] = at(codes[i], cp[i]);
	}
	eval_run(&ep, 2025, p, 5, -1, r, &t);
	for (i = 0; i < 5; i++)
		assert_int_equal(r[i].rank, rank[i]);
	/* among the tied, by park code: P01 < P02 < P03 */
	assert_int_equal(r[3].position, 2);
	assert_int_equal(r[2].position, 3);
	assert_int_equal(r[1].position, 4);
	/* the tie rule's indicator orders them, the rank stays shared */
	ep.tie_rule = TIE_INDICATOR;
	ep.tie_raw = RAW_REVENUE;
	p[1].raw[RAW_REVENUE] += 10;
	eval_run(&ep, 2025, p, 5, -1, r, &t);
	assert_int_equal(r[1].position, 2);
	assert_int_equal(r[1].rank, 2);
	assert_int_equal(r[3].rank, 2);
}

/*
 * Admitted all year means on or before 1 January: a park admitted on 1
 * July fails the gate (and says when it was admitted); the grade's amount
 * is kept beside the amount asked; every reason is kept.
 */
static void
test_admission_gate(void **state)
{
	struct eval_policy	 ep = single();
	struct eval_park	 p = at("QD-M", 9500);
	struct eval_result	 r;
	struct eval_totals	 t;
	int			 i, found;

	(void)state;
	ep.quota_pct = 0;
	p.admitted_on = "2025-01-01";
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_true(r.eligible);
	assert_int_equal(r.subsidy_fen, 50000000);
	assert_int_equal(r.grade_amount_fen, 50000000);
	p.admitted_on = "2025-01-02";
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_false(r.eligible);
	assert_int_equal(r.grade_amount_fen, 50000000);
	assert_int_equal(r.amount_fen, 0);
	assert_int_equal(r.subsidy_fen, 0);
	assert_non_null(strstr(r.reasons[0], "2025-01-02 才认定"));
	p.admitted_on = "2025-07-01";
	p.admitted = 0;				/* and exited by the year end */
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_non_null(strstr(r.reasons[0], "年内退出"));
	/* every gate failing at once, the award too: all reasons kept */
	p = at("QD-M", 1000);
	p.admitted_on = "2025-03-01";
	p.legal_person = 0;
	p.staff = 1;
	p.roadshow_quarters = 0;
	p.has_award = 1;
	p.prev_fails = 1;
	ep.grades[ep.ngrades - 1].amount_fen = 100;
	eval_run(&ep, 2025, &p, 1, -1, &r, &t);
	assert_int_equal(r.nreasons, 5);	/* 4 gates, the warning */
	for (found = 0, i = 0; i < r.nreasons; i++)
		found += strstr(r.reasons[i], "建议退出") != NULL;
	assert_int_equal(found, 1);
	assert_int_equal(r.grade_amount_fen, 100);
	assert_int_equal(r.amount_fen, 0);
}

/*
 * Experts' scores made one: the mean, rounded down; the trimmed mean drops
 * the highest and the lowest from five experts on, not before.
 */
static void
test_expert_aggregate(void **state)
{
	static const int	 four[] = { 9000, 6000, 7000, 10000 };
	static const int	 five[] = { 9000, 2000, 7000, 10000, 8000 };
	static const int	 odd[] = { 1, 2 };

	(void)state;
	assert_int_equal(eval_aggregate(four, 0, AGG_MEAN), 0);
	assert_int_equal(eval_aggregate(four, 4, AGG_MEAN), 8000);
	assert_int_equal(eval_aggregate(four, 4, AGG_TRIMMED_MEAN), 8000);
	assert_int_equal(eval_aggregate(five, 5, AGG_MEAN), 7200);
	/* without 10000 and 2000: (9000 + 7000 + 8000) / 3 */
	assert_int_equal(eval_aggregate(five, 5, AGG_TRIMMED_MEAN), 8000);
	assert_int_equal(eval_aggregate(odd, 2, AGG_MEAN), 1);
	assert_int_equal(five[1], 2000);	/* the input is not reordered */
}

/* A policy's expert indicators: own keys, slots after the measured. */
static void
test_expert_policy(void **state)
{
	FILE		*f = fopen("configs/policy/qingdao-2024.conf", "r");
	char		*buf = calloc(1, 1 << 17), *at, err[256];
	static const char from[] = "{ key = \"services\"; name = \"创业服务人次\"; "
	    "weight = 5; floor = 50; target = 400; }";
	static const char to[] = "{ key = \"services\"; name = \"创业服务人次\"; "
	    "weight = 3; floor = 50; target = 400; }, { key = \"quality\"; "
	    "name = \"服务质量\"; weight = 2; expert = true; }";
	struct policy	 p;
	struct eval_park pk;
	struct eval_result r;
	struct eval_totals t;
	size_t		 n;

	(void)state;
	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	at = strstr(buf, from);
	assert_non_null(at);
	n = strlen(from);
	memmove(at + strlen(to), at + n, strlen(at + n) + 1);
	memcpy(at, to, strlen(to));
	assert_int_equal(policy_parse(buf, &p, err, sizeof(err)), 0);
	assert_int_equal(p.eval.nexpert, 1);
	assert_int_equal(p.eval.inds[p.eval.expert_ind[0]].raw, RAW_COUNT);
	assert_int_equal(p.eval.expert_agg, AGG_TRIMMED_MEAN);
	assert_string_equal(eval_raw_unit(RAW_COUNT), "cp");
	/* scored on its aggregate: 75.00 points x 2 = 1.50 of the total */
	memset(&pk, 0, sizeof(pk));
	pk.code = "QD-E";
	pk.admitted = 1;
	pk.raw[RAW_COUNT] = 7500;
	pk.experts = 3;
	eval_run(&p.eval, 2025, &pk, 1, -1, &r, &t);
	assert_int_equal(r.total_cp, 150);
	/* none scored it: 0, and said */
	pk.experts = 0;
	pk.raw[RAW_COUNT] = 0;
	eval_run(&p.eval, 2025, &pk, 1, -1, &r, &t);
	assert_non_null(strstr(r.reasons[0], "无专家评分"));
	/* a misspelt key is refused, not ignored (its default would rule) */
	at = strstr(buf, "use_declarations = false;");
	assert_non_null(at);
	memcpy(at, "use_declaration  = false;", 25);
	assert_int_equal(policy_parse(buf, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "key 'use_declaration' is unknown"));
	memcpy(at, "use_declarations = false;", 25);
	/* an expert indicator's key must be its own */
	at = strstr(buf, "key = \"quality\"");
	memcpy(at, "key = \"tenants\"", 15);
	assert_int_equal(policy_parse(buf, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must have a key of its own"));
	free(buf);
}

/* Pro rata to a budget that does not divide evenly. */
static void
test_budget(void **state)
{
	struct eval_policy	 ep = single();
	struct eval_park	 p[3] = { at("QD-1", 9500), at("QD-2", 8500),
				    at("QD-3", 6500) };
	struct eval_result	 r[3];
	struct eval_totals	 t;
	int64_t			 budget = 70000001, sum;
	int			 i;

	(void)state;
	ep.quota_pct = 0;
	eval_run(&ep, 2025, p, 3, budget, r, &t);
	assert_int_equal(t.requested_fen, 90000000);
	/* 50,000,000 x 70,000,001 / 90,000,000 = 38,888,889.4 -> ...889 */
	assert_int_equal(r[0].subsidy_fen, 38888889);
	assert_int_equal(r[1].subsidy_fen, 23333333);
	assert_int_equal(r[2].subsidy_fen, 7777777);
	for (sum = 0, i = 0; i < 3; i++) {
		assert_true(r[i].subsidy_fen >= 0);
		sum += r[i].subsidy_fen;
	}
	assert_int_equal(sum, 69999999);
	assert_int_equal(t.total_fen, sum);
	assert_int_equal(t.remainder_fen, 2);
	assert_true(sum <= budget);
	/* a budget above the need changes nothing */
	eval_run(&ep, 2025, p, 3, 100000000, r, &t);
	assert_int_equal(t.total_fen, 90000000);
	assert_int_equal(t.remainder_fen, 10000000);
	/* zero budget: nobody is paid, nobody negative */
	eval_run(&ep, 2025, p, 3, 0, r, &t);
	assert_int_equal(t.total_fen, 0);
	assert_int_equal(eval_scale_budget(1, 1, 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_scales),
		cmocka_unit_test(test_hand_computed),
		cmocka_unit_test(test_grade_boundaries),
		cmocka_unit_test(test_quota_tie),
		cmocka_unit_test(test_gates_award_cap),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_shared_rank),
		cmocka_unit_test(test_admission_gate),
		cmocka_unit_test(test_expert_aggregate),
		cmocka_unit_test(test_expert_policy),
	};

	return (cmocka_run_group_tests_name("eval", tests, setup, NULL));
}
