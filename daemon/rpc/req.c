/*
 * One request from decode to response: envelope and body decoded into a
 * budgeted arena, principal and role checked, the method's handler run, and
 * exactly one response sent (unless the peer went away meanwhile).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc.h"

/* Memory of decoded requests alive now, against max_decode_memory_mb. */
static size_t	decoded_total;

static void	req_finish(struct req *);

#define IDEM_KEY_MAX	200
#define REQ_WORK_BUDGET	(64u << 20)

void *
req_alloc(struct req *r, size_t n)
{
	void	*p = arena_alloc(r->arena, n);

	if (p != NULL)
		memset(p, 0, n);
	return (p);
}

char *
req_strdup(struct req *r, const char *s)
{
	return (arena_strdup(r->arena, s != NULL ? s : ""));
}

/* Pack resp and queue it as one frame; 0 on success. */
static int
send_response(struct session *s, Parkd__V1__Response *resp)
{
	size_t	 n = parkd__v1__response__get_packed_size(resp);
	uint8_t	*buf;

	if ((buf = malloc(n ? n : 1)) == NULL)
		return (-1);
	parkd__v1__response__pack(resp, buf);
	conn_send_frame(s->c, buf, n);
	free(buf);
	return (0);
}

/* A status-only response outside any request (frame errors). */
void
session_send_status(struct session *s, uint64_t id, int code, const char *msg)
{
	Parkd__V1__Response	 resp = PARKD__V1__RESPONSE__INIT;
	Parkd__V1__Status	 st = PARKD__V1__STATUS__INIT;

	st.code = code;
	st.message = (char *)msg;
	resp.id = id;
	resp.status = &st;
	send_response(s, &resp);
}

/*
 * The request's life: DECODED -> AUTH -> RUN -> DONE (parkd's own requests
 * go from DECODED to RUN), or to DONE from any state when it fails. Waiting
 * for a database connection is not a state: r->db says whether it has one.
 */
void
req_set_state(struct req *r, enum req_state to)
{
	static const unsigned allowed[] = {
		[REQ_DECODED] = 1u << REQ_AUTH | 1u << REQ_RUN,
		[REQ_AUTH] = 1u << REQ_RUN,
		[REQ_RUN] = 0,
		[REQ_DONE] = 0,
	};

	assert(to == REQ_DONE ? r->st != REQ_DONE :
	    (allowed[r->st] & (1u << to)) != 0);
	r->st = to;
}

static Parkd__V1__Violation **
pack_viols(struct req *r, struct viols *vs, size_t *n)
{
	Parkd__V1__Violation	**out, *v;
	size_t			 i;

	*n = 0;
	if (vs->n == 0 ||
	    (out = req_alloc(r, vs->n * sizeof(*out))) == NULL)
		return (NULL);
	for (i = 0; i < vs->n; i++) {
		if ((v = req_alloc(r, sizeof(*v))) == NULL)
			break;
		parkd__v1__violation__init(v);
		v->field = vs->v[i].field;
		v->rule = vs->v[i].rule;
		v->message = vs->v[i].message;
		out[(*n)++] = v;
	}
	return (out);
}

/* A status code's name ("NOT_FOUND"), for logs. */
static const char *
code_name(int code)
{
	const ProtobufCEnumValue	*v = protobuf_c_enum_descriptor_get_value(
	    &parkd__v1__code__descriptor, code);

	return (v != NULL ? v->name : "?");
}

/*
 * r is answered: its latency into /metrics, and one log line, key=value:
 * at debug for every request, at warn for one slower than slow_request_ms
 * (0: none) or one that failed for a reason of the server's.
 */
static void
req_account(struct req *r, int code, const char *msg)
{
	uint64_t	 us = now_us() - r->start_us;
	int		 slow_ms = server->cfg->slow_request_ms;
	int		 slow = slow_ms > 0 && us >= (uint64_t)slow_ms * 1000;
	int		 bad = code == PARKD__V1__CODE__INTERNAL ||
			    code == PARKD__V1__CODE__UNAVAILABLE;
	char		 line[1400];

	stats_request(r->m != NULL ? r->m->idx : -1, code, us);
	if (slow)
		stats.slow_requests++;
	if (!slow && !bad && !log_enabled(LOG_LVL_DEBUG))
		return;
	snprintf(line, sizeof(line), "%s cid=%llu id=%llu method=%s "
	    "principal=\"%s\" code=%s us=%llu%s%s%s", slow ? "slow_request" :
	    "request", (unsigned long long)r->cid, (unsigned long long)r->id,
	    r->method_name ? r->method_name : "-",
	    r->pr.known && r->pr.found ? r->pr.name : "-", code_name(code),
	    (unsigned long long)us, msg && *msg ? " msg=\"" : "",
	    msg && *msg ? msg : "", msg && *msg ? "\"" : "");
	if (slow || bad)
		log_warnx("%s", line);
	else
		log_debug("%s", line);
}

