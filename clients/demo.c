/*
 * The demo city: a deterministic, realistic incubation-park programme
 * (65 parks over Qingdao's 10 districts, ~1,500 firms with valid credit
 * codes), loaded through the RPC, and a summary of what parkd holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"
#include "domain/rules.h"

struct district {
	const char	*name;
	const char	*abbr;
	const char	*area_code;	/* 6-digit administrative division */
	int		 weight;
};

static const struct district districts[] = {
	{ "市南区", "SN", "370202", 8 }, { "市北区", "SB", "370203", 8 },
	{ "李沧区", "LC", "370213", 6 }, { "崂山区", "LS", "370212", 12 },
	{ "西海岸新区", "XHA", "370211", 12 }, { "城阳区", "CY", "370214", 9 },
	{ "即墨区", "JM", "370215", 7 }, { "胶州市", "JZ", "370281", 5 },
	{ "平度市", "PD", "370283", 4 }, { "莱西市", "LX", "370285", 4 },
};
#define NDISTRICTS	(sizeof(districts) / sizeof(districts[0]))

struct industry {
	const char	*prefix;
	const char	*word;		/* for park and firm names */
};

static const struct industry industries[] = {
	{ "I65", "软件" }, { "I64", "互联网" }, { "C39", "电子" },
	{ "C27", "生物医药" }, { "M73", "研发" }, { "C35", "智能装备" },
	{ "C36", "汽车科技" }, { "C38", "新能源" }, { "M75", "科技服务" },
	{ "A01", "现代农业" }, { "C37", "海洋装备" }, { "L72", "商务服务" },
	{ "R87", "文化创意" }, { "I63", "通信" },
};
#define NINDUSTRIES	(sizeof(industries) / sizeof(industries[0]))

static const char *const name_words[] = { "海创", "蓝海", "青科", "智联",
    "启航", "琴岛", "云帆", "海汇", "星辰", "融创", "博远", "鼎新", "睿思",
    "恒信", "众联", "海纳", "卓越", "天成", "易达", "中科", "华研", "瀚海",
    "未来", "东方", "金桥", "信诺", "宏图", "极光", "光谷", "崂峰" };
#define NWORDS	(sizeof(name_words) / sizeof(name_words[0]))

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)(rng % n));
}

/* A valid credit code for an entity registered in area_code. */
static void
make_credit_code(char out[19], const char *area_code, const char *kind)
{
	static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	int	 i;

	memcpy(out, kind, 2);
	memcpy(out + 2, area_code, 6);
	out[8] = 'M';
	out[9] = 'A';
	for (i = 10; i < 16; i++)
		out[i] = alpha[rnd(i == 10 ? 10 : 31)];
	out[16] = orgcode_check_char(out + 8);
	out[17] = creditcode_check_char(out);
	out[18] = '\0';
}

struct demo_park {
	char	 code[32];
	char	 name[160];
	char	 operator_name[160];
	char	 credit[19];
	char	*ind[3];
	int	 nind;
	const struct district *d;
	int	 staff;
	int64_t	 area;
	int	 legal;
	int	 high;
	int	 admitted;
	char	 admitted_on[11];
};

static const struct district *
pick_district(void)
{
	int	 total = 0, r;
	size_t	 i;

	for (i = 0; i < NDISTRICTS; i++)
		total += districts[i].weight;
	r = (int)rnd((uint32_t)total);
	for (i = 0; i < NDISTRICTS; i++) {
		if ((r -= districts[i].weight) < 0)
			return (&districts[i]);
	}
	return (&districts[0]);
}

