/*
 * Integration tests: the real parkd (two of them on one PostgreSQL) over
 * real mutual TLS, driven through libparkc. Started by
 * tests/run-integration.sh, which passes addresses and paths in PARKD_*.
 */
#include "it.h"












/* Parks A and B, operators of each, and a viewer. */
static int
setup(void **state)
{
	struct parkc	*bureau = as("bureau", addr1);
	struct parkc	*admin = as("admin", addr1);

	(void)state;
	park_a = create_park(bureau, "IT-A", "崂山区");
	park_b = create_park(bureau, "IT-B", "市南区");
	add_principal(admin, "opA", "operator", "IT-A");
	add_principal(admin, "opB", "operator", "IT-B");
	add_principal(admin, "viewer", "viewer", "");
	parkc_close(bureau);
	parkc_close(admin);
	return (0);
}

void
test_park_crud(void **state)
{
	struct parkc			*pc = as("bureau", addr1);
	Parkd__V1__GetParkRequest	 get = PARKD__V1__GET_PARK_REQUEST__INIT;
	Parkd__V1__ListParksRequest	 list = PARKD__V1__LIST_PARKS_REQUEST__INIT;
	Parkd__V1__ListParksResponse	*lr;
	Parkd__V1__Park			*p;
	struct parkc_result		 res;

	(void)state;
	get.code = "IT-A";
	assert_int_equal(call(pc, "GetPark", &get.base, &res), 0);
	p = (Parkd__V1__Park *)res.body;
	assert_int_equal(p->id, park_a);
	assert_string_equal(p->district, "崂山区");
	assert_string_equal(p->name, "青岛测试软件创业孵化基地");
	assert_int_equal(p->total_area, 1234500);
	assert_int_equal(p->n_leading_industries, 2);
	assert_string_equal(p->leading_industries[1], "C39");
	/* created admitted; a published evaluation may have warned it */
	assert_true(strcmp(p->status, "admitted") == 0 ||
	    strcmp(p->status, "warned") == 0);
	assert_string_equal(p->level, "base");
	parkc_result_free(&res);

	get.code = "";
	get.id = park_b;
	assert_int_equal(call(pc, "GetPark", &get.base, &res), 0);
	assert_string_equal(((Parkd__V1__Park *)res.body)->code, "IT-B");
	parkc_result_free(&res);
	get.id = 999999;
	expect(pc, "GetPark", &get.base, CODE(NOT_FOUND));

	/* filter and paging */
	list.district = "崂山区";
	assert_int_equal(call(pc, "ListParks", &list.base, &res), 0);
	lr = (Parkd__V1__ListParksResponse *)res.body;
	assert_int_equal(lr->n_parks, 1);
	assert_string_equal(lr->parks[0]->code, "IT-A");
	parkc_result_free(&res);
	list.district = "";
	list.page_size = 1;
	assert_int_equal(call(pc, "ListParks", &list.base, &res), 0);
	lr = (Parkd__V1__ListParksResponse *)res.body;
	assert_int_equal(lr->n_parks, 1);
	assert_string_not_equal(lr->next_page_token, "");
	list.page_token = strdup(lr->next_page_token);
	parkc_result_free(&res);
	assert_int_equal(call(pc, "ListParks", &list.base, &res), 0);
	lr = (Parkd__V1__ListParksResponse *)res.body;
	assert_int_equal(lr->n_parks, 1);
	assert_string_equal(lr->parks[0]->code, "IT-B");
	parkc_result_free(&res);
	free(list.page_token);
	list.page_token = "";
	/* by level, and as many as SQL counts (planned per call) */
	list.page_size = 0;
	list.level = "base";
	assert_int_equal(call(pc, "ListParks", &list.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListParksResponse *)res.body)->n_parks,
	    sql_int("SELECT count(*) FROM parks WHERE level = 'base'"));
	parkc_result_free(&res);
	/* a status or level that is none is a mistake, not an empty list */
	list.level = "gold";
	list.status = "open";
	assert_int_equal(call(pc, "ListParks", &list.base, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "level", "park.level"));
	assert_true(has_violation(&res, "status", "park.status"));
	parkc_result_free(&res);
	parkc_close(pc);
}

