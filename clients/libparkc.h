/*
 * libparkc: a small blocking client for parkd (OpenSSL + protobuf-c).
 *
 *	struct parkc *pc = parkc_connect(&opts, err, sizeof(err));
 *	parkc_call(pc, "GetPark", &req.base, "", &res);
 *	... res.body is the decoded output message when res.code == 0 ...
 *	parkc_result_free(&res);
 *	parkc_close(pc);
 *
 * Requests may also be pipelined with parkc_send and parkc_recv.
 * A program using libparkc should ignore SIGPIPE (the library writes to a
 * socket parkd may have closed).
 */
#ifndef LIBPARKC_H
#define LIBPARKC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "parkd.pb-c.h"

struct parkc;
struct parkc_opts {
	const char	*server;	/* host:port, default 127.0.0.1:7443 */
	const char	*cert;		/* client certificate (PEM), optional */
	const char	*key;		/* its key */
	const char	*ca;		/* CA to verify the server */
	int		 timeout_ms;	/* per read/write, default 30000 */
	size_t		 max_frame;	/* largest response, default 64 MiB */
	const struct parkc *share;	/* its TLS settings, instead of the
					   files: many connections, one load */
};

struct parkc_result {
	int			 code;		/* Parkd__V1__Code */
	const char		*message;
	Parkd__V1__Status	*status;	/* violations, warnings */
	ProtobufCMessage	*body;		/* output message, if OK */
	Parkd__V1__Response	*resp;
};

struct parkc	*parkc_connect(const struct parkc_opts *, char *, size_t);
void		 parkc_close(struct parkc *);
const char	*parkc_error(const struct parkc *);

int	 parkc_method(const char *, const ProtobufCMessageDescriptor **,
	     const ProtobufCMessageDescriptor **);
int	 parkc_call(struct parkc *, const char *, const ProtobufCMessage *,
	     const char *, struct parkc_result *);
int	 parkc_send(struct parkc *, const char *, const ProtobufCMessage *,
	     const char *, uint64_t *);
int	 parkc_recv(struct parkc *, Parkd__V1__Response **);
int	 parkc_decode(const char *, Parkd__V1__Response *,
	     struct parkc_result *);
void	 parkc_result_free(struct parkc_result *);
int	 parkc_send_raw(struct parkc *, const void *, size_t);
int	 parkc_fd(const struct parkc *);
int	 parkc_pending(const struct parkc *);
const char *parkc_code_name(int);

/* the protocol's services (daemon/services.c) */
extern const ProtobufCServiceDescriptor *const parkd_services[];
extern const size_t parkd_nservices;
#define parkc_services	parkd_services
#define parkc_nservices	parkd_nservices

#endif
