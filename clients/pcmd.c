/*
 * parkctl's generic commands, driven by protoc-c's descriptors: every RPC
 * method is a sub-command ("CreatePark" -> "create-park") whose flags are the
 * fields of its input message (or of a message nested in it). Printing the
 * responses is pcmd_print.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pcmd.h"
#include "lib/lib.h"

/*
 * Units for people: money fields (fen on the wire) are typed and shown in
 * yuan, area fields (m2 x 100) in m2, both with up to two decimals, exact
 * (lib/units.c); the wire's names and units with --raw (pcmd_raw). A flag
 * named after its unit means that unit: --amount_fen is fen, --amount_yuan
 * yuan, --total_area_m2 m2. JSON output is the wire's shape.
 */
int	 pcmd_raw;

static int
ends_with(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), k = strlen(suffix);

	return (n > k && strcmp(s + n - k, suffix) == 0);
}

enum pcmd_unit
pcmd_field_unit(const ProtobufCFieldDescriptor *fd)
{
	if (fd->type != PROTOBUF_C_TYPE_INT64)
		return (PCMD_U_NONE);
	if (ends_with(fd->name, "_fen") || strcmp(fd->name, "revenue") == 0 ||
	    strcmp(fd->name, "rnd_spend") == 0 ||
	    strcmp(fd->name, "amount") == 0)
		return (PCMD_U_FEN);
	if (strcmp(fd->name, "area") == 0 || ends_with(fd->name, "_area"))
		return (PCMD_U_AREA);
	return (PCMD_U_NONE);
}

/* The name a person reads for field fd: amount_fen -> amount_yuan. */
const char *
pcmd_field_label(const ProtobufCFieldDescriptor *fd, char *buf, size_t n)
{
	switch (pcmd_raw ? PCMD_U_NONE : pcmd_field_unit(fd)) {
	case PCMD_U_FEN:
		snprintf(buf, n, "%.*s_yuan", (int)(strlen(fd->name) -
		    (ends_with(fd->name, "_fen") ? 4 : 0)), fd->name);
		return (buf);
	case PCMD_U_AREA:
		snprintf(buf, n, "%s_m2", fd->name);
		return (buf);
	default:
		return (fd->name);
	}
}

/* CreatePark -> create-park */
void
pcmd_cli_name(const char *method, char *out, size_t n)
{
	size_t	 o = 0;

	for (; *method != '\0' && o + 2 < n; method++) {
		if (*method >= 'A' && *method <= 'Z') {
			if (o > 0)
				out[o++] = '-';
			out[o++] = (char)(*method - 'A' + 'a');
		} else
			out[o++] = *method;
	}
	out[o] = '\0';
}

const char *
pcmd_method_for(const char *cli)
{
	char	 name[128];
	size_t	 i, j;

	for (i = 0; i < parkc_nservices; i++) {
		for (j = 0; j < parkc_services[i]->n_methods; j++) {
			const char *m = parkc_services[i]->methods[j].name;

			pcmd_cli_name(m, name, sizeof(name));
			if (strcmp(name, cli) == 0)
				return (m);
		}
	}
	return (NULL);
}

