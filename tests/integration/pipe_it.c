/*
 * Reads on the pipelined read connections (core/dbpipe.c, issue 10): many
 * principals' reads share connections and batches, each still sees only
 * its own scope; a read that fails in PostgreSQL fails alone, and the ones
 * PostgreSQL skipped after it in the same batch are sent again.
 * Part of the integration suite (it.h).
 */

#include "it.h"

#define ROUNDS	20

/*
 * Every request of one round, as one principal, sent before any answer;
 * ids[] their request ids (answers may come in any order).
 */
static void
pipe_send_round(struct parkc *pc, uint64_t ids[3])
{
	Parkd__V1__GetFirmRequest	 ga = PARKD__V1__GET_FIRM_REQUEST__INIT;
	Parkd__V1__GetFirmRequest	 gb = PARKD__V1__GET_FIRM_REQUEST__INIT;
	Parkd__V1__ListTenanciesRequest	 lt =
	    PARKD__V1__LIST_TENANCIES_REQUEST__INIT;

	ga.credit_code = sc_code[FA];
	gb.credit_code = sc_code[FB];
	lt.page_size = 100;
	assert_int_equal(parkc_send(pc, "GetFirm", &ga.base, "", &ids[0]), 0);
	assert_int_equal(parkc_send(pc, "GetFirm", &gb.base, "", &ids[1]), 0);
	assert_int_equal(parkc_send(pc, "ListTenancies", &lt.base, "",
	    &ids[2]), 0);
}

/*
 * The answers of one round, in order: want_a and want_b the codes of the
 * two GetFirm, park the only park ListTenancies may show (NULL: any, and
 * at least both).
 */
static void
pipe_check_round(struct parkc *pc, const uint64_t ids[3], int want_a,
    int want_b, const char *park)
{
	Parkd__V1__Response		*resp;
	struct parkc_result		 res;
	Parkd__V1__ListTenanciesResponse *l;
	int				 want[2] = { want_a, want_b }, i, k;
	size_t				 t;
	int				 seen_a = 0, seen_b = 0;

	for (k = 0; k < 3; k++) {
		assert_int_equal(parkc_recv(pc, &resp), 0);
		for (i = 0; i < 3 && ids[i] != resp->id; i++)
			;
		assert_true(i < 3);
		assert_int_equal(parkc_decode(i < 2 ? "GetFirm" :
		    "ListTenancies", resp, &res), 0);
		if (i < 2) {
			if (res.code != want[i])
				fail_msg("GetFirm %d as %s-scope: code %d "
				    "(%s), want %d", i, park ? park : "city",
				    res.code, res.message, want[i]);
			parkc_result_free(&res);
			continue;
		}
		assert_int_equal(res.code, 0);
		l = (void *)res.body;
		for (t = 0; t < l->n_tenancies; t++) {
			if (park != NULL && strcmp(l->tenancies[t]->park_code,
			    park) != 0)
				fail_msg("ListTenancies as %s showed a tenancy "
				    "of %s", park, l->tenancies[t]->park_code);
			seen_a |= strcmp(l->tenancies[t]->park_code,
			    "SC-A") == 0;
			seen_b |= strcmp(l->tenancies[t]->park_code,
			    "SC-B") == 0;
		}
		if (park == NULL)
			assert_true(seen_a && seen_b);
		else
			assert_true(l->n_tenancies > 0);
		parkc_result_free(&res);
	}
}

/*
 * Two operators and the bureau, each pipelining reads of both parks at
 * once, round after round: the batches mix three scopes on the read
 * connections, and no answer crosses a scope.
 */
void
test_pipe_scopes(void **state)
{
	struct parkc	*a, *b, *bu;
	uint64_t	 ia[3], ib[3], iu[3];
	long		 before = metric1("parkd_db_pipeline_statements_total");
	int		 r;

	(void)state;
	scope_fixture();
	a = as("scA", addr1);
	b = as("scB", addr1);
	bu = as("bureau", addr1);
	for (r = 0; r < ROUNDS; r++) {
		pipe_send_round(a, ia);
		pipe_send_round(b, ib);
		pipe_send_round(bu, iu);
		pipe_check_round(a, ia, 0, CODE(PERMISSION_DENIED), "SC-A");
		pipe_check_round(b, ib, CODE(PERMISSION_DENIED), 0, "SC-B");
		pipe_check_round(bu, iu, 0, 0, NULL);
	}
	/* they went through the read pipeline, not connections of their own */
	assert_true(metric1("parkd_db_pipeline_statements_total") - before >=
	    ROUNDS * 9);
	parkc_close(a);
	parkc_close(b);
	parkc_close(bu);
}

