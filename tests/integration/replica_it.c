/*
 * Read replicas (issue 10): a third parkd with a real hot standby of the
 * suite's PostgreSQL in read_replicas (pg_basebackup + streaming, started
 * by tests/run-integration.sh). Reads are served from the standby; when it
 * falls behind past replica_max_lag_ms (replay paused) they go to the
 * primary; when it is killed, reads in flight and after go on, without an
 * error. Run as "integration replica" with PARKD_ADDR3, PARKD_HTTP3,
 * PARKD_STANDBY_DSN and PARKD_STANDBY_STOP (a command) set.
 */

#include "it.h"

static long
metric3(const char *name)
{
	return (metric_of(getenv("PARKD_HTTP3"), name));
}

static int
usable_is(void *arg)
{
	return (metric3("parkd_db_replicas_usable") == *(long *)arg);
}

static int
rp_sql(const char *dsn, const char *q)
{
	PGconn		*pg = PQconnectdb(dsn);
	PGresult	*r = PQexec(pg, q);
	int		 ok = PQresultStatus(r) == PGRES_TUPLES_OK ||
			    PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		printf("replica: %s: %s\n", q, PQerrorMessage(pg));
	PQclear(r);
	PQfinish(pg);
	return (ok ? 0 : -1);
}

/* The first value of q on dsn, into buf ("" if none). */
static void
rp_text(const char *dsn, const char *q, char *buf, size_t len)
{
	PGconn		*pg = PQconnectdb(dsn);
	PGresult	*r = PQexec(pg, q);

	snprintf(buf, len, "%s", PQresultStatus(r) == PGRES_TUPLES_OK &&
	    PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(pg);
}

static int
rp_receiver_gone(void *arg)
{
	char	 n[16];

	rp_text(arg, "SELECT count(*) FROM pg_stat_wal_receiver", n, sizeof(n));
	return (strcmp(n, "0") == 0);
}

struct rp_get {
	struct parkc	*pc;
	const char	*code;
};

static int
rp_found(void *arg)
{
	struct rp_get			*g = arg;
	Parkd__V1__GetParkRequest	 gp = PARKD__V1__GET_PARK_REQUEST__INIT;
	struct parkc_result		 res;
	int				 code;

	gp.code = (char *)g->code;
	code = call(g->pc, "GetPark", &gp.base, &res);
	parkc_result_free(&res);
	return (code == 0);
}

/*
 * Cut the standby off from the primary (no primary_conninfo): it replays
 * all it received and, by its own clock, looks caught up. A park created
 * meanwhile must be read from the primary. Then connect it again.
 */
static int
rp_cut_off(struct parkc *pc, const char *dsn, Parkd__V1__CreateParkRequest *cp,
    Parkd__V1__Park *p, struct rp_get *g)
{
	static long	 zero = 0, one = 1;
	char		 orig[2048], q[4200], *o, *w;

	rp_text(dsn, "SHOW primary_conninfo", orig, sizeof(orig));
	if (orig[0] == '\0' ||
	    rp_sql(dsn, "ALTER SYSTEM SET primary_conninfo = ''") != 0 ||
	    rp_sql(dsn, "SELECT pg_reload_conf()") != 0 ||
	    !wait_until(rp_receiver_gone, (void *)dsn, 10000)) {
		printf("replica: cannot cut the standby off\n");
		return (1);
	}
	park_init(p, "RP-C", "市南区");
	expect(pc, "CreatePark", &cp->base, 0);
	g->code = "RP-C";
	if (!wait_until(usable_is, &zero, 10000) ||
	    !wait_until(rp_found, g, 5000)) {
		printf("replica: a standby cut off still served reads\n");
		return (1);
	}
	printf("replica: cut off from the primary: standby unusable, RP-C "
	    "read from the primary\n");
	w = q + snprintf(q, sizeof(q), "ALTER SYSTEM SET primary_conninfo = '");
	for (o = orig; *o != '\0' && w < q + sizeof(q) - 4; o++) {
		if (*o == '\'')
			*w++ = '\'';
		*w++ = *o;
	}
	snprintf(w, 3, "'");
	if (rp_sql(dsn, q) != 0 || rp_sql(dsn, "SELECT pg_reload_conf()") != 0 ||
	    !wait_until(usable_is, &one, 15000)) {
		printf("replica: the standby did not come back\n");
		return (1);
	}
	return (0);
}

/*
 * n GetPark of code sent 10 at a time (and once the first ten are sent,
 * the command cmd run, if any): how many were not OK.
 */
static int
rp_reads(struct parkc *pc, const char *code, int n, const char *cmd)
{
	Parkd__V1__GetParkRequest	 gp = PARKD__V1__GET_PARK_REQUEST__INIT;
	uint64_t			 id;
	int				 i, j, bad = 0, c;

	gp.code = (char *)code;
	for (i = 0; i < n; i += 10) {
		for (j = 0; j < 10; j++)
			if (parkc_send(pc, "GetPark", &gp.base, "", &id) != 0)
				return (n);
		if (i == 0 && cmd != NULL && system(cmd) != 0)
			return (n);
		for (j = 0; j < 10; j++)
			if ((c = recv_code(pc, &id)) != 0) {
				printf("replica: GetPark: code %d\n", c);
				bad++;
			}
	}
	return (bad);
}

/* The three stages on pc; 0 if all held. */
static int
rp_stages(struct parkc *pc, const char *dsn, const char *stop)
{
	Parkd__V1__CreateParkRequest	 cp = PARKD__V1__CREATE_PARK_REQUEST__INIT;
	Parkd__V1__Park			 p;
	struct rp_get			 g;
	long				 one = 1, zero = 0, r0, r1, bad;

	if (!wait_until(usable_is, &one, 15000)) {
		printf("replica: the standby never became usable\n");
		return (1);
	}
	/* 1: reads come from the standby */
	park_init(&p, "RP-A", "市南区");
	cp.park = &p;
	expect(pc, "CreatePark", &cp.base, 0);		/* on the primary */
	g.pc = pc;
	g.code = "RP-A";
	if (!wait_until(rp_found, &g, 10000)) {
		printf("replica: RP-A never readable\n");
		return (1);
	}
	r0 = metric3("parkd_db_replica_statements_total");
	bad = rp_reads(pc, "RP-A", 40, NULL);
	r1 = metric3("parkd_db_replica_statements_total");
	printf("replica: 40 reads, %ld not OK, %ld statements on the standby\n",
	    bad, r1 - r0);
	if (bad != 0 || r1 - r0 < 40)
		return (1);

	/* 2: replay paused, a park created: behind, so reads go to the primary */
	if (rp_sql(dsn, "SELECT pg_wal_replay_pause()") != 0)
		return (1);
	park_init(&p, "RP-B", "市南区");
	expect(pc, "CreatePark", &cp.base, 0);
	g.code = "RP-B";
	if (!wait_until(usable_is, &zero, 10000) ||
	    !wait_until(rp_found, &g, 5000)) {
		printf("replica: a standby behind still served reads\n");
		return (1);
	}
	printf("replica: replay paused: standby unusable, RP-B read from the "
	    "primary\n");
	if (rp_sql(dsn, "SELECT pg_wal_replay_resume()") != 0 ||
	    !wait_until(usable_is, &one, 15000)) {
		printf("replica: the standby did not come back\n");
		return (1);
	}

	/* 3: cut off from the primary */
	if (rp_cut_off(pc, dsn, &cp, &p, &g) != 0)
		return (1);

	/* 4: the standby killed: every read still answered */
	r0 = metric3("parkd_db_replica_statements_total");
	bad = rp_reads(pc, "RP-B", 100, stop);
	printf("replica: standby killed with reads in flight: 100 reads, %ld "
	    "not OK (%ld sent to the standby)\n", bad,
	    metric3("parkd_db_replica_statements_total") - r0);
	if (bad != 0 || !wait_until(usable_is, &zero, 5000))
		return (1);
	return (0);
}

int
run_replica(void)
{
	const char	*dsn = getenv("PARKD_STANDBY_DSN");
	const char	*stop = getenv("PARKD_STANDBY_STOP");
	struct parkc	*pc;
	int		 rc;

	if (dsn == NULL || stop == NULL || getenv("PARKD_ADDR3") == NULL)
		return (2);
	pc = as("bureau", getenv("PARKD_ADDR3"));
	rc = rp_stages(pc, dsn, stop);
	parkc_close(pc);
	return (rc);
}
