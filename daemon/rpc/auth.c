/*
 * Identity and access: the principal behind a client certificate, found by
 * its SHA-256 fingerprint, then the method's roles and the park scope.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc.h"

static const char *const role_names[ROLE_COUNT] = { "admin", "bureau",
    "operator", "viewer", "district", "expert" };

int
auth_role_parse(const char *s)
{
	int	 i;

	for (i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(s, role_names[i]) == 0)
			return (1 << i);
	}
	return (0);
}

const char *
auth_role_name(int role)
{
	int	 i;

	for (i = 0; i < ROLE_COUNT; i++) {
		if (role == (1 << i))
			return (role_names[i]);
	}
	return ("none");
}

static void
roles_list(int roles, char *buf, size_t len)
{
	int	 i;
	size_t	 used = 0;

	buf[0] = '\0';
	for (i = 0; i < ROLE_COUNT && used < len; i++) {
		if (roles & (1 << i))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			    used ? ", " : "", role_names[i]);
	}
}

/* Principal known: check it and the role, then run the method. */
static void
auth_check_role(struct req *r)
{
	char	 allowed[64];

	if (!r->pr.found) {
		/* one refusal, then the connection goes (its slot is freed) */
		if (r->s != NULL)
			conn_close_when_done(r->s->c);
		req_fail(r, PARKD__V1__CODE__UNAUTHENTICATED,
		    "certificate %s is not registered to an enabled principal; "
		    "ask an admin to add it; closing the connection",
		    r->s ? r->s->c->fingerprint : "?");
		return;
	}
	if (r->s != NULL)
		r->s->c->authed = 1;
	if ((r->m->def->roles & r->pr.role) == 0) {
		roles_list(r->m->def->roles, allowed, sizeof(allowed));
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED,
		    "role %s may not call %s (allowed: %s)",
		    auth_role_name(r->pr.role), r->m->name, allowed);
		return;
	}
	r->scope = auth_scope(r);	/* row-level security, per request */
	r->scoped = 1;
	req_run(r);
}

static void
auth_lookup_done(struct req *r, PGresult *res)
{
	struct principal	*p = &r->pr;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		req_fail_pg(r, res, "principal lookup");
		return;
	}
	memset(p, 0, sizeof(*p));
	p->known = 1;
	p->loaded_ms = now_ms();
	if (PQntuples(res) == 1) {
		p->found = 1;
		p->id = pg_i64(res, 0, "id");
		snprintf(p->name, sizeof(p->name), "%s",
		    pg_get(res, 0, "name"));
		p->role = auth_role_parse(pg_get(res, 0, "role"));
		p->park_id = pg_i64(res, 0, "park_id");
		snprintf(p->district, sizeof(p->district), "%s",
		    pg_get(res, 0, "district"));
	}
	if (r->s != NULL)
		r->s->principal = *p;
	auth_check_role(r);
}

/*
 * The statement that finds a certificate's principal: store/sql/'s
 * principal_by_fingerprint, named by main.c (rpc/ sits below store/).
 */
static int	lookup_stmt = -1;

void
auth_init(int stmt)
{
	lookup_stmt = stmt;
}

static void
auth_lookup(struct req *r)
{
	const char	*params[1];

	if (r->s == NULL) {
		req_fail(r, PARKD__V1__CODE__UNAVAILABLE, "peer gone");
		return;
	}
	assert(lookup_stmt >= 0);
	params[0] = r->s->c->fingerprint;
	db_exec(r, lookup_stmt, 1, params, auth_lookup_done);
}

/*
 * Start a decoded request: a connection caches its principal for
 * auth_cache_seconds, so a disabled principal loses access within that time.
 */
void
auth_begin(struct req *r)
{
	struct principal	*cp = &r->s->principal;
	uint64_t		 ttl = (uint64_t)server->cfg->auth_cache_seconds * 1000;

	req_set_state(r, REQ_AUTH);
	if (cp->known && now_ms() - cp->loaded_ms < ttl) {
		r->pr = *cp;
		auth_check_role(r);
		return;
	}
	db_acquire(r, auth_lookup);
}

/*
 * The park r's principal is confined to, 0 for the city-wide roles. Every
 * query that touches a firm's rows passes it to the scope functions of
 * schema/0005_scope.sql, which say once what an operator may read and write.
 */
int64_t
auth_scope(const struct req *r)
{
	return (r->pr.role == ROLE_OPERATOR ? r->pr.park_id : 0);
}

/* May r's principal act on park_id? Operators only on their own park. */
int
auth_park_allowed(struct req *r, int64_t park_id)
{
	return (auth_scope(r) == 0 || auth_scope(r) == park_id);
}
