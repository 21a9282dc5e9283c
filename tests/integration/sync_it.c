/*
 * Integration tests of operator sync: good and bad rows, replay, SIGKILL of
 * parkd in the middle of a push, and two operators pushing at once.
 * Part of the integration suite (it.h).
 */

#include "it.h"




/* A push with good and bad rows applies exactly the good ones; replay. */
void
test_sync_good_and_bad(void **state)
{
	struct parkc			*op = as("opA", addr1);
	Parkd__V1__SyncChunkRequest	 ch = PARKD__V1__SYNC_CHUNK_REQUEST__INIT;
	Parkd__V1__SyncChunkResponse	*cr;
	Parkd__V1__FirmReport		 fr[6], *fp[6];
	Parkd__V1__SyncOutcome		 o = PARKD__V1__SYNC_OUTCOME__INIT;
	struct parkc_result		 res;
	char				 tenant[19], stranger[19], q[256];
	int				 i, done;
	int64_t				 id;

	(void)state;
	rules_city();				/* its firms and tenancies */
	code_for(401, tenant);			/* active in IT-A */
	code_for(999, stranger);		/* no such firm */
	for (i = 0; i < 6; i++) {
		parkd__v1__firm_report__init(&fr[i]);
		fr[i].credit_code = tenant;
		fr[i].year = 2026;
		fr[i].quarter = i + 1;
		fr[i].revenue = 100000 * (i + 1);
		fr[i].jobs = 10;
		fr[i].graduate_jobs = 4;
		fp[i] = &fr[i];
	}
	fr[3].quarter = 5;			/* row 5: no such quarter */
	fr[4].credit_code = stranger;		/* row 6: unknown firm */
	fr[4].quarter = 1;
	fr[5].quarter = 2;
	fr[5].graduate_jobs = 11;		/* row 7: more graduates */
	id = begin_sync(op, "IT-A", "firm_reports", "it-sync-1", &done, NULL);
	assert_false(done);
	ch.sync_id = id;
	ch.first_row = 2;
	ch.firm_reports = fp;
	ch.n_firm_reports = 6;
	assert_int_equal(call(op, "SyncChunk", &ch.base, &res), 0);
	cr = (Parkd__V1__SyncChunkResponse *)res.body;
	assert_int_equal(cr->accepted, 3);
	assert_int_equal(cr->n_refused, 3);
	assert_int_equal(cr->refused[0]->row, 5);
	assert_string_equal(cr->refused[0]->violations[0]->rule,
	    "report.period");
	parkc_result_free(&res);
	/* nothing visible before the commit */
	snprintf(q, sizeof(q), "SELECT count(*) FROM firm_reports r JOIN "
	    "firms f ON f.id = r.firm_id WHERE f.credit_code = '%s'", tenant);
	assert_int_equal(sql_int(q), 0);
	commit_sync(op, id, &o);
	assert_int_equal(sql_int(q), 3);
	assert_int_equal(o.rows, 6);
	assert_int_equal(o.applied, 3);
	assert_int_equal(o.refused, 3);
	assert_false(o.replayed);

	/* replay: the stored outcome, nothing applied twice */
	id = begin_sync(op, "IT-A", "firm_reports", "it-sync-1", &done, &o);
	assert_true(done);
	assert_true(o.replayed);
	assert_int_equal(o.applied, 3);
	assert_int_equal(o.refused, 3);
	snprintf(q, sizeof(q), "SELECT max(r.version) FROM firm_reports r JOIN "
	    "firms f ON f.id = r.firm_id WHERE f.credit_code = '%s'", tenant);
	assert_int_equal(sql_int(q), 1);
	assert_int_equal(sql_int("SELECT count(*) FROM sync_batches WHERE "
	    "idempotency_key = 'it-sync-1'"), 1);
	assert_int_equal(sql_int("SELECT count(*) FROM sync_refusals WHERE "
	    "idempotency_key = 'it-sync-1'"), 3);
	/* one audit row for the push, under its key and its park */
	assert_int_equal(sql_int("SELECT count(*) FROM audit_log WHERE "
	    "idempotency_key = 'it-sync-1' AND object = 'park:IT-A'"), 1);
	/* a park that is not the operator's */
	{
		Parkd__V1__BeginSyncRequest b = PARKD__V1__BEGIN_SYNC_REQUEST__INIT;

		b.park_code = "IT-B";
		b.kind = "activities";
		assert_int_equal(parkc_call(op, "BeginSync", &b.base, "k-b",
		    &res), 0);
		assert_int_equal(res.code, CODE(PERMISSION_DENIED));
		parkc_result_free(&res);
	}
	parkc_close(op);
}

