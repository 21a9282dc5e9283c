/*
 * CreateEvaluationRun: in one REPEATABLE READ snapshot, read the year's
 * policy and budget, measure every park's raw indicators (store/sql/
 * eval.sql), score, grade and pay them (domain/eval.c), and store the run
 * with its results. With an idempotency key, one run per principal and
 * key: a retry gets the run made the first time, and the same request sent
 * to two parkd at once makes one run (the second waits on the unique index
 * of schema/0007, then gets the first's run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "svc/eval/eval.h"

/* ---- CreateEvaluationRun ---- */

static json_t *
city_json(int64_t parks, int64_t firms, int64_t area, int64_t revenue,
    int64_t jobs, int64_t ht, int64_t srdi, int64_t share)
{
	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "parks",
	    (json_int_t)parks, "firms", (json_int_t)firms, "area",
	    (json_int_t)area, "revenue_fen", (json_int_t)revenue, "jobs",
	    (json_int_t)jobs, "high_tech", (json_int_t)ht, "srdi",
	    (json_int_t)srdi, "tech_share_bp", (json_int_t)share));
}

/* A sum of bounded inputs, clamped to what an int64 can hold. */
static int64_t
sat64(__int128 v)
{
	return (v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN :
	    (int64_t)v);
}

/*
 * One park's input figures: its row of eval_raw, or (a policy with
 * use_declarations) the figures its approved declaration froze — the same
 * columns, assembled from the same query (svc/declaration.c). Who the
 * park is, its admission, awards and past results are always the row's.
 */
static int64_t
fig(const struct figsrc *s, const char *col)
{
	json_t	*v;

	if (s->decl != NULL && (v = json_object_get(s->decl, col)) != NULL)
		return (json_is_boolean(v) ? json_is_true(v) :
		    json_integer_value(v));
	return (pg_i64(s->res, s->row, col));
}

static int
fig_bool(const struct figsrc *s, const char *col)
{
	json_t	*v;

	if (s->decl != NULL && (v = json_object_get(s->decl, col)) != NULL)
		return (json_is_true(v));
	return (pg_bool(s->res, s->row, col));
}

/* Grade counts, the city's figures at the year's end, the targets, and
 * the parks that did not take part (absent: "CODE: reason" strings). */
static char *
summary_json(const struct eval_policy *ep, const struct eval_totals *t,
    const struct eval_park *parks, const struct figsrc *src, size_t n,
    json_t *absent)
{
	json_t	*g = json_array();
	__int128 firms = 0, a = 0, rev = 0, jobs = 0, ht = 0, srdi = 0, tech = 0;
	size_t	 i;
	int	 k;

	for (k = 0; k < ep->ngrades; k++)
		json_array_append_new(g, json_pack("{s:s, s:s, s:i}", "grade",
		    ep->grades[k].grade, "name", ep->grades[k].name, "parks",
		    t->grade_count[k]));
	for (i = 0; i < n; i++) {
		firms += parks[i].raw[RAW_TENANTS];
		a += fig(&src[i], "total_area");
		rev += parks[i].raw[RAW_REVENUE];
		jobs += parks[i].raw[RAW_JOBS];
		ht += parks[i].raw[RAW_HIGH_TECH];
		srdi += parks[i].raw[RAW_SRDI];
		tech += fig(&src[i], "tech");
	}
	return (eval_json_dump(json_pack("{s:o, s:o, s:o, s:o}", "absent",
	    absent, "grades", g, "city",
	    city_json((int64_t)n, sat64(firms), sat64(a), sat64(rev),
	    sat64(jobs), sat64(ht), sat64(srdi), firms ? sat64(tech * 10000 /
	    firms) : 0), "targets", city_json(ep->t_parks,
	    ep->t_firms, ep->t_area_m2 * 100, ep->t_revenue_yuan * 100,
	    ep->t_jobs, ep->t_high_tech, ep->t_srdi, ep->t_tech_pct * 100))));
}

static void	create_replay(struct req *, PGresult *);
static void	create_measure(struct req *);
static void	create_raw(struct req *);
static void	create_inputs(struct req *);

/* The run this principal made with this key, if any: the answer. */
static void
create_find_run(struct req *r, db_result_cb then)
{
	const char	*p[2] = { r->pr.name, r->idem_key };

	db_exec(r, SQL_EVAL_RUN_BY_KEY, 2, p, then);
}

