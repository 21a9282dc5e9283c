/*
 * Integration tests of the annual declaration and its district review:
 * assemble, evidence (caps, duplicates, the file read back), submit (the
 * commitment letter; frozen against later syncs), return, correct,
 * resubmit, approve; the bureau's overview with late districts; and an
 * evaluation of a policy that scores approved declarations only.
 *
 * The test years 2017-2018 have their own policy (it-2017, use_declarations
 * on) and parks DC-A, DC-B (平度市) and DC-C (胶州市); operators dcA, dcB,
 * district reviewers rvPD (平度市) and rvJZ (胶州市).
 */
#include <openssl/sha.h>

#include "it.h"

#define DC_YEAR	2018

static char	 dc_firm[19];

static void
dc_policy(void)
{
	const char *const edits[][2] = {
	    { "name = \"qingdao-2024\";", "name = \"it-2017\";" },
	    { "years = [2024, 2026];", "years = [2017, 2018];" },
	    { "use_declarations = false;", "use_declarations = true;" } };

	upload_policy_variant(edits, sizeof(edits) / sizeof(edits[0]));
}

static void
dc_park(struct parkc *bu, const char *code, const char *district)
{
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;

	park_init(&p, code, district);
	p.admitted_on = "2016-01-01";
	cp.park = &p;
	expect(bu, "CreatePark", &cp.base, 0);
}

static void
report(struct parkc *pc, const char *code, int year, int quarter,
    int64_t revenue)
{
	Parkd__V1__PutFirmReportRequest	 req =
	    PARKD__V1__PUT_FIRM_REPORT_REQUEST__INIT;
	Parkd__V1__FirmReport		 f;

	parkd__v1__firm_report__init(&f);
	f.credit_code = (char *)code;
	f.year = year;
	f.quarter = quarter;
	f.revenue = revenue;
	f.jobs = 20;
	req.report = &f;
	expect(pc, "PutFirmReport", &req.base, 0);
}

/* A declaration call: the code; *out (if not NULL) its figures' revenue. */
static int
decl(struct parkc *pc, const char *method, const char *park, int year,
    struct parkc_result *keep)
{
	Parkd__V1__DeclarationRequest	 req =
	    PARKD__V1__DECLARATION_REQUEST__INIT;

	req.park_code = (char *)park;
	req.year = year;
	return (call_keep(pc, method, &req.base, keep));
}

static int64_t
declared_revenue(struct parkc *pc, const char *park)
{
	struct parkc_result	 res;
	const char		*at;
	int64_t			 v;

	assert_int_equal(decl(pc, "GetDeclaration", park, DC_YEAR, &res), 0);
	at = strstr(((Parkd__V1__Declaration *)res.body)->figures,
	    "\"revenue\":");
	assert_non_null(at);
	v = strtoll(at + strlen("\"revenue\":"), NULL, 10);
	parkc_result_free(&res);
	return (v);
}

static int
evidence(struct parkc *pc, const char *park, const char *kind,
    const uint8_t *data, size_t len, struct parkc_result *keep)
{
	Parkd__V1__AddEvidenceRequest	 req =
	    PARKD__V1__ADD_EVIDENCE_REQUEST__INIT;

	req.park_code = (char *)park;
	req.year = DC_YEAR;
	req.kind = (char *)kind;
	req.name = "承诺书.pdf";
	req.media_type = "application/pdf";
	req.content.data = (uint8_t *)data;
	req.content.len = len;
	return (call_keep(pc, "AddEvidence", &req.base, keep));
}

static int
review(struct parkc *pc, const char *park, int approve, const char *comment)
{
	Parkd__V1__ReviewDeclarationRequest req =
	    PARKD__V1__REVIEW_DECLARATION_REQUEST__INIT;
	struct parkc_result		 res;
	int				 code;

	req.park_code = (char *)park;
	req.year = DC_YEAR;
	req.approve = approve;
	req.comment = (char *)comment;
	code = call(pc, "ReviewDeclaration", &req.base, &res);
	parkc_result_free(&res);
	return (code);
}

static char *
status_of(struct parkc *pc, const char *park)
{
	struct parkc_result	 res;
	char			*s;

	assert_int_equal(decl(pc, "GetDeclaration", park, DC_YEAR, &res), 0);
	s = strdup(((Parkd__V1__Declaration *)res.body)->status);
	parkc_result_free(&res);
	return (s);
}