static void
make_park(struct demo_park *p, int idx)
{
	const struct industry	*lead;
	int			 i, j, dup;

	p->d = idx < (int)NDISTRICTS ? &districts[idx] : pick_district();
	p->nind = 1 + (int)rnd(3);
	for (i = 0; i < p->nind; i++) {
		do {
			p->ind[i] = (char *)industries[rnd(NINDUSTRIES)].prefix;
			for (dup = 0, j = 0; j < i; j++)
				dup |= strcmp(p->ind[i], p->ind[j]) == 0;
		} while (dup);
	}
	for (lead = industries; strcmp(lead->prefix, p->ind[0]) != 0; lead++)
		;
	snprintf(p->code, sizeof(p->code), "QD-%s-%03d", p->d->abbr, idx + 1);
	snprintf(p->name, sizeof(p->name), "青岛%s%s创业孵化基地",
	    name_words[rnd(NWORDS)], lead->word);
	snprintf(p->operator_name, sizeof(p->operator_name),
	    "青岛%s%s创业服务有限公司", name_words[rnd(NWORDS)],
	    name_words[rnd(NWORDS)]);
	make_credit_code(p->credit, p->d->area_code, "91");
	p->staff = idx % 13 == 7 ? 6 + (int)rnd(4) : 10 + (int)rnd(30);
	p->area = (int64_t)(2000 + rnd(11000) + (idx % 6 == 0 ? 9000 : 0)) *
	    100 + rnd(100);
	p->legal = idx % 29 != 11;
	p->high = rnd(100) < 15;
	p->admitted = idx % 16 != 15;
	snprintf(p->admitted_on, sizeof(p->admitted_on), "%d-%02d-%02d",
	    2022 + (int)rnd(3), 1 + (int)rnd(12), 1 + (int)rnd(28));
}

struct demo_firm {
	char		 credit[19];
	char		 industry[8];
	struct ymd	 reg;
	struct ymd	 entry;
	int		 park;		/* index into parks */
	int		 silent;	/* no reports for the last 2 quarters */
	int		 entered;	/* the entry was accepted */
	int		 left_qi;	/* graduated: first quarter gone, or 0 */
	struct ymd	 ht_from;	/* high-tech certificate, if y > 0 */
	struct ymd	 ht_to;
};

static int pending, created, existed, failed, refused;
static struct demo_firm	*track;		/* EnterFirm answers, by request id */
static uint64_t		 track_first;
static int		 track_n;

/* Collect one pipelined response. */
static int
collect_answers(struct ctl *ctl, const char *method)
{
	Parkd__V1__Response	*resp;
	int			 code;

	if (parkc_recv(ctl->pc, &resp) != 0) {
		fprintf(stderr, "parkctl: %s\n", parkc_error(ctl->pc));
		return (-1);
	}
	pending--;
	code = resp->status ? (int)resp->status->code : 0;
	if (track != NULL && resp->id >= track_first &&
	    resp->id < track_first + (uint64_t)track_n)
		track[resp->id - track_first].entered = code == 0;
	if (code == 0)
		created++;
	else if (code == PARKD__V1__CODE__ALREADY_EXISTS)
		existed++;
	else if (code == PARKD__V1__CODE__FAILED_PRECONDITION)
		refused++;		/* a rule said no: part of the demo */
	else {
		if (failed++ < 5)
			fprintf(stderr, "parkctl: %s failed: %s: %s\n", method,
			    parkc_code_name(code), resp->status->message);
	}
	parkd__v1__response__free_unpacked(resp, NULL);
	return (0);
}

static int
send_windowed(struct ctl *ctl, const char *method, ProtobufCMessage *m)
{
	uint64_t	 id;

	while (pending >= 64) {
		if (collect_answers(ctl, method) != 0)
			return (-1);
	}
	if (parkc_send(ctl->pc, method, m, "", &id) != 0) {
		fprintf(stderr, "parkctl: %s\n", parkc_error(ctl->pc));
		return (-1);
	}
	if (track != NULL && track_n == 0)
		track_first = id;
	pending++;
	return (0);
}

static int
drain(struct ctl *ctl, const char *method)
{
	while (pending > 0) {
		if (collect_answers(ctl, method) != 0)
			return (-1);
	}
	return (0);
}

