/*
 * The demo city: a deterministic, realistic incubation-park programme
 * (65 parks over Qingdao's 10 districts, ~1,500 firms with valid credit
 * codes), loaded through the RPC: here the parks, firms and their entries;
 * the years' facts and reports in demofacts.c. The summary of what parkd
 * holds is demosum.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "demo.h"
#include "pcmd.h"
#include "lib/lib.h"
#include "domain/rules.h"


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

uint32_t
demo_rnd(uint32_t n)
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
		out[i] = alpha[demo_rnd(i == 10 ? 10 : 31)];
	out[16] = orgcode_check_char(out + 8);
	out[17] = creditcode_check_char(out);
	out[18] = '\0';
}


static const struct district *
pick_district(void)
{
	int	 total = 0, r;
	size_t	 i;

	for (i = 0; i < NDISTRICTS; i++)
		total += districts[i].weight;
	r = (int)demo_rnd((uint32_t)total);
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
	p->nind = 1 + (int)demo_rnd(3);
	for (i = 0; i < p->nind; i++) {
		do {
			p->ind[i] = (char *)
			    industries[demo_rnd(NINDUSTRIES)].prefix;
			for (dup = 0, j = 0; j < i; j++)
				dup |= strcmp(p->ind[i], p->ind[j]) == 0;
		} while (dup);
	}
	for (lead = industries; strcmp(lead->prefix, p->ind[0]) != 0; lead++)
		;
	snprintf(p->code, sizeof(p->code), "QD-%s-%03d", p->d->abbr, idx + 1);
	snprintf(p->name, sizeof(p->name), "青岛%s%s创业孵化基地",
	    name_words[demo_rnd(NWORDS)], lead->word);
	snprintf(p->operator_name, sizeof(p->operator_name),
	    "青岛%s%s创业服务有限公司", name_words[demo_rnd(NWORDS)],
	    name_words[demo_rnd(NWORDS)]);
	make_credit_code(p->credit, p->d->area_code, "91");
	p->staff = idx % 13 == 7 ? 6 + (int)demo_rnd(4) :
	    10 + (int)demo_rnd(30);
	p->area = (int64_t)(2000 + demo_rnd(11000) +
	    (idx % 6 == 0 ? 9000 : 0)) * 100 + demo_rnd(100);
	p->legal = idx % 29 != 11;
	p->high = demo_rnd(100) < 15;
	p->admitted = idx % 16 != 15;
	snprintf(p->admitted_on, sizeof(p->admitted_on), "%d-%02d-%02d",
	    2022 + (int)demo_rnd(3), 1 + (int)demo_rnd(12),
	    1 + (int)demo_rnd(28));
}


struct demo_tally demo_tally;
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
	demo_tally.pending--;
	code = resp->status ? (int)resp->status->code : 0;
	if (track != NULL && resp->id >= track_first &&
	    resp->id < track_first + (uint64_t)track_n)
		track[resp->id - track_first].entered = code == 0;
	if (code == 0)
		demo_tally.created++;
	else if (code == PARKD__V1__CODE__ALREADY_EXISTS)
		demo_tally.existed++;
	else if (code == PARKD__V1__CODE__FAILED_PRECONDITION)
		demo_tally.refused++;	/* a rule said no: part of the demo */
	else {
		if (demo_tally.failed++ < 5)
			fprintf(stderr, "parkctl: %s failed: %s: %s\n", method,
			    parkc_code_name(code), resp->status->message);
	}
	parkd__v1__response__free_unpacked(resp, NULL);
	return (0);
}

int
demo_send(struct ctl *ctl, const char *method, ProtobufCMessage *m)
{
	uint64_t	 id;

	while (demo_tally.pending >= 64) {
		if (collect_answers(ctl, method) != 0)
			return (-1);
	}
	if (parkc_send(ctl->pc, method, m, "", &id) != 0) {
		fprintf(stderr, "parkctl: %s\n", parkc_error(ctl->pc));
		return (-1);
	}
	if (track != NULL && track_n == 0)
		track_first = id;
	demo_tally.pending++;
	return (0);
}

