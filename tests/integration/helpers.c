/* Helpers shared by the integration suite's files (it.h). */
#include "it.h"

const char *addr1, *addr2, *tlsdir;
int64_t park_a, park_b;


struct parkc *
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

struct parkc *
as(const char *who, const char *addr)
{
	char		 err[512];
	struct parkc	*pc = connect_cert(addr, tlsdir, who, err, sizeof(err));

	if (pc == NULL)
		fail_msg("connect as %s: %s", who, err);
	return (pc);
}

int
call(struct parkc *pc, const char *method, const ProtobufCMessage *in,
    struct parkc_result *res)
{
	if (parkc_call(pc, method, in, "", res) != 0)
		fail_msg("%s: %s", method, parkc_error(pc));
	return (res->code);
}

/* A call: its code; the result is kept in *keep, or freed if keep is NULL. */
int
call_keep(struct parkc *pc, const char *method, const ProtobufCMessage *in,
    struct parkc_result *keep)
{
	struct parkc_result	 res;
	int			 code = call(pc, method, in, &res);

	if (keep != NULL)
		*keep = res;
	else
		parkc_result_free(&res);
	return (code);
}

/* A call that must return code; the result is freed. */
void
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

int
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

void
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

int64_t
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

char *
read_file(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = calloc(1, 65536);

	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return (buf);
}

void
add_principal(struct parkc *admin, const char *who, const char *role,
    const char *park)
{
	add_principal_in(admin, who, role, park, "");
}

/* A principal of its park (operators) or district (district reviewers). */
void
add_principal_in(struct parkc *admin, const char *who, const char *role,
    const char *park, const char *district)
{
	Parkd__V1__AddPrincipalRequest	 req =
	    PARKD__V1__ADD_PRINCIPAL_REQUEST__INIT;
	struct parkc_result		 res;
	char				 path[512];

	snprintf(path, sizeof(path), "%s/%s.crt", tlsdir, who);
	req.name = (char *)who;
	req.role = (char *)role;
	req.park_code = (char *)park;
	req.district = (char *)district;
	req.cert_pem = read_file(path);
	if (call(admin, "AddPrincipal", &req.base, &res) != 0)
		fail_msg("AddPrincipal %s: %s", who, res.message);
	assert_string_equal(((Parkd__V1__Principal *)res.body)->role, role);
	assert_string_equal(((Parkd__V1__Principal *)res.body)->district,
	    district);
	assert_int_equal(strlen(((Parkd__V1__Principal *)res.body)->fingerprint),
	    64);
	parkc_result_free(&res);
	free(req.cert_pem);
}

void
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

void
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

void
send_frame(struct parkc *pc, const void *body, uint32_t len)
{
	uint8_t	 hdr[4];

	frame_put_header(hdr, len);
	assert_int_equal(parkc_send_raw(pc, hdr, 4), 0);
	if (len > 0)
		assert_int_equal(parkc_send_raw(pc, body, len), 0);
}

/* A Request envelope with a body of raw bytes, sent as one frame. */
void
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

int
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

int
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
int
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

void
write_text(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The pid of parkd #1 (it changes when a test restarts it). */
pid_t
parkd_pid(void)
{
	char	*s = read_file(getenv("PARKD_PIDFILE"));
	pid_t	 pid = (pid_t)atoi(s);

	free(s);
	return (pid);
}

/* Poll cond(arg) every 10 ms for up to ms milliseconds; 1 once it holds. */
int
wait_until(int (*cond)(void *), void *arg, int ms)
{
	uint64_t	 t0 = mono_ms();
	struct timespec	 nap = { 0, 10 * 1000 * 1000 };

	while (!cond(arg)) {
		if (mono_ms() - t0 > (uint64_t)ms)
			return (0);
		nanosleep(&nap, NULL);
	}
	return (1);
}

struct log_wait {
	long		 from;		/* offset in parkd #1's log */
	const char	*const *any;	/* lines to wait for, NULL-terminated */
};

/* Has parkd #1's log, past w->from, a line holding one of w->any? */
static int
log_has(void *arg)
{
	struct log_wait	*w = arg;
	FILE		*f = fopen(getenv("PARKD_LOG"), "r");
	char		 line[4096];
	int		 i, found = 0;

	if (f == NULL)
		return (0);
	fseek(f, w->from, SEEK_SET);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		for (i = 0; w->any[i] != NULL && !found; i++)
			found = strstr(line, w->any[i]) != NULL;
	}
	fclose(f);
	return (found);
}

