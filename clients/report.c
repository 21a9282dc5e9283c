/*
 * parkctl eval report: the bureau's report of a run, one self-contained
 * HTML page in Chinese (inline SVG charts, no scripts): the summary and
 * charts, the ranking, every park's score by dimension, the experts'
 * scores, the objections of the public notice and their answers, and the
 * comparison with the previous year's final run when there is one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"

static void
html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

/* A horizontal bar chart: labels, values, a maximum; values as text too. */
static void
svg_bars(FILE *f, const char *id, const char *title, const char **labels,
    const int64_t *values, const char **texts, int n, int64_t max,
    const char *color)
{
	int	 i, w = 520, h = 34 * n + 20;

	fprintf(f, "<figure><figcaption>%s</figcaption>\n<svg id=\"%s\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"%d\" "
	    "role=\"img\">\n", title, id, h);
	for (i = 0; i < n; i++) {
		int64_t bw = max > 0 ? values[i] * w / max : 0;

		if (bw > w)
			bw = w;
		if (bw < 0)
			bw = 0;
		fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"14\">", 34 * i +
		    24);
		html_text(f, labels[i]);
		fprintf(f, "</text><rect class=\"bar\" data-label=\"");
		html_text(f, labels[i]);
		fprintf(f, "\" data-value=\"%" PRId64 "\" x=\"130\" y=\"%d\" "
		    "width=\"%" PRId64 "\" height=\"22\" fill=\"%s\"/>"
		    "<text x=\"%" PRId64 "\" y=\"%d\" font-size=\"13\">", values[i],
		    34 * i + 8, bw, color, 136 + bw, 34 * i + 24);
		html_text(f, texts[i]);
		fputs("</text>\n", f);
	}
	fputs("</svg></figure>\n", f);
}

static void
chart_grades(FILE *f, const Parkd__V1__EvaluationRun *r)
{
	const char	*gl[8], *gt[8];
	int64_t		 gv[8], gmax = 1;
	char		 gtb[8][32];
	size_t		 i;

	for (i = 0; i < r->n_grades && i < 8; i++) {
		gl[i] = r->grades[i]->name;
		gv[i] = r->grades[i]->parks;
		snprintf(gtb[i], sizeof(gtb[i]), "%s %d 个", r->grades[i]->grade,
		    r->grades[i]->parks);
		gt[i] = gtb[i];
		if (gv[i] > gmax)
			gmax = gv[i];
	}
	fputs("<h2>等级分布</h2>\n", f);
	svg_bars(f, "chart-grades", "各等级园区数量", gl, gv, gt,
	    (int)i, gmax, "#3b7dd8");
}

static void
chart_budget(FILE *f, const Parkd__V1__EvaluationRun *r)
{
	const char	*bl[3] = { "补贴申领总额", "实际补贴总额", "年度预算" };
	const char	*bt[3];
	int64_t		 bv[3];
	char		 btb[3][64], y[48];
	size_t		 i;

	bv[0] = r->requested_fen;
	bv[1] = r->total_fen;
	bv[2] = r->budget_fen >= 0 ? r->budget_fen : 0;
	for (i = 0; i < 3; i++) {
		fmt_yuan(bv[i], y, sizeof(y));
		snprintf(btb[i], sizeof(btb[i]), "%s 元", y);
		bt[i] = btb[i];
	}
	if (r->budget_fen < 0)
		bt[2] = "未设定";
	fputs("<h2>补贴总额与预算</h2>\n", f);
	svg_bars(f, "chart-budget", "补贴总额（元）与年度预算", bl, bv, bt, 3,
	    bv[0] > bv[2] ? bv[0] : bv[2], "#d8873b");
}

/* Target i: have of want, and the share done in tenths of a percent. */
static void
target_text(size_t i, int64_t have, int64_t want, int64_t done, char *buf,
    size_t len)
{
	if (i == 3)		/* revenue: 亿元 */
		snprintf(buf, len, "%" PRId64 ".%02" PRId64 " / %" PRId64 " (%"
		    PRId64 ".%" PRId64 "%%)", have / (int64_t)10000000000,
		    have / 100000000 % 100, want / (int64_t)10000000000,
		    done / 10, done % 10);
	else if (i == 7)	/* a share in basis points */
		snprintf(buf, len, "%" PRId64 ".%02" PRId64 "%% / %" PRId64 "%%",
		    have / 100, have % 100, want / 100);
	else
		snprintf(buf, len, "%" PRId64 " / %" PRId64 " (%" PRId64 ".%"
		    PRId64 "%%)", have, want, done / 10, done % 10);
}

