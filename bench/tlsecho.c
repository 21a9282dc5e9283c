/*
 * tlsecho: the transport ceiling for bench-serve. parkd's own transport
 * (daemon/core: the listener, core/conn.c's TLS on the socket, framing and
 * backpressure, tls.c's context, mutual TLS 1.3), loaded from parkd's own
 * configuration file, with an owner that answers every request frame at
 * once with a Response of the request's id and a body of BODY bytes: what
 * parkd would cost with no work and no database.
 *
 *	tlsecho PORT PARKD_CONF BODY
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "parkd.pb-c.h"

static uint8_t	*body;
static size_t	 bodylen;

/* The owner of every connection: each frame answered at once. */
static int
echo_event(struct conn *c, enum conn_event ev, const uint8_t *data,
    size_t len)
{
	Parkd__V1__Request	*req;
	Parkd__V1__Response	 resp = PARKD__V1__RESPONSE__INIT;
	Parkd__V1__Status	 st = PARKD__V1__STATUS__INIT;
	uint8_t			 buf[65536];
	size_t			 n;

	if (ev != CONN_FRAME)
		return (0);
	c->authed = 1;		/* no principal to find: never "silent" */
	if ((req = parkd__v1__request__unpack(NULL, len, data)) != NULL) {
		resp.id = req->id;
		parkd__v1__request__free_unpacked(req, NULL);
	}
	resp.status = &st;
	st.message = "";
	resp.body.data = body;
	resp.body.len = bodylen;
	n = parkd__v1__response__pack(&resp, buf);
	conn_send_frame(c, buf, n);
	conn_req_done(c);
	return (0);
}

int
main(int argc, char **argv)
{
	char	*cause = NULL;

	if (argc != 4) {
		fprintf(stderr, "usage: tlsecho PORT PARKD_CONF BODY\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	bodylen = (size_t)atoi(argv[3]);
	if (bodylen > 60000 || (body = calloc(1, bodylen + 1)) == NULL)
		return (2);
	if ((server = calloc(1, sizeof(*server))) == NULL ||
	    (server->base = event_base_new()) == NULL)
		return (1);
	if ((server->cfg = config_load(argv[2], &cause)) == NULL ||
	    (server->ssl_ctx = tls_server_ctx(server->cfg, &cause)) == NULL) {
		fprintf(stderr, "tlsecho: %s\n", cause);
		return (1);
	}
	log_setlevel(LOG_LVL_WARN);
	server->cfg->listen_port = atoi(argv[1]);
	server->conn_cb = echo_event;
	server_raise_fd_limit();
	if (server_listen(&cause) != 0) {
		fprintf(stderr, "tlsecho: %s\n", cause);
		return (1);
	}
	event_base_dispatch(server->base);
	return (0);
}