static void
fill_activities(Parkd__V1__Activity *a, Parkd__V1__Activity **ap,
    char (*titles)[48], int from, int n, const char *prefix,
    const char *park)
{
	int	 i;

	for (i = 0; i < n; i++) {
		parkd__v1__activity__init(&a[i]);
		snprintf(titles[i], 48, "%s-%05d", prefix, from + i);
		a[i].park_code = (char *)park;
		a[i].kind = (from + i) % 5 == 0 ? "roadshow" : "salon";
		a[i].date = "2026-06-15";
		a[i].title = titles[i];
		a[i].participants = (from + i) % 97;
		ap[i] = &a[i];
	}
}

/* Send chunks [from, to) of a 100-row-per-chunk activities push. */
static void
send_chunks(struct parkc *pc, int64_t id, int from, int to,
    const char *prefix, const char *park)
{
	static Parkd__V1__Activity	 a[100];
	static Parkd__V1__Activity	*ap[100];
	static char			 titles[100][48];
	Parkd__V1__SyncChunkRequest	 ch;
	int				 c;

	for (c = from; c < to; c++) {
		parkd__v1__sync_chunk_request__init(&ch);
		fill_activities(a, ap, titles, c * 100, 100, prefix, park);
		ch.sync_id = id;
		ch.first_row = 2 + c * 100;
		ch.activities = ap;
		ch.n_activities = 100;
		assert_int_equal(parkc_send(pc, "SyncChunk", &ch.base, "",
		    NULL), 0);
	}
}

/* parkd killed with SIGKILL mid-push, restarted, the push retried. */
void
test_sync_sigkill(void **state)
{
	struct parkc		*op = as("opA", addr1);
	Parkd__V1__SyncOutcome	 o = PARKD__V1__SYNC_OUTCOME__INIT;
	Parkd__V1__Response	*resp;
	int			 i, done;
	int64_t			 id, expect_sum = 0;

	(void)state;
	id = begin_sync(op, "IT-A", "activities", "it-kill-1", &done, NULL);
	send_chunks(op, id, 0, 10, "kill", "");
	for (i = 0; i < 10; i++) {
		assert_int_equal(recv_code(op, NULL), 0);
	}
	assert_int_equal(kill(parkd_pid(), SIGKILL), 0);
	assert_int_equal(parkc_recv(op, &resp), -1);	/* connection gone */
	parkc_close(op);
	assert_int_equal(system(getenv("PARKD_RESTART")), 0);
	/* nothing of the cut push is visible */
	assert_int_equal(sql_int("SELECT count(*) FROM activities WHERE title "
	    "LIKE 'kill-%'"), 0);

	op = as("opA", addr1);
	id = begin_sync(op, "IT-A", "activities", "it-kill-1", &done, NULL);
	assert_false(done);
	send_chunks(op, id, 0, 50, "kill", "");
	for (i = 0; i < 50; i++)
		assert_int_equal(recv_code(op, NULL), 0);
	commit_sync(op, id, &o);
	assert_int_equal(o.rows, 5000);
	assert_int_equal(o.applied, 5000);
	for (i = 0; i < 5000; i++)
		expect_sum += i % 97;
	assert_int_equal(sql_int("SELECT count(*) FROM activities WHERE title "
	    "LIKE 'kill-%'"), 5000);
	assert_int_equal(sql_int("SELECT sum(participants) FROM activities "
	    "WHERE title LIKE 'kill-%'"), expect_sum);
	assert_int_equal(sql_int("SELECT count(*) FROM activities WHERE title "
	    "LIKE 'kill-%' AND version <> 1"), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM sync_batches WHERE "
	    "idempotency_key = 'it-kill-1'"), 1);
	parkc_close(op);
}

