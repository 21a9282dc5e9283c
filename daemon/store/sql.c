/*
 * The statements of daemon/store/sql/ (embedded at build time by
 * scripts/embed-sql.sh): every pool connection prepares them all when it
 * connects (core/dbpool.c) and requests call them by id (db_exec). At
 * start each is prepared once on its own, so a broken statement stops
 * parkd with its name instead of every connection failing later.
 */
#include <stdio.h>

#include "store/store.h"

int
sql_check(PGconn *pg, char **cause)
{
	const struct dbpool_stmt	*st;
	PGresult			*res;
	int				 rc = 0;

	for (st = sql_stmts; rc == 0 && st->name != NULL; st++) {
		res = PQprepare(pg, st->name, st->sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			asprintf(cause, "statement %s (daemon/store/sql/): %s",
			    st->name, PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	PQclear(PQexec(pg, "DEALLOCATE ALL"));
	return (rc);
}
