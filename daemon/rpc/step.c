/*
 * The step helper: a method states its statements (store/sql/) and what to
 * do with each result; this file owns the rest — BEGIN before the first
 * and COMMIT after the last for a method that writes, the result-status
 * checks, the mapping of database errors to a status, and the reply.
 *
 * A step's params() runs before its statement is sent (the first one's
 * before BEGIN, so a request refused on its fields costs no round trip;
 * BEGIN and the first statement then go in one round trip);
 * the parameters it adds are used after it returns, so a string must live
 * as long as the request (its fields, or req_strdup of a local buffer);
 * its then() reads the result and returns STEP_NEXT, or STEP_DONE once it
 * has failed the request. The reply is what step_reply() kept last; in a
 * transaction its strings must be the request's own (req_strdup), as the
 * result they came from is freed before COMMIT answers.
 */
#include <assert.h>

#include "rpc/rpc.h"

static void	step_send(struct req *);

/* Fail r from a then(): the helper stops there. */
int
step_fail(struct req *r, int code, const char *msg)
{
	req_fail(r, code, "%s", msg);
	return (STEP_DONE);
}

/* Keep m as r's reply (sent after the last step and its COMMIT). */
int
step_reply(struct req *r, const ProtobufCMessage *m)
{
	r->reply = m;
	return (STEP_NEXT);
}

/*
 * Reply with row 0 of res as a message of type desc, every field from the
 * column of its name. Its strings are res's: only outside a transaction.
 */
int
step_reply_row(struct req *r, PGresult *res,
    const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage	*m;
	int			*cols;

	assert(!r->plan->tx);
	if ((cols = pg_message_columns(r, desc, res)) == NULL ||
	    (m = pg_message(r, desc, res, 0, cols)) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, m));
}

/*
 * Reply with every row of res (up to size; more means another page) as
 * the repeated message field of a message of type desc, each filled from
 * its columns; keycol names the next page's token column (NULL: one page).
 */
int
step_reply_list(struct req *r, PGresult *res, int size,
    const ProtobufCMessageDescriptor *desc, const char *keycol)
{
	return (step_reply_page(r, res, size, desc, keycol, NULL));
}

/*
 * The same, each message filled by fill(r, res, row, message) instead,
 * for a message whose fields need more than their columns' text (a JSON
 * list, a comma-separated one, a field under another name).
 */
int
step_reply_page(struct req *r, PGresult *res, int size,
    const ProtobufCMessageDescriptor *desc, const char *keycol,
    page_fill fill)
{
	const ProtobufCFieldDescriptor	*list = NULL, *tok;
	const ProtobufCMessageDescriptor *elem;
	ProtobufCMessage		*out, **v = NULL;
	int				*cols = NULL, i, n;
	unsigned			 f;

	assert(!r->plan->tx);
	for (f = 0; f < desc->n_fields && list == NULL; f++) {
		if (desc->fields[f].label == PROTOBUF_C_LABEL_REPEATED &&
		    desc->fields[f].type == PROTOBUF_C_TYPE_MESSAGE)
			list = &desc->fields[f];
	}
	assert(list != NULL);
	elem = list->descriptor;
	n = PQntuples(res) > size ? size : PQntuples(res);
	if ((out = req_alloc(r, desc->sizeof_message)) == NULL ||
	    (v = req_alloc(r, (size_t)(n + 1) * sizeof(*v))) == NULL ||
	    (fill == NULL &&
	    (cols = pg_message_columns(r, list->descriptor, res)) == NULL))
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	desc->message_init(out);
	for (i = 0; i < n; i++) {
		if (fill == NULL)
			v[i] = pg_message(r, list->descriptor, res, i, cols);
		else if ((v[i] = req_alloc(r, elem->sizeof_message)) !=
		    NULL) {
			elem->message_init(v[i]);
			fill(r, res, i, v[i]);
		}
		if (v[i] == NULL)
			return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
			    "out of memory"));
	}
	*(size_t *)((char *)out + list->quantifier_offset) = (size_t)n;
	*(ProtobufCMessage ***)((char *)out + list->offset) = v;
	tok = protobuf_c_message_descriptor_get_field_by_name(desc,
	    "next_page_token");
	if (tok != NULL && keycol != NULL && PQntuples(res) > size && n > 0)
		*(char **)((char *)out + tok->offset) = req_strdup(r,
		    pg_get(res, n - 1, keycol));
	return (step_reply(r, out));
}

static int
step_ok(struct req *r, PGresult *res)
{
	if (res != NULL && (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK))
		return (1);
	req_fail_pg(r, res, r->plan->what);
	return (0);
}

static void
step_committed(struct req *r, PGresult *res)
{
	if (!step_ok(r, res))
		return;
	if (r->reply == NULL)
		req_fail(r, PARKD__V1__CODE__INTERNAL, "%s: no reply",
		    r->plan->what);
	else
		req_reply(r, r->reply);
}

static void
step_done(struct req *r, PGresult *res)
{
	const struct step	*s = &r->plan->steps[r->step];

	if (!step_ok(r, res) || s->then(r, res) == STEP_DONE)
		return;
	if (r->plan->steps[++r->step].then != NULL)
		step_send(r);
	else if (r->plan->tx)
		db_query(r, "COMMIT", 0, NULL, step_committed);
	else
		step_committed(r, res);
}

/*
 * Does r run as a plan of reads with no transaction? Its statements then go
 * one by one to the pipelined read connections (core/dbpipe.c) and it
 * holds no connection of its own.
 */
int
step_pipelined(const struct req *r)
{
	const struct method_def	*def = r->m->def;

	return (def->plan != NULL && def->ro && !def->plan->tx &&
	    server->cfg->read_pool_size > 0);
}

static void
step_exec(struct req *r)
{
	int	 stmt = r->qp->stmt >= 0 ? r->qp->stmt :
		    r->plan->steps[r->step].stmt;

	if (r->db != NULL)
		db_exec(r, stmt, r->qp->n, r->qp->v, step_done);
	else if (db_submit(r, stmt, r->qp->n, r->qp->v, step_done) != 0)
		db_acquire(r, step_exec);	/* none is up: one of its own */
}

static void
step_send(struct req *r)
{
	const struct step	*s = &r->plan->steps[r->step];

	if (r->qp == NULL && (r->qp = req_alloc(r, sizeof(*r->qp))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory");
		return;
	}
	qp_init(r->qp);
	if (s->params != NULL && s->params(r, r->qp) != 0)
		return;			/* r is failed */
	if (r->plan->tx && r->step == 0 && r->db != NULL)
		db_exec_begin(r, r->qp->stmt >= 0 ? r->qp->stmt :
		    s->stmt, r->qp->n, r->qp->v, step_done);
	else
		step_exec(r);
}

/* Run r's method as the plan of its method table entry. */
void
step_run(struct req *r)
{
	r->plan = r->m->def->plan;
	assert(r->plan != NULL && r->plan->steps[0].then != NULL);
	r->step = 0;
	step_send(r);
}