static int
load_parks(struct ctl *ctl, struct demo_park *parks, int n)
{
	Parkd__V1__CreateParkRequest	 req;
	Parkd__V1__Park			 p;
	int				 i;

	for (i = 0; i < n; i++) {
		struct demo_park *dp = &parks[i];

		parkd__v1__create_park_request__init(&req);
		parkd__v1__park__init(&p);
		p.code = dp->code;
		p.name = dp->name;
		p.district = (char *)dp->d->name;
		p.operator_name = dp->operator_name;
		p.operator_credit_code = dp->credit;
		p.operator_legal_person = dp->legal;
		p.staff_count = dp->staff;
		p.total_area = dp->area;
		p.leading_industries = dp->ind;
		p.n_leading_industries = (size_t)dp->nind;
		p.level = dp->high ? "high_level" : "base";
		p.status = dp->admitted ? "admitted" : "applied";
		p.admitted_on = dp->admitted ? dp->admitted_on : "";
		req.park = &p;
		if (send_windowed(ctl, "CreatePark", &req.base) != 0)
			return (-1);
	}
	return (drain(ctl, "CreatePark"));
}

/* Some parks draw far more tenants than others. */
static int
pick_park(int nparks)
{
	int	 total = 0, i, r;

	for (i = 0; i < nparks; i++)
		total += i % 6 == 0 ? 4 : i % 6 < 3 ? 2 : 1;
	r = (int)rnd((uint32_t)total);
	for (i = 0; i < nparks; i++) {
		if ((r -= i % 6 == 0 ? 4 : i % 6 < 3 ? 2 : 1) < 0)
			return (i);
	}
	return (0);
}

static int
load_firms(struct ctl *ctl, struct demo_park *parks, int nparks, int n,
    struct demo_firm *firms)
{
	Parkd__V1__CreateFirmRequest	 req;
	Parkd__V1__Firm			 f;
	char				 credit[19], name[160], ind[8], reg[11];
	const struct industry		*it;
	int				 i;

	for (i = 0; i < n; i++) {
		int pi = pick_park(nparks);
		struct demo_park *dp = &parks[pi];
		const char *prefix = dp->ind[rnd((uint32_t)dp->nind)];

		for (it = industries; strcmp(it->prefix, prefix) != 0; it++)
			;
		make_credit_code(credit, dp->d->area_code, "91");
		snprintf(name, sizeof(name), "青岛%s%s%s科技有限公司",
		    name_words[rnd(NWORDS)], name_words[rnd(NWORDS)], it->word);
		snprintf(ind, sizeof(ind), "%s%u", prefix, 1 + rnd(9));
		snprintf(reg, sizeof(reg), "%d-%02d-%02d", 2023 + (int)rnd(3),
		    1 + (int)rnd(12), 1 + (int)rnd(28));
		memcpy(firms[i].credit, credit, sizeof(credit));
		snprintf(firms[i].industry, sizeof(firms[i].industry), "%s", ind);
		ymd_parse(reg, &firms[i].reg);
		firms[i].park = pi;
		firms[i].silent = rnd(100) < 7;
		parkd__v1__create_firm_request__init(&req);
		parkd__v1__firm__init(&f);
		f.credit_code = credit;
		f.name = name;
		f.industry_code = ind;
		f.registered_on = reg;
		f.tech_based = rnd(100) < 86;
		f.srdi = rnd(100) < 11;
		req.firm = &f;
		if (send_windowed(ctl, "CreateFirm", &req.base) != 0)
			return (-1);
	}
	return (drain(ctl, "CreateFirm"));
}

static void
report(const char *what)
{
	printf("%-34s %5d stored, %4d already there, %4d refused by the "
	    "rules, %d failed\n", what, created, existed, refused, failed);
	created = existed = refused = 0;
}