/* Two operators pushing at once touch only their own parks. */
void
test_sync_two_operators(void **state)
{
	struct parkc		*a = as("opA", addr1), *b = as("opB", addr2);
	Parkd__V1__SyncOutcome	 oa = PARKD__V1__SYNC_OUTCOME__INIT, ob = oa;
	Parkd__V1__SyncChunkRequest ch = PARKD__V1__SYNC_CHUNK_REQUEST__INIT;
	Parkd__V1__Activity	 x, *xp = &x;
	int			 i, done;
	int64_t			 ia, ib;

	(void)state;
	ia = begin_sync(a, "IT-A", "activities", "it-dual-a", &done, NULL);
	ib = begin_sync(b, "IT-B", "activities", "it-dual-b", &done, NULL);
	for (i = 0; i < 10; i++) {
		send_chunks(a, ia, i, i + 1, "dualA", "IT-A");
		send_chunks(b, ib, i, i + 1, "dualB", "");
	}
	/* a row for the other park in each push */
	parkd__v1__activity__init(&x);
	x.park_code = "IT-B";
	x.kind = "salon";
	x.date = "2026-06-16";
	x.title = "dualA-intruder";
	ch.sync_id = ia;
	ch.first_row = 1002;
	ch.activities = &xp;
	ch.n_activities = 1;
	assert_int_equal(parkc_send(a, "SyncChunk", &ch.base, "", NULL), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(recv_code(a, NULL), 0);
		assert_int_equal(recv_code(b, NULL), 0);
	}
	assert_int_equal(recv_code(a, NULL), 0);
	commit_sync(a, ia, &oa);
	commit_sync(b, ib, &ob);
	assert_int_equal(oa.applied, 1000);
	assert_int_equal(oa.refused, 1);
	assert_int_equal(ob.applied, 1000);
	assert_int_equal(sql_int("SELECT count(*) FROM activities a JOIN parks "
	    "p ON p.id = a.park_id WHERE a.title LIKE 'dualA%' AND p.code <> "
	    "'IT-A'"), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM activities a JOIN parks "
	    "p ON p.id = a.park_id WHERE a.title LIKE 'dualB%' AND p.code <> "
	    "'IT-B'"), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM activities WHERE "
	    "title LIKE 'dualB%'"), 1000);
	parkc_close(a);
	parkc_close(b);
}

/* Fill ch with n reports of code: rows (year, quarter, revenue). */
static void
report_fill(Parkd__V1__SyncChunkRequest *ch, Parkd__V1__FirmReport *fr,
    Parkd__V1__FirmReport **fp, int64_t id, const char *code, int first,
    const int (*rows)[3], int n)
{
	int	 i;

	parkd__v1__sync_chunk_request__init(ch);
	for (i = 0; i < n; i++) {
		parkd__v1__firm_report__init(&fr[i]);
		fr[i].credit_code = (char *)code;
		fr[i].year = rows[i][0];
		fr[i].quarter = rows[i][1];
		fr[i].revenue = rows[i][2];
		fr[i].jobs = 3;
		fp[i] = &fr[i];
	}
	ch->sync_id = id;
	ch->first_row = first;
	ch->firm_reports = fp;
	ch->n_firm_reports = (size_t)n;
}

/* Send those reports as one chunk: accepted_want of them, none refused. */
static void
report_chunk(struct parkc *op, int64_t id, const char *code, int first,
    const int (*rows)[3], int n, int accepted_want)
{
	Parkd__V1__SyncChunkRequest	 ch;
	Parkd__V1__FirmReport		 fr[8], *fp[8];
	Parkd__V1__SyncChunkResponse	*cr;
	struct parkc_result		 res;

	report_fill(&ch, fr, fp, id, code, first, rows, n);
	assert_int_equal(call(op, "SyncChunk", &ch.base, &res), 0);
	cr = (Parkd__V1__SyncChunkResponse *)res.body;
	assert_int_equal(cr->accepted, accepted_want);
	assert_int_equal(cr->n_refused, 0);
	parkc_result_free(&res);
}

/* A new firm (code_for(n)) in IT-A since 2024, and a push of its reports. */
static int64_t
report_push(struct parkc *bu, struct parkc *op, int n, char *code,
    const char *key)
{
	int	 done;
	int64_t	 id;

	create_firm(bu, code_for(n, code), "I65", "2023-06-01");
	enter_ok(bu, "IT-A", code, "2024-01-02", 1000);
	id = begin_sync(op, "IT-A", "firm_reports", key, &done, NULL);
	assert_false(done);
	return (id);
}

/*
 * The two ways a push writes reports: quarters known to be new (after the
 * firm's latest stored one and after any the push wrote) in one plain
 * insert, any other looked up and updated or inserted. Out of order, a
 * quarter written twice in one push, quarters stored before it.
 */
