/*
 * Client connections: TLS via bufferevent_openssl, framing, backpressure and
 * timeouts. The only file that touches bufferevents. What a frame means is
 * the owner's business: server->conn_cb hears of open, frames, oversize
 * frames and close (the rpc layer's session).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "core/core.h"

struct connlist	conns = TAILQ_HEAD_INITIALIZER(conns);
int		nconns;

static void	conn_process_input(struct conn *);
static void	conn_yield(struct conn *);

static int	npending;	/* connections still in the TLS handshake */

/*
 * Frames one connection may start per wake-up; the rest wait for the next
 * turn of the loop, so a client pipelining many large frames cannot keep
 * the others waiting (memcached's reqs_per_event).
 */
#define FRAMES_PER_WAKEUP	8

static size_t
conn_out_high(void)
{
	return ((size_t)server->cfg->max_frame_size + 65536);
}

static size_t
conn_outlen(struct conn *c)
{
	return (evbuffer_get_length(bufferevent_get_output(c->bev)));
}

/* Stop reading: in-flight cap, output backlog, draining or closing. */
static void
conn_pause(struct conn *c)
{
	if (c->paused)
		return;
	c->paused = 1;
	bufferevent_disable(c->bev, EV_READ);
}

/*
 * Start reading again. Bytes OpenSSL already decrypted are not signalled by
 * the socket, so nudge the read event when it holds any (PITFALLS.md).
 */
static void
conn_resume(struct conn *c)
{
	if (!c->paused || c->closing || server->draining ||
	    c->inflight >= server->cfg->max_inflight ||
	    conn_outlen(c) > conn_out_high() / 2)
		return;
	c->paused = 0;
	bufferevent_enable(c->bev, EV_READ);
	if (c->in_input)
		return;		/* the loop in conn_process_input goes on */
	conn_process_input(c);
	if (!c->paused && c->bev != NULL && SSL_has_pending(c->ssl))
		event_base_active_by_fd(server->base,
		    bufferevent_getfd(c->bev), EV_READ);
}

static struct connlist	 deadconns = TAILQ_HEAD_INITIALIZER(deadconns);
static struct event	*reaper;

/* Free closed connections, after the callback stack has unwound. */
void
conn_reap(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&deadconns)) != NULL) {
		TAILQ_REMOVE(&deadconns, c, entry);
		free(c);
	}
}

static void
conn_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	conn_reap();
}

void
conn_shutdown(void)
{
	conn_reap();
	if (reaper != NULL)
		event_free(reaper);
	reaper = NULL;
}

/* The one way a connection ends; logs the reason once. */
void
conn_close(struct conn *c, const char *reason)
{
	if (c->bev == NULL)
		return;
	log_info("close cid=%llu peer=%s reason=\"%s\"",
	    (unsigned long long)c->id, c->peer, reason);
	if (!c->tls_ready)
		npending--;
	server->conn_cb(c, CONN_CLOSED, NULL, 0);
	c->owner = NULL;
	if (c->tls_ready)
		SSL_shutdown(c->ssl);
	bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->more != NULL)
		event_free(c->more);
	c->more = NULL;
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	stats_conn(0);
	/* Freed after the callback stack unwinds. */
	TAILQ_INSERT_TAIL(&deadconns, c, entry);
	if (reaper == NULL)
		reaper = event_new(server->base, -1, 0, conn_reap_cb, NULL);
	if (reaper != NULL)
		event_active(reaper, EV_TIMEOUT, 0);
	server_maybe_exit();
}

/* Close once output is flushed and nothing is in flight. */
void
conn_close_when_done(struct conn *c)
{
	c->closing = 1;
	conn_pause(c);
	if (c->inflight == 0 && conn_outlen(c) == 0)
		conn_close(c, server->draining ? "shutdown" : "protocol error");
}

void
conn_send_frame(struct conn *c, const uint8_t *body, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	uint8_t		 hdr[FRAME_HEADER];

	frame_put_header(hdr, (uint32_t)len);
	if (evbuffer_add(out, hdr, sizeof(hdr)) != 0 ||
	    evbuffer_add(out, body, len) != 0) {
		log_warnx("cid=%llu cannot queue response, out of memory",
		    (unsigned long long)c->id);
		return;
	}
	c->active_ms = now_ms();
	if (conn_outlen(c) > conn_out_high())
		conn_pause(c);
}

/* A frame past max_frame_size: the owner says why, then the end. */
static void
conn_oversize(struct conn *c, uint32_t n)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	char		 msg[160];

	snprintf(msg, sizeof(msg), "frame length %u exceeds max_frame_size "
	    "%d; closing connection", n, server->cfg->max_frame_size);
	log_warnx("cid=%llu %s", (unsigned long long)c->id, msg);
	server->conn_cb(c, CONN_OVERSIZE, (uint8_t *)msg, strlen(msg));
	evbuffer_drain(in, evbuffer_get_length(in));
	conn_close_when_done(c);
}