void
test_park_invalid(void **state)
{
	struct parkc			*pc = as("bureau", addr1);
	Parkd__V1__CreateParkRequest	 req = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;
	struct parkc_result		 res;
	static char			*bad[] = { "X99" };

	(void)state;
	park_init(&p, "IT-BAD", "");
	p.operator_credit_code = "91350100M000100Y4Z";
	p.leading_industries = bad;
	p.n_leading_industries = 1;
	p.total_area = -5;
	req.park = &p;
	assert_int_equal(call(pc, "CreatePark", &req.base, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "park.operator_credit_code",
	    "credit_code.gb32100"));
	assert_true(has_violation(&res, "park.district", NULL));
	assert_true(has_violation(&res, "park.leading_industries", NULL));
	assert_true(has_violation(&res, "park.total_area", NULL));
	parkc_result_free(&res);
	/* nothing was stored */
	{
		Parkd__V1__GetParkRequest g = PARKD__V1__GET_PARK_REQUEST__INIT;

		g.code = "IT-BAD";
		expect(pc, "GetPark", &g.base, CODE(NOT_FOUND));
	}
	/* a duplicate code */
	park_init(&p, "IT-A", "崂山区");
	expect(pc, "CreatePark", &req.base, CODE(ALREADY_EXISTS));
	parkc_close(pc);
}



/* Two parkd on one database; a stale version overwrites nothing. */
void
test_stale_version(void **state)
{
	struct parkc	*p1 = as("bureau", addr1), *p2 = as("bureau", addr2);
	int		 staff;
	int64_t		 v0, v;

	(void)state;
	get_park(p1, park_b, &staff, &v0);
	update_staff(p2, park_b, v0, 21, 0);		/* via parkd #2 */
	get_park(p1, park_b, &staff, &v);		/* seen by #1 */
	assert_int_equal(staff, 21);
	assert_int_equal(v, v0 + 1);
	update_staff(p1, park_b, v0, 99, CODE(FAILED_PRECONDITION));
	get_park(p2, park_b, &staff, &v);
	assert_int_equal(staff, 21);
	assert_int_equal(v, v0 + 1);
	parkc_close(p1);
	parkc_close(p2);
}

