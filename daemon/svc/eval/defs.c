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
 * request's arena.
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
 * Run's definitions from their JSON, kept if there is room, else in r's
 * arena; NULL if json is not an array of definitions (or out of memory).
 */
const struct run_defs *
run_defs_read(struct req *r, int64_t run, const char *json)
{
	static const char *const keys[] = { "key", "name", "dimension",
	    "unit" };
	struct run_defs	*d = NULL;
	json_t		*a, *v;
	size_t		 i, k, size;
	char		*at;
	int		 keep = nkept < RUN_DEFS_KEPT;

	if ((d = (struct run_defs *)run_defs_kept(run)) != NULL)
		return (d);
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
