/*
 * parkctl sync / export: CSV files (UTF-8, a BOM tolerated, header row
 * naming the columns) pushed to parkd in chunks under one idempotency key,
 * or written back in the same shapes. Money columns are yuan with up to two
 * decimals and area columns m2 with up to two decimals, converted exactly to
 * fen and m2 x 100.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>
#include <openssl/evp.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"

#define MAXCOLS		12
#define WINDOW		4

static int
parse_int(const char *s, int64_t *out)
{
	char	*end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return (*s == '\0' || *end != '\0' || errno != 0 ? -1 : 0);
}

/* ---- reading ---- */

struct push;
static int	push_stream(struct push *, FILE *, const char *);

struct rowbuf {
	int64_t	 row;
	char	*f[MAXCOLS];
	char	*err;			/* client-side refusal, if any */
};

struct inflight {
	struct rowbuf	*rows;
	size_t		 n;
};

struct push {
	struct ctl		*ctl;
	const struct record_kind *k;
	int			 map[MAXCOLS];	/* kind column -> csv column */
	int			 ncsv;
	char			*cur[64];	/* fields of the current record */
	int			 nf;
	int64_t			 row;		/* header = row 1 */
	int			 header_done;
	struct rowbuf		*chunk;
	size_t			 nchunk;
	size_t			 chunk_size;
	struct inflight		 fl[WINDOW];
	int			 nfl;
	int64_t			 sync_id;
	int64_t			 total_rows;	/* for the progress bar */
	int64_t			 sent;
	int64_t			 client_refused;
	int64_t			 server_refused;
	FILE			*refused;
	const char		*refused_path;
	int			 failed;
	int			 tty;
};

static void
refused_write(struct push *p, const struct rowbuf *rb, const char *why)
{
	int	 i;

	if (p->refused_path == NULL)		/* a dry run */
		return;
	if (p->refused == NULL) {
		if ((p->refused = fopen(p->refused_path, "w")) == NULL) {
			fprintf(stderr, "parkctl: %s: %s\n", p->refused_path,
			    strerror(errno));
			return;
		}
		fputs("\xEF\xBB\xBF", p->refused);
		for (i = 0; i < p->k->ncols; i++)
			fprintf(p->refused, "%s,", p->k->cols[i].csv);
		fprintf(p->refused, "row,error\n");
	}
	for (i = 0; i < p->k->ncols; i++)
		pcmd_csv_cell(p->refused, rb->f[i] ? rb->f[i] : "", 0);
	fprintf(p->refused, "%" PRId64 ",", rb->row);
	pcmd_csv_cell(p->refused, why, 1);
}