/* Firms enter their park (admitted parks only take them; some refusals). */
static int
load_tenancies(struct ctl *ctl, struct demo_park *parks,
    struct demo_firm *firms, int n)
{
	Parkd__V1__EnterFirmRequest	 req;
	struct ymd			 t, e;
	char				 date[11];
	int				 i;

	today(&t);
	track = firms;
	track_n = 0;
	for (i = 0; i < n; i++) {
		struct demo_firm *f = &firms[i];

		e = ymd_add_months(f->reg, (int)rnd(20));
		/* the programme's policy starts in 2024 */
		if (e.y < 2024) {
			e.y = 2024;
			e.m = 1 + (int)rnd(6);
		}
		if (ymd_days(&e) > ymd_days(&t))
			e = t;
		ymd_format(&e, date);
		parkd__v1__enter_firm_request__init(&req);
		req.park_code = parks[f->park].code;
		req.credit_code = f->credit;
		req.entry_date = date;
		req.area = (int64_t)(30 + rnd(170)) * 100;
		f->entry = e;
		if (send_windowed(ctl, "EnterFirm", &req.base) != 0)
			return (-1);
		track_n = i + 1;
	}
	i = drain(ctl, "EnterFirm");
	track = NULL;
	return (i);
}

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
		int64_t x = rnd(1000), base, growth = 2 + rnd(6);
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
			r->jobs = 3 + (int)rnd(40);
			r->graduate_jobs = (int)rnd((uint32_t)r->jobs);
			r->rnd_spend = r->revenue / (5 + (int64_t)rnd(10));
			r->ip_granted = (int)rnd(3);
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
	    -(int)rnd(30));
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
	return (send_windowed(ctl, "AddCertification", &req.base));
}

static int
load_financing(struct ctl *ctl, struct demo_firm *f, const struct ymd *t)
{
	Parkd__V1__AddFinancingRequest	 req;
	Parkd__V1__Financing		 fin;
	struct ymd			 d = ymd_add_months(*t, -(int)rnd(18));
	char				 ds[11];

	ymd_format(&d, ds);
	parkd__v1__add_financing_request__init(&req);
	parkd__v1__financing__init(&fin);
	fin.credit_code = f->credit;
	fin.date = ds;
	fin.amount = (int64_t)(100 + rnd(700)) * 1000000;	/* 1-8M yuan */
	fin.investor = "青岛市天使投资引导基金";
	req.financing = &fin;
	return (send_windowed(ctl, "AddFinancing", &req.base));
}

/*
 * Some high-tech firms graduate at the end of last year (the evaluation's
 * graduates), each decision naming the rule that holds.
 */
static int
load_graduations(struct ctl *ctl, struct demo_firm *firms, int n)
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
		if (send_windowed(ctl, "ExitFirm", &req.base) != 0)
			return (-1);
		f->left_qi = ymd_quarter_index(&d) + 1;
	}
	return (drain(ctl, "ExitFirm"));
}

