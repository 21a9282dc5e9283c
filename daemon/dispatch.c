/*
 * The method table, built at start from protoc-c's service descriptors: the
 * proto file says which methods exist and their message types; this file
 * only adds the handler and the roles allowed for each.
 */
#include <stdlib.h>
#include <string.h>

#include "parkd.h"

struct handler_entry {
	const char	*name;
	method_handler	 handler;
	int		 roles;
};

#define READERS	ROLES_ALL
static const struct handler_entry handlers[] = {
	{ "CreatePark", svc_park_create, ROLE_BUREAU },
	{ "GetPark", svc_park_get, READERS },
	{ "ListParks", svc_park_list, READERS },
	{ "UpdatePark", svc_park_update, ROLE_BUREAU | ROLE_OPERATOR },
	{ "AdmitPark", svc_park_admit, ROLE_BUREAU },
	{ "WarnPark", svc_park_warn, ROLE_BUREAU },
	{ "ExitPark", svc_park_exit, ROLE_BUREAU },
	{ "CreateFirm", svc_firm_create, ROLE_BUREAU | ROLE_OPERATOR },
	{ "GetFirm", svc_firm_get, READERS },
	{ "ListFirms", svc_firm_list, READERS },
	{ "UpdateFirm", svc_firm_update, ROLE_BUREAU | ROLE_OPERATOR },
	{ "PutFirmReport", svc_facts_report, ROLE_BUREAU | ROLE_OPERATOR },
	{ "AddFinancing", svc_facts_financing, ROLE_BUREAU | ROLE_OPERATOR },
	{ "AddFirmEvent", svc_facts_event, ROLE_BUREAU | ROLE_OPERATOR },
	{ "AddCertification", svc_facts_cert_add, ROLE_BUREAU | ROLE_OPERATOR },
	{ "ListCertifications", svc_facts_cert_list, READERS },
	{ "ExpireCertification", svc_facts_cert_expire, ROLE_BUREAU },
	{ "EnterFirm", svc_tenancy_enter, ROLE_BUREAU | ROLE_OPERATOR },
	{ "ExitFirm", svc_tenancy_exit, ROLE_BUREAU | ROLE_OPERATOR },
	{ "ListTenancies", svc_tenancy_list, READERS },
	{ "UploadPolicy", svc_rules_upload, ROLE_ADMIN | ROLE_BUREAU },
	{ "GetPolicy", svc_rules_get, READERS },
	{ "ListPolicies", svc_rules_list, READERS },
	{ "RunSweep", svc_rules_sweep, ROLE_BUREAU },
	{ "AddPrincipal", svc_principal_add, ROLE_ADMIN },
	{ "ListPrincipals", svc_principal_list, ROLE_ADMIN },
	{ "DisablePrincipal", svc_principal_disable, ROLE_ADMIN },
	{ "WhoAmI", svc_principal_whoami, READERS },
};
#define NHANDLERS	(sizeof(handlers) / sizeof(handlers[0]))

static const ProtobufCServiceDescriptor *const services[] = {
	&parkd__v1__park_service__descriptor,
	&parkd__v1__firm_service__descriptor,
	&parkd__v1__principal_service__descriptor,
	&parkd__v1__tenancy_service__descriptor,
	&parkd__v1__rules_service__descriptor,
};
#define NSERVICES	(sizeof(services) / sizeof(services[0]))

static struct method	*methods;
static size_t		 nmethods;

static int
method_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct method *)a)->name,
	    ((const struct method *)b)->name));
}

static const struct handler_entry *
handler_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NHANDLERS; i++) {
		if (strcmp(handlers[i].name, name) == 0)
			return (&handlers[i]);
	}
	return (NULL);
}

void
dispatch_init(void)
{
	const struct handler_entry	*h;
	size_t				 i, j, total = 0;

	for (i = 0; i < NSERVICES; i++)
		total += services[i]->n_methods;
	if (total != NHANDLERS)
		fatalx("dispatch: %zu methods in proto, %zu handlers", total,
		    (size_t)NHANDLERS);
	if ((methods = calloc(total, sizeof(*methods))) == NULL)
		fatal("dispatch");
	for (i = 0; i < NSERVICES; i++) {
		for (j = 0; j < services[i]->n_methods; j++) {
			const ProtobufCMethodDescriptor *md =
			    &services[i]->methods[j];

			if ((h = handler_find(md->name)) == NULL)
				fatalx("dispatch: no handler for %s.%s",
				    services[i]->name, md->name);
			methods[nmethods].name = md->name;
			methods[nmethods].input = md->input;
			methods[nmethods].output = md->output;
			methods[nmethods].handler = h->handler;
			methods[nmethods].roles = h->roles;
			nmethods++;
		}
	}
	qsort(methods, nmethods, sizeof(*methods), method_cmp);
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
