/*
 * parkctl sync: a CSV file (read by csvread.c) pushed to parkd in chunks,
 * up to WINDOW of them out at once, under one idempotency key (by default
 * the SHA-256 of park, kind and file); the rows parkctl or parkd refused
 * are written to a CSV file beside it, with the reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "csvpush.h"
#include "pcmd.h"

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
	push_rows_free(f->rows, f->n);
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
	while (p->nfl == WINDOW) {
		if (collect_chunk(p) != 0)
			return (-1);
	}
	recs = calloc(p->nchunk, sizeof(*recs));
	rows = calloc(p->nchunk, sizeof(int64_t));
	if (unreadable_new(&u, p->nchunk) != 0 || recs == NULL || rows == NULL)
		goto out;
	for (i = 0; i < p->nchunk; i++) {
		if ((recs[n] = push_convert(p, &p->chunk[i])) == NULL) {
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
	p.flush = flush_chunk;
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
		push_rows_free(p.fl[i].rows, p.fl[i].n);
	push_rows_free(p.chunk, p.nchunk);
	if (p.refused != NULL)
		fclose(p.refused);
	return (rc);
}
