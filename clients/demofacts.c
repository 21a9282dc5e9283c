/*
 * The demo city's years: certificates, financing and graduations of the
 * tenants, then every park's quarterly firm reports, park reports and
 * activities pushed as syncs, and the awards and budget the evaluation
 * takes (see demo.c for the parks and firms).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "pcmd.h"

#define FIRST_QI	(2024 * 4)	/* the demo's data start in 2024 */

static int	push(struct ctl *, const char *, const char *,
		    Parkd__V1__SyncChunkRequest *);

/*
 * Every quarter's report of every tenant of one park, from its entry (or
 * 2024) to the last completed quarter, pushed as one sync. Revenue is
 * skewed (most tenants small) and grows a little each quarter.
 */
static int
push_park_reports(struct ctl *ctl, struct demo_park *park, int pi,
    struct demo_firm *firms, int n, int cq)
{
	Parkd__V1__SyncChunkRequest	 ch;
	Parkd__V1__FirmReport		*reps, **rp;
	int				 i, q, k = 0, cap = 0, rc;

	for (i = 0; i < n; i++)
		cap += firms[i].park == pi && firms[i].entered ? cq - FIRST_QI :
		    0;
	if (cap == 0)
		return (0);
	reps = calloc((size_t)cap, sizeof(*reps));
	rp = calloc((size_t)cap, sizeof(*rp));
	if (reps == NULL || rp == NULL) {
		free(reps);
		free(rp);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		struct demo_firm *f = &firms[i];
		int64_t x = demo_rnd(1000), base, growth = 2 + demo_rnd(6);
		int eq = ymd_quarter_index(&f->entry);

		if (f->park != pi || !f->entered)
			continue;
		/*
		 * yuan a quarter: 20,000 + (x/1000)^5 * 10,000,000, that is
		 * x^5 / 10^8 (x^5 < 10^15 fits an int64; x^5 * 10^7 did not)
		 */
		base = (20000 + x * x * x * x * x / 100000000) * 100;
		for (q = eq > FIRST_QI ? eq : FIRST_QI; q < cq; q++) {
			Parkd__V1__FirmReport *r = &reps[k];

			if ((f->silent && q >= cq - 2) ||
			    (f->left_qi != 0 && q >= f->left_qi))
				continue;	/* silent, or not its park's any more */
			parkd__v1__firm_report__init(r);
			r->credit_code = f->credit;
			r->year = q / 4;
			r->quarter = q % 4 + 1;
			r->revenue = base + base * growth * (q - FIRST_QI) / 100;
			r->jobs = 3 + (int)demo_rnd(40);
			r->graduate_jobs = (int)demo_rnd((uint32_t)r->jobs);
			r->rnd_spend = r->revenue / (5 + (int64_t)demo_rnd(10));
			r->ip_granted = (int)demo_rnd(3);
			rp[k++] = r;
		}
	}
	parkd__v1__sync_chunk_request__init(&ch);
	ch.firm_reports = rp;
	ch.n_firm_reports = (size_t)k;
	rc = push(ctl, park->code, "firm_reports", &ch);
	free(reps);
	free(rp);
	return (rc);
}

static int
load_cert(struct ctl *ctl, struct demo_firm *f, const struct ymd *t, int i)
{
	Parkd__V1__AddCertificationRequest	 req;
	Parkd__V1__Certification		 c;
	struct ymd				 from, to;
	char					 a[11], b[11], num[32];

	parkd__v1__add_certification_request__init(&req);
	parkd__v1__certification__init(&c);
	/* a few expire within the next 90 days */
	from = i % 10 == 0 ? ymd_add_months(*t, -34) : ymd_add_months(*t,
	    -(int)demo_rnd(30));
	to = ymd_add_months(from, 36);
	ymd_format(&from, a);
	ymd_format(&to, b);
	snprintf(num, sizeof(num), "GR%04d37%06d", from.y, 100000 + i);
	c.credit_code = f->credit;
	c.kind = i % 3 == 0 ? "srdi" : "high_tech";
	if (i % 3 != 0) {
		f->ht_from = from;
		f->ht_to = to;
	}
	c.number = num;
	c.valid_from = a;
	c.valid_to = b;
	req.certification = &c;
	return (demo_send(ctl, "AddCertification", &req.base));
}

static int
load_financing(struct ctl *ctl, struct demo_firm *f, const struct ymd *t)
{
	Parkd__V1__AddFinancingRequest	 req;
	Parkd__V1__Financing		 fin;
	struct ymd			 d;
	char				 ds[11];

	d = ymd_add_months(*t, -(int)demo_rnd(18));
	ymd_format(&d, ds);
	parkd__v1__add_financing_request__init(&req);
	parkd__v1__financing__init(&fin);
	fin.credit_code = f->credit;
	fin.date = ds;
	fin.amount = (int64_t)(100 + demo_rnd(700)) * 1000000;	/* 1-8M yuan */
	fin.investor = "青岛市天使投资引导基金";
	req.financing = &fin;
	return (demo_send(ctl, "AddFinancing", &req.base));
}

