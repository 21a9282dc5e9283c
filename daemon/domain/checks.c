/*
 * The checks of one quarterly report or certification record, shared by the
 * single calls and the pushes (pure: no I/O, fuzzed by fuzz_sync_rows).
 */
#include <stdio.h>
#include <string.h>

#include "domain/rules.h"
#include "domain/checks.h"

/*
 * prefix + name, for the field of a violation ("report." + "quarter");
 * name itself without a prefix (a push's rows: no formatting per field).
 */
static const char *
field_name(char *buf, size_t n, const char *prefix, const char *name)
{
	if (*prefix == '\0')
		return (name);
	snprintf(buf, n, "%s%s", prefix, name);
	return (buf);
}

/* A reporting quarter that has begun. */
void
check_quarter(struct viols *v, const char *field, int year, int quarter)
{
	struct ymd	 t;

	today(&t);
	if (year < 2000 || year > LIMIT_YEAR_MAX || quarter < 1 ||
	    quarter > 4 || year * 4 + quarter - 1 > ymd_quarter_index(&t))
		viols_add(v, field, "report.period", "%d Q%d is not a quarter "
		    "that has begun", year, quarter);
}

/* A quarterly firm report, as PutFirmReport and a push check it. */
void
check_firm_report(struct viols *v, const char *prefix,
    const Parkd__V1__FirmReport *p)
{
	const char	*why;
	char		 f[64];

	if (creditcode_check(p->credit_code, &why) != 0)
		viols_add(v, field_name(f, sizeof(f), prefix, "credit_code"),
		    "credit_code.gb32100", "'%.32s': %s", p->credit_code, why);
	check_firm_report_figures(v, prefix, p);
}

/* The same without the credit code (a push checked it in an earlier row). */
void
check_firm_report_figures(struct viols *v, const char *prefix,
    const Parkd__V1__FirmReport *p)
{
	char		 f[64];

	check_quarter(v, field_name(f, sizeof(f), prefix, "quarter"), p->year,
	    p->quarter);
	viols_range(v, field_name(f, sizeof(f), prefix, "revenue"),
	    p->revenue, 0, LIMIT_FEN);
	viols_range(v, field_name(f, sizeof(f), prefix, "rnd_spend"),
	    p->rnd_spend, 0, LIMIT_FEN);
	viols_range(v, field_name(f, sizeof(f), prefix, "jobs"), p->jobs, 0,
	    LIMIT_COUNT);
	viols_range(v, field_name(f, sizeof(f), prefix, "graduate_jobs"),
	    p->graduate_jobs, 0, LIMIT_COUNT);
	viols_range(v, field_name(f, sizeof(f), prefix, "ip_granted"),
	    p->ip_granted, 0, LIMIT_COUNT);
	if (p->graduate_jobs > p->jobs)
		viols_add(v, field_name(f, sizeof(f), prefix, "graduate_jobs"),
		    "report.graduate_jobs", "%d college graduates out of %d "
		    "jobs", p->graduate_jobs, p->jobs);
}

/* A certification, as AddCertification and a push check it. */
void
check_certification(struct viols *v, const char *prefix,
    const Parkd__V1__Certification *c)
{
	static const char *const kinds[] = { "high_tech", "tech_sme", "srdi",
	    "innovative_sme", NULL };
	const char	*why;
	char		 f[64];
	int		 i, known = 0;

	if (creditcode_check(c->credit_code, &why) != 0)
		viols_add(v, field_name(f, sizeof(f), prefix, "credit_code"),
		    "credit_code.gb32100", "'%.32s': %s", c->credit_code, why);
	for (i = 0; kinds[i] != NULL; i++)
		known |= strcmp(c->kind, kinds[i]) == 0;
	if (!known)
		viols_add(v, field_name(f, sizeof(f), prefix, "kind"),
		    "certification.kind", "must be high_tech, tech_sme, srdi or "
		    "innovative_sme");
	if (!valid_text(c->number, 1, 64))
		viols_add(v, field_name(f, sizeof(f), prefix, "number"), "text",
		    "1-64 bytes of UTF-8 text");
	if (!valid_date(c->valid_from) || !valid_date(c->valid_to) ||
	    strcmp(c->valid_from, c->valid_to) > 0)
		viols_add(v, field_name(f, sizeof(f), prefix, "valid_to"),
		    "certification.dates", "valid_from and valid_to must be "
		    "dates, from <= to");
}