static void
sql_exec(const char *q)
{
	PGconn		*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult	*r = PQexec(pg, q);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", q, PQerrorMessage(pg));
	PQclear(r);
	PQfinish(pg);
}

static int
pipe_lock_waiters(void *arg)
{
	return (lock_waiting(arg) >= 2);
}

static int
pipe_queued(void *arg)
{
	return (metric1("parkd_db_pipeline_depth") >= *(long *)arg);
}

/*
 * While the table GetEvaluationResult reads is gone, that read fails with
 * a clear status; the GetFirm pipelined beside it in the same batches all
 * succeed (those after a failing one were skipped by PostgreSQL and sent
 * again), and once the table is back the read works again. A lock on parks
 * holds a GetPark on each read connection, so that the reads sent then
 * wait and go out together as one batch per connection.
 */
void
test_pipe_error_isolation(void **state)
{
	Parkd__V1__GetParkRequest	 gp = PARKD__V1__GET_PARK_REQUEST__INIT;
	Parkd__V1__GetFirmRequest	 gf = PARKD__V1__GET_FIRM_REQUEST__INIT;
	Parkd__V1__GetEvaluationResultRequest ge =
	    PARKD__V1__GET_EVALUATION_RESULT_REQUEST__INIT;
	struct parkc			*bu, *held;
	PGconn				*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult			*x;
	uint64_t			 id, failing[4];
	long				 retries, depth;
	int				 i, j, code, is_failing;

	(void)state;
	scope_fixture();
	bu = as("bureau", addr1);
	held = as("bureau", addr1);	/* max_inflight is 8 a connection */
	assert_int_equal(who_code(bu), 0);
	gp.code = "SC-A";
	gf.credit_code = sc_code[FA];
	ge.run_id = 1;
	ge.park_code = "SC-A";
	retries = metric1("parkd_db_pipeline_retries_total");
	sql_exec("ALTER TABLE evaluation_results RENAME TO "
	    "evaluation_results_away");
	x = PQexec(pg, "BEGIN; LOCK TABLE parks IN ACCESS EXCLUSIVE MODE");
	PQclear(x);
	for (i = 0; i < 8; i++)
		assert_int_equal(parkc_send(held, "GetPark", &gp.base, "",
		    &id), 0);
	if (!wait_until(pipe_lock_waiters, pg, 10000))
		fail_msg("GetPark did not wait on both read connections");
	for (i = 0; i < 4; i++) {
		assert_int_equal(parkc_send(bu, "GetEvaluationResult",
		    &ge.base, "", &failing[i]), 0);
		assert_int_equal(parkc_send(bu, "GetFirm", &gf.base, "", &id),
		    0);
	}
	depth = 16;
	if (!wait_until(pipe_queued, &depth, 10000))
		fail_msg("the reads did not queue behind the held ones");
	x = PQexec(pg, "COMMIT");
	PQclear(x);
	PQfinish(pg);
	for (i = 0; i < 8; i++)
		assert_int_equal(recv_code(held, &id), 0);
	parkc_close(held);
	for (i = 0; i < 8; i++) {
		code = recv_code(bu, &id);
		for (is_failing = 0, j = 0; j < 4; j++)
			is_failing |= failing[j] == id;
		if (is_failing)
			assert_int_equal(code, CODE(INTERNAL));
		else if (code != 0)
			fail_msg("request %llu beside a failing read: code %d",
			    (unsigned long long)id, code);
	}
	sql_exec("ALTER TABLE evaluation_results_away RENAME TO "
	    "evaluation_results");
	assert_true(metric1("parkd_db_pipeline_retries_total") > retries);
	assert_int_equal(parkc_send(bu, "GetEvaluationResult", &ge.base, "",
	    &id), 0);
	code = recv_code(bu, &id);
	assert_true(code == 0 || code == CODE(NOT_FOUND));
	parkc_close(bu);
}