/* The flags of method m's input (nested messages' fields one level down). */
static void
print_flags(FILE *f, const ProtobufCMessageDescriptor *d)
{
	size_t	 k, l;

	for (k = 0; k < d->n_fields; k++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[k];

		if (fd->type != PROTOBUF_C_TYPE_MESSAGE) {
			fprintf(f, " --%s", fd->name);
			continue;
		}
		if (fd->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		for (l = 0; l < ((const ProtobufCMessageDescriptor *)
		    fd->descriptor)->n_fields; l++)
			fprintf(f, " --%s", ((const ProtobufCMessageDescriptor *)
			    fd->descriptor)->fields[l].name);
	}
}

/*
 * parkctl completion bash: a bash completion script generated from the
 * same descriptors that make the commands (custom ones listed by the
 * caller, with their words).
 */
void
pcmd_completion_bash(FILE *f, const char *const *custom)
{
	char		 name[128];
	size_t		 i, j;

	fputs("# bash completion for parkctl (generated: parkctl completion "
	    "bash)\n_parkctl()\n{\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} "
	    "cmd= i\n\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase ${COMP_WORDS[i]} in\n"
	    "\t\t--server|--cert|--key|--ca|--idempotency-key) ((i++)) ;;\n"
	    "\t\t--*) ;;\n\t\t*) cmd=${COMP_WORDS[i]}; break ;;\n"
	    "\t\tesac\n\tdone\n\tcase $cmd in\n\t\"\")\n"
	    "\t\tCOMPREPLY=($(compgen -W \"--server --cert --key --ca --json "
	    "--idempotency-key help", f);
	for (i = 0; custom[i] != NULL; i += 2)
		fprintf(f, " %s", custom[i]);
	for (i = 0; i < parkc_nservices; i++)
		for (j = 0; j < parkc_services[i]->n_methods; j++) {
			pcmd_cli_name(parkc_services[i]->methods[j].name, name,
			    sizeof(name));
			fprintf(f, " %s", name);
		}
	fputs("\" -- \"$cur\")) ;;\n", f);
	for (i = 0; custom[i] != NULL; i += 2)
		fprintf(f, "\t%s)\n\t\tCOMPREPLY=($(compgen -f -W \"%s\" -- "
		    "\"$cur\")) ;;\n", custom[i], custom[i + 1]);
	for (i = 0; i < parkc_nservices; i++)
		for (j = 0; j < parkc_services[i]->n_methods; j++) {
			const ProtobufCMethodDescriptor *m =
			    &parkc_services[i]->methods[j];

			pcmd_cli_name(m->name, name, sizeof(name));
			fprintf(f, "\t%s)\n\t\tCOMPREPLY=($(compgen -W \"",
			    name);
			print_flags(f, m->input);
			fputs("\" -- \"$cur\")) ;;\n", f);
		}
	fputs("\tesac\n}\ncomplete -o default -F _parkctl parkctl\n", f);
}

void
pcmd_list_methods(FILE *f)
{
	char		 name[128];
	size_t		 i, j, k;

	for (i = 0; i < parkc_nservices; i++) {
		for (j = 0; j < parkc_services[i]->n_methods; j++) {
			const ProtobufCMethodDescriptor *m =
			    &parkc_services[i]->methods[j];

			pcmd_cli_name(m->name, name, sizeof(name));
			fprintf(f, "  %-20s", name);
			for (k = 0; k < m->input->n_fields; k++) {
				const ProtobufCFieldDescriptor *fd =
				    &m->input->fields[k];

				if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
					fprintf(f, " [--%s.* fields]", fd->name);
				else
					fprintf(f, " [--%s]", fd->name);
			}
			fputc('\n', f);
		}
	}
}

/* true/false, 1/0, yes/no, 是/否; -1 for anything else. */
int
pcmd_parse_bool(const char *v, protobuf_c_boolean *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "yes") == 0 || strcmp(v, "是") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "no") == 0 || strcmp(v, "否") == 0)
		*out = 0;
	else
		return (-1);
	return (0);
}