/* Wait up to ms for a line past from in parkd #1's log with one of any. */
int
log_wait(long from, const char *const *any, int ms)
{
	struct log_wait	 w = { from, any };

	return (wait_until(log_has, &w, ms));
}

/* Where parkd #1's log ends now. */
long
log_end(void)
{
	FILE	*f = fopen(getenv("PARKD_LOG"), "r");
	long	 end;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	end = ftell(f);
	fclose(f);
	return (end);
}

/*
 * SIGHUP to parkd #1, then wait until it has dealt with it: the reload was
 * refused, or the policy file it re-reads was uploaded or refused.
 */
void
hup(void)
{
	static const char *const done[] = { "reload refused",
	    "the active policy stays", "internal UploadPolicy: code=", NULL };
	long	 from = log_end();

	assert_int_equal(kill(parkd_pid(), SIGHUP), 0);
	assert_true(log_wait(from, done, 10000));
}

/* The status parkd answers to a frame of len bytes of garbage. */
int
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

/* Milliseconds on the monotonic clock. */
uint64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* A plain TCP connection to addr ("host:port"), -1 if refused. */
int
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

void
create_firm(struct parkc *pc, const char *code, const char *industry,
    const char *reg)
{
	Parkd__V1__CreateFirmRequest	 req = PARKD__V1__CREATE_FIRM_REQUEST__INIT;
	Parkd__V1__Firm			 f;

	parkd__v1__firm__init(&f);
	f.credit_code = (char *)code;
	f.name = "青岛规则测试科技有限公司";
	f.industry_code = (char *)industry;
	f.registered_on = (char *)reg;
	req.firm = &f;
	expect(pc, "CreateFirm", &req.base, 0);
}

/* A valid credit code from a serial number (check characters computed). */
const char *
code_for(int n, char out[19])
{
	snprintf(out, 19, "9137021%02uMA%06u", (unsigned)n % 100u,
	    (unsigned)n % 1000000u);
	out[16] = orgcode_check_char(out + 8);
	out[17] = creditcode_check_char(out);
	out[18] = '\0';
	return (out);
}

int
enter(struct parkc *pc, const char *park, const char *code, const char *on,
    int64_t area, struct parkc_result *res)
{
	Parkd__V1__EnterFirmRequest	 req = PARKD__V1__ENTER_FIRM_REQUEST__INIT;

	req.park_code = (char *)park;
	req.credit_code = (char *)code;
	req.entry_date = (char *)on;
	req.area = area;
	return (call(pc, "EnterFirm", &req.base, res));
}

void
enter_ok(struct parkc *pc, const char *park, const char *code, const char *on,
    int64_t area)
{
	struct parkc_result	 res;

	if (enter(pc, park, code, on, area, &res) != 0)
		fail_msg("EnterFirm %s into %s: %s", code, park, res.message);
	parkc_result_free(&res);
}

int
sweep_has(struct parkc *pc, const char *as_of, const char *subject,
    const char *rule)
{
	Parkd__V1__RunSweepRequest	 req = PARKD__V1__RUN_SWEEP_REQUEST__INIT;
	Parkd__V1__RunSweepResponse	*out;
	struct parkc_result		 res;
	size_t				 i;
	int				 found = 0;

	req.as_of = (char *)as_of;
	assert_int_equal(call(pc, "RunSweep", &req.base, &res), 0);
	out = (Parkd__V1__RunSweepResponse *)res.body;
	assert_string_equal(out->policy, "qingdao-2024");
	for (i = 0; i < out->n_proposals; i++)
		found |= strcmp(out->proposals[i]->subject, subject) == 0 &&
		    strcmp(out->proposals[i]->rule, rule) == 0;
	parkc_result_free(&res);
	return (found);
}

int64_t
begin_sync(struct parkc *pc, const char *park, const char *kind,
    const char *key, int *done, Parkd__V1__SyncOutcome *out)
{
	Parkd__V1__BeginSyncRequest	 b = PARKD__V1__BEGIN_SYNC_REQUEST__INIT;
	Parkd__V1__BeginSyncResponse	*r;
	struct parkc_result		 res;
	int64_t				 id;

	b.park_code = (char *)park;
	b.kind = (char *)kind;
	if (parkc_call(pc, "BeginSync", &b.base, key, &res) != 0)
		fail_msg("BeginSync: %s", parkc_error(pc));
	if (res.code != 0)
		fail_msg("BeginSync: %s", res.message);
	r = (Parkd__V1__BeginSyncResponse *)res.body;
	id = r->sync_id;
	*done = r->done;
	if (r->done && out != NULL) {
		out->rows = r->outcome->rows;
		out->applied = r->outcome->applied;
		out->updated = r->outcome->updated;
		out->refused = r->outcome->refused;
		out->replayed = r->outcome->replayed;
	}
	parkc_result_free(&res);
	return (id);
}

