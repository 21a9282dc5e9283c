/*
 * Entry and exit rules of the incubation-park programme. Given the facts,
 * each function appends what the active policy says: violations for a write
 * to refuse, or proposals for the sweep. Every message names the rule and
 * carries the figures behind it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rules.h"

int
proposals_add(struct proposals *ps, const char *kind, const char *rule,
    const char *subject, const char *park, const char *fmt, ...)
{
	struct proposal	*np, *p;
	va_list		 ap;

	if (ps->n == ps->cap) {
		size_t	 cap = ps->cap ? ps->cap * 2 : 16;

		if ((np = realloc(ps->v, cap * sizeof(*np))) == NULL)
			return (-1);
		ps->v = np;
		ps->cap = cap;
	}
	p = &ps->v[ps->n++];
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	snprintf(p->rule, sizeof(p->rule), "%s", rule);
	snprintf(p->subject, sizeof(p->subject), "%s", subject);
	snprintf(p->park, sizeof(p->park), "%s", park ? park : "");
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
	return (0);
}

void
proposals_free(struct proposals *ps)
{
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* Yuan with thousands separators, from fen. */
static const char *
yuan(int64_t fen, char *buf, size_t len)
{
	char	 y[40];

	snprintf(buf, len, "%s yuan", fmt_yuan(fen, y, sizeof(y)));
	return (buf);
}

static const char *
m2(int64_t area, char *buf, size_t len)
{
	snprintf(buf, len, "%lld.%02lld m2", (long long)(area / 100),
	    (long long)(area % 100));
	return (buf);
}

static int
industry_in_park(const char *industry, char *const *v, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (strncmp(industry, v[i], strlen(v[i])) == 0)
			return (1);
	}
	return (0);
}

static void
join_industries(char *const *v, int n, char *buf, size_t len)
{
	size_t	 o = 0;
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
		    v[i]);
	if (n == 0)
		snprintf(buf, len, "(none)");
}

void
rules_park_admission(const struct policy *p, const struct park_facts *k,
    struct viols *v)
{
	if (p->park_require_legal_person && !k->legal_person)
		viols_add(v, "park.operator_legal_person",
		    "park.operator_legal_person", "the operator of %s must be "
		    "an independent legal person", k->code);
	if (k->staff < p->park_min_staff)
		viols_add(v, "park.staff_count", "park.min_staff",
		    "the operator of %s has %d professional staff; the policy "
		    "requires at least %d", k->code, k->staff, p->park_min_staff);
	if (k->n_industries < p->park_min_industries ||
	    k->n_industries > p->park_max_industries)
		viols_add(v, "park.leading_industries",
		    "park.leading_industries", "%s declares %d leading "
		    "industries; the policy requires %d to %d", k->code,
		    k->n_industries, p->park_min_industries,
		    p->park_max_industries);
	if (k->total_area < p->park_min_area) {
		char a[32], b[32];

		viols_add(v, "park.total_area", "park.min_total_area",
		    "%s has %s of incubation area; the policy requires at "
		    "least %s", k->code, m2(k->total_area, a, sizeof(a)),
		    m2(p->park_min_area, b, sizeof(b)));
	}
}

static void
entry_registration(const struct policy *p, const struct entry_facts *e,
    struct viols *v)
{
	int		 months = prefixes_match(&p->reg_long_industries,
			    e->industry) ? p->reg_months_long : p->reg_months;
	struct ymd	 limit = ymd_add_months(e->registered, months);
	char		 reg[11], lim[11];

	ymd_format(&e->registered, reg);
	if (ymd_days(&e->entry) < ymd_days(&e->registered)) {
		viols_add(v, "entry_date", "firm.registration_age",
		    "the entry date is before the firm's registration (%s)",
		    reg);
		return;
	}
	if (e->waiver_source != NULL && words_has(&p->reg_waiver_sources,
	    e->waiver_source))
		return;
	if (ymd_days(&e->entry) > ymd_days(&limit)) {
		ymd_format(&limit, lim);
		viols_add(v, "firm.registered_on", "firm.registration_age",
		    "the firm was registered on %s; the policy admits firms "
		    "registered for at most %d months (until %s) unless "
		    "selected from the city's %s", reg, months, lim,
		    p->reg_waiver_sources.n ? "roadshows or competitions" :
		    "events");
	}
}

/* Every entry rule the firm breaks (all of them, not just the first). */
void
rules_firm_entry(const struct policy *p, const struct park_facts *k,
    const struct entry_facts *e, struct viols *v)
{
	const char	*why;
	char		 ind[128], a[32], b[32];
	int64_t		 cap, free_area = k->total_area - k->occupied_area;

	if (creditcode_check(e->credit_code, &why) != 0)
		viols_add(v, "credit_code", "firm.credit_code", "%s", why);
	if (strcmp(k->status, "admitted") != 0 &&
	    strcmp(k->status, "warned") != 0)
		viols_add(v, "park", "park.status", "%s is '%s'; only admitted "
		    "parks take firms", k->code, k->status);
	if (!industry_in_park(e->industry, k->industries, k->n_industries)) {
		join_industries(k->industries, k->n_industries, ind,
		    sizeof(ind));
		viols_add(v, "firm.industry_code", "firm.industry_in_park",
		    "industry %s is not among %s's leading industries (%s)",
		    e->industry, k->code, ind);
	}
	if (prefixes_match(&p->backward_industries, e->industry))
		viols_add(v, "firm.industry_code", "firm.backward_industry",
		    "industry %s is on the policy's backward-industry list",
		    e->industry);
	cap = prefixes_match(&p->large_area_industries, e->industry) ?
	    p->firm_max_area_large : p->firm_max_area;
	if (e->area > cap)
		viols_add(v, "area", "firm.area_cap", "%s requested; the "
		    "policy allows at most %s per firm in industry %s",
		    m2(e->area, a, sizeof(a)), m2(cap, b, sizeof(b)),
		    e->industry);
	if (e->area > free_area)
		viols_add(v, "area", "park.free_area", "%s requested but %s has "
		    "only %s free", m2(e->area, a, sizeof(a)), k->code,
		    m2(free_area > 0 ? free_area : 0, b, sizeof(b)));
	if (e->active_park != NULL)
		viols_add(v, "credit_code", "firm.active_elsewhere",
		    "the firm already has an active tenancy in %s",
		    e->active_park);
	entry_registration(p, e, v);
}