void
test_firm_crud(void **state)
{
	struct parkc			*pc = as("opA", addr1);
	struct parkc			*bu = as("bureau", addr2);
	Parkd__V1__CreateFirmRequest	 req = PARKD__V1__CREATE_FIRM_REQUEST__INIT;
	Parkd__V1__UpdateFirmRequest	 upd = PARKD__V1__UPDATE_FIRM_REQUEST__INIT;
	Parkd__V1__GetFirmRequest	 get = PARKD__V1__GET_FIRM_REQUEST__INIT;
	Parkd__V1__ListFirmsRequest	 list = PARKD__V1__LIST_FIRMS_REQUEST__INIT;
	Parkd__V1__Firm			 f, *out;
	struct parkc_result		 res;
	char				*mask[] = { "name", "srdi" };

	(void)state;
	parkd__v1__firm__init(&f);
	f.credit_code = "91110000100000000R";	/* org code check fails */
	f.name = "青岛测试软件科技有限公司";
	f.industry_code = "I651";
	f.registered_on = "2025-03-01";
	f.tech_based = 1;
	req.firm = &f;
	assert_int_equal(call(pc, "CreateFirm", &req.base, &res), 0);
	assert_non_null(res.status);
	assert_int_equal(res.status->n_warnings, 1);
	assert_string_equal(res.status->warnings[0]->rule,
	    "credit_code.gb11714");
	parkc_result_free(&res);
	expect(pc, "CreateFirm", &req.base, CODE(ALREADY_EXISTS));

	f.credit_code = "91350100M000100Y4Z";
	f.industry_code = "65";
	assert_int_equal(call(pc, "CreateFirm", &req.base, &res),
	    CODE(INVALID_ARGUMENT));
	assert_true(has_violation(&res, "firm.credit_code",
	    "credit_code.gb32100"));
	assert_true(has_violation(&res, "firm.industry_code", NULL));
	parkc_result_free(&res);

	get.credit_code = "91110000100000000R";
	assert_int_equal(call(bu, "GetFirm", &get.base, &res), 0);
	out = (Parkd__V1__Firm *)res.body;
	assert_string_equal(out->industry_code, "I651");
	assert_true(out->tech_based);
	f.id = out->id;
	f.version = out->version;
	parkc_result_free(&res);

	/* update by the bureau, through the second parkd */
	f.credit_code = "";
	f.name = "青岛新名字科技有限公司";
	f.srdi = 1;
	upd.firm = &f;
	upd.update_mask = mask;
	upd.n_update_mask = 2;
	assert_int_equal(call(bu, "UpdateFirm", &upd.base, &res), 0);
	out = (Parkd__V1__Firm *)res.body;
	assert_string_equal(out->name, "青岛新名字科技有限公司");
	assert_true(out->srdi);
	assert_true(out->tech_based);		/* not in the mask: kept */
	assert_string_equal(out->industry_code, "I651");
	assert_int_equal(out->version, 2);
	parkc_result_free(&res);
	expect(bu, "UpdateFirm", &upd.base, CODE(FAILED_PRECONDITION));
	/*
	 * An operator: only firms with an active tenancy in its park, or
	 * that it registered and that never entered a park (0005_scope.sql).
	 */
	f.version = 2;
	{
		struct parkc *ob = as("opB", addr1);

		expect(ob, "UpdateFirm", &upd.base, CODE(PERMISSION_DENIED));
		expect(ob, "GetFirm", &get.base, CODE(PERMISSION_DENIED));
		parkc_close(ob);
	}
	f.name = "青岛测试软件科技有限公司";
	assert_int_equal(call(pc, "UpdateFirm", &upd.base, &res), 0);
	assert_int_equal(((Parkd__V1__Firm *)res.body)->version, 3);
	parkc_result_free(&res);

	/* it lists the firm it registered (others may be there too) */
	list.industry_prefix = "I65";
	assert_int_equal(call(pc, "ListFirms", &list.base, &res), 0);
	{
		Parkd__V1__ListFirmsResponse	*l = (void *)res.body;
		size_t				 i, mine = 0;

		for (i = 0; i < l->n_firms; i++)
			mine += strcmp(l->firms[i]->credit_code,
			    "91110000100000000R") == 0;
		assert_int_equal(mine, 1);
	}
	parkc_result_free(&res);
	parkc_close(pc);
	parkc_close(bu);
}

/* Operators are scoped to their park; viewers may not write. */
void
test_scope(void **state)
{
	struct parkc			*a = as("opA", addr1);
	struct parkc			*v = as("viewer", addr2);
	Parkd__V1__GetParkRequest	 get = PARKD__V1__GET_PARK_REQUEST__INIT;
	Parkd__V1__UpdateParkRequest	 upd = PARKD__V1__UPDATE_PARK_REQUEST__INIT;
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__CreateFirmRequest	 cf = PARKD__V1__CREATE_FIRM_REQUEST__INIT;
	Parkd__V1__UpdateFirmRequest	 uf = PARKD__V1__UPDATE_FIRM_REQUEST__INIT;
	Parkd__V1__AddPrincipalRequest	 ap = PARKD__V1__ADD_PRINCIPAL_REQUEST__INIT;
	Parkd__V1__ListParksRequest	 lp = PARKD__V1__LIST_PARKS_REQUEST__INIT;
	Parkd__V1__Park			 p;
	Parkd__V1__Firm			 f;
	struct parkc_result		 res;
	char				*mask[] = { "level" };
	int				 staff;
	int64_t				 ver;

	(void)state;
	get.id = park_a;
	expect(a, "GetPark", &get.base, 0);
	get.id = park_b;
	expect(a, "GetPark", &get.base, CODE(PERMISSION_DENIED));
	assert_int_equal(call(a, "ListParks", &lp.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListParksResponse *)res.body)->n_parks,
	    1);
	parkc_result_free(&res);
	get_park(v, park_b, &staff, &ver);
	update_staff(a, park_b, ver, 50, CODE(PERMISSION_DENIED));
	get_park(a, park_a, &staff, &ver);
	update_staff(a, park_a, ver, 15, 0);
	/* an operator may not change its park's level */
	parkd__v1__park__init(&p);
	p.id = park_a;
	p.version = ver + 1;
	p.level = "high_level";
	upd.park = &p;
	upd.update_mask = mask;
	upd.n_update_mask = 1;
	expect(a, "UpdatePark", &upd.base, CODE(PERMISSION_DENIED));
	expect(a, "ListPrincipals", &lp.base, CODE(PERMISSION_DENIED));

	/* the viewer: every write refused, reads fine */
	update_staff(v, park_a, ver + 1, 3, CODE(PERMISSION_DENIED));
	park_init(&p, "IT-V", "崂山区");
	cp.park = &p;
	expect(v, "CreatePark", &cp.base, CODE(PERMISSION_DENIED));
	parkd__v1__firm__init(&f);
	cf.firm = &f;
	expect(v, "CreateFirm", &cf.base, CODE(PERMISSION_DENIED));
	uf.firm = &f;
	expect(v, "UpdateFirm", &uf.base, CODE(PERMISSION_DENIED));
	expect(v, "AddPrincipal", &ap.base, CODE(PERMISSION_DENIED));
	expect(v, "UpdatePark", &upd.base, CODE(PERMISSION_DENIED));
	get_park(v, park_a, &staff, &ver);
	assert_int_equal(staff, 15);
	parkc_close(a);
	parkc_close(v);
}