/* A value of "@FILE" is the contents of FILE (*len: its bytes). */
static char *
value_bytes(const char *v, size_t *len, char *err, size_t errlen)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if (v[0] != '@') {
		*len = strlen(v);
		return (strdup(v));
	}
	if ((f = fopen(v + 1, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", v + 1, strerror(errno));
		return (NULL);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || n > (16 << 20) || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: cannot read", v + 1);
		return (NULL);
	}
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return (buf);
}

static char *
value_text(const char *v, char *err, size_t errlen)
{
	size_t	 len;

	return (value_bytes(v, &len, err, errlen));
}

static int
set_repeated_strings(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
    const char *v)
{
	size_t	*np = (size_t *)((char *)m + fd->quantifier_offset);
	char	***arr = (char ***)((char *)m + fd->offset), *copy, *tok, *save;
	size_t	 cap = 1;

	for (const char *p = v; *p; p++)
		cap += *p == ',';
	if ((*arr = calloc(cap, sizeof(char *))) == NULL ||
	    (copy = strdup(v)) == NULL)
		return (-1);
	*np = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		(*arr)[(*np)++] = strdup(tok);
	free(copy);
	return (0);
}

/*
 * Set integer field fd (at p) from v: int32, enum, int64 (in yuan or m2
 * when people_units), uint64. 0, or -1 with err said.
 */
static int
set_integer(const ProtobufCFieldDescriptor *fd, void *p, const char *v,
    int people_units, char *err, size_t errlen)
{
	char			*end = NULL;
	long long		 ll;
	unsigned long long	 ull;

	errno = 0;
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		ll = strtoll(v, &end, 10);
		if (*v && *end == '\0' && !errno && ll >= INT32_MIN &&
		    ll <= INT32_MAX) {
			*(int32_t *)p = (int32_t)ll;
			return (0);
		}
		break;
	case PROTOBUF_C_TYPE_INT64:
		if (people_units) {
			if (parse_hundredths(v, (int64_t *)p) == 0)
				return (0);
			snprintf(err, errlen, "--%s: '%s' is not an amount in %s "
			    "with at most two decimals (--raw: the wire's %s)",
			    fd->name, v, pcmd_field_unit(fd) == PCMD_U_FEN ?
			    "yuan" : "m2", pcmd_field_unit(fd) == PCMD_U_FEN ?
			    "fen" : "m2 x 100");
			return (-1);
		}
		ll = strtoll(v, &end, 10);
		if (*v && *end == '\0' && !errno) {
			*(int64_t *)p = ll;
			return (0);
		}
		break;
	default:	/* UINT64 */
		ull = strtoull(v, &end, 10);
		if (*v && *end == '\0' && !errno && v[0] != '-') {
			*(uint64_t *)p = ull;
			return (0);
		}
		break;
	}
	snprintf(err, errlen, "--%s: '%s' is not a valid integer", fd->name,
	    v);
	return (-1);
}

/* Set one scalar (or repeated string) field from its text value. */
static int
set_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
    const char *v, int people_units, char *err, size_t errlen)
{
	void		*p = (char *)m + fd->offset;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		if (fd->type != PROTOBUF_C_TYPE_STRING) {
			snprintf(err, errlen, "--%s cannot be set from the "
			    "command line", fd->name);
			return (-1);
		}
		return (set_repeated_strings(m, fd, v));
	}
	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		if ((*(char **)p = value_text(v, err, errlen)) == NULL)
			return (-1);
		return (0);
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData	*b = p;

		if ((b->data = (uint8_t *)value_bytes(v, &b->len, err,
		    errlen)) == NULL)
			return (-1);
		return (0);
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (pcmd_parse_bool(v, p) == 0)
			return (0);
		snprintf(err, errlen, "--%s: '%s' is not a valid true/false",
		    fd->name, v);
		return (-1);
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		return (set_integer(fd, p, v, people_units, err, errlen));
	default:
		snprintf(err, errlen, "--%s cannot be set from the command "
		    "line", fd->name);
		return (-1);
	}
}

/* Find a field by name here, or in a singular message field one level down. */
static ProtobufCMessage *
find_field(ProtobufCMessage *m, const char *name,
    const ProtobufCFieldDescriptor **out, int *nested)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*fd;
	ProtobufCMessage			**sub;
	size_t					 i;

	*nested = 0;
	if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, name))) {
		*out = fd;
		return (m);
	}
	for (i = 0; i < d->n_fields; i++) {
		fd = &d->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE ||
		    fd->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		if ((*out = protobuf_c_message_descriptor_get_field_by_name(
		    fd->descriptor, name)) == NULL)
			continue;
		sub = (ProtobufCMessage **)((char *)m + fd->offset);
		if (*sub == NULL) {
			const ProtobufCMessageDescriptor *sd = fd->descriptor;

			if ((*sub = calloc(1, sd->sizeof_message)) == NULL)
				return (NULL);
			sd->message_init(*sub);
		}
		*nested = 1;
		return (*sub);
	}
	return (NULL);
}

/*
 * The field a flag names, and whether its value is in people's units: a
 * plain money or area field (unless --raw), or X_yuan / X_m2 for X_fen or
 * X; a flag named X_fen is fen.
 */
