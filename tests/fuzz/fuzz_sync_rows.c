/*
 * libFuzzer: the sync row checks. The input is a SyncChunkRequest as a
 * client would send it; every record of every kind goes through the checks
 * the pushes and the single calls share, and the NUL check of the wire.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rules.h"
#include "domain/checks.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Parkd__V1__SyncChunkRequest	*c;
	struct viols			 v = { 0 };
	const char			*bad;
	size_t				 i;

	c = parkd__v1__sync_chunk_request__unpack(NULL, size, data);
	if (c == NULL)
		return (0);
	(void)pb_strings_clean(&parkd__v1__sync_chunk_request__descriptor,
	    data, size, &bad);
	for (i = 0; i < c->n_firm_reports; i++)
		check_firm_report(&v, "", c->firm_reports[i]);
	for (i = 0; i < c->n_certifications; i++)
		check_certification(&v, "", c->certifications[i]);
	for (i = 0; i < c->n_park_reports; i++) {
		check_quarter(&v, "quarter", c->park_reports[i]->year,
		    c->park_reports[i]->quarter);
		viols_range(&v, "staff", c->park_reports[i]->staff, 0,
		    LIMIT_COUNT);
	}
	for (i = 0; i < c->n_firms; i++) {
		(void)valid_text(c->firms[i]->name, 1, 200);
		(void)valid_industry_code(c->firms[i]->industry_code);
		(void)valid_date(c->firms[i]->registered_on);
	}
	for (i = 0; i < c->n_tenancies; i++)
		viols_range(&v, "area", c->tenancies[i]->area, 1, LIMIT_AREA);
	for (i = 0; i < c->n_activities; i++)
		(void)valid_text(c->activities[i]->title, 1, 200);
	if (v.n > VIOLS_MAX + 1)
		abort();		/* the cap on one list holds */
	viols_free(&v);
	parkd__v1__sync_chunk_request__free_unpacked(c, NULL);
	return (0);
}
