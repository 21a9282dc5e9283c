/*
 * Client connections: TLS driven directly on the non-blocking socket (as
 * pgbouncer does), framing, backpressure and timeouts. What a frame means
 * is the owner's business: server->conn_cb hears of open, frames, oversize
 * frames and close (the rpc layer's session).
 *
 * Per request in the steady state: one read(2) (OpenSSL reads ahead, so a
 * whole record, or several, come in one call; we read again only while
 * OpenSSL holds more), one write(2) (a frame is one TLS record, written at
 * once), and no epoll_ctl: the read event stays armed, the write event is
 * added only while the socket refuses output. bufferevent_openssl needed
 * two reads per record and two epoll_ctl per response (issue 10).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <openssl/err.h>

#include "core/core.h"

struct connlist	conns = TAILQ_HEAD_INITIALIZER(conns);
int		nconns;

static void	conn_process_input(struct conn *);
static void	conn_yield(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_tls_error(struct conn *, const char *, int);

static int	npending;	/* connections still in the TLS handshake */

/*
 * Frames one connection may start per wake-up; the rest wait for the next
 * turn of the loop, so a client pipelining many large frames cannot keep
 * the others waiting (memcached's reqs_per_event).
 */
#define FRAMES_PER_WAKEUP	8
/* Bytes asked of one SSL_read / given to one SSL_write (a TLS record). */
#define TLS_CHUNK		16384

static size_t
conn_out_high(void)
{
	return ((size_t)server->cfg->max_frame_size + 65536);
}

/* Input past this is not read until frames are taken out of it. */
static size_t
conn_in_high(void)
{
	return ((size_t)server->cfg->max_frame_size + FRAME_HEADER +
	    TLS_CHUNK);
}

static size_t
conn_outlen(struct conn *c)
{
	return (evbuffer_get_length(c->out));
}

/* Is c gone (closed, waiting to be freed)? */
static int
conn_gone(struct conn *c)
{
	return (c->ssl == NULL);
}

/* Stop reading: in-flight cap, output backlog, draining or closing. */
static void
conn_pause(struct conn *c)
{
	if (c->paused)
		return;
	c->paused = 1;
	event_del(c->rev);
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
	event_add(c->rev, NULL);
	if (c->in_input)
		return;		/* the loop in conn_process_input goes on */
	conn_process_input(c);
	if (!conn_gone(c) && !c->paused && SSL_has_pending(c->ssl))
		event_active(c->rev, EV_READ, 0);
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

/* Free what c holds besides itself; the socket is closed. */
static void
conn_free_io(struct conn *c)
{
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->more != NULL)
		event_free(c->more);
	c->rev = c->wev = c->more = NULL;
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	c->in = c->out = NULL;
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		evutil_closesocket(c->fd);
	c->fd = -1;
}

/* The one way a connection ends; logs the reason once. */
void
conn_close(struct conn *c, const char *reason)
{
	if (conn_gone(c))
		return;
	log_info("close cid=%llu peer=%s reason=\"%s\"",
	    (unsigned long long)c->id, c->peer, reason);
	if (!c->tls_ready)
		npending--;
	server->conn_cb(c, CONN_CLOSED, NULL, 0);
	c->owner = NULL;
	if (c->tls_ready) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);	/* close_notify, if it fits */
	}
	conn_free_io(c);
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

/*
 * Write what c has queued, a record at a time, until it is all out or the
 * socket is full (then the write event waits for room). Partial writes
 * and a moving buffer are allowed (tls.c), so a retry starts where the
 * last write stopped.
 */
static void
conn_flush(struct conn *c)
{
	size_t	 len;
	int	 n, err;
	uint8_t	*p;

	while (!conn_gone(c) && (len = conn_outlen(c)) > 0) {
		if (len > TLS_CHUNK)
			len = TLS_CHUNK;
		if ((p = evbuffer_pullup(c->out, (ssize_t)len)) == NULL) {
			conn_close(c, "out of memory writing a response");
			return;
		}
		ERR_clear_error();
		if ((n = SSL_write(c->ssl, p, (int)len)) > 0) {
			evbuffer_drain(c->out, (size_t)n);
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
			if (!c->write_wait) {
				c->write_wait = 1;
				event_add(c->wev, NULL);
			}
			return;
		}
		conn_tls_error(c, "TLS error", err);
		return;
	}
	if (conn_gone(c))
		return;
	if (c->write_wait) {
		c->write_wait = 0;
		event_del(c->wev);
	}
	if (c->closing) {
		if (c->inflight == 0)
			conn_close(c, server->draining ? "shutdown" :
			    "closed after error");
		return;
	}
	conn_resume(c);
}