void
test_sync_report_paths(void **state)
{
	struct parkc		*bu = as("bureau", addr1), *op = as("opA", addr1);
	Parkd__V1__SyncOutcome	 o = PARKD__V1__SYNC_OUTCOME__INIT;
	static const int	 c1[][3] = { { 2024, 2, 200 }, { 2024, 3, 300 },
				    { 2024, 1, 100 }, { 2024, 4, 400 } };
	static const int	 c2[][3] = { { 2024, 3, 333 }, { 2025, 1, 500 } };
	static const int	 c3[][3] = { { 2025, 2, 600 }, { 2025, 3, 700 } };
	char			 code[19], q[512];
	int64_t			 id;

	(void)state;
	id = report_push(bu, op, 402, code, "it-sync-paths");
	/* Q1 and Q2 of 2024 stored before the push, version 1, revenue 1 */
	snprintf(q, sizeof(q), "WITH x AS (INSERT INTO firm_reports (firm_id, "
	    "year, quarter, revenue) SELECT id, 2024, g, 1 FROM firms, "
	    "generate_series(1, 2) g WHERE credit_code = '%s' RETURNING 1) "
	    "SELECT count(*) FROM x", code);
	assert_int_equal(sql_int(q), 2);
	/* stored Q2 (update), new Q3, stored Q1 out of order, new Q4 */
	report_chunk(op, id, code, 2, c1, 4, 4);
	/* Q3 again (written by this push: update), new 2025 Q1 */
	report_chunk(op, id, code, 6, c2, 2, 2);
	/* new quarters only: the plain insert */
	report_chunk(op, id, code, 8, c3, 2, 2);
	commit_sync(op, id, &o);
	assert_int_equal(o.rows, 8);
	assert_int_equal(o.applied, 5);		/* 2024 Q3 Q4, 2025 Q1 Q2 Q3 */
	assert_int_equal(o.updated, 3);		/* 2024 Q2 Q1, Q3 again */
	assert_int_equal(o.refused, 0);
	snprintf(q, sizeof(q), "SELECT (string_agg(year || 'Q' || quarter || "
	    "'=' || revenue || 'v' || r.version, ' ' ORDER BY year, quarter) "
	    "= '2024Q1=100v2 2024Q2=200v2 2024Q3=333v2 2024Q4=400v1 "
	    "2025Q1=500v1 2025Q2=600v1 2025Q3=700v1')::int FROM firm_reports "
	    "r JOIN firms f ON f.id = r.firm_id WHERE f.credit_code = '%s'",
	    code);
	assert_int_equal(sql_int(q), 1);
	parkc_close(op);
	parkc_close(bu);
}

static int
push_waits(void *arg)
{
	return (lock_waiting(arg) > 0);
}

/*
 * A quarter the push takes for new, inserted meanwhile by another
 * transaction: the push ends UNAVAILABLE saying so, and keeps nothing.
 */
void
test_sync_report_race(void **state)
{
	struct parkc			*bu = as("bureau", addr1);
	struct parkc			*op = as("opA", addr1);
	static const int		 q1[][3] = { { 2024, 1, 10 } };
	static const int		 q2[][3] = { { 2024, 2, 20 } };
	Parkd__V1__SyncChunkRequest	 ch;
	Parkd__V1__FirmReport		 fr, *fp;
	Parkd__V1__Response		*resp;
	PGconn				*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult			*res;
	char				 code[19], q[512];
	int64_t				 id;

	(void)state;
	id = report_push(bu, op, 403, code, "it-sync-race");
	report_chunk(op, id, code, 2, q1, 1, 1);	/* the firm looked up */
	snprintf(q, sizeof(q), "BEGIN; INSERT INTO firm_reports (firm_id, "
	    "year, quarter, revenue) SELECT id, 2024, 2, 1 FROM firms WHERE "
	    "credit_code = '%s'", code);
	res = PQexec(pg, q);
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	report_fill(&ch, &fr, &fp, id, code, 3, q2, 1);
	assert_int_equal(parkc_send(op, "SyncChunk", &ch.base, "", NULL), 0);
	assert_true(wait_until(push_waits, pg, 5000));
	res = PQexec(pg, "COMMIT");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	assert_int_equal(parkc_recv(op, &resp), 0);
	assert_non_null(resp->status);
	assert_int_equal(resp->status->code, CODE(UNAVAILABLE));
	assert_non_null(strstr(resp->status->message, "same firm and quarter"));
	parkd__v1__response__free_unpacked(resp, NULL);
	/* the push's first quarter went with it; the other one stays */
	snprintf(q, sizeof(q), "SELECT (string_agg(r.quarter || '=' || "
	    "r.revenue, ' ') = '2=1')::int FROM firm_reports r JOIN firms f "
	    "ON f.id = r.firm_id WHERE f.credit_code = '%s'", code);
	assert_int_equal(sql_int(q), 1);
	PQfinish(pg);
	parkc_close(op);
	parkc_close(bu);
}
