/*
 * The "evaluation" group of a policy document: gates, dimensions with their
 * indicators, weights and scales, grades and amounts, cap, quota. Scores in
 * the document are whole points (0..100); parkd keeps centi-points.
 */
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "domain/eval.h"

static int
eerr(char *err, size_t len, config_setting_t *s, const char *what)
{
	if (s != NULL)
		snprintf(err, len, "policy line %d: evaluation: %s",
		    config_setting_source_line(s), what);
	else
		snprintf(err, len, "policy: evaluation: %s", what);
	return (-1);
}

static int
get_int(config_setting_t *g, const char *name, long long min, long long max,
    long long *out, char *err, size_t len)
{
	config_setting_t	*s = config_setting_get_member(g, name);
	char			 why[128];

	if (s == NULL) {
		snprintf(why, sizeof(why), "key '%s' is missing", name);
		return (eerr(err, len, g, why));
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		snprintf(why, sizeof(why), "key '%s' must be an integer", name);
		return (eerr(err, len, s, why));
	}
	*out = config_setting_get_int64(s);
	if (*out < min || *out > max) {
		snprintf(why, sizeof(why), "key '%s' is out of range (%lld..%lld)",
		    name, min, max);
		return (eerr(err, len, s, why));
	}
	return (0);
}

static int
get_str(config_setting_t *g, const char *name, char *out, size_t outlen,
    char *err, size_t len)
{
	config_setting_t	*s = config_setting_get_member(g, name);
	char			 why[128];

	if (s == NULL || config_setting_type(s) != CONFIG_TYPE_STRING ||
	    strlen(config_setting_get_string(s)) >= outlen ||
	    *config_setting_get_string(s) == '\0') {
		snprintf(why, sizeof(why), "key '%s' must be a string of 1-%zu "
		    "bytes", name, outlen - 1);
		return (eerr(err, len, s ? s : g, why));
	}
	snprintf(out, outlen, "%s", config_setting_get_string(s));
	return (0);
}

static int
get_bool(config_setting_t *g, const char *name, int *out, char *err,
    size_t len)
{
	config_setting_t	*s = config_setting_get_member(g, name);
	char			 why[128];

	if (s == NULL || config_setting_type(s) != CONFIG_TYPE_BOOL) {
		snprintf(why, sizeof(why), "key '%s' must be true or false",
		    name);
		return (eerr(err, len, s ? s : g, why));
	}
	*out = config_setting_get_bool(s);
	return (0);
}

static int
parse_bands(config_setting_t *s, struct eval_indicator *ind, char *err,
    size_t len)
{
	config_setting_t	*b;
	int			 i;

	ind->scale = SCALE_BANDED;
	for (i = 0; (b = config_setting_get_elem(s, (unsigned)i)); i++) {
		if (i == EVAL_MAX_BANDS || config_setting_length(b) != 2)
			return (eerr(err, len, s, "bands are up to 8 pairs "
			    "[minimum raw value, score 0..100]"));
		ind->band_min[i] = config_setting_get_int64_elem(b, 0);
		ind->band_cp[i] = config_setting_get_int_elem(b, 1) * 100;
		if (ind->band_cp[i] < 0 || ind->band_cp[i] > 10000 ||
		    (i > 0 && ind->band_min[i] <= ind->band_min[i - 1]))
			return (eerr(err, len, b, "bands must rise, scores "
			    "0..100"));
	}
	ind->nbands = i;
	return (i == 0 ? eerr(err, len, s, "bands are empty") : 0);
}

/* An optional boolean: *out stays as it is when the key is absent. */
static int
get_bool_opt(config_setting_t *g, const char *name, int *out, char *err,
    size_t len)
{
	if (config_setting_get_member(g, name) == NULL)
		return (0);
	return (get_bool(g, name, out, err, len));
}

/* The expert indicator of key k (its index among them), or -1. */
int
eval_expert_find(const struct eval_policy *ep, const char *k)
{
	int	 i;

	for (i = 0; i < ep->nexpert; i++)
		if (strcmp(ep->inds[ep->expert_ind[i]].key, k) == 0)
			return (i);
	return (-1);
}

