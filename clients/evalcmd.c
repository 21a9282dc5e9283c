/*
 * parkctl eval: run, show, publish, export and report the yearly
 * evaluation. The report is one self-contained HTML page (inline SVG
 * charts, no scripts) for the bureau, in Chinese.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"

void
points(int cp, char *buf, size_t n)
{
	snprintf(buf, n, "%d.%02d", cp / 100, cp % 100);
}

static void
print_run(const Parkd__V1__EvaluationRun *r)
{
	char	 a[48], b[48], c[48];
	size_t	 i;

	fmt_yuan(r->total_fen, a, sizeof(a));
	fmt_yuan(r->requested_fen, b, sizeof(b));
	printf("evaluation run %" PRId64 " for %d (%s, policy %s): %d parks\n",
	    r->id, r->year, r->status, r->policy, r->parks);
	if (strcmp(r->status, "provisional") == 0)
		printf("provisional: made before %d ended; it can never be "
		    "published\n", r->year);
	if (strcmp(r->status, "published") == 0)
		printf("public notice %s%s; %d objection(s), %d not answered\n",
		    *r->notice_until ? "until " : "open until the run is made "
		    "final (no fixed length)", r->notice_until,
		    r->objections, r->open_objections);
	if (strcmp(r->status, "final") == 0)
		printf("final since %s; %d objection(s), all answered\n",
		    r->finalized_at, r->objections);
	if (r->corrects != 0)
		printf("corrects run %" PRId64 "\n", r->corrects);
	if (r->superseded_by != 0)
		printf("superseded by run %" PRId64 "\n", r->superseded_by);
	printf("grades:");
	for (i = 0; i < r->n_grades; i++)
		printf(" %s %s %d", r->grades[i]->grade, r->grades[i]->name,
		    r->grades[i]->parks);
	printf("%s\n", r->downgraded ? "" : "");
	if (r->downgraded)
		printf("lowered by the A/B quota: %d\n", r->downgraded);
	if (r->budget_fen >= 0) {
		fmt_yuan(r->budget_fen, c, sizeof(c));
		printf("subsidy: %s yuan paid of %s requested; budget %s", a, b,
		    c);
		fmt_yuan(r->remainder_fen, c, sizeof(c));
		printf(", remainder %s yuan\n", c);
	} else
		printf("subsidy: %s yuan (no budget set for %d)\n", a, r->year);
	if (r->n_absent > 0) {
		printf("not taking part (%zu):\n", r->n_absent);
		for (i = 0; i < r->n_absent; i++)
			printf("  %s\n", r->absent[i]);
	}
	if (r->n_warned > 0) {
		printf(strcmp(r->status, "final") == 0 ? "warned (%zu):" :
		    "graded failing, warned when the run is final (%zu):",
		    r->n_warned);
		for (i = 0; i < r->n_warned; i++)
			printf(" %s", r->warned[i]);
		printf("\n");
	} else if (strcmp(r->status, "final") == 0)
		printf("warned: none\n");
}

/* A rank, "=N" when it is shared with a neighbour (equal totals). */
void
rank_text(Parkd__V1__EvaluationResult **v, size_t n, size_t i, char *b,
    size_t len)
{
	int	 shared = (i > 0 && v[i - 1]->rank == v[i]->rank) ||
	    (i + 1 < n && v[i + 1]->rank == v[i]->rank);

	snprintf(b, len, "%s%d", shared ? "=" : "", v[i]->rank);
}

/* Every reason of a result, joined by "; " (malloc'd). */
static char *
reasons_text(const Parkd__V1__EvaluationResult *o)
{
	size_t	 i, len = 1;
	char	*t;

	for (i = 0; i < o->n_reasons; i++)
		len += strlen(o->reasons[i]) + 2;
	if ((t = calloc(1, len)) == NULL)
		return (NULL);
	for (i = 0; i < o->n_reasons; i++) {
		if (i > 0)
			strcat(t, "; ");
		strcat(t, o->reasons[i]);
	}
	return (t);
}

/* All results of a run, in rank order (paged). */
Parkd__V1__EvaluationResult **
fetch_results(struct ctl *ctl, int64_t run, size_t *n,
    struct parkc_result **keep, size_t *nkeep)
{
	Parkd__V1__ListEvaluationResultsRequest req =
	    PARKD__V1__LIST_EVALUATION_RESULTS_REQUEST__INIT;
	Parkd__V1__ListEvaluationResultsResponse *out;
	Parkd__V1__EvaluationResult **all = NULL, **na;
	struct parkc_result	 res;
	char			 tok[32] = "";
	size_t			 i;

