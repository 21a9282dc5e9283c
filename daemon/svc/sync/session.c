/*
 * A push's session: the pinned connection and its transaction, the
 * per-connection FIFO that runs its chunks one at a time, and how a push
 * ends (reply, failure, abort, the client gone).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sync/sync.h"

struct sync_sessions sessions = TAILQ_HEAD_INITIALIZER(sessions);
int64_t	 next_sync_id;

/* The one place a push changes state (see sync.h). */
static void
push_set(struct sync_session *s, enum push_state to)
{
	static const unsigned allowed[] = {
		[PUSH_IDLE] = 1u << PUSH_BUSY | 1u << PUSH_CLOSED,
		[PUSH_BUSY] = 1u << PUSH_IDLE | 1u << PUSH_CLOSING,
		[PUSH_CLOSING] = 1u << PUSH_CLOSED,
		[PUSH_CLOSED] = 0,
	};

	assert((allowed[s->st] & (1u << to)) != 0);
	s->st = to;
}

/* The push no longer belongs to a connection: it ends when it is idle. */
void
sync_detach(struct sync_session *s)
{
	if (s->ss == NULL)
		return;
	s->ss->push = NULL;
	s->ss = NULL;
	push_set(s, s->st == PUSH_BUSY ? PUSH_CLOSING : PUSH_CLOSED);
}

static void
sync_free(struct sync_session *s)
{
	struct waiting	*w;

	sync_detach(s);
	assert(s->st == PUSH_CLOSED);
	if (s->db != NULL)
		db_unpin(s->db, s->gen);
	s->db = NULL;
	if (s->fc != NULL)
		free(s->fc->v);
	free(s->fc);
	while ((w = TAILQ_FIRST(&s->waiting)) != NULL) {
		TAILQ_REMOVE(&s->waiting, w, entry);
		req_fail(w->r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "the push was closed; start again with BeginSync and the "
		    "same idempotency_key");
		free(w);
	}
	log_debug("sync closed key=%s rows=%lld", s->key, (long long)s->rows);
	TAILQ_REMOVE(&sessions, s, entry);
	free(s);
}

/* The peer is gone: nothing of the push will be committed. */
void
sync_session_closed(struct session *ss)
{
	struct sync_session	*s = ss->push;

	sync_detach(s);
	if (s->st == PUSH_CLOSED)
		sync_free(s);
}

/* Run fn for r when the session's connection is free. */
void
sync_run(struct sync_session *s, struct req *r, method_handler fn)
{
	struct waiting	*w;

	if (s->st == PUSH_BUSY) {
		if ((w = calloc(1, sizeof(*w))) == NULL) {
			req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "out of memory");
			return;
		}
		w->r = r;
		w->fn = fn;
		TAILQ_INSERT_TAIL(&s->waiting, w, entry);
		return;
	}
	if (db_attach(r, s->db, s->gen) != 0) {
		s->db = NULL;
		req_fail(r, PARKD__V1__CODE__UNAVAILABLE, "the database "
		    "connection of this push was lost; start again with "
		    "BeginSync and the same idempotency_key");
		sync_free(s);
		return;
	}
	push_set(s, PUSH_BUSY);
	fn(r);
}

void
sync_kick(struct sync_session *s)
{
	struct waiting	*w;
	struct req	*r;
	method_handler	 fn;

	if (s->st == PUSH_BUSY)
		return;
	if (s->st == PUSH_CLOSED) {
		sync_free(s);
		return;
	}
	if ((w = TAILQ_FIRST(&s->waiting)) == NULL)
		return;
	TAILQ_REMOVE(&s->waiting, w, entry);
	r = w->r;
	fn = w->fn;
	free(w);
	sync_run(s, r, fn);
}

/* r is done with the session's connection; then reply (or fail). */
void
sync_release(struct req *r, struct sync_session *s)
{
	if (r->db == NULL)		/* lost during the request */
		s->db = NULL;
	db_detach(r);
	push_set(s, s->st == PUSH_BUSY ? PUSH_IDLE : PUSH_CLOSED);
}

/* The push ends with code and message; its transaction is rolled back. */
void
sync_fail(struct req *r, struct sync_session *s, int code, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sync_release(r, s);
	req_fail(r, code, "%s", msg);
	sync_detach(s);
	sync_kick(s);
}

void
sync_reply(struct req *r, struct sync_session *s, const ProtobufCMessage *m)
{
	sync_release(r, s);
	req_reply(r, m);
	sync_kick(s);
}

/*
 * The push is over: a failed statement (res) aborted its transaction, or
 * parkd could not go on (why, e.g. out of memory). r is answered, the
 * session closed and its transaction rolled back.
 */
void
sync_abort(struct req *r, struct sync_session *s, PGresult *res,
    const char *why)
{
	sync_abort_as(r, s, res, PARKD__V1__CODE__RESOURCE_EXHAUSTED, why);
}

/* The same, refused with code when why says why (else res's mapping). */
void
sync_abort_as(struct req *r, struct sync_session *s, PGresult *res,
    Parkd__V1__Code code, const char *why)
{
	sync_release(r, s);
	if (why != NULL)
		req_fail(r, code, "%s: %s; the push was closed, start again "
		    "with the same idempotency_key", r->m->name, why);
	else
		req_fail_pg(r, res, r->m->name);
	sync_detach(s);
	sync_kick(s);
}

/* The same for a chunk, whose buffers live outside r's arena. */
void
chunk_abort(struct req *r, PGresult *res, const char *why)
{
	chunk_abort_as(r, res, PARKD__V1__CODE__RESOURCE_EXHAUSTED, why);
}

void
chunk_abort_as(struct req *r, PGresult *res, Parkd__V1__Code code,
    const char *why)
{
	struct chunk	 keep = *(struct chunk *)r->state;

	sync_abort_as(r, keep.s, res, code, why);
	chunk_free(&keep);
}

struct sync_session *
session_of(struct req *r, int64_t id)
{
	struct sync_session	*s = r->s != NULL ? r->s->push : NULL;

	if (s == NULL || s->id != id) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION, "no open push "
		    "%lld on this connection; start with BeginSync",
		    (long long)id);
		return (NULL);
	}
	return (s);
}
