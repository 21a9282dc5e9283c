/*
 * Integration tests: the real parkd (two of them on one PostgreSQL) over
 * real mutual TLS, driven through libparkc. Started by
 * tests/run-integration.sh, which passes addresses and paths in PARKD_*.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>

#include "libparkc.h"
#include "lib/lib.h"

static const char *addr1, *addr2, *tlsdir;
static int64_t park_a, park_b;

#define CODE(x)	PARKD__V1__CODE__##x

static struct parkc *
connect_cert(const char *addr, const char *dir, const char *who, char *err,
    size_t errlen)
{
	struct parkc_opts	 o;
	char			 cert[512], key[512], ca[512];

	memset(&o, 0, sizeof(o));
	snprintf(cert, sizeof(cert), "%s/%s.crt", dir, who);
	snprintf(key, sizeof(key), "%s/%s.key", dir, who);
	snprintf(ca, sizeof(ca), "%s/ca.crt", tlsdir);
	o.server = addr;
	o.cert = who ? cert : NULL;
	o.key = who ? key : NULL;
	o.ca = ca;
	o.timeout_ms = 10000;
	return (parkc_connect(&o, err, errlen));
}

static struct parkc *
as(const char *who, const char *addr)
{
	char		 err[512];
	struct parkc	*pc = connect_cert(addr, tlsdir, who, err, sizeof(err));

	if (pc == NULL)
		fail_msg("connect as %s: %s", who, err);
	return (pc);
}

static int
call(struct parkc *pc, const char *method, const ProtobufCMessage *in,
    struct parkc_result *res)
{
	if (parkc_call(pc, method, in, "", res) != 0)
		fail_msg("%s: %s", method, parkc_error(pc));
	return (res->code);
}

/* A call that must return code; the result is freed. */
static void
expect(struct parkc *pc, const char *method, const ProtobufCMessage *in,
    int code)
{
	struct parkc_result	 res;

	if (call(pc, method, in, &res) != code)
		fail_msg("%s: want %s, got %s: %s", method,
		    parkc_code_name(code), parkc_code_name(res.code),
		    res.message);
	parkc_result_free(&res);
}

static int
has_violation(const struct parkc_result *res, const char *field,
    const char *rule)
{
	size_t	 i;

	for (i = 0; res->status && i < res->status->n_violations; i++) {
		if (strcmp(res->status->violations[i]->field, field) == 0 &&
		    (rule == NULL ||
		    strcmp(res->status->violations[i]->rule, rule) == 0))
			return (1);
	}
	return (0);
}

static void
park_init(Parkd__V1__Park *p, const char *code, const char *district)
{
	static char	*ind[] = { "I65", "C39" };

	parkd__v1__park__init(p);
	p->code = (char *)code;
	p->name = "青岛测试软件创业孵化基地";
	p->district = (char *)district;
	p->operator_name = "青岛测试创业服务有限公司";
	p->operator_credit_code = "91512081MA62K0260E";
	p->operator_legal_person = 1;
	p->staff_count = 12;
	p->total_area = 1234500;
	p->leading_industries = ind;
	p->n_leading_industries = 2;
	p->status = "admitted";
}

static int64_t
create_park(struct parkc *pc, const char *code, const char *district)
{
	Parkd__V1__CreateParkRequest	 req = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;
	struct parkc_result		 res;
	int64_t				 id;

	park_init(&p, code, district);
	req.park = &p;
	if (call(pc, "CreatePark", &req.base, &res) != 0)
		fail_msg("CreatePark %s: %s", code, res.message);
	id = ((Parkd__V1__Park *)res.body)->id;
	assert_true(id > 0);
	assert_int_equal(((Parkd__V1__Park *)res.body)->version, 1);
	parkc_result_free(&res);
	return (id);
}

static char *
read_file(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = calloc(1, 65536);

	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return (buf);
}

static void
add_principal(struct parkc *admin, const char *who, const char *role,
    const char *park)
{
	Parkd__V1__AddPrincipalRequest	 req =
	    PARKD__V1__ADD_PRINCIPAL_REQUEST__INIT;
	struct parkc_result		 res;
	char				 path[512];

	snprintf(path, sizeof(path), "%s/%s.crt", tlsdir, who);
	req.name = (char *)who;
	req.role = (char *)role;
	req.park_code = (char *)park;
	req.cert_pem = read_file(path);
	if (call(admin, "AddPrincipal", &req.base, &res) != 0)
		fail_msg("AddPrincipal %s: %s", who, res.message);
	assert_string_equal(((Parkd__V1__Principal *)res.body)->role, role);
	assert_int_equal(strlen(((Parkd__V1__Principal *)res.body)->fingerprint),
	    64);
	parkc_result_free(&res);
	free(req.cert_pem);
}

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