static void
progress(struct push *p, int final)
{
	int	 w = 30, filled, pct;

	if (!p->tty)
		return;
	pct = p->total_rows > 0 ? (int)(p->sent * 100 / p->total_rows) : 100;
	filled = pct * w / 100;
	fprintf(stderr, "\r[%.*s%*s] %3d%% %" PRId64 "/%" PRId64 " rows",
	    filled, "##############################", w - filled, "", pct,
	    p->sent, p->total_rows);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
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
static void *
convert(struct push *p, struct rowbuf *rb)
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

static void
rows_free(struct rowbuf *rows, size_t n)
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

/* Wait for the oldest chunk's answer; write its refused rows. */
static int
collect_chunk(struct push *p)
{
	Parkd__V1__Response		*resp;
	Parkd__V1__SyncChunkResponse	*cr;
	struct inflight			*f = &p->fl[0];
	size_t				 i, j;
	char				 why[1024];

	if (parkc_recv(p->ctl->pc, &resp) != 0) {
		fprintf(stderr, "\nparkctl: %s\n", parkc_error(p->ctl->pc));
		return (-1);
	}
	if (resp->status != NULL && resp->status->code != 0) {
		fprintf(stderr, "\nparkctl: chunk refused: %s: %s\n",
		    parkc_code_name(resp->status->code), resp->status->message);
		parkd__v1__response__free_unpacked(resp, NULL);
		return (-1);
	}
	cr = parkd__v1__sync_chunk_response__unpack(NULL, resp->body.len,
	    resp->body.data);
	parkd__v1__response__free_unpacked(resp, NULL);
	if (cr == NULL)
		return (-1);
	for (i = 0; i < cr->n_refused; i++) {
		Parkd__V1__SyncRowError *e = cr->refused[i];
		size_t o = 0;

		why[0] = '\0';
		for (j = 0; j < e->n_violations && o < sizeof(why); j++)
			o += (size_t)snprintf(why + o, sizeof(why) - o, "%s%s "
			    "[%s] %s", j ? "; " : "", e->violations[j]->field,
			    e->violations[j]->rule, e->violations[j]->message);
		for (j = 0; j < f->n; j++) {
			if (f->rows[j].row == e->row) {
				if (f->rows[j].err == NULL)
					refused_write(p, &f->rows[j], why);
				break;
			}
		}
	}
	p->server_refused += (int64_t)cr->n_refused;
	parkd__v1__sync_chunk_response__free_unpacked(cr, NULL);
	rows_free(f->rows, f->n);
	memmove(&p->fl[0], &p->fl[1], (size_t)(p->nfl - 1) * sizeof(p->fl[0]));
	p->nfl--;
	progress(p, 0);
	return (0);
}

/* The chunk is sent: it waits in the window for its answer. */
static int
flush_sent(struct push *p)
{
	p->sent += (int64_t)p->nchunk;
	p->fl[p->nfl].rows = p->chunk;
	p->fl[p->nfl].n = p->nchunk;
	p->nfl++;
	p->nchunk = 0;
	if ((p->chunk = calloc(p->chunk_size, sizeof(*p->chunk))) == NULL)
		return (-1);
	return (0);
}

/* A dry run (no server): convert the chunk's rows, count, drop them. */
static int
flush_dry(struct push *p)
{
	size_t	 i;
	void	*x;

	for (i = 0; i < p->nchunk; i++) {
		if ((x = convert(p, &p->chunk[i])) == NULL)
			p->client_refused++;
		free(x);
	}
	p->sent += (int64_t)p->nchunk;
	rows_free(p->chunk, p->nchunk);
	p->nchunk = 0;
	if ((p->chunk = calloc(p->chunk_size, sizeof(*p->chunk))) == NULL)
		return (-1);
	return (0);
}

/* The rows parkctl itself refused, told to parkd with the chunk. */
struct unreadable {
	Parkd__V1__SyncRowError	*e, **ep;
	Parkd__V1__Violation	*v, **vp;
	size_t			 n;
};

static int
unreadable_new(struct unreadable *u, size_t n)
{
	memset(u, 0, sizeof(*u));
	u->e = calloc(n, sizeof(*u->e));
	u->ep = calloc(n, sizeof(*u->ep));
	u->v = calloc(n, sizeof(*u->v));
	u->vp = calloc(n, sizeof(*u->vp));
	return (u->e && u->ep && u->v && u->vp ? 0 : -1);
}

static void
unreadable_free(struct unreadable *u)
{
	free(u->e);
	free(u->ep);
	free(u->v);
	free(u->vp);
}

/*
 * Row rb could not convert: refused here, and told to parkd so the stored
 * outcome has it.
 */
static void
unreadable_add(struct push *p, struct unreadable *u, struct rowbuf *rb)
{
	size_t	 i = u->n++;

	refused_write(p, rb, rb->err);
	p->client_refused++;
	parkd__v1__sync_row_error__init(&u->e[i]);
	parkd__v1__violation__init(&u->v[i]);
	u->v[i].field = "";
	u->v[i].rule = "csv.value";
	u->v[i].message = rb->err;
	u->vp[i] = &u->v[i];
	u->e[i].row = rb->row;
	u->e[i].violations = &u->vp[i];
	u->e[i].n_violations = 1;
	u->ep[i] = &u->e[i];
}

/* Send the rows gathered so far as one chunk (bad rows stay here). */
static int
flush_chunk(struct push *p)
{
	Parkd__V1__SyncChunkRequest	 req =
	    PARKD__V1__SYNC_CHUNK_REQUEST__INIT;
	ProtobufCMessage		**recs;
	int64_t				*rows;
	struct unreadable		 u;
	size_t				 i, n = 0;
	int				 rc = -1;

	if (p->nchunk == 0)
		return (0);
	if (p->ctl == NULL)
		return (flush_dry(p));
	while (p->nfl == WINDOW) {
		if (collect_chunk(p) != 0)
			return (-1);
	}
	recs = calloc(p->nchunk, sizeof(*recs));
	rows = calloc(p->nchunk, sizeof(int64_t));
	if (unreadable_new(&u, p->nchunk) != 0 || recs == NULL || rows == NULL)
		goto out;
	for (i = 0; i < p->nchunk; i++) {
		if ((recs[n] = convert(p, &p->chunk[i])) == NULL) {
			unreadable_add(p, &u, &p->chunk[i]);
			continue;
		}
		rows[n++] = p->chunk[i].row;
	}
	req.sync_id = p->sync_id;
	req.first_row = n ? rows[0] : 1;
	req.rows = rows;
	req.n_rows = n;
	req.unreadable = u.ep;
	req.n_unreadable = u.n;
	record_kind_set(p->k, &req.base, recs, n);
	if ((rc = parkc_send(p->ctl->pc, "SyncChunk", &req.base, "", NULL)) != 0)
		fprintf(stderr, "\nparkctl: %s\n", parkc_error(p->ctl->pc));
	for (i = 0; i < n; i++)
		free(recs[i]);
out:
	free(recs);
	free(rows);
	unreadable_free(&u);
	return (rc != 0 ? -1 : flush_sent(p));
}

/* libcsv: one field of the current record. */
static void
csv_field_cb(void *s, size_t len, void *data)
{
	struct push	*p = data;
	char		*f;

	if (p->nf >= 64)
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
	if (p->nchunk == p->chunk_size && flush_chunk(p) != 0)
		p->failed = 1;
}

/* SHA-256 of park, kind and file: the default idempotency key. */
static int
file_key(const char *path, const char *park, const char *kind, char *out,
    int64_t *lines)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	 md[32], buf[65536];
	unsigned int	 mdlen = 0, i;
	size_t		 n, j;
	FILE		*f = fopen(path, "rb");

	if (f == NULL || ctx == NULL) {
		if (f != NULL)
			fclose(f);
		EVP_MD_CTX_free(ctx);
		return (-1);
	}
	*lines = 0;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, park, strlen(park) + 1);
	EVP_DigestUpdate(ctx, kind, strlen(kind) + 1);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		for (j = 0; j < n; j++)
			*lines += buf[j] == '\n';
	}
	fclose(f);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	strcpy(out, "csv-");
	for (i = 0; i < 16; i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", md[i]);
	return (0);
}