static int
parse_indicator(config_setting_t *s, struct eval_policy *ep, int dim,
    char *err, size_t len)
{
	struct eval_indicator	*ind;
	config_setting_t	*bands;
	long long		 v;
	char			 why[128];
	int			 expert = 0;

	if (ep->ninds == EVAL_MAX_INDS)
		return (eerr(err, len, s, "too many indicators"));
	ind = &ep->inds[ep->ninds];
	memset(ind, 0, sizeof(*ind));
	if (get_str(s, "key", ind->key, sizeof(ind->key), err, len) != 0 ||
	    get_str(s, "name", ind->name, sizeof(ind->name), err, len) != 0)
		return (-1);
	if (get_bool_opt(s, "expert", &expert, err, len) != 0)
		return (-1);
	if (expert) {
		/* scored by experts, 0..100 points: centi-points as raw */
		if (eval_raw_find(ind->key) >= 0 || eval_expert_find(ep,
		    ind->key) >= 0) {
			snprintf(why, sizeof(why), "expert indicator '%s' must "
			    "have a key of its own", ind->key);
			return (eerr(err, len, s, why));
		}
		if (ep->nexpert == EVAL_MAX_EXPERT)
			return (eerr(err, len, s, "too many expert indicators"));
		ind->raw = RAW_COUNT + ep->nexpert;
		ep->expert_ind[ep->nexpert++] = ep->ninds;
	} else if ((ind->raw = eval_raw_find(ind->key)) < 0) {
		snprintf(why, sizeof(why), "indicator '%s' is not one parkd "
		    "measures (a qualitative one: expert = true)", ind->key);
		return (eerr(err, len, s, why));
	}
	if (get_int(s, "weight", 0, 100, &v, err, len) != 0)
		return (-1);
	ind->weight = (int)v;
	ind->dim = dim;
	if (expert) {
		ind->floor = 0;
		ind->target = 10000;
	} else if ((bands = config_setting_get_member(s, "bands")) != NULL) {
		if (parse_bands(bands, ind, err, len) != 0)
			return (-1);
	} else {
		if (get_int(s, "floor", -1000000000000000LL,
		    1000000000000000LL, &v, err, len) != 0)
			return (-1);
		ind->floor = v;
		if (get_int(s, "target", ind->floor + 1, 1000000000000000LL, &v,
		    err, len) != 0)
			return (-1);
		ind->target = v;
	}
	ep->ninds++;
	return (0);
}

static int
parse_dimensions(config_setting_t *g, struct eval_policy *ep, char *err,
    size_t len)
{
	config_setting_t	*dl = config_setting_get_member(g, "dimensions");
	config_setting_t	*d, *il, *ind;
	long long		 w;
	int			 i, j, sumd = 0, sumi, first;
	char			 why[160];

	if (dl == NULL || !config_setting_is_list(dl))
		return (eerr(err, len, g, "'dimensions' must be a list"));
	for (i = 0; (d = config_setting_get_elem(dl, (unsigned)i)); i++) {
		struct eval_dimension *dim = &ep->dims[i];

		if (i == EVAL_MAX_DIMS)
			return (eerr(err, len, d, "too many dimensions"));
		if (get_str(d, "key", dim->key, sizeof(dim->key), err, len) ||
		    get_str(d, "name", dim->name, sizeof(dim->name), err, len) ||
		    get_int(d, "weight", 0, 100, &w, err, len))
			return (-1);
		dim->weight = (int)w;
		sumd += dim->weight;
		il = config_setting_get_member(d, "indicators");
		if (il == NULL || !config_setting_is_list(il))
			return (eerr(err, len, d, "'indicators' must be a "
			    "list"));
		first = ep->ninds;
		for (j = 0; (ind = config_setting_get_elem(il, (unsigned)j));
		    j++) {
			if (parse_indicator(ind, ep, i, err, len) != 0)
				return (-1);
		}
		for (sumi = 0, j = first; j < ep->ninds; j++)
			sumi += ep->inds[j].weight;
		if (sumi != dim->weight) {
			snprintf(why, sizeof(why), "the weights of dimension "
			    "'%s' add up to %d, not its weight %d", dim->key,
			    sumi, dim->weight);
			return (eerr(err, len, d, why));
		}
		ep->ndims++;
	}
	if (sumd != 100) {
		snprintf(why, sizeof(why), "the dimension weights add up to %d, "
		    "not 100", sumd);
		return (eerr(err, len, dl, why));
	}
	return (0);
}

