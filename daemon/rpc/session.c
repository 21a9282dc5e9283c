/*
 * The RPC layer's side of a client connection: core/conn.c reports open,
 * frames, oversize frames and close here (server->conn_cb); a session
 * keeps the requests in flight, the cached principal and an open push.
 */
#include <stdlib.h>

#include "rpc/rpc.h"

static session_hook	close_hook;

/* fn(session) runs when a session's connection closes (main registers). */
void
session_on_close(session_hook fn)
{
	close_hook = fn;
}

static void
session_closed(struct session *s)
{
	struct req	*r;

	while ((r = TAILQ_FIRST(&s->reqs)) != NULL) {
		TAILQ_REMOVE(&s->reqs, r, centry);
		req_orphan(r);
	}
	if (s->push != NULL && close_hook != NULL)
		close_hook(s);
	free(s);
}

int
session_event(struct conn *c, enum conn_event ev, const uint8_t *data,
    size_t len)
{
	struct session	*s = c->owner;

	switch (ev) {
	case CONN_OPEN:
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return (-1);
		s->c = c;
		TAILQ_INIT(&s->reqs);
		c->owner = s;
		return (0);
	case CONN_FRAME:
		req_start(s, data, len);
		return (0);
	case CONN_OVERSIZE:
		session_send_status(s, 0, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    (const char *)data);
		return (0);
	case CONN_CLOSED:
		if (s != NULL)
			session_closed(s);
		c->owner = NULL;
		return (0);
	}
	return (0);
}
