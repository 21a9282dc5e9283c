/*
 * Scoring, grading and the subsidy of the yearly evaluation. Deterministic:
 * the same parks and policy give the same results to the fen, whatever
 * their order on input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/eval.h"

const char *const eval_raw_keys[RAW_COUNT] = { "tenants", "occupancy",
    "new_entries", "graduates", "revenue", "revenue_growth", "tech_share",
    "high_tech", "srdi", "ip", "jobs", "graduate_jobs", "interns",
    "activities", "roadshows", "services" };
const char *const eval_raw_units[RAW_COUNT] = { "firms", "bp", "firms",
    "firms", "fen", "bp", "bp", "firms", "firms", "items", "people",
    "people", "people", "events", "events", "services" };

int
eval_raw_find(const char *key)
{
	int	 i;

	for (i = 0; i < RAW_COUNT; i++) {
		if (strcmp(eval_raw_keys[i], key) == 0)
			return (i);
	}
	return (-1);
}

/* The unit of raw slot i: an expert's slot is centi-points. */
const char *
eval_raw_unit(int i)
{
	return (i >= 0 && i < RAW_COUNT ? eval_raw_units[i] : "cp");
}

static int
int_cmp(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return (x < y ? -1 : x > y);
}

/*
 * The experts' n scores of one indicator (centi-points) as one: their
 * mean, or (AGG_TRIMMED_MEAN, five experts or more) the mean without the
 * highest and the lowest; rounded down. 0 without a score.
 */
int
eval_aggregate(const int *scores, int n, int mode)
{
	int	 v[64], i, lo = 0, hi;
	int64_t	 sum = 0;

	if (n <= 0)
		return (0);
	if (n > 64)
		n = 64;
	memcpy(v, scores, (size_t)n * sizeof(int));
	qsort(v, (size_t)n, sizeof(int), int_cmp);
	hi = n;
	if (mode == AGG_TRIMMED_MEAN && n >= 5) {
		lo = 1;
		hi = n - 1;
	}
	for (i = lo; i < hi; i++)
		sum += v[i];
	return ((int)(sum / (hi - lo)));
}

/* A raw value on the indicator's scale: 0..10000 centi-points. */
int
eval_score_cp(const struct eval_indicator *ind, int64_t raw)
{
	__int128	 num;
	int		 i, cp = 0;

	if (ind->scale == SCALE_BANDED) {
		for (i = 0; i < ind->nbands; i++) {
			if (raw >= ind->band_min[i])
				cp = ind->band_cp[i];
		}
		return (cp);
	}
	if (raw <= ind->floor)
		return (0);
	if (raw >= ind->target)
		return (10000);
	num = (__int128)(raw - ind->floor) * 10000;
	return ((int)(num / (ind->target - ind->floor)));
}