static void
req_send(struct req *r, int code, const char *msg, uint8_t *body,
    size_t bodylen)
{
	Parkd__V1__Response	 resp = PARKD__V1__RESPONSE__INIT;
	Parkd__V1__Status	 st = PARKD__V1__STATUS__INIT;

	st.code = code;
	st.message = (char *)msg;
	st.violations = pack_viols(r, &r->v, &st.n_violations);
	st.warnings = pack_viols(r, &r->warn, &st.n_warnings);
	resp.id = r->id;
	resp.status = &st;
	resp.body.data = body;
	resp.body.len = bodylen;
	if (r->internal) {
		size_t	 i;

		log_info("internal %s: code=%d%s%s", r->method_name, code,
		    msg && *msg ? " " : "", msg ? msg : "");
		for (i = 0; i < r->v.n; i++)
			log_warnx("internal %s: %s [%s] %s", r->method_name,
			    r->v.v[i].field, r->v.v[i].rule, r->v.v[i].message);
	}
	if (r->s != NULL && send_response(r->s, &resp) != 0)
		log_warnx("cid=%llu id=%llu cannot send response: out of "
		    "memory", (unsigned long long)r->cid,
		    (unsigned long long)r->id);
	req_account(r, code, msg);
}

void
req_reply(struct req *r, const ProtobufCMessage *out)
{
	size_t	 n = protobuf_c_message_get_packed_size(out);
	uint8_t	*buf;

	if ((buf = malloc(n ? n : 1)) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory packing the response");
		return;
	}
	protobuf_c_message_pack(out, buf);
	req_send(r, PARKD__V1__CODE__OK, "", buf, n);
	free(buf);
	req_finish(r);
}

void
req_fail(struct req *r, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	req_send(r, code, msg, NULL, 0);
	req_finish(r);
}

/* The peer is gone: finish the work, send nothing. */
void
req_orphan(struct req *r)
{
	r->s = NULL;
}

static void
req_finish(struct req *r)
{
	struct session	*s = r->s;

	req_set_state(r, REQ_DONE);
	if (r->db != NULL)
		db_release(r);
	if (s != NULL)
		TAILQ_REMOVE(&s->reqs, r, centry);
	decoded_total -= r->decoded;
	viols_free(&r->v);
	viols_free(&r->warn);
	arena_free(r->arena);
	free(r);
	stats.inflight--;
	if (s != NULL)
		conn_req_done(s->c);
	server_maybe_exit();
}

/*
 * Authenticated and allowed: run the handler, with a pool connection
 * unless the method brings its own (db_acquire keeps one already held).
 */
void
req_run(struct req *r)
{
	method_handler	 run = r->m->def->plan != NULL ? step_run :
	    r->m->def->handler;

	req_set_state(r, REQ_RUN);
	if (step_pipelined(r)) {
		if (r->db != NULL)
			db_release(r);	/* the principal's lookup had one */
		run(r);		/* its statements go on shared connections */
		return;
	}
	if (r->m->def->own_conn) {
		if (r->db != NULL)
			db_release(r);	/* it uses its own connection */
		run(r);
	} else
		db_acquire(r, run);
}

/*
 * What one request may take to decode: its share by frame size, within
 * what is left of the daemon-wide limit (0: nothing left).
 */
static size_t
decode_budget(size_t len)
{
	size_t	 want = len * (size_t)server->cfg->decode_budget_factor + 65536;
	size_t	 limit = (size_t)server->cfg->max_decode_memory_mb << 20;

	if (decoded_total >= limit)
		return (0);
	return (want < limit - decoded_total ? want : limit - decoded_total);
}

/* Check the decoded envelope and find its method; -1 once r is failed. */
static int
req_envelope(struct req *r, Parkd__V1__Request *env, const uint8_t *buf,
    size_t len)
{
	const char	*bad;

	r->id = env->id;
	if (pb_strings_clean(env->base.descriptor, buf, len, &bad) != 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "field '%s' holds a NUL byte; text may not contain NUL",
		    bad ? bad : "?");
		return (-1);
	}
	r->method_name = env->method;
	r->idem_key = env->idempotency_key;
	if (strlen(r->idem_key) > IDEM_KEY_MAX || !valid_utf8(r->idem_key)) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "idempotency_key must be at most %d bytes of UTF-8",
		    IDEM_KEY_MAX);
		return (-1);
	}
	if (*r->method_name == '\0') {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "request has no method");
		return (-1);
	}
	if ((r->m = dispatch_find(r->method_name)) == NULL) {
		req_fail(r, PARKD__V1__CODE__UNIMPLEMENTED,
		    "unknown method '%.64s'", r->method_name);
		return (-1);
	}
	return (0);
}