/* Certificates: unregistered, none at all, from another CA, disabled. */
void
test_certificates(void **state)
{
	Parkd__V1__WhoAmIRequest	 who = PARKD__V1__WHO_AM_IREQUEST__INIT;
	Parkd__V1__DisablePrincipalRequest dis =
	    PARKD__V1__DISABLE_PRINCIPAL_REQUEST__INIT;
	struct parkc_result		 res;
	struct parkc			*pc, *admin;
	char				 err[512];

	(void)state;
	pc = as("nobody", addr1);
	expect(pc, "WhoAmI", &who.base, CODE(UNAUTHENTICATED));
	parkc_close(pc);

	/* No certificate / another CA: refused at the handshake (with TLS
	 * 1.3 the client may learn it on its first read). */
	pc = connect_cert(addr1, tlsdir, NULL, err, sizeof(err));
	if (pc != NULL) {
		assert_int_equal(parkc_call(pc, "WhoAmI", &who.base, "", &res),
		    -1);
		parkc_close(pc);
	}
	pc = connect_cert(addr1, getenv("PARKD_ROGUE"), "rogue", err,
	    sizeof(err));
	if (pc != NULL) {
		assert_int_equal(parkc_call(pc, "WhoAmI", &who.base, "", &res),
		    -1);
		parkc_close(pc);
	}

	/* a disabled principal loses access (one of this test's own) */
	admin = as("admin", addr1);
	add_principal(admin, "gone", "viewer", "");
	pc = as("gone", addr2);
	assert_int_equal(call(pc, "WhoAmI", &who.base, &res), 0);
	assert_string_equal(((Parkd__V1__Principal *)res.body)->role, "viewer");
	dis.fingerprint = strdup(((Parkd__V1__Principal *)res.body)->fingerprint);
	parkc_result_free(&res);
	expect(admin, "DisablePrincipal", &dis.base, 0);
	expect(pc, "WhoAmI", &who.base, CODE(UNAUTHENTICATED));
	free(dis.fingerprint);
	parkc_close(pc);
	parkc_close(admin);
}