static int
begin(struct push *p, const char *park, const char *key,
    Parkd__V1__SyncOutcome **done)
{
	Parkd__V1__BeginSyncRequest	 req = PARKD__V1__BEGIN_SYNC_REQUEST__INIT;
	Parkd__V1__BeginSyncResponse	*out;
	struct parkc_result		 res;

	req.park_code = (char *)park;
	req.kind = (char *)p->k->name;
	if (ctl_call_key(p->ctl, "BeginSync", &req.base, key, &res) != 0)
		return (-1);
	out = (Parkd__V1__BeginSyncResponse *)res.body;
	p->sync_id = out->sync_id;
	*done = NULL;
	if (out->done && out->outcome != NULL) {
		/* the stored outcome outlives the response: a copy of it */
		size_t n = parkd__v1__sync_outcome__get_packed_size(out->outcome);
		uint8_t *b = malloc(n + 1);

		if (b != NULL) {
			parkd__v1__sync_outcome__pack(out->outcome, b);
			*done = parkd__v1__sync_outcome__unpack(NULL, n, b);
			free(b);
		}
		if (*done == NULL) {
			fprintf(stderr, "parkctl: out of memory\n");
			parkc_result_free(&res);
			return (-1);
		}
	}
	parkc_result_free(&res);
	return (0);
}

