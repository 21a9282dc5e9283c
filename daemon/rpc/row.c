/* Values of result rows, by column name, and the status of a result. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpc/rpc.h"

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

/* Did the statement succeed? If not, fail r (lost connection included). */
int
pg_ok(struct req *r, PGresult *res, ExecStatusType want, const char *what)
{
	if (res != NULL && PQresultStatus(res) == want)
		return (1);
	req_fail_pg(r, res, what);
	return (0);
}

/*
 * For pg_message: the column of res holding each field of desc (by the
 * field's name), -1 where none does. In r's arena; NULL if memory ran out.
 */
int *
pg_message_columns(struct req *r, const ProtobufCMessageDescriptor *desc,
    PGresult *res)
{
	int		*cols;
	unsigned	 f;

	if ((cols = req_alloc(r, (desc->n_fields + 1) * sizeof(int))) == NULL)
		return (NULL);
	for (f = 0; f < desc->n_fields; f++)
		cols[f] = PQfnumber(res, desc->fields[f].name);
	return (cols);
}

/*
 * A message of type desc from row i: each scalar field from the column of
 * its name (strings point into res), the others left at their defaults.
 * NULL if memory ran out.
 */
ProtobufCMessage *
pg_message(struct req *r, const ProtobufCMessageDescriptor *desc,
    PGresult *res, int i, const int *cols)
{
	ProtobufCMessage	*m;
	unsigned		 f;

	if ((m = req_alloc(r, desc->sizeof_message)) == NULL)
		return (NULL);
	desc->message_init(m);
	for (f = 0; f < desc->n_fields; f++) {
		const ProtobufCFieldDescriptor	*fd = &desc->fields[f];
		void				*p = (char *)m + fd->offset;
		const char			*v;

		if (cols[f] < 0 || fd->label == PROTOBUF_C_LABEL_REPEATED ||
		    PQgetisnull(res, i, cols[f]))
			continue;
		v = PQgetvalue(res, i, cols[f]);
		switch (fd->type) {
		case PROTOBUF_C_TYPE_STRING:
			*(char **)p = (char *)v;
			break;
		case PROTOBUF_C_TYPE_INT32:
		case PROTOBUF_C_TYPE_SINT32:
			*(int32_t *)p = (int32_t)strtol(v, NULL, 10);
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
			*(int64_t *)p = strtoll(v, NULL, 10);
			break;
		case PROTOBUF_C_TYPE_BOOL:
			*(protobuf_c_boolean *)p = v[0] == 't';
			break;
		default:	/* no kind has others */
			break;
		}
	}
	return (m);
}