/* Malformed input gets a clear error; parkd keeps serving. */
void
test_bad_frames(void **state)
{
	Parkd__V1__WhoAmIRequest	 who = PARKD__V1__WHO_AM_IREQUEST__INIT;
	Parkd__V1__Response		*resp;
	struct parkc_result		 res;
	struct parkc			*pc = as("bureau", addr1);
	struct parkc			*other = as("bureau", addr1);
	uint8_t				 garbage[64];
	char				 key[300];
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(0xff - i * 7);
	send_frame(pc, garbage, sizeof(garbage));
	assert_int_equal(recv_code(pc, NULL), CODE(INVALID_ARGUMENT));
	send_frame(pc, NULL, 0);	/* empty request: no method */
	assert_int_equal(recv_code(pc, NULL), CODE(INVALID_ARGUMENT));
	/* still usable after both */
	expect(pc, "WhoAmI", &who.base, 0);

	send_request(pc, 77, "NoSuchMethod", NULL, 0);
	assert_int_equal(recv_code(pc, NULL), CODE(UNIMPLEMENTED));

	send_request(pc, 78, "CreatePark", garbage, sizeof(garbage));
	assert_int_equal(recv_code(pc, NULL), CODE(INVALID_ARGUMENT));

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(parkc_call(pc, "WhoAmI", &who.base, key, &res), 0);
	assert_int_equal(res.code, CODE(INVALID_ARGUMENT));
	assert_non_null(strstr(res.message, "idempotency_key"));
	parkc_result_free(&res);

	/* oversized length prefix: error, then the connection is closed */
	assert_int_equal(parkc_send_raw(pc, "\xff\xff\xff\xff", 4), 0);
	assert_int_equal(parkc_recv(pc, &resp), 0);
	assert_int_equal(resp->status->code, CODE(RESOURCE_EXHAUSTED));
	assert_non_null(strstr(resp->status->message, "max_frame_size"));
	parkd__v1__response__free_unpacked(resp, NULL);
	assert_int_equal(parkc_recv(pc, &resp), -1);
	parkc_close(pc);
	/* the other connection was never disturbed */
	expect(other, "WhoAmI", &who.base, 0);
	parkc_close(other);
}

/* Many more pipelined requests than max_inflight: all answered once. */
void
test_pipelining(void **state)
{
	Parkd__V1__GetParkRequest	 get = PARKD__V1__GET_PARK_REQUEST__INIT;
	struct parkc			*pc = as("bureau", addr1);
	enum { N = 300 };
	uint8_t				 seen[N + 1];
	uint64_t			 id;
	int				 i;

	(void)state;
	memset(seen, 0, sizeof(seen));
	get.id = park_a;
	for (i = 0; i < N; i++)
		assert_int_equal(parkc_send(pc, "GetPark", &get.base, "", &id),
		    0);
	for (i = 0; i < N; i++) {
		assert_int_equal(recv_code(pc, &id), 0);
		assert_true(id >= 1 && id <= N);
		assert_int_equal(seen[id], 0);
		seen[id] = 1;
	}
	parkc_close(pc);
}


/*
 * Requests held in PostgreSQL (a lock) with 1 MiB bodies each: past
 * max_decode_memory_mb (16 on parkd #2) new ones are refused as busy, the
 * held ones all complete, and the connection stays usable.
 */
void
test_decode_memory(void **state)
{
	Parkd__V1__Request	 req = PARKD__V1__REQUEST__INIT;
	struct parkc		*pc = as("bureau", addr2);
	PGconn			*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult		*x;
	uint8_t			*body, *buf;
	size_t			 blen = (1u << 20) + 32, n;
	int			 i, ok = 0, busy = 0, code;

	(void)state;
	/* GetPark{code: "IT-A"} plus an unknown 1 MiB field 99 */
	body = calloc(1, blen);
	n = 0;
	body[n++] = 0x12;
	body[n++] = 4;
	memcpy(body + n, "IT-A", 4);
	n += 4;
	body[n++] = 0x9a;			/* field 99, length-delimited */
	body[n++] = 0x06;
	body[n++] = 0x80;			/* 1 MiB as a varint */
	body[n++] = 0x80;
	body[n++] = 0x40;
	n += 1u << 20;
	req.method = "GetPark";
	req.body.data = body;
	req.body.len = n;
	req.id = 1000;		/* the largest id used below, for the size */
	buf = malloc(parkd__v1__request__get_packed_size(&req));
	x = PQexec(pg, "BEGIN; LOCK TABLE parks IN ACCESS EXCLUSIVE MODE");
	PQclear(x);
	for (i = 0; i < 24; i++) {
		req.id = (uint64_t)i + 1;
		send_frame(pc, buf, (uint32_t)parkd__v1__request__pack(&req,
		    buf));
	}
	/*
	 * Time for parkd to read what it will (no event marks "read every
	 * frame it is going to": /metrics showed no request in flight here).
	 */
	usleep(500000);
	x = PQexec(pg, "COMMIT");
	PQclear(x);
	PQfinish(pg);
	for (i = 0; i < 24; i++) {
		code = recv_code(pc, NULL);
		ok += code == 0;
		busy += code == CODE(RESOURCE_EXHAUSTED);
	}
	printf("decode memory: %d answered, %d refused as busy\n", ok, busy);
	assert_int_equal(ok + busy, 24);
	assert_true(busy > 0);
	assert_true(ok >= 4);		/* ~2 MiB each: envelope + body */
	assert_int_equal(who_code(pc), 0);
	free(body);
	free(buf);
	parkc_close(pc);
}

