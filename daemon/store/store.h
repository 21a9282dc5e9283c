/*
 * The store: what parkd keeps in PostgreSQL beyond one service — the
 * migrations, the policies (cache, file, parsing from rows), the facts the
 * entry and exit rules read about a tenancy, and the SQL text shared by
 * several services. Depends on rpc/, core/, domain/ and lib/.
 */
#ifndef PARKD_STORE_H
#define PARKD_STORE_H

#include "rpc/rpc.h"
#include "domain/rules.h"
#include "domain/eval.h"
#include "parkd_sql.h"		/* generated from store/sql/ */

/* migrate.c (migrations.c is generated from schema/ at build time) */
struct migration {
	const char	*name;
	const char	*sql;
};
extern const struct migration migrations[];
extern const size_t nmigrations;
int	 migrate_run(PGconn *, char **);
PGconn	*migrate_connect(const char *, int, char **);

/* sql.c: the statements of store/sql/, checked once at start */
int	 sql_check(PGconn *, char **);

/* policies.c: parsed policies by hash, the policy file */
void	 sha256_hex(const char *, size_t, char [65]);
const struct policy *policy_from_row(struct req *, PGresult *, int, int);
const struct policy *policy_cached(const char *, const char *);
void	 policy_cache_free(void);
int	 policy_file_load(const struct config *, PGconn *, char **);
void	 policy_file_reload(const struct config *);

/* facts.c: what the rules read about a tenancy */
int	 tenancy_facts_from_row(struct req *, PGresult *, int,
	     struct tenancy_facts *);
void	 entry_facts_from_row(struct req *, PGresult *, int,
	     struct park_facts *, struct entry_facts *);
void	 entry_facts_request(struct entry_facts *, const char *, int64_t,
	     const char *);

#endif /* PARKD_STORE_H */