static void
chart_targets(FILE *f, const Parkd__V1__CityFigures *c,
    const Parkd__V1__CityFigures *t)
{
	static const char *names[8] = { "孵化基地（个）", "在孵企业（家）",
	    "孵化面积（平方米）", "营业收入（亿元）", "带动就业（人）",
	    "高新技术企业（家）", "专精特新企业（家）", "科技型企业占比" };
	int64_t	 have[8] = { c->parks, c->firms, c->area / 100, c->revenue_fen,
	    c->jobs, c->high_tech, c->srdi, c->tech_share_bp };
	int64_t	 want[8] = { t->parks, t->firms, t->area / 100, t->revenue_fen,
	    t->jobs, t->high_tech, t->srdi, t->tech_share_bp };
	const char *tl[8], *tt[8];
	int64_t	 tv[8];
	char	 ttb[8][96];
	size_t	 i;

	for (i = 0; i < 8; i++) {
		tl[i] = names[i];
		tv[i] = want[i] > 0 ? have[i] * 1000 / want[i] : 0;
		target_text(i, have[i], want[i], tv[i], ttb[i], sizeof(ttb[i]));
		tt[i] = ttb[i];
	}
	fputs("<h2>城市目标完成情况</h2>\n", f);
	svg_bars(f, "chart-targets", "完成值 / 目标值（条长为完成比例，"
	    "满格为目标）", tl, tv, tt, 8, 1000, "#3ba55c");
}

static void
report_charts(FILE *f, const Parkd__V1__EvaluationRun *r)
{
	chart_grades(f, r);
	chart_budget(f, r);
	if (r->city != NULL && r->targets != NULL)
		chart_targets(f, r->city, r->targets);
}

