/*
 * Evidence files, of declarations (svc/declaration.c) and of objections
 * (svc/eval/objections.c): checked against the caps of parkd.conf, sent to
 * PostgreSQL as hex with their SHA-256, and read back into a reply.
 */
#include <stdio.h>
#include <string.h>

#include "svc/svc.h"

/*
 * A file's name, media type and size checked into r->v (field: its bytes'
 * field): within evidence_max_kb, not empty.
 */
void
file_check(struct req *r, const char *field, const char *name,
    const char *media_type, const ProtobufCBinaryData *b)
{
	int64_t	 cap = (int64_t)server->cfg->evidence_max_kb * 1024;

	check_text(r, "name", name, 1, 200);
	if (*media_type != '\0')
		check_text(r, "media_type", media_type, 3, 100);
	if (b->len == 0)
		viols_add(&r->v, field, "evidence.empty", "the file is empty");
	else if ((int64_t)b->len > cap)
		viols_add(&r->v, field, "evidence.too_large", "%zu bytes: a "
		    "file may have at most %lld (evidence_max_kb = %d)",
		    b->len, (long long)cap, server->cfg->evidence_max_kb);
}

/* A file's content in hex (r's arena) and its SHA-256 into sha. */
const char *
file_hex(struct req *r, const ProtobufCBinaryData *b, char sha[65])
{
	static const char	 hx[] = "0123456789abcdef";
	char			*h;
	size_t			 i;

	sha256_hex((const char *)b->data, b->len, sha);
	if ((h = req_alloc(r, b->len * 2 + 1)) == NULL)
		return (NULL);
	for (i = 0; i < b->len; i++) {
		h[2 * i] = hx[b->data[i] >> 4];
		h[2 * i + 1] = hx[b->data[i] & 15];
	}
	h[2 * b->len] = '\0';
	return (h);
}

static int
hexval(char c)
{
	return (c >= 'a' ? c - 'a' + 10 : c - '0');
}

/* Hex text (PostgreSQL's encode) into out, in r's arena; 0 or -1. */
int
hex_file(struct req *r, const char *hx, ProtobufCBinaryData *out)
{
	size_t	 i, n = strlen(hx) / 2;

	if ((out->data = req_alloc(r, n ? n : 1)) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		out->data[i] = (uint8_t)(hexval(hx[2 * i]) << 4 |
		    hexval(hx[2 * i + 1]));
	out->len = n;
	return (0);
}

void
evidence_from_row(struct req *r, PGresult *res, Parkd__V1__Evidence *e)
{
	parkd__v1__evidence__init(e);
	e->id = pg_i64(res, 0, "id");
	e->size = pg_i64(res, 0, "size");
#define S(f) e->f = req_strdup(r, pg_get(res, 0, #f))
	S(kind); S(name); S(media_type); S(sha256); S(added_by); S(added_at);
#undef S
}

/* An evidence row (decl_evidence_get, objection_evidence) as the reply. */
int
file_reply(struct req *r, PGresult *res)
{
	Parkd__V1__Evidence	*e;

	if ((e = req_alloc(r, sizeof(*e))) == NULL)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	evidence_from_row(r, res, e);
	if (e->added_at == NULL || hex_file(r, pg_get(res, 0, "content"),
	    &e->content) != 0)
		return (step_fail(r, PARKD__V1__CODE__RESOURCE_EXHAUSTED,
		    "out of memory"));
	return (step_reply(r, &e->base));
}