static void
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
	assert_string_equal(p->status, "admitted");
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
	parkc_close(pc);
}

static void
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

static void
update_staff(struct parkc *pc, int64_t id, int64_t version, int staff,
    int want)
{
	Parkd__V1__UpdateParkRequest	 req = PARKD__V1__UPDATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;
	char				*mask[] = { "staff_count" };

	parkd__v1__park__init(&p);
	p.id = id;
	p.version = version;
	p.staff_count = staff;
	req.park = &p;
	req.update_mask = mask;
	req.n_update_mask = 1;
	expect(pc, "UpdatePark", &req.base, want);
}

static void
get_park(struct parkc *pc, int64_t id, int *staff, int64_t *version)
{
	Parkd__V1__GetParkRequest	 g = PARKD__V1__GET_PARK_REQUEST__INIT;
	struct parkc_result		 res;

	g.id = id;
	assert_int_equal(call(pc, "GetPark", &g.base, &res), 0);
	*staff = ((Parkd__V1__Park *)res.body)->staff_count;
	*version = ((Parkd__V1__Park *)res.body)->version;
	parkc_result_free(&res);
}

/* Two parkd on one database; a stale version overwrites nothing. */
static void
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

static void
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

	list.industry_prefix = "I65";
	assert_int_equal(call(pc, "ListFirms", &list.base, &res), 0);
	assert_int_equal(((Parkd__V1__ListFirmsResponse *)res.body)->n_firms,
	    1);
	parkc_result_free(&res);
	parkc_close(pc);
	parkc_close(bu);
}

/* Operators are scoped to their park; viewers may not write. */
static void
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
static void
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

	/* a disabled principal loses access */
	admin = as("admin", addr1);
	pc = as("viewer", addr2);
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

static void
send_frame(struct parkc *pc, const void *body, uint32_t len)
{
	uint8_t	 hdr[4];

	frame_put_header(hdr, len);
	assert_int_equal(parkc_send_raw(pc, hdr, 4), 0);
	if (len > 0)
		assert_int_equal(parkc_send_raw(pc, body, len), 0);
}

/* A Request envelope with a body of raw bytes, sent as one frame. */
static void
send_request(struct parkc *pc, uint64_t id, const char *method,
    const uint8_t *body, size_t len)
{
	Parkd__V1__Request	 req = PARKD__V1__REQUEST__INIT;
	uint8_t			*buf;

	req.id = id;
	req.method = (char *)method;
	req.body.data = (uint8_t *)body;
	req.body.len = len;
	assert_non_null(buf = malloc(parkd__v1__request__get_packed_size(&req)));
	send_frame(pc, buf, (uint32_t)parkd__v1__request__pack(&req, buf));
	free(buf);
}

static int
recv_code(struct parkc *pc, uint64_t *id)
{
	Parkd__V1__Response	*resp;
	int			 code;

	if (parkc_recv(pc, &resp) != 0)
		fail_msg("no response: %s", parkc_error(pc));
	code = resp->status ? (int)resp->status->code : 0;
	if (id != NULL)
		*id = resp->id;
	parkd__v1__response__free_unpacked(resp, NULL);
	return (code);
}

/* Malformed input gets a clear error; parkd keeps serving. */
static void
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
static void
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

static int	who_code(struct parkc *);

/*
 * Requests held in PostgreSQL (a lock) with 1 MiB bodies each: past
 * max_decode_memory_mb (16 on parkd #2) new ones are refused as busy, the
 * held ones all complete, and the connection stays usable.
 */
static void
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
static void
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
who_code(struct parkc *pc)
{
	Parkd__V1__WhoAmIRequest	 who = PARKD__V1__WHO_AM_IREQUEST__INIT;
	struct parkc_result		 res;
	int				 code;

	code = call(pc, "WhoAmI", &who.base, &res);
	parkc_result_free(&res);
	return (code);
}

