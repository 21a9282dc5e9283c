/* libparkc: blocking client over OpenSSL with parkd's framing. */
#include <sys/socket.h>
#include <sys/time.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "libparkc.h"
#include "lib/lib.h"

struct parkc {
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	uint64_t	 next_id;
	size_t		 max_frame;
	char		 err[512];
};



static void
seterr(struct parkc *pc, char *buf, size_t len, const char *fmt, ...)
{
	va_list		 ap;
	char		 tmp[512], ssl[256] = "";
	unsigned long	 e;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, ssl, sizeof(ssl));
		ERR_clear_error();
	}
	if (pc != NULL) {
		buf = pc->err;
		len = sizeof(pc->err);
	}
	if (buf != NULL)
		snprintf(buf, len, "%s%s%s", tmp, ssl[0] ? ": " : "", ssl);
}

const char *
parkc_error(const struct parkc *pc)
{
	return (pc->err);
}

int
parkc_fd(const struct parkc *pc)
{
	return (pc->fd);
}

/*
 * 1 if bytes from parkd wait inside the TLS layer already: poll(2) on
 * parkc_fd says nothing about those (read-ahead).
 */
int
parkc_pending(const struct parkc *pc)
{
	return (SSL_has_pending(pc->ssl));
}

const char *
parkc_code_name(int code)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &parkd__v1__code__descriptor, code);

	return (v != NULL ? v->name : "UNKNOWN");
}

static int
tcp_connect(const char *server, int timeout_ms, char *err, size_t errlen)
{
	char		 host[256], *port;
	struct addrinfo	 hints, *res, *ai;
	struct timeval	 tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int		 fd = -1, rc, one = 1;

	snprintf(host, sizeof(host), "%s", server);
	if ((port = strrchr(host, ':')) == NULL) {
		snprintf(err, errlen, "server '%s' is not host:port", server);
		return (-1);
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", server, gai_strerror(rc));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "connect %s: %s", server, strerror(errno));
	return (fd);
}

static SSL_CTX *
client_ctx(const struct parkc_opts *o, char *err, size_t errlen)
{
	SSL_CTX	*ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		seterr(NULL, err, errlen, "SSL_CTX_new");
		return (NULL);
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (o->ca != NULL && SSL_CTX_load_verify_locations(ctx, o->ca,
	    NULL) != 1) {
		seterr(NULL, err, errlen, "cannot load CA %s", o->ca);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, o->ca != NULL ? SSL_VERIFY_PEER :
	    SSL_VERIFY_NONE, NULL);
	if (o->cert != NULL && (SSL_CTX_use_certificate_chain_file(ctx,
	    o->cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx,
	    o->key ? o->key : o->cert, SSL_FILETYPE_PEM) != 1)) {
		seterr(NULL, err, errlen, "cannot load certificate %s",
		    o->cert);
		goto fail;
	}
	return (ctx);
fail:
	SSL_CTX_free(ctx);
	return (NULL);
}

/* Verify the server's name (or IP) against its certificate. */
static int
set_peer_name(SSL *ssl, const char *server)
{
	char	 host[256], *p;

	snprintf(host, sizeof(host), "%s", server);
	if ((p = strrchr(host, ':')) != NULL)
		*p = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		if ((p = strchr(host, ']')) != NULL)
			*p = '\0';
	}
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1)
		return (0);
	SSL_set_tlsext_host_name(ssl, host);
	return (SSL_set1_host(ssl, host) == 1 ? 0 : -1);
}

struct parkc *
parkc_connect(const struct parkc_opts *o, char *err, size_t errlen)
{
	struct parkc	*pc;
	const char	*server = o->server ? o->server : "127.0.0.1:7443";
	int		 timeout = o->timeout_ms > 0 ? o->timeout_ms : 30000;

	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	pc->fd = -1;
	pc->max_frame = o->max_frame ? o->max_frame : 64u << 20;
	if (o->share != NULL && SSL_CTX_up_ref(o->share->ctx) == 1)
		pc->ctx = o->share->ctx;
	else if ((pc->ctx = client_ctx(o, err, errlen)) == NULL)
		goto fail;
	if ((pc->fd = tcp_connect(server, timeout, err, errlen)) == -1)
		goto fail;
	if ((pc->ssl = SSL_new(pc->ctx)) == NULL ||
	    SSL_set_fd(pc->ssl, pc->fd) != 1 ||
	    set_peer_name(pc->ssl, server) != 0) {
		seterr(NULL, err, errlen, "SSL setup");
		goto fail;
	}
	/* a record in one read(2), not two (header, then body) */
	SSL_set_read_ahead(pc->ssl, 1);
	if (SSL_connect(pc->ssl) != 1) {
		seterr(NULL, err, errlen, "TLS handshake with %s failed",
		    server);
		goto fail;
	}
	return (pc);
fail:
	parkc_close(pc);
	return (NULL);
}

void
parkc_close(struct parkc *pc)
{
	if (pc == NULL)
		return;
	if (pc->ssl != NULL) {
		SSL_shutdown(pc->ssl);
		SSL_free(pc->ssl);
	}
	if (pc->fd != -1)
		close(pc->fd);
	SSL_CTX_free(pc->ctx);
	free(pc);
}

static int
write_all(struct parkc *pc, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	size_t		 done;

	while (len > 0) {
		if (SSL_write_ex(pc->ssl, p, len, &done) != 1) {
			seterr(pc, NULL, 0, "write to parkd failed");
			return (-1);
		}
		p += done;
		len -= done;
	}
	return (0);
}