/*
 * Some high-tech firms graduate at the end of last year (the evaluation's
 * graduates), each decision naming the rule that holds.
 */
int
demo_load_graduations(struct ctl *ctl, struct demo_firm *firms, int n)
{
	Parkd__V1__ExitFirmRequest	 req;
	struct ymd			 t, d;
	char				 ds[11];
	int				 i, k = 0;

	today(&t);
	d.y = t.y - 1;
	d.m = 12;
	d.d = 15;
	ymd_format(&d, ds);
	for (i = 0; i < n; i++) {
		struct demo_firm *f = &firms[i];

		if (!f->entered || f->ht_from.y == 0 ||
		    ymd_days(&f->ht_from) > ymd_days(&d) ||
		    ymd_days(&f->ht_to) < ymd_days(&d) ||
		    ymd_days(&f->entry) > ymd_days(&d) || k++ % 2 != 0)
			continue;
		parkd__v1__exit_firm_request__init(&req);
		req.credit_code = f->credit;
		req.kind = "graduate";
		req.rule = "firm.graduate.high_tech";
		req.exit_date = ds;
		req.reason = "高新技术企业认定，毕业";
		if (demo_send(ctl, "ExitFirm", &req.base) != 0)
			return (-1);
		f->left_qi = ymd_quarter_index(&d) + 1;
	}
	return (demo_drain(ctl, "ExitFirm"));
}

/* Certificates and financing of tenants. */
int
demo_load_facts(struct ctl *ctl, struct demo_firm *firms, int n)
{
	struct ymd	 t;
	int		 i;

	today(&t);
	for (i = 0; i < n; i++) {
		struct demo_firm *f = &firms[i];

		if (!f->entered)
			continue;
		if ((demo_rnd(100) < 22 && load_cert(ctl, f, &t, i) != 0) ||
		    (demo_rnd(100) < 5 && load_financing(ctl, f, &t) != 0))
			return (-1);
	}
	return (demo_drain(ctl, "facts"));
}

/* One push (BeginSync, SyncChunk, CommitSync) of a prepared chunk. */
static int
push(struct ctl *ctl, const char *park, const char *kind,
    Parkd__V1__SyncChunkRequest *chunk)
{
	Parkd__V1__BeginSyncRequest	 b = PARKD__V1__BEGIN_SYNC_REQUEST__INIT;
	Parkd__V1__CommitSyncRequest	 c = PARKD__V1__COMMIT_SYNC_REQUEST__INIT;
	struct parkc_result		 res;
	char				 key[96];
	int				 rc = -1;

	snprintf(key, sizeof(key), "demo-%s-%s", park, kind);
	b.park_code = (char *)park;
	b.kind = (char *)kind;
	if (parkc_call(ctl->pc, "BeginSync", &b.base, key, &res) != 0)
		return (-1);
	if (res.code != 0) {
		fprintf(stderr, "parkctl: BeginSync %s: %s\n", park, res.message);
		parkc_result_free(&res);
		return (-1);
	}
	if (((Parkd__V1__BeginSyncResponse *)res.body)->done) {
		demo_tally.existed++;
		parkc_result_free(&res);
		return (0);
	}
	chunk->sync_id = c.sync_id =
	    ((Parkd__V1__BeginSyncResponse *)res.body)->sync_id;
	chunk->first_row = 2;
	parkc_result_free(&res);
	if (parkc_call(ctl->pc, "SyncChunk", &chunk->base, "", &res) == 0 &&
	    res.code == 0) {
		parkc_result_free(&res);
		if (parkc_call(ctl->pc, "CommitSync", &c.base, key, &res) == 0 &&
		    res.code == 0) {
			Parkd__V1__SyncOutcome *o = (Parkd__V1__SyncOutcome *)
			    res.body;

			demo_tally.created += (int)o->applied;
			demo_tally.refused += (int)o->refused;
			rc = 0;
		}
	}
	if (rc != 0) {
		demo_tally.failed++;
		fprintf(stderr, "parkctl: push %s %s: %s\n", park, kind,
		    res.message ? res.message : parkc_error(ctl->pc));
	}
	parkc_result_free(&res);
	return (rc);
}

static const char *const act_kinds[] = { "salon", "lecture",
    "training_camp", "competition", "specialist_visit", "matchmaking" };

#define MAXACT	160

/*
 * Activities and park reports of one admitted park, every quarter from
 * 2024 to the last completed one. Most parks hold a roadshow every quarter;
 * every seventh misses one in 2025 (the evaluation's roadshow gate), and a
 * few are quiet.
 */
