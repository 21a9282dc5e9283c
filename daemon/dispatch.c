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
	int		 nodb;
};

#define READERS	ROLES_ALL
static const struct handler_entry handlers[] = {
	{ "CreatePark", svc_park_create, ROLE_BUREAU, 0 },
	{ "GetPark", svc_park_get, READERS, 0 },
	{ "ListParks", svc_park_list, READERS, 0 },
	{ "UpdatePark", svc_park_update, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "AdmitPark", svc_park_admit, ROLE_BUREAU, 0 },
	{ "WarnPark", svc_park_warn, ROLE_BUREAU, 0 },
	{ "ExitPark", svc_park_exit, ROLE_BUREAU, 0 },
	{ "CreateFirm", svc_firm_create, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "GetFirm", svc_firm_get, READERS, 0 },
	{ "ListFirms", svc_firm_list, READERS, 0 },
	{ "UpdateFirm", svc_firm_update, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "PutFirmReport", svc_facts_report, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "AddFinancing", svc_facts_financing, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "AddFirmEvent", svc_facts_event, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "AddCertification", svc_facts_cert_add, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "ListCertifications", svc_facts_cert_list, READERS, 0 },
	{ "ExpireCertification", svc_facts_cert_expire, ROLE_BUREAU, 0 },
	{ "EnterFirm", svc_tenancy_enter, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "ExitFirm", svc_tenancy_exit, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "ListTenancies", svc_tenancy_list, READERS, 0 },
	{ "UploadPolicy", svc_rules_upload, ROLE_ADMIN | ROLE_BUREAU, 0 },
	{ "GetPolicy", svc_rules_get, READERS, 0 },
	{ "ListPolicies", svc_rules_list, READERS, 0 },
	{ "RunSweep", svc_rules_sweep, ROLE_BUREAU, 0 },
	{ "BeginSync", svc_sync_begin, ROLE_BUREAU | ROLE_OPERATOR, 0 },
	{ "SyncChunk", svc_sync_chunk, ROLE_BUREAU | ROLE_OPERATOR, 1 },
	{ "CommitSync", svc_sync_commit, ROLE_BUREAU | ROLE_OPERATOR, 1 },
	{ "Export", svc_export, READERS, 0 },
	{ "CreateEvaluationRun", svc_eval_create, ROLE_BUREAU, 0 },
	{ "PublishEvaluationRun", svc_eval_publish, ROLE_BUREAU, 0 },
	{ "DeleteEvaluationRun", svc_eval_delete, ROLE_BUREAU, 0 },
	{ "GetEvaluationRun", svc_eval_get_run, READERS, 0 },
	{ "ListEvaluationRuns", svc_eval_list_runs, READERS, 0 },
	{ "ListEvaluationResults", svc_eval_results, READERS, 0 },
	{ "GetEvaluationResult", svc_eval_result, READERS, 0 },
	{ "SetEvaluationBudget", svc_eval_budget, ROLE_BUREAU, 0 },
	{ "AddAward", svc_eval_award, ROLE_BUREAU, 0 },
	{ "AddPrincipal", svc_principal_add, ROLE_ADMIN, 0 },
	{ "ListPrincipals", svc_principal_list, ROLE_ADMIN, 0 },
	{ "DisablePrincipal", svc_principal_disable, ROLE_ADMIN, 0 },
	{ "WhoAmI", svc_principal_whoami, READERS, 0 },
};
#define NHANDLERS	(sizeof(handlers) / sizeof(handlers[0]))

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
			methods[nmethods].nodb = h->nodb;
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
