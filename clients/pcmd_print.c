/*
 * parkctl's output of a response message: a table for its repeated
 * messages, key: value lines for the rest, or JSON (jansson); money and
 * area in yuan and m2 unless --raw (pcmd_raw). CSV cells for the exports.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pcmd.h"
#include "lib/lib.h"

static json_t *to_json(const ProtobufCMessage *);

static json_t *
scalar_json(const ProtobufCFieldDescriptor *fd, const void *p)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		return (json_string(*(char *const *)p));
	case PROTOBUF_C_TYPE_BOOL:
		return (json_boolean(*(const protobuf_c_boolean *)p));
	case PROTOBUF_C_TYPE_INT32:
		return (json_integer(*(const int32_t *)p));
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
		    fd->descriptor, *(const int *)p);
		return (v ? json_string(v->name) : json_integer(*(const int *)p));
	}
	case PROTOBUF_C_TYPE_INT64:
		return (json_integer(*(const int64_t *)p));
	case PROTOBUF_C_TYPE_UINT64:
		return (json_integer((json_int_t)*(const uint64_t *)p));
	case PROTOBUF_C_TYPE_MESSAGE:
		return (*(ProtobufCMessage *const *)p ?
		    to_json(*(ProtobufCMessage *const *)p) : json_null());
	case PROTOBUF_C_TYPE_BYTES:
		return (json_sprintf("%zu bytes",
		    ((const ProtobufCBinaryData *)p)->len));
	default:
		return (json_null());
	}
}

static size_t
field_size(const ProtobufCFieldDescriptor *fd)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return (sizeof(void *));
	case PROTOBUF_C_TYPE_BOOL:
		return (sizeof(protobuf_c_boolean));
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		return (8);
	default:
		return (4);
	}
}

static json_t *
to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	json_t					*o = json_object(), *a;
	size_t					 i, j, n;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const char *p = (const char *)m + fd->offset;

		if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
			json_object_set_new(o, fd->name, scalar_json(fd, p));
			continue;
		}
		n = *(const size_t *)((const char *)m + fd->quantifier_offset);
		a = json_array();
		for (j = 0; j < n; j++)
			json_array_append_new(a, scalar_json(fd,
			    *(char *const *)p + j * field_size(fd)));
		json_object_set_new(o, fd->name, a);
	}
	return (o);
}

/* Text of one field for tables ("" for messages). */
static void
field_text(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
    char *buf, size_t n)
{
	const char	*p = (const char *)m + fd->offset;
	json_t		*j;
	char		*s;
	size_t		 i, cnt, o = 0;

	buf[0] = '\0';
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
		return;
	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		cnt = *(const size_t *)((const char *)m + fd->quantifier_offset);
		for (i = 0; i < cnt && o < n; i++) {
			j = scalar_json(fd, *(char *const *)p + i *
			    field_size(fd));
			s = json_is_string(j) ? strdup(json_string_value(j)) :
			    json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
			o += (size_t)snprintf(buf + o, n - o, "%s%s",
			    i ? "," : "", s ? s : "");
			free(s);
			json_decref(j);
		}
		return;
	}
	if (!pcmd_raw && pcmd_field_unit(fd) != PCMD_U_NONE) {
		if (strcmp(fd->name, "budget_fen") == 0 && *(const int64_t *)p < 0)
			snprintf(buf, n, "none");
		else
			fmt_hundredths(*(const int64_t *)p, buf, n);
		return;
	}
	if ((j = scalar_json(fd, p)) == NULL)
		return;
	if (json_is_string(j))
		snprintf(buf, n, "%s", json_string_value(j));
	else if ((s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT)) != NULL) {
		snprintf(buf, n, "%s", s);
		free(s);
	}
	json_decref(j);
}

/* Display width: East Asian wide characters take two columns. */
size_t
pcmd_text_width(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 w = 0;
	unsigned int		 cp;

	while (*p) {
		if (*p < 0x80) {
			w++;
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);
			p += 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) |
			    (p[2] & 0x3fu);
			p += 3;
		} else {
			cp = 0x20000;
			p += 4;
		}
		w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 &&
		    cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
		    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 &&
		    cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
		    (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000 ? 2 : 1;
	}
	return (w);
}

/* Print rows x cols cells (row-major) under the given headings. */
void
pcmd_table(FILE *f, const char *const *head, int cols,
    const char *const *cells, int rows)
{
	size_t	 w[64];
	int	 r, c;

	for (c = 0; c < cols && c < 64; c++) {
		w[c] = pcmd_text_width(head[c]);
		for (r = 0; r < rows; r++) {
			size_t x = pcmd_text_width(cells[r * cols + c]);

			if (x > w[c])
				w[c] = x;
		}
	}
	for (r = -1; r < rows; r++) {
		for (c = 0; c < cols && c < 64; c++) {
			const char *s = r < 0 ? head[c] : cells[r * cols + c];
			size_t pad = w[c] - pcmd_text_width(s);

			fprintf(f, "%s%*s%s", s, (int)pad, "",
			    c + 1 < cols ? "  " : "\n");
		}
	}
}