/* The status line of GET path on parkd #1's http_listen. */
static int
http_status(const char *path)
{
	char			*conf = read_file(getenv("PARKD_CONF"));
	char			*at = strstr(conf, "http_listen = \"127.0.0.1:");
	char			 buf[256];
	struct sockaddr_in	 sin;
	int			 fd, code = -1;
	ssize_t			 n;

	assert_non_null(at);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(at + strlen("http_listen = "
	    "\"127.0.0.1:")));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	free(conf);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		snprintf(buf, sizeof(buf), "GET %s HTTP/1.0\r\n\r\n", path);
		if (write(fd, buf, strlen(buf)) > 0 &&
		    (n = read(fd, buf, sizeof(buf) - 1)) > 12) {
			buf[n] = '\0';
			code = atoi(buf + 9);
		}
	}
	close(fd);
	return (code);
}

/* PostgreSQL down: UNAVAILABLE; back up: served again, same connection. */
static void
test_postgres_restart(void **state)
{
	struct parkc	*pc = as("bureau", addr1);
	int		 i, code = 0;

	(void)state;
	assert_int_equal(who_code(pc), 0);
	assert_int_equal(http_status("/healthz"), 200);
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

static void
write_text(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The pid of parkd #1 (it changes when a test restarts it). */
static pid_t
parkd_pid(void)
{
	char	*s = read_file(getenv("PARKD_PIDFILE"));
	pid_t	 pid = (pid_t)atoi(s);

	free(s);
	return (pid);
}

static void
hup(void)
{
	assert_int_equal(kill(parkd_pid(), SIGHUP), 0);
	usleep(300000);
}

/* The status parkd answers to a frame of len bytes of garbage. */
static int
frame_of_size(uint32_t len)
{
	struct parkc	*pc = as("bureau", addr1);
	uint8_t		*body = calloc(1, len);
	int		 code;

	memset(body, 0xff, len);
	send_frame(pc, body, len);
	code = recv_code(pc, NULL);
	free(body);
	parkc_close(pc);
	return (code);
}

/*
 * SIGHUP reloads the config (and TLS files) without dropping connections; a
 * config that does not load is refused whole and the old one stays.
 */
static void
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

/* Milliseconds on the monotonic clock. */
static uint64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* A plain TCP connection to addr ("host:port"), -1 if refused. */
static int
tcp_connect(const char *addr)
{
	struct sockaddr_in	 sin;
	char			 host[64], *colon;
	int			 fd;

	snprintf(host, sizeof(host), "%s", addr);
	assert_non_null(colon = strrchr(host, ':'));
	*colon = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	assert_int_equal(inet_pton(AF_INET, host, &sin.sin_addr), 1);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* A peer that connects and never starts TLS costs a timer, then is closed. */
static void
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
static void
test_audit(void **state)
{
	PGconn		*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult	*r;

	(void)state;
	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	r = PQexec(pg, "SELECT principal_name, method FROM audit_log "
	    "WHERE object = 'park:IT-A' ORDER BY id");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_true(PQntuples(r) >= 2);
	assert_string_equal(PQgetvalue(r, 0, 0), "人社局");
	assert_string_equal(PQgetvalue(r, 0, 1), "CreatePark");
	assert_string_equal(PQgetvalue(r, 1, 0), "opA");
	assert_string_equal(PQgetvalue(r, 1, 1), "UpdatePark");
	PQclear(r);
	/* refused writes left no trace */
	r = PQexec(pg, "SELECT count(*) FROM audit_log WHERE object = "
	    "'park:IT-BAD' OR object = 'park:IT-V'");
	assert_string_equal(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	/* park B: created, one successful update, the stale one absent */
	r = PQexec(pg, "SELECT count(*) FROM audit_log WHERE object = "
	    "'park:IT-B'");
	assert_string_equal(PQgetvalue(r, 0, 0), "2");
	PQclear(r);
	PQfinish(pg);
}

#include "rules_it.c"
#include "sync_it.c"
#include "eval_it.c"
#include "scope_it.c"
#include "limits_it.c"

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
	usleep(300000);		/* all five reach PostgreSQL and wait */
	kill(pid, SIGTERM);
	usleep(300000);
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

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
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
		cmocka_unit_test(test_eval_run),
		cmocka_unit_test(test_eval_publish_immutable),
		cmocka_unit_test(test_eval_operator),
		cmocka_unit_test(test_eval_consecutive_fails),
		cmocka_unit_test(test_scope_matrix),
		cmocka_unit_test(test_scope_pushes),
		cmocka_unit_test(test_scope_export),
		cmocka_unit_test(test_scope_draft_run),
		cmocka_unit_test(test_scope_rls),
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
	return (cmocka_run_group_tests_name("integration", tests, setup,
	    NULL));
}