static ProtobufCMessage *
unit_field(ProtobufCMessage *m, const char *name,
    const ProtobufCFieldDescriptor **out, int *nested, int *people)
{
	ProtobufCMessage	*t;
	char			 base[160];
	size_t			 n = strlen(name);

	*people = 0;
	if ((t = find_field(m, name, out, nested)) != NULL) {
		*people = !pcmd_raw && pcmd_field_unit(*out) != PCMD_U_NONE &&
		    !ends_with(name, "_fen");
		return (t);
	}
	if (ends_with(name, "_yuan") && n < sizeof(base)) {
		snprintf(base, sizeof(base), "%.*s_fen", (int)(n - 5), name);
		if ((t = find_field(m, base, out, nested)) == NULL) {
			base[n - 5] = '\0';
			t = find_field(m, base, out, nested);
		}
		*people = t != NULL && pcmd_field_unit(*out) == PCMD_U_FEN;
		return (*people ? t : NULL);
	}
	if (ends_with(name, "_m2") && n < sizeof(base)) {
		snprintf(base, sizeof(base), "%.*s", (int)(n - 3), name);
		t = find_field(m, base, out, nested);
		*people = t != NULL && pcmd_field_unit(*out) == PCMD_U_AREA;
		return (*people ? t : NULL);
	}
	return (NULL);
}

static int
is_identity_field(const char *name)
{
	return (strcmp(name, "id") == 0 || strcmp(name, "version") == 0 ||
	    strcmp(name, "code") == 0 || strcmp(name, "credit_code") == 0);
}

/* Fill update_mask with the nested fields given, unless it was given. */
static int
fill_update_mask(ProtobufCMessage *m, char **set, size_t nset)
{
	const ProtobufCFieldDescriptor	*fd;
	size_t				 i, *np;
	char				***arr;

	fd = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
	    "update_mask");
	if (fd == NULL)
		return (0);
	np = (size_t *)((char *)m + fd->quantifier_offset);
	arr = (char ***)((char *)m + fd->offset);
	if (*np > 0)
		return (0);
	if ((*arr = calloc(nset + 1, sizeof(char *))) == NULL)
		return (-1);
	for (i = 0; i < nset; i++) {
		if (!is_identity_field(set[i]))
			(*arr)[(*np)++] = strdup(set[i]);
	}
	return (0);
}

/* Build an input message of type d from --field value arguments. */
ProtobufCMessage *
pcmd_build(const ProtobufCMessageDescriptor *d, int argc, char **argv,
    char *err, size_t errlen)
{
	ProtobufCMessage		*m, *target;
	const ProtobufCFieldDescriptor	*fd;
	char				 name[128], *eq, *set[64];
	const char			*val;
	size_t				 nset = 0, k;
	int				 i, nested, people;

	if ((m = calloc(1, d->sizeof_message)) == NULL)
		return (NULL);
	d->message_init(m);
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s'",
			    argv[i]);
			goto fail;
		}
		snprintf(name, sizeof(name), "%s", argv[i] + 2);
		val = NULL;
		if ((eq = strchr(name, '=')) != NULL) {
			*eq = '\0';
			val = argv[i] + 2 + (eq - name) + 1;
		}
		for (k = 0; name[k]; k++)
			name[k] = name[k] == '-' ? '_' : name[k];
		if ((target = unit_field(m, name, &fd, &nested, &people)) ==
		    NULL) {
			snprintf(err, errlen, "unknown option --%s for %s",
			    argv[i] + 2, d->short_name);
			goto fail;
		}
		if (val == NULL) {
			if (fd->type == PROTOBUF_C_TYPE_BOOL &&
			    (i + 1 == argc || pcmd_parse_bool(argv[i + 1],
			    &(protobuf_c_boolean){0}) != 0))
				val = "true";
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				snprintf(err, errlen, "--%s needs a value",
				    name);
				goto fail;
			}
		}
		if (set_field(target, fd, val, people, err, errlen) != 0)
			goto fail;
		if (nested && nset < 64)
			set[nset++] = (char *)fd->name;
	}
	if (fill_update_mask(m, set, nset) != 0)
		goto fail;
	return (m);
fail:
	protobuf_c_message_free_unpacked(m, NULL);
	return (NULL);
}