static int
push_park_year(struct ctl *ctl, struct demo_park *park, int pi, int cq)
{
	static Parkd__V1__Activity	 acts[MAXACT], *ap[MAXACT];
	static Parkd__V1__ParkReport	 reps[64], *rp[64];
	static char			 dates[MAXACT][11], titles[MAXACT][224];
	Parkd__V1__SyncChunkRequest	 ch;
	struct ymd			 d;
	int				 q, k, n = 0, nr = 0, quiet = pi % 11 == 5;

	parkd__v1__sync_chunk_request__init(&ch);
	for (q = FIRST_QI; q < cq; q++) {
		int acts_q = quiet ? 1 : 2 + (int)demo_rnd(6);

		for (k = 0; k < acts_q && n < MAXACT; k++, n++) {
			int roadshow = k <= pi % 3 && !(pi % 7 == 3 &&
			    q == 2025 * 4 + 2);

			parkd__v1__activity__init(&acts[n]);
			d.y = q / 4;
			d.m = (q % 4) * 3 + 1 + (int)demo_rnd(3);
			d.d = 1 + (int)demo_rnd(28);
			ymd_format(&d, dates[n]);
			acts[n].kind = roadshow ? "roadshow" :
			    (char *)act_kinds[demo_rnd(6)];
			snprintf(titles[n], sizeof(titles[n]), "%s第%d期%s",
			    park->name, n + 1, roadshow ? "项目路演" :
			    "创业服务活动");
			acts[n].date = dates[n];
			acts[n].title = titles[n];
			acts[n].participants = 15 + (int)demo_rnd(120);
			ap[n] = &acts[n];
		}
	}
	ch.activities = ap;
	ch.n_activities = (size_t)n;
	if (push(ctl, park->code, "activities", &ch) != 0)
		return (-1);
	parkd__v1__sync_chunk_request__init(&ch);
	for (q = FIRST_QI; q < cq && nr < 64; q++, nr++) {
		parkd__v1__park_report__init(&reps[nr]);
		reps[nr].year = q / 4;
		reps[nr].quarter = q % 4 + 1;
		reps[nr].staff = park->staff;
		reps[nr].services_delivered = quiet ? 20 :
		    40 + (int)demo_rnd(200);
		reps[nr].interns_hosted = (int)demo_rnd(25);
		rp[nr] = &reps[nr];
	}
	ch.park_reports = rp;
	ch.n_park_reports = (size_t)nr;
	return (push(ctl, park->code, "park_reports", &ch));
}

/* Per admitted park: its tenants' reports, its activities and reports. */
int
demo_load_park_year(struct ctl *ctl, struct demo_park *parks, int nparks,
    struct demo_firm *firms, int nfirms)
{
	struct ymd	 t;
	int		 i, cq;

	today(&t);
	cq = ymd_quarter_index(&t);
	for (i = 0; i < nparks; i++) {
		if (!parks[i].admitted)
			continue;
		if (push_park_reports(ctl, &parks[i], i, firms, nfirms, cq) != 0 ||
		    push_park_year(ctl, &parks[i], i, cq) != 0)
			return (-1);
	}
	return (0);
}

/* The evaluation's other inputs: two incubation-base awards, a budget. */
int
demo_load_eval_inputs(struct ctl *ctl, struct demo_park *parks, int nparks)
{
	Parkd__V1__AddAwardRequest		 aw = PARKD__V1__ADD_AWARD_REQUEST__INIT;
	Parkd__V1__Award			 a;
	Parkd__V1__SetEvaluationBudgetRequest	 b =
	    PARKD__V1__SET_EVALUATION_BUDGET_REQUEST__INIT;
	struct parkc_result			 res;
	struct ymd				 t;
	int					 i, done = 0;

	today(&t);
	for (i = 0; i < nparks && done < 2; i++) {
		if (!parks[i].admitted || !parks[i].high)
			continue;
		parkd__v1__award__init(&a);
		a.park_code = parks[i].code;
		a.year = t.y - 1;
		a.kind = "incubation_base";
		a.amount_fen = 100000000;		/* 1,000,000 yuan */
		aw.award = &a;
		if (parkc_call(ctl->pc, "AddAward", &aw.base, "", &res) != 0)
			return (-1);
		if (res.code == 0)
			demo_tally.created++;
		else
			demo_tally.existed++;
		parkc_result_free(&res);
		done++;
	}
	b.year = t.y - 1;
	b.amount_fen = 450000000;			/* 4,500,000 yuan */
	if (parkc_call(ctl->pc, "SetEvaluationBudget", &b.base, "", &res) != 0)
		return (-1);
	parkc_result_free(&res);
	return (0);
}
