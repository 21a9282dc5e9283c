/*
 * parkctl export: a park's rows of one record kind, page by page, written
 * as the CSV file a push takes (the columns of lib/kinds.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"

/* Column i of kind k of message x as CSV text (buf if it needs one). */
static const char *
cell_text(const struct record_kind *k, int i, const ProtobufCMessage *x,
    char *buf, size_t len)
{
	const ProtobufCFieldDescriptor	*fd = record_kind_col(k, i);
	const void			*src = (const char *)x + fd->offset;
	int64_t				 v;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		return (*(char *const *)src);
	case PROTOBUF_C_TYPE_BOOL:
		return (*(const protobuf_c_boolean *)src ? "true" : "false");
	case PROTOBUF_C_TYPE_INT32:
		v = *(const int32_t *)src;
		break;
	default:
		v = *(const int64_t *)src;
		break;
	}
	if (k->cols[i].unit == KU_HUNDREDTHS)
		fmt_hundredths(v, buf, len);
	else
		snprintf(buf, len, "%" PRId64, v);
	return (buf);
}

/* The page's records of kind k, one CSV line each. */
static void
export_rows(FILE *f, const struct record_kind *k,
    const Parkd__V1__SyncChunkRequest *r)
{
	ProtobufCMessage	**recs = record_kind_records(k, &r->base);
	size_t			 i, n = record_kind_count(k, &r->base);
	char			 buf[40];
	int			 c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < k->ncols; c++)
			pcmd_csv_cell(f, cell_text(k, c, recs[i], buf,
			    sizeof(buf)), c + 1 == k->ncols);
	}
}

/* Every page of the export into f; 0, or 1 if a call failed. */
static int
export_pages(struct ctl *ctl, Parkd__V1__ExportRequest *req,
    const struct record_kind *k, FILE *f)
{
	Parkd__V1__ExportResponse	*out;
	struct parkc_result		 res;
	char				 tok[32] = "";

	req->kind = (char *)k->name;
	req->page_size = 5000;
	do {
		req->page_token = tok;
		if (ctl_call_key(ctl, "Export", &req->base, "", &res) != 0)
			return (1);
		out = (Parkd__V1__ExportResponse *)res.body;
		if (out->rows != NULL)
			export_rows(f, k, out->rows);
		snprintf(tok, sizeof(tok), "%s", out->next_page_token);
		parkc_result_free(&res);
	} while (tok[0] != '\0');
	return (0);
}

/* parkctl export --kind KIND --park-code CODE [--out FILE] */
int
csv_export(struct ctl *ctl, int argc, char **argv)
{
	Parkd__V1__ExportRequest	 req = PARKD__V1__EXPORT_REQUEST__INIT;
	const struct record_kind	*k = NULL;
	const char			*path = NULL;
	FILE				*f = stdout;
	int				 i, rc = 0;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--kind") == 0)
			k = record_kind_find(argv[i + 1]);
		else if (strcmp(argv[i], "--park-code") == 0)
			req.park_code = argv[i + 1];
		else if (strcmp(argv[i], "--out") == 0)
			path = argv[i + 1];
		else
			break;
	}
	if (i == argc && k != NULL && req.park_code == NULL &&
	    (req.park_code = (char *)own_park(ctl)) == NULL)
		return (1);
	if (i != argc || k == NULL || req.park_code == NULL) {
		fprintf(stderr, "usage: parkctl export --kind KIND [--park-code "
		    "CODE] [--out FILE]\n");
		return (2);
	}
	if (ctl_connect(ctl) != 0)
		return (1);
	if (path != NULL && (f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		return (1);
	}
	fputs("\xEF\xBB\xBF", f);
	for (i = 0; i < k->ncols; i++)
		fprintf(f, "%s%s", k->cols[i].csv, i + 1 < k->ncols ? "," : "\n");
	rc = export_pages(ctl, &req, k, f);
	if (f != stdout)
		fclose(f);
	return (rc);
}
