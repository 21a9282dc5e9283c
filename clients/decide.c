/*
 * parkctl decide FILE.csv: decisions in bulk — exit-firm, warn-park and
 * exit-park rows, or the sweep's own proposals (parkctl sweep --csv) —
 * each row applied on its own, or all or nothing (--all-or-nothing: every
 * row is checked first against parkd — an exit's rule must be among the
 * sweep's proposals on its date, a park must be in a status the decision
 * takes — and nothing is applied unless every row passes). Refused rows go
 * to FILE.refused.csv (or --refused), with the reason, as sync does.
 *
 * Columns, by header name, any order: decision (exit-firm | warn-park |
 * exit-park; or kind, as the sweep writes it: graduate, clear, park),
 * subject (a credit code or a park code; or credit_code / park_code), rule,
 * date (default --date, else today), reason (or detail).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"

#define DCOLS	8

struct drow {
	char	*f[DCOLS];		/* decision, subject, rule, date, reason,
					 * kind, park_code, credit_code */
	char	*refused;		/* why, or NULL */
	const char *dec;		/* exit-firm, warn-park, exit-park */
	int	 line;
};

enum { C_DECISION, C_SUBJECT, C_RULE, C_DATE, C_REASON, C_KIND, C_PARK,
    C_CREDIT };
static const char *const dnames[DCOLS] = { "decision", "subject", "rule",
    "date", "reason", "kind", "park_code", "credit_code" };

struct dfile {
	int		 col[64];	/* file column -> C_*, or -1 */
	int		 ncols;
	int		 header;	/* the header row is read */
	char		*cell[64];	/* the row being read */
	int		 ncell;
	struct drow	*rows;
	size_t		 n, cap;
	int		 line;
	int		 oom;
};

static void
field_cb(void *s, size_t len, void *arg)
{
	struct dfile	*d = arg;

	if (d->ncell < 64)
		d->cell[d->ncell++] = strndup(s, len);
}

/* Room for one more row; 0, or -1 when memory ran out. */
static int
grow(struct dfile *d)
{
	struct drow	*r;
	size_t		 cap = d->cap ? d->cap * 2 : 64;

	if (d->n < d->cap)
		return (0);
	if ((r = reallocarray(d->rows, cap, sizeof(*r))) == NULL)
		return (-1);
	d->rows = r;
	d->cap = cap;
	return (0);
}

static void
row_cb(int c, void *arg)
{
	struct dfile	*d = arg;
	struct drow	*r;
	int		 i, k;

	(void)c;
	d->line++;
	if (!d->header) {
		for (i = 0; i < d->ncell; i++) {
			const char *h = d->cell[i];

			if (i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0)
				h += 3;		/* a BOM */
			d->col[i] = -1;
			for (k = 0; k < DCOLS; k++)
				if (strcmp(h, dnames[k]) == 0)
					d->col[i] = k;
			if (strcmp(h, "detail") == 0)
				d->col[i] = C_REASON;
		}
		d->ncols = d->ncell;
		d->header = 1;
	} else if (grow(d) != 0)
		d->oom = 1;
	else {
		r = &d->rows[d->n++];
		memset(r, 0, sizeof(*r));
		r->line = d->line;
		for (i = 0; i < d->ncell && i < d->ncols; i++)
			if (d->col[i] >= 0 && r->f[d->col[i]] == NULL) {
				r->f[d->col[i]] = d->cell[i];
				d->cell[i] = NULL;
			}
	}
	for (i = 0; i < d->ncell; i++)
		free(d->cell[i]);
	d->ncell = 0;
}