	*n = 0;
	*nkeep = 0;
	*keep = NULL;
	req.run_id = run;
	req.page_size = 5000;
	do {
		struct parkc_result *nk;

		req.page_token = tok;
		if (ctl_call(ctl, "ListEvaluationResults", &req.base, &res) != 0)
			return (all);
		out = (Parkd__V1__ListEvaluationResultsResponse *)res.body;
		na = realloc(all, (*n + out->n_results + 1) * sizeof(*all));
		nk = realloc(*keep, (*nkeep + 1) * sizeof(**keep));
		if (na == NULL || nk == NULL)
			return (all);
		all = na;
		*keep = nk;
		for (i = 0; i < out->n_results; i++)
			all[(*n)++] = out->results[i];
		snprintf(tok, sizeof(tok), "%s", out->next_page_token);
		(*keep)[(*nkeep)++] = res;
	} while (tok[0] != '\0');
	return (all);
}

void
free_results(Parkd__V1__EvaluationResult **all, struct parkc_result *keep,
    size_t nkeep)
{
	size_t	 i;

	for (i = 0; i < nkeep; i++)
		parkc_result_free(&keep[i]);
	free(keep);
	free(all);
}

static void
ranking_table(Parkd__V1__EvaluationResult **v, size_t n, size_t max)
{
	const char	*head[] = { "rank", "park", "name", "district", "score",
	    "grade", "subsidy_yuan", "notes" };
	char		**cells;
	size_t		 i, m = n < max ? n : max;
	char		 b[64];

	if ((cells = calloc(m * 8 + 1, sizeof(char *))) == NULL)
		return;
	for (i = 0; i < m; i++) {
		rank_text(v, n, i, b, sizeof(b));
		cells[i * 8] = strdup(b);
		cells[i * 8 + 1] = strdup(v[i]->park_code);
		cells[i * 8 + 2] = strdup(v[i]->park_name);
		cells[i * 8 + 3] = strdup(v[i]->district);
		points(v[i]->total_cp, b, sizeof(b));
		cells[i * 8 + 4] = strdup(b);
		snprintf(b, sizeof(b), "%s %s", v[i]->grade, v[i]->grade_name);
		cells[i * 8 + 5] = strdup(b);
		fmt_yuan(v[i]->subsidy_fen, b, sizeof(b));
		cells[i * 8 + 6] = strdup(b);
		cells[i * 8 + 7] = reasons_text(v[i]);
	}
	pcmd_table(stdout, head, 8, (const char *const *)cells, (int)m);
	if (m < n)
		printf("... %zu more (parkctl eval show RUN, or export)\n", n - m);
	for (i = 0; i < m * 8; i++)
		free(cells[i]);
	free(cells);
}

static int
show_run(struct ctl *ctl, int64_t run, size_t max)
{
	Parkd__V1__EvaluationRunRequest	 req =
	    PARKD__V1__EVALUATION_RUN_REQUEST__INIT;
	Parkd__V1__EvaluationResult	**all;
	struct parkc_result		 res, *keep;
	size_t				 n, nkeep;

	req.run_id = run;
	if (ctl_call(ctl, "GetEvaluationRun", &req.base, &res) != 0)
		return (1);
	if (ctl->json) {
		pcmd_print(res.body, 1, stdout);
		parkc_result_free(&res);
		return (0);
	}
	print_run((Parkd__V1__EvaluationRun *)res.body);
	parkc_result_free(&res);
	all = fetch_results(ctl, run, &n, &keep, &nkeep);
	ranking_table(all, n, max);
	free_results(all, keep, nkeep);
	return (0);
}

/* One indicator's seven cells, in a person's units: yuan, percent, points. */
static void
indicator_cells(const Parkd__V1__IndicatorResult *x, char **cells)
{
	char	 b[64];

	cells[0] = strdup(x->dimension);
	cells[1] = strdup(x->name);
	if (strcmp(x->unit, "fen") == 0)
		fmt_yuan(x->raw, b, sizeof(b));
	else if (strcmp(x->unit, "bp") == 0 || strcmp(x->unit, "cp") == 0)
		fmt_hundredths(x->raw, b, sizeof(b));
	else
		snprintf(b, sizeof(b), "%" PRId64, x->raw);
	cells[2] = strdup(b);
	cells[3] = strdup(strcmp(x->unit, "fen") == 0 ? "yuan" :
	    strcmp(x->unit, "bp") == 0 ? "%" : strcmp(x->unit, "cp") == 0 ?
	    "points" : x->unit);
	points(x->score_cp, b, sizeof(b));
	cells[4] = strdup(b);
	snprintf(b, sizeof(b), "%d", x->weight);
	cells[5] = strdup(b);
	points(x->contribution_cp, b, sizeof(b));
	cells[6] = strdup(b);
}

