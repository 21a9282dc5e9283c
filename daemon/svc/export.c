/*
 * Export: a park's rows of one record kind, in the shapes a push takes,
 * page by page (parkctl export). A read path: what it returns is what the
 * caller may read of that park (schema/0005_scope.sql).
 */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

/* The kinds, by the name of their repeated field in SyncChunkRequest. */
static const struct {
	const char	*kind;
	int		 stmt;		/* store/sql/export.sql */
} exports[] = {
	{ "firm_reports", SQL_EXPORT_FIRM_REPORTS },
	{ "park_reports", SQL_EXPORT_PARK_REPORTS },
	{ "activities", SQL_EXPORT_ACTIVITIES },
	{ "firms", SQL_EXPORT_FIRMS },
	{ "tenancies", SQL_EXPORT_TENANCIES },
	{ "certifications", SQL_EXPORT_CERTIFICATIONS },
};
#define NEXPORTS	(sizeof(exports) / sizeof(exports[0]))

/*
 * The rows, as the kind's messages in its repeated field of rows: every
 * field filled from the column of its name (rpc/row.c, pg_message).
 */
static int
export_fill(struct req *r, PGresult *res, int n,
    Parkd__V1__SyncChunkRequest *rows)
{
	Parkd__V1__ExportRequest		*in = (void *)r->in;
	const ProtobufCFieldDescriptor		*fd;
	ProtobufCMessage			**v;
	int					*cols, i;

	fd = protobuf_c_message_descriptor_get_field_by_name(
	    rows->base.descriptor, in->kind);
	if (n == 0)
		return (0);
	if ((v = req_alloc(r, (size_t)n * sizeof(*v))) == NULL ||
	    (cols = pg_message_columns(r, fd->descriptor, res)) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if ((v[i] = pg_message(r, fd->descriptor, res, i, cols)) ==
		    NULL)
			return (-1);
	}
	*(size_t *)((char *)rows + fd->quantifier_offset) = (size_t)n;
	*(ProtobufCMessage ***)((char *)rows + fd->offset) = v;
	return (0);
}

static void
export_done(struct req *r, PGresult *res)
{
	Parkd__V1__ExportRequest	*in = (void *)r->in;
	Parkd__V1__ExportResponse	 out = PARKD__V1__EXPORT_RESPONSE__INIT;
	Parkd__V1__SyncChunkRequest	 rows =
	    PARKD__V1__SYNC_CHUNK_REQUEST__INIT;
	int				 n, size = *(int *)r->state;
	int64_t				 offset = 0;

	if (!pg_ok(r, res, PGRES_TUPLES_OK, "Export"))
		return;
	page_token_parse(r, in->page_token, &offset);
	n = PQntuples(res) > size ? size : PQntuples(res);
	if (export_fill(r, res, n, &rows) != 0) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	out.rows = &rows;
	out.next_page_token = "";
	if (PQntuples(res) > size)
		out.next_page_token = fmt_arena(r, "%lld",
		    (long long)(offset + size));
	req_reply(r, &out.base);
}

/* Run the kind's export query (the caller may read that park). */
static void
export_query(struct req *r)
{
	Parkd__V1__ExportRequest	*in = (void *)r->in;
	struct qparams			 q;
	int64_t				 offset;
	int				*size = r->state;
	size_t				 i;

	for (i = 0; strcmp(exports[i].kind, in->kind) != 0; i++)
		;
	page_token_parse(r, in->page_token, &offset);
	qp_init(&q);
	qp_str(&q, in->park_code);
	qp_i64(&q, *size + 1);
	qp_i64(&q, offset);
	db_exec(r, exports[i].stmt, q.n, q.v, export_done);
}

static void
export_scoped(struct req *r, PGresult *res)
{
	if (!pg_ok(r, res, PGRES_TUPLES_OK, "Export"))
		return;
	if (PQntuples(res) == 0 || pg_i64(res, 0, "id") != r->pr.park_id) {
		req_fail(r, PARKD__V1__CODE__PERMISSION_DENIED, "an operator may "
		    "export only its own park");
		return;
	}
	export_query(r);
}

static void
svc_export(struct req *r)
{
	Parkd__V1__ExportRequest	*in = (void *)r->in;
	int64_t				 offset;
	int				*size;
	size_t				 i;
	const char			*p[1] = { in->park_code };

	for (i = 0; i < NEXPORTS; i++) {
		if (strcmp(exports[i].kind, in->kind) == 0)
			break;
	}
	if (i == NEXPORTS ||
	    page_token_parse(r, in->page_token, &offset) != 0) {
		req_fail(r, PARKD__V1__CODE__INVALID_ARGUMENT, "kind must be "
		    "firms, tenancies, certifications, firm_reports, "
		    "park_reports or activities, with a page_token from a "
		    "previous page");
		return;
	}
	if ((size = r->state = req_alloc(r, sizeof(int))) == NULL) {
		req_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	*size = in->page_size <= 0 ? 1000 : in->page_size > 10000 ? 10000 :
	    in->page_size;
	if (r->pr.role == ROLE_OPERATOR)
		db_exec(r, SQL_EXPORT_PARK_ID, 1, p, export_scoped);
	else
		export_query(r);
}

/* The methods this file serves (rpc/dispatch.c builds the table). */
const struct method_def svc_export_methods[] = {
	{ .name = "Export", .ro = 1, .handler = svc_export,
	    .roles = ROLES_ALL },
	{ .name = NULL }
};
