/*
 * tlsecho: the transport ceiling for bench-serve. A server on the same
 * stack as parkd (libevent 2.1, bufferevent_openssl, mutual TLS 1.3, the
 * same framing) that answers every request frame at once with a Response
 * of the request's id and a body of BODY bytes: what parkd would cost with
 * no work and no database.
 *
 *	tlsecho PORT TLSDIR BODY
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "parkd.pb-c.h"
#include "lib/lib.h"

static SSL_CTX	*ctx;
static uint8_t	*body;
static size_t	 bodylen;

static void
reply(struct bufferevent *bev, uint64_t id)
{
	Parkd__V1__Response	 resp = PARKD__V1__RESPONSE__INIT;
	Parkd__V1__Status	 st = PARKD__V1__STATUS__INIT;
	uint8_t			 hdr[FRAME_HEADER], buf[65536];
	size_t			 n;

	resp.id = id;
	resp.status = &st;
	st.message = "";
	resp.body.data = body;
	resp.body.len = bodylen;
	n = parkd__v1__response__pack(&resp, buf);
	frame_put_header(hdr, (uint32_t)n);
	evbuffer_add(bufferevent_get_output(bev), hdr, sizeof(hdr));
	evbuffer_add(bufferevent_get_output(bev), buf, n);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	Parkd__V1__Request	*req;
	uint8_t			*p;
	uint32_t		 n;
	size_t			 have;

	(void)arg;
	while ((have = evbuffer_get_length(in)) >= FRAME_HEADER) {
		p = evbuffer_pullup(in, FRAME_HEADER);
		if (frame_check(p, have, 1 << 20, &n) != FRAME_READY)
			return;
		p = evbuffer_pullup(in, (ssize_t)(FRAME_HEADER + n));
		req = parkd__v1__request__unpack(NULL, n, p + FRAME_HEADER);
		reply(bev, req != NULL ? req->id : 0);
		if (req != NULL)
			parkd__v1__request__free_unpacked(req, NULL);
		evbuffer_drain(in, FRAME_HEADER + n);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct bufferevent	*bev;
	int			 one = 1;

	(void)sa;
	(void)salen;
	(void)arg;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bev = bufferevent_openssl_socket_new(evconnlistener_get_base(l), fd,
	    SSL_new(ctx), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return;
	bufferevent_setcb(bev, read_cb, NULL, event_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct sockaddr_in	 sin;
	char			 crt[512], key[512], ca[512];

	if (argc != 4) {
		fprintf(stderr, "usage: tlsecho PORT TLSDIR BODY\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	bodylen = (size_t)atoi(argv[3]);
	if (bodylen > 60000 || (body = calloc(1, bodylen + 1)) == NULL)
		return (2);
	snprintf(crt, sizeof(crt), "%s/server.crt", argv[2]);
	snprintf(key, sizeof(key), "%s/server.key", argv[2]);
	snprintf(ca, sizeof(ca), "%s/ca.crt", argv[2]);
	ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		fprintf(stderr, "tlsecho: cannot load %s\n", argv[2]);
		return (1);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	base = event_base_new();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (evconnlistener_new_bind(base, accept_cb, NULL, LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_FREE, 512, (struct sockaddr *)&sin,
	    sizeof(sin)) == NULL) {
		fprintf(stderr, "tlsecho: cannot listen on %s\n", argv[1]);
		return (1);
	}
	event_base_dispatch(base);
	return (0);
}