static void
create_rolled_back(struct req *r, PGresult *res)
{
	if (pg_ok(r, res, PGRES_COMMAND_OK, "CreateEvaluationRun"))
		create_find_run(r, create_replay);
}

static void
create_committed(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;

	if (!pg_ok(r, res, PGRES_COMMAND_OK, "CreateEvaluationRun"))
		return;
	stats_hist_add(&stats.eval_run, now_us() - r->start_us);
	log_info("evaluation_run run=%lld year=%d parks=%d total_fen=%lld "
	    "ms=%llu", (long long)e->out->id, e->year, e->out->parks,
	    (long long)e->out->total_fen,
	    (unsigned long long)((now_us() - r->start_us) / 1000));
	req_reply(r, &e->out->base);
}

static void
create_stored(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;
	const char	*c;

	/* its twin, sent at once with the same key, stored the run first */
	if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR &&
	    (c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)) != NULL &&
	    strcmp(c, "evaluation_runs_idempotency") == 0) {
		db_query(r, "ROLLBACK", 0, NULL, create_rolled_back);
		return;
	}
	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	if ((e->out = run_from_row(r, res, 0)) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	db_query(r, "COMMIT", 0, NULL, create_committed);
}

static int64_t
ratio_bp(int64_t num, int64_t den)
{
	return (den > 0 ? sat64((__int128)num * 10000 / den) : 0);
}

static void
raw_from_src(const struct figsrc *s, struct eval_park *p)
{
	PGresult *res = s->res;
	int	 i = s->row;
	int64_t	 tenants = fig(s, "tenants");
	int64_t	 rev = fig(s, "revenue");
	int64_t	 prev = fig(s, "revenue_prev");

	memset(p, 0, sizeof(*p));
	p->park_id = pg_i64(res, i, "id");
	p->code = pg_get(res, i, "code");
	p->raw[RAW_TENANTS] = tenants;
	p->raw[RAW_OCCUPANCY] = ratio_bp(fig(s, "occupied"),
	    fig(s, "total_area"));
	p->raw[RAW_NEW_ENTRIES] = fig(s, "new_entries");
	p->raw[RAW_GRADUATES] = fig(s, "graduates");
	p->raw[RAW_REVENUE] = rev;
	p->raw[RAW_REVENUE_GROWTH] = prev > 0 ? ratio_bp(rev - prev, prev) : 0;
	p->raw[RAW_TECH_SHARE] = ratio_bp(fig(s, "tech"), tenants);
	p->raw[RAW_HIGH_TECH] = fig(s, "high_tech");
	p->raw[RAW_SRDI] = fig(s, "srdi");
	p->raw[RAW_IP] = fig(s, "ip");
	p->raw[RAW_JOBS] = fig(s, "jobs");
	p->raw[RAW_GRADUATE_JOBS] = fig(s, "graduate_jobs");
	p->raw[RAW_INTERNS] = fig(s, "interns");
	p->raw[RAW_ACTIVITIES] = fig(s, "activities");
	p->raw[RAW_ROADSHOWS] = fig(s, "roadshows");
	p->raw[RAW_SERVICES] = fig(s, "services");
	p->admitted = pg_bool(res, i, "admitted");
	p->admitted_on = pg_get(res, i, "admitted_on");
	p->legal_person = fig_bool(s, "operator_legal_person");
	p->staff = (int)fig(s, "staff_count");
	p->roadshow_quarters = (int)fig(s, "roadshow_quarters");
	p->has_award = pg_bool(res, i, "has_award");
	p->prev_fails = (int)pg_i64(res, i, "prev_fails");
}