/* A peer that stops in the middle of a frame is dropped after read_timeout. */
void
test_partial_frame_timeout(void **state)
{
	Parkd__V1__Response	*resp;
	struct parkc		*pc = as("bureau", addr1);

	(void)state;
	assert_int_equal(parkc_send_raw(pc, "\x00\x00\x01\x00" "abc", 7), 0);
	assert_int_equal(parkc_recv(pc, &resp), -1);	/* closed, ~2 s */
	parkc_close(pc);
}

static int
healthy(void *arg)
{
	(void)arg;
	return (http_status("/healthz") == 200);
}

/* PostgreSQL down: UNAVAILABLE; back up: served again, same connection. */
void
test_postgres_restart(void **state)
{
	struct parkc	*pc = as("bureau", addr1);
	int		 i, code = 0;

	(void)state;
	assert_int_equal(who_code(pc), 0);
	/* healthy once the probe has answered (every second from the start) */
	assert_true(wait_until(healthy, NULL, 5000));
	assert_int_equal(system(getenv("PARKD_PG_STOP")), 0);
	for (i = 0; i < 3; i++) {
		code = who_code(pc);
		assert_int_equal(code, CODE(UNAVAILABLE));
	}
	assert_int_equal(http_status("/healthz"), 503);
	assert_int_equal(system(getenv("PARKD_PG_START")), 0);
	for (i = 0; i < 100; i++) {
		if ((code = who_code(pc)) == 0)
			break;
		assert_int_equal(code, CODE(UNAVAILABLE));
		usleep(200000);
	}
	assert_int_equal(code, 0);
	assert_int_equal(http_status("/healthz"), 200);
	parkc_close(pc);
}





/*
 * SIGHUP reloads the config (and TLS files) without dropping connections; a
 * config that does not load is refused whole and the old one stays.
 */
void
test_sighup(void **state)
{
	const char	*conf = getenv("PARKD_CONF");
	char		*orig = read_file(conf), *text, *at;
	struct parkc	*pc = as("bureau", addr1);

	(void)state;
	assert_int_equal(who_code(pc), 0);
	assert_int_equal(frame_of_size(2000), CODE(INVALID_ARGUMENT));

	/* a bad file: refused, the 1 MiB limit still rules */
	text = calloc(1, strlen(orig) + 64);
	sprintf(text, "%sbogus_key = 1;\n", orig);
	write_text(conf, text);
	hup();
	assert_int_equal(who_code(pc), 0);
	assert_int_equal(frame_of_size(2000), CODE(INVALID_ARGUMENT));

	/* a good file with a smaller frame limit: applied */
	strcpy(text, orig);
	at = strstr(text, "max_frame_size = 1048576;");
	assert_non_null(at);
	memcpy(at, "max_frame_size = 1024;   ", 25);
	write_text(conf, text);
	hup();
	assert_int_equal(frame_of_size(2000), CODE(RESOURCE_EXHAUSTED));
	assert_int_equal(who_code(pc), 0);	/* old connection still up */

	write_text(conf, orig);
	hup();
	assert_int_equal(frame_of_size(2000), CODE(INVALID_ARGUMENT));
	free(text);
	free(orig);
	parkc_close(pc);
}



/* A peer that connects and never starts TLS costs a timer, then is closed. */
void
test_handshake_timeout(void **state)
{
	struct timeval	 tv = { 10, 0 };
	char		 buf[16];
	int		 fd;
	uint64_t	 t0, took;

	(void)state;
	assert_true((fd = tcp_connect(addr1)) >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = mono_ms();
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);	/* closed */
	took = mono_ms() - t0;
	assert_true(took >= 500 && took < 5000);
	close(fd);
}

