/*
 * Policies as parkd keeps them: parsed once per content hash (a hash never
 * changes meaning), read from the rows that carry them, and the policy file
 * stored at start and re-read on SIGHUP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "store/store.h"

/* Parsed policies by content hash: a hash never changes meaning. */
#define POLICY_CACHE	16
static struct policy	*cache[POLICY_CACHE];
static int		 cache_next;

void
sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char	 md[32];
	unsigned int	 n = 0, i;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void
policy_cache_free(void)
{
	int	 i;

	for (i = 0; i < POLICY_CACHE; i++) {
		free(cache[i]);
		cache[i] = NULL;
	}
}

/*
 * The parsed policy with this content hash: from the cache, else parsed
 * from body (NULL if body is NULL, does not parse, or memory is short).
 */
const struct policy *
policy_cached(const char *hash, const char *body)
{
	struct policy	*p;
	char		 err[256];
	int		 k;

	for (k = 0; k < POLICY_CACHE; k++) {
		if (cache[k] != NULL && strcmp(cache[k]->hash, hash) == 0)
			return (cache[k]);
	}
	if (body == NULL || (p = malloc(sizeof(*p))) == NULL)
		return (NULL);
	if (policy_parse(body, p, err, sizeof(err)) != 0) {
		log_warnx("stored policy %s does not parse: %s", hash, err);
		free(p);
		return (NULL);
	}
	snprintf(p->hash, sizeof(p->hash), "%s", hash);
	free(cache[cache_next]);
	cache[cache_next] = p;
	cache_next = (cache_next + 1) % POLICY_CACHE;
	return (p);
}

/*
 * The policy in columns policy_hash/policy_body of row i, parsed once per
 * content. Fails r (FAILED_PRECONDITION) if no policy rules that year.
 */
const struct policy *
policy_from_row(struct req *r, PGresult *res, int i, int year)
{
	const struct policy	*p;

	if (PQgetisnull(res, i, PQfnumber(res, "policy_hash"))) {
		req_fail(r, PARKD__V1__CODE__FAILED_PRECONDITION,
		    "no policy is active for %d; upload one (UploadPolicy)",
		    year);
		return (NULL);
	}
	p = policy_cached(pg_get(res, i, "policy_hash"),
	    pg_get(res, i, "policy_body"));
	if (p == NULL)
		req_fail(r, PARKD__V1__CODE__INTERNAL, "the policy for %d "
		    "cannot be read", year);
	return (p);
}

/* ---- the policy file: at start (blocking) and on SIGHUP (async) ---- */

static char *
read_policy_file(const char *path, char **cause)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		asprintf(cause, "policy_file %s: cannot open", path);
		return (NULL);
	}
	buf = calloc(1, 256 * 1024 + 1);
	n = buf ? fread(buf, 1, 256 * 1024 + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0 || n > 256 * 1024) {
		free(buf);
		asprintf(cause, "policy_file %s: empty or larger than 256 KiB",
		    path);
		return (NULL);
	}
	return (buf);
}

/* At start: store and activate the file's policy if its content is new. */
int
policy_file_load(const struct config *cfg, PGconn *pg, char **cause)
{
	struct policy	 p;
	char		 err[256], hash[65], y0[16], y1[16], *body;
	const char	*v[12];
	PGresult	*res;
	int		 rc = 0;

	if (*cfg->policy_file == '\0')
		return (0);
	if ((body = read_policy_file(cfg->policy_file, cause)) == NULL)
		return (-1);
	if (policy_parse_isolated(body, &p, err, sizeof(err)) != 0) {
		asprintf(cause, "policy_file %s: %s", cfg->policy_file, err);
		free(body);
		return (-1);
	}
	sha256_hex(body, strlen(body), hash);
	snprintf(y0, sizeof(y0), "%d", p.year_from);
	snprintf(y1, sizeof(y1), "%d", p.year_to);
	v[0] = "0"; v[1] = "parkd"; v[2] = "UploadPolicy"; v[3] = "";
	v[4] = p.name; v[5] = hash; v[6] = body; v[7] = y0; v[8] = y1;
	v[9] = "policy_file"; v[10] = "t"; v[11] = "t";
	res = PQexecParams(pg, sql_stmts[SQL_POLICY_UPLOAD].sql, 12, NULL, v,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		asprintf(cause, "policy_file %s: %s", cfg->policy_file,
		    PQresultErrorMessage(res));
		rc = -1;
	} else
		log_info("policy_file=%s name=%s hash=%.12s active_years=%s",
		    cfg->policy_file, p.name, hash,
		    PQgetvalue(res, 0, PQfnumber(res, "active_years")));
	PQclear(res);
	free(body);
	return (rc);
}

/*
 * SIGHUP: the same through the pool, as an UploadPolicy of parkd's own (it
 * checks the document; a bad one is logged and the active policy stays).
 */
void
policy_file_reload(const struct config *cfg)
{
	Parkd__V1__UploadPolicyRequest	 in =
	    PARKD__V1__UPLOAD_POLICY_REQUEST__INIT;
	char				*cause = NULL;

	if (*cfg->policy_file == '\0')
		return;
	if ((in.body = read_policy_file(cfg->policy_file, &cause)) == NULL) {
		log_warnx("%s; the active policy stays", cause);
		free(cause);
		return;
	}
	in.only_if_new = 1;
	log_info("policy_file=%s re-read", cfg->policy_file);
	if (req_internal("UploadPolicy", &in.base) != 0)
		log_warnx("policy_file %s: cannot start the upload",
		    cfg->policy_file);
	free(in.body);
}
