/*
 * A run's indicator definitions (evaluation_runs.indicator_defs, schema
 * 0012: key, name, dimension, unit and weight of each indicator in the
 * policy's order), read once and kept. They never change once the run is
 * stored, and GetEvaluationResult would otherwise have PostgreSQL send, and
 * parkd parse, the same JSON for every park it is asked about (it was a
 * fifth of parkd's time in the read benchmark).
 *
 * At most RUN_DEFS_KEPT runs are kept and none is ever dropped: what a
 * reply points to stays valid, and a request that was told "kept" when it
 * asked finds them still kept when its row comes back. A run beyond that
 * (a city makes a few a year) is read again for each request, into the
 * request's arena. Run ids are never reused (bigserial), so the cache is
 * right for as long as the database is the one parkd started with:
 * restoring an older dump under a running parkd calls for a restart.
 *
 * And a result's indicators for GetEvaluationResult, built from them and
 * the result's three arrays of figures (or, for a result stored before
 * 0012, from its own JSON).
 */
#include <stdlib.h>
#include <string.h>

#include "svc/eval/eval.h"

#define RUN_DEFS_KEPT	256

static struct run_defs	*kept[RUN_DEFS_KEPT];
static size_t		 nkept;

/* Run's definitions if kept, else NULL. */
const struct run_defs *
run_defs_kept(int64_t run)
{
	size_t	 i;

	for (i = 0; i < nkept; i++)
		if (kept[i]->run == run)
			return (kept[i]);
	return (NULL);
}

static const char *
defs_str(json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

/* Copy s to *at and move *at past it. */
static const char *
defs_copy(char **at, const char *s)
{
	char	*d = *at;
	size_t	 n = strlen(s) + 1;

	memcpy(d, s, n);
	*at += n;
	return (d);
}

/*
 * Run's definitions: the kept ones, else from their JSON (the row's),
 * kept if there is room, else in r's arena; NULL if json is not an array
 * of definitions (or out of memory).
 */
const struct run_defs *
run_defs_read(struct req *r, int64_t run, const char *json)
{
	static const char *const keys[] = { "key", "name", "dimension",
	    "unit" };
	const struct run_defs	*old;
	struct run_defs		*d = NULL;
	json_t			*a, *v;
	size_t			 i, k, size;
	char			*at;
	int			 keep = nkept < RUN_DEFS_KEPT;

	if ((old = run_defs_kept(run)) != NULL)
		return (old);
	if ((a = json_loads(json, 0, NULL)) == NULL || !json_is_array(a))
		goto done;
	size = sizeof(*d) + json_array_size(a) * sizeof(d->ind[0]);
	json_array_foreach(a, i, v) {
		if (!json_is_integer(json_object_get(v, "weight")))
			goto done;
		for (k = 0; k < 4; k++) {
			if (defs_str(v, keys[k]) == NULL)
				goto done;
			size += strlen(defs_str(v, keys[k])) + 1;
		}
	}
	if ((d = keep ? malloc(size) : req_alloc(r, size)) == NULL)
		goto done;
	d->run = run;
	d->n = json_array_size(a);
	at = (char *)&d->ind[d->n];
	json_array_foreach(a, i, v) {
		d->ind[i].key = defs_copy(&at, defs_str(v, "key"));
		d->ind[i].name = defs_copy(&at, defs_str(v, "name"));
		d->ind[i].dimension = defs_copy(&at, defs_str(v, "dimension"));
		d->ind[i].unit = defs_copy(&at, defs_str(v, "unit"));
		d->ind[i].weight = (int32_t)json_integer_value(json_object_get(v,
		    "weight"));
	}
	if (keep)
		kept[nkept++] = d;
done:
	json_decref(a);
	return (d);
}

/* An older result's indicators (their JSON, before schema 0012). */
static void
result_indicators_json(struct req *r, const char *json,
    Parkd__V1__EvaluationResult *o)
{
	json_t	*a, *v;
	size_t	 k;

	if ((a = json_loads(json, 0, NULL)) == NULL)
		return;
	o->indicators = req_alloc(r, (json_array_size(a) + 1) *
	    sizeof(void *));
	json_array_foreach(a, k, v) {
		Parkd__V1__IndicatorResult *x = req_alloc(r, sizeof(*x));

		if (x == NULL || o->indicators == NULL)
			break;
		parkd__v1__indicator_result__init(x);
#define S(f) x->f = req_strdup(r, json_string_value(json_object_get(v, #f)))
#define I(f) x->f = json_integer_value(json_object_get(v, #f))
		S(key); S(name); S(dimension); I(raw); S(unit); I(score_cp);
		I(weight); I(contribution_cp);
#undef S
#undef I
		o->indicators[o->n_indicators++] = x;
	}
	json_decref(a);
}

/*
 * A result's indicators from its run's definitions (kept, or in the row:
 * eval_result_get sends them when parkd had not kept them) and its three
 * arrays of figures; -1 (r failed) if they do not match.
 * The strings are the kept definitions': a reply without a transaction
 * is sent before another request can run (rpc/step.c).
 */
#define RESULT_MAX_INDICATORS	256
static int
result_indicators_arrays(struct req *r, PGresult *res,
    Parkd__V1__EvaluationResult *o)
{
	const struct run_defs		*d;
	Parkd__V1__IndicatorResult	*x;
	int64_t				 v[3][RESULT_MAX_INDICATORS];
	static const char *const	 col[3] = { "raw", "score_cp",
					    "contribution_cp" };
	int				 i, n[3];
	size_t				 k;

	d = run_defs_read(r, o->run_id, pg_get(res, 0, "indicator_defs"));
	for (i = 0; i < 3; i++)
		n[i] = pgtext_i64s(pg_get(res, 0, col[i]), v[i],
		    RESULT_MAX_INDICATORS);
	if (d == NULL || n[0] != (int)d->n || n[1] != n[0] || n[2] != n[0]) {
		req_fail(r, PARKD__V1__CODE__INTERNAL, "run %lld: the result "
		    "of %s does not match the run's indicators",
		    (long long)o->run_id, o->park_code);
		return (-1);
	}
	if ((o->indicators = req_alloc(r, (d->n + 1) * sizeof(void *))) ==
	    NULL || (x = req_alloc(r, (d->n + 1) * sizeof(*x))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory");
		return (-1);
	}
	for (k = 0; k < d->n; k++, x++) {
		parkd__v1__indicator_result__init(x);
		x->key = (char *)d->ind[k].key;
		x->name = (char *)d->ind[k].name;
		x->dimension = (char *)d->ind[k].dimension;
		x->unit = (char *)d->ind[k].unit;
		x->weight = d->ind[k].weight;
		x->raw = v[0][k];
		x->score_cp = (int32_t)v[1][k];
		x->contribution_cp = (int32_t)v[2][k];
		o->indicators[k] = x;
	}
	o->n_indicators = d->n;
	return (0);
}

/*
 * Row 0 of eval_result_get's indicators into o (o->run_id and park_code
 * filled): an older result's JSON, else its arrays and the run's
 * definitions. -1 if r was failed.
 */
int
result_indicators(struct req *r, PGresult *res, Parkd__V1__EvaluationResult *o)
{
	if (!PQgetisnull(res, 0, PQfnumber(res, "indicators"))) {
		result_indicators_json(r, pg_get(res, 0, "indicators"), o);
		return (0);
	}
	return (result_indicators_arrays(r, res, o));
}