static void
summary(struct push *p, Parkd__V1__SyncOutcome *o, const char *key)
{
	size_t	 i;

	printf("%s %s: %" PRId64 " rows: %" PRId64 " applied, %" PRId64
	    " updated, %" PRId64 " refused%s\n", p->k->name, key, o->rows,
	    o->applied, o->updated, o->refused, o->replayed ? " (already "
	    "pushed with this key: nothing applied again)" : "");
	if (o->replayed) {
		for (i = 0; i < o->n_refusals && i < 20; i++)
			printf("  row %" PRId64 ": %s [%s] %s\n",
			    o->refusals[i]->row,
			    o->refusals[i]->violations[0]->field,
			    o->refusals[i]->violations[0]->rule,
			    o->refusals[i]->violations[0]->message);
	} else if (o->refused > 0)
		printf("refused rows, with the reason, are in %s: fix them "
		    "and push that file again\n", p->refused_path);
}

static int
commit(struct push *p, const char *key)
{
	Parkd__V1__CommitSyncRequest	 req = PARKD__V1__COMMIT_SYNC_REQUEST__INIT;
	struct parkc_result		 res;

	while (p->nfl > 0) {
		if (collect_chunk(p) != 0)
			return (-1);
	}
	progress(p, 1);
	req.sync_id = p->sync_id;
	if (ctl_call_key(p->ctl, "CommitSync", &req.base, key, &res) != 0)
		return (-1);
	if (p->ctl->json)
		pcmd_print(res.body, 1, stdout);
	else
		summary(p, (Parkd__V1__SyncOutcome *)res.body, key);
	parkc_result_free(&res);
	return (0);
}

static int
push_file(struct push *p, const char *path)
{
	FILE	*f;
	int	 rc;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	rc = push_stream(p, f, path);
	fclose(f);
	return (rc);
}

/* Parse CSV from f (path names it in messages), chunk by chunk. */
static int
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
	if (rc == 0 && !p->failed && flush_chunk(p) != 0)
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
	if ((p.k = record_kind_find(kind)) == NULL || len == 0 ||
	    (f = fmemopen((void *)buf, len, "rb")) == NULL)
		return (-1);
	if ((p.chunk = calloc(p.chunk_size, sizeof(*p.chunk))) != NULL)
		rc = push_stream(&p, f, "-");
	fclose(f);
	rows_free(p.chunk, p.nchunk);
	*rows = p.sent;
	*refused = p.client_refused;
	return (rc);
}

/* An operator's own park, when --park-code is left out (WhoAmI). */
const char *
own_park(struct ctl *ctl)
{
	static char			 code[64];
	Parkd__V1__WhoAmIRequest	 req = PARKD__V1__WHO_AM_IREQUEST__INIT;
	struct parkc_result		 res;

	if (ctl_connect(ctl) != 0 ||
	    parkc_call(ctl->pc, "WhoAmI", &req.base, "", &res) != 0)
		return (NULL);
	if (res.code == 0)
		snprintf(code, sizeof(code), "%s",
		    ((Parkd__V1__Principal *)res.body)->park_code);
	parkc_result_free(&res);
	if (res.code != 0 || code[0] == '\0') {
		fprintf(stderr, "parkctl: give --park-code (only an operator's "
		    "certificate implies its park)\n");
		return (NULL);
	}
	return (code);
}