static int
read_decisions(const char *path, struct dfile *d)
{
	struct csv_parser	 cp;
	FILE			*f;
	char			 buf[8192];
	size_t			 n;
	int			 rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	csv_init(&cp, CSV_APPEND_NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (csv_parse(&cp, buf, n, field_cb, row_cb, d) != n) {
			fprintf(stderr, "parkctl: %s: %s\n", path,
			    csv_strerror(csv_error(&cp)));
			rc = -1;
			break;
		}
	csv_fini(&cp, field_cb, row_cb, d);
	csv_free(&cp);
	fclose(f);
	if (rc == 0 && d->oom) {
		fprintf(stderr, "parkctl: out of memory\n");
		rc = -1;
	}
	return (rc);
}

static const char *
val(const struct drow *r, int c)
{
	return (r->f[c] != NULL ? r->f[c] : "");
}

static void
refuse(struct drow *r, const char *fmt, const char *a)
{
	char	 b[512];

	snprintf(b, sizeof(b), fmt, a);
	free(r->refused);
	r->refused = strdup(b);
}

/*
 * The row's decision, from its columns: exit-firm (kind graduate, clear or
 * leave; its subject a credit code), warn-park, exit-park. NULL: refused.
 */
static const char *
normalise(struct drow *r, const char *today)
{
	const char	*dec = val(r, C_DECISION), *kind = val(r, C_KIND);

	if (*dec == '\0') {
		if (strcmp(kind, "graduate") == 0 || strcmp(kind, "clear") == 0)
			dec = "exit-firm";
		else if (strcmp(kind, "park") == 0)
			dec = strcmp(val(r, C_RULE), "park.exit_evaluation") == 0 ?
			    "exit-park" : "warn-park";
		else {
			refuse(r, "'%s' is not a decision (decision: exit-firm, "
			    "warn-park or exit-park)", *kind ? kind : "(none)");
			return (NULL);
		}
	}
	if (r->f[C_SUBJECT] == NULL)
		r->f[C_SUBJECT] = strdup(strcmp(dec, "exit-firm") == 0 ?
		    val(r, C_CREDIT) : val(r, C_PARK));
	if (*val(r, C_SUBJECT) == '\0') {
		refuse(r, "%s needs a subject (a credit code or park code)", dec);
		return (NULL);
	}
	if (r->f[C_DATE] == NULL || *r->f[C_DATE] == '\0') {
		free(r->f[C_DATE]);
		r->f[C_DATE] = strdup(today);
	}
	if (strcmp(dec, "exit-firm") == 0) {
		if (*kind == '\0' || (strcmp(kind, "graduate") != 0 &&
		    strcmp(kind, "clear") != 0 && strcmp(kind, "leave") != 0)) {
			/* the rule says which: firm.graduate.*, firm.clear.* */
			kind = strncmp(val(r, C_RULE), "firm.clear.", 11) == 0 ?
			    "clear" : strncmp(val(r, C_RULE), "firm.graduate.", 14)
			    == 0 ? "graduate" : "";
			free(r->f[C_KIND]);
			r->f[C_KIND] = strdup(kind);
		}
		if (*val(r, C_KIND) == '\0') {
			refuse(r, "exit-firm needs kind (graduate, clear, leave) "
			    "or a firm.graduate.* / firm.clear.* rule%s", "");
			return (NULL);
		}
		return ("exit-firm");
	}
	if (strcmp(dec, "warn-park") != 0 && strcmp(dec, "exit-park") != 0) {
		refuse(r, "'%s' is not a decision (exit-firm, warn-park, "
		    "exit-park)", dec);
		return (NULL);
	}
	return (dec);
}

/* Would the row pass? Its rule among the sweep's, the park's status. */
static int
precheck(struct ctl *ctl, struct drow *r, const char *dec)
{
	struct parkc_result	 res;
	int			 ok = 0;
	size_t			 i;

	if (strcmp(dec, "exit-firm") == 0) {
		Parkd__V1__RunSweepRequest req = PARKD__V1__RUN_SWEEP_REQUEST__INIT;
		Parkd__V1__RunSweepResponse *o;

		if (strcmp(val(r, C_KIND), "leave") == 0)
			return (0);
		req.as_of = r->f[C_DATE];
		if (parkc_call(ctl->pc, "RunSweep", &req.base, ctl->idem, &res) !=
		    0 || res.code != 0) {
			refuse(r, "the sweep could not be run: %s", res.code ?
			    res.message : parkc_error(ctl->pc));
			if (res.code)
				parkc_result_free(&res);
			return (-1);
		}
		o = (Parkd__V1__RunSweepResponse *)res.body;
		for (i = 0; i < o->n_proposals; i++)
			ok |= strcmp(o->proposals[i]->subject, val(r, C_SUBJECT))
			    == 0 && strcmp(o->proposals[i]->rule, val(r, C_RULE))
			    == 0;
		parkc_result_free(&res);
		if (!ok)
			refuse(r, "rule %s does not hold for it on that date (not "
			    "among the sweep's proposals)", val(r, C_RULE));
		return (ok ? 0 : -1);
	} else {
		Parkd__V1__GetParkRequest req = PARKD__V1__GET_PARK_REQUEST__INIT;
		const char *st;

		req.code = r->f[C_SUBJECT];
		if (parkc_call(ctl->pc, "GetPark", &req.base, ctl->idem, &res) !=
		    0 || res.code != 0) {
			refuse(r, "no such park (%s)", res.code ? res.message :
			    parkc_error(ctl->pc));
			if (res.code)
				parkc_result_free(&res);
			return (-1);
		}
		st = ((Parkd__V1__Park *)res.body)->status;
		ok = strcmp(dec, "warn-park") == 0 ? strcmp(st, "admitted") == 0 :
		    strcmp(st, "exited") != 0;
		if (!ok)
			refuse(r, "the park is %s", st);
		parkc_result_free(&res);
		return (ok ? 0 : -1);
	}
}

/* Apply the row's decision; 0, or -1 with r->refused set. */
static int
apply(struct ctl *ctl, struct drow *r, const char *dec)
{
	struct parkc_result	 res;
	int			 rc;
	char			 why[512];

	if (strcmp(dec, "exit-firm") == 0) {
		Parkd__V1__ExitFirmRequest req = PARKD__V1__EXIT_FIRM_REQUEST__INIT;

		req.credit_code = r->f[C_SUBJECT];
		req.kind = r->f[C_KIND];
		req.rule = (char *)val(r, C_RULE);
		req.exit_date = r->f[C_DATE];
		req.reason = (char *)val(r, C_REASON);
		rc = parkc_call(ctl->pc, "ExitFirm", &req.base, ctl->idem, &res);
	} else {
		Parkd__V1__ParkDecisionRequest req =
		    PARKD__V1__PARK_DECISION_REQUEST__INIT;

		req.park_code = r->f[C_SUBJECT];
		req.date = r->f[C_DATE];
		req.reason = (char *)(*val(r, C_REASON) ? val(r, C_REASON) :
		    val(r, C_RULE));
		rc = parkc_call(ctl->pc, strcmp(dec, "warn-park") == 0 ?
		    "WarnPark" : "ExitPark", &req.base, ctl->idem, &res);
	}
	if (rc != 0) {
		refuse(r, "%s", parkc_error(ctl->pc));
		return (-1);
	}
	if (res.code != 0) {
		snprintf(why, sizeof(why), "%s%s%s", res.message,
		    res.status && res.status->n_violations ? ": " : "",
		    res.status && res.status->n_violations ?
		    res.status->violations[0]->message : "");
		refuse(r, "%s", why);
		parkc_result_free(&res);
		return (-1);
	}
	parkc_result_free(&res);
	return (0);
}

static int
write_refused(const char *path, const struct dfile *d)
{
	FILE	*f;
	size_t	 i;
	int	 k;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	fputs("line,", f);
	for (k = 0; k < DCOLS; k++)
		pcmd_csv_cell(f, dnames[k], 0);
	pcmd_csv_cell(f, "refused", 1);
	for (i = 0; i < d->n; i++) {
		if (d->rows[i].refused == NULL)
			continue;
		fprintf(f, "%d,", d->rows[i].line);
		for (k = 0; k < DCOLS; k++)
			pcmd_csv_cell(f, val(&d->rows[i], k), 0);
		pcmd_csv_cell(f, d->rows[i].refused, 1);
	}
	fclose(f);
	return (0);
}

static void
free_file(struct dfile *d)
{
	size_t	 i;
	int	 k;

	for (i = 0; i < d->n; i++) {
		for (k = 0; k < DCOLS; k++)
			free(d->rows[i].f[k]);
		free(d->rows[i].refused);
	}
	free(d->rows);
}

/*
 * Apply the rows not refused yet; how many are refused now. All or
 * nothing: a row refused now (a change since its check) stops the run and
 * marks the rest not applied.
 */
static size_t
apply_rows(struct ctl *ctl, struct dfile *d, int all, const char *path,
    size_t *applied)
{
	size_t	 i, refused = 0;

	for (i = 0; i < d->n; i++) {
		if (d->rows[i].refused != NULL)
			continue;
		if (apply(ctl, &d->rows[i], d->rows[i].dec) == 0)
			(*applied)++;
		else {
			refused++;
			if (all) {
				printf("%s: row %d refused after %zu applied "
				    "(a change since the check); the rest not "
				    "applied\n", path, d->rows[i].line, *applied);
				for (i++; i < d->n; i++)
					if (d->rows[i].refused == NULL) {
						refuse(&d->rows[i], "not applied: "
						    "an earlier row was refused%s",
						    "");
						refused++;
					}
				break;
			}
		}
	}
	return (refused);
}

/*
 * Every row of d understood (dated today_s unless it says), and with all
 * (all or nothing) checked with parkd first; the number refused.
 */
static size_t
check_rows(struct ctl *ctl, struct dfile *d, const char *today_s, int all)
{
	size_t	 i, refused = 0;

	for (i = 0; i < d->n; i++) {
		if ((d->rows[i].dec = normalise(&d->rows[i], today_s)) == NULL)
			refused++;
		else if (all && precheck(ctl, &d->rows[i], d->rows[i].dec) != 0)
			refused++;
	}
	return (refused);
}

/*
 * parkctl decide FILE.csv [--all-or-nothing] [--refused FILE]
 *     [--date YYYY-MM-DD]
 */
int
decide_cmd(struct ctl *ctl, int argc, char **argv)
{
	struct dfile	 d;
	const char	*path = NULL, *refused_path = NULL;
	char		 today_s[11], rpath[4096];
	struct ymd	 t;
	size_t		 applied = 0, refused = 0;
	int		 all = 0, bad = 0, k, rc = 0;

	today(&t);
	ymd_format(&t, today_s);
	for (k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--all-or-nothing") == 0)
			all = 1;
		else if (strcmp(argv[k], "--refused") == 0 && k + 1 < argc)
			refused_path = argv[++k];
		else if (strcmp(argv[k], "--date") == 0 && k + 1 < argc)
			snprintf(today_s, sizeof(today_s), "%s", argv[++k]);
		else if (argv[k][0] != '-' && path == NULL)
			path = argv[k];
		else
			bad = 1;
	}
	if (path == NULL || bad) {
		fprintf(stderr, "usage: parkctl decide FILE.csv [--all-or-nothing] "
		    "[--refused FILE] [--date YYYY-MM-DD]\n");
		return (2);
	}
	if (refused_path != NULL)
		snprintf(rpath, sizeof(rpath), "%s", refused_path);
	else
		snprintf(rpath, sizeof(rpath), "%s.refused.csv", path);
	memset(&d, 0, sizeof(d));
	if (read_decisions(path, &d) != 0 || ctl_connect(ctl) != 0) {
		free_file(&d);
		return (1);
	}
	refused = check_rows(ctl, &d, today_s, all);
	if (all && refused > 0) {
		printf("%s: %zu rows, %zu refused: nothing applied "
		    "(--all-or-nothing)\n", path, d.n, refused);
		goto done;
	}
	refused += apply_rows(ctl, &d, all, path, &applied);
	printf("%s: %zu rows: %zu applied, %zu refused\n", path, d.n, applied,
	    refused);
done:
	if (refused > 0) {
		if (write_refused(rpath, &d) == 0)
			printf("refused rows, with the reason, are in %s\n", rpath);
		rc = 1;
	}
	free_file(&d);
	return (rc);
}

/* parkctl sweep [--as-of YYYY-MM-DD] --csv FILE: the proposals, for decide. */
int
sweep_cmd(struct ctl *ctl, int argc, char **argv)
{
	Parkd__V1__RunSweepRequest req = PARKD__V1__RUN_SWEEP_REQUEST__INIT;
	Parkd__V1__RunSweepResponse *o;
	struct parkc_result	 res;
	const char		*path = NULL;
	FILE			*f;
	size_t			 i;
	int			 k;

	for (k = 0; k + 1 < argc; k += 2) {
		if (strcmp(argv[k], "--as-of") == 0)
			req.as_of = argv[k + 1];
		else if (strcmp(argv[k], "--csv") == 0)
			path = argv[k + 1];
		else
			break;
	}
	if (path == NULL || k != argc) {
		fprintf(stderr, "usage: parkctl sweep [--as-of YYYY-MM-DD] --csv "
		    "FILE\n");
		return (2);
	}
	if (ctl_call(ctl, "RunSweep", &req.base, &res) != 0)
		return (1);
	o = (Parkd__V1__RunSweepResponse *)res.body;
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		parkc_result_free(&res);
		return (1);
	}
	fputs("kind,rule,subject,park_code,date,detail\n", f);
	for (i = 0; i < o->n_proposals; i++) {
		pcmd_csv_cell(f, o->proposals[i]->kind, 0);
		pcmd_csv_cell(f, o->proposals[i]->rule, 0);
		pcmd_csv_cell(f, o->proposals[i]->subject, 0);
		pcmd_csv_cell(f, o->proposals[i]->park_code, 0);
		pcmd_csv_cell(f, o->as_of, 0);
		pcmd_csv_cell(f, o->proposals[i]->detail, 1);
	}
	fclose(f);
	printf("%zu proposals of %s (policy %s) written to %s\n",
	    o->n_proposals, o->as_of, o->policy, path);
	parkc_result_free(&res);
	return (0);
}
