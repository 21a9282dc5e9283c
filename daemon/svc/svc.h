/*
 * The services: one file per proto service (sync/ split by concern), each
 * exporting its method table; main hands the tables to rpc/dispatch.c.
 * Depends on store/, rpc/, core/, domain/ and lib/.
 */
#ifndef PARKD_SVC_H
#define PARKD_SVC_H

#include "store/store.h"
#include "domain/checks.h"

/* The method tables, in proto order. */
extern const struct method_def svc_park_methods[];
extern const struct method_def svc_firm_methods[];
extern const struct method_def svc_facts_methods[];
extern const struct method_def svc_tenancy_methods[];
extern const struct method_def svc_rules_methods[];
extern const struct method_def svc_sync_methods[];
extern const struct method_def svc_export_methods[];
extern const struct method_def svc_eval_methods[];
extern const struct method_def svc_principal_methods[];
extern const struct method_def svc_declaration_methods[];
extern const struct method_def svc_declstatus_methods[];
extern const struct method_def svc_expert_methods[];
/* principal.c */
int	 fingerprint_normalise(const char *, char [65]);
int	 svc_principal_add_cli(const struct config *, const char *,
	     const char *, const char *, const char *, char **);

/* evidence.c: evidence files, of declarations and objections */
void	 file_check(struct req *, const char *, const char *, const char *,
	     const ProtobufCBinaryData *);
const char *file_hex(struct req *, const ProtobufCBinaryData *, char [65]);
int	 hex_file(struct req *, const char *, ProtobufCBinaryData *);
int	 file_reply(struct req *, PGresult *);
void	 evidence_from_row(struct req *, PGresult *, Parkd__V1__Evidence *);

/* sync/: a push ends with its connection */
void	 sync_session_closed(struct session *);

#endif /* PARKD_SVC_H */