static void
report_table(FILE *f, Parkd__V1__EvaluationResult **v, size_t n)
{
	size_t	 i, k;
	char	 b[64];

	fputs("<h2>排名与补贴</h2>\n<table id=\"ranking\">\n<thead><tr>"
	    "<th>排名</th><th>园区</th><th>名称</th><th>区市</th><th>得分</th>"
	    "<th>等级</th><th>补贴（元）</th><th>说明</th></tr></thead>\n"
	    "<tbody>\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "<tr data-park=\"");
		html_text(f, v[i]->park_code);
		rank_text(v, n, i, b, sizeof(b));
		fprintf(f, "\" data-subsidy-fen=\"%" PRId64 "\"><td>%s</td><td>",
		    v[i]->subsidy_fen, b);
		html_text(f, v[i]->park_code);
		fputs("</td><td>", f);
		html_text(f, v[i]->park_name);
		fputs("</td><td>", f);
		html_text(f, v[i]->district);
		points(v[i]->total_cp, b, sizeof(b));
		fprintf(f, "</td><td class=\"num\">%s</td><td>%s ", b,
		    v[i]->grade);
		html_text(f, v[i]->grade_name);
		fmt_yuan(v[i]->subsidy_fen, b, sizeof(b));
		fprintf(f, "</td><td class=\"num\">%s</td><td>", b);
		for (k = 0; k < v[i]->n_reasons; k++) {
			if (k > 0)
				fputs("<br>", f);
			html_text(f, v[i]->reasons[k]);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/*
 * Every park's score by dimension (the sum of its indicators'
 * contributions), from each park's full result; 0 if every park was read.
 */
static int
report_dimensions(FILE *f, struct ctl *ctl, int64_t run,
    Parkd__V1__EvaluationResult **v, size_t n, int *has_expert)
{
	Parkd__V1__GetEvaluationResultRequest req =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	Parkd__V1__EvaluationResult	*o;
	struct parkc_result		 res;
	char				 dims[8][64], b[32];
	int				 sum[8], nd = 0, d;
	size_t				 i, k;

	*has_expert = 0;
	fputs("<h2>各园区分项得分</h2>\n<table id=\"dimensions\">\n", f);
	for (i = 0; i < n; i++) {
		req.run_id = run;
		req.park_code = v[i]->park_code;
		if (ctl_call(ctl, "GetEvaluationResult", &req.base, &res) != 0)
			return (-1);
		o = (Parkd__V1__EvaluationResult *)res.body;
		memset(sum, 0, sizeof(sum));
		for (k = 0; k < o->n_indicators; k++) {
			for (d = 0; d < nd; d++)
				if (strcmp(dims[d], o->indicators[k]->dimension) ==
				    0)
					break;
			if (d == nd && nd < 8)
				snprintf(dims[nd++], sizeof(dims[0]), "%s",
				    o->indicators[k]->dimension);
			if (d < 8)
				sum[d] += o->indicators[k]->contribution_cp;
			*has_expert |= strcmp(o->indicators[k]->unit, "cp") == 0;
		}
		if (i == 0) {
			fputs("<thead><tr><th>园区</th>", f);
			for (d = 0; d < nd; d++) {
				fputs("<th>", f);
				html_text(f, dims[d]);
				fputs("</th>", f);
			}
			fputs("<th>总分</th></tr></thead>\n<tbody>\n", f);
		}
		fputs("<tr data-dims=\"", f);
		html_text(f, o->park_code);
		fputs("\"><td>", f);
		html_text(f, o->park_code);
		fputs("</td>", f);
		for (d = 0; d < nd; d++) {
			points(sum[d], b, sizeof(b));
			fprintf(f, "<td class=\"num\">%s</td>", b);
		}
		points(o->total_cp, b, sizeof(b));
		fprintf(f, "<td class=\"num\">%s</td></tr>\n", b);
		parkc_result_free(&res);
	}
	fputs("</tbody></table>\n", f);
	return (0);
}

/* Every expert's scores of every park, conflicts and comments. */
static int
report_experts(FILE *f, struct ctl *ctl, int year,
    Parkd__V1__EvaluationResult **v, size_t n)
{
	Parkd__V1__ListScoresRequest	 req =
	    PARKD__V1__LIST_SCORES_REQUEST__INIT;
	Parkd__V1__ListScoresResponse	*o;
	struct parkc_result		 res;
	size_t				 i, j, k;
	char				 b[32];

	fputs("<h2>专家评分</h2>\n<table id=\"experts\">\n<thead><tr>"
	    "<th>园区</th><th>专家</th><th>评分</th><th>意见</th></tr></thead>"
	    "\n<tbody>\n", f);
	for (i = 0; i < n; i++) {
		req.park_code = v[i]->park_code;
		req.year = year;
		if (ctl_call(ctl, "ListScores", &req.base, &res) != 0)
			return (-1);
		o = (Parkd__V1__ListScoresResponse *)res.body;
		for (j = 0; j < o->n_reviews; j++) {
			Parkd__V1__ExpertReview *r = o->reviews[j];

			fputs("<tr class=\"expert\"><td>", f);
			html_text(f, v[i]->park_code);
			fputs("</td><td>", f);
			html_text(f, r->expert);
			fputs("</td><td>", f);
			if (*r->conflict != '\0') {
				fputs("回避（利益冲突）：", f);
				html_text(f, r->conflict);
			} else if (*r->submitted_at == '\0')
				fputs("未评分", f);
			for (k = 0; k < r->n_scores; k++) {
				points(r->scores[k]->score_cp, b, sizeof(b));
				fprintf(f, "%s", k ? "；" : "");
				html_text(f, r->scores[k]->indicator);
				fprintf(f, " %s", b);
			}
			fputs("</td><td>", f);
			html_text(f, r->comment);
			fputs("</td></tr>\n", f);
		}
		parkc_result_free(&res);
	}
	fputs("</tbody></table>\n", f);
	return (0);
}

/* The objections to run (and to the run it corrects) and the answers. */
static int
report_objections(FILE *f, struct ctl *ctl, const Parkd__V1__EvaluationRun *r)
{
	Parkd__V1__ListObjectionsRequest req =
	    PARKD__V1__LIST_OBJECTIONS_REQUEST__INIT;
	Parkd__V1__ListObjectionsResponse *o;
	struct parkc_result		 res;
	int64_t				 runs[2] = { r->id, r->corrects };
	size_t				 i, k, shown = 0;

	fputs("<h2>公示异议及答复</h2>\n<table id=\"objections\">\n<thead>"
	    "<tr><th>批次</th><th>园区</th><th>异议</th><th>答复</th>"
	    "<th>结论</th></tr></thead>\n<tbody>\n", f);
	for (k = 0; k < 2 && runs[k] != 0; k++) {
		req.run_id = runs[k];
		if (ctl_call(ctl, "ListObjections", &req.base, &res) != 0)
			return (-1);
		o = (Parkd__V1__ListObjectionsResponse *)res.body;
		for (i = 0; i < o->n_objections; i++, shown++) {
			Parkd__V1__Objection *x = o->objections[i];

			fprintf(f, "<tr class=\"objection\"><td>%" PRId64
			    "</td><td>", x->run_id);
			html_text(f, x->park_code);
			fputs("</td><td>", f);
			html_text(f, x->body);
			fputs("</td><td>", f);
			html_text(f, *x->answer ? x->answer : "（尚未答复）");
			fprintf(f, "</td><td>%s</td></tr>\n", !*x->answer ? "" :
			    x->upheld ? "采纳，已更正" : "不予采纳");
		}
		parkc_result_free(&res);
	}
	if (shown == 0)
		fputs("<tr><td colspan=\"5\">公示期内无异议。</td></tr>\n", f);
	fputs("</tbody></table>\n", f);
	return (0);
}

/* The latest final run of the year before r's, or 0. */
static int64_t
previous_final(struct ctl *ctl, int year)
{
	Parkd__V1__ListEvaluationRunsRequest req =
	    PARKD__V1__LIST_EVALUATION_RUNS_REQUEST__INIT;
	Parkd__V1__ListEvaluationRunsResponse *o;
	struct parkc_result		 res;
	int64_t				 id = 0;
	size_t				 i;

	req.year = year - 1;
	if (ctl_call(ctl, "ListEvaluationRuns", &req.base, &res) != 0)
		return (0);
	o = (Parkd__V1__ListEvaluationRunsResponse *)res.body;
	for (i = 0; i < o->n_runs; i++)
		if (strcmp(o->runs[i]->status, "final") == 0)
			id = o->runs[i]->id;
	parkc_result_free(&res);
	return (id);
}

/* Each park's score and grade beside last year's final ones. */
static void
report_previous(FILE *f, struct ctl *ctl, int year,
    Parkd__V1__EvaluationResult **v, size_t n)
{
	Parkd__V1__EvaluationResult	**pv;
	struct parkc_result		*keep;
	size_t				 np, nkeep, i, j;
	int64_t				 prev = previous_final(ctl, year);
	char				 a[32], b[32], c[32];

	if (prev == 0)
		return;
	pv = fetch_results(ctl, prev, &np, &keep, &nkeep);
	fprintf(f, "<h2>与上年比较</h2>\n<p>上年（%d 年度）最终结果：评估批次 "
	    "%" PRId64 "。</p>\n<table id=\"previous\">\n<thead><tr><th>园区"
	    "</th><th>上年得分</th><th>上年等级</th><th>本年得分</th><th>本年"
	    "等级</th><th>得分变化</th></tr></thead>\n<tbody>\n", year - 1,
	    prev);
	for (i = 0; i < n; i++) {
		for (j = 0; j < np; j++)
			if (strcmp(pv[j]->park_code, v[i]->park_code) == 0)
				break;
		fputs("<tr data-previous=\"", f);
		html_text(f, v[i]->park_code);
		fputs("\"><td>", f);
		html_text(f, v[i]->park_code);
		points(v[i]->total_cp, b, sizeof(b));
		if (j == np) {
			fprintf(f, "</td><td>—</td><td>未参评</td><td class=\"num\">"
			    "%s</td><td>%s</td><td></td></tr>\n", b,
			    v[i]->grade);
			continue;
		}
		points(pv[j]->total_cp, a, sizeof(a));
		points(v[i]->total_cp - pv[j]->total_cp < 0 ?
		    pv[j]->total_cp - v[i]->total_cp :
		    v[i]->total_cp - pv[j]->total_cp, c, sizeof(c));
		fprintf(f, "</td><td class=\"num\">%s</td><td>%s</td><td "
		    "class=\"num\">%s</td><td>%s</td><td class=\"num\">%s%s</td>"
		    "</tr>\n", a, pv[j]->grade, b, v[i]->grade,
		    v[i]->total_cp < pv[j]->total_cp ? "−" : "+", c);
	}
	fputs("</tbody></table>\n", f);
	free_results(pv, keep, nkeep);
}

static const char *
status_zh(const char *status)
{
	static const char *const m[][2] = { { "draft", "草稿" },
	    { "provisional", "预评估（年度未结束，不可发布）" },
	    { "published", "公示中" }, { "final", "最终结果" },
	    { "superseded", "已被更正批次取代" } };
	size_t	 i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(status, m[i][0]) == 0)
			return (m[i][1]);
	return (status);
}

/* The page's head and title, and the run's summary line. */
static void
report_head(FILE *f, const Parkd__V1__EvaluationRun *r)
{
	char	 a[48], b[48];

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta "
	    "charset=\"utf-8\"><title>%d 年度创业孵化基地绩效评估报告</title>\n"
	    "<style>body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\","
	    "\"Microsoft YaHei\",sans-serif;margin:2em;color:#222}"
	    "table{border-collapse:collapse;font-size:13px}td,th{border:1px "
	    "solid #ccc;padding:3px 6px}td.num{text-align:right}"
	    "figure{margin:0 0 1.5em}figcaption{color:#555;margin:.3em 0}"
	    ".cards span{display:inline-block;margin-right:2em}</style>"
	    "</head><body>\n", r->year);
	fprintf(f, "<h1>%d 年度创业孵化基地绩效评估报告</h1>\n", r->year);
	fmt_yuan(r->total_fen, a, sizeof(a));
	fprintf(f, "<p class=\"cards\" id=\"summary\" data-run=\"%" PRId64 "\" "
	    "data-total-fen=\"%" PRId64 "\" data-parks=\"%d\"><span>评估批次 "
	    "%" PRId64 "（%s）</span><span>政策 ", r->id, r->total_fen,
	    r->parks, r->id, status_zh(r->status));
	html_text(f, r->policy);
	fprintf(f, "</span><span>参评园区 %d 个</span><span id=\"total\">"
	    "补贴总额 %s 元</span>", r->parks, a);
	if (r->budget_fen >= 0) {
		fmt_yuan(r->budget_fen, a, sizeof(a));
		fmt_yuan(r->remainder_fen, b, sizeof(b));
		fprintf(f, "<span>年度预算 %s 元，结余 %s 元</span>", a, b);
	}
	fputs("</p>\n", f);
}

