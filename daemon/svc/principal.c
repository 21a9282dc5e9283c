/* PrincipalService: who may call parkd, with which role and park scope. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/svc.h"

/*
 * Normalise a fingerprint as openssl prints it (upper case, colons) to 64
 * lowercase hex digits; 0 on success.
 */
int
fingerprint_normalise(const char *in, char out[65])
{
	size_t	 n = 0;

	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n == 64)
			return (-1);
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return (n == 64 ? 0 : -1);
}

/* Row 0 is the principal; none: no such park (add) or principal. */
static int
principal_row(struct req *r, PGresult *res)
{
	if (PQntuples(res) == 0)
		return (step_fail(r, PARKD__V1__CODE__NOT_FOUND, fmt_arena(r,
		    "%s: no such %s", r->plan->what, strcmp(r->plan->what,
		    "AddPrincipal") == 0 ? "park" : "principal")));
	return (step_reply_row(r, res, &parkd__v1__principal__descriptor));
}

/* AddPrincipal: a certificate (or its fingerprint), a role, a park. */
static int
principal_add_params(struct req *r, struct qparams *q)
{
	Parkd__V1__AddPrincipalRequest	*in = (void *)r->in;
	char				 fp[65], *cause = NULL;
	int				 role = auth_role_parse(in->role);

	check_text(r, "name", in->name, 1, 120);
	if (role == 0)
		viols_add(&r->v, "role", "role", "must be admin, bureau, "
		    "operator, viewer, district or expert");
	if ((role == ROLE_OPERATOR) != (*in->park_code != '\0'))
		viols_add(&r->v, "park_code", "principal.scope",
		    "an operator needs exactly one park; other roles none");
	if ((role == ROLE_DISTRICT) != (*in->district != '\0'))
		viols_add(&r->v, "district", "principal.scope",
		    "a district reviewer needs exactly one district (区市); "
		    "other roles none");
	else if (*in->district != '\0')
		check_text(r, "district", in->district, 1, 60);
	if (*in->cert_pem != '\0') {
		if (tls_cert_fingerprint_pem(in->cert_pem, strlen(in->cert_pem),
		    fp, &cause) != 0)
			viols_add(&r->v, "cert_pem", "certificate", "%s",
			    cause ? cause : "not a certificate");
		free(cause);
	} else if (fingerprint_normalise(in->fingerprint, fp) != 0)
		viols_add(&r->v, "fingerprint", "fingerprint",
		    "give a SHA-256 fingerprint (64 hex digits) or cert_pem");
	if (r->v.n > 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "principal is not valid");
		return (-1);
	}
	qp_audit(q, r);
	qp_str(q, in->name);
	qp_str(q, req_strdup(r, fp));	/* q outlives fp */
	qp_str(q, in->role);
	qp_str(q, in->park_code);
	qp_str(q, in->district);
	return (0);
}

static const struct plan principal_add = { "AddPrincipal", 0,
    (const struct step[]) {
	{ SQL_PRINCIPAL_ADD, principal_add_params, principal_row },
	{ 0, NULL, NULL },
} };

/* ListPrincipals: all of them, one page. */
static int
principal_listed(struct req *r, PGresult *res)
{
	return (step_reply_list(r, res, INT32_MAX,
	    &parkd__v1__list_principals_response__descriptor, NULL));
}

static const struct plan principal_list = { "ListPrincipals", 0,
    (const struct step[]) {
	{ SQL_PRINCIPAL_LIST, NULL, principal_listed },
	{ 0, NULL, NULL },
} };

/* DisablePrincipal: by id or fingerprint; it loses access at once. */
static int
principal_disable_params(struct req *r, struct qparams *q)
{
	Parkd__V1__DisablePrincipalRequest	*in = (void *)r->in;
	char					 fp[65] = "";

	if (in->id == 0 && fingerprint_normalise(in->fingerprint, fp) != 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "give id or a SHA-256 fingerprint");
		return (-1);
	}
	qp_audit(q, r);
	qp_i64(q, in->id);
	qp_str(q, req_strdup(r, fp));	/* q outlives fp */
	return (0);
}

static const struct plan principal_disable = { "DisablePrincipal", 0,
    (const struct step[]) {
	{ SQL_PRINCIPAL_DISABLE, principal_disable_params, principal_row },
	{ 0, NULL, NULL },
} };

/* WhoAmI: the caller's own principal. */
static int
whoami_params(struct req *r, struct qparams *q)
{
	qp_i64(q, r->pr.id);
	return (0);
}

static const struct plan whoami = { "WhoAmI", 0, (const struct step[]) {
	{ SQL_PRINCIPAL_GET, whoami_params, principal_row },
	{ 0, NULL, NULL },
} };

/*
 * parkd --add-principal CERT --role ROLE [--park CODE]: bootstrap (blocking,
 * before the loop). Adding a certificate again updates its role and enables it.
 */
int
svc_principal_add_cli(const struct config *cfg, const char *cert,
    const char *role, const char *park, const char *name, char **cause)
{
	const char	*p[5];
	char		 fp[65];
	PGconn		*pg;
	PGresult	*res;
	int		 rc = -1;

	if (auth_role_parse(role) == 0 ||
	    auth_role_parse(role) == ROLE_DISTRICT) {
		asprintf(cause, "--role must be admin, bureau, operator, viewer "
		    "or expert (district reviewers: parkctl add-principal "
		    "--district)");
		return (-1);
	}
	if ((auth_role_parse(role) == ROLE_OPERATOR) != (park != NULL)) {
		asprintf(cause, "--park is required for an operator, and only "
		    "for one");
		return (-1);
	}
	if (tls_cert_fingerprint_file(cert, fp, cause) != 0)
		return (-1);
	if ((pg = migrate_connect(cfg->database, 30, cause)) == NULL)
		return (-1);
	if (migrate_run(pg, cause) != 0)
		goto out;
	p[0] = name;
	p[1] = fp;
	p[2] = role;
	p[3] = park ? park : "";
	p[4] = cert;
	res = PQexecParams(pg, sql_stmts[SQL_PRINCIPAL_ADD_CLI].sql, 5, NULL, p,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		asprintf(cause, "%s", PQresultErrorMessage(res));
	else if (PQntuples(res) == 0)
		asprintf(cause, "no park with code '%s'", park);
	else {
		printf("principal %s role=%s fingerprint=%s\n",
		    PQgetvalue(res, 0, 0), role, fp);
		rc = 0;
	}
	PQclear(res);
out:
	PQfinish(pg);
	return (rc);
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_principal_methods[] = {
	{ .name = "AddPrincipal", .plan = &principal_add,
	    .roles = ROLE_ADMIN },
	{ .name = "ListPrincipals", .ro = 1, .plan = &principal_list,
	    .roles = ROLE_ADMIN },
	{ .name = "DisablePrincipal", .plan = &principal_disable,
	    .roles = ROLE_ADMIN },
	{ .name = "WhoAmI", .ro = 1, .plan = &whoami,
	    .roles = ROLES_ALL },
	{ .name = NULL }
};