static int
show_park(struct ctl *ctl, int64_t run, const char *park)
{
	Parkd__V1__GetEvaluationResultRequest req =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	Parkd__V1__EvaluationResult	*o;
	struct parkc_result		 res;
	const char			*head[] = { "dimension", "indicator",
	    "raw", "unit", "score", "weight", "contribution" };
	char				**cells, b[64];
	size_t				 i;

	req.run_id = run;
	req.park_code = (char *)park;
	if (ctl_call(ctl, "GetEvaluationResult", &req.base, &res) != 0)
		return (1);
	o = (Parkd__V1__EvaluationResult *)res.body;
	if (ctl->json) {
		pcmd_print(res.body, 1, stdout);
		parkc_result_free(&res);
		return (0);
	}
	points(o->total_cp, b, sizeof(b));
	printf("%s %s (%s): rank %d, score %s, grade %s %s\n", o->park_code,
	    o->park_name, o->district, o->rank, b, o->grade, o->grade_name);
	fmt_yuan(o->grade_amount_fen, b, sizeof(b));
	printf("amount of the grade: %s yuan\n", b);
	fmt_yuan(o->amount_fen, b, sizeof(b));
	printf("asked after gates, award and cap: %s yuan%s\n", b,
	    o->eligible ? "" : " (a gate failed)");
	fmt_yuan(o->subsidy_fen, b, sizeof(b));
	printf("paid: %s yuan\n", b);
	cells = calloc(o->n_indicators * 7 + 1, sizeof(char *));
	for (i = 0; cells != NULL && i < o->n_indicators; i++)
		indicator_cells(o->indicators[i], cells + i * 7);
	if (cells != NULL) {
		pcmd_table(stdout, head, 7, (const char *const *)cells,
		    (int)o->n_indicators);
		for (i = 0; i < o->n_indicators * 7; i++)
			free(cells[i]);
		free(cells);
	}
	for (i = 0; i < o->n_reasons; i++)
		printf("- %s\n", o->reasons[i]);
	parkc_result_free(&res);
	return (0);
}

static int
export_csv(struct ctl *ctl, int64_t run, const char *path)
{
	Parkd__V1__EvaluationResult	**all;
	struct parkc_result		*keep;
	size_t				 n, nkeep, i, k;
	FILE				*f;
	char				 b[64], notes[2048];

	all = fetch_results(ctl, run, &n, &keep, &nkeep);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		free_results(all, keep, nkeep);
		return (1);
	}
	fputs("\xEF\xBB\xBFrank,park_code,park_name,district,score,grade,"
	    "grade_name,eligible,amount_yuan,subsidy_yuan,consecutive_fails,"
	    "reasons\n", f);
	for (i = 0; i < n; i++) {
		Parkd__V1__EvaluationResult *r = all[i];
		size_t o = 0;

		fprintf(f, "%d,", r->rank);
		pcmd_csv_cell(f, r->park_code, 0);
		pcmd_csv_cell(f, r->park_name, 0);
		pcmd_csv_cell(f, r->district, 0);
		points(r->total_cp, b, sizeof(b));
		fprintf(f, "%s,%s,", b, r->grade);
		pcmd_csv_cell(f, r->grade_name, 0);
		fprintf(f, "%s,%" PRId64 ".%02" PRId64 ",%" PRId64 ".%02" PRId64
		    ",%d,", r->eligible ? "true" : "false", r->amount_fen / 100,
		    r->amount_fen % 100, r->subsidy_fen / 100,
		    r->subsidy_fen % 100, r->consecutive_fails);
		notes[0] = '\0';
		for (k = 0; k < r->n_reasons && o < sizeof(notes); k++)
			o += (size_t)snprintf(notes + o, sizeof(notes) - o,
			    "%s%s", k ? "; " : "", r->reasons[k]);
		pcmd_csv_cell(f, notes, 1);
	}
	fclose(f);
	printf("%zu results written to %s\n", n, path);
	free_results(all, keep, nkeep);
	return (0);
}