/* Columns shown in tables of each message type (else every scalar). */
static const struct {
	const char	*type;
	const char	*cols;
} table_cols[] = {
	{ "parkd.v1.Park", "id,code,name,district,level,status,staff_count,"
	    "total_area,leading_industries,version" },
	{ "parkd.v1.Firm", "id,credit_code,name,industry_code,registered_on,"
	    "tech_based,srdi,version" },
	{ "parkd.v1.Principal", "id,name,role,park_code,enabled,fingerprint" },
};

static void
print_table(FILE *f, const ProtobufCFieldDescriptor *lf,
    ProtobufCMessage *const *items, size_t n)
{
	const ProtobufCMessageDescriptor *d = lf->descriptor;
	const ProtobufCFieldDescriptor	*cols[64];
	const char			*head[64], **cells;
	char				 list[512], *tok, *save, buf[512];
	char				 labels[64][64];
	size_t				 i, nc = 0, k;

	snprintf(list, sizeof(list), "%s", "");
	for (k = 0; k < sizeof(table_cols) / sizeof(table_cols[0]); k++) {
		if (strcmp(table_cols[k].type, d->name) == 0)
			snprintf(list, sizeof(list), "%s", table_cols[k].cols);
	}
	if (list[0] != '\0') {
		for (tok = strtok_r(list, ",", &save); tok && nc < 64;
		    tok = strtok_r(NULL, ",", &save))
			cols[nc++] = protobuf_c_message_descriptor_get_field_by_name(
			    d, tok);
	} else {
		for (k = 0; k < d->n_fields && nc < 64; k++)
			if (d->fields[k].type != PROTOBUF_C_TYPE_MESSAGE)
				cols[nc++] = &d->fields[k];
	}
	if ((cells = calloc(n * nc + 1, sizeof(char *))) == NULL)
		return;
	for (k = 0; k < nc; k++)
		head[k] = pcmd_field_label(cols[k], labels[k],
		    sizeof(labels[k]));
	for (i = 0; i < n; i++) {
		for (k = 0; k < nc; k++) {
			field_text(items[i], cols[k], buf, sizeof(buf));
			cells[i * nc + k] = strdup(buf);
		}
	}
	pcmd_table(f, head, (int)nc, cells, (int)n);
	for (i = 0; i < n * nc; i++)
		free((char *)cells[i]);
	free(cells);
}

/* A message as a table (lists), key: value lines, or JSON. */
void
pcmd_print(const ProtobufCMessage *m, int json, FILE *f)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	json_t					*j;
	char					*s, buf[4096], label[64];
	size_t					 i;

	if (json) {
		j = to_json(m);
		if ((s = json_dumps(j, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER)) != NULL) {
			fprintf(f, "%s\n", s);
			free(s);
		}
		json_decref(j);
		return;
	}
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];

		if (fd->label == PROTOBUF_C_LABEL_REPEATED &&
		    fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			print_table(f, fd, *(ProtobufCMessage *const *const *)
			    ((const char *)m + fd->offset),
			    *(const size_t *)((const char *)m +
			    fd->quantifier_offset));
			continue;
		}
		field_text(m, fd, buf, sizeof(buf));
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE && buf[0] != '\0')
			fprintf(f, "%-22s %s\n", pcmd_field_label(fd, label,
			    sizeof(label)), buf);
	}
}

static void
print_viols(FILE *f, const char *what, Parkd__V1__Violation **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		fprintf(f, "  %s: %s%s[%s] %s\n", what, v[i]->field,
		    v[i]->field[0] ? " " : "", v[i]->rule, v[i]->message);
}

/* Print a call's outcome; returns the exit status for parkctl. */
int
pcmd_print_result(const struct parkc_result *res, int json)
{
	const Parkd__V1__Status	*st = res->status;

	if (st != NULL && st->n_warnings > 0) {
		fprintf(stderr, "warnings:\n");
		print_viols(stderr, "warning", st->warnings, st->n_warnings);
	}
	if (res->code != 0) {
		fprintf(stderr, "error: %s: %s\n", parkc_code_name(res->code),
		    res->message);
		if (st != NULL)
			print_viols(stderr, "violation", st->violations,
			    st->n_violations);
		return (1);
	}
	if (res->body != NULL)
		pcmd_print(res->body, json, stdout);
	return (0);
}

/* One CSV cell, quoted (RFC 4180), then a comma or the end of the row. */
void
pcmd_csv_cell(FILE *f, const char *s, int last)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputs(last ? "\"\n" : "\",", f);
}