/*
 * parkctl sync FILE.csv --kind KIND [--park-code CODE] [--chunk N]
 *     [--refused FILE] [--idempotency-key K]
 */
/* sync's flags into p, file, kind and park; -1 (usage printed) if bad. */
static int
sync_args(struct ctl *ctl, int argc, char **argv, struct push *p,
    const char **file, const char **kind, const char **park)
{
	int	 i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
			*kind = argv[++i];
		else if (strcmp(argv[i], "--park-code") == 0 && i + 1 < argc)
			*park = argv[++i];
		else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) {
			p->chunk_size = (size_t)atoi(argv[++i]);
			if (p->chunk_size == 0)
				p->chunk_size = 20001;	/* refused below */
		} else if (strcmp(argv[i], "--refused") == 0 && i + 1 < argc)
			p->refused_path = argv[++i];
		else if (argv[i][0] != '-' && *file == NULL)
			*file = argv[i];
		else
			break;
	}
	/* the bulk kind in bigger chunks: fewer statements (bench-sync) */
	if (p->chunk_size == 0 && *kind != NULL)
		p->chunk_size = strcmp(*kind, "firm_reports") == 0 ? 5000 :
		    2000;
	if (i == argc && *file != NULL && *kind != NULL && *park == NULL &&
	    (*park = own_park(ctl)) == NULL)
		return (-2);
	if (i != argc || *file == NULL || *kind == NULL || *park == NULL ||
	    (p->k = record_kind_find(*kind)) == NULL || p->chunk_size < 1 ||
	    p->chunk_size > 20000) {
		fprintf(stderr, "usage: parkctl sync FILE.csv --kind "
		    "firms|tenancies|certifications|firm_reports|park_reports|"
		    "activities [--park-code CODE] [--chunk N] [--refused FILE] "
		    "[--idempotency-key K]\n");
		return (-1);
	}
	return (0);
}

int
csv_sync(struct ctl *ctl, int argc, char **argv)
{
	struct push			 p;
	Parkd__V1__SyncOutcome		*done = NULL;
	const char			*file = NULL, *kind = NULL, *park = NULL;
	char				 key[80], refused[1100];
	int				 i, rc = 1;

	memset(&p, 0, sizeof(p));
	if ((i = sync_args(ctl, argc, argv, &p, &file, &kind, &park)) != 0)
		return (i == -2 ? 1 : 2);

	if (file_key(file, park, kind, key, &p.total_rows) != 0) {
		fprintf(stderr, "parkctl: %s: %s\n", file, strerror(errno));
		return (1);
	}
	p.total_rows = p.total_rows > 0 ? p.total_rows - 1 : 0;
	if (ctl->idem != NULL)
		snprintf(key, sizeof(key), "%s", ctl->idem);
	if (p.refused_path == NULL) {
		snprintf(refused, sizeof(refused), "%s.refused.csv", file);
		p.refused_path = refused;
	}
	p.ctl = ctl;
	p.tty = isatty(2) && !ctl->json;
	if ((p.chunk = calloc(p.chunk_size, sizeof(*p.chunk))) == NULL ||
	    ctl_connect(ctl) != 0 || begin(&p, park, key, &done) != 0)
		goto out;
	if (done != NULL) {
		if (ctl->json)
			pcmd_print(&done->base, 1, stdout);
		else
			summary(&p, done, key);
		parkd__v1__sync_outcome__free_unpacked(done, NULL);
		rc = 0;
		goto out;
	}
	if (push_file(&p, file) == 0 && commit(&p, key) == 0)
		rc = 0;
	else
		fprintf(stderr, "parkctl: the push did not complete; nothing "
		    "was applied. Run the same command again to retry.\n");
out:
	for (i = 0; i < p.nfl; i++)
		rows_free(p.fl[i].rows, p.fl[i].n);
	rows_free(p.chunk, p.nchunk);
	if (p.refused != NULL)
		fclose(p.refused);
	return (rc);
}
