/*
 * Counters for /metrics: requests by method slot and status code, their
 * time, connections. Leaf code: the layers above bump them, http.c reads.
 */
#include <stdlib.h>

#include "core/core.h"

struct stats	stats;

/* Slots for nmethods methods, plus one for unknown methods. */
void
stats_init(size_t nmethods)
{
	stats.nslots = nmethods + 1;
	stats.req_count = calloc(stats.nslots * STATS_NCODES,
	    sizeof(*stats.req_count));
	stats.req_ms = calloc(stats.nslots, sizeof(*stats.req_ms));
	if (stats.req_count == NULL || stats.req_ms == NULL)
		fatal("stats");
}

void
stats_free(void)
{
	free(stats.req_count);
	free(stats.req_ms);
	stats.req_count = NULL;
	stats.req_ms = NULL;
}

/* One finished request of method slot (-1: unknown method). */
void
stats_request(int slot, int code, uint64_t ms)
{
	size_t	 i;

	if (stats.req_count == NULL || code < 0 || code >= STATS_NCODES)
		return;
	i = slot >= 0 && (size_t)slot < stats.nslots - 1 ? (size_t)slot :
	    stats.nslots - 1;
	stats.req_count[i * STATS_NCODES + (size_t)code]++;
	stats.req_ms[i] += ms;
}

void
stats_conn(int opened)
{
	if (opened) {
		stats.conns_opened++;
		stats.conns++;
	} else {
		stats.conns_closed++;
		stats.conns--;
	}
}
