/*
 * Schema migrations, applied at start (blocking: the loop is not running
 * yet). Each migration runs in its own transaction and is recorded in
 * schema_migrations; an advisory lock serialises parkd instances starting
 * on the same database at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#define MIGRATE_LOCK	"7270010001"

static void
migrate_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("db notice: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* Connect, retrying for up to wait_s seconds while the server starts. */
PGconn *
migrate_connect(const char *conninfo, int wait_s, char **cause)
{
	PGconn	*pg;
	int	 tries = wait_s * 4;

	for (;;) {
		pg = PQconnectdb(conninfo);
		if (PQstatus(pg) == CONNECTION_OK)
			break;
		if (tries-- <= 0) {
			asprintf(cause, "cannot connect to the database: %s",
			    PQerrorMessage(pg));
			PQfinish(pg);
			return (NULL);
		}
		PQfinish(pg);
		usleep(250000);
	}
	PQsetNoticeProcessor(pg, migrate_notice, NULL);
	/* parkd's own work at start and on the command line: every park */
	PQclear(PQexec(pg, "SELECT set_config('parkd.scope', 'all', false)"));
	return (pg);
}

static int
exec_ok(PGconn *pg, const char *sql, char **cause)
{
	PGresult	*res = PQexec(pg, sql);
	ExecStatusType	 st = PQresultStatus(res);
	int		 ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		asprintf(cause, "%s", PQresultErrorMessage(res));
	PQclear(res);
	return (ok ? 0 : -1);
}

static int
applied(PGconn *pg, const char *name, int *yes, char **cause)
{
	const char	*p[1] = { name };
	PGresult	*res;

	res = PQexecParams(pg, "SELECT 1 FROM schema_migrations "
	    "WHERE name = $1", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		asprintf(cause, "%s", PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	*yes = PQntuples(res) > 0;
	PQclear(res);
	return (0);
}

static int
apply_one(PGconn *pg, const struct migration *m, char **cause)
{
	const char	*p[1] = { m->name };
	PGresult	*res;
	char		*why = NULL;

	if (exec_ok(pg, "BEGIN", cause) != 0)
		return (-1);
	if (exec_ok(pg, m->sql, &why) != 0) {
		asprintf(cause, "migration %s failed: %s", m->name, why);
		free(why);
		exec_ok(pg, "ROLLBACK", &why);
		free(why);
		return (-1);
	}
	res = PQexecParams(pg, "INSERT INTO schema_migrations (name) "
	    "VALUES ($1)", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		asprintf(cause, "recording %s: %s", m->name,
		    PQresultErrorMessage(res));
		PQclear(res);
		exec_ok(pg, "ROLLBACK", &why);
		free(why);
		return (-1);
	}
	PQclear(res);
	if (exec_ok(pg, "COMMIT", cause) != 0)
		return (-1);
	log_info("migration applied name=%s", m->name);
	return (0);
}

/* Apply every migration not yet recorded, in order. */
/*
 * Operators' requests run as OPERATOR_ROLE, under row-level security
 * (schema/0006_rls.sql): give it the tables (again at every start, so a
 * role created later is picked up), or say loudly that it is missing.
 */
static void
migrate_check_role(PGconn *pg)
{
	PGresult	*res;
	char		*cause = NULL;

	res = PQexec(pg, "SELECT pg_has_role(current_user, '" OPERATOR_ROLE
	    "', 'MEMBER') FROM pg_roles WHERE rolname = '" OPERATOR_ROLE "'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQgetvalue(res, 0, 0)[0] != 't') {
		log_warnx("database role " OPERATOR_ROLE " is missing or not "
		    "granted to parkd's role: operators will be refused (create "
		    "it: CREATE ROLE " OPERATOR_ROLE " NOLOGIN; GRANT "
		    OPERATOR_ROLE " TO <parkd's role>)");
		PQclear(res);
		return;
	}
	PQclear(res);
	if (exec_ok(pg, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES "
	    "IN SCHEMA public TO " OPERATOR_ROLE, &cause) != 0 ||
	    exec_ok(pg, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public "
	    "TO " OPERATOR_ROLE, &cause) != 0)
		log_warnx("granting the tables to " OPERATOR_ROLE ": %s", cause);
	free(cause);
}

int
migrate_run(PGconn *pg, char **cause)
{
	size_t	 i;
	int	 yes, rc = 0;
	char	*why = NULL;

	if (exec_ok(pg, "SET client_min_messages = warning", cause) != 0 ||
	    exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
	    cause) != 0)
		return (-1);
	if (exec_ok(pg, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "name text PRIMARY KEY, applied_at timestamptz NOT NULL "
	    "DEFAULT now())", cause) != 0)
		rc = -1;
	for (i = 0; rc == 0 && i < nmigrations; i++) {
		if (applied(pg, migrations[i].name, &yes, cause) != 0)
			rc = -1;
		else if (!yes && apply_one(pg, &migrations[i], cause) != 0)
			rc = -1;
	}
	exec_ok(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", &why);
	free(why);
	if (rc == 0)
		migrate_check_role(pg);
	return (rc);
}
