/* Query parameters from request fields, and values from result rows. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parkd.h"

void
qp_init(struct qparams *q)
{
	q->n = 0;
}

static void
qp_push(struct qparams *q, const char *v)
{
	if (q->n >= (int)(sizeof(q->v) / sizeof(q->v[0])))
		fatalx("qparams: too many parameters");
	q->v[q->n++] = v;
}

void
qp_str(struct qparams *q, const char *s)
{
	qp_push(q, s != NULL ? s : "");
}

/* An empty string becomes SQL NULL (an unset optional field). */
void
qp_str_or_null(struct qparams *q, const char *s)
{
	qp_push(q, s != NULL && *s != '\0' ? s : NULL);
}

void
qp_i64(struct qparams *q, int64_t v)
{
	snprintf(q->buf[q->n], sizeof(q->buf[0]), "%" PRId64, v);
	qp_push(q, q->buf[q->n]);
}

void
qp_bool(struct qparams *q, int v)
{
	qp_push(q, v ? "t" : "f");
}

void
qp_null(struct qparams *q)
{
	qp_push(q, NULL);
}

/* Who, what and which key, for the audit_log row of a mutation. */
void
qp_audit(struct qparams *q, struct req *r)
{
	qp_i64(q, r->pr.id);
	qp_str(q, r->pr.name);
	qp_str(q, r->m->name);
	qp_str(q, r->idem_key);
}

const char *
pg_get(PGresult *res, int row, const char *col)
{
	int	 c = PQfnumber(res, col);

	if (c < 0)
		fatalx("result has no column %s", col);
	return (PQgetvalue(res, row, c));
}

int64_t
pg_i64(PGresult *res, int row, const char *col)
{
	return (strtoll(pg_get(res, row, col), NULL, 10));
}

int
pg_bool(PGresult *res, int row, const char *col)
{
	return (pg_get(res, row, col)[0] == 't');
}

/* Split a comma-separated value into strings in r's arena. */
char **
pg_split(struct req *r, const char *s, size_t *n)
{
	size_t	 cap = 1, i = 0;
	char	**out, *copy, *tok, *save = NULL;

	*n = 0;
	if (*s == '\0')
		return (NULL);
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	if ((out = req_alloc(r, cap * sizeof(*out))) == NULL ||
	    (copy = req_strdup(r, s)) == NULL)
		return (NULL);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && i < cap;
	    tok = strtok_r(NULL, ",", &save))
		out[i++] = tok;
	*n = i;
	return (out);
}

/* Join strings with commas into r's arena ("" for none). */
char *
req_join(struct req *r, char **v, size_t n)
{
	size_t	 len = 1, i, l;
	char	*out, *p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((out = p = req_alloc(r, len)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {	/* linear: no strcat from the start */
		if (i > 0)
			*p++ = ',';
		l = strlen(v[i]);
		memcpy(p, v[i], l);
		p += l;
	}
	*p = '\0';
	return (out);
}

/*
 * Check an update mask against the fields that may be updated; returns the
 * mask as a PostgreSQL text[] literal, or NULL after adding violations.
 */
char *
mask_literal(struct req *r, char **mask, size_t n,
    const char *const *allowed)
{
	size_t	 i, j;
	int	 ok = 1;
	char	*lit;

	if (n == 0) {
		viols_add(&r->v, "update_mask", "update_mask.required",
		    "name at least one field to update");
		return (NULL);
	}
	for (j = 0; allowed[j] != NULL; j++)
		;
	if (n > j) {
		viols_add(&r->v, "update_mask", "update_mask.count",
		    "%zu entries; at most the %zu fields that can be updated", n,
		    j);
		return (NULL);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; allowed[j] != NULL; j++) {
			if (strcmp(mask[i], allowed[j]) == 0)
				break;
		}
		if (allowed[j] == NULL) {
			viols_add(&r->v, "update_mask", "update_mask.field",
			    "'%.64s' is not a field that can be updated",
			    mask[i]);
			ok = 0;
		}
	}
	if (!ok || (lit = req_join(r, mask, n)) == NULL)
		return (NULL);
	return (fmt_arena(r, "{%s}", lit));
}

int
mask_has(char **mask, size_t n, const char *field)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(mask[i], field) == 0)
			return (1);
	}
	return (0);
}

/* printf into r's arena. */
char *
fmt_arena(struct req *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*tmp = NULL, *out;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (NULL);
	out = req_strdup(r, tmp);
	free(tmp);
	return (out);
}

/* Did the statement succeed? If not, fail r (lost connection included). */
int
pg_ok(struct req *r, PGresult *res, ExecStatusType want, const char *what)
{
	if (res != NULL && PQresultStatus(res) == want)
		return (1);
	req_fail_pg(r, res, what);
	return (0);
}

