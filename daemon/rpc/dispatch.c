/*
 * The method table, built at start from protoc-c's service descriptors and
 * the services' own tables (svc/svc.h, handed over by main): the proto file
 * says which methods exist and their message types; each service says its
 * handlers and the roles allowed.
 */
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc.h"

#define services	parkd_services
#define NSERVICES	parkd_nservices

static struct method	*methods;
static size_t		 nmethods;

static int
method_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct method *)a)->name,
	    ((const struct method *)b)->name));
}

static const struct method_def *
def_find(const struct method_def *const *tables, const char *name)
{
	const struct method_def	*d;
	size_t			 i;

	for (i = 0; tables[i] != NULL; i++) {
		for (d = tables[i]; d->name != NULL; d++) {
			if (strcmp(d->name, name) == 0)
				return (d);
		}
	}
	return (NULL);
}

/* tables: each service's method table (ended by an empty entry), NULL. */
void
dispatch_init(const struct method_def *const *tables)
{
	const struct method_def	*h;
	size_t			 i, j, total = 0, ndefs = 0;

	for (i = 0; i < NSERVICES; i++)
		total += services[i]->n_methods;
	for (i = 0; tables[i] != NULL; i++)
		for (h = tables[i]; h->name != NULL; h++)
			ndefs++;
	if (total != ndefs)
		fatalx("dispatch: %zu methods in proto, %zu handlers", total,
		    ndefs);
	if ((methods = calloc(total, sizeof(*methods))) == NULL)
		fatal("dispatch");
	for (i = 0; i < NSERVICES; i++) {
		for (j = 0; j < services[i]->n_methods; j++) {
			const ProtobufCMethodDescriptor *md =
			    &services[i]->methods[j];

			if ((h = def_find(tables, md->name)) == NULL)
				fatalx("dispatch: no handler for %s.%s",
				    services[i]->name, md->name);
			methods[nmethods].name = md->name;
			methods[nmethods].input = md->input;
			methods[nmethods].output = md->output;
			methods[nmethods].def = h;
			nmethods++;
		}
	}
	qsort(methods, nmethods, sizeof(*methods), method_cmp);
	for (i = 0; i < nmethods; i++)
		methods[i].idx = (int)i;
}

size_t
dispatch_count(void)
{
	return (nmethods);
}

/* The name of method idx ("unknown" past the table). */
const char *
dispatch_name(int idx)
{
	return (idx >= 0 && (size_t)idx < nmethods ? methods[idx].name :
	    "unknown");
}

void
dispatch_free(void)
{
	free(methods);
	methods = NULL;
	nmethods = 0;
}

const struct method *
dispatch_find(const char *name)
{
	struct method	 key;

	key.name = name;
	return (bsearch(&key, methods, nmethods, sizeof(*methods),
	    method_cmp));
}