/* ---- the HTML report ---- */

static int64_t
run_arg(const char *s)
{
	char	*end;
	long long v = strtoll(s, &end, 10);

	return (*end == '\0' && v > 0 ? v : -1);
}

/* One run-changing call (publish, finalize): the run it returns. */
static int
run_call(struct ctl *ctl, const char *method, int64_t run)
{
	Parkd__V1__EvaluationRunRequest	 req =
	    PARKD__V1__EVALUATION_RUN_REQUEST__INIT;
	struct parkc_result		 res;

	req.run_id = run;
	if (ctl_call(ctl, method, &req.base, &res) != 0)
		return (1);
	if (ctl->json)
		pcmd_print(res.body, 1, stdout);
	else
		print_run((Parkd__V1__EvaluationRun *)res.body);
	parkc_result_free(&res);
	return (0);
}

static void
print_objection(const Parkd__V1__Objection *o)
{
	printf("objection %" PRId64 " to run %" PRId64 ", park %s, filed by "
	    "%s at %s:\n  %s\n", o->id, o->run_id, o->park_code, o->filed_by,
	    o->filed_at, o->body);
	if (*o->evidence_name)
		printf("  evidence: %s (%" PRId64 " bytes, sha256 %s)\n",
		    o->evidence_name, o->evidence_size, o->evidence_sha256);
	if (*o->answer)
		printf("  answer (%s, %s at %s): %s\n", o->upheld ? "upheld" :
		    "not upheld", o->answered_by, o->answered_at, o->answer);
	else
		printf("  not answered yet\n");
}

static int
objection_reply(struct ctl *ctl, const char *method,
    const ProtobufCMessage *in)
{
	struct parkc_result	 res;

	if (ctl_call(ctl, method, in, &res) != 0)
		return (1);
	if (ctl->json)
		pcmd_print(res.body, 1, stdout);
	else
		print_objection((Parkd__V1__Objection *)res.body);
	parkc_result_free(&res);
	return (0);
}

static int
list_objections(struct ctl *ctl, int64_t run)
{
	Parkd__V1__ListObjectionsRequest req =
	    PARKD__V1__LIST_OBJECTIONS_REQUEST__INIT;
	Parkd__V1__ListObjectionsResponse *out;
	struct parkc_result	 res;
	size_t			 i;

	req.run_id = run;
	if (ctl_call(ctl, "ListObjections", &req.base, &res) != 0)
		return (1);
	out = (Parkd__V1__ListObjectionsResponse *)res.body;
	if (ctl->json)
		pcmd_print(res.body, 1, stdout);
	else if (out->n_objections == 0)
		printf("no objections to run %" PRId64 "\n", run);
	for (i = 0; !ctl->json && i < out->n_objections; i++)
		print_objection(out->objections[i]);
	parkc_result_free(&res);
	return (0);
}

/*
 * eval objections RUN | object RUN --park CODE [--file F] TEXT |
 * objection-file OBJECTION FILE | answer OBJECTION [--upheld] TEXT;
 * -1 if argv is none of them.
 */
static int
objection_cmd(struct ctl *ctl, int64_t id, int argc, char **argv)
{
	int	 rc;

	if (strcmp(argv[0], "objections") == 0 && argc == 2)
		return (list_objections(ctl, id));
	if (strcmp(argv[0], "object") == 0 && (argc == 5 || (argc == 7 &&
	    strcmp(argv[4], "--file") == 0)) && strcmp(argv[2], "--park") == 0) {
		Parkd__V1__FileObjectionRequest req =
		    PARKD__V1__FILE_OBJECTION_REQUEST__INIT;
		const char	*slash;

		req.run_id = id;
		req.park_code = argv[3];
		req.body = argv[argc - 1];
		if (argc == 7) {
			slash = strrchr(argv[5], '/');
			req.evidence_name = slash ? (char *)slash + 1 : argv[5];
			if ((req.evidence.data = slurp(argv[5],
			    &req.evidence.len)) == NULL)
				return (1);
		}
		rc = objection_reply(ctl, "FileObjection", &req.base);
		free(req.evidence.data);
		return (rc);
	}
	if (strcmp(argv[0], "objection-file") == 0 && argc == 3) {
		Parkd__V1__ObjectionEvidenceRequest req =
		    PARKD__V1__OBJECTION_EVIDENCE_REQUEST__INIT;

		req.objection_id = id;
		return (save_evidence(ctl, "GetObjectionEvidence", &req.base,
		    argv[2]));
	}
	if (strcmp(argv[0], "answer") == 0 && (argc == 3 || (argc == 4 &&
	    strcmp(argv[2], "--upheld") == 0))) {
		Parkd__V1__AnswerObjectionRequest req =
		    PARKD__V1__ANSWER_OBJECTION_REQUEST__INIT;

		req.objection_id = id;
		req.upheld = argc == 4;
		req.answer = argv[argc - 1];
		return (objection_reply(ctl, "AnswerObjection", &req.base));
	}
	return (-1);
}