void
commit_sync(struct parkc *pc, int64_t id, Parkd__V1__SyncOutcome *out)
{
	Parkd__V1__CommitSyncRequest	 c = PARKD__V1__COMMIT_SYNC_REQUEST__INIT;
	Parkd__V1__SyncOutcome		*o;
	struct parkc_result		 res;

	c.sync_id = id;
	if (call(pc, "CommitSync", &c.base, &res) != 0)
		fail_msg("CommitSync: %s", res.message);
	o = (Parkd__V1__SyncOutcome *)res.body;
	out->rows = o->rows;
	out->applied = o->applied;
	out->updated = o->updated;
	out->refused = o->refused;
	out->replayed = o->replayed;
	parkc_result_free(&res);
}

int64_t
sql_int(const char *q)
{
	PGconn		*pg = PQconnectdb(getenv("PARKD_DSN"));
	PGresult	*r = PQexec(pg, q);
	int64_t		 v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", q, PQerrorMessage(pg));
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(pg);
	return (v);
}

int64_t
audit_rows(void)
{
	return (sql_int("SELECT count(*) FROM audit_log"));
}

/* parkd #2's gauge name from /metrics, -1 if it cannot be read. */
long
metric2(const char *name)
{
	return (metric_of(getenv("PARKD_HTTP2"), name));
}

/* parkd #1's http_listen address, from its configuration. */
static void
http1_addr(char *buf, size_t len)
{
	char		*conf = read_file(getenv("PARKD_CONF"));
	const char	*at = strstr(conf, "http_listen = \"");

	assert_non_null(at);
	at += strlen("http_listen = \"");
	snprintf(buf, len, "%.*s", (int)strcspn(at, "\""), at);
	free(conf);
}

/* The same of parkd #1. */
long
metric1(const char *name)
{
	char	 addr[64];

	http1_addr(addr, sizeof(addr));
	return (metric_of(addr, name));
}

/* A sample's value from the /metrics of the parkd at addr; -1 if none. */
long
metric_of(const char *addr, const char *name)
{
	static const char	 get[] = "GET /metrics HTTP/1.0\r\n\r\n";
	size_t			 cap = 1 << 20, got = 0;
	char			*buf, *at;
	ssize_t			 n;
	long			 v = -1;
	int			 fd = tcp_connect(addr);

	if (fd < 0)
		return (-1);
	if (write(fd, get, sizeof(get) - 1) < 0 ||
	    (buf = malloc(cap)) == NULL) {
		close(fd);
		return (-1);
	}
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	for (at = buf; (at = strstr(at, name)) != NULL; at++) {
		if ((at == buf || at[-1] == '\n') && at[strlen(name)] == ' ') {
			v = atol(at + strlen(name) + 1);
			break;
		}
	}
	free(buf);
	return (v);
}

int
metric_reached(void *arg)
{
	struct metric_at	*m = arg;
	long			 n = metric2(m->name);

	return (n >= 0 && (m->least ? n >= m->want : n <= m->want));
}

/*
 * The last free area raced: rounds times, a park of 100 m2 (code
 * PREFIX<round>) and two firms (codes from firm_base) asking 60 m2 each,
 * one entry sent on x and the other on y at once. The rounds where not
 * exactly one entry won and one was refused (printed).
 */
int
race_last_free_area(struct parkc *bu, struct parkc *x, struct parkc *y,
    const char *prefix, int firm_base, int rounds)
{
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__EnterFirmRequest	 e = PARKD__V1__ENTER_FIRM_REQUEST__INIT;
	Parkd__V1__Park			 p;
	Parkd__V1__Response		*rx, *ry;
	char				 code[16], c1[19], c2[19];
	int				 round, ok, refused, bad = 0;

	for (round = 0; round < rounds; round++) {
		snprintf(code, sizeof(code), "%s%d", prefix, round);
		park_init(&p, code, "即墨区");
		p.total_area = 10000;			/* 100 m2 */
		cp.park = &p;
		expect(bu, "CreatePark", &cp.base, 0);
		create_firm(bu, code_for(firm_base + round * 2, c1), "I651",
		    "2026-01-01");
		create_firm(bu, code_for(firm_base + 1 + round * 2, c2), "I652",
		    "2026-01-01");
		e.park_code = code;
		e.entry_date = "2026-04-01";
		e.area = 6000;				/* 60 m2 each */
		e.credit_code = c1;
		assert_int_equal(parkc_send(x, "EnterFirm", &e.base, "", NULL),
		    0);
		e.credit_code = c2;
		assert_int_equal(parkc_send(y, "EnterFirm", &e.base, "", NULL),
		    0);
		assert_int_equal(parkc_recv(x, &rx), 0);
		assert_int_equal(parkc_recv(y, &ry), 0);
		ok = (rx->status->code == 0) + (ry->status->code == 0);
		refused = (rx->status->code == CODE(FAILED_PRECONDITION)) +
		    (ry->status->code == CODE(FAILED_PRECONDITION));
		if (ok != 1 || refused != 1) {
			printf("race %s: %d entries won, %d refused\n", code, ok,
			    refused);
			bad++;
		}
		parkd__v1__response__free_unpacked(rx, NULL);
		parkd__v1__response__free_unpacked(ry, NULL);
	}
	return (bad);
}

