/* Statement parameters built from request fields, and array literals. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpc/rpc.h"

void
qp_init(struct qparams *q)
{
	q->stmt = -1;
	q->n = 0;
}

/*
 * Send statement stmt instead of the step's own: a step whose request
 * picks one of several statements (by id or by code) chooses here, so
 * that each statement keeps one plan PostgreSQL can cache.
 */
void
qp_stmt(struct qparams *q, int stmt)
{
	q->stmt = stmt;
}

/*
 * A list's page of size rows: if paged, its statement of that size from
 * tab (PAGES_OF, the limit in its text); else the page size + 1, the
 * step's own statement's last parameter.
 */
void
qp_page(struct qparams *q, const struct page_stmt *tab, int size, int paged)
{
	if (paged)
		qp_stmt(q, page_stmt(tab, size));
	else
		qp_i64(q, (int64_t)size + 1);
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
