/*
 * parkctl expert: an expert's scores as a person gives them (points with
 * up to two decimals, exact), and a park's scores as a table. Assignment
 * and conflicts are generic commands (assign-expert, declare-conflict,
 * list-assignments).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "pcmd.h"

/* "85", "85.5", "85.25" (0..100) as centi-points; -1 if not one. */
static int
points_cp(const char *s)
{
	int	 whole = 0, frac = 0, digits = 0;

	if (*s == '\0')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++)
		if ((whole = whole * 10 + (*s - '0')) > 100)
			return (-1);
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && digits < 2; s++, digits++)
			frac = frac * 10 + (*s - '0');
	if (*s != '\0')
		return (-1);
	if (digits == 1)
		frac *= 10;
	return (whole * 100 + frac > 10000 ? -1 : whole * 100 + frac);
}

static int
score(struct ctl *ctl, const char *park, int year, const char *comment,
    int n, char **kv)
{
	Parkd__V1__SubmitScoresRequest req =
	    PARKD__V1__SUBMIT_SCORES_REQUEST__INIT;
	Parkd__V1__ExpertScore	*s, **v;
	struct parkc_result	 res;
	char			*eq;
	int			 i, rc = 1;

	s = calloc((size_t)n + 1, sizeof(*s));
	v = calloc((size_t)n + 1, sizeof(*v));
	if (s == NULL || v == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		parkd__v1__expert_score__init(&s[i]);
		if ((eq = strchr(kv[i], '=')) == NULL ||
		    (s[i].score_cp = points_cp(eq + 1)) < 0) {
			fprintf(stderr, "parkctl: '%s': give INDICATOR=POINTS, "
			    "points 0..100 with at most two decimals\n", kv[i]);
			goto out;
		}
		*eq = '\0';
		s[i].indicator = kv[i];
		v[i] = &s[i];
	}
	req.park_code = (char *)park;
	req.year = year;
	req.comment = (char *)comment;
	req.scores = v;
	req.n_scores = (size_t)n;
	if (ctl_call(ctl, "SubmitScores", &req.base, &res) != 0)
		goto out;
	if (ctl->json)
		pcmd_print(res.body, 1, stdout);
	else
		printf("scores of %s for %d submitted at %s\n", park, year,
		    ((Parkd__V1__ExpertReview *)res.body)->submitted_at);
	parkc_result_free(&res);
	rc = 0;
out:
	free(s);
	free(v);
	return (rc);
}

static int
scores(struct ctl *ctl, const char *park, int year)
{
	Parkd__V1__ListScoresRequest req = PARKD__V1__LIST_SCORES_REQUEST__INIT;
	Parkd__V1__ListScoresResponse *o;
	struct parkc_result	 res;
	size_t			 i, k;

	req.park_code = (char *)park;
	req.year = year;
	if (ctl_call(ctl, "ListScores", &req.base, &res) != 0)
		return (1);
	o = (Parkd__V1__ListScoresResponse *)res.body;
	if (ctl->json)
		pcmd_print(res.body, 1, stdout);
	for (i = 0; !ctl->json && i < o->n_reviews; i++) {
		Parkd__V1__ExpertReview *r = o->reviews[i];

		printf("%s: ", r->expert);
		if (*r->conflict)
			printf("conflict of interest declared (%s)\n",
			    r->conflict);
		else if (!*r->submitted_at)
			printf("not scored yet\n");
		else {
			for (k = 0; k < r->n_scores; k++)
				printf("%s%s %d.%02d", k ? ", " : "",
				    r->scores[k]->indicator,
				    r->scores[k]->score_cp / 100,
				    r->scores[k]->score_cp % 100);
			printf("%s%s\n", *r->comment ? " — " : "", r->comment);
		}
	}
	parkc_result_free(&res);
	return (0);
}

/*
 * parkctl expert score PARK --year Y [--comment TEXT] KEY=POINTS... |
 *     scores PARK --year Y
 */
int
expert_cmd(struct ctl *ctl, int argc, char **argv)
{
	const char	*comment = "";
	int		 year = 0, i = 2;

	if (argc < 4)
		goto usage;
	for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
		if (strcmp(argv[i], "--year") == 0)
			year = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--comment") == 0)
			comment = argv[i + 1];
		else
			goto usage;
	}
	if (year == 0)
		goto usage;
	if (strcmp(argv[0], "score") == 0 && i < argc)
		return (score(ctl, argv[1], year, comment, argc - i, argv + i));
	if (strcmp(argv[0], "scores") == 0 && i == argc)
		return (scores(ctl, argv[1], year));
usage:
	fprintf(stderr, "usage: parkctl expert score PARK --year Y [--comment "
	    "TEXT] INDICATOR=POINTS...\n"
	    "       parkctl expert scores PARK --year Y\n");
	return (2);
}