static int
parse_grades(config_setting_t *g, struct eval_policy *ep, char *err,
    size_t len)
{
	config_setting_t	*gl = config_setting_get_member(g, "grades");
	config_setting_t	*e;
	long long		 v;
	int			 i;

	if (gl == NULL || !config_setting_is_list(gl))
		return (eerr(err, len, g, "'grades' must be a list"));
	for (i = 0; (e = config_setting_get_elem(gl, (unsigned)i)); i++) {
		struct eval_grade *gr = &ep->grades[i];

		if (i == EVAL_MAX_GRADES)
			return (eerr(err, len, e, "too many grades"));
		if (get_str(e, "grade", gr->grade, sizeof(gr->grade), err,
		    len) || get_str(e, "name", gr->name, sizeof(gr->name), err,
		    len) || get_int(e, "min_score", 0, 100, &v, err, len))
			return (-1);
		gr->min_cp = (int)v * 100;
		if (get_int(e, "amount_fen", 0, ep->cap_fen, &v, err, len))
			return (-1);
		gr->amount_fen = v;
		if (i > 0 && gr->min_cp >= ep->grades[i - 1].min_cp)
			return (eerr(err, len, e, "grades must be listed best "
			    "first, each with a lower min_score"));
		ep->ngrades++;
	}
	if (ep->ngrades < 2 || ep->grades[ep->ngrades - 1].min_cp != 0)
		return (eerr(err, len, gl, "at least two grades, the last with "
		    "min_score 0"));
	return (0);
}

/* "MM-DD", a day every year has (29 February is not one). */
static int
valid_month_day(const char *s)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 m, d;

	if (strlen(s) != 5 || s[2] != '-' || s[0] < '0' || s[0] > '9' ||
	    s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '9' ||
	    s[4] < '0' || s[4] > '9')
		return (0);
	m = (s[0] - '0') * 10 + (s[1] - '0');
	d = (s[3] - '0') * 10 + (s[4] - '0');
	return (m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1]);
}

/*
 * The evaluation chain's keys (issue 11), optional with defaults so that
 * policies written before it still parse: the notice, declarations, the
 * experts' aggregation.
 */
static int
parse_chain(config_setting_t *g, struct eval_policy *ep, char *err,
    size_t len)
{
	long long	 v;

	/* optional (policies older than the notice): 5 working days */
	ep->notice_days = 5;
	if (config_setting_get_member(g, "notice_working_days") != NULL) {
		if (get_int(g, "notice_working_days", 0, 60, &v, err, len) != 0)
			return (-1);
		ep->notice_days = (int)v;
	}
	/* optional: live figures, declarations due by 31 March */
	ep->use_declarations = 0;
	if (get_bool_opt(g, "use_declarations", &ep->use_declarations, err,
	    len) != 0)
		return (-1);
	/* optional: how experts' scores make one (see eval_aggregate) */
	ep->expert_agg = AGG_TRIMMED_MEAN;
	if (config_setting_get_member(g, "expert_aggregation") != NULL) {
		char	 agg[16];

		if (get_str(g, "expert_aggregation", agg, sizeof(agg), err,
		    len) != 0)
			return (-1);
		if (strcmp(agg, "mean") == 0)
			ep->expert_agg = AGG_MEAN;
		else if (strcmp(agg, "trimmed_mean") != 0)
			return (eerr(err, len, config_setting_get_member(g,
			    "expert_aggregation"), "expert_aggregation must be "
			    "\"mean\" or \"trimmed_mean\" (without the highest "
			    "and lowest score, from five experts on)"));
	}
	snprintf(ep->decl_deadline, sizeof(ep->decl_deadline), "03-31");
	if (config_setting_get_member(g, "declaration_deadline") != NULL) {
		if (get_str(g, "declaration_deadline", ep->decl_deadline,
		    sizeof(ep->decl_deadline), err, len) != 0)
			return (-1);
		if (!valid_month_day(ep->decl_deadline))
			return (eerr(err, len, config_setting_get_member(g,
			    "declaration_deadline"), "declaration_deadline must "
			    "be \"MM-DD\" (of the year after the one declared)"));
	}
	return (0);
}