static void
assert_status(struct parkc *pc, const char *park, const char *want)
{
	char	*s = status_of(pc, park);

	assert_string_equal(s, want);
	free(s);
}

void
test_declarations(void **state)
{
	struct parkc		*admin = as("admin", addr1);
	struct parkc		*bu = as("bureau", addr1);
	struct parkc		*op, *opb, *ls, *sn;
	struct parkc_result	 res;
	Parkd__V1__Declaration	*d;
	Parkd__V1__Evidence	*e;
	Parkd__V1__GetEvidenceRequest ge = PARKD__V1__GET_EVIDENCE_REQUEST__INIT;
	uint8_t			 letter[4096], big[65 * 1024 + 1];
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	char			 hex[65], q[256];
	size_t			 i;
	int64_t			 ev_id;

	(void)state;
	dc_policy();
	dc_park(bu, "DC-A", "平度市");
	dc_park(bu, "DC-B", "平度市");
	dc_park(bu, "DC-C", "胶州市");
	add_principal(admin, "dcA", "operator", "DC-A");
	add_principal(admin, "dcB", "operator", "DC-B");
	add_principal_in(admin, "rvPD", "district", "", "平度市");
	add_principal_in(admin, "rvJZ", "district", "", "胶州市");
	parkc_close(admin);
	op = as("dcA", addr1);
	opb = as("dcB", addr2);
	ls = as("rvPD", addr1);
	sn = as("rvJZ", addr2);
	create_firm(bu, code_for(7701, dc_firm), "I651", "2016-06-01");
	enter_ok(bu, "DC-A", dc_firm, "2017-06-01", 5000);
	report(bu, dc_firm, DC_YEAR, 1, 1000000);
	report(bu, dc_firm, DC_YEAR, 2, 2000000);

	/* a year not ended, another park, a role that does not declare */
	assert_int_equal(decl(op, "AssembleDeclaration", "DC-A", 2026, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "year", "declaration.year_not_ended"));
	parkc_result_free(&res);
	assert_int_equal(decl(op, "AssembleDeclaration", "DC-B", DC_YEAR, NULL),
	    CODE(PERMISSION_DENIED));
	assert_int_equal(decl(ls, "AssembleDeclaration", "DC-A", DC_YEAR, NULL),
	    CODE(PERMISSION_DENIED));

	/* assembled from what was synced: the year's figures, the tenants */
	assert_int_equal(decl(op, "AssembleDeclaration", "DC-A", DC_YEAR, &res),
	    0);
	d = (Parkd__V1__Declaration *)res.body;
	assert_string_equal(d->status, "draft");
	assert_int_equal(d->n_tenants, 1);
	assert_string_equal(d->tenants[0]->credit_code, dc_firm);
	assert_non_null(strstr(d->figures, "\"tenants\": 1"));
	parkc_result_free(&res);
	assert_int_equal(declared_revenue(op, "DC-A"), 3000000);

	/* no submission without the stamped commitment letter */
	assert_int_equal(decl(op, "SubmitDeclaration", "DC-A", DC_YEAR, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "evidence",
	    "declaration.commitment_letter"));
	parkc_result_free(&res);

	/* an oversized file: refused, with the cap, and nothing stored */
	memset(big, 'x', sizeof(big));
	assert_int_equal(evidence(op, "DC-A", "other", big, sizeof(big), &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "content", "evidence.too_large"));
	assert_non_null(strstr(res.status->violations[0]->message,
	    "evidence_max_kb = 64"));
	parkc_result_free(&res);
	assert_int_equal(sql_int("SELECT count(*) FROM declaration_evidence e "
	    "JOIN declarations d ON d.id = e.declaration_id JOIN parks p ON "
	    "p.id = d.park_id WHERE p.code = 'DC-A'"), 0);

	/* the letter: stored with its SHA-256 and size, read back whole */
	for (i = 0; i < sizeof(letter); i++)
		letter[i] = (uint8_t)(i * 7 + 3);
	SHA256(letter, sizeof(letter), md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_int_equal(evidence(op, "DC-A", "commitment_letter", letter,
	    sizeof(letter), &res), 0);
	e = (Parkd__V1__Evidence *)res.body;
	assert_string_equal(e->sha256, hex);
	assert_int_equal(e->size, sizeof(letter));
	ev_id = e->id;
	parkc_result_free(&res);
	assert_int_equal(evidence(op, "DC-A", "commitment_letter", letter,
	    sizeof(letter), NULL), CODE(ALREADY_EXISTS));
	ge.id = ev_id;
	assert_int_equal(call(ls, "GetEvidence", &ge.base, &res), 0);
	e = (Parkd__V1__Evidence *)res.body;
	assert_int_equal(e->content.len, sizeof(letter));
	assert_memory_equal(e->content.data, letter, sizeof(letter));
	parkc_result_free(&res);
	assert_int_equal(call(sn, "GetEvidence", &ge.base, &res),
	    CODE(NOT_FOUND));		/* another district's */
	parkc_result_free(&res);
	assert_int_equal(call(opb, "GetEvidence", &ge.base, &res),
	    CODE(NOT_FOUND));		/* another park's */
	parkc_result_free(&res);

	/* submitted: frozen; a later sync does not change what was declared */
	assert_int_equal(decl(op, "SubmitDeclaration", "DC-A", DC_YEAR, NULL),
	    0);
	assert_status(bu, "DC-A", "submitted");
	report(bu, dc_firm, DC_YEAR, 3, 4000000);
	assert_int_equal(declared_revenue(bu, "DC-A"), 3000000);
	assert_int_equal(decl(op, "AssembleDeclaration", "DC-A", DC_YEAR, &res),
	    CODE(FAILED_PRECONDITION));
	assert_true(has_violation(&res, "park_code", "declaration.frozen"));
	parkc_result_free(&res);
	assert_int_equal(evidence(op, "DC-A", "other", letter + 1, 100, NULL),
	    CODE(FAILED_PRECONDITION));
	snprintf(q, sizeof(q), "UPDATE declarations SET figures = '{}' WHERE "
	    "park_id = (SELECT id FROM parks WHERE code = 'DC-A')");
	{
		PGconn		*pg = PQconnectdb(getenv("PARKD_DSN"));
		PGresult	*x = PQexec(pg, q);

		assert_int_equal(PQresultStatus(x), PGRES_FATAL_ERROR);
		assert_non_null(strstr(PQerrorMessage(pg), "frozen"));
		PQclear(x);
		PQfinish(pg);
	}

	/* review: the park's district only, a return says why */
	assert_int_equal(review(sn, "DC-A", 1, ""), CODE(PERMISSION_DENIED));
	assert_int_equal(review(op, "DC-A", 1, ""), CODE(PERMISSION_DENIED));
	assert_int_equal(review(ls, "DC-A", 0, ""), CODE(INVALID_ARGUMENT));
	assert_int_equal(review(ls, "DC-A", 0, "第三季度营业收入未申报，请补充。"),
	    0);
	assert_status(op, "DC-A", "returned");
	assert_int_equal(review(ls, "DC-A", 1, ""), CODE(FAILED_PRECONDITION));

	/* corrected (assembled again: the third quarter is in) and
	 * resubmitted, then approved */
	assert_int_equal(decl(op, "AssembleDeclaration", "DC-A", DC_YEAR, NULL),
	    0);
	assert_status(op, "DC-A", "returned");
	assert_int_equal(declared_revenue(op, "DC-A"), 7000000);
	assert_int_equal(decl(op, "SubmitDeclaration", "DC-A", DC_YEAR, NULL),
	    0);
	assert_int_equal(review(ls, "DC-A", 1, "同意。"), 0);
	assert_int_equal(decl(sn, "GetDeclaration", "DC-A", DC_YEAR, NULL),
	    CODE(PERMISSION_DENIED));
	assert_int_equal(decl(ls, "GetDeclaration", "DC-A", DC_YEAR, &res), 0);
	d = (Parkd__V1__Declaration *)res.body;
	assert_string_equal(d->status, "approved");
	{
		static const char *const steps[] = { "assembled", "evidence",
		    "submitted", "returned", "assembled", "submitted",
		    "approved" };

		assert_int_equal(d->n_events, 7);
		for (i = 0; i < 7; i++)
			assert_string_equal(d->events[i]->action, steps[i]);
		assert_string_equal(d->events[3]->actor, "rvPD");
		assert_non_null(strstr(d->events[3]->comment, "营业收入"));
	}
	parkc_result_free(&res);
	/* DC-B assembles and submits, never approved (late district) */
	assert_int_equal(decl(opb, "AssembleDeclaration", "DC-B", DC_YEAR,
	    NULL), 0);

	/* the bureau's overview: every park of the year, late districts */
	{
		Parkd__V1__DeclarationStatusRequest sr =
		    PARKD__V1__DECLARATION_STATUS_REQUEST__INIT;
		Parkd__V1__DeclarationStatusResponse *o;
		int	 seen = 0;

		sr.year = DC_YEAR;
		assert_int_equal(call(bu, "DeclarationStatus", &sr.base, &res),
		    0);
		o = (Parkd__V1__DeclarationStatusResponse *)res.body;
		assert_string_equal(o->deadline, "2019-03-31");
		for (i = 0; i < o->n_parks; i++) {
			if (strcmp(o->parks[i]->park_code, "DC-A") == 0)
				seen += strcmp(o->parks[i]->status,
				    "approved") == 0;
			if (strcmp(o->parks[i]->park_code, "DC-B") == 0)
				seen += strcmp(o->parks[i]->status, "draft") == 0;
			if (strcmp(o->parks[i]->park_code, "DC-C") == 0)
				seen += strcmp(o->parks[i]->status,
				    "not_started") == 0;
		}
		assert_int_equal(seen, 3);
		for (i = 0; i < o->n_districts; i++) {
			if (strcmp(o->districts[i]->district, "平度市") != 0)
				continue;
			assert_int_equal(o->districts[i]->approved, 1);
			assert_int_equal(o->districts[i]->draft, 1);
			assert_true(o->districts[i]->late);
			seen++;
		}
		assert_int_equal(seen, 4);
		parkc_result_free(&res);
		/* a district reviewer sees its district only */
		assert_int_equal(call(sn, "DeclarationStatus", &sr.base, &res),
		    0);
		o = (Parkd__V1__DeclarationStatusResponse *)res.body;
		for (i = 0; i < o->n_parks; i++)
			assert_string_equal(o->parks[i]->district, "胶州市");
		parkc_result_free(&res);
	}

	/* the evaluation scores the declared figures; the others are out */
	{
		Parkd__V1__CreateEvaluationRunRequest cr =
		    PARKD__V1__CREATE_EVALUATION_RUN_REQUEST__INIT;
		Parkd__V1__GetEvaluationResultRequest g =
		    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
		Parkd__V1__EvaluationRun	*r;
		Parkd__V1__EvaluationResult	*o;
		int				 absent = 0;

		report(bu, dc_firm, DC_YEAR, 4, 9000000);	/* after approval */
		cr.year = DC_YEAR;
		assert_int_equal(call(bu, "CreateEvaluationRun", &cr.base,
		    &res), 0);
		r = (Parkd__V1__EvaluationRun *)res.body;
		g.run_id = r->id;
		for (i = 0; i < r->n_absent; i++)
			absent += (strncmp(r->absent[i], "DC-B:", 5) == 0 ||
			    strncmp(r->absent[i], "DC-C:", 5) == 0) &&
			    strstr(r->absent[i], "申报") != NULL;
		assert_int_equal(absent, 2);
		parkc_result_free(&res);
		g.park_code = "DC-A";
		assert_int_equal(call(bu, "GetEvaluationResult", &g.base, &res),
		    0);
		o = (Parkd__V1__EvaluationResult *)res.body;
		assert_string_equal(o->indicators[4]->key, "revenue");
		assert_int_equal(o->indicators[4]->raw, 7000000);
		parkc_result_free(&res);
		g.park_code = "DC-B";
		assert_int_equal(call(bu, "GetEvaluationResult", &g.base, &res),
		    CODE(NOT_FOUND));
		parkc_result_free(&res);
	}
	parkc_close(op);
	parkc_close(opb);
	parkc_close(ls);
	parkc_close(sn);
	parkc_close(bu);
}