/*
 * A transaction's BEGIN and first statement go in one round trip: when
 * that statement fails in PostgreSQL (the firms table renamed away), the
 * entry gets the error, nothing is kept, and the connection, back out of
 * pipeline mode and rolled back, serves the same entry once the table is
 * back.
 */
void
test_begin_folded_error(void **state)
{
	struct parkc		*bu;
	struct parkc_result	 res;
	char			 c[19], q[200];
	int			 i, code;

	(void)state;
	scope_fixture();
	bu = as("bureau", addr1);
	create_firm(bu, code_for(880, c), "I651", "2026-01-01");
	sql_exec("ALTER TABLE firms RENAME TO firms_away");
	for (i = 0; i < 3; i++) {	/* more than one pool connection */
		code = enter(bu, "SC-A", c, "2026-05-01", 1000, &res);
		if (code != CODE(INTERNAL) || strstr(res.message, "firms") ==
		    NULL)
			fail_msg("entry with firms gone: code %d (%s)", code,
			    res.message);
		parkc_result_free(&res);
	}
	sql_exec("ALTER TABLE firms_away RENAME TO firms");
	snprintf(q, sizeof(q), "SELECT count(*) FROM tenancies t JOIN firms f "
	    "ON f.id = t.firm_id WHERE f.credit_code = '%s'", c);
	assert_int_equal(sql_int(q), 0);	/* nothing kept */
	for (i = 0; i < 2; i++) {
		code = enter(bu, "SC-A", c, "2026-05-01", 1000, &res);
		parkc_result_free(&res);
		if (code == 0)
			break;
	}
	assert_int_equal(code, 0);
	parkc_close(bu);
}

/*
 * Page through a list, page_size at a time, as pc: in is the request (its
 * page_size and page_token are set here), each page at most page_size
 * long, the "id" of its elements rising across pages, the last page
 * without a token; check (if not NULL) sees each element. The number of
 * elements seen.
 */
static long
list_pages(struct parkc *pc, const char *method, ProtobufCMessage *in,
    int page_size, void (*check)(const ProtobufCMessage *, const char *),
    const char *arg)
{
	const ProtobufCFieldDescriptor	*fsize, *ftok, *list = NULL, *fid = NULL;
	const ProtobufCFieldDescriptor	*fnext = NULL;
	const ProtobufCMessage		*out;
	ProtobufCMessage *const		*v;
	struct parkc_result		 res;
	char				 tok[32] = "";
	long				 seen = 0;
	int64_t				 last = 0, id;
	size_t				 n, t;
	unsigned			 f;
	int				 pages = 0;

	fsize = protobuf_c_message_descriptor_get_field_by_name(in->descriptor,
	    "page_size");
	ftok = protobuf_c_message_descriptor_get_field_by_name(in->descriptor,
	    "page_token");
	assert_non_null(fsize);
	assert_non_null(ftok);
	*(int32_t *)(void *)((char *)in + fsize->offset) = page_size;
	do {
		*(char **)(void *)((char *)in + ftok->offset) = tok;
		assert_int_equal(call(pc, method, in, &res), 0);
		out = res.body;
		if (list == NULL) {	/* the response's list, id and token */
			for (f = 0; f < out->descriptor->n_fields &&
			    list == NULL; f++)
				if (out->descriptor->fields[f].label ==
				    PROTOBUF_C_LABEL_REPEATED)
					list = &out->descriptor->fields[f];
			assert_non_null(list);
			fid = protobuf_c_message_descriptor_get_field_by_name(
			    list->descriptor, "id");
			fnext = protobuf_c_message_descriptor_get_field_by_name(
			    out->descriptor, "next_page_token");
			assert_non_null(fid);
			assert_non_null(fnext);
		}
		n = *(const size_t *)(const void *)((const char *)out +
		    list->quantifier_offset);
		v = *(ProtobufCMessage *const *const *)(const void *)
		    ((const char *)out + list->offset);
		assert_true(n <= (size_t)page_size);
		for (t = 0; t < n; t++) {
			id = *(const int64_t *)(const void *)
			    ((const char *)v[t] + fid->offset);
			assert_true(id > last);
			last = id;
			if (check != NULL)
				check(v[t], arg);
		}
		seen += (long)n;
		snprintf(tok, sizeof(tok), "%s", *(char *const *)(const void *)
		    ((const char *)out + fnext->offset));
		parkc_result_free(&res);
		assert_true(++pages < 10000);
	} while (tok[0] != '\0');
	return (seen);
}

