/*
 * parkctl declaration: a park's annual declaration (年度申报) and the
 * bureau's overview. The single calls are also generic commands
 * (assemble-declaration, submit-declaration, ...); this adds what they
 * cannot do well: attach a file, save one, show a declaration and the
 * year's overview as a person reads them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parkctl.h"
#include "pcmd.h"
#include "lib/lib.h"

static void
print_declaration(const Parkd__V1__Declaration *d)
{
	size_t	 i;

	printf("declaration of %s %s (%s) for %d: %s\n", d->park_code,
	    d->park_name, d->district, d->year, d->status);
	printf("assembled %s%s%s%s%s\n", d->assembled_at,
	    *d->submitted_at ? ", submitted " : "", d->submitted_at,
	    *d->decided_at ? ", decided " : "", d->decided_at);
	printf("figures: %s\n", d->figures);
	printf("tenants at the year's end: %zu\n", d->n_tenants);
	for (i = 0; i < d->n_evidence; i++)
		printf("evidence %" PRId64 ": %s %s (%s, %" PRId64 " bytes, "
		    "sha256 %s)\n", d->evidence[i]->id, d->evidence[i]->kind,
		    d->evidence[i]->name, d->evidence[i]->media_type,
		    d->evidence[i]->size, d->evidence[i]->sha256);
	for (i = 0; i < d->n_events; i++)
		printf("  %s %-9s by %s%s%s\n", d->events[i]->at,
		    d->events[i]->action, d->events[i]->actor,
		    *d->events[i]->comment ? ": " : "", d->events[i]->comment);
}

static int
print_reply(struct ctl *ctl, const char *method, const ProtobufCMessage *in)
{
	struct parkc_result	 res;

	if (ctl_call(ctl, method, in, &res) != 0)
		return (1);
	if (ctl->json)
		pcmd_print(res.body, 1, stdout);
	else if (strcmp(method, "AddEvidence") == 0)
		printf("attached: evidence %" PRId64 ", %" PRId64 " bytes, sha256 "
		    "%s\n", ((Parkd__V1__Evidence *)res.body)->id,
		    ((Parkd__V1__Evidence *)res.body)->size,
		    ((Parkd__V1__Evidence *)res.body)->sha256);
	else
		print_declaration((Parkd__V1__Declaration *)res.body);
	parkc_result_free(&res);
	return (0);
}

static int
status(struct ctl *ctl, int year)
{
	Parkd__V1__DeclarationStatusRequest req =
	    PARKD__V1__DECLARATION_STATUS_REQUEST__INIT;
	Parkd__V1__DeclarationStatusResponse *o;
	struct parkc_result	 res;
	const char		*head[] = { "district", "parks", "not_started",
	    "draft", "submitted", "returned", "approved", "late" };
	char			**cells, b[32];
	size_t			 i;

	req.year = year;
	if (ctl_call(ctl, "DeclarationStatus", &req.base, &res) != 0)
		return (1);
	o = (Parkd__V1__DeclarationStatusResponse *)res.body;
	if (ctl->json) {
		pcmd_print(res.body, 1, stdout);
		parkc_result_free(&res);
		return (0);
	}
	printf("declarations of %d, due all approved by %s\n", o->year,
	    o->deadline);
	if ((cells = calloc(o->n_districts * 8 + 1, sizeof(char *))) == NULL) {
		parkc_result_free(&res);
		return (1);
	}
	for (i = 0; i < o->n_districts; i++) {
		Parkd__V1__DistrictStatus *d = o->districts[i];
		int	 v[6] = { d->parks, d->not_started, d->draft,
		    d->submitted, d->returned, d->approved }, k;

		cells[i * 8] = strdup(d->district);
		for (k = 0; k < 6; k++) {
			snprintf(b, sizeof(b), "%d", v[k]);
			cells[i * 8 + 1 + k] = strdup(b);
		}
		cells[i * 8 + 7] = strdup(d->late ? "LATE" : "");
	}
	pcmd_table(stdout, head, 8, (const char *const *)cells,
	    (int)o->n_districts);
	for (i = 0; i < o->n_districts * 8; i++)
		free(cells[i]);
	free(cells);
	printf("\n");
	for (i = 0; i < o->n_parks; i++)
		printf("%-12s %-12s %-12s %s\n", o->parks[i]->park_code,
		    o->parks[i]->district, o->parks[i]->status,
		    o->parks[i]->park_name);
	parkc_result_free(&res);
	return (0);
}

/* Write the evidence file method returns (an Evidence) to path. */
int
save_evidence(struct ctl *ctl, const char *method, const ProtobufCMessage *req,
    const char *path)
{
	Parkd__V1__Evidence	*e;
	struct parkc_result	 res;
	FILE			*f;
	int			 rc = 0;

	if (ctl_call(ctl, method, req, &res) != 0)
		return (1);
	e = (Parkd__V1__Evidence *)res.body;
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(e->content.data, 1, e->content.len, f) != e->content.len) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		rc = 1;
	} else
		printf("%s: %s, %zu bytes, sha256 %s\n", path, e->name,
		    e->content.len, e->sha256);
	if (f != NULL)
		fclose(f);
	parkc_result_free(&res);
	return (rc);
}