/* Every mutation wrote an audit row in its own transaction. */
void
test_audit(void **state)
{
	struct parkc			*bu = as("bureau", addr1), *op;
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;
	int64_t				 id, version, before;
	int				 staff;

	(void)state;
	/* a park of this test: created, updated once, a stale update refused */
	id = create_park(bu, "AU-A", "审计测试区");
	get_park(bu, id, &staff, &version);
	update_staff(bu, id, version, 12, 0);
	update_staff(bu, id, version, 13, CODE(FAILED_PRECONDITION));
	/* a park refused on its fields */
	park_init(&p, "AU BAD", "审计测试区");
	cp.park = &p;
	expect(bu, "CreatePark", &cp.base, CODE(INVALID_ARGUMENT));
	parkc_close(bu);
	assert_int_equal(sql_int("SELECT count(*) FROM audit_log WHERE "
	    "object = 'park:AU-A' AND principal_name = '人社局' AND method = "
	    "'CreatePark'"), 1);
	assert_int_equal(sql_int("SELECT count(*) FROM audit_log WHERE "
	    "object = 'park:AU-A' AND method = 'UpdatePark'"), 1);
	/* refused writes left no trace */
	assert_int_equal(sql_int("SELECT count(*) FROM audit_log WHERE "
	    "object = 'park:AU BAD'"), 0);
	/* an operator's update of its park is there, under its name */
	op = as("opA", addr1);
	before = sql_int("SELECT count(*) FROM audit_log WHERE object = "
	    "'park:IT-A' AND principal_name = 'opA' AND method = 'UpdatePark'");
	get_park(op, park_a, &staff, &version);
	update_staff(op, park_a, version, staff + 1, 0);
	parkc_close(op);
	assert_int_equal(sql_int("SELECT count(*) FROM audit_log WHERE object = "
	    "'park:IT-A' AND principal_name = 'opA' AND method = "
	    "'UpdatePark'"), before + 1);
}


/* Are parkd's four pool connections all waiting on a lock? */
static int
lock_waiters(void *arg)
{
	return (lock_waiting(arg) >= 1);
}

/*
 * SIGTERM with requests in flight: a lock held here keeps GetPark waiting in
 * PostgreSQL while parkd is told to stop; released, every request is
 * answered, then the connection closes (and parkd exits 0, checked by the
 * harness).
 */