/* Decode the body of env as the method's input; -1 once r is failed. */
static int
req_body(struct req *r, Parkd__V1__Request *env, ProtobufCAllocator *al)
{
	const char	*bad;

	r->in = protobuf_c_message_unpack(r->m->input, al, env->body.len,
	    env->body.data);
	if (r->in == NULL) {
		if (arena_failed(r->arena))
			req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "body of %s needs more memory to decode than "
			    "allowed", r->m->name);
		else
			req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
			    "body is not a valid %s message",
			    r->m->input->name);
		return (-1);
	}
	if (pb_strings_clean(r->m->input, env->body.data, env->body.len,
	    &bad) != 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "field '%s' of %s holds a NUL byte; text may not contain "
		    "NUL", bad ? bad : "?", r->m->input->name);
		return (-1);
	}
	return (0);
}

/* Decode the envelope of one frame and start its request. */
void
req_start(struct session *s, const uint8_t *buf, size_t len)
{
	Parkd__V1__Request	*env;
	ProtobufCAllocator	 al;
	struct arena		*a;
	struct req		*r;

	if (decode_budget(len) < len + 4096) {
		/* counted as a request of no known method (/metrics) */
		stats_request(-1, PARKD__V1__CODE__RESOURCE_EXHAUSTED, 0);
		session_send_status(s, 0, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "server busy: too many large requests in flight; retry");
		conn_req_done(s->c);
		return;
	}
	if ((a = arena_new(decode_budget(len))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		arena_free(a);
		session_send_status(s, 0, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory");
		conn_req_done(s->c);
		return;
	}
	al = arena_allocator(a);
	r->arena = a;
	r->s = s;
	r->cid = s->c->id;
	r->start_us = now_us();
	r->st = REQ_DECODED;
	TAILQ_INSERT_TAIL(&s->reqs, r, centry);
	stats.inflight++;
	if ((env = parkd__v1__request__unpack(&al, len, buf)) == NULL) {
		if (arena_failed(a))
			req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "request needs more memory to decode than allowed");
		else
			req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
			    "frame is not a valid parkd.v1.Request message");
		return;
	}
	if (req_envelope(r, env, buf, len) != 0 || req_body(r, env, &al) != 0)
		return;
	/* Decoding is bounded; building the response has its own budget. */
	r->decoded = arena_used(a);
	decoded_total += r->decoded;
	arena_set_budget(a, arena_used(a) + REQ_WORK_BUDGET);
	auth_begin(r);
}

/*
 * A request parkd makes of itself (the policy file on SIGHUP): no peer, the
 * outcome is logged. in is copied into the request's arena.
 */
int
req_internal(const char *method, const ProtobufCMessage *in)
{
	ProtobufCAllocator	 al;
	struct req		*r;
	size_t			 n = protobuf_c_message_get_packed_size(in);
	uint8_t			*buf;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->arena = arena_new(n * 8 + REQ_WORK_BUDGET)) == NULL ||
	    (buf = arena_alloc(r->arena, n + 1)) == NULL) {
		if (r != NULL)
			arena_free(r->arena);
		free(r);
		return (-1);
	}
	protobuf_c_message_pack(in, buf);
	al = arena_allocator(r->arena);
	r->internal = 1;
	r->start_us = now_us();
	r->m = dispatch_find(method);
	r->method_name = (char *)method;
	r->idem_key = "";
	r->pr.found = r->pr.known = 1;
	r->pr.role = ROLE_ADMIN;
	r->scoped = 1;			/* all parks */
	r->st = REQ_DECODED;
	snprintf(r->pr.name, sizeof(r->pr.name), "parkd");
	stats.inflight++;
	if (r->m == NULL || (r->in = protobuf_c_message_unpack(r->m->input,
	    &al, n, buf)) == NULL) {
		req_fail(r, PARKD__V1__CODE__INTERNAL, "cannot build %s",
		    method);
		return (-1);
	}
	req_run(r);
	return (0);
}

/* Map a failed PostgreSQL result (or a lost connection) to a status. */
void
req_fail_pg(struct req *r, PGresult *res, const char *what)
{
	const char	*state, *msg;

	if (res == NULL) {
		req_fail(r, PARKD__V1__CODE__UNAVAILABLE,
		    "database unavailable during %s (%.*s); retry later", what,
		    r->db_error ? (int)strcspn(r->db_error, "\n") : 15,
		    r->db_error ? r->db_error : "connection lost");
		return;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (state == NULL)
		state = "";
	if (msg == NULL)
		msg = PQresultErrorMessage(res);
	if (strcmp(state, "42501") == 0)	/* row-level security said no */
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "%s: outside your park's scope (%s)", what, msg);
	else if (strcmp(state, "23505") == 0)
		req_fail(r, PARKD__V1__CODE__ALREADY_EXISTS,
		    "%s: already exists (%s)", what, msg);
	else if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "%s: %s", what,
		    msg);
	else if (strncmp(state, "08", 2) == 0 || strcmp(state, "57014") == 0 ||
	    strncmp(state, "57P", 3) == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0)
		req_fail(r, PARKD__V1__CODE__UNAVAILABLE,
		    "%s: database unavailable (%s); retry later", what, msg);
	else
		req_fail(r, PARKD__V1__CODE__INTERNAL, "%s: %s [%s]", what,
		    msg, state);
}
