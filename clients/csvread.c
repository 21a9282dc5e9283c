/*
 * parkctl's CSV reader: a file (UTF-8, a BOM tolerated, a header row naming
 * the columns) into rows, chunk by chunk, and each row into its record
 * message. Money columns are yuan with up to two decimals and area columns
 * m2 with up to two decimals, converted exactly to fen and m2 x 100. A dry
 * run (csv_read_dry, no server) stops there; csvsync.c sends the chunks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "csvpush.h"
#include "pcmd.h"

static int
parse_int(const char *s, int64_t *out)
{
	char	*end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return (*s == '\0' || *end != '\0' || errno != 0 ? -1 : 0);
}

static char *
field(struct rowbuf *rb, int i)
{
	return (rb->f[i] ? rb->f[i] : "");
}

/*
 * Column i of kind k, the CSV text s, into its field of message x (typed by
 * the descriptor; hundredths columns exactly). -1 with err if malformed.
 */
static int
cell_set(const struct record_kind *k, int i, char *s, ProtobufCMessage *x,
    char *err, size_t errlen)
{
	const ProtobufCFieldDescriptor	*fd = record_kind_col(k, i);
	void				*dst = (char *)x + fd->offset;
	const char			*want = NULL;
	int64_t				 v = 0;

	if (fd->type == PROTOBUF_C_TYPE_STRING) {
		*(char **)dst = s;
		return (0);
	}
	if (fd->type == PROTOBUF_C_TYPE_BOOL) {
		/* an empty cell is false */
		*(protobuf_c_boolean *)dst = 0;
		if (*s != '\0' && pcmd_parse_bool(s, dst) != 0)
			want = "true/false";
	} else if (k->cols[i].unit == KU_HUNDREDTHS) {
		if (parse_hundredths(s, &v) != 0)
			want = "number with at most two decimals";
	} else if (parse_int(s, &v) != 0 || v < INT32_MIN || v > INT32_MAX)
		want = "integer";
	if (fd->type == PROTOBUF_C_TYPE_INT32)
		*(int32_t *)dst = (int32_t)v;
	else if (fd->type == PROTOBUF_C_TYPE_INT64)
		*(int64_t *)dst = v;
	if (want == NULL)
		return (0);
	snprintf(err, errlen, "%s: '%.40s' is not a valid %s", k->cols[i].csv,
	    s, want);
	return (-1);
}

/*
 * One CSV row into a message of its kind (record_kinds, lib/kinds.c); NULL
 * with rb->err set if a value cannot convert. A column the file leaves out
 * (an optional one) keeps the field's default.
 */
void *
push_convert(struct push *p, struct rowbuf *rb)
{
	const ProtobufCMessageDescriptor *md = record_kind_field(p->k)->descriptor;
	ProtobufCMessage		*x;
	char				 err[256];
	int				 i;

	if ((x = calloc(1, md->sizeof_message)) == NULL) {
		rb->err = strdup("out of memory");
		return (NULL);
	}
	md->message_init(x);
	for (i = 0; i < p->k->ncols; i++) {
		if (rb->f[i] == NULL && p->map[i] < 0)
			continue;
		if (cell_set(p->k, i, field(rb, i), x, err, sizeof(err)) != 0) {
			free(x);
			rb->err = strdup(err);
			return (NULL);
		}
	}
	return (x);
}

void
push_rows_free(struct rowbuf *rows, size_t n)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < MAXCOLS; j++)
			free(rows[i].f[j]);
		free(rows[i].err);
	}
	free(rows);
}

/* A dry run (no server): convert the chunk's rows, count, drop them. */
static int
flush_dry(struct push *p)
{
	size_t	 i;
	void	*x;

	for (i = 0; i < p->nchunk; i++) {
		if ((x = push_convert(p, &p->chunk[i])) == NULL)
			p->client_refused++;
		free(x);
	}
	p->sent += (int64_t)p->nchunk;
	push_rows_free(p->chunk, p->nchunk);
	p->nchunk = 0;
	if ((p->chunk = calloc(p->chunk_size, sizeof(*p->chunk))) == NULL)
		return (-1);
	return (0);
}