void
conn_send_frame(struct conn *c, const uint8_t *body, size_t len)
{
	uint8_t		 hdr[FRAME_HEADER];

	if (conn_gone(c))
		return;
	frame_put_header(hdr, (uint32_t)len);
	if (evbuffer_add(c->out, hdr, sizeof(hdr)) != 0 ||
	    evbuffer_add(c->out, body, len) != 0) {
		log_warnx("cid=%llu cannot queue response, out of memory",
		    (unsigned long long)c->id);
		return;
	}
	c->active_ms = now_ms();
	if (!c->write_wait)
		conn_flush(c);		/* at once: one record, one write */
	if (!conn_gone(c) && conn_outlen(c) > conn_out_high())
		conn_pause(c);
}

/* A frame past max_frame_size: the owner says why, then the end. */
static void
conn_oversize(struct conn *c, uint32_t n)
{
	char		 msg[160];

	snprintf(msg, sizeof(msg), "frame length %u exceeds max_frame_size "
	    "%d; closing connection", n, server->cfg->max_frame_size);
	log_warnx("cid=%llu %s", (unsigned long long)c->id, msg);
	server->conn_cb(c, CONN_OVERSIZE, (uint8_t *)msg, strlen(msg));
	if (conn_gone(c))
		return;
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	conn_close_when_done(c);
}

/* Handle every complete frame buffered, up to the in-flight cap. */
static void
conn_process_input(struct conn *c)
{
	uint8_t		*p;
	uint32_t	 n;
	size_t		 have;
	int		 started = 0;

	c->in_input = 1;
	while (!conn_gone(c) && !c->paused) {
		if (started == FRAMES_PER_WAKEUP) {
			conn_yield(c);	/* go on at the next turn */
			break;
		}
		if (c->inflight >= server->cfg->max_inflight ||
		    conn_outlen(c) > conn_out_high()) {
			conn_pause(c);
			break;
		}
		if ((have = evbuffer_get_length(c->in)) == 0) {
			c->partial_ms = 0;
			break;
		}
		p = evbuffer_pullup(c->in, have < FRAME_HEADER ? -1 :
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
		p = evbuffer_pullup(c->in, (ssize_t)(FRAME_HEADER + n));
		if (p == NULL) {
			c->in_input = 0;
			conn_close(c, "out of memory buffering a frame");
			return;
		}
		c->inflight++;
		started++;
		server->conn_cb(c, CONN_FRAME, p + FRAME_HEADER, n);
		if (conn_gone(c))
			break;
		evbuffer_drain(c->in, FRAME_HEADER + n);
	}
	c->in_input = 0;
}

static void
conn_more_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	if (!conn_gone(c) && !c->closing && !server->draining)
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

/*
 * Why a TLS call failed, from OpenSSL's queue (its own reason, "unsupported
 * protocol", ...), the handshake's verify result or errno; then close.
 */
static void
conn_tls_error(struct conn *c, const char *what, int err)
{
	char		 buf[256], reason[400];
	unsigned long	 e;
	const char	*detail = NULL;
	int		 saved = errno;
	long		 vr;

	if ((e = ERR_peek_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		detail = buf;
	}
	ERR_clear_error();
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
	if (detail == NULL && err == SSL_ERROR_SYSCALL && saved != 0)
		detail = strerror(saved);
	snprintf(reason, sizeof(reason), "%s: %s", what,
	    detail ? detail : "connection reset");
	conn_close(c, reason);
}

/* The peer closed (or reset) its side. */
static void
conn_eof(struct conn *c)
{
	if (evbuffer_get_length(c->in) > 0)
		conn_close(c, "peer closed in the middle of a frame");
	else
		conn_close(c, "peer closed");
}

/* The handshake went on: 1 done, 0 waiting for the socket, -1 c closed. */
static int
conn_handshake(struct conn *c)
{
	int	 n, err;

	ERR_clear_error();
	if ((n = SSL_do_handshake(c->ssl)) != 1) {
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_READ)
			return (0);
		if (err == SSL_ERROR_WANT_WRITE) {
			if (!c->write_wait) {
				c->write_wait = 1;
				event_add(c->wev, NULL);
			}
			return (0);
		}
		conn_tls_error(c, "handshake failed", err);
		return (-1);
	}
	c->tls_ready = 1;
	npending--;
	c->active_ms = now_ms();
	if (tls_peer_fingerprint(c->ssl, c->fingerprint) != 0) {
		conn_close(c, "no client certificate");
		return (-1);
	}
	log_info("connected cid=%llu peer=%s fingerprint=%s tls=%s",
	    (unsigned long long)c->id, c->peer, c->fingerprint,
	    SSL_get_version(c->ssl));
	return (1);
}

/*
 * Decrypt what the socket has into c->in: read again only while OpenSSL
 * holds more than it gave, so a request costs one read(2). 0 on, -1 closed.
 */
static int
conn_fill(struct conn *c)
{
	struct evbuffer_iovec	 v;
	int			 n, err;

	do {
		if (evbuffer_get_length(c->in) > conn_in_high())
			return (0);	/* frames are taken out first */
		if (evbuffer_reserve_space(c->in, TLS_CHUNK, &v, 1) < 1) {
			conn_close(c, "out of memory reading");
			return (-1);
		}
		ERR_clear_error();
		if ((n = SSL_read(c->ssl, v.iov_base, TLS_CHUNK)) <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ)
				return (0);
			if (err == SSL_ERROR_WANT_WRITE) {
				conn_flush(c);
				return (conn_gone(c) ? -1 : 0);
			}
			if (err == SSL_ERROR_ZERO_RETURN ||
			    (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
			    (n == 0 || errno == ECONNRESET))) {
				ERR_clear_error();
				conn_eof(c);
				return (-1);
			}
			conn_tls_error(c, "TLS error", err);
			return (-1);
		}
		v.iov_len = (size_t)n;
		evbuffer_commit_space(c->in, &v, 1);
	} while (SSL_has_pending(c->ssl));
	return (0);
}