static void
tenancy_in_park(const ProtobufCMessage *m, const char *park)
{
	assert_string_equal(((const Parkd__V1__Tenancy *)(const void *)m)->
	    park_code, park);
}

/*
 * Tenancies, page_size at a time, filtered by park, status and credit code
 * ("" for any); those of a park are checked to be the park's.
 */
static long
list_tenancy_pages(struct parkc *pc, const char *park, const char *status,
    const char *credit_code, int page_size)
{
	Parkd__V1__ListTenanciesRequest	 lt =
	    PARKD__V1__LIST_TENANCIES_REQUEST__INIT;

	lt.park_code = (char *)park;
	lt.status = (char *)status;
	lt.credit_code = (char *)credit_code;
	return (list_pages(pc, "ListTenancies", &lt.base, page_size,
	    *park != '\0' ? tenancy_in_park : NULL, park));
}

/* Every park (or firm: firms), no filter, page_size at a time. */
static long
list_all_pages(struct parkc *pc, int firms, int page_size)
{
	Parkd__V1__ListParksRequest	 lp = PARKD__V1__LIST_PARKS_REQUEST__INIT;
	Parkd__V1__ListFirmsRequest	 lf = PARKD__V1__LIST_FIRMS_REQUEST__INIT;

	return (firms ? list_pages(pc, "ListFirms", &lf.base, page_size, NULL,
	    NULL) : list_pages(pc, "ListParks", &lp.base, page_size, NULL,
	    NULL));
}

/*
 * ListTenancies of a park: a park code alone takes a statement of its
 * page size's (tenancy_park_page_20, _100, _1000: the limit in the text);
 * with a status, tenancy_list_by_park. Every page size, below, at and
 * past each of those limits, gives every tenancy of the park once, in
 * order, for the bureau and for a park's operator. So does every other
 * ListTenancies filter (each has its statements of each page size), and the
 * lists with no filter at all: every park, firm and tenancy for the bureau
 * (their own statements of each page size), an operator's own.
 */
