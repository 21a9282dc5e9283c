/* PrincipalService: who may call parkd, with which role and park scope. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/svc.h"

#define PRINCIPAL_COLS							\
	"x.id, x.name, x.fingerprint, x.role, "				\
	"coalesce((SELECT code FROM parks WHERE id = x.park_id), '') "	\
	"AS park_code, x.enabled, " TS_COL("x.created_at") " AS created_at"

static void
principal_from_row(PGresult *res, int i, Parkd__V1__Principal *p)
{
	parkd__v1__principal__init(p);
	p->id = pg_i64(res, i, "id");
	p->name = (char *)pg_get(res, i, "name");
	p->fingerprint = (char *)pg_get(res, i, "fingerprint");
	p->role = (char *)pg_get(res, i, "role");
	p->park_code = (char *)pg_get(res, i, "park_code");
	p->enabled = pg_bool(res, i, "enabled");
	p->created_at = (char *)pg_get(res, i, "created_at");
}

static void
principal_reply_row(struct req *r, PGresult *res, const char *what)
{
	Parkd__V1__Principal	 p;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, what))
		return;
	if (PQntuples(res) == 0) {
		req_fail(r, PARKD__V1__CODE__NOT_FOUND, "%s: no such %s", what,
		    strcmp(what, "AddPrincipal") == 0 ? "park" : "principal");
		return;
	}
	principal_from_row(res, 0, &p);
	req_reply(r, &p.base);
}

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

static void
principal_add_done(struct req *r, PGresult *res)
{
	principal_reply_row(r, res, "AddPrincipal");
}

static void
svc_principal_add(struct req *r)
{
	Parkd__V1__AddPrincipalRequest	*in = (void *)r->in;
	struct qparams			 q;
	char				 fp[65], *cause = NULL;
	int				 role = auth_role_parse(in->role);

	check_text(r, "name", in->name, 1, 120);
	if (role == 0)
		viols_add(&r->v, "role", "role", "must be admin, bureau, "
		    "operator or viewer");
	if ((role == ROLE_OPERATOR) != (*in->park_code != '\0'))
		viols_add(&r->v, "park_code", "principal.scope",
		    "an operator needs exactly one park; other roles none");
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
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_str(&q, in->name);
	qp_str(&q, fp);
	qp_str(&q, in->role);
	qp_str(&q, in->park_code);
	db_query(r, "WITH ins AS (INSERT INTO principals (name, fingerprint, "
	    "role, park_id) SELECT $5, $6, $7, (SELECT id FROM parks WHERE "
	    "code = $8) WHERE $8 = '' OR EXISTS (SELECT 1 FROM parks WHERE "
	    "code = $8) RETURNING *), "
	    "aud AS (" AUDIT_SQL("'principal:' || ins.fingerprint",
	    "jsonb_build_object('after', to_jsonb(ins))", "ins") ") "
	    "SELECT " PRINCIPAL_COLS " FROM ins x", q.n, q.v,
	    principal_add_done);
}

static void
principal_fill(struct req *r, PGresult *res, int i, void *m)
{
	(void)r;
	principal_from_row(res, i, m);
}

static void
principal_list_done(struct req *r, PGresult *res)
{
	Parkd__V1__ListPrincipalsResponse out =
	    PARKD__V1__LIST_PRINCIPALS_RESPONSE__INIT;
	char	*next;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "ListPrincipals"))
		return;
	out.principals = (Parkd__V1__Principal **)page_build(r, res, INT32_MAX,
	    sizeof(Parkd__V1__Principal), principal_fill, NULL,
	    &out.n_principals, &next);
	if (out.principals != NULL)
		req_reply(r, &out.base);
}

static void
svc_principal_list(struct req *r)
{
	db_query(r, "SELECT " PRINCIPAL_COLS " FROM principals x ORDER BY x.id",
	    0, NULL, principal_list_done);
}

static void
principal_disable_done(struct req *r, PGresult *res)
{
	principal_reply_row(r, res, "DisablePrincipal");
}

static void
svc_principal_disable(struct req *r)
{
	Parkd__V1__DisablePrincipalRequest	*in = (void *)r->in;
	struct qparams				 q;
	char					 fp[65] = "";

	if (in->id == 0 && fingerprint_normalise(in->fingerprint, fp) != 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT,
		    "give id or a SHA-256 fingerprint");
		return;
	}
	qp_init(&q);
	qp_audit(&q, r);
	qp_i64(&q, in->id);
	qp_str(&q, fp);
	db_query(r, "WITH upd AS (UPDATE principals SET enabled = false, "
	    "version = version + 1 WHERE ($5::bigint <> 0 AND id = $5) OR "
	    "($5 = 0 AND fingerprint = $6) RETURNING *), "
	    "aud AS (" AUDIT_SQL("'principal:' || upd.fingerprint",
	    "jsonb_build_object('enabled', false)", "upd") ") "
	    "SELECT " PRINCIPAL_COLS " FROM upd x", q.n, q.v,
	    principal_disable_done);
}

static void
principal_whoami_done(struct req *r, PGresult *res)
{
	principal_reply_row(r, res, "WhoAmI");
}

static void
svc_principal_whoami(struct req *r)
{
	struct qparams	 q;

	qp_init(&q);
	qp_i64(&q, r->pr.id);
	db_query(r, "SELECT " PRINCIPAL_COLS " FROM principals x WHERE "
	    "x.id = $1", q.n, q.v, principal_whoami_done);
}

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

	if (auth_role_parse(role) == 0) {
		asprintf(cause, "--role must be admin, bureau, operator or "
		    "viewer");
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
	res = PQexecParams(pg, "WITH pk AS (SELECT id FROM parks WHERE code = "
	    "$4), ins AS (INSERT INTO principals (name, fingerprint, role, "
	    "park_id) SELECT $1, $2, $3, (SELECT id FROM pk) WHERE $4 = '' OR "
	    "EXISTS (SELECT 1 FROM pk) ON CONFLICT (fingerprint) DO UPDATE "
	    "SET name = EXCLUDED.name, role = EXCLUDED.role, park_id = "
	    "EXCLUDED.park_id, enabled = true, version = principals.version + 1 "
	    "RETURNING *), aud AS (INSERT INTO audit_log (principal_name, "
	    "method, object, change) SELECT 'parkd --add-principal', "
	    "'AddPrincipal', 'principal:' || ins.fingerprint, "
	    "jsonb_build_object('after', to_jsonb(ins), 'cert', $5::text) "
	    "FROM ins) SELECT id FROM ins", 5, NULL, p, NULL, NULL, 0);
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
	{ .name = "AddPrincipal", .handler = svc_principal_add,
	    .roles = ROLE_ADMIN },
	{ .name = "ListPrincipals", .handler = svc_principal_list,
	    .roles = ROLE_ADMIN },
	{ .name = "DisablePrincipal", .handler = svc_principal_disable,
	    .roles = ROLE_ADMIN },
	{ .name = "WhoAmI", .handler = svc_principal_whoami,
	    .roles = ROLES_ALL },
	{ .name = NULL }
};
