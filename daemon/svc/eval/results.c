/*
 * A scored run's results as the parameters of store/sql/eval.sql's
 * eval_run_insert: the indicators' definitions once (JSON), then one array
 * per column of evaluation_results ($19..$37, in the order of the enum
 * below): 16 of one element per result, then the indicators' raw figures,
 * scores and contributions, ninds per result. Numbers and flags go in
 * binary (lib/pgbin.c: nothing to print here or parse there), text as
 * text. create.c sends them.
 */
#include <stdlib.h>
#include <string.h>

#include "svc/eval/eval.h"

enum {
	RC_PARK, RC_CODE, RC_NAME, RC_DISTRICT, RC_RANK, RC_TOTAL, RC_GRADE,
	RC_GRADE_NAME, RC_ELIGIBLE, RC_AMOUNT, RC_SUBSIDY, RC_FAILS,
	RC_REASONS, RC_GRADE_AMOUNT, RC_POSITION, RC_CODES, RC_RAW, RC_SCORE,
	RC_CONTRIB
};

/* j as compact text, for the caller to free; j is released. */
char *
eval_json_dump(json_t *j)
{
	char	*s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	return (s);
}

/* The policy's indicators, stored once with the run (schema/0012). */
char *
run_indicator_defs(const struct eval_policy *ep)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < ep->ninds; i++) {
		const struct eval_indicator *ind = &ep->inds[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:i}",
		    "key", ind->key, "name", ind->name, "dimension",
		    ep->dims[ind->dim].name, "unit", eval_raw_unit(ind->raw),
		    "weight", ind->weight));
	}
	return (eval_json_dump(a));
}

/* n strings, stride bytes apart from base (a result's reasons, codes). */
static json_t *
strings_json(const char *base, size_t stride, int n)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(base + (size_t)i * stride));
	return (a);
}

/* 1 where the column is text */
static const unsigned char rc_text[RESULT_NCOLS] = {
	[RC_CODE] = 1, [RC_NAME] = 1, [RC_DISTRICT] = 1, [RC_GRADE] = 1,
	[RC_GRADE_NAME] = 1, [RC_REASONS] = 1, [RC_CODES] = 1,
};

/* c as RESULT_NCOLS parameters, text or binary (len, fmt zeroed); 0, -1. */
int
rescols_params(struct rescols *c, const char **params, int *len, int *fmt)
{
	int	 i;

	for (i = 0; i < RESULT_NCOLS; i++) {
		if (rc_text[i])
			params[i] = pgarray_finish(&c->t[i]);
		else if (c->b[i].n == 0)	/* no indicators */
			params[i] = "{}";
		else if (pgbin_end(&c->b[i]) == 0) {
			params[i] = (const char *)c->b[i].b;
			len[i] = (int)c->b[i].len;
			fmt[i] = 1;
		} else
			params[i] = NULL;
		if (params[i] == NULL)
			return (-1);
	}
	return (0);
}

void
rescols_free(struct rescols *c)
{
	int	 i;

	for (i = 0; i < RESULT_NCOLS; i++) {
		pgarray_free(&c->t[i]);
		pgbin_free(&c->b[i]);
	}
}

/* Add one json text to an array column; 0 unless memory ran out. */
static int
add_json(struct pgarray *col, json_t *j)
{
	char	*t = eval_json_dump(j);

	if (t == NULL)
		return (-1);
	pgarray_add(col, t);
	free(t);
	return (0);
}

/* The results of a scored run into c; 0, or -1 if memory ran out. */
int
rescols_build(struct rescols *c, const struct eval_policy *ep,
    const struct figsrc *src, const struct eval_park *parks,
    const struct eval_result *out, size_t n)
{
	struct pgbin	*b = c->b;
	struct pgarray	*t = c->t;
	size_t		 i;
	int		 k;

	for (i = 0; i < n; i++) {
		pgbin_i64(&b[RC_PARK], parks[i].park_id);
		pgarray_add(&t[RC_CODE], pg_get(src[i].res, src[i].row,
		    "code"));
		pgarray_add(&t[RC_NAME], pg_get(src[i].res, src[i].row,
		    "name"));
		pgarray_add(&t[RC_DISTRICT], pg_get(src[i].res, src[i].row,
		    "district"));
		pgbin_i32(&b[RC_RANK], out[i].rank);
		pgbin_i32(&b[RC_TOTAL], out[i].total_cp);
		pgarray_add(&t[RC_GRADE], out[i].grade);
		pgarray_add(&t[RC_GRADE_NAME], out[i].grade_name);
		pgbin_bool(&b[RC_ELIGIBLE], out[i].eligible);
		pgbin_i64(&b[RC_AMOUNT], out[i].amount_fen);
		pgbin_i64(&b[RC_SUBSIDY], out[i].subsidy_fen);
		pgbin_i32(&b[RC_FAILS], out[i].consecutive_fails);
		if (add_json(&t[RC_REASONS], strings_json(out[i].reasons[0],
		    sizeof(out[i].reasons[0]), out[i].nreasons)) != 0)
			return (-1);
		pgbin_i64(&b[RC_GRADE_AMOUNT], out[i].grade_amount_fen);
		pgbin_i32(&b[RC_POSITION], out[i].position);
		if (add_json(&t[RC_CODES], strings_json(
		    out[i].reason_codes[0], sizeof(out[i].reason_codes[0]),
		    out[i].nreasons)) != 0)
			return (-1);
		for (k = 0; k < ep->ninds; k++) {
			pgbin_i64(&b[RC_RAW], parks[i].raw[ep->inds[k].raw]);
			pgbin_i32(&b[RC_SCORE], out[i].score_cp[k]);
			pgbin_i32(&b[RC_CONTRIB], out[i].contrib_cp[k]);
		}
	}
	return (0);
}