static int
read_all(struct parkc *pc, void *buf, size_t len)
{
	uint8_t	*p = buf;
	size_t	 done;
	int	 e;

	while (len > 0) {
		if (SSL_read_ex(pc->ssl, p, len, &done) != 1) {
			e = SSL_get_error(pc->ssl, 0);
			seterr(pc, NULL, 0, "%s", e == SSL_ERROR_ZERO_RETURN ||
			    e == SSL_ERROR_SYSCALL ? "connection closed by "
			    "parkd" : "read from parkd failed");
			return (-1);
		}
		p += done;
		len -= done;
	}
	return (0);
}

int
parkc_send_raw(struct parkc *pc, const void *buf, size_t len)
{
	return (write_all(pc, buf, len));
}

int
parkc_method(const char *name, const ProtobufCMessageDescriptor **in,
    const ProtobufCMessageDescriptor **out)
{
	const ProtobufCMethodDescriptor	*m;
	size_t				 i;

	for (i = 0; i < parkc_nservices; i++) {
		m = protobuf_c_service_descriptor_get_method_by_name(
		    parkc_services[i], name);
		if (m != NULL) {
			if (in != NULL)
				*in = m->input;
			if (out != NULL)
				*out = m->output;
			return (0);
		}
	}
	return (-1);
}

/* Send one request without waiting; *id gets its request id. */
int
parkc_send(struct parkc *pc, const char *method, const ProtobufCMessage *in,
    const char *idem, uint64_t *id)
{
	Parkd__V1__Request	 req = PARKD__V1__REQUEST__INIT;
	size_t			 blen, n;
	uint8_t			*body, *frame;
	int			 rc;

	blen = protobuf_c_message_get_packed_size(in);
	if ((body = malloc(blen ? blen : 1)) == NULL) {
		seterr(pc, NULL, 0, "out of memory");
		return (-1);
	}
	protobuf_c_message_pack(in, body);
	req.id = ++pc->next_id;
	req.method = (char *)method;
	req.body.data = body;
	req.body.len = blen;
	req.idempotency_key = (char *)(idem ? idem : "");
	n = parkd__v1__request__get_packed_size(&req);
	if ((frame = malloc(FRAME_HEADER + n)) == NULL) {
		free(body);
		seterr(pc, NULL, 0, "out of memory");
		return (-1);
	}
	frame_put_header(frame, (uint32_t)n);
	parkd__v1__request__pack(&req, frame + FRAME_HEADER);
	rc = write_all(pc, frame, FRAME_HEADER + n);
	free(frame);
	free(body);
	if (rc == 0 && id != NULL)
		*id = req.id;
	return (rc);
}

/* Read one response frame (blocking, bounded by the timeout). */
int
parkc_recv(struct parkc *pc, Parkd__V1__Response **resp)
{
	uint8_t		 hdr[FRAME_HEADER], *buf;
	uint32_t	 n;

	if (read_all(pc, hdr, sizeof(hdr)) != 0)
		return (-1);
	if (frame_check(hdr, sizeof(hdr), pc->max_frame, &n) ==
	    FRAME_TOO_LARGE) {
		seterr(pc, NULL, 0, "response of %u bytes is too large", n);
		return (-1);
	}
	if ((buf = malloc(n ? n : 1)) == NULL) {
		seterr(pc, NULL, 0, "out of memory");
		return (-1);
	}
	if (read_all(pc, buf, n) != 0) {
		free(buf);
		return (-1);
	}
	*resp = parkd__v1__response__unpack(NULL, n, buf);
	free(buf);
	if (*resp == NULL) {
		seterr(pc, NULL, 0, "parkd sent a response that does not "
		    "decode");
		return (-1);
	}
	return (0);
}

/* Fill res from resp (taking ownership), decoding the body of method. */
int
parkc_decode(const char *method, Parkd__V1__Response *resp,
    struct parkc_result *res)
{
	const ProtobufCMessageDescriptor *out = NULL;

	memset(res, 0, sizeof(*res));
	res->resp = resp;
	res->status = resp->status;
	res->code = resp->status ? (int)resp->status->code : 0;
	res->message = resp->status ? resp->status->message : "";
	if (res->code != 0)
		return (0);
	if (parkc_method(method, NULL, &out) != 0)
		return (0);
	res->body = protobuf_c_message_unpack(out, NULL, resp->body.len,
	    resp->body.data);
	if (res->body == NULL) {
		res->code = PARKD__V1__CODE__INTERNAL;
		res->message = "response body does not decode";
	}
	return (0);
}

/* One synchronous call: 0 if a response came (see res->code), -1 if not. */
int
parkc_call(struct parkc *pc, const char *method, const ProtobufCMessage *in,
    const char *idem, struct parkc_result *res)
{
	Parkd__V1__Response	*resp;
	uint64_t		 id;

	memset(res, 0, sizeof(*res));
	if (parkc_send(pc, method, in, idem, &id) != 0)
		return (-1);
	for (;;) {
		if (parkc_recv(pc, &resp) != 0)
			return (-1);
		if (resp->id == id || resp->id == 0)
			break;
		parkd__v1__response__free_unpacked(resp, NULL);
	}
	return (parkc_decode(method, resp, res));
}

void
parkc_result_free(struct parkc_result *res)
{
	if (res->body != NULL)
		protobuf_c_message_free_unpacked(res->body, NULL);
	if (res->resp != NULL)
		parkd__v1__response__free_unpacked(res->resp, NULL);
	memset(res, 0, sizeof(*res));
}