int
demo_drain(struct ctl *ctl, const char *method)
{
	while (demo_tally.pending > 0) {
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
		if (demo_send(ctl, "CreatePark", &req.base) != 0)
			return (-1);
	}
	return (demo_drain(ctl, "CreatePark"));
}

/* Some parks draw far more tenants than others. */
static int
pick_park(int nparks)
{
	int	 total = 0, i, r;

	for (i = 0; i < nparks; i++)
		total += i % 6 == 0 ? 4 : i % 6 < 3 ? 2 : 1;
	r = (int)demo_rnd((uint32_t)total);
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
		const char *prefix = dp->ind[demo_rnd((uint32_t)dp->nind)];

		for (it = industries; strcmp(it->prefix, prefix) != 0; it++)
			;
		make_credit_code(credit, dp->d->area_code, "91");
		snprintf(name, sizeof(name), "青岛%s%s%s科技有限公司",
		    name_words[demo_rnd(NWORDS)], name_words[demo_rnd(NWORDS)],
		    it->word);
		snprintf(ind, sizeof(ind), "%s%u", prefix, 1 + demo_rnd(9));
		snprintf(reg, sizeof(reg), "%d-%02d-%02d",
		    2023 + (int)demo_rnd(3), 1 + (int)demo_rnd(12),
		    1 + (int)demo_rnd(28));
		memcpy(firms[i].credit, credit, sizeof(credit));
		snprintf(firms[i].industry, sizeof(firms[i].industry), "%s", ind);
		ymd_parse(reg, &firms[i].reg);
		firms[i].park = pi;
		firms[i].silent = demo_rnd(100) < 7;
		parkd__v1__create_firm_request__init(&req);
		parkd__v1__firm__init(&f);
		f.credit_code = credit;
		f.name = name;
		f.industry_code = ind;
		f.registered_on = reg;
		f.tech_based = demo_rnd(100) < 86;
		f.srdi = demo_rnd(100) < 11;
		req.firm = &f;
		if (demo_send(ctl, "CreateFirm", &req.base) != 0)
			return (-1);
	}
	return (demo_drain(ctl, "CreateFirm"));
}

static void
report(const char *what)
{
	printf("%-34s %5d stored, %4d already there, %4d refused by the "
	    "rules, %d failed\n", what, demo_tally.created,
	    demo_tally.existed, demo_tally.refused, demo_tally.failed);
	demo_tally.created = demo_tally.existed = demo_tally.refused = 0;
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

		e = ymd_add_months(f->reg, (int)demo_rnd(20));
		/* the programme's policy starts in 2024 */
		if (e.y < 2024) {
			e.y = 2024;
			e.m = 1 + (int)demo_rnd(6);
		}
		if (ymd_days(&e) > ymd_days(&t))
			e = t;
		ymd_format(&e, date);
		parkd__v1__enter_firm_request__init(&req);
		req.park_code = parks[f->park].code;
		req.credit_code = f->credit;
		req.entry_date = date;
		req.area = (int64_t)(30 + demo_rnd(170)) * 100;
		f->entry = e;
		if (demo_send(ctl, "EnterFirm", &req.base) != 0)
			return (-1);
		track_n = i + 1;
	}
	i = demo_drain(ctl, "EnterFirm");
	track = NULL;
	return (i);
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
		rc = demo_load_facts(ctl, firms, nfirms);
	report("certificates, financing");
	if (rc == 0)
		rc = demo_load_graduations(ctl, firms, nfirms);
	report("graduations");
	if (rc == 0)
		rc = demo_load_park_year(ctl, parks, nparks, firms, nfirms);
	report("reports, activities (pushes)");
	if (rc == 0)
		rc = demo_load_eval_inputs(ctl, parks, nparks);
	report("awards");
	free(firms);
	free(parks);
	return (rc == 0 && demo_tally.failed == 0 ? 0 : 1);
}