/* Store the scored run: its totals, then one array per results column. */
static int
create_store(struct req *r, const struct eval_totals *t, size_t n,
    const char *summary, struct rescols *cols)
{
	struct evrun			*e = r->state;
	const struct eval_policy	*ep = &e->pol->eval;
	struct qparams			 q;
	const char			*params[18 + RESULT_NCOLS + 1];
	int				 len[18 + RESULT_NCOLS + 1];
	int				 fmt[18 + RESULT_NCOLS + 1];
	char				*defs, nind[24];
	int				 k;

	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, e->year);				/* $5 */
	qp_str(&q, e->pol->hash);
	if (e->budget >= 0)
		qp_i64(&q, e->budget);
	else
		qp_null(&q);
	qp_i64(&q, t->requested_fen);
	qp_i64(&q, t->total_fen);
	qp_i64(&q, t->remainder_fen);			/* $10 */
	qp_i64(&q, (int64_t)n);
	qp_i64(&q, t->downgraded);
	qp_str(&q, summary);
	qp_str(&q, ep->grades[ep->ngrades - 1].grade);	/* $14 */
	qp_str(&q, e->provisional ? "provisional" : "draft");
	qp_i64(&q, ep->notice_days);
	qp_i64(&q, e->corrects);			/* $17 */
	if ((defs = run_indicator_defs(ep)) == NULL)
		return (-1);
	qp_str(&q, defs);		/* $18, sent (copied) by db_exec */
	memset(len, 0, sizeof(len));
	memset(fmt, 0, sizeof(fmt));
	for (k = 0; k < q.n; k++)
		params[k] = q.v[k];
	if (rescols_params(cols, params + q.n, len + q.n, fmt + q.n) != 0) {
		free(defs);				/* $19..$37 */
		return (-1);
	}
	snprintf(nind, sizeof(nind), "%d", ep->ninds);
	params[q.n + RESULT_NCOLS] = nind;			/* $38 */
	db_exec_bin(r, SQL_EVAL_RUN_INSERT, q.n + RESULT_NCOLS + 1, params, len,
	    fmt, create_stored);
	free(defs);
	return (0);
}

/* The approved declaration of park id (e->decl, by park), or NULL. */
static const char *
declared(const struct evrun *e, int64_t id)
{
	size_t	 lo = 0, hi = e->ndecls;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (e->decl_park[mid] == id)
			return (e->decl[mid]);
		if (e->decl_park[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * The experts' aggregate score of each expert indicator of park p, into
 * its raw slots after the measured ones; p->experts, how many scored it.
 */
static void
expert_raw(const struct evrun *e, struct eval_park *p)
{
	const struct eval_policy *ep = &e->pol->eval;
	size_t	 lo = 0, hi = e->nscores, i;
	int	 k, n, v[64];

	while (lo < hi) {			/* the park's first score */
		size_t mid = (lo + hi) / 2;

		if (e->score_park[mid] < p->park_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k < ep->nexpert; k++) {
		const char *key = ep->inds[ep->expert_ind[k]].key;

		for (n = 0, i = lo; i < e->nscores &&
		    e->score_park[i] == p->park_id; i++)
			if (strcmp(e->score_ind[i], key) == 0 && n < 64)
				v[n++] = e->score_cp[i];
		p->raw[RAW_COUNT + k] = eval_aggregate(v, n, ep->expert_agg);
		if (n > p->experts)
			p->experts = n;
	}
}

/*
 * Every park's figures, and the parks taking part: with use_declarations,
 * those with an approved declaration only (the others into absent).
 * Returns how many take part.
 */
static size_t
take_part(struct evrun *e, PGresult *res, struct figsrc *src,
    struct eval_park *parks, json_t *absent)
{
	size_t	 i, n = (size_t)PQntuples(res), k = 0;

	for (i = 0; i < n; i++) {
		const char	*d = declared(e, pg_i64(res, (int)i, "id"));

		src[k].res = res;
		src[k].row = (int)i;
		src[k].decl = NULL;
		if (e->pol->eval.use_declarations && (d == NULL ||
		    (src[k].decl = json_loads(d, 0, NULL)) == NULL)) {
			json_array_append_new(absent, json_sprintf("%s: 未提交"
			    "经区市审核通过的 %d 年度申报，不参加评估",
			    pg_get(res, (int)i, "code"), e->year));
			continue;
		}
		raw_from_src(&src[k], &parks[k]);
		expert_raw(e, &parks[k]);
		k++;
	}
	return (k);
}

/* The raw figures are in: score, grade, pay, and store the run. */
static void
create_scored(struct req *r, PGresult *res)
{
	struct evrun		*e = r->state;
	const struct eval_policy *ep = &e->pol->eval;
	struct eval_park	*parks = NULL;
	struct eval_result	*out = NULL;
	struct figsrc		*src = NULL;
	struct eval_totals	 t;
	struct rescols		 cols;
	json_t			*absent = json_array();
	char			*summary = NULL;
	size_t			 n = 0, i;
	int			 ok = 0;

	memset(&cols, 0, sizeof(cols));
	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		goto done;
	n = (size_t)PQntuples(res);
	parks = calloc(n + 1, sizeof(*parks));
	out = calloc(n + 1, sizeof(*out));
	src = calloc(n + 1, sizeof(*src));
	if (parks == NULL || out == NULL || src == NULL || absent == NULL)
		goto out;
	n = take_part(e, res, src, parks, absent);
	if (n == 0) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "no park "
		    "takes part in %d: nothing to evaluate%s", e->year,
		    ep->use_declarations ? " (the policy scores approved "
		    "declarations only, and none is approved)" : "");
		ok = 1;
		goto out;
	}
	json_incref(absent);		/* summary_json takes one reference */
	if (eval_run(ep, e->year, parks, n, e->budget, out, &t) != 0 ||
	    rescols_build(&cols, ep, src, parks, out, n) != 0 ||
	    (summary = summary_json(ep, &t, parks, src, n, absent)) == NULL ||
	    create_store(r, &t, n, summary, &cols) != 0)
		goto out;
	ok = 1;
out:
	if (!ok)
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory "
		    "scoring %zu parks", n);
done:
	rescols_free(&cols);
	free(summary);
	for (i = 0; src != NULL && i < n; i++)
		json_decref(src[i].decl);
	free(parks);
	free(out);
	free(src);
	json_decref(absent);
}

/* The approved declarations of the year, by park (decl_approved). */
static void
create_decls(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;
	int		 i, n;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	n = PQntuples(res);
	e->decl_park = req_alloc(r, (size_t)(n + 1) * sizeof(int64_t));
	e->decl = req_alloc(r, (size_t)(n + 1) * sizeof(char *));
	if (e->decl_park == NULL || e->decl == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		if ((e->decl[i] = req_strdup(r, pg_get(res, i, "figures"))) ==
		    NULL) {
			req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "out of memory");
			return;
		}
		e->decl_park[i] = pg_i64(res, i, "park_id");
	}
	e->ndecls = (size_t)n;
	create_inputs(r);
}