/* The file at path, read whole (at most 64 MiB); NULL on error. */
uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	uint8_t	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "parkctl: %s: %s\n", path, strerror(errno));
		return (NULL);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || n > (64L << 20) || (buf = malloc((size_t)n + 1)) == NULL) {
		fprintf(stderr, "parkctl: %s: too large or unreadable\n", path);
		fclose(f);
		return (NULL);
	}
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return (buf);
}

/* The value of --name in argv, or def. */
static const char *
opt(int argc, char **argv, const char *name, const char *def)
{
	int	 i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return (argv[i + 1]);
	return (def);
}

/* declaration attach PARK --year Y [--kind K] [--media-type T] FILE */
static int
attach(struct ctl *ctl, int argc, char **argv, int year)
{
	Parkd__V1__AddEvidenceRequest ev = PARKD__V1__ADD_EVIDENCE_REQUEST__INIT;
	const char	*path = argv[argc - 1], *slash;
	int		 rc;

	ev.park_code = argv[1];
	ev.year = year;
	ev.kind = (char *)opt(argc, argv, "--kind", "other");
	ev.media_type = (char *)opt(argc, argv, "--media-type", "");
	slash = strrchr(path, '/');
	ev.name = (char *)(slash ? slash + 1 : path);
	if ((ev.content.data = slurp(path, &ev.content.len)) == NULL)
		return (1);
	rc = print_reply(ctl, "AddEvidence", &ev.base);
	free(ev.content.data);
	return (rc);
}

/*
 * parkctl declaration status --year Y | show PARK --year Y |
 *     assemble PARK --year Y | attach PARK --year Y [--kind K] FILE |
 *     submit PARK --year Y | approve PARK --year Y [--comment TEXT] |
 *     return PARK --year Y --comment TEXT | save EVIDENCE FILE
 */
int
decl_cmd(struct ctl *ctl, int argc, char **argv)
{
	Parkd__V1__DeclarationRequest req = PARKD__V1__DECLARATION_REQUEST__INIT;
	const char	*year = opt(argc, argv, "--year", NULL);

	if (argc >= 1 && strcmp(argv[0], "status") == 0 && year != NULL)
		return (status(ctl, atoi(year)));
	if (argc == 3 && strcmp(argv[0], "save") == 0) {
		Parkd__V1__GetEvidenceRequest ge =
		    PARKD__V1__GET_EVIDENCE_REQUEST__INIT;

		ge.id = strtoll(argv[1], NULL, 10);
		return (save_evidence(ctl, "GetEvidence", &ge.base, argv[2]));
	}
	if (argc < 4 || year == NULL)
		goto usage;
	req.park_code = argv[1];
	req.year = atoi(year);
	if (strcmp(argv[0], "show") == 0)
		return (print_reply(ctl, "GetDeclaration", &req.base));
	if (strcmp(argv[0], "assemble") == 0)
		return (print_reply(ctl, "AssembleDeclaration", &req.base));
	if (strcmp(argv[0], "submit") == 0)
		return (print_reply(ctl, "SubmitDeclaration", &req.base));
	if (strcmp(argv[0], "approve") == 0 || strcmp(argv[0], "return") == 0) {
		Parkd__V1__ReviewDeclarationRequest rv =
		    PARKD__V1__REVIEW_DECLARATION_REQUEST__INIT;

		rv.park_code = argv[1];
		rv.year = req.year;
		rv.approve = strcmp(argv[0], "approve") == 0;
		rv.comment = (char *)opt(argc, argv, "--comment", "");
		return (print_reply(ctl, "ReviewDeclaration", &rv.base));
	}
	if (strcmp(argv[0], "attach") == 0)
		return (attach(ctl, argc, argv, req.year));
usage:
	fprintf(stderr, "usage: parkctl declaration status --year Y\n"
	    "       parkctl declaration show|assemble|submit PARK --year Y\n"
	    "       parkctl declaration attach PARK --year Y "
	    "[--kind commitment_letter|other] [--media-type T] FILE\n"
	    "       parkctl declaration approve PARK --year Y [--comment TEXT]\n"
	    "       parkctl declaration return PARK --year Y --comment TEXT\n"
	    "       parkctl declaration save EVIDENCE_ID FILE\n");
	return (2);
}