static int
run_drain(void)
{
	Parkd__V1__GetParkRequest	 get = PARKD__V1__GET_PARK_REQUEST__INIT;
	Parkd__V1__WhoAmIRequest	 who = PARKD__V1__WHO_AM_IREQUEST__INIT;
	struct parkc			*pc;
	pid_t				 pid = parkd_pid();
	Parkd__V1__Response		*resp;
	struct parkc_result		 res;
	PGconn				*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult			*r;
	static const char *const	 draining[] = { "parkd info: draining",
	    NULL };
	long				 from;
	int				 i, got = 0, bad = 0;

	pc = as("bureau", addr1);
	if (parkc_call(pc, "WhoAmI", &who.base, "", &res) != 0 || res.code)
		return (1);
	parkc_result_free(&res);
	r = PQexec(pg, "BEGIN; LOCK TABLE parks IN ACCESS EXCLUSIVE MODE");
	PQclear(r);
	get.code = "IT-A";
	for (i = 0; i < 5; i++)
		if (parkc_send(pc, "GetPark", &get.base, "", NULL) != 0)
			return (1);
	/*
	 * a pipelined read connection waits on the lock, the other requests
	 * queued behind it (or on the other one)
	 */
	if (!wait_until(lock_waiters, pg, 10000)) {
		printf("drain: parkd's statements never waited on the lock\n");
		r = PQexec(pg, "SELECT state, wait_event_type, left(query, 60) "
		    "FROM pg_stat_activity WHERE application_name = 'parkd'");
		for (i = 0; i < PQntuples(r); i++)
			printf("  %s %s %s\n", PQgetvalue(r, i, 0),
			    PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
		PQclear(r);
		return (1);
	}
	/* /metrics counts them in flight */
	if (metric1("parkd_requests_in_flight") < 5) {
		printf("drain: /metrics shows %ld requests in flight, not 5\n",
		    metric1("parkd_requests_in_flight"));
		return (1);
	}
	from = log_end();
	kill(pid, SIGTERM);
	if (!log_wait(from, draining, 10000)) {
		printf("drain: no \"draining\" in the log after SIGTERM\n");
		return (1);
	}
	r = PQexec(pg, "COMMIT");
	PQclear(r);
	PQfinish(pg);
	while (parkc_recv(pc, &resp) == 0) {
		got++;
		bad += resp->status != NULL && resp->status->code != 0;
		parkd__v1__response__free_unpacked(resp, NULL);
	}
	parkc_close(pc);
	printf("drain: %d responses, %d not OK, then the connection closed\n",
	    got, bad);
	return (got == 5 && bad == 0 ? 0 : 1);
}

/* The other order: no test may depend on one before it having run. */
static void
reverse_tests(struct CMUnitTest *t, size_t n)
{
	struct CMUnitTest	 x;
	size_t			 i;

	for (i = 0; i < n / 2; i++) {
		x = t[i];
		t[i] = t[n - 1 - i];
		t[n - 1 - i] = x;
	}
}

int
main(int argc, char **argv)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_park_crud),
		cmocka_unit_test(test_park_invalid),
		cmocka_unit_test(test_stale_version),
		cmocka_unit_test(test_firm_crud),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_decode_memory),
		cmocka_unit_test(test_partial_frame_timeout),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_entry_refusals),
		cmocka_unit_test(test_last_free_area),
		cmocka_unit_test(test_policy_change),
		cmocka_unit_test(test_graduation_and_sweep),
		cmocka_unit_test(test_park_exit),
		cmocka_unit_test(test_policy_file_reload),
		cmocka_unit_test(test_sync_good_and_bad),
		cmocka_unit_test(test_sync_sigkill),
		cmocka_unit_test(test_sync_two_operators),
		cmocka_unit_test(test_sync_report_paths),
		cmocka_unit_test(test_sync_report_race),
		cmocka_unit_test(test_eval_run),
		cmocka_unit_test(test_eval_publish_immutable),
		cmocka_unit_test(test_eval_operator),
		cmocka_unit_test(test_eval_consecutive_fails),
		cmocka_unit_test(test_eval_notice),
		cmocka_unit_test(test_declarations),
		cmocka_unit_test(test_experts),
		cmocka_unit_test(test_scope_matrix),
		cmocka_unit_test(test_scope_pushes),
		cmocka_unit_test(test_scope_export),
		cmocka_unit_test(test_scope_draft_run),
		cmocka_unit_test(test_scope_rls),
		cmocka_unit_test(test_pipe_scopes),
		cmocka_unit_test(test_pipe_error_isolation),
		cmocka_unit_test(test_list_pages),
		cmocka_unit_test(test_begin_folded_error),
		cmocka_unit_test(test_metrics_histograms),
		cmocka_unit_test(test_slow_request_log),
		cmocka_unit_test(test_input_bounds),
		cmocka_unit_test(test_admission_flood),
		cmocka_unit_test(test_hung_database),
		cmocka_unit_test(test_largest_frames),
		cmocka_unit_test(test_push_fairness),
		cmocka_unit_test(test_reverse_chunk),
		cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_sighup),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_postgres_restart),
	};

	signal(SIGPIPE, SIG_IGN);
	addr1 = getenv("PARKD_ADDR");
	addr2 = getenv("PARKD_ADDR2");
	tlsdir = getenv("PARKD_TLS");
	if (addr1 == NULL || addr2 == NULL || tlsdir == NULL) {
		fprintf(stderr, "run me through tests/run-integration.sh\n");
		return (2);
	}
	if (argc > 1 && strcmp(argv[1], "drain") == 0)
		return (run_drain());
	if (argc > 1 && strcmp(argv[1], "lb") == 0)
		return (run_lb());
	if (argc > 1 && strcmp(argv[1], "replica") == 0)
		return (run_replica());
	if (getenv("PARKD_IT_REVERSE") != NULL)
		reverse_tests(tests, sizeof(tests) / sizeof(tests[0]));
	/* PARKD_IT_ONLY=test_x*: only the tests matching (while working) */
	if (getenv("PARKD_IT_ONLY") != NULL)
		cmocka_set_test_filter(getenv("PARKD_IT_ONLY"));
	return (cmocka_run_group_tests_name("integration", tests, setup,
	    NULL));
}