/* libcsv: one field of the current record. */
static void
csv_field_cb(void *s, size_t len, void *data)
{
	struct push	*p = data;
	char		*f;

	if (p->nf >= MAXFIELDS)
		return;
	if ((f = malloc(len + 1)) == NULL)
		return;
	memcpy(f, s, len);
	f[len] = '\0';
	/* a UTF-8 byte-order mark on the first header field */
	if (p->row == 0 && p->nf == 0 && len >= 3 &&
	    memcmp(f, "\xEF\xBB\xBF", 3) == 0)
		memmove(f, f + 3, len - 2);
	p->cur[p->nf++] = f;
}

static void
cur_free(struct push *p)
{
	int	 i;

	for (i = 0; i < p->nf; i++)
		free(p->cur[i]);
	p->nf = 0;
}

/* Map the header's columns to the kind's; an unknown or missing one is fatal. */
static int
header(struct push *p)
{
	int	 i, j;

	for (i = 0; i < p->k->ncols; i++) {
		p->map[i] = -1;
		for (j = 0; j < p->nf; j++) {
			if (strcmp(p->cur[j], p->k->cols[i].csv) == 0)
				p->map[i] = j;
		}
		if (p->map[i] < 0 && !p->k->cols[i].optional) {
			if (p->ctl == NULL)	/* a dry run: quiet */
				return (-1);
			fprintf(stderr, "parkctl: the header has no column "
			    "'%s' (a %s file needs:", p->k->cols[i].csv,
			    p->k->name);
			for (j = 0; j < p->k->ncols; j++)
				fprintf(stderr, " %s", p->k->cols[j].csv);
			fprintf(stderr, ")\n");
			return (-1);
		}
	}
	return (0);
}

/* libcsv: end of a record. */
static void
csv_row_cb(int c, void *data)
{
	struct push	*p = data;
	struct rowbuf	*rb;
	int		 i;

	(void)c;
	p->row++;
	if (p->failed) {
		cur_free(p);
		return;
	}
	if (!p->header_done) {
		p->header_done = 1;
		if (header(p) != 0)
			p->failed = 1;
		cur_free(p);
		return;
	}
	if (p->nf == 1 && p->cur[0][0] == '\0') {	/* blank line */
		cur_free(p);
		return;
	}
	rb = &p->chunk[p->nchunk++];
	rb->row = p->row;
	for (i = 0; i < p->k->ncols; i++) {
		if (p->map[i] >= 0 && p->map[i] < p->nf) {
			rb->f[i] = p->cur[p->map[i]];
			p->cur[p->map[i]] = NULL;
		}
	}
	cur_free(p);
	if (p->nchunk == p->chunk_size && p->flush(p) != 0)
		p->failed = 1;
}

/* Parse CSV from f (path names it in messages), chunk by chunk. */
int
push_stream(struct push *p, FILE *f, const char *path)
{
	struct csv_parser	 cp;
	char			 buf[65536];
	size_t			 n;
	int			 rc = 0;

	csv_init(&cp, CSV_APPEND_NULL);
	while (!p->failed && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (csv_parse(&cp, buf, n, csv_field_cb, csv_row_cb, p) != n) {
			if (p->ctl != NULL)
				fprintf(stderr, "parkctl: %s: row %" PRId64
				    ": %s\n", path, p->row + 1,
				    csv_strerror(csv_error(&cp)));
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		csv_fini(&cp, csv_field_cb, csv_row_cb, p);
	csv_free(&cp);
	cur_free(p);
	if (rc == 0 && !p->failed && p->flush(p) != 0)
		rc = -1;
	return (rc != 0 || p->failed ? -1 : 0);
}

/*
 * Read a CSV document of kind as a push would, without a server: every row
 * converted and checked on the client's side (the fuzzer's entry point).
 * 0 if it reads to the end; *rows and *refused count its data rows.
 */
int
csv_read_dry(const char *kind, const char *buf, size_t len, int64_t *rows,
    int64_t *refused)
{
	struct push	 p;
	FILE		*f;
	int		 rc = -1;

	*rows = *refused = 0;
	memset(&p, 0, sizeof(p));
	p.chunk_size = 64;
	p.flush = flush_dry;
	if ((p.k = record_kind_find(kind)) == NULL || len == 0 ||
	    (f = fmemopen((void *)buf, len, "rb")) == NULL)
		return (-1);
	if ((p.chunk = calloc(p.chunk_size, sizeof(*p.chunk))) != NULL)
		rc = push_stream(&p, f, "-");
	fclose(f);
	push_rows_free(p.chunk, p.nchunk);
	*rows = p.sent;
	*refused = p.client_refused;
	return (rc);
}