int
report_html(struct ctl *ctl, int64_t run, const char *path)
{
	Parkd__V1__EvaluationRunRequest	 req =
	    PARKD__V1__EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationRun	*r;
	Parkd__V1__EvaluationResult	**all;
	struct parkc_result		 res, *keep;
	size_t				 n, nkeep;
	FILE				*f;
	int				 has_expert = 0;

	req.run_id = run;
	if (ctl_call(ctl, "GetEvaluationRun", &req.base, &res) != 0)
		return (1);
	r = (Parkd__V1__EvaluationRun *)res.body;
	all = fetch_results(ctl, run, &n, &keep, &nkeep);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		free_results(all, keep, nkeep);
		parkc_result_free(&res);
		return (1);
	}
	report_head(f, r);
	report_charts(f, r);
	report_table(f, all, n);
	if (report_dimensions(f, ctl, run, all, n, &has_expert) != 0 ||
	    (has_expert && report_experts(f, ctl, r->year, all, n) != 0) ||
	    report_objections(f, ctl, r) != 0) {
		fclose(f);
		free_results(all, keep, nkeep);
		parkc_result_free(&res);
		return (1);
	}
	report_previous(f, ctl, r->year, all, n);
	fprintf(f, "<p>金额单位：元（精确到分）。得分满分 100 分；"
	    "等级与补贴由评估政策 ");
	html_text(f, r->policy);
	fprintf(f, " 确定。</p>\n</body></html>\n");
	fclose(f);
	printf("report written to %s\n", path);
	free_results(all, keep, nkeep);
	parkc_result_free(&res);
	return (0);
}