/* parkd's statements now waiting on a lock in PostgreSQL. */
int
lock_waiting(PGconn *pg)
{
	PGresult	*r = PQexec(pg, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE application_name = 'parkd' AND wait_event_type = 'Lock'");
	int		 n = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;

	PQclear(r);
	return (n);
}

/* AssignExpert: the code. */
int
assign_expert(struct parkc *pc, int year, const char *expert,
    const char *park)
{
	Parkd__V1__AssignExpertRequest	 req =
	    PARKD__V1__ASSIGN_EXPERT_REQUEST__INIT;

	req.expert = (char *)expert;
	req.park_code = (char *)park;
	req.year = year;
	return (call_keep(pc, "AssignExpert", &req.base, NULL));
}

/* SubmitScores of park: keys and centi-points (n <= 4); the code. */
int
submit_scores(struct parkc *pc, int year, const char *park,
    const char *const *keys, const int *cp, size_t n,
    struct parkc_result *keep)
{
	Parkd__V1__SubmitScoresRequest	 req =
	    PARKD__V1__SUBMIT_SCORES_REQUEST__INIT;
	Parkd__V1__ExpertScore		 s[4], *v[4];
	size_t				 i;

	for (i = 0; i < n; i++) {
		parkd__v1__expert_score__init(&s[i]);
		s[i].indicator = (char *)keys[i];
		s[i].score_cp = cp[i];
		v[i] = &s[i];
	}
	req.park_code = (char *)park;
	req.year = year;
	req.scores = v;
	req.n_scores = n;
	req.comment = "服务体系完整，产业方向清晰。";
	return (call_keep(pc, "SubmitScores", &req.base, keep));
}

/*
 * Upload (as admin) the shipped policy with edits: each {from, to} pair
 * replaces the first occurrence of from, which must be there. The test
 * years' policies are made so.
 */
void
upload_policy_variant(const char *const (*edits)[2], size_t nedits)
{
	struct parkc	*admin = as("admin", addr1);
	Parkd__V1__UploadPolicyRequest req =
	    PARKD__V1__UPLOAD_POLICY_REQUEST__INIT;
	struct parkc_result res;
	char		*text = read_file("configs/policy/qingdao-2024.conf");
	char		 out[70000];
	size_t		 i, n;
	char		*at;

	snprintf(out, sizeof(out), "%s", text);
	for (i = 0; i < nedits; i++) {
		at = strstr(out, edits[i][0]);
		assert_non_null(at);
		n = strlen(edits[i][0]);
		assert_true(strlen(out) - n + strlen(edits[i][1]) < sizeof(out));
		memmove(at + strlen(edits[i][1]), at + n, strlen(at + n) + 1);
		memcpy(at, edits[i][1], strlen(edits[i][1]));
	}
	req.body = out;
	if (call(admin, "UploadPolicy", &req.base, &res) != 0)
		fail_msg("UploadPolicy: %s", res.message);
	parkc_result_free(&res);
	free(text);
	parkc_close(admin);
}

/* The policy edit that adds two expert indicators to services. */
const char *const expert_indicators_edit[2] = {
	"{ key = \"services\"; name = \"创业服务人次\"; weight = 5; "
	"floor = 50; target = 400; }",
	"{ key = \"services\"; name = \"创业服务人次\"; weight = 1; "
	"floor = 50; target = 400; },\n"
	"{ key = \"service_quality\"; name = \"服务质量\"; weight = 2; "
	"expert = true; },\n"
	"{ key = \"industry_focus\"; name = \"产业聚焦\"; weight = 2; "
	"expert = true; }" };