/* The submitted expert scores of the year, by park (expert_scores_year). */
static void
create_scores(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;
	int		 i, n;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	n = PQntuples(res);
	e->score_park = req_alloc(r, (size_t)(n + 1) * sizeof(int64_t));
	e->score_ind = req_alloc(r, (size_t)(n + 1) * sizeof(char *));
	e->score_cp = req_alloc(r, (size_t)(n + 1) * sizeof(int));
	if (e->score_park == NULL || e->score_ind == NULL ||
	    e->score_cp == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		e->score_park[i] = pg_i64(res, i, "park_id");
		e->score_cp[i] = (int)pg_i64(res, i, "score_cp");
		if ((e->score_ind[i] = req_strdup(r, pg_get(res, i,
		    "indicator"))) == NULL) {
			req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "out of memory");
			return;
		}
	}
	e->nscores = (size_t)n;
	e->scores_read = 1;
	create_inputs(r);
}

/*
 * What the policy scores besides eval_raw, read one after the other in
 * the run's snapshot: the approved declarations, the experts' scores;
 * then the raw-indicator query.
 */
static void
create_inputs(struct req *r)
{
	struct evrun	*e = r->state;
	struct qparams	 q;

	qp_init(&q);
	qp_i64(&q, e->year);
	if (e->pol->eval.use_declarations && !e->decls_read) {
		e->decls_read = 1;
		db_exec(r, SQL_DECL_APPROVED, q.n, q.v, create_decls);
	} else if (e->pol->eval.nexpert > 0 && !e->scores_read)
		db_exec(r, SQL_EXPERT_SCORES_YEAR, q.n, q.v, create_scores);
	else
		create_raw(r);
}

static void
create_policy(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	if ((e->pol = policy_from_row(r, res, 0, e->year)) == NULL)
		return;
	if (e->corrects != 0 && strcmp(pg_get(res, 0, "corrects_status"),
	    "published") != 0) {
		viols_add(&r->v, "corrects", "evaluation.corrects", "run %lld "
		    "of %d is %s", (long long)e->corrects, e->year,
		    *pg_get(res, 0, "corrects_status") ? pg_get(res, 0,
		    "corrects_status") : "not there");
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "a corrected "
		    "run replaces a published run of the same year under "
		    "notice: run %lld is not one", (long long)e->corrects);
		return;
	}
	e->budget = PQgetisnull(res, 0, PQfnumber(res, "budget")) ? -1 :
	    pg_i64(res, 0, "budget");
	create_inputs(r);
}