/* Certificates and financing of tenants. */
static int
load_facts(struct ctl *ctl, struct demo_firm *firms, int n)
{
	struct ymd	 t;
	int		 i;

	today(&t);
	for (i = 0; i < n; i++) {
		struct demo_firm *f = &firms[i];

		if (!f->entered)
			continue;
		if ((rnd(100) < 22 && load_cert(ctl, f, &t, i) != 0) ||
		    (rnd(100) < 5 && load_financing(ctl, f, &t) != 0))
			return (-1);
	}
	return (drain(ctl, "facts"));
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
		existed++;
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
			created += (int)((Parkd__V1__SyncOutcome *)res.body)->
			    applied;
			refused += (int)((Parkd__V1__SyncOutcome *)res.body)->
			    refused;
			rc = 0;
		}
	}
	if (rc != 0) {
		failed++;
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
		int acts_q = quiet ? 1 : 2 + (int)rnd(6);

		for (k = 0; k < acts_q && n < MAXACT; k++, n++) {
			int roadshow = k <= pi % 3 && !(pi % 7 == 3 &&
			    q == 2025 * 4 + 2);

			parkd__v1__activity__init(&acts[n]);
			d.y = q / 4;
			d.m = (q % 4) * 3 + 1 + (int)rnd(3);
			d.d = 1 + (int)rnd(28);
			ymd_format(&d, dates[n]);
			acts[n].kind = roadshow ? "roadshow" :
			    (char *)act_kinds[rnd(6)];
			snprintf(titles[n], sizeof(titles[n]), "%s第%d期%s",
			    park->name, n + 1, roadshow ? "项目路演" :
			    "创业服务活动");
			acts[n].date = dates[n];
			acts[n].title = titles[n];
			acts[n].participants = 15 + (int)rnd(120);
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
		reps[nr].services_delivered = quiet ? 20 : 40 + (int)rnd(200);
		reps[nr].interns_hosted = (int)rnd(25);
		rp[nr] = &reps[nr];
	}
	ch.park_reports = rp;
	ch.n_park_reports = (size_t)nr;
	return (push(ctl, park->code, "park_reports", &ch));
}

/* Per admitted park: its tenants' reports, its activities and reports. */
static int
load_park_year(struct ctl *ctl, struct demo_park *parks, int nparks,
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
static int
load_eval_inputs(struct ctl *ctl, struct demo_park *parks, int nparks)
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
			created++;
		else
			existed++;
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

/* parkctl demo-data [--parks N] [--firms N] [--seed N] */
int
demo_data(struct ctl *ctl, int argc, char **argv)
{
	struct demo_park	*parks;
	struct demo_firm	*firms;
	int			 nparks = 65, nfirms = 1500, i, rc;
	unsigned long		 seed = 2024;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--parks") == 0)
			nparks = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--firms") == 0)
			nfirms = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = strtoul(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (i != argc || nparks < 1 || nparks > 100000 || nfirms < 0) {
		fprintf(stderr, "usage: parkctl demo-data [--parks N] "
		    "[--firms N] [--seed N]\n");
		return (2);
	}
	if (ctl_connect(ctl) != 0)
		return (1);
	rng = seed * 2654435761u + 1;
	if ((parks = calloc((size_t)nparks, sizeof(*parks))) == NULL)
		return (1);
	for (i = 0; i < nparks; i++)
		make_park(&parks[i], i);
	if ((firms = calloc((size_t)nfirms + 1, sizeof(*firms))) == NULL) {
		free(parks);
		return (1);
	}
	rc = load_parks(ctl, parks, nparks);
	report("parks");
	if (rc == 0)
		rc = load_firms(ctl, parks, nparks, nfirms, firms);
	report("firms");
	if (rc == 0)
		rc = load_tenancies(ctl, parks, firms, nfirms);
	report("tenancies");
	if (rc == 0)
		rc = load_facts(ctl, firms, nfirms);
	report("certificates, financing");
	if (rc == 0)
		rc = load_graduations(ctl, firms, nfirms);
	report("graduations");
	if (rc == 0)
		rc = load_park_year(ctl, parks, nparks, firms, nfirms);
	report("reports, activities (pushes)");
	if (rc == 0)
		rc = load_eval_inputs(ctl, parks, nparks);
	report("awards");
	free(firms);
	free(parks);
	return (rc == 0 && failed == 0 ? 0 : 1);
}

struct dsum {
	char	 district[64];
	int	 parks;
	int	 admitted;
	int	 high;
	int64_t	 area;
	int	 staff;
};

static struct dsum *
dsum_find(struct dsum *s, int *n, const char *district)
{
	int	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp(s[i].district, district) == 0)
			return (&s[i]);
	}
	if (*n == 64)
		return (&s[63]);
	snprintf(s[*n].district, sizeof(s[*n].district), "%s", district);
	return (&s[(*n)++]);
}