void
test_list_pages(void **state)
{
	static const int	 sizes[] = { 1, 7, 20, 21, 50, 100, 101, 1000 };
	struct parkc		*bu, *op;
	long			 all, active, parks, firms, tenancies, opfirms;
	long			 left;
	size_t			 i;

	(void)state;
	/* a park of 250 tenants, 50 of them gone (written directly: only
	   the reads are tested here; an applicant, in a district of its own,
	   so that no evaluation or park filter of another test sees it, and
	   deleted at the end) */
	assert_int_equal(sql_int("WITH p AS (INSERT INTO parks (code, name, "
	    "district, operator_name, operator_credit_code, "
	    "operator_legal_person, staff_count, total_area, "
	    "leading_industries, status, admitted_on) VALUES ('PG-P', "
	    "'分页测试园', '分页测试区', '分页运营', '91512081MA62K0260E', "
	    "true, 20, 1000000000, '{I65}', 'applied', NULL) RETURNING id), "
	    "f AS (INSERT INTO firms (credit_code, name, industry_code, "
	    "registered_on) SELECT '7' || lpad(i::text, 17, '0'), '分页企业' "
	    "|| i, 'I651', '2020-01-01' FROM generate_series(1, 250) i "
	    "RETURNING id), t AS (INSERT INTO tenancies (firm_id, park_id, "
	    "entry_date, area) SELECT f.id, p.id, '2021-01-01', 100 FROM f, p "
	    "RETURNING id) SELECT count(*) FROM t"), 250);
	assert_int_equal(sql_int("WITH t AS (UPDATE tenancies SET status = "
	    "'left', exit_date = '2022-01-01', exit_reason = 'test' WHERE "
	    "id IN (SELECT t.id FROM tenancies t JOIN parks p ON p.id = "
	    "t.park_id WHERE p.code = 'PG-P' AND t.id % 5 = 0) RETURNING 1) "
	    "SELECT count(*) FROM t"), 50);
	/* and 30 parks more, so that the parks' pages pass 21 rows */
	assert_int_equal(sql_int("WITH p AS (INSERT INTO parks (code, name, "
	    "district, operator_name, operator_credit_code, "
	    "operator_legal_person, staff_count, total_area, "
	    "leading_industries, status) SELECT 'PG-P' || lpad(i::text, 2, "
	    "'0'), '分页测试园' || i, '分页测试区', '分页运营', "
	    "'91512081MA62K0260E', true, 20, 1000000000, '{I65}', 'applied' "
	    "FROM generate_series(1, 30) i RETURNING 1) SELECT count(*) "
	    "FROM p"), 30);
	scope_fixture();
	bu = as("bureau", addr1);
	op = as("scA", addr1);
	all = sql_int("SELECT count(*) FROM tenancies t JOIN parks p ON "
	    "p.id = t.park_id WHERE p.code = 'SC-A'");
	active = sql_int("SELECT count(*) FROM tenancies t JOIN parks p ON "
	    "p.id = t.park_id WHERE p.code = 'SC-A' AND t.status = 'active'");
	parks = sql_int("SELECT count(*) FROM parks");
	firms = sql_int("SELECT count(*) FROM firms");
	tenancies = sql_int("SELECT count(*) FROM tenancies");
	left = sql_int("SELECT count(*) FROM tenancies WHERE status = 'left'");
	opfirms = sql_int("SELECT count(*) FROM firms f WHERE scope_firm_read("
	    "(SELECT id FROM parks WHERE code = 'SC-A'), f.id, NULL, NULL)");
	assert_true(all > 0);
	assert_true(parks > 21 && firms >= 250 && tenancies >= 250 &&
	    left >= 50);
	assert_true(opfirms > 0 && opfirms < firms);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(list_tenancy_pages(bu, "PG-P", "", "", sizes[i]),
		    250);
		assert_int_equal(list_tenancy_pages(bu, "PG-P", "active",
		    "", sizes[i]), 200);
		assert_int_equal(list_tenancy_pages(bu, "PG-P", "left",
		    "", sizes[i]), 50);
		assert_int_equal(list_tenancy_pages(op, "SC-A", "", "",
		    sizes[i]),
		    all);
		assert_int_equal(list_tenancy_pages(op, "SC-A", "active",
		    "", sizes[i]), active);
		/* the other filters: by firm, by status city-wide, an
		   operator's by status */
		assert_int_equal(list_tenancy_pages(bu, "", "",
		    "700000000000000005", sizes[i]), 1);
		assert_int_equal(list_tenancy_pages(bu, "", "left", "",
		    sizes[i]), left);
		assert_int_equal(list_tenancy_pages(op, "", "active", "",
		    sizes[i]), active);
		/* no filter at all: the bureau's lists take a statement of
		   their page size too (park_list_page_N, firm_list_page_N,
		   tenancy_list_page_N), an operator's its own */
		assert_int_equal(list_all_pages(bu, 0, sizes[i]), parks);
		assert_int_equal(list_all_pages(bu, 1, sizes[i]), firms);
		assert_int_equal(list_tenancy_pages(bu, "", "", "", sizes[i]),
		    tenancies);
		assert_int_equal(list_all_pages(op, 0, sizes[i]), 1);
		assert_int_equal(list_all_pages(op, 1, sizes[i]), opfirms);
		assert_int_equal(list_tenancy_pages(op, "", "", "", sizes[i]),
		    all);
	}
	parkc_close(bu);
	parkc_close(op);
	assert_int_equal(sql_int("WITH t AS (DELETE FROM tenancies WHERE "
	    "park_id = (SELECT id FROM parks WHERE code = 'PG-P') RETURNING "
	    "firm_id), f AS (DELETE FROM firms WHERE id IN (SELECT firm_id "
	    "FROM t) RETURNING 1), p AS (DELETE FROM parks WHERE code LIKE "
	    "'PG-P%' RETURNING 1) SELECT (SELECT count(*) FROM f) + (SELECT "
	    "count(*) FROM p)"), 281);
}