static void
conn_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	if (!c->tls_ready && conn_handshake(c) <= 0)
		return;
	if (c->closing || server->draining) {
		conn_pause(c);
		return;
	}
	if (conn_fill(c) == 0)
		conn_process_input(c);
}

static void
conn_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	if (!c->tls_ready) {
		c->write_wait = 0;
		event_del(c->wev);
		if (conn_handshake(c) <= 0)
			return;
	}
	conn_flush(c);
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
	c->fd = -1;
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
	c->fd = fd;
	if ((c->in = evbuffer_new()) == NULL ||
	    (c->out = evbuffer_new()) == NULL ||
	    (c->rev = event_new(server->base, fd, EV_READ | EV_PERSIST,
	    conn_read_cb, c)) == NULL ||
	    (c->wev = event_new(server->base, fd, EV_WRITE | EV_PERSIST,
	    conn_write_cb, c)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 || event_add(c->rev, NULL) != 0) {
		log_warnx("refused peer=%s reason=\"out of memory\"", peer);
		server->conn_cb(c, CONN_CLOSED, NULL, 0);
		conn_free_io(c);
		free(c);
		return;
	}
	SSL_set_accept_state(ssl);
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

/*
 * After a burst of connections has closed, give the memory they used back
 * to the system: glibc keeps freed heap otherwise, and a daemon that once
 * held 10,000 connections would stay that size. TRIM_AFTER closed since
 * the peak make a burst.
 */
#define TRIM_AFTER	1000
static void
conn_trim(void)
{
	static int	 peak;

	if (nconns > peak)
		peak = nconns;
	if (peak - nconns < TRIM_AFTER)
		return;
	conn_reap();
	(void)malloc_trim(0);
	log_info("connections down from %d to %d: memory returned", peak,
	    nconns);
	peak = nconns;
}

/* Per-second sweep: handshake, read, idle and close deadlines. */
void
conn_janitor(uint64_t now)
{
	struct conn		*c, *next;
	const struct config	*cfg = server->cfg;

	conn_trim();
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