static int
parse_rules(config_setting_t *g, struct eval_policy *ep, char *err,
    size_t len)
{
	config_setting_t	*gates = config_setting_get_member(g, "gates");
	char			 mode[16], tie[48];
	long long		 v;

	if (get_str(g, "mode", mode, sizeof(mode), err, len) != 0)
		return (-1);
	if (strcmp(mode, "grades") == 0)
		ep->mode = MODE_GRADES;
	else if (strcmp(mode, "linear") == 0)
		ep->mode = MODE_LINEAR;
	else
		return (eerr(err, len, g, "mode must be \"grades\" or "
		    "\"linear\""));
	if (get_int(g, "cap_fen", 0, 100000000000LL, &v, err, len) != 0)
		return (-1);
	ep->cap_fen = v;
	if (get_int(g, "linear_min_score", 0, 100, &v, err, len) != 0)
		return (-1);
	ep->linear_min_cp = (int)v * 100;
	if (get_int(g, "ab_quota_percent", 0, 100, &v, err, len) != 0)
		return (-1);
	ep->quota_pct = (int)v;
	if (get_str(g, "quota_tie_rule", tie, sizeof(tie), err, len) != 0)
		return (-1);
	if (strcmp(tie, "none_in") == 0)
		ep->tie_rule = TIE_NONE_IN;
	else if (strcmp(tie, "all_in") == 0)
		ep->tie_rule = TIE_ALL_IN;
	else if (strncmp(tie, "indicator:", 10) == 0 &&
	    (ep->tie_raw = eval_raw_find(tie + 10)) >= 0)
		ep->tie_rule = TIE_INDICATOR;
	else
		return (eerr(err, len, g, "quota_tie_rule must be none_in, "
		    "all_in or indicator:<raw indicator>"));
	if (get_str(g, "award_kind", ep->award_kind, sizeof(ep->award_kind),
	    err, len) != 0 || get_int(g, "exit_after_failures", 1, 10, &v, err,
	    len) != 0)
		return (-1);
	ep->fail_exit_after = (int)v;
	if (parse_chain(g, ep, err, len) != 0)
		return (-1);
	if (gates == NULL || !config_setting_is_group(gates))
		return (eerr(err, len, g, "'gates' must be a group"));
	if (get_bool(gates, "legal_person", &ep->gate_legal_person, err, len) ||
	    get_int(gates, "min_staff", 0, 100000, &v, err, len))
		return (-1);
	ep->gate_min_staff = (int)v;
	if (get_int(gates, "roadshow_quarters", 0, 4, &v, err, len) != 0)
		return (-1);
	ep->gate_roadshow_quarters = (int)v;
	return (0);
}

static int
parse_targets(config_setting_t *g, struct eval_policy *ep, char *err,
    size_t len)
{
	config_setting_t	*t = config_setting_get_member(g, "city_targets");
	long long		 v[8];
	static const char *const k[8] = { "parks", "firms", "area_m2",
	    "revenue_yuan", "jobs", "high_tech", "srdi", "tech_share_percent" };
	int			 i;

	if (t == NULL || !config_setting_is_group(t))
		return (eerr(err, len, g, "'city_targets' must be a group"));
	for (i = 0; i < 8; i++) {
		if (get_int(t, k[i], 0, 1000000000000000LL, &v[i], err,
		    len) != 0)
			return (-1);
	}
	ep->t_parks = v[0];
	ep->t_firms = v[1];
	ep->t_area_m2 = v[2];
	ep->t_revenue_yuan = v[3];
	ep->t_jobs = v[4];
	ep->t_high_tech = v[5];
	ep->t_srdi = v[6];
	ep->t_tech_pct = v[7];
	return (0);
}