static void
quarter_name(int qi, char *buf, size_t len)
{
	snprintf(buf, len, "%dQ%d", qi / 4, qi % 4 + 1);
}

/* Is the criterion (a graduation rule name) met? */
int
rules_graduation_met(const struct policy *p, const struct tenancy_facts *t,
    const char *rule)
{
	if (strcmp(rule, "firm.graduate.high_tech") == 0)
		return (p->grad_high_tech && t->high_tech);
	if (strcmp(rule, "firm.graduate.equity_financing") == 0)
		return (t->equity_fen > p->grad_equity_fen);
	if (strcmp(rule, "firm.graduate.revenue") == 0)
		return (t->revenue_2y_fen > p->grad_revenue_2y_fen);
	if (strcmp(rule, "firm.graduate.acquired_or_listed") == 0)
		return (p->grad_acquired_listed && t->acquired_or_listed);
	return (0);
}

static void
sweep_graduation(const struct policy *p, const struct tenancy_facts *t,
    const struct ymd *as_of, struct proposals *ps)
{
	char		 a[64], b[64], d[11], e[11];
	int		 months = prefixes_match(&p->incub_long_industries,
			    t->industry) ? p->incub_months_long : p->incub_months;
	struct ymd	 end = ymd_add_months(t->entry, months);

	if (rules_graduation_met(p, t, "firm.graduate.high_tech"))
		proposals_add(ps, "graduate", "firm.graduate.high_tech",
		    t->credit_code, t->park_code, "holds a valid high-tech "
		    "enterprise certificate");
	if (rules_graduation_met(p, t, "firm.graduate.equity_financing"))
		proposals_add(ps, "graduate", "firm.graduate.equity_financing",
		    t->credit_code, t->park_code, "equity financing %s is "
		    "above %s", yuan(t->equity_fen, a, sizeof(a)),
		    yuan(p->grad_equity_fen, b, sizeof(b)));
	if (rules_graduation_met(p, t, "firm.graduate.revenue"))
		proposals_add(ps, "graduate", "firm.graduate.revenue",
		    t->credit_code, t->park_code, "revenue over the last two "
		    "years %s is above %s", yuan(t->revenue_2y_fen, a,
		    sizeof(a)), yuan(p->grad_revenue_2y_fen, b, sizeof(b)));
	if (rules_graduation_met(p, t, "firm.graduate.acquired_or_listed"))
		proposals_add(ps, "graduate", "firm.graduate.acquired_or_listed",
		    t->credit_code, t->park_code, "the firm was acquired or "
		    "listed");
	if (ymd_days(as_of) > ymd_days(&end)) {
		ymd_format(&t->entry, d);
		ymd_format(&end, e);
		proposals_add(ps, "graduate", "firm.incubation_period",
		    t->credit_code, t->park_code, "in the park since %s; the "
		    "%d-month incubation period ended on %s", d, months, e);
	}
}

/* What the rules propose for one active tenancy on as_of. */
void
rules_tenancy_sweep(const struct policy *p, const struct tenancy_facts *t,
    const struct ymd *as_of, struct proposals *ps)
{
	char	 ind[128], q1[16], q2[16], last[16];
	int	 cq = ymd_quarter_index(as_of), n = p->silent_quarters;

	sweep_graduation(p, t, as_of, ps);
	if (!industry_in_park(t->industry, t->park_industries,
	    t->n_park_industries)) {
		join_industries(t->park_industries, t->n_park_industries, ind,
		    sizeof(ind));
		proposals_add(ps, "clear", "firm.clear.industry_mismatch",
		    t->credit_code, t->park_code, "industry %s is outside the "
		    "park's leading industries (%s)", t->industry, ind);
	}
	if (prefixes_match(&p->backward_industries, t->industry))
		proposals_add(ps, "clear", "firm.clear.backward_industry",
		    t->credit_code, t->park_code, "industry %s is on the "
		    "backward-industry list", t->industry);
	/* the last n completed quarters, all spent in the park, unreported */
	if (ymd_quarter_index(&t->entry) < cq - n &&
	    t->last_report_qi < cq - n) {
		quarter_name(cq - n, q1, sizeof(q1));
		quarter_name(cq - 1, q2, sizeof(q2));
		if (t->last_report_qi < 0)
			snprintf(last, sizeof(last), "never");
		else
			quarter_name(t->last_report_qi, last, sizeof(last));
		proposals_add(ps, "clear", "firm.clear.no_reports",
		    t->credit_code, t->park_code, "no quarterly report for %d "
		    "consecutive quarters (%s to %s; last report: %s)", n, q1,
		    q2, last);
	}
}

/* A park that no longer meets an admission rule. */
void
rules_park_sweep(const struct policy *p, const struct park_facts *k,
    struct proposals *ps)
{
	struct viols	 v = { 0 };
	size_t		 i;

	rules_park_admission(p, k, &v);
	for (i = 0; i < v.n; i++)
		proposals_add(ps, "park", v.v[i].rule, k->code, k->code, "%s",
		    v.v[i].message);
	viols_free(&v);
}