/* Handle every complete frame buffered, up to the in-flight cap. */
static void
conn_process_input(struct conn *c)
{
	struct evbuffer	*in;
	uint8_t		*p;
	uint32_t	 n;
	size_t		 have;
	int		 started = 0;

	c->in_input = 1;
	while (c->bev != NULL && !c->paused) {
		if (started == FRAMES_PER_WAKEUP) {
			conn_yield(c);	/* go on at the next turn */
			break;
		}
		if (c->inflight >= server->cfg->max_inflight ||
		    conn_outlen(c) > conn_out_high()) {
			conn_pause(c);
			break;
		}
		in = bufferevent_get_input(c->bev);
		if ((have = evbuffer_get_length(in)) == 0) {
			c->partial_ms = 0;
			break;
		}
		p = evbuffer_pullup(in, have < FRAME_HEADER ? -1 :
		    FRAME_HEADER);
		switch (frame_check(p, have, (size_t)server->cfg->max_frame_size,
		    &n)) {
		case FRAME_TOO_LARGE:
			c->in_input = 0;
			conn_oversize(c, n);
			return;
		case FRAME_NEED_MORE:
			if (c->partial_ms == 0)
				c->partial_ms = now_ms();
			c->in_input = 0;
			return;
		case FRAME_READY:
			break;
		}
		c->partial_ms = 0;
		c->active_ms = now_ms();
		p = evbuffer_pullup(in, (ssize_t)(FRAME_HEADER + n));
		if (p == NULL) {
			c->in_input = 0;
			conn_close(c, "out of memory buffering a frame");
			return;
		}
		c->inflight++;
		started++;
		server->conn_cb(c, CONN_FRAME, p + FRAME_HEADER, n);
		if (c->bev == NULL)
			break;
		evbuffer_drain(in, FRAME_HEADER + n);
	}
	c->in_input = 0;
}

static void
conn_more_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	if (c->bev != NULL && !c->closing && !server->draining)
		conn_process_input(c);
}

/* More complete frames are buffered: handle them at the next turn. */
static void
conn_yield(struct conn *c)
{
	if (c->more == NULL &&
	    (c->more = event_new(server->base, -1, 0, conn_more_cb, c)) == NULL)
		return;		/* the next read event will do */
	event_active(c->more, EV_TIMEOUT, 0);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (c->closing || server->draining) {
		conn_pause(c);
		return;
	}
	conn_process_input(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (c->closing) {
		if (c->inflight == 0 && conn_outlen(c) == 0)
			conn_close(c, server->draining ? "shutdown" :
			    "closed after error");
		return;
	}
	conn_resume(c);
}

static void
conn_tls_error(struct conn *c, const char *what)
{
	char		 buf[256], reason[400];
	unsigned long	 e;
	const char	*detail = NULL;

	long		 vr;

	/*
	 * OpenSSL's own reason ("unsupported protocol", ...): the first error
	 * from an OpenSSL library; libevent adds bare errno values after it.
	 */
	while ((e = bufferevent_get_openssl_error(c->bev)) != 0) {
		if (detail != NULL && ERR_GET_LIB(e) == 0)
			continue;
		if (detail == NULL || ERR_GET_LIB(e) != 0) {
			ERR_error_string_n(e, buf, sizeof(buf));
			detail = buf;
			if (ERR_GET_LIB(e) != 0)
				break;
		}
	}
	while (bufferevent_get_openssl_error(c->bev) != 0)
		;	/* drain the rest */
	if (!c->tls_ready) {
		vr = SSL_get_verify_result(c->ssl);
		if (vr != X509_V_OK) {
			snprintf(buf, sizeof(buf), "client certificate "
			    "rejected: %s", X509_verify_cert_error_string(vr));
			detail = buf;
		} else if (detail == NULL &&
		    SSL_get0_peer_certificate(c->ssl) == NULL)
			detail = "no client certificate presented";
	}
	if (detail == NULL && EVUTIL_SOCKET_ERROR() != 0)
		detail = evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
	snprintf(reason, sizeof(reason), "%s: %s", what,
	    detail ? detail : "connection reset");
	conn_close(c, reason);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->tls_ready = 1;
		npending--;
		c->active_ms = now_ms();
		if (tls_peer_fingerprint(c->ssl, c->fingerprint) != 0) {
			conn_close(c, "no client certificate");
			return;
		}
		log_info("connected cid=%llu peer=%s fingerprint=%s tls=%s",
		    (unsigned long long)c->id, c->peer, c->fingerprint,
		    SSL_get_version(c->ssl));
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		conn_tls_error(c, c->tls_ready ? "TLS error" :
		    "handshake failed");
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
			conn_close(c, "peer closed in the middle of a frame");
		else
			conn_close(c, "peer closed");
	}
}

