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

/* SQL text shared by the services */
#define TS_COL(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define DATE_COL(col) "coalesce(" col "::text, '')"
/* Mutations put qp_audit's four parameters first: $1..$4. */
#define AUDIT_SQL(objexpr, changeexpr, from)				\
	"INSERT INTO audit_log (principal_id, principal_name, method, "	\
	"object, idempotency_key, change) SELECT nullif($1::bigint, 0), "	\
	"$2, $3, " objexpr ", $4, " changeexpr " FROM " from

#define POLICY_COLS(yearparam)						\
	"(SELECT pp.hash FROM policy_years py JOIN policies pp ON "	\
	"pp.id = py.policy_id WHERE py.year = " yearparam ") AS policy_hash, " \
	"(SELECT pp.body FROM policy_years py JOIN policies pp ON "	\
	"pp.id = py.policy_id WHERE py.year = " yearparam ") AS policy_body"

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
#define TENANCY_FACTS_SQL(asof, qi, tid)				\
	"SELECT t.id, p.code AS park_code, array_to_string("		\
	"p.leading_industries, ',') AS park_industries, f.credit_code, " \
	"f.industry_code, t.entry_date::text AS entry_date, "		\
	"EXISTS (SELECT 1 FROM certifications c WHERE c.firm_id = f.id AND " \
	"c.kind = 'high_tech' AND c.valid_from <= " asof " AND c.valid_to >= " \
	asof " AND (c.expired_on IS NULL OR c.expired_on > " asof ")) "	\
	"AS high_tech, (SELECT coalesce(sum(x.amount), 0) FROM "	\
	"firm_financings x WHERE x.firm_id = f.id AND x.date <= " asof	\
	") AS equity, (SELECT coalesce(sum(r.revenue), 0) FROM "	\
	"firm_reports r WHERE r.firm_id = f.id AND r.year * 4 + r.quarter " \
	"- 1 BETWEEN " qi " - 8 AND " qi " - 1) AS revenue_2y, EXISTS ("	\
	"SELECT 1 FROM firm_events e WHERE e.firm_id = f.id AND e.date <= " \
	asof ") AS acquired_or_listed, coalesce((SELECT max(r.year * 4 + " \
	"r.quarter - 1) FROM firm_reports r WHERE r.firm_id = f.id AND "	\
	"r.year * 4 + r.quarter - 1 < " qi "), -1) AS last_qi "		\
	"FROM tenancies t JOIN parks p ON p.id = t.park_id "		\
	"JOIN firms f ON f.id = t.firm_id WHERE t.status = 'active' AND " \
	"(" tid "::bigint = 0 OR t.id = " tid ")"

#endif /* PARKD_STORE_H */