/* A reason: a sentence for people, a code for programs. */
static void
reason(struct eval_result *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reason(struct eval_result *r, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	if (r->nreasons == EVAL_MAX_REASONS)
		return;
	snprintf(r->reason_codes[r->nreasons], sizeof(r->reason_codes[0]),
	    "%s", code);
	va_start(ap, fmt);
	vsnprintf(r->reasons[r->nreasons++], sizeof(r->reasons[0]), fmt, ap);
	va_end(ap);
}

/* The award kinds policies name, in words. */
static const char *
award_words(const char *kind)
{
	if (strcmp(kind, "incubation_base") == 0)
		return ("创业孵化基地（示范基地）奖补");
	if (strcmp(kind, "high_level") == 0)
		return ("高层次创业孵化基地奖补");
	return (kind);
}

/* Every indicator's score and contribution, and the total. */
void
eval_score_park(const struct eval_policy *ep, const struct eval_park *p,
    struct eval_result *r)
{
	int64_t	 sum = 0;
	int	 i;

	memset(r, 0, sizeof(*r));
	r->park_id = p->park_id;
	for (i = 0; i < ep->ninds; i++) {
		const struct eval_indicator *ind = &ep->inds[i];

		r->score_cp[i] = eval_score_cp(ind, p->raw[ind->raw]);
		r->contrib_cp[i] = r->score_cp[i] * ind->weight / 100;
		sum += (int64_t)r->score_cp[i] * ind->weight;
	}
	/* the total from the exact sum, not from rounded contributions */
	r->total_cp = (int)(sum / 100);
}

static int
grade_index(const struct eval_policy *ep, int total_cp)
{
	int	 g;

	for (g = 0; g < ep->ngrades - 1; g++) {
		if (total_cp >= ep->grades[g].min_cp)
			return (g);
	}
	return (ep->ngrades - 1);
}

struct order {
	const struct eval_park		*p;
	struct eval_result		*r;
	const struct eval_policy	*ep;
};

/* Best first: total, then (tie rule) the indicator, then park code. */
static int
order_cmp(const void *a, const void *b)
{
	const struct order	*x = a, *y = b;

	if (x->r->total_cp != y->r->total_cp)
		return (x->r->total_cp > y->r->total_cp ? -1 : 1);
	if (x->ep->tie_rule == TIE_INDICATOR &&
	    x->p->raw[x->ep->tie_raw] != y->p->raw[x->ep->tie_raw])
		return (x->p->raw[x->ep->tie_raw] > y->p->raw[x->ep->tie_raw] ?
		    -1 : 1);
	return (strcmp(x->p->code, y->p->code));
}

static int
tied(const struct eval_policy *ep, const struct order *x,
    const struct order *y)
{
	if (x->r->total_cp != y->r->total_cp)
		return (0);
	return (ep->tie_rule != TIE_INDICATOR ||
	    x->p->raw[ep->tie_raw] == y->p->raw[ep->tie_raw]);
}

static void
set_grade(const struct eval_policy *ep, struct eval_result *r, int g)
{
	snprintf(r->grade, sizeof(r->grade), "%s", ep->grades[g].grade);
	snprintf(r->grade_name, sizeof(r->grade_name), "%s",
	    ep->grades[g].name);
}

/* Pro rata to the budget, rounded down to the fen. */
int64_t
eval_scale_budget(int64_t amount, int64_t budget, int64_t requested)
{
	if (requested <= budget || requested <= 0)
		return (amount);
	return ((int64_t)((__int128)amount * budget / requested));
}

static void
gates(const struct eval_policy *ep, int year, const struct eval_park *p,
    struct eval_result *r)
{
	char	 jan1[16];

	r->eligible = 1;
	snprintf(jan1, sizeof(jan1), "%04d-01-01", year);
	if (!p->admitted) {
		r->eligible = 0;
		reason(r, "gate.exited", "门槛：该园区 %d 年内退出，未全年处于"
		    "认定状态。", year);
	} else if (p->admitted_on != NULL && strcmp(p->admitted_on, jan1) > 0) {
		r->eligible = 0;
		reason(r, "gate.admitted_late", "门槛：该园区 %s 才认定，晚于 %d "
		    "年 1 月 1 日，未全年处于认定状态。", p->admitted_on, year);
	}
	if (ep->gate_legal_person && !p->legal_person) {
		r->eligible = 0;
		reason(r, "gate.legal_person", "门槛：运营机构不是独立法人。");
	}
	if (p->staff < ep->gate_min_staff) {
		r->eligible = 0;
		reason(r, "gate.min_staff", "门槛：运营机构专业服务人员 %d 人，"
		    "少于要求的 %d 人。",
		    p->staff, ep->gate_min_staff);
	}
	if (p->roadshow_quarters < ep->gate_roadshow_quarters) {
		r->eligible = 0;
		reason(r, "gate.roadshow_quarters", "门槛：%d 年仅 %d 个季度开展"
		    "项目路演，要求 %d 个季度。",
		    year, p->roadshow_quarters, ep->gate_roadshow_quarters);
	}
}

static void
fen_text(int64_t fen, char *buf, size_t n)
{
	snprintf(buf, n, "%lld.%02lld", (long long)(fen / 100),
	    (long long)(fen % 100));
}

/*
 * The A/B quota, on the ranking o: past quota_pct of n parks graded A or B
 * (nab of them), the lowest ranked go down to the third grade; ties at the
 * cut go by the policy's tie rule.
 */
static void
apply_quota(const struct eval_policy *ep, struct order *o, int *gidx,
    size_t n, size_t nab, struct eval_totals *t)
{
	size_t	 i, cut, keep;

	keep = ep->quota_pct > 0 ? n * (size_t)ep->quota_pct / 100 : n;
	if (ep->quota_pct <= 0 || ep->ngrades < 3 || nab <= keep)
		return;
	cut = keep;
	if (keep > 0 && tied(ep, &o[keep - 1], &o[keep])) {
		if (ep->tie_rule == TIE_ALL_IN) {
			while (cut < nab && tied(ep, &o[keep - 1], &o[cut]))
				cut++;
		} else {
			while (cut > 0 && tied(ep, &o[cut - 1], &o[keep]))
				cut--;
		}
	}
	for (i = cut; i < nab; i++) {
		reason(o[i].r, "quota", "优良比例限额（%d%%，%zu 个园区中至多 "
		    "%zu 个）：等级由 %s 调整为 %s。", ep->quota_pct, n, keep,
		    ep->grades[gidx[i]].grade, ep->grades[2].grade);
		gidx[i] = 2;
		t->downgraded++;
	}
}

/*
 * What park p's grade g asks for: by grade or linear, then the gates, the
 * award exclusion and the cap.
 */
static void
request_amount(const struct eval_policy *ep, int year,
    const struct eval_park *p, struct eval_result *r, int g)
{
	char	 a[32];

	if (ep->mode == MODE_GRADES)
		r->amount_fen = ep->grades[g].amount_fen;
	else if (r->total_cp >= ep->linear_min_cp)
		r->amount_fen = (int64_t)((__int128)ep->cap_fen *
		    r->total_cp / 10000);
	else {
		r->amount_fen = 0;
		reason(r, "linear.min_score", "得分 %d.%02d 低于领取补贴的最低分 "
		    "%d.%02d。",
		    r->total_cp / 100, r->total_cp % 100,
		    ep->linear_min_cp / 100, ep->linear_min_cp % 100);
	}
	r->grade_amount_fen = r->amount_fen;
	if (ep->nexpert > 0 && p->experts == 0)
		reason(r, "expert.none", "无专家评分：%d 项定性指标均计 0 分。",
		    ep->nexpert);
	gates(ep, year, p, r);
	if (!r->eligible)
		r->amount_fen = 0;
	if (p->has_award && r->amount_fen > 0) {
		r->amount_fen = 0;
		reason(r, "award.exclusion", "不重复享受：该园区已获 %d 年度%s，"
		    "不再发放运营补贴。", year, award_words(ep->award_kind));
	}
	if (r->amount_fen > ep->cap_fen) {
		fen_text(ep->cap_fen, a, sizeof(a));
		reason(r, "cap", "超过补贴上限，按上限 %s 元核定。", a);
		r->amount_fen = ep->cap_fen;
	}
}

/* Grade, amount and the failing streak of the park ranked o. */
static void
grade_and_pay(const struct eval_policy *ep, int year, struct order *o, int g,
    struct eval_totals *t)
{
	struct eval_result	*r = o->r;
	const struct eval_park	*p = o->p;

	set_grade(ep, r, g);
	t->grade_count[g]++;
	request_amount(ep, year, p, r, g);
	r->consecutive_fails = g == ep->ngrades - 1 ? p->prev_fails + 1 : 0;
	if (g == ep->ngrades - 1)
		reason(r, "grade.fail", "%s %s：评估结果确定后予以警告%s。",
		    ep->grades[g].grade,
		    ep->grades[g].name, r->consecutive_fails >=
		    ep->fail_exit_after ? "；连续不合格达到退出条件，建议退出" :
		    "");
	t->requested_fen += r->amount_fen;
}

/* Scale every amount to the budget (if one is set) and total them. */
static void
scale_to_budget(struct order *o, size_t n, int64_t budget,
    struct eval_totals *t)
{
	size_t	 i;
	char	 a[32], b[32];

	for (i = 0; i < n; i++) {
		struct eval_result *r = o[i].r;

		r->subsidy_fen = budget >= 0 ? eval_scale_budget(r->amount_fen,
		    budget, t->requested_fen) : r->amount_fen;
		if (r->subsidy_fen != r->amount_fen) {
			fen_text(budget, a, sizeof(a));
			fen_text(t->requested_fen, b, sizeof(b));
			reason(r, "budget", "按年度预算等比例核减：预算 %s 元，"
			    "申领合计 %s 元。",
			    a, b);
		}
		t->total_fen += r->subsidy_fen;
	}
	t->remainder_fen = budget >= 0 ? budget - t->total_fen : 0;
}

/*
 * The whole run: scores, grades, the A/B quota, gates, the award
 * exclusion, the cap and the budget. out[i] belongs to parks[i].
 * 0, or -1 when memory ran out (out and t are then not to be used).
 */
int
eval_run(const struct eval_policy *ep, int year,
    const struct eval_park *parks, size_t n, int64_t budget,
    struct eval_result *out, struct eval_totals *t)
{
	struct order	*o;
	int		*gidx;
	size_t		 i, nab = 0;

	memset(t, 0, sizeof(*t));
	t->budget_fen = budget;
	if (n == 0)
		return (0);
	o = calloc(n, sizeof(*o));
	gidx = calloc(n, sizeof(*gidx));
	if (o == NULL || gidx == NULL) {
		free(o);
		free(gidx);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		eval_score_park(ep, &parks[i], &out[i]);
		o[i].p = &parks[i];
		o[i].r = &out[i];
		o[i].ep = ep;
	}
	qsort(o, n, sizeof(*o), order_cmp);
	for (i = 0; i < n; i++) {
		/* equal totals share a rank (1, 1, 3); the order among them
		 * (position) follows the tie rule, then the park code */
		o[i].r->position = (int)i + 1;
		o[i].r->rank = i > 0 && o[i].r->total_cp == o[i - 1].r->total_cp ?
		    o[i - 1].r->rank : (int)i + 1;
		gidx[i] = grade_index(ep, o[i].r->total_cp);
		nab += gidx[i] <= 1;
	}
	apply_quota(ep, o, gidx, n, nab, t);
	for (i = 0; i < n; i++)
		grade_and_pay(ep, year, &o[i], gidx[i], t);
	scale_to_budget(o, n, budget, t);
	free(o);
	free(gidx);
	return (0);
}