/*
 * Refuse a key of group (or list element) g that is not in known: a
 * misspelt optional key (use_declaration) would otherwise be ignored and
 * the money decided on its default.
 */
static int
check_keys(config_setting_t *g, const char *const *known, char *err,
    size_t len)
{
	config_setting_t	*s;
	const char		*n;
	char			 why[128];
	int			 i, k, ok;

	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)); i++) {
		if ((n = config_setting_name(s)) == NULL)
			continue;
		for (ok = 0, k = 0; known[k] != NULL; k++)
			ok |= strcmp(known[k], n) == 0;
		if (!ok) {
			snprintf(why, sizeof(why), "key '%s' is unknown", n);
			return (eerr(err, len, s, why));
		}
	}
	return (0);
}

/* Every key of the evaluation group and its parts is a known one. */
static int
check_eval_keys(config_setting_t *g, char *err, size_t len)
{
	static const char *const top[] = { "mode", "cap_fen",
	    "linear_min_score", "grades", "ab_quota_percent", "quota_tie_rule",
	    "award_kind", "exit_after_failures", "notice_working_days",
	    "use_declarations", "declaration_deadline", "expert_aggregation",
	    "city_targets", "gates", "dimensions", NULL };
	static const char *const targets[] = { "parks", "firms", "area_m2",
	    "revenue_yuan", "jobs", "high_tech", "srdi", "tech_share_percent",
	    NULL };
	static const char *const gates[] = { "legal_person", "min_staff",
	    "roadshow_quarters", NULL };
	static const char *const grade[] = { "grade", "name", "min_score",
	    "amount_fen", NULL };
	static const char *const dim[] = { "key", "name", "weight",
	    "indicators", NULL };
	static const char *const ind[] = { "key", "name", "weight", "floor",
	    "target", "bands", "expert", NULL };
	config_setting_t	*l, *e, *il, *x;
	int			 i, j;

	if (check_keys(g, top, err, len) != 0)
		return (-1);
	if ((l = config_setting_get_member(g, "city_targets")) != NULL &&
	    config_setting_is_group(l) && check_keys(l, targets, err, len) != 0)
		return (-1);
	if ((l = config_setting_get_member(g, "gates")) != NULL &&
	    config_setting_is_group(l) && check_keys(l, gates, err, len) != 0)
		return (-1);
	if ((l = config_setting_get_member(g, "grades")) != NULL)
		for (i = 0; (e = config_setting_get_elem(l, (unsigned)i)); i++)
			if (config_setting_is_group(e) &&
			    check_keys(e, grade, err, len) != 0)
				return (-1);
	if ((l = config_setting_get_member(g, "dimensions")) == NULL)
		return (0);
	for (i = 0; (e = config_setting_get_elem(l, (unsigned)i)); i++) {
		if (!config_setting_is_group(e))
			continue;
		if (check_keys(e, dim, err, len) != 0)
			return (-1);
		if ((il = config_setting_get_member(e, "indicators")) == NULL)
			continue;
		for (j = 0; (x = config_setting_get_elem(il, (unsigned)j)); j++)
			if (config_setting_is_group(x) &&
			    check_keys(x, ind, err, len) != 0)
				return (-1);
	}
	return (0);
}

/* Parse the evaluation group g (NULL if the document has none). */
int
eval_policy_parse(struct config_setting_t *g, struct eval_policy *ep,
    int required, char *err, size_t len)
{
	memset(ep, 0, sizeof(*ep));
	if (g == NULL)
		return (required ? eerr(err, len, NULL, "the group is missing") :
		    0);
	if (!config_setting_is_group(g))
		return (eerr(err, len, g, "must be a group"));
	if (check_eval_keys(g, err, len) != 0 ||
	    parse_rules(g, ep, err, len) != 0 ||
	    parse_targets(g, ep, err, len) != 0 ||
	    parse_grades(g, ep, err, len) != 0 ||
	    parse_dimensions(g, ep, err, len) != 0)
		return (-1);
	return (0);
}