/* Credit-code field: check character an error, organisation code a warning. */
void
check_credit_code(struct req *r, const char *field, const char *code)
{
	const char	*why;

	if (creditcode_check(code, &why) != 0) {
		viols_add(&r->v, field, "credit_code.gb32100",
		    "'%.32s' is not a valid unified social credit code: %s",
		    code, why);
		return;
	}
	if (orgcode_check(code + 8) != 0)
		viols_add(&r->warn, field, "credit_code.gb11714",
		    "positions 9-17 of '%s' fail the GB 11714 organisation "
		    "code check", code);
}

void
check_text(struct req *r, const char *field, const char *s, size_t min,
    size_t max)
{
	if (!valid_utf8(s))
		viols_add(&r->v, field, "text.utf8",
		    "must be UTF-8 text without control characters");
	else if (strlen(s) < min)
		viols_add(&r->v, field, "text.required", "is required");
	else if (strlen(s) > max)
		viols_add(&r->v, field, "text.length",
		    "is longer than %zu bytes", max);
}

/* page_token is the last id of the previous page, in decimal. */
int
page_token_parse(struct req *r, const char *tok, int64_t *after)
{
	char	*end;

	*after = 0;
	if (*tok == '\0')
		return (0);
	*after = strtoll(tok, &end, 10);
	if (*end != '\0' || *after < 0) {
		viols_add(&r->v, "page_token", "page_token.format",
		    "is not a token returned by a previous page");
		return (-1);
	}
	return (0);
}

int
page_size_clamp(int32_t n)
{
	if (n <= 0)
		return (100);
	return (n > 1000 ? 1000 : n);
}

/* A date field, today if empty; fails r and returns -1 if malformed. */
int
date_or_today(struct req *r, const char *field, const char *s,
    struct ymd *out, char buf[11])
{
	if (*s == '\0')
		today(out);
	else if (ymd_parse(s, out) != 0) {
		viols_add(&r->v, field, "date", "'%.16s' is not a YYYY-MM-DD "
		    "date", s);
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "%s is not "
		    "valid", field);
		return (-1);
	}
	ymd_format(out, buf);
	return (0);
}

/*
 * The messages of one page: at most size rows of res (the query fetched one
 * more to tell whether a next page follows), each sz bytes, filled by fill.
 * *next is keycol of the last row when another page follows, else "".
 * NULL, after failing r, when memory runs out.
 */
void **
page_build(struct req *r, PGresult *res, int size, size_t sz,
    page_fill fill, const char *keycol, size_t *n, char **next)
{
	void	**v;
	char	*mem;
	int	 i, rows = PQntuples(res) > size ? size : PQntuples(res);

	*n = 0;
	*next = "";
	v = req_alloc(r, (size_t)(rows ? rows : 1) * sizeof(void *));
	mem = req_alloc(r, (size_t)(rows ? rows : 1) * sz);
	if (v == NULL || mem == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory building the page");
		return (NULL);
	}
	for (i = 0; i < rows; i++) {
		v[i] = mem + (size_t)i * sz;
		fill(r, res, i, v[i]);
	}
	*n = (size_t)rows;
	if (keycol != NULL && PQntuples(res) > size && rows > 0)
		*next = req_strdup(r, pg_get(res, rows - 1, keycol));
	return (v);
}

/* The page_token of a list request; fails r if it is not one of ours. */
int
page_after(struct req *r, const char *tok, int64_t *after)
{
	if (page_token_parse(r, tok, after) == 0)
		return (0);
	req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "bad page_token");
	return (-1);
}

/*
 * A PostgreSQL array literal built one element at a time (for unnest of
 * array parameters). Out of memory is remembered; pgarray_finish then
 * returns NULL.
 */
void
pgarray_add(struct pgarray *b, const char *v)
{
	size_t	 need = (v ? strlen(v) * 2 : 0) + 8;
	char	*p;

	if (b->oom)
		return;
	if (b->len + need + 2 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + need;

		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	b->s[b->len++] = b->n++ ? ',' : '{';
	if (v == NULL) {
		memcpy(b->s + b->len, "NULL", 4);
		b->len += 4;
		return;
	}
	b->s[b->len++] = '"';
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			b->s[b->len++] = '\\';
		b->s[b->len++] = *v;
	}
	b->s[b->len++] = '"';
}

void
pgarray_add_i64(struct pgarray *b, int64_t v)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	pgarray_add(b, buf);
}

/* The literal, valid until pgarray_free (NULL if memory ran out). */
const char *
pgarray_finish(struct pgarray *b)
{
	if (b->oom)
		return (NULL);
	if (b->n == 0)
		return ("{}");
	b->s[b->len] = '}';
	b->s[b->len + 1] = '\0';
	return (b->s);
}

void
pgarray_free(struct pgarray *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