/* Measure every park's raw indicators for the year. */
static void
create_raw(struct req *r)
{
	struct evrun	*e = r->state;
	struct qparams	 q;

	qp_init(&q);
	qp_i64(&q, e->year);
	qp_str(&q, e->start);
	qp_str(&q, e->end);
	qp_str(&q, e->pol->eval.award_kind);
	qp_str(&q, e->pol->eval.grades[e->pol->eval.ngrades - 1].grade);
	qp_i64(&q, 0);					/* every park */
	db_exec(r, SQL_EVAL_RAW, q.n, q.v, create_scored);
}

/*
 * The run made earlier with this key, if there is one, is the answer (a
 * replay: nothing is measured again); else measure and store.
 */
static void
create_replay(struct req *r, PGresult *res)
{
	struct evrun			*e = r->state;
	Parkd__V1__EvaluationRun	*run;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "CreateEvaluationRun"))
		return;
	if (PQntuples(res) == 0) {
		if (e->replay_checked) {
			req_fail(r, PARKD__V1__CODE__INTERNAL, "the run stored "
			    "with this idempotency key is not there");
			return;
		}
		create_measure(r);
		return;
	}
	if ((run = run_from_row(r, res, 0)) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	log_info("evaluation_run run=%lld replayed key=\"%s\"",
	    (long long)run->id, r->idem_key);
	req_reply(r, &run->base);	/* the snapshot is rolled back */
}

static void
create_begun(struct req *r, PGresult *res)
{
	struct evrun	*e = r->state;

	if (!pg_ok(r, res, PGRES_COMMAND_OK, "CreateEvaluationRun"))
		return;
	if (*r->idem_key != '\0') {
		e->replay_checked = 0;
		create_find_run(r, create_replay);
		return;
	}
	create_measure(r);
}

/* Read the year's policy and budget; the measure follows. */
static void
create_measure(struct req *r)
{
	struct evrun	*e = r->state;
	struct qparams	 q;

	e->replay_checked = 1;
	qp_init(&q);
	qp_i64(&q, e->year);
	qp_i64(&q, e->corrects);
	/*
	 * For this transaction only, the raw-indicator query runs without
	 * JIT (compiling it took ~0.8 s of a national run) and without
	 * parallel workers (PostgreSQL 15 gave each worker its own copy of
	 * the per-firm hash tables: three times the work on two cores), and
	 * without hash joins: its per-firm inputs meet in merge joins in firm
	 * order instead (store/sql/eval.sql). bench/bench-eval.sh measured
	 * all three. A custom plan always: its park filter ($6 = 0) folds
	 * away only in one.
	 */
	db_exec(r, SQL_EVAL_CREATE_INPUTS, q.n, q.v, create_policy);
}

void
svc_eval_create(struct req *r)
{
	Parkd__V1__CreateEvaluationRunRequest	*in = (void *)r->in;
	struct evrun				*e;

	struct ymd				 d;

	if (in->year < 2000 || in->year > 2100) {
		viols_add(&r->v, "year", "range", "must be 2000..2100");
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad year");
		return;
	}
	/* a year is evaluated once it has ended; before, only as a draft
	 * that can never be published */
	today(&d);
	if (in->year >= d.y && !in->provisional) {
		viols_add(&r->v, "year", "evaluation.year_not_ended", "%d ends "
		    "on %d-12-31", in->year, in->year);
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "%d has not "
		    "ended: its figures are incomplete; a provisional run "
		    "(provisional = true) can be made, never published",
		    in->year);
		return;
	}
	if (in->provisional && in->corrects != 0) {
		viols_add(&r->v, "corrects", "evaluation.corrects", "a "
		    "provisional run corrects nothing");
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad run");
		return;
	}
	if ((e = r->state = req_alloc(r, sizeof(*e))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	e->year = in->year;
	e->provisional = in->provisional;
	e->corrects = in->corrects;
	snprintf(e->start, sizeof(e->start), "%04u-01-01",
	    (unsigned)in->year % 10000u);
	snprintf(e->end, sizeof(e->end), "%04u-12-31", (unsigned)in->year % 10000u);
	/* one snapshot: the data as of this moment, consistently */
	db_query(r, "BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE", 0, NULL,
	    create_begun);
}