/* eval run --year Y [--provisional] [--corrects RUN] [--top N] */
static int
create_run(struct ctl *ctl, int argc, char **argv)
{
	Parkd__V1__CreateEvaluationRunRequest req =
	    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
	struct parkc_result	 res;
	size_t			 top = (size_t)-1;
	int64_t			 run;
	int			 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--provisional") == 0)
			req.provisional = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--year") == 0)
			req.year = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--corrects") == 0) {
			if ((req.corrects = run_arg(argv[++i])) < 0)
				return (-1);
		} else if (i + 1 < argc && strcmp(argv[i], "--top") == 0)
			top = (size_t)atoi(argv[++i]);
		else
			return (-1);
	}
	if (req.year == 0)
		return (-1);
	if (ctl_call(ctl, "CreateEvaluationRun", &req.base, &res) != 0)
		return (1);
	run = ((Parkd__V1__EvaluationRun *)res.body)->id;
	parkc_result_free(&res);
	return (show_run(ctl, run, top));
}

/*
 * parkctl eval run --year Y [--provisional] [--corrects RUN] [--top N] |
 *     show RUN [--park CODE] | publish RUN | finalize RUN |
 *     objections RUN | object RUN --park CODE TEXT |
 *     answer OBJECTION [--upheld] TEXT |
 *     export RUN --csv FILE | report RUN --html FILE
 */
int
eval_cmd(struct ctl *ctl, int argc, char **argv)
{
	int64_t			 run;
	int			 rc;

	if (argc >= 1 && strcmp(argv[0], "run") == 0) {
		if ((rc = create_run(ctl, argc, argv)) >= 0)
			return (rc);
		goto usage;
	}
	if (argc < 2 || (run = run_arg(argv[1])) < 0)
		goto usage;
	if (strcmp(argv[0], "show") == 0 && argc == 2)
		return (show_run(ctl, run, (size_t)-1));
	if (strcmp(argv[0], "show") == 0 && argc == 4 &&
	    strcmp(argv[2], "--park") == 0)
		return (show_park(ctl, run, argv[3]));
	if (strcmp(argv[0], "publish") == 0 && argc == 2)
		return (run_call(ctl, "PublishEvaluationRun", run));
	if (strcmp(argv[0], "finalize") == 0 && argc == 2)
		return (run_call(ctl, "FinalizeEvaluationRun", run));
	if ((rc = objection_cmd(ctl, run, argc, argv)) >= 0)
		return (rc);
	if (strcmp(argv[0], "export") == 0 && argc == 4 &&
	    strcmp(argv[2], "--csv") == 0)
		return (ctl_connect(ctl) != 0 ? 1 : export_csv(ctl, run,
		    argv[3]));
	if (strcmp(argv[0], "report") == 0 && argc == 4 &&
	    strcmp(argv[2], "--html") == 0)
		return (report_html(ctl, run, argv[3]));
usage:
	fprintf(stderr, "usage: parkctl eval run --year Y [--provisional] "
	    "[--corrects RUN] [--top N]\n"
	    "       parkctl eval show RUN [--park CODE]\n"
	    "       parkctl eval publish RUN      (opens the public notice)\n"
	    "       parkctl eval finalize RUN     (after the notice; warns)\n"
	    "       parkctl eval objections RUN\n"
	    "       parkctl eval object RUN --park CODE [--file F] TEXT\n"
	    "       parkctl eval objection-file OBJECTION FILE\n"
	    "       parkctl eval answer OBJECTION [--upheld] TEXT\n"
	    "       parkctl eval export RUN --csv FILE\n"
	    "       parkctl eval report RUN --html FILE\n");
	return (2);
}
