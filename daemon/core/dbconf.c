/*
 * The pool's connection parameters: the configured conninfo string plus
 * what the pool needs (statement timeout, UTC, keepalives), with a host
 * name resolved once at start so libpq never blocks on DNS.
 */
#include <sys/socket.h>
#include <netdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static int
kw_set(struct dbconf *dc, const char *k, const char *v)
{
	int	 i;

	for (i = 0; i < dc->n; i++) {
		if (strcmp(dc->kw[i], k) == 0) {
			free(dc->val[i]);
			return ((dc->val[i] = strdup(v)) == NULL ? -1 : 0);
		}
	}
	dc->kw[dc->n] = strdup(k);
	dc->val[dc->n] = strdup(v);
	if (dc->kw[dc->n] == NULL || dc->val[dc->n] == NULL)
		return (-1);
	dc->n++;
	return (0);
}

static const char *
kw_get(const struct dbconf *dc, const char *k)
{
	int	 i;

	for (i = 0; i < dc->n; i++) {
		if (strcmp(dc->kw[i], k) == 0)
			return (dc->val[i]);
	}
	return (NULL);
}

/* A host name would make libpq resolve it, blocking: resolve it now. */
static int
kw_resolve_host(struct dbconf *dc, char **cause)
{
	const char	*host = kw_get(dc, "host");
	struct addrinfo	 hints, *ai;
	char		 addr[NI_MAXHOST];
	int		 rc;

	if (host == NULL || host[0] == '/' || host[0] == '@' ||
	    kw_get(dc, "hostaddr") != NULL || strchr(host, ',') != NULL)
		return (0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
		asprintf(cause, "database host '%s': %s", host,
		    gai_strerror(rc));
		return (-1);
	}
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
	    NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (rc != 0 || kw_set(dc, "hostaddr", addr) != 0) {
		asprintf(cause, "database host '%s': cannot resolve", host);
		return (-1);
	}
	return (0);
}

/*
 * Connection keywords: the configured string plus what the pool needs;
 * reads: for the pipelined read connections (read_plan_cache_mode).
 */
int
dbconf_build(struct dbconf *dc, const struct config *cfg, int reads,
    char **cause)
{
	return (dbconf_build_dsn(dc, cfg->database, cfg, reads, cause));
}

/* The same for another server's string (a read replica's). */
int
dbconf_build_dsn(struct dbconf *dc, const char *dsn, const struct config *cfg,
    int reads, char **cause)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, extra[256], *options;
	const char		*old;
	int			 n = 0, rc;

	if ((opts = PQconninfoParse(dsn, &err)) == NULL) {
		asprintf(cause, "%s: %s", dsn == cfg->database ?
		    "key 'database'" : "key 'read_replicas'", err ? err :
		    "out of memory");
		PQfreemem(err);
		return (-1);
	}
	for (o = opts; o->keyword != NULL; o++)
		n++;
	dc->kw = calloc((size_t)n + 16, sizeof(char *));
	dc->val = calloc((size_t)n + 16, sizeof(char *));
	rc = dc->kw == NULL || dc->val == NULL ? -1 : 0;
	for (o = opts; rc == 0 && o->keyword != NULL; o++) {
		if (o->val != NULL && o->val[0] != '\0')
			rc = kw_set(dc, o->keyword, o->val);
	}
	PQconninfoFree(opts);
	/* no JIT: a custom plan of a push's 20,000-report chunk compiled
	 * its expressions, 30 ms of the statement's 300 (psql, the national
	 * set), where cached plans do not; the evaluation turned it off
	 * already. Reads: no parallel workers (starting them costs a page
	 * of rows tens of ms) and the configured plan_cache_mode */
	snprintf(extra, sizeof(extra), "-c statement_timeout=%d -c jit=off "
	    "-c DateStyle=ISO -c TimeZone=UTC%s%s", cfg->statement_timeout_ms,
	    reads ? " -c max_parallel_workers_per_gather=0 "
	    "-c plan_cache_mode=" : "", reads ? cfg->read_plan_cache_mode : "");
	old = kw_get(dc, "options");
	if (rc == 0 && asprintf(&options, "%s%s%s", old ? old : "",
	    old ? " " : "", extra) != -1) {
		rc = kw_set(dc, "options", options);
		free(options);
	}
	if (rc == 0)
		rc = kw_set(dc, "keepalives", "1") | kw_set(dc, "keepalives_idle", "10") |
		    kw_set(dc, "keepalives_interval", "5") |
		    kw_set(dc, "keepalives_count", "3") |
		    kw_set(dc, "tcp_user_timeout", "20000") |
		    kw_set(dc, "gssencmode", "disable") |
		    kw_set(dc, "application_name", "parkd");
	if (rc != 0) {
		asprintf(cause, "database parameters: out of memory");
		return (-1);
	}
	return (kw_resolve_host(dc, cause));
}

void
dbconf_free(struct dbconf *dc)
{
	int	 i;

	for (i = 0; i < dc->n; i++) {
		free(dc->kw[i]);
		free(dc->val[i]);
	}
	free(dc->kw);
	free(dc->val);
	dc->kw = dc->val = NULL;
	dc->n = 0;
}