/*
 * May a new connection from addr come in? Past max_per_address it is
 * refused; past max_handshakes the oldest unfinished handshake makes room,
 * so sockets that never speak TLS cannot lock registered clients out.
 * 0 to admit, -1 (why filled in) to refuse.
 */
int
conn_admit(const char *addr, const char *peer)
{
	const struct config	*cfg = server->cfg;
	struct conn		*c, *oldest = NULL, *oldest_same = NULL;
	int			 same = 0;

	TAILQ_FOREACH(c, &conns, entry) {
		if (strcmp(c->addr, addr) == 0) {
			same++;
			if (!c->tls_ready && oldest_same == NULL)
				oldest_same = c;
		}
		if (!c->tls_ready && oldest == NULL)
			oldest = c;
	}
	if (same >= cfg->max_per_address) {
		if (oldest_same == NULL) {
			log_warnx("refused peer=%s reason=\"max_per_address "
			    "(%d) reached\"", peer, cfg->max_per_address);
			return (-1);
		}
		if (oldest == oldest_same)
			oldest = NULL;
		conn_close(oldest_same, "dropped for a new connection: "
		    "max_per_address reached");
	}
	if (npending >= cfg->max_handshakes && oldest != NULL)
		conn_close(oldest, "dropped for a new connection: "
		    "max_handshakes reached");
	if (nconns >= cfg->max_connections) {
		log_warnx("refused peer=%s reason=\"max_connections (%d) "
		    "reached\"", peer, cfg->max_connections);
		return (-1);
	}
	return (0);
}

void
conn_accept(int fd, const char *addr, const char *peer)
{
	struct conn	*c;
	SSL		*ssl;
	int		 one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (ssl = SSL_new(server->ssl_ctx)) == NULL) {
		log_warnx("refused peer=%s reason=\"out of memory\"", peer);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->id = ++server->next_conn_id;
	c->ssl = ssl;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->accepted_ms = c->active_ms = now_ms();
	if (server->conn_cb(c, CONN_OPEN, NULL, 0) != 0) {
		log_warnx("refused peer=%s reason=\"out of memory\"", peer);
		SSL_free(ssl);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	/* a response is written as it is ready: no Nagle delay behind it */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->bev = bufferevent_openssl_socket_new(server->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("refused peer=%s reason=\"bufferevent\"", peer);
		server->conn_cb(c, CONN_CLOSED, NULL, 0);
		SSL_free(ssl);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
	npending++;
	stats_conn(1);
	log_debug("accepted cid=%llu peer=%s", (unsigned long long)c->id,
	    peer);
}

/* A request of c finished (its response, if any, is queued). */
void
conn_req_done(struct conn *c)
{
	c->inflight--;
	c->active_ms = now_ms();
	if (c->closing || server->draining) {
		conn_close_when_done(c);
		return;
	}
	conn_resume(c);
}

/* Per-second sweep: handshake, read, idle and close deadlines. */
void
conn_janitor(uint64_t now)
{
	struct conn		*c, *next;
	const struct config	*cfg = server->cfg;

	TAILQ_FOREACH_SAFE(c, &conns, entry, next) {
		if (!c->tls_ready &&
		    now - c->accepted_ms > (uint64_t)cfg->handshake_timeout * 1000)
			conn_close(c, "handshake timeout");
		else if (!c->authed && c->inflight == 0 && now - c->accepted_ms >
		    (uint64_t)cfg->handshake_timeout * 2000)
			conn_close(c, "no request from a registered principal "
			    "within twice handshake_timeout");
		else if (c->partial_ms != 0 &&
		    now - c->partial_ms > (uint64_t)cfg->read_timeout * 1000)
			conn_close(c, "read timeout in the middle of a frame");
		else if (c->closing &&
		    now - c->active_ms > (uint64_t)cfg->read_timeout * 1000)
			conn_close(c, "peer does not read its responses");
		else if (c->inflight == 0 &&
		    now - c->active_ms > (uint64_t)cfg->idle_timeout * 1000)
			conn_close(c, "idle timeout");
	}
}

/* SIGTERM: every connection stops reading and closes when done. */
void
conn_drain_all(void)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &conns, entry, next) {
		if (!c->tls_ready) {
			conn_close(c, "shutdown");
			continue;
		}
		conn_close_when_done(c);
	}
}