/* Page through ListFirms and count them. */
static int
count_firms(struct ctl *ctl, long *nfirms)
{
	Parkd__V1__ListFirmsRequest	 req = PARKD__V1__LIST_FIRMS_REQUEST__INIT;
	Parkd__V1__ListFirmsResponse	*out;
	struct parkc_result		 res;
	char				 tok[32] = "";

	*nfirms = 0;
	req.page_size = 1000;
	do {
		req.page_token = tok;
		if (parkc_call(ctl->pc, "ListFirms", &req.base, "", &res) != 0 ||
		    res.code != 0) {
			if (res.resp != NULL)
				pcmd_print_result(&res, 0);
			parkc_result_free(&res);
			return (-1);
		}
		out = (Parkd__V1__ListFirmsResponse *)res.body;
		*nfirms += (long)out->n_firms;
		snprintf(tok, sizeof(tok), "%s", out->next_page_token);
		parkc_result_free(&res);
	} while (tok[0] != '\0');
	return (0);
}

static int
sum_parks(struct ctl *ctl, struct dsum *s, int *ns)
{
	Parkd__V1__ListParksRequest	 req = PARKD__V1__LIST_PARKS_REQUEST__INIT;
	Parkd__V1__ListParksResponse	*out;
	struct parkc_result		 res;
	char				 tok[32] = "";
	size_t				 i;

	req.page_size = 1000;
	do {
		req.page_token = tok;
		if (parkc_call(ctl->pc, "ListParks", &req.base, "", &res) != 0 ||
		    res.code != 0) {
			if (res.resp != NULL)
				pcmd_print_result(&res, 0);
			parkc_result_free(&res);
			return (-1);
		}
		out = (Parkd__V1__ListParksResponse *)res.body;
		for (i = 0; i < out->n_parks; i++) {
			Parkd__V1__Park *p = out->parks[i];
			struct dsum *d = dsum_find(s, ns, p->district);

			d->parks++;
			d->admitted += strcmp(p->status, "admitted") == 0;
			d->high += strcmp(p->level, "high_level") == 0;
			d->area += p->total_area;
			d->staff += p->staff_count;
		}
		snprintf(tok, sizeof(tok), "%s", out->next_page_token);
		parkc_result_free(&res);
	} while (tok[0] != '\0');
	return (0);
}

/* parkctl summary: parks by district, and the number of firms. */
int
demo_summary(struct ctl *ctl)
{
	struct dsum	 s[64], total;
	const char	*head[] = { "district", "parks", "admitted",
	    "high_level", "area_m2", "staff" };
	char		*cells[65 * 6];
	int		 ns = 0, i, c;
	long		 nfirms;

	memset(s, 0, sizeof(s));
	memset(&total, 0, sizeof(total));
	if (ctl_connect(ctl) != 0 || sum_parks(ctl, s, &ns) != 0 ||
	    count_firms(ctl, &nfirms) != 0)
		return (1);
	snprintf(total.district, sizeof(total.district), "合计 total");
	for (i = 0; i < ns; i++) {
		total.parks += s[i].parks;
		total.admitted += s[i].admitted;
		total.high += s[i].high;
		total.area += s[i].area;
		total.staff += s[i].staff;
	}
	s[ns++] = total;
	for (i = 0; i < ns; i++) {
		c = i * 6;
		cells[c] = strdup(s[i].district);
		asprintf(&cells[c + 1], "%d", s[i].parks);
		asprintf(&cells[c + 2], "%d", s[i].admitted);
		asprintf(&cells[c + 3], "%d", s[i].high);
		asprintf(&cells[c + 4], "%lld", (long long)(s[i].area / 100));
		asprintf(&cells[c + 5], "%d", s[i].staff);
	}
	pcmd_table(stdout, head, 6, (const char *const *)cells, ns);
	printf("firms registered: %ld\n", nfirms);
	for (i = 0; i < ns * 6; i++)
		free(cells[i]);
	return (0);
}
